//! When a search finds nothing: which one word or one filter, left out, finds something.
//!
//! A provider who types `cemento hidraulico` and filters on Vaupés gets "no process" and
//! no idea why. Each word of the text and each filter is dropped in turn, the rest kept,
//! and every such search that finds processes is offered with its count ("sin
//! «hidraulico»: 120"). When no single word is enough, a short text of three to five words
//! tries each pair of its words left out ("sin «hidraulico» ni «quirurgico»"). Only
//! searches that found nothing pay for it, and each try is one count.

use super::{Engine, Search, SearchParams, SearchResult, text};
use crate::Result;

/// Parts of the text tried at most (each costs one count).
const MAX_WORDS: usize = 8;

/// Texts of at most this many parts also try leaving out two of them (ten pairs at most).
const MAX_PAIR_WORDS: usize = 5;

/// Relaxations offered at most.
pub const MAX_RELAXATIONS: usize = 6;

/// No new try starts after this long: a long text of broad words with many filters could
/// otherwise count two dozen broad intersections (16 ms for six of them on a million
/// documents, BENCHMARKS.md), and a search that found nothing must not cost a hundred.
const BUDGET: std::time::Duration = std::time::Duration::from_millis(150);

/// What a relaxation leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Without {
    /// One or two words or "phrases" of the text, as written (with their `-` when
    /// excluded). Two only when no single one is enough.
    Words(Vec<String>),
    /// A filter, by its parameter name (`department`, `value` for `min_value` and
    /// `max_value`, `dates` for `from` and `to`, `due` for `due_from` and `due_to`).
    Filter(&'static str),
    /// Every filter (offered only when no single one is enough).
    AllFilters,
}

/// A wider search than the one asked, and what it finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Relaxation {
    /// What it leaves out.
    pub without: Without,
    /// The search's parameters (page and cursor cleared).
    pub params: SearchParams,
    /// Processes it finds.
    pub total: u64,
}

/// The filters as groups of parameters that are dropped together, by name.
const FILTERS: &[(&str, &[&str])] = &[
    ("platform", &["platform"]),
    ("nit", &["nit"]),
    ("entity", &["entity"]),
    ("department", &["department"]),
    ("municipality", &["municipality"]),
    ("modality", &["modality"]),
    ("status", &["status"]),
    ("contract_type", &["contract_type"]),
    ("unspsc", &["unspsc"]),
    ("supplier", &["supplier"]),
    ("dataset", &["dataset"]),
    ("dates", &["from", "to"]),
    ("due", &["due_from", "due_to"]),
    ("open", &["open"]),
    ("value", &["min_value", "max_value"]),
];

/// The parameter a filter group names, for clearing and testing.
fn slot<'a>(p: &'a mut SearchParams, name: &str) -> Option<&'a mut Option<String>> {
    Some(match name {
        "platform" => &mut p.platform,
        "nit" => &mut p.nit,
        "entity" => &mut p.entity,
        "department" => &mut p.department,
        "municipality" => &mut p.municipality,
        "modality" => &mut p.modality,
        "status" => &mut p.status,
        "contract_type" => &mut p.contract_type,
        "unspsc" => &mut p.unspsc,
        "supplier" => &mut p.supplier,
        "dataset" => &mut p.dataset,
        "from" => &mut p.from,
        "to" => &mut p.to,
        "due_from" => &mut p.due_from,
        "due_to" => &mut p.due_to,
        "open" => &mut p.open,
        "min_value" => &mut p.min_value,
        "max_value" => &mut p.max_value,
        _ => return None,
    })
}

fn is_set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|x| !x.trim().is_empty())
}

/// Leaves out a filter group's parameters.
fn clear(p: &mut SearchParams, group: &[&str]) {
    for n in group {
        if let Some(v) = slot(p, n) {
            *v = None;
        }
    }
}

