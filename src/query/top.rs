//! Who buys and who wins: the buyers or the suppliers of a search's hits, with how many
//! processes and how much value each has, biggest first.
//!
//! Counted exactly from fast fields in one unscored pass over the hits (no document is
//! loaded): per segment, a tally per term ordinal of the key column (`buyer`, or the
//! multi-valued `supplier_ids`, read with `supplier_values`, each supplier's share of a
//! process's awarded total), turned into text once per segment and merged. A buyer is
//! named by the spelling most of its hits use (the `buyer_name` column), and its entry
//! lists the other names its NIT publishes under (one NIT is often many units: ICBF's
//! regional offices, a city's secretariats); a supplier, which
//! has no name column, by the first of its hits, one stored record for each entry shown.

use std::time::Instant;

use rustc_hash::FxHashMap;
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{BooleanQuery, TermQuery, TermSetQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, Term};

use super::{Engine, Search};
use crate::index::document::{buyer_key, supplier_key};
use crate::index::schema::Fields;
use crate::model::Modality;
use crate::normalize::place::place_label;
use crate::{Error, Result};

/// Most entries one answer lists.
pub const MAX_LIMIT: usize = 100;

/// Entries listed unless told otherwise.
pub const DEFAULT_LIMIT: usize = 10;

/// Whom to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopBy {
    /// The buying entities; value is the processes' value (estimate, else awarded).
    Buyer,
    /// The awarded suppliers; value is what they won: their own awards or contracts in the
    /// processes they won ([`crate::index::document::supplier_shares`]).
    Supplier,
}

impl TopBy {
    /// Reads `buyer` or `supplier` (Spanish words too).
    pub fn parse(s: &str) -> Result<TopBy> {
        match s.trim().to_lowercase().as_str() {
            "buyer" | "buyers" | "entidad" | "comprador" => Ok(TopBy::Buyer),
            "supplier" | "suppliers" | "proveedor" | "contratista" => Ok(TopBy::Supplier),
            other => Err(Error::invalid(
                format!("by must be buyer or supplier, not {other:?}"),
                format!("by debe ser buyer (entidades) o supplier (proveedores), no «{other}»"),
            )),
        }
    }

    /// Its name in URLs and JSON (`buyer`, `supplier`).
    pub fn as_str(self) -> &'static str {
        match self {
            TopBy::Buyer => "buyer",
            TopBy::Supplier => "supplier",
        }
    }

    /// The indexed field of the key (the fast column [`TopBy::key_column`] names).
    fn key_field(self, f: &Fields) -> tantivy::schema::Field {
        match self {
            TopBy::Buyer => f.buyer,
            TopBy::Supplier => f.supplier_ids,
        }
    }

    fn key_column(self) -> &'static str {
        match self {
            TopBy::Buyer => "buyer",
            TopBy::Supplier => "supplier_ids",
        }
    }

    fn value_column(self) -> &'static str {
        match self {
            TopBy::Buyer => "value",
            TopBy::Supplier => "awarded",
        }
    }
}

/// The order of the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopOrder {
    /// Largest value first.
    Value,
    /// Most processes first.
    Count,
}

impl TopOrder {
    /// Reads `value` or `count`.
    pub fn parse(s: &str) -> Result<TopOrder> {
        match s.trim().to_lowercase().as_str() {
            "value" | "valor" => Ok(TopOrder::Value),
            "count" | "procesos" => Ok(TopOrder::Count),
            other => Err(Error::invalid(
                format!("order must be value or count, not {other:?}"),
                format!("order debe ser value (valor) o count (procesos), no «{other}»"),
            )),
        }
    }

    /// Its name in URLs and JSON (`value`, `count`).
    pub fn as_str(self) -> &'static str {
        match self {
            TopOrder::Value => "value",
            TopOrder::Count => "count",
        }
    }
}

