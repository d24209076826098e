//! The SoQL the harvest speaks: date windows on the event's own date, a stable order, and
//! the answers of `count(*)`, `min` and `max`.

use chrono::{Duration as Span, NaiveDate, NaiveDateTime};

use crate::sources::Dataset;
use crate::{Error, Result};

/// The text form of a window bound (SoQL floating timestamp).
pub const TS: &str = "%Y-%m-%dT%H:%M:%S";

/// A slice of a dataset: rows whose event date is in `[lo, hi)`, or rows without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Window {
    /// `lo <= date < hi`.
    Range {
        /// Inclusive start.
        lo: NaiveDateTime,
        /// Exclusive end.
        hi: NaiveDateTime,
    },
    /// `date IS NULL`.
    Undated,
}

impl Window {
    /// The key stored in the state: the start bound, or `undated`.
    pub fn lo_key(&self) -> String {
        match self {
            Window::Range { lo, .. } => lo.format(TS).to_string(),
            Window::Undated => "undated".into(),
        }
    }

    /// The end bound as stored (`""` for the undated window).
    pub fn hi_key(&self) -> String {
        match self {
            Window::Range { hi, .. } => hi.format(TS).to_string(),
            Window::Undated => String::new(),
        }
    }

    /// A window back from its stored keys.
    pub fn from_keys(lo: &str, hi: &str) -> Result<Window> {
        if lo == "undated" {
            return Ok(Window::Undated);
        }
        Ok(Window::Range {
            lo: parse_ts(lo)?,
            hi: parse_ts(hi)?,
        })
    }

    /// The `$where` clause selecting the window on `column`.
    pub fn where_clause(&self, column: &str) -> String {
        match self {
            Window::Range { lo, hi } => format!(
                "{column} >= '{}' AND {column} < '{}'",
                lo.format(TS),
                hi.format(TS)
            ),
            Window::Undated => format!("{column} IS NULL"),
        }
    }

    /// Two halves at the middle second, or `None` when the window is one second wide (or
    /// undated) and cannot be split.
    pub fn split(&self) -> Option<(Window, Window)> {
        let Window::Range { lo, hi } = *self else {
            return None;
        };
        let secs = (hi - lo).num_seconds();
        if secs < 2 {
            return None;
        }
        // Cut on a day boundary when the window spans days: dates are mostly midnights.
        let mid = lo + Span::seconds(secs / 2);
        let day = mid.date().and_hms_opt(0, 0, 0).unwrap_or(mid);
        let mid = if day > lo && day < hi { day } else { mid };
        Some((Window::Range { lo, hi: mid }, Window::Range { lo: mid, hi }))
    }

    /// A label for people: `2026-01-01 … 2026-02-01` or `undated`.
    pub fn label(&self) -> String {
        match self {
            Window::Range { lo, hi } => format!("{} … {}", short(lo), short(hi)),
            Window::Undated => "undated rows".into(),
        }
    }
}

fn short(t: &NaiveDateTime) -> String {
    if t.time() == chrono::NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format(TS).to_string()
    }
}

/// Parses a SODA floating timestamp (`2026-08-19T00:00:00.000`, with or without the
/// fraction), or a plain date.
pub fn parse_ts(s: &str) -> Result<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists"))
        })
        .map_err(|_| Error::bad_request(format!("{s:?} is not a date (use YYYY-MM-DD)")))
}

/// Windows of at most one calendar year covering `[lo, hi)`: a first cut made without
/// asking the server; windows with too many rows are split further as they are counted.
pub fn year_windows(lo: NaiveDateTime, hi: NaiveDateTime) -> Vec<Window> {
    let mut out = Vec::new();
    let mut start = lo;
    while start < hi {
        use chrono::Datelike;
        let next_year = NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or(hi);
        let end = next_year.min(hi);
        out.push(Window::Range { lo: start, hi: end });
        start = end;
    }
    out
}

