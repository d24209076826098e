//! How values are shown to people in Colombia: pesos as `$ 1.234.567`, dates as
//! `dd/mm/aaaa`. Shared by the CLI, the web page, the feeds and the exports.

use chrono::NaiveDateTime;

/// Formats whole pesos the Colombian way: `$ 1.234.567`.
pub fn format_cop(v: i64) -> String {
    let out = group_thousands(v.unsigned_abs(), '.');
    format!("{}$ {out}", if v < 0 { "-" } else { "" })
}

/// The digits of `n` with `sep` between thousands: `1.234.567`, or `1,234,567`.
pub fn group_thousands(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A platform's published label (`modality_raw`, `status_raw`, …) as shown beside ours:
/// `None` when it is empty or says the same; SECOP I's lost accented capitals put back
/// (`LICITACIoN PuBLICA` → `LICITACIÓN PÚBLICA`). The record keeps it as published.
pub fn published_label(ours: &str, raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|r| !r.is_empty() && *r != ours)
        .map(|r| crate::normalize::text::restore_lost_capitals(r.to_string()))
}

/// A whole number with dots between thousands: `12.345`.
pub fn format_int(v: u64) -> String {
    group_thousands(v, '.')
}

/// A count with its noun in the singular or the plural: `1 par`, `12.345 pares`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", format_int(n), if n == 1 { one } else { many })
}

/// A date as `dd/mm/aaaa`.
pub fn format_date(t: NaiveDateTime) -> String {
    t.format("%d/%m/%Y").to_string()
}

/// A date and time as `dd/mm/aaaa hh:mm`, or only the date when the time is midnight
/// (most sources publish dates without a time).
pub fn format_datetime(t: NaiveDateTime) -> String {
    if t.time() == chrono::NaiveTime::MIN {
        format_date(t)
    } else {
        t.format("%d/%m/%Y %H:%M").to_string()
    }
}

/// A date-time as ISO 8601 for spreadsheets: `2026-08-19 14:30:00`.
pub fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesos_the_colombian_way() {
        assert_eq!(format_cop(1_234_567), "$ 1.234.567");
        assert_eq!(format_cop(0), "$ 0");
        assert_eq!(format_cop(999), "$ 999");
        assert_eq!(format_cop(-1000), "-$ 1.000");
        assert_eq!(format_int(12_345), "12.345");
        // Beyond i64::MAX, where a detour through the signed pesos would wrap.
        assert_eq!(format_int(u64::MAX), "18.446.744.073.709.551.615");
        assert_eq!(count(1, "par", "pares"), "1 par");
        assert_eq!(count(0, "par", "pares"), "0 pares");
        assert_eq!(count(1_500, "entidad", "entidades"), "1.500 entidades");
    }

    #[test]
    fn dates_day_first() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 8, 9)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(format_date(t), "09/08/2026");
        assert_eq!(format_datetime(t), "09/08/2026");
        let t = t + chrono::Duration::minutes(17 * 60 + 5);
        assert_eq!(format_datetime(t), "09/08/2026 17:05");
        assert_eq!(iso(t), "2026-08-09 17:05:00");
    }
}
