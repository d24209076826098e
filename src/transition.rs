//! The transition tracker: how far entities have moved from SECOP I to SECOP II.
//!
//! For a scope (the whole country, a department, a municipality or one entity by NIT) and a
//! period, it counts processes and their value per platform and month, derives the share
//! published on SECOP II, and lists the entities with their share, flagging those still
//! publishing mostly on SECOP I. Everything is counted from the index's fast fields by one
//! collector pass: no document is loaded.
//!
//! A share needs both platforms' data for the month. When the index holds no data at all
//! for one platform in a month (only SECOP II was harvested, say), the share is `None` and
//! the month says so, rather than showing 0 %.

use std::time::Instant;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::AllQuery;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::model::Platform;
use crate::query::{Engine, Filter, Search, SearchParams};
use crate::{Error, Result};

/// Most entities one answer lists.
pub const MAX_ENTITIES: usize = 1000;

/// What to look at, as strings from a URL or the command line.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransitionParams {
    /// One entity by NIT (any spelling).
    pub nit: Option<String>,
    /// A department: DIVIPOLA code or name.
    pub department: Option<String>,
    /// A municipality: DIVIPOLA code or name.
    pub municipality: Option<String>,
    /// First month (`2026-01` or a date).
    pub from: Option<String>,
    /// Last month (`2026-06` or a date).
    pub to: Option<String>,
    /// Entities sorted by `share` (lowest SECOP II share first), `count`, `value` or `name`.
    pub sort: Option<String>,
    /// Entities listed, 1 to 1000 (default 100).
    pub limit: Option<String>,
    /// An entity is flagged when its SECOP II share of processes is below this (0 to 1,
    /// default 0.5).
    pub threshold: Option<String>,
    /// Entities with fewer processes than this are not flagged (default 3).
    pub min_processes: Option<String>,
}

/// Processes and value on one platform.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Tally {
    /// Processes.
    pub count: u64,
    /// Sum of their values, whole COP.
    pub value: i64,
}

/// One month.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// SECOP I, or `None` when the index has no SECOP I data for this month.
    pub secop1: Option<Tally>,
    /// SECOP II, or `None` when the index has no SECOP II data for this month.
    pub secop2: Option<Tally>,
    /// Share of processes published on SECOP II; `None` when a platform has no data.
    pub share_secop2: Option<f64>,
    /// Share of value published on SECOP II; `None` when a platform has no data or no value.
    pub share_secop2_value: Option<f64>,
    /// Why a share is missing, in Spanish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One entity.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Entity {
    /// The buyer key: NIT, or `n:` and the folded name.
    pub key: String,
    /// NIT, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nit: Option<String>,
    /// The name it publishes under most.
    pub name: String,
    /// On SECOP I.
    pub secop1: Tally,
    /// On SECOP II.
    pub secop2: Tally,
    /// Share of its processes on SECOP II, over the period both platforms have data for
    /// in the index; `None` when it published nothing in that period.
    pub share_secop2: Option<f64>,
    /// The processes that share counts: on SECOP I and on SECOP II within the period both
    /// platforms have data for (`secop1` and `secop2` count the whole period asked).
    pub share_basis: (u64, u64),
    /// Still publishing mostly on SECOP I.
    pub mostly_secop1: bool,
}

/// Months each platform has data for, in the whole index.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Coverage {
    /// First and last month with SECOP I data.
    pub secop1: Option<(String, String)>,
    /// First and last month with SECOP II data.
    pub secop2: Option<(String, String)>,
}

/// The answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Transition {
    /// Months in order.
    pub months: Vec<Month>,
    /// Totals over the months both platforms have data for (its `month` names the first
    /// and last of them).
    pub totals: Month,
    /// Entities, sorted as asked.
    pub entities: Vec<Entity>,
    /// Number of entities in scope (the list may be cut).
    pub entity_count: u64,
    /// What the index holds per platform.
    pub coverage: Coverage,
    /// Time taken, milliseconds.
    pub took_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntitySort {
    Share,
    Count,
    Value,
    Name,
}

/// The validated request.
#[derive(Debug, Clone)]
pub struct Request {
    search: Search,
    from_month: Option<u64>,
    to_month: Option<u64>,
    sort: EntitySort,
    limit: usize,
    threshold: f64,
    min_processes: u64,
}