/// The parameters of `GET /api/top` besides the search's, as strings from the URL.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize, PartialEq, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopParams {
    /// `buyer` (default): the entities, valued at their processes' value; or `supplier`:
    /// the awarded suppliers, valued at what they won (their own awards or contracts: when
    /// several won parts of one process, each has its part).
    pub by: Option<String>,
    /// `value` (default, largest first) or `count` (most processes first).
    pub order: Option<String>,
    /// Entries listed, 1 to 100 (default 10).
    pub limit: Option<String>,
}

impl TopParams {
    /// Whom, in which order, how many; a bad value is an [`Error::BadRequest`].
    pub fn validate(&self) -> Result<(TopBy, TopOrder, usize)> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let by = given(&self.by).map_or(Ok(TopBy::Buyer), TopBy::parse)?;
        let order = given(&self.order).map_or(Ok(TopOrder::Value), TopOrder::parse)?;
        let limit = match given(&self.limit) {
            None => DEFAULT_LIMIT,
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    Error::invalid(
                        format!(
                            "limit must be a whole number between 1 and {MAX_LIMIT}, not {s:?}"
                        ),
                        format!("limit debe ser un número entero entre 1 y {MAX_LIMIT}, no «{s}»"),
                    )
                })?,
        };
        Ok((by, order, limit))
    }
}

/// One buyer or supplier.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct TopEntry {
    /// The index's key: the NIT or document number, or `n:` and the folded name when the
    /// records give none.
    pub key: String,
    /// The NIT or document number, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name as a record of it writes it: for a buyer, the spelling most of its hits
    /// use. One NIT is often several units that publish under their own names (ICBF's
    /// regional offices, a city's secretariats), so see `names` and `other_names`.
    pub name: String,
    /// Buyers only: how many distinct names the hits give this NIT (1 when all agree).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<u64>,
    /// Buyers only: the other names, most hits first, at most [`MAX_OTHER_NAMES`], each
    /// with its processes; empty when every hit writes `name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_names: Vec<TopName>,
    /// Buyers only, when the hits seat this NIT in more than one municipality: how many.
    /// One NIT is then several entities: a national entity's regional offices, or a NIT
    /// mistyped on SECOP I (890981195 is Abejorral's, and some SECOP I rows of Ábrego's
    /// mayor's office carry it). See `seats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipalities: Option<u64>,
    /// The municipalities behind `municipalities`, most hits first, at most
    /// [`MAX_OTHER_NAMES`] + 1.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seats: Vec<TopSeat>,
    /// Matching processes.
    pub count: u64,
    /// Their value, whole COP (see [`TopBy`]).
    pub value: i64,
    /// Share of the hits' value (0 to 1; 0 when the hits have no value).
    pub value_share: f64,
    /// Share of the hits (0 to 1).
    pub count_share: f64,
    /// Of `count`, the processes by direct contracting (`contratacion_directa`: no
    /// competing offers), the figure journalists ask for first.
    pub direct_count: u64,
    /// Of `value`, theirs.
    pub direct_value: i64,
}

impl TopEntry {
    /// The part of its processes made by direct contracting (0 to 1).
    pub fn direct_share(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.direct_count as f64 / self.count as f64
        }
    }
}

/// Most other names one entry lists.
pub const MAX_OTHER_NAMES: usize = 5;

/// A municipality a buyer's hits are seated in.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct TopSeat {
    /// DIVIPOLA code.
    pub code: String,
    /// The official name and its department (`Ábrego, Norte de Santander`).
    pub name: String,
    /// Matching processes of the buyer seated there.
    pub count: u64,
}

/// One of the names a buyer's hits give it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct TopName {
    /// The name as published.
    pub name: String,
    /// Matching processes published under it.
    pub count: u64,
}

/// Who buys or wins in a search's hits.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Top {
    /// Buyers or suppliers.
    pub by: TopBy,
    /// The order of `entries`.
    pub order: TopOrder,
    /// The search's hits.
    pub total: u64,
    /// The hits' value, whole COP (as [`TopBy`] counts it).
    pub total_value: i64,
    /// Hits without any buyer or supplier of this kind (a process not yet awarded has no
    /// supplier).
    pub without: u64,
    /// Distinct buyers or suppliers in the hits.
    pub distinct: u64,
    /// The biggest, at most the limit asked for.
    pub entries: Vec<TopEntry>,
    /// Time taken, milliseconds.
    pub took_ms: f64,
    /// What of the search's text was not searched, and why (in English; `/quien` shows
    /// the Spanish).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub warnings: Vec<crate::Message>,
}

