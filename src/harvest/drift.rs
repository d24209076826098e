//! Schema drift: the fields a dataset serves compared with the fields we expect.
//!
//! What we expect is what the last harvest of the source saw, or, the first time, the
//! dataset's known columns ([`Dataset::columns`]). What the source serves comes from the
//! `X-SODA2-Fields` header of each page, else from `/api/views/<id>.json`. A field that
//! went missing is warned about; when fields went missing and new ones appeared in the same
//! run, each missing one is paired with its most similar newcomer as a probable rename.
//! Unknown fields are kept in the raw row (nothing is dropped), so a later version can use
//! them after `secop reindex`.

use std::collections::BTreeSet;

use crate::sources::Dataset;

/// What changed between the expected and the served fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    /// Expected fields the source no longer serves.
    pub missing: Vec<String>,
    /// Served fields that were not expected (kept in the raw rows).
    pub unknown: Vec<String>,
    /// Probable renames: (old, new).
    pub renamed: Vec<(String, String)>,
    /// True when the expectation came from the last harvest (not the dataset's column list).
    pub against_last_run: bool,
}

impl Drift {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unknown.is_empty()
    }

    /// Lines for people, one per finding (warnings first).
    pub fn messages(&self, source: &str) -> Vec<String> {
        let mut out = Vec::new();
        let against = if self.against_last_run {
            "the last harvest"
        } else {
            "the known columns"
        };
        for (old, new) in &self.renamed {
            out.push(format!(
                "{source}: field {old:?} is gone and {new:?} appeared (compared with {against}): renamed upstream? Rows keep {new:?} in their raw form"
            ));
        }
        let renamed_old: BTreeSet<&String> = self.renamed.iter().map(|(o, _)| o).collect();
        let gone: Vec<&String> = self
            .missing
            .iter()
            .filter(|m| !renamed_old.contains(m))
            .collect();
        if !gone.is_empty() {
            out.push(format!(
                "{source}: {} expected field(s) missing (compared with {against}): {}",
                gone.len(),
                list(&gone)
            ));
        }
        out
    }
}

fn list(v: &[&String]) -> String {
    const SHOW: usize = 12;
    let mut s: Vec<String> = v.iter().take(SHOW).map(|f| f.to_string()).collect();
    if v.len() > SHOW {
        s.push(format!("… and {} more", v.len() - SHOW));
    }
    s.join(", ")
}

/// The expected fields of a source: the last harvest's, else the dataset's columns.
pub fn expected(ds: &dyn Dataset, last_run: Option<&[String]>) -> (BTreeSet<String>, bool) {
    match last_run {
        Some(f) if !f.is_empty() => (f.iter().cloned().collect(), true),
        _ => (
            ds.columns()
                .iter()
                .map(|(api, _)| api.to_string())
                .collect(),
            false,
        ),
    }
}

/// Compares served fields with the expectation. System fields (`:id`, …) are ignored.
pub fn compare(
    expected: &BTreeSet<String>,
    served: &BTreeSet<String>,
    against_last_run: bool,
) -> Drift {
    let served: BTreeSet<&String> = served.iter().filter(|f| !f.starts_with(':')).collect();
    let missing: Vec<String> = expected
        .iter()
        .filter(|f| !f.starts_with(':') && !served.contains(f))
        .cloned()
        .collect();
    let unknown: Vec<String> = served
        .iter()
        .filter(|f| !expected.contains(**f))
        .map(|f| f.to_string())
        .collect();
    let mut renamed = Vec::new();
    let mut taken = BTreeSet::new();
    for m in &missing {
        let best = unknown
            .iter()
            .filter(|u| !taken.contains(*u))
            .map(|u| (similarity(m, u), u))
            .filter(|(s, _)| *s >= 0.5)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, u)) = best {
            taken.insert(u.clone());
            renamed.push((m.clone(), u.clone()));
        }
    }
    Drift {
        missing,
        unknown,
        renamed,
        against_last_run,
    }
}

/// Similarity of two field names: shared character bigrams (Dice coefficient).
fn similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> Vec<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (ga, mut gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let total = ga.len() + gb.len();
    let mut shared = 0;
    for g in ga {
        if let Some(i) = gb.iter().position(|x| *x == g) {
            gb.swap_remove(i);
            shared += 1;
        }
    }
    2.0 * shared as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn renames_missing_and_unknown() {
        let exp = set(&["entidad", "precio_base", "fase", "urlproceso"]);
        let served = set(&["entidad", "precio_base_cop", "urlproceso", "nuevo", ":id"]);
        let d = compare(&exp, &served, true);
        assert_eq!(d.missing, vec!["fase", "precio_base"]);
        assert_eq!(d.unknown, vec!["nuevo", "precio_base_cop"]);
        assert_eq!(
            d.renamed,
            vec![("precio_base".to_string(), "precio_base_cop".to_string())]
        );
        let msgs = d.messages("secop2-procesos");
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].contains("renamed"));
        assert!(msgs[1].contains("fase"));
        assert!(compare(&exp, &exp, false).is_empty());
    }
}