fn month_of(name: &str, s: &str) -> Result<u64> {
    let t = s.trim();
    let bad = || {
        let label = if name == "from" { "Desde" } else { "Hasta" };
        Error::invalid(
            format!("invalid month in {name}: {s:?}; write it as YYYY-MM, for example 2026-03"),
            format!(
                "mes no válido en «{label}»: «{s}»; escríbalo como AAAA-MM, por ejemplo 2026-03"
            ),
        )
    };
    let mut parts = t.split('-');
    let y: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let m: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    if let Some(d) = parts.next() {
        let d: u32 = d.parse().map_err(|_| bad())?;
        chrono::NaiveDate::from_ymd_opt(y as i32, m as u32, d).ok_or_else(bad)?;
    }
    if parts.next().is_some() || !(1900..=2200).contains(&y) || !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok(y * 100 + m)
}

fn parse_num<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    name: &str,
    s: &Option<String>,
    default: T,
    min: T,
    max: T,
) -> Result<T> {
    match s.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(default),
        Some(v) => match v.parse::<T>() {
            Ok(x) if x >= min && x <= max => Ok(x),
            _ => Err(Error::invalid(
                format!("{name} must be a number from {min} to {max}; got {v:?}"),
                format!("{name} debe ser un número de {min} a {max}; se recibió «{v}»"),
            )),
        },
    }
}

impl TransitionParams {
    /// Validates the parameters.
    pub fn validate(&self) -> Result<Request> {
        let search = SearchParams {
            nit: self.nit.clone(),
            department: self.department.clone(),
            municipality: self.municipality.clone(),
            ..SearchParams::default()
        }
        .validate()?;
        let from_month = self
            .from
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| month_of("from", x))
            .transpose()?;
        let to_month = self
            .to
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| month_of("to", x))
            .transpose()?;
        if let (Some(a), Some(b)) = (from_month, to_month)
            && a > b
        {
            return Err(Error::invalid(
                "from is after to: swap them",
                "el mes «Desde» es posterior al mes «Hasta»: intercambie los dos",
            ));
        }
        let sort = match self.sort.as_deref().map(str::trim).unwrap_or("share") {
            "" | "share" => EntitySort::Share,
            "count" => EntitySort::Count,
            "value" => EntitySort::Value,
            "name" => EntitySort::Name,
            other => {
                return Err(Error::invalid(
                    format!("unknown sort {other:?}: use share, count, value or name"),
                    format!("orden desconocido «{other}»: use share, count, value o name"),
                ));
            }
        };
        Ok(Request {
            search,
            from_month,
            to_month,
            sort,
            limit: parse_num("limit", &self.limit, 100usize, 1, MAX_ENTITIES)?,
            threshold: parse_num("threshold", &self.threshold, 0.5f64, 0.0, 1.0)?,
            min_processes: parse_num("min_processes", &self.min_processes, 3u64, 0, 1_000_000)?,
        })
    }
}

/// What one platform did in a month or for a buyer: (count, value, count in the period both
/// platforms cover).
type Acc = [(u64, i64, u64); 2];

/// Counts per month and per buyer, by platform, for the matching documents: read straight
/// from fast fields (a few nanoseconds a document), not loaded.
struct Tallies {
    both: (u64, u64),
    /// False: months only (the coverage pass), no per-buyer tallies.
    buyers: bool,
}

#[derive(Default)]
struct Fruit {
    months: HashMap<u64, Acc>,
    buyers: HashMap<String, (Acc, HashMap<String, u64>)>,
}

struct SegmentTallies {
    platform: Option<StrColumn>,
    buyer: Option<StrColumn>,
    name: Option<StrColumn>,
    month: Option<Column<u64>>,
    value: Option<Column<i64>>,
    both: (u64, u64),
    /// platform ord → index 0 (secop1) or 1 (secop2).
    plat_slot: Vec<Option<usize>>,
    months: FxHashMap<u64, Acc>,
    /// By buyer term ordinal (dense: a segment has a few thousand buyers): the tallies and
    /// the counts of each name ordinal (usually one).
    buyers: Vec<BuyerTally>,
}

/// One buyer's tallies and the counts of each of its name ordinals.
type BuyerTally = (Acc, Vec<(u64, u64)>);

fn slot_of(name: &str) -> Option<usize> {
    match Platform::parse(name) {
        Some(Platform::SecopI) => Some(0),
        Some(Platform::SecopII) => Some(1),
        None => None,
    }
}