impl Engine {
    /// The buyers or suppliers of the hits of `s`, biggest first by `order`, at most `limit`.
    pub fn top(&self, s: &Search, by: TopBy, order: TopOrder, limit: usize) -> Result<Top> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid(
                format!("limit must be between 1 and {MAX_LIMIT}, not {limit}"),
                format!("limit debe estar entre 1 y {MAX_LIMIT}, no {limit}"),
            ));
        }
        let t0 = Instant::now();
        let searcher = self.index.reader.searcher();
        let mut warnings = Vec::new();
        let query = self.query(s, &mut warnings)?;
        let fruit = searcher.search(&*query, &Tally { by })?;
        let mut all: Vec<(String, KeyTally)> = fruit.keys.into_iter().collect();
        let rank = |e: &(String, KeyTally)| match order {
            TopOrder::Value => (e.1.value, e.1.count as i64),
            TopOrder::Count => (e.1.count as i64, e.1.value),
        };
        all.sort_unstable_by(|a, b| rank(b).cmp(&rank(a)).then_with(|| a.0.cmp(&b.0)));
        let distinct = all.len() as u64;
        all.truncate(limit);
        // The listed entries' hits alone, for the passes below: one more column read for
        // every hit of the first pass would cost a third more.
        let f = &self.index.fields;
        let key_field = by.key_field(f);
        let listed = BooleanQuery::intersection(vec![
            query.box_clone(),
            Box::new(TermSetQuery::new(
                all.iter().map(|(k, _)| Term::from_field_text(key_field, k)),
            )),
        ]);
        // The buyers' municipalities.
        let mut seat_tally = match by {
            TopBy::Buyer if !all.is_empty() => searcher.search(&listed, &SeatTally)?,
            _ => FxHashMap::default(),
        };
        // Their hits by direct contracting (no competition): the same tally, narrowed.
        let mut direct = if all.is_empty() {
            FxHashMap::default()
        } else {
            let direct_only = BooleanQuery::intersection(vec![
                Box::new(listed),
                Box::new(TermQuery::new(
                    Term::from_field_text(f.modality, Modality::ContratacionDirecta.code()),
                    IndexRecordOption::Basic,
                )),
            ]);
            let fruit = searcher.search(&direct_only, &Tally { by })?;
            fruit.keys.into_iter().collect::<FxHashMap<_, _>>()
        };
        let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
        let mut entries = Vec::with_capacity(all.len());
        for (key, t) in all {
            // The spelling most of the hits use (ties: the first in order), then the rest.
            let mut spellings = t.names;
            spellings.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let names = (by == TopBy::Buyer).then_some(spellings.len().max(1) as u64);
            let mut spellings = spellings.into_iter();
            let common = spellings.next().map(|(n, _)| n);
            let other_names = spellings
                .take(MAX_OTHER_NAMES)
                .map(|(name, count)| TopName { name, count })
                .collect();
            let (municipalities, seats) = seats_of(seat_tally.remove(&key).unwrap_or_default());
            let name = match common {
                Some(n) => n,
                None => self
                    .name_of(&searcher, &*query, by, &key)?
                    .unwrap_or_else(|| key.strip_prefix("n:").unwrap_or(&key).to_string()),
            };
            let (direct_count, direct_value) =
                direct.remove(&key).map_or((0, 0), |d| (d.count, d.value));
            entries.push(TopEntry {
                direct_count,
                direct_value,
                id: (!key.starts_with("n:")).then(|| key.clone()),
                key,
                name,
                names,
                other_names,
                municipalities,
                seats,
                count: t.count,
                value: t.value,
                value_share: share(t.value as f64, fruit.value as f64),
                count_share: share(t.count as f64, fruit.total as f64),
            });
        }
        Ok(Top {
            by,
            order,
            total: fruit.total,
            total_value: fruit.value,
            without: fruit.without,
            distinct,
            entries,
            took_ms: t0.elapsed().as_secs_f64() * 1000.0,
            warnings,
        })
    }

    /// The name of a buyer or supplier as the first of the hits that has its key writes it.
    fn name_of(
        &self,
        searcher: &tantivy::Searcher,
        hits: &dyn tantivy::query::Query,
        by: TopBy,
        key: &str,
    ) -> Result<Option<String>> {
        let q = BooleanQuery::intersection(vec![
            Box::new(TermQuery::new(
                Term::from_field_text(by.key_field(&self.index.fields), key),
                IndexRecordOption::Basic,
            )),
            hits.box_clone(),
        ]);
        let Some(addr) = first_doc(searcher, &q)? else {
            return Ok(None);
        };
        let p = self.load(searcher, addr)?;
        Ok(match by {
            TopBy::Buyer => (buyer_key(&p).as_deref() == Some(key)).then(|| p.buyer.name.clone()),
            TopBy::Supplier => p
                .awards
                .iter()
                .filter_map(|a| a.supplier.as_ref())
                .chain(p.contracts.iter().filter_map(|c| c.supplier.as_ref()))
                .find(|s| supplier_key(s).as_deref() == Some(key))
                .map(|s| s.name.clone()),
        })
    }
}