/// The filter groups a search uses.
fn used_filters(p: &SearchParams) -> Vec<(&'static str, &'static [&'static str])> {
    let mut p = p.clone();
    FILTERS
        .iter()
        .filter(|(_, params)| {
            params
                .iter()
                .any(|n| slot(&mut p, n).is_some_and(|v| is_set(v)))
        })
        .copied()
        .collect()
}

/// Runs a search, and when it finds nothing, its [`relaxations`] too. `search` is
/// `asked` validated.
pub fn search_or_widen(
    engine: &Engine,
    search: &Search,
    asked: &SearchParams,
    with_facets: bool,
) -> Result<(SearchResult, Vec<Relaxation>)> {
    let r = engine.search(search, with_facets)?;
    let wider = if r.total == 0 {
        relaxations(engine, asked)?
    } else {
        Vec::new()
    };
    Ok((r, wider))
}

/// The wider searches that find something, most hits first, for a search that found
/// nothing. Words are dropped only from a text of words and phrases (one with `OR` has a
/// grouping that only the parser knows).
pub fn relaxations(engine: &Engine, asked: &SearchParams) -> Result<Vec<Relaxation>> {
    let mut base = asked.clone();
    base.page = None;
    base.cursor = None;
    let mut out = Vec::new();
    let started = std::time::Instant::now();
    let count = |without: Without, params: SearchParams| -> Result<Option<Relaxation>> {
        if started.elapsed() > BUDGET {
            return Ok(None);
        }
        // Leaving something out cannot make valid parameters invalid, save a municipality
        // named only within the department left out: that one is skipped.
        let Ok(search) = params.validate() else {
            return Ok(None);
        };
        let (total, _) = engine.count(&search)?;
        Ok((total > 0).then_some(Relaxation {
            without,
            params,
            total,
        }))
    };
    let tidied = base
        .q
        .as_deref()
        .map(|q| text::tidy(&text::plain_syntax(q)))
        .unwrap_or_default();
    let parts = text::plain_parts(&tidied)
        .filter(|p| p.len() >= 2)
        .unwrap_or_default();
    // Leaves out the parts of the text whose positions `skip` holds. What is left must ask
    // for something: `-cemento` alone would offer nearly the whole index.
    let without = |skip: &[usize]| -> Result<Option<Relaxation>> {
        let rest: Vec<&str> = parts
            .iter()
            .enumerate()
            .filter(|(j, _)| !skip.contains(j))
            .map(|(_, p)| *p)
            .collect();
        if rest.iter().all(|p| p.starts_with('-')) {
            return Ok(None);
        }
        let words = skip.iter().map(|&i| parts[i].to_string()).collect();
        let params = SearchParams {
            q: Some(rest.join(" ")),
            ..base.clone()
        };
        count(Without::Words(words), params)
    };
    for i in 0..parts.len().min(MAX_WORDS) {
        out.extend(without(&[i])?);
    }
    let filters = used_filters(&base);
    for (name, group) in &filters {
        let mut params = base.clone();
        clear(&mut params, group);
        out.extend(count(Without::Filter(name), params)?);
    }
    // Two words only when no single condition is enough.
    if out.is_empty() && (3..=MAX_PAIR_WORDS).contains(&parts.len()) {
        for i in 0..parts.len() {
            for j in i + 1..parts.len() {
                out.extend(without(&[i, j])?);
            }
        }
    }
    let by_filter = out.iter().any(|r| matches!(r.without, Without::Filter(_)));
    if filters.len() >= 2 && !by_filter {
        let mut params = base.clone();
        for (_, group) in &filters {
            clear(&mut params, group);
        }
        out.extend(count(Without::AllFilters, params)?);
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.total));
    out.truncate(MAX_RELAXATIONS);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_parameter_has_a_group_and_a_slot() {
        let mut p = SearchParams::default();
        for (_, group) in FILTERS {
            for n in *group {
                assert!(slot(&mut p, n).is_some(), "{n}");
            }
        }
        // Every parameter but the text, the order and the paging is a filter.
        let all = serde_json::to_value(SearchParams::default()).unwrap();
        let names: Vec<&str> = FILTERS
            .iter()
            .flat_map(|(_, g)| g.iter().copied())
            .collect();
        for k in all.as_object().unwrap().keys() {
            let k = k.as_str();
            if !["q", "sort", "page", "per_page", "cursor"].contains(&k) {
                assert!(names.contains(&k), "parameter {k} is in no filter group");
            }
        }
    }

    #[test]
    fn the_used_filters_are_found_by_group() {
        let p = SearchParams {
            department: Some("97".into()),
            min_value: Some("1000".into()),
            to: Some("2025-01-01".into()),
            modality: Some("  ".into()),
            ..Default::default()
        };
        let names: Vec<&str> = used_filters(&p).iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["department", "dates", "value"]);
    }
}