impl Collector for Tallies {
    type Fruit = Fruit;
    type Child = SegmentTallies;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        seg: &SegmentReader,
    ) -> tantivy::Result<SegmentTallies> {
        let ff = seg.fast_fields();
        let platform = ff.str("platform")?;
        let mut plat_slot = Vec::new();
        if let Some(p) = &platform {
            let mut buf = String::new();
            for ord in 0..p.num_terms() as u64 {
                buf.clear();
                p.ord_to_str(ord, &mut buf)?;
                plat_slot.push(slot_of(&buf));
            }
        }
        let (buyer, name) = if self.buyers {
            (ff.str("buyer")?, ff.str("buyer_name")?)
        } else {
            (None, None)
        };
        let buyers = vec![Default::default(); buyer.as_ref().map_or(0, |b| b.num_terms())];
        Ok(SegmentTallies {
            platform,
            buyer,
            name,
            month: ff.u64("month").ok(),
            value: ff.i64("value").ok(),
            both: self.both,
            plat_slot,
            months: FxHashMap::default(),
            buyers,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let mut out = Fruit::default();
        for f in parts {
            for (m, acc) in f.months {
                add(out.months.entry(m).or_default(), &acc);
            }
            for (k, (acc, names)) in f.buyers {
                let e = out.buyers.entry(k).or_default();
                add(&mut e.0, &acc);
                for (n, c) in names {
                    *e.1.entry(n).or_default() += c;
                }
            }
        }
        Ok(out)
    }
}

fn add(a: &mut Acc, b: &Acc) {
    for i in 0..2 {
        a[i].0 += b[i].0;
        a[i].1 += b[i].1;
        a[i].2 += b[i].2;
    }
}

impl SegmentCollector for SegmentTallies {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(slot) = self
            .platform
            .as_ref()
            .and_then(|p| p.ords().first(doc))
            .and_then(|o| self.plat_slot.get(o as usize).copied().flatten())
        else {
            return;
        };
        let value = self.value.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        let month = self.month.as_ref().and_then(|c| c.first(doc));
        let in_both = month.is_some_and(|m| m >= self.both.0 && m <= self.both.1) as u64;
        if let Some(m) = month {
            let acc = &mut self.months.entry(m).or_default()[slot];
            acc.0 += 1;
            acc.1 += value;
        }
        if let Some(b) = self.buyer.as_ref().and_then(|c| c.ords().first(doc))
            && let Some(e) = self.buyers.get_mut(b as usize)
        {
            e.0[slot].0 += 1;
            e.0[slot].1 += value;
            e.0[slot].2 += in_both;
            if let Some(n) = self.name.as_ref().and_then(|c| c.ords().first(doc)) {
                match e.1.iter_mut().find(|(o, _)| *o == n) {
                    Some((_, c)) => *c += 1,
                    None => e.1.push((n, 1)),
                }
            }
        }
    }

    fn harvest(self) -> Fruit {
        let mut out = Fruit {
            months: self.months.into_iter().collect(),
            buyers: HashMap::new(),
        };
        let (Some(buyer_col), name_col) = (&self.buyer, &self.name) else {
            return out;
        };
        // Term ordinals to text in one sorted pass over each dictionary (a lookup per
        // ordinal would decompress a block each time).
        let texts = |col: &StrColumn, mut ords: Vec<u64>| -> HashMap<u64, String> {
            ords.sort_unstable();
            ords.dedup();
            let mut out = HashMap::with_capacity(ords.len());
            let mut it = ords.iter();
            let _ = col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                if let Some(&o) = it.next() {
                    out.insert(o, String::from_utf8_lossy(bytes).into_owned());
                }
            });
            out
        };
        // Only the buyers with a matching document.
        let seen: Vec<(u64, BuyerTally)> = self
            .buyers
            .into_iter()
            .enumerate()
            .filter(|(_, (acc, _))| acc[0].0 + acc[1].0 > 0)
            .map(|(o, e)| (o as u64, e))
            .collect();
        out.buyers.reserve(seen.len());
        let buyer_text = texts(buyer_col, seen.iter().map(|(o, _)| *o).collect());
        let name_text = match name_col {
            Some(nc) => texts(
                nc,
                seen.iter()
                    .flat_map(|(_, (_, n))| n.iter().map(|(o, _)| *o))
                    .collect(),
            ),
            None => HashMap::new(),
        };
        for (ord, (acc, names)) in seen {
            let Some(key) = buyer_text.get(&ord) else {
                continue;
            };
            let named = names
                .into_iter()
                .filter_map(|(n, c)| name_text.get(&n).map(|t| (t.clone(), c)))
                .collect();
            out.buyers.insert(key.clone(), (acc, named));
        }
        out
    }
}