/// The municipalities of a buyer's hits when there are several: how many, and the
/// first ones by hits with their official names.
fn seats_of(mut seats: Vec<(String, u64)>) -> (Option<u64>, Vec<TopSeat>) {
    if seats.len() < 2 {
        return (None, Vec::new());
    }
    seats.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let divipola = crate::normalize::place::Divipola::get();
    let listed = seats
        .iter()
        .take(MAX_OTHER_NAMES + 1)
        .map(|(code, count)| TopSeat {
            name: divipola.municipality(code).map_or_else(
                || code.clone(),
                |m| {
                    let department = divipola.department(&m.department);
                    place_label(&m.name, department.map(|d| d.name.as_str()))
                },
            ),
            code: code.clone(),
            count: *count,
        })
        .collect();
    (Some(seats.len() as u64), listed)
}

/// Per buyer key, the municipality codes of its hits and their counts.
struct SeatTally;

struct SegmentSeats {
    keys: Option<StrColumn>,
    seats: Option<StrColumn>,
    /// By buyer ordinal: its municipality ordinals and their processes (usually one).
    by_key: Vec<Vec<(u64, u64)>>,
}

impl Collector for SeatTally {
    type Fruit = FxHashMap<String, Vec<(String, u64)>>;
    type Child = SegmentSeats;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<SegmentSeats> {
        let ff = seg.fast_fields();
        let keys = ff.str(TopBy::Buyer.key_column())?;
        Ok(SegmentSeats {
            by_key: vec![Vec::new(); keys.as_ref().map_or(0, |k| k.num_terms())],
            keys,
            seats: ff.str("municipality")?,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut out: Self::Fruit = FxHashMap::default();
        for part in parts {
            for (key, seats) in part {
                add_counts(out.entry(key).or_default(), seats);
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for SegmentSeats {
    type Fruit = FxHashMap<String, Vec<(String, u64)>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let (Some(k), Some(s)) = (&self.keys, &self.seats) else {
            return;
        };
        if let (Some(key), Some(seat)) = (k.term_ords(doc).next(), s.ords().first(doc))
            && let Some(seen) = self.by_key.get_mut(key as usize)
        {
            match seen.iter_mut().find(|(o, _)| *o == seat) {
                Some((_, n)) => *n += 1,
                None => seen.push((seat, 1)),
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut out = FxHashMap::default();
        let (Some(kc), Some(sc)) = (&self.keys, &self.seats) else {
            return out;
        };
        let sorted = |mut v: Vec<u64>| {
            v.sort_unstable();
            v.dedup();
            v
        };
        let key_ords: Vec<u64> = (0..self.by_key.len() as u64)
            .filter(|&o| !self.by_key[o as usize].is_empty())
            .collect();
        let seat_ords = sorted(self.by_key.iter().flatten().map(|p| p.0).collect());
        let seat_text: FxHashMap<u64, String> = seat_ords
            .iter()
            .copied()
            .zip(texts(sc, &seat_ords))
            .collect();
        for (o, key) in key_ords.iter().zip(texts(kc, &key_ords)) {
            let seats = self.by_key[*o as usize]
                .iter()
                .map(|(s, n)| (seat_text[s].clone(), *n))
                .collect();
            out.insert(key, seats);
        }
        out
    }
}

/// The first live document a query matches.
fn first_doc(
    searcher: &tantivy::Searcher,
    q: &dyn tantivy::query::Query,
) -> Result<Option<DocAddress>> {
    let mut first = None;
    super::live_docs(searcher, q, |addr| {
        first = Some(addr);
        Ok(false)
    })?;
    Ok(first)
}

/// Counts and values per key over the hits.
struct Tally {
    by: TopBy,
}

/// Processes, value, and how often each name spelling came with the key.
#[derive(Default)]
struct KeyTally {
    count: u64,
    value: i64,
    /// Usually one spelling (none for suppliers): a list, not a map.
    names: Vec<(String, u64)>,
}

/// Adds counts by text into a short list (usually of one).
fn add_counts(to: &mut Vec<(String, u64)>, from: Vec<(String, u64)>) {
    for (n, c) in from {
        match to.iter_mut().find(|(m, _)| *m == n) {
            Some((_, d)) => *d += c,
            None => to.push((n, c)),
        }
    }
}

impl KeyTally {
    fn add(&mut self, o: KeyTally) {
        self.count += o.count;
        self.value += o.value;
        add_counts(&mut self.names, o.names);
    }
}

#[derive(Default)]
struct Fruit {
    total: u64,
    value: i64,
    without: u64,
    /// A segment's keys (each once), or after merging, every segment's.
    keys: Vec<(String, KeyTally)>,
}

struct SegmentTally {
    keys: Option<StrColumn>,
    /// The buyer's name as published (buyers only: a supplier's name has no column).
    names: Option<StrColumn>,
    value: Option<Column<i64>>,
    /// Suppliers only: each key's share of the value, in the keys' order.
    shares: Option<Column<i64>>,
    /// By term ordinal: processes and value.
    by_ord: Vec<(u64, i64)>,
    /// By term ordinal: the name ordinals seen with it and their counts (usually one).
    names_by_ord: Vec<Vec<(u64, u64)>>,
    total: u64,
    sum: i64,
    without: u64,
}

impl Collector for Tally {
    type Fruit = Fruit;
    type Child = SegmentTally;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<SegmentTally> {
        let ff = seg.fast_fields();
        let keys = ff.str(self.by.key_column())?;
        let terms = keys.as_ref().map_or(0, |k| k.num_terms());
        let names = match self.by {
            TopBy::Buyer => ff.str("buyer_name")?,
            TopBy::Supplier => None,
        };
        let shares = match self.by {
            TopBy::Buyer => None,
            TopBy::Supplier => ff.i64("supplier_values").ok(),
        };
        Ok(SegmentTally {
            keys,
            names_by_ord: if names.is_some() {
                vec![Vec::new(); terms]
            } else {
                Vec::new()
            },
            names,
            value: ff.i64(self.by.value_column()).ok(),
            shares,
            by_ord: vec![(0, 0); terms],
            total: 0,
            sum: 0,
            without: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let mut out = Fruit::default();
        let mut merged: FxHashMap<String, KeyTally> = FxHashMap::default();
        merged.reserve(parts.iter().map(|f| f.keys.len()).max().unwrap_or(0));
        for f in parts {
            out.total += f.total;
            out.value += f.value;
            out.without += f.without;
            for (k, t) in f.keys {
                match merged.get_mut(&k) {
                    Some(e) => e.add(t),
                    None => {
                        merged.insert(k, t);
                    }
                }
            }
        }
        out.keys = merged.into_iter().collect();
        Ok(out)
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        let value = self.value.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        self.total += 1;
        self.sum += value;
        let mut any = false;
        if let Some(k) = &self.keys {
            // A supplier's share comes in the order of its key (the document builder adds
            // them together, and column writes and merges keep a document's values in
            // order); a buyer has the whole value.
            let mut shares = self.shares.as_ref().map(|c| c.values_for_doc(doc));
            for ord in k.term_ords(doc) {
                let v = match &mut shares {
                    Some(s) => s.next().unwrap_or(0),
                    None => value,
                };
                if let Some(e) = self.by_ord.get_mut(ord as usize) {
                    e.0 += 1;
                    e.1 += v;
                    any = true;
                }
                if let Some(n) = self.names.as_ref().and_then(|c| c.ords().first(doc))
                    && let Some(seen) = self.names_by_ord.get_mut(ord as usize)
                {
                    match seen.iter_mut().find(|(o, _)| *o == n) {
                        Some((_, c)) => *c += 1,
                        None => seen.push((n, 1)),
                    }
                }
            }
        }
        self.without += u64::from(!any);
    }

    fn harvest(self) -> Fruit {
        let mut fruit = Fruit {
            total: self.total,
            value: self.sum,
            without: self.without,
            keys: Vec::new(),
        };
        let Some(col) = &self.keys else {
            return fruit;
        };
        let seen: Vec<u64> = (0..self.by_ord.len() as u64)
            .filter(|&o| self.by_ord[o as usize].0 > 0)
            .collect();
        let key_text = texts(col, &seen);
        let name_text = match &self.names {
            Some(nc) => {
                let mut ords: Vec<u64> = seen
                    .iter()
                    .flat_map(|&o| self.names_by_ord[o as usize].iter().map(|(n, _)| *n))
                    .collect();
                ords.sort_unstable();
                ords.dedup();
                let text = texts(nc, &ords);
                ords.into_iter().zip(text).collect()
            }
            None => FxHashMap::default(),
        };
        fruit.keys.reserve(seen.len());
        for (o, key) in seen.into_iter().zip(key_text) {
            let (count, value) = self.by_ord[o as usize];
            let names = self
                .names_by_ord
                .get(o as usize)
                .into_iter()
                .flatten()
                .filter_map(|(n, c)| name_text.get(n).map(|t: &String| (t.clone(), *c)))
                .collect();
            fruit.keys.push((
                key,
                KeyTally {
                    count,
                    value,
                    names,
                },
            ));
        }
        fruit
    }
}

/// The texts of sorted, distinct term ordinals, in their order, read in one pass over the
/// dictionary (a lookup per ordinal would decompress a block each time).
fn texts(col: &StrColumn, ords: &[u64]) -> Vec<String> {
    let mut out = Vec::with_capacity(ords.len());
    let _ = col.dictionary().sorted_ords_to_term_cb(ords, |bytes| {
        out.push(String::from_utf8_lossy(bytes).into_owned());
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::SecopIndex;
    use crate::model::{Award, Contract, Party, Process};

    fn party(id: &str, name: &str) -> Party {
        Party {
            name: name.into(),
            id: Some(id.into()),
            ..Default::default()
        }
    }

    fn award(s: Party, value: i64) -> Award {
        Award {
            supplier: Some(s),
            value: Some(value),
            ..Default::default()
        }
    }

    /// Each supplier is credited with its own part of a shared process, also after the
    /// segments merge: the value column is read in the order of the keys, which is not the
    /// keys' sorted order.
    #[test]
    fn suppliers_are_credited_with_their_own_part() {
        let dir = tempfile::tempdir().unwrap();
        let index = SecopIndex::open(dir.path()).unwrap();
        let mut w = index.writer().unwrap();
        // Keys inserted against their sorted order, with different values.
        let shared = Process {
            key: "secop2:CO1.REQ.1".into(),
            title: "alquiler de vehiculos".into(),
            awards: vec![
                award(party("900000003", "C"), 300),
                award(party("900000001", "A"), 100),
                award(party("900000002", "B"), 20),
                award(party("900000001", "A"), 5),
            ],
            ..Default::default()
        };
        w.add(&shared).unwrap();
        w.commit(1).unwrap();
        // Contracts, when valued, are what was won: B's award alone counts for nothing.
        let contracted = Process {
            key: "secop2:CO1.REQ.2".into(),
            title: "alquiler de vehiculos".into(),
            awards: vec![award(party("900000002", "B"), 7_000)],
            contracts: vec![
                Contract {
                    id: "CO1.PCCNTR.1".into(),
                    supplier: Some(party("900000003", "C")),
                    value: Some(1_000),
                    ..Default::default()
                },
                Contract {
                    id: "CO1.PCCNTR.2".into(),
                    supplier: Some(Party {
                        name: "Sin Documento".into(),
                        ..Default::default()
                    }),
                    value: Some(50),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        w.add(&contracted).unwrap();
        w.commit(2).unwrap();
        w.consolidate(|_, _| {}).unwrap();
        w.finish().unwrap();
        index.reader.reload().unwrap();
        assert_eq!(index.segments().unwrap().0, 1);

        let engine = Engine::new(index);
        let s = Search {
            text: Some("vehiculos".into()),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        let t = engine
            .top(&s, TopBy::Supplier, TopOrder::Value, 10)
            .unwrap();
        let got: Vec<(&str, u64, i64)> = t
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.count, e.value))
            .collect();
        assert_eq!(
            got,
            [
                ("900000003", 2, 1_300),
                ("900000001", 1, 105),
                ("n:sin documento", 1, 50),
                ("900000002", 2, 20),
            ]
        );
        assert_eq!(t.total_value, 425 + 1_050);
        let shares: f64 = t.entries.iter().map(|e| e.value_share).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
    }

    /// One NIT that publishes under several names is one entry, named as most of its hits
    /// name it, and the entry says which other names it counts.
    #[test]
    fn a_buyer_with_several_names_lists_them() {
        let dir = tempfile::tempdir().unwrap();
        let index = SecopIndex::open(dir.path()).unwrap();
        let mut w = index.writer().unwrap();
        let names = [
            "ICBF REGIONAL VAUPES",
            "ICBF REGIONAL VAUPES",
            "ICBF SEDE NACIONAL",
            "ICBF REGIONAL VAUPES",
            "ICBF REGIONAL BOYACA",
            "ICBF SEDE NACIONAL",
        ];
        for (i, name) in names.iter().enumerate() {
            let p = Process {
                key: format!("secop2:CO1.REQ.{i}"),
                title: "alimentacion escolar".into(),
                buyer: crate::model::Buyer {
                    name: (*name).into(),
                    nit: Some("899999239".into()),
                    ..Default::default()
                },
                ..Default::default()
            };
            w.add(&p).unwrap();
            // Two segments, so the names are merged across them.
            if i == 2 {
                w.commit(1).unwrap();
            }
        }
        w.commit(2).unwrap();
        w.finish().unwrap();
        index.reader.reload().unwrap();
        let engine = Engine::new(index);
        let s = Search {
            text: Some("alimentacion".into()),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        let t = engine.top(&s, TopBy::Buyer, TopOrder::Count, 10).unwrap();
        assert_eq!(t.entries.len(), 1);
        let e = &t.entries[0];
        assert_eq!((e.key.as_str(), e.count), ("899999239", 6));
        assert_eq!(e.name, "ICBF REGIONAL VAUPES");
        assert_eq!(e.names, Some(3));
        let others: Vec<(&str, u64)> = e
            .other_names
            .iter()
            .map(|o| (o.name.as_str(), o.count))
            .collect();
        assert_eq!(
            others,
            [("ICBF SEDE NACIONAL", 2), ("ICBF REGIONAL BOYACA", 1)]
        );
        // A supplier has no name column: nothing is claimed about its names.
        let t = engine
            .top(&s, TopBy::Supplier, TopOrder::Count, 10)
            .unwrap();
        assert!(t.entries.iter().all(|e| e.names.is_none()));
    }
}
