//! Dates and times as the platforms write them. All are floating local times, read as
//! America/Bogota (UTC-5 all year; Colombia has no daylight saving).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use super::ValueError;
use super::text::{fold, is_placeholder};

/// Which comes first in an all-numeric date such as `06/07/2024` when neither part is
/// above 12. The datos.gov.co web export writes month first; the portals' pages write
/// day first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrder {
    /// `MM/DD/YYYY`, as the datos.gov.co web UI exports.
    MonthFirst,
    /// `DD/MM/YYYY`, as the SECOP pages show.
    DayFirst,
}

/// Bogotá's offset from UTC.
pub fn bogota() -> FixedOffset {
    FixedOffset::west_opt(5 * 3600).expect("valid offset")
}

/// A floating Bogotá time as an instant.
pub fn to_instant(t: NaiveDateTime) -> DateTime<FixedOffset> {
    bogota()
        .from_local_datetime(&t)
        .single()
        .expect("fixed offsets are never ambiguous")
}

const MONTHS: &[(&str, u32)] = &[
    ("enero", 1),
    ("january", 1),
    ("jan", 1),
    ("ene", 1),
    ("febrero", 2),
    ("february", 2),
    ("feb", 2),
    ("marzo", 3),
    ("march", 3),
    ("mar", 3),
    ("abril", 4),
    ("april", 4),
    ("apr", 4),
    ("abr", 4),
    ("mayo", 5),
    ("may", 5),
    ("junio", 6),
    ("june", 6),
    ("jun", 6),
    ("julio", 7),
    ("july", 7),
    ("jul", 7),
    ("agosto", 8),
    ("august", 8),
    ("aug", 8),
    ("ago", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("octubre", 10),
    ("october", 10),
    ("oct", 10),
    ("noviembre", 11),
    ("november", 11),
    ("nov", 11),
    ("diciembre", 12),
    ("december", 12),
    ("dec", 12),
    ("dic", 12),
];

/// Parses a date or date-time.
///
/// Accepted, as found in the corpus: `2026-08-19T00:00:00.000`, `2025-07-23`,
/// `2020-11-26 00:00:00`, `10/17/2024 12:00:00 AM`, `06/14/2024`, `16-12-2025 05:00 p.m.`,
/// `03 de November de 2011 06:50 P.M.` and
/// `20/04/2020 8:00:00 PM ((UTC-05:00) Bogotá, Lima, Quito)`. A trailing offset in
/// parentheses is dropped: every time is Bogotá's. `Ok(None)` for empty cells and
/// placeholders.
pub fn parse_datetime(s: &str, order: DayOrder) -> Result<Option<NaiveDateTime>, ValueError> {
    if is_placeholder(s) {
        return Ok(None);
    }
    let err = |why| ValueError::new("date", s, why);
    // Drop a parenthesised zone, e.g. "((UTC-05:00) Bogotá, Lima, Quito)" or "(UTC -5 horas)".
    let t = match s.find('(') {
        Some(i) => &s[..i],
        None => s,
    };
    let t = fold(t.trim());
    let mut pm = None;
    // Normalise the meridiem markers: "p.m.", "p. m.", "pm".
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.ends_with("p.m.") || compact.ends_with("pm") {
        pm = Some(true);
    } else if compact.ends_with("a.m.") || compact.ends_with("am") {
        pm = Some(false);
    }
    let mut nums: Vec<(u32, usize)> = Vec::with_capacity(7); // value, digit count
    let mut month_word = None;
    let mut word = String::new();
    let mut num = String::new();
    let flush_word = |w: &mut String, month_word: &mut Option<u32>| {
        if !w.is_empty() {
            if let Some((_, m)) = MONTHS.iter().find(|(n, _)| *n == w.as_str()) {
                *month_word = Some(*m);
            }
            w.clear();
        }
    };
    for c in t.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            flush_word(&mut word, &mut month_word);
            num.push(c);
            continue;
        }
        if !num.is_empty() {
            if num.len() > 9 {
                return Err(err("number too long"));
            }
            nums.push((num.parse().expect("digits"), num.len()));
            num.clear();
        }
        if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            flush_word(&mut word, &mut month_word);
        }
    }
    let (y, m, d, rest) = if let Some(m) = month_word {
        // "03 de November de 2011 06:50 P.M."
        if nums.len() < 2 {
            return Err(err("day or year missing"));
        }
        let (a, b) = (nums[0], nums[1]);
        let (d, y) = if a.1 == 4 { (b.0, a.0) } else { (a.0, b.0) };
        (y as i32, m, d, &nums[2..])
    } else {
        if nums.len() < 3 {
            return Err(err("not a date"));
        }
        let (a, b, c) = (nums[0], nums[1], nums[2]);
        if a.1 == 4 {
            (a.0 as i32, b.0, c.0, &nums[3..])
        } else if c.1 == 4 || c.1 == 2 {
            let year = if c.1 == 2 {
                2000 + c.0 as i32
            } else {
                c.0 as i32
            };
            let (m, d) = if a.0 > 12 {
                (b.0, a.0)
            } else if b.0 > 12 {
                (a.0, b.0)
            } else {
                match order {
                    DayOrder::MonthFirst => (a.0, b.0),
                    DayOrder::DayFirst => (b.0, a.0),
                }
            };
            (year, m, d, &nums[3..])
        } else {
            return Err(err("no year"));
        }
    };
    if !(1900..=2200).contains(&y) {
        return Err(err("year out of range"));
    }
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| err("no such day"))?;
    let mut hms = [0u32; 3];
    for (slot, n) in hms.iter_mut().zip(rest.iter()) {
        *slot = n.0;
    }
    let mut h = hms[0];
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let time = NaiveTime::from_hms_opt(h, hms[1], hms[2]).ok_or_else(|| err("no such time"))?;
    Ok(Some(NaiveDateTime::new(date, time)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str, o: DayOrder) -> String {
        parse_datetime(s, o)
            .unwrap()
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    #[test]
    fn real_dates() {
        use DayOrder::*;
        assert_eq!(
            dt("2026-08-19T00:00:00.000", MonthFirst),
            "2026-08-19 00:00:00"
        );
        assert_eq!(dt("2025-07-23", MonthFirst), "2025-07-23 00:00:00");
        assert_eq!(dt("2020-11-26 00:00:00", MonthFirst), "2020-11-26 00:00:00");
        assert_eq!(
            dt("10/17/2024 12:00:00 AM", MonthFirst),
            "2024-10-17 00:00:00"
        );
        assert_eq!(dt("06/14/2024", MonthFirst), "2024-06-14 00:00:00");
        assert_eq!(dt("16-12-2025 05:00 p.m.", DayFirst), "2025-12-16 17:00:00");
        assert_eq!(
            dt("03 de November de 2011 06:50 P.M.", DayFirst),
            "2011-11-03 18:50:00"
        );
        assert_eq!(
            dt(
                "20/04/2020 8:00:00 PM ((UTC-05:00) Bogotá, Lima, Quito)",
                DayFirst
            ),
            "2020-04-20 20:00:00"
        );
        assert_eq!(
            dt(
                "7/04/2020 3:14:17 PM ((UTC-05:00) Bogotá, Lima, Quito)",
                DayFirst
            ),
            "2020-04-07 15:14:17"
        );
        assert_eq!(
            dt("13/04/2020 4:24 PM (UTC -5 horas)", DayFirst),
            "2020-04-13 16:24:00"
        );
        assert_eq!(
            dt("12/10/2024 12:30:00 PM", MonthFirst),
            "2024-12-10 12:30:00"
        );
        assert_eq!(dt("5 de marzo de 2024", DayFirst), "2024-03-05 00:00:00");
    }

    #[test]
    fn unknown_and_bad_dates() {
        assert_eq!(parse_datetime("Sin Firma", DayOrder::MonthFirst), Ok(None));
        assert_eq!(parse_datetime("", DayOrder::MonthFirst), Ok(None));
        assert!(parse_datetime("2025.0", DayOrder::MonthFirst).is_err());
        assert!(parse_datetime("31/02/2024", DayOrder::DayFirst).is_err());
        assert!(parse_datetime("hola", DayOrder::DayFirst).is_err());
        assert!(parse_datetime("13/13/2024", DayOrder::DayFirst).is_err());
    }

    #[test]
    fn bogota_instants() {
        let t = parse_datetime("2026-08-19T00:00:00.000", DayOrder::MonthFirst)
            .unwrap()
            .unwrap();
        assert_eq!(to_instant(t).to_rfc3339(), "2026-08-19T00:00:00-05:00");
    }
}