fn share(a: u64, b: u64) -> Option<f64> {
    let t = a + b;
    (t > 0).then(|| b as f64 / t as f64)
}

fn share_value(a: i64, b: i64) -> Option<f64> {
    let t = a + b;
    (t > 0).then(|| b as f64 / t as f64)
}

fn fmt_month(m: u64) -> String {
    format!("{:04}-{:02}", m / 100, m % 100)
}

/// The months each platform has data for in the whole index, sorted.
type MonthsCovered = (Vec<u64>, Vec<u64>);

/// The coverage of the last indexes seen, by their segments: it changes only with a commit,
/// and counting it costs a pass over every document.
static COVERAGE: Mutex<Vec<(String, Arc<MonthsCovered>)>> = Mutex::new(Vec::new());

/// What the whole index holds per platform and month.
fn coverage(searcher: &Searcher) -> Result<Arc<MonthsCovered>> {
    // Segment ids are unique and the opstamp changes with deletions: this names the
    // index's contents.
    let key = format!("{:?}", searcher.generation().segments());
    let cached = |c: &Vec<(String, Arc<MonthsCovered>)>| {
        c.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
    };
    if let Some(v) = cached(&COVERAGE.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(v);
    }
    let all = searcher.search(
        &AllQuery,
        &Tallies {
            both: (0, 0),
            buyers: false,
        },
    )?;
    let months_of = |slot: usize| {
        let mut v: Vec<u64> = all
            .months
            .iter()
            .filter(|(_, a)| a[slot].0 > 0)
            .map(|(m, _)| *m)
            .collect();
        v.sort_unstable();
        v
    };
    let v = Arc::new((months_of(0), months_of(1)));
    let mut c = COVERAGE.lock().unwrap_or_else(|e| e.into_inner());
    if c.len() >= 8 {
        c.remove(0);
    }
    c.push((key, v.clone()));
    Ok(v)
}

