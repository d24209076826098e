//! Typed access to a row's cells, with errors that name the column.

use chrono::NaiveDateTime;

use super::RowError;
use crate::model::{Party, Place};
use crate::normalize::place::Divipola;
use crate::normalize::{self, DayOrder};
use crate::sources::Row;

/// A row read through the normalisers. Lenient getters drop a bad value; strict ones
/// (`*_req`) return the error that quarantines the row.
pub(crate) struct Cells<'a> {
    pub row: &'a Row,
}

impl<'a> Cells<'a> {
    pub fn new(row: &'a Row) -> Self {
        Cells { row }
    }

    /// The raw cell, trimmed; `None` when empty or a placeholder.
    pub fn raw(&self, col: &str) -> Option<&'a str> {
        self.row.get(col).filter(|v| !normalize::is_placeholder(v))
    }

    /// An entity code as the API writes it: the web export's thousands commas
    /// (`700,610,157`) dropped, any other code kept as it is.
    pub fn code(&self, col: &str) -> Option<String> {
        let v = self.raw(col)?.trim();
        let mut parts = v.split(',');
        let first = parts.next().unwrap_or("");
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        let grouped = v.contains(',')
            && (1..=3).contains(&first.len())
            && digits(first)
            && parts.all(|p| p.len() == 3 && digits(p));
        Some(if grouped {
            v.replace(',', "")
        } else {
            v.to_string()
        })
    }

    /// A required identifier.
    pub fn key(&self, col: &'static str) -> Result<&'a str, RowError> {
        self.raw(col).ok_or(RowError::MissingKey(col))
    }

    /// Cleaned text.
    pub fn text(&self, col: &str) -> Option<String> {
        self.row.get(col).and_then(normalize::clean_text)
    }

    /// Money, strict: a cell that is not an amount quarantines the row. Zero is unknown.
    pub fn money_req(&self, col: &'static str) -> Result<Option<i64>, RowError> {
        match self.row.get(col) {
            None => Ok(None),
            Some(v) => normalize::money::parse_money_nonzero(v)
                .map_err(|error| RowError::BadValue { column: col, error }),
        }
    }

    /// Money, lenient. Zero is unknown.
    pub fn money(&self, col: &str) -> Option<i64> {
        self.row
            .get(col)
            .and_then(|v| normalize::money::parse_money_nonzero(v).ok().flatten())
    }

    /// A count (competition figures); placeholders and junk are unknown.
    pub fn count(&self, col: &str) -> Option<i64> {
        self.row
            .get(col)
            .and_then(|v| normalize::parse_money(v).ok().flatten())
            .filter(|v| *v >= 0)
    }

    /// A date, strict.
    pub fn date_req(&self, col: &'static str) -> Result<Option<NaiveDateTime>, RowError> {
        match self.row.get(col) {
            None => Ok(None),
            Some(v) => normalize::parse_datetime(v, DayOrder::MonthFirst)
                .map_err(|error| RowError::BadValue { column: col, error }),
        }
    }

    /// A date, lenient.
    pub fn date(&self, col: &str) -> Option<NaiveDateTime> {
        self.row.get(col).and_then(|v| {
            normalize::parse_datetime(v, DayOrder::MonthFirst)
                .ok()
                .flatten()
        })
    }

    /// A NIT, normalised; the raw text alongside.
    pub fn nit(&self, col: &str) -> (Option<String>, Option<String>) {
        let raw = self.raw(col);
        (
            raw.and_then(normalize::normalize_nit),
            raw.map(str::to_string),
        )
    }

    /// A party (supplier) from a name column and an id column.
    pub fn party(&self, name_col: &str, id_col: &str, kind_col: Option<&str>) -> Option<Party> {
        let name = self.text(name_col);
        let id = self.raw(id_col).and_then(normalize::normalize_nit);
        if name.is_none() && id.is_none() {
            return None;
        }
        Some(Party {
            name: name.unwrap_or_default(),
            id,
            id_kind: kind_col.and_then(|c| self.text(c)),
        })
    }

    /// Department and municipality resolved to DIVIPOLA.
    pub fn places(&self, dept_col: &str, muni_col: &str) -> (Option<Place>, Option<Place>) {
        let d_raw = self.raw(dept_col);
        let m_raw = self.raw(muni_col);
        let (d, m) = Divipola::get().resolve(d_raw, m_raw);
        let dept = match (d, d_raw) {
            (Some(d), raw) => Some(Place {
                code: Some(d.code.clone()),
                name: d.name.clone(),
                raw: raw.filter(|r| *r != d.name).map(str::to_string),
            }),
            (None, Some(raw)) => Some(Place {
                code: None,
                name: raw.to_string(),
                raw: None,
            }),
            (None, None) => None,
        };
        let muni = match (m, m_raw) {
            (Some(m), raw) => Some(Place {
                code: Some(m.code.clone()),
                name: m.name.clone(),
                raw: raw.filter(|r| *r != m.name).map(str::to_string),
            }),
            (None, Some(raw)) => Some(Place {
                code: None,
                name: raw.to_string(),
                raw: None,
            }),
            (None, None) => None,
        };
        (dept, muni)
    }
}

/// Pushes an identifier once.
pub(crate) fn push_id(ids: &mut Vec<String>, id: Option<&str>) {
    if let Some(id) = id {
        let id = id.trim();
        if !id.is_empty() && !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
}

/// The public SECOP II page of a notice, without the pop-up parameters.
pub(crate) fn secop2_notice_url(ntc: &str) -> String {
    format!(
        "https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID={ntc}&isFromPublicArea=True&isModal=False"
    )
}