/// The stable `$order` of a dataset: the event date, then the business key, then `:id` so
/// that rows tied on all of those still come in one order.
pub fn order(ds: &dyn Dataset) -> String {
    let mut cols = vec![ds.date_column()];
    cols.extend(ds.order_columns().iter().copied());
    cols.push(":id");
    cols.join(",")
}

/// Reads the answer of `$select=count(*)`: `[{"count": "123"}]` (the key depends on the
/// server's alias; the single value is taken).
pub fn parse_count(body: &[u8]) -> std::result::Result<u64, String> {
    let v: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let obj = v.first().ok_or("empty answer to count(*)")?;
    let val = obj.values().next().ok_or("count(*) without a value")?;
    match val {
        serde_json::Value::String(s) => s.trim().parse().map_err(|_| format!("count {s:?}")),
        serde_json::Value::Number(n) => n.as_u64().ok_or_else(|| format!("count {n}")),
        other => Err(format!("count {other}")),
    }
}

/// Reads the answer of `$select=min(c) AS lo, max(c) AS hi`; both `None` for an empty
/// dataset.
pub fn parse_bounds(
    body: &[u8],
) -> std::result::Result<(Option<NaiveDateTime>, Option<NaiveDateTime>), String> {
    let v: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(obj) = v.first() else {
        return Ok((None, None));
    };
    let get = |k: &str| -> std::result::Result<Option<NaiveDateTime>, String> {
        match obj.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => parse_ts(s).map(Some).map_err(|e| e.to_string()),
            Some(other) => Err(format!("{k} is {other}, not a date")),
        }
    };
    Ok((get("lo")?, get("hi")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> NaiveDateTime {
        parse_ts(s).unwrap()
    }

    #[test]
    fn windows_round_trip_and_split() {
        let w = Window::Range {
            lo: ts("2026-01-01"),
            hi: ts("2026-03-01"),
        };
        assert_eq!(
            w.where_clause("fecha"),
            "fecha >= '2026-01-01T00:00:00' AND fecha < '2026-03-01T00:00:00'"
        );
        assert_eq!(Window::from_keys(&w.lo_key(), &w.hi_key()).unwrap(), w);
        let (a, b) = w.split().unwrap();
        assert_eq!(
            a,
            Window::Range {
                lo: ts("2026-01-01"),
                hi: ts("2026-01-30")
            }
        );
        assert_eq!(
            b,
            Window::Range {
                lo: ts("2026-01-30"),
                hi: ts("2026-03-01")
            }
        );
        let one = Window::Range {
            lo: ts("2026-01-01T00:00:00"),
            hi: ts("2026-01-01T00:00:01"),
        };
        assert!(one.split().is_none());
        let day = Window::Range {
            lo: ts("2026-01-01"),
            hi: ts("2026-01-02"),
        };
        let (a, _) = day.split().unwrap();
        assert_eq!(a.hi_key(), "2026-01-01T12:00:00");
        assert_eq!(Window::Undated.where_clause("f"), "f IS NULL");
        assert_eq!(Window::from_keys("undated", "").unwrap(), Window::Undated);
    }

    #[test]
    fn years() {
        let w = year_windows(ts("2024-06-01"), ts("2026-02-01"));
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].hi_key(), "2025-01-01T00:00:00");
        assert_eq!(w[2].hi_key(), "2026-02-01T00:00:00");
    }

    #[test]
    fn answers() {
        assert_eq!(parse_count(br#"[{"count":"42"}]"#), Ok(42));
        assert_eq!(parse_count(br#"[{"count_1":7}]"#), Ok(7));
        assert!(parse_count(br#"[{"count":"4"#).is_err());
        let (lo, hi) =
            parse_bounds(br#"[{"lo":"2025-12-01T00:00:00.000","hi":"2026-08-19T00:00:00.000"}]"#)
                .unwrap();
        assert_eq!(lo, Some(ts("2025-12-01")));
        assert_eq!(hi, Some(ts("2026-08-19")));
        assert_eq!(parse_bounds(b"[{}]").unwrap(), (None, None));
        assert!(parse_ts("19/08/2026").is_err());
    }
}