/// Runs the tracker.
pub fn run(engine: &Engine, r: &Request) -> Result<Transition> {
    let t0 = Instant::now();
    let searcher = engine.index().reader.searcher();
    let cov = coverage(&searcher)?;
    let (cov1, cov2) = (&cov.0, &cov.1);
    // The period both platforms have data for, for the entities' shares.
    let both = match (cov1.first(), cov1.last(), cov2.first(), cov2.last()) {
        (Some(&a1), Some(&b1), Some(&a2), Some(&b2)) if a1.max(a2) <= b1.min(b2) => {
            Some((a1.max(a2), b1.min(b2)))
        }
        _ => None,
    };
    let mut search = r.search.clone();
    if r.from_month.is_some() || r.to_month.is_some() {
        // Month bounds as a publication range: first second of the first month to the last
        // second of the last.
        let lo = r.from_month.map(month_start);
        let hi = r.to_month.map(|m| month_start(next_month(m)) - 1);
        search.filters.push(Filter::Published(lo, hi));
    }
    let query = engine.query(&search, &mut Vec::new())?;
    let fruit = searcher.search(
        &*query,
        &Tallies {
            both: both.unwrap_or((1, 0)),
            buyers: true,
        },
    )?;
    let covered = |m: u64| {
        (
            cov1.binary_search(&m).is_ok(),
            cov2.binary_search(&m).is_ok(),
        )
    };
    let t = |a: &(u64, i64, u64)| Tally {
        count: a.0,
        value: a.1,
    };

    let mut month_keys: Vec<u64> = fruit.months.keys().copied().collect();
    month_keys.sort_unstable();
    let mut months = Vec::with_capacity(month_keys.len());
    let mut tot = [Tally::default(); 2];
    for m in month_keys {
        let acc = fruit.months[&m];
        let (t1, t2) = (t(&acc[0]), t(&acc[1]));
        let (c1, c2) = covered(m);
        let note = match (c1, c2) {
            (true, true) => None,
            (false, true) => Some("sin datos de SECOP I para este mes en el índice".to_string()),
            (true, false) => Some("sin datos de SECOP II para este mes en el índice".to_string()),
            (false, false) => Some("sin datos".to_string()),
        };
        if c1 && c2 {
            for (i, x) in [t1, t2].into_iter().enumerate() {
                tot[i].count += x.count;
                tot[i].value += x.value;
            }
        }
        months.push(Month {
            month: fmt_month(m),
            secop1: c1.then_some(t1),
            secop2: c2.then_some(t2),
            share_secop2: if c1 && c2 {
                share(t1.count, t2.count)
            } else {
                None
            },
            share_secop2_value: if c1 && c2 {
                share_value(t1.value, t2.value)
            } else {
                None
            },
            note,
        });
    }
    let both_any = months.iter().any(|m| m.note.is_none());
    // The totals count the months both platforms have data for: the label says which.
    let mut totalled = months.iter().filter(|m| m.note.is_none() || !both_any);
    let first = totalled.next();
    let totals = Month {
        month: match (first, totalled.next_back().or(first)) {
            (Some(a), Some(b)) => format!("{}..{}", a.month, b.month),
            _ => String::new(),
        },
        secop1: both_any.then_some(tot[0]),
        secop2: both_any.then_some(tot[1]),
        share_secop2: if both_any {
            share(tot[0].count, tot[1].count)
        } else {
            None
        },
        share_secop2_value: if both_any {
            share_value(tot[0].value, tot[1].value)
        } else {
            None
        },
        note: (!both_any).then(|| {
            "ningún mes del periodo tiene datos de ambas plataformas en el índice".to_string()
        }),
    };

    let mut entities: Vec<Entity> = fruit
        .buyers
        .into_iter()
        .map(|(key, (acc, names))| {
            let share_secop2 = share(acc[0].2, acc[1].2);
            let name = names
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .map_or_else(|| key.clone(), |(n, _)| n);
            Entity {
                nit: (!key.starts_with("n:")).then(|| key.clone()),
                mostly_secop1: share_secop2.is_some_and(|s| s < r.threshold)
                    && acc[0].2 + acc[1].2 >= r.min_processes,
                key,
                name,
                secop1: t(&acc[0]),
                secop2: t(&acc[1]),
                share_secop2,
                share_basis: (acc[0].2, acc[1].2),
            }
        })
        .collect();
    match r.sort {
        EntitySort::Share => entities.sort_by(|a, b| {
            // Lowest share first (the ones to look at), unknown shares last.
            a.share_secop2
                .unwrap_or(2.0)
                .total_cmp(&b.share_secop2.unwrap_or(2.0))
                .then_with(|| {
                    (b.secop1.count + b.secop2.count).cmp(&(a.secop1.count + a.secop2.count))
                })
                .then_with(|| a.key.cmp(&b.key))
        }),
        EntitySort::Count => entities.sort_by(|a, b| {
            (b.secop1.count + b.secop2.count)
                .cmp(&(a.secop1.count + a.secop2.count))
                .then_with(|| a.key.cmp(&b.key))
        }),
        EntitySort::Value => entities.sort_by(|a, b| {
            (b.secop1.value + b.secop2.value)
                .cmp(&(a.secop1.value + a.secop2.value))
                .then_with(|| a.key.cmp(&b.key))
        }),
        EntitySort::Name => {
            entities.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)))
        }
    }
    let entity_count = entities.len() as u64;
    entities.truncate(r.limit);
    let span = |c: &[u64]| -> Option<(String, String)> {
        Some((fmt_month(*c.first()?), fmt_month(*c.last()?)))
    };
    Ok(Transition {
        months,
        totals,
        entities,
        entity_count,
        coverage: Coverage {
            secop1: span(cov1),
            secop2: span(cov2),
        },
        took_ms: t0.elapsed().as_secs_f64() * 1000.0,
    })
}

/// Unix seconds of the first instant of a `yyyymm` month, Bogotá time.
fn month_start(m: u64) -> i64 {
    let d = chrono::NaiveDate::from_ymd_opt((m / 100) as i32, (m % 100) as u32, 1)
        .expect("validated month")
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    crate::index::document::seconds(d)
}

fn next_month(m: u64) -> u64 {
    if m % 100 == 12 {
        (m / 100 + 1) * 100 + 1
    } else {
        m + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_bound() {
        assert_eq!(month_of("from", "2026-03").unwrap(), 202603);
        assert_eq!(month_of("from", "2026-03-31").unwrap(), 202603);
        assert!(month_of("from", "2026-13").is_err());
        assert!(month_of("from", "2026-02-30").is_err());
        assert!(month_of("from", "marzo").is_err());
        assert_eq!(next_month(202612), 202701);
        assert!(month_start(202603) < month_start(202604));
    }

    #[test]
    fn shares() {
        assert_eq!(share(1, 3), Some(0.75));
        assert_eq!(share(0, 0), None);
    }
}
