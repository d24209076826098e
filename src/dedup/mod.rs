//! Duplicate detection: processes that look published on both platforms, or twice on one.
//!
//! The rules say a process lives on one platform only; state entities check that they
//! did not publish one twice, and journalists look for double publication. The detector
//! works in three steps, one module each:
//!
//! * [`candidates`]: blocking. Only processes of the same entity (normalized NIT, else
//!   folded name) published within a time window of each other are compared. Entities and
//!   dates come from the index (postings and fast fields); stored records are read one
//!   entity at a time, inside a sliding window, so memory stays flat.
//! * [`features`]: what is compared: the entity's reference (normalized, SECOP II phase
//!   suffix stripped), the object text (folded tokens, Jaccard, aware of texts the
//!   platforms cut short), the value, the dates, the modality across both vocabularies
//!   and the awarded supplier.
//! * [`score`]: each feature adds evidence (log-odds) with a reason in plain Spanish; the
//!   score is between 0 and 1.
//!
//! [`find`] is the entry point for the CLI (`secop duplicates`) and the HTTP API
//! (`GET /api/duplicates`). It is synchronous: a call for one entity reads only that
//! entity's records and takes milliseconds; a run over every entity uses all cores.

pub mod candidates;
pub mod features;
pub mod score;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::index::SecopIndex;
use crate::index::document::buyer_key;
use crate::model::{Platform, Process};
use crate::normalize::normalize_nit;
use crate::normalize::text::fold_words;
use crate::{Error, Result};

use candidates::{SegmentCtx, Slot, Window};
use features::{ProcessView, Profile};
pub use score::Evidence;

/// The score from which a pair is reported, unless told otherwise.
pub const DEFAULT_MIN_SCORE: f64 = 0.8;

/// The time window, in days, unless told otherwise.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

/// The largest time window accepted, in days.
pub const MAX_WINDOW_DAYS: u32 = 730;

/// Pairs an API answer holds unless told otherwise.
pub const DEFAULT_API_LIMIT: usize = 200;

/// Most pairs an API answer may hold.
pub const MAX_API_LIMIT: usize = 2000;

/// The parameters of `GET /api/duplicates`, as strings from the URL.
#[derive(
    Debug, Clone, Default, Deserialize, Serialize, PartialEq, utoipa::IntoParams, utoipa::ToSchema,
)]
#[into_params(parameter_in = Query)]
pub struct DuplicateParams {
    /// The entity: its NIT with or without check digit, dots or commas (`890.981.195-1`),
    /// or its name as its processes write it (accents and case aside). Without it, every
    /// entity (answered from a report computed in the background).
    pub nit: Option<String>,
    /// Smallest score, between 0 and 1 (default 0.8).
    pub min_score: Option<String>,
    /// Compare processes published at most this many days apart (default 90, at most 730).
    pub window_days: Option<String>,
    /// Most pairs to return, best first (default 200, at most 2000).
    pub limit: Option<String>,
    /// `true`: only pairs with one process on each platform.
    pub cross_platform: Option<String>,
}

impl DuplicateParams {
    /// The options these parameters ask for; a bad value is an [`Error::BadRequest`] that
    /// says what is wrong.
    pub fn validate(&self) -> Result<DuplicateOptions> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let min_score = match given(&self.min_score) {
            None => DEFAULT_MIN_SCORE,
            Some(s) => s.parse::<f64>().map_err(|_| {
                Error::invalid(
                    format!("min_score must be a number between 0 and 1, not {s:?}"),
                    format!("el puntaje mínimo debe ser un número entre 0 y 1, no «{s}»"),
                )
            })?,
        };
        let window_days = match given(&self.window_days) {
            None => DEFAULT_WINDOW_DAYS,
            Some(s) => s.parse::<u32>().map_err(|_| {
                Error::invalid(
                    format!(
                        "window_days must be a whole number of days between 1 and {MAX_WINDOW_DAYS}, not {s:?}"
                    ),
                    format!(
                        "window_days debe ser un número entero de días entre 1 y {MAX_WINDOW_DAYS}, no «{s}»"
                    ),
                )
            })?,
        };
        let limit = match given(&self.limit) {
            None => DEFAULT_API_LIMIT,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_API_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(
                        format!(
                            "limit must be a whole number between 1 and {MAX_API_LIMIT}, not {s:?}"
                        ),
                        format!(
                            "limit debe ser un número entero entre 1 y {MAX_API_LIMIT}, no «{s}»"
                        ),
                    ));
                }
            },
        };
        let cross_platform_only = match given(&self.cross_platform).map(str::to_lowercase) {
            None => false,
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "si" | "sí") => true,
            Some(v) if matches!(v.as_str(), "false" | "0" | "no") => false,
            Some(v) => {
                return Err(Error::invalid(
                    format!("cross_platform must be true or false, not {v:?}"),
                    format!("cross_platform debe ser true o false, no «{v}»"),
                ));
            }
        };
        let opts = DuplicateOptions {
            nit: given(&self.nit).map(str::to_string),
            min_score,
            window_days,
            limit: Some(limit),
            cross_platform_only,
            threads: 0,
        };
        opts.validate()?;
        Ok(opts)
    }
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct DuplicateOptions {
    /// One entity: its NIT in any spelling (`890.981.195-1`), or its name as its processes
    /// write it ([`entity_keys`]). `None` looks at every entity.
    pub nit: Option<String>,
    /// Report pairs with at least this score (0 to 1).
    pub min_score: f64,
    /// Compare processes published at most this many days apart.
    pub window_days: u32,
    /// Keep the best `limit` pairs.
    pub limit: Option<usize>,
    /// Only pairs with one process on each platform.
    pub cross_platform_only: bool,
    /// Worker threads for a run over every entity; 0 uses every core.
    pub threads: usize,
}

impl Default for DuplicateOptions {
    fn default() -> Self {
        DuplicateOptions {
            nit: None,
            min_score: DEFAULT_MIN_SCORE,
            window_days: DEFAULT_WINDOW_DAYS,
            limit: None,
            cross_platform_only: false,
            threads: 0,
        }
    }
}

impl DuplicateOptions {
    /// Checks the options; a bad value is an [`Error::BadRequest`] a person can act on.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.min_score) || self.min_score.is_nan() {
            return Err(Error::invalid(
                format!("min_score must be between 0 and 1, not {}", self.min_score),
                format!(
                    "el puntaje mínimo debe estar entre 0 y 1, no {}",
                    self.min_score
                ),
            ));
        }
        if self.window_days == 0 || self.window_days > MAX_WINDOW_DAYS {
            return Err(Error::invalid(
                format!(
                    "window_days must be between 1 and {MAX_WINDOW_DAYS}, not {}",
                    self.window_days
                ),
                format!(
                    "window_days debe estar entre 1 y {MAX_WINDOW_DAYS}, no {}",
                    self.window_days
                ),
            ));
        }
        if self.limit == Some(0) {
            return Err(Error::invalid(
                "limit must be at least 1",
                "limit debe ser al menos 1",
            ));
        }
        if let Some(n) = &self.nit {
            entity_key(n)?;
        }
        Ok(())
    }
}

/// The index's buyer key for what a person typed as an entity: a NIT in any spelling
/// (nine digits, no check digit), or a name when the entity has no NIT.
pub fn entity_key(s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::invalid(
            "nit is empty: give a NIT such as 890981195",
            "falta el NIT: escriba uno como 890981195",
        ));
    }
    if s.chars().count() > 200 {
        return Err(Error::invalid(
            "nit is too long",
            "el NIT o nombre es demasiado largo",
        ));
    }
    if s.chars().any(|c| c.is_ascii_digit()) {
        let plausible = s.chars().all(|c| c.is_ascii_digit() || " .,-".contains(c));
        return match normalize_nit(s) {
            Some(n) if plausible => Ok(n),
            _ => Err(Error::invalid(
                format!(
                    "{s:?} is not a NIT: write its digits, with or without dots and check digit (890981195, 890.981.195-1)"
                ),
                format!(
                    "«{s}» no es un NIT: escriba sus dígitos, con o sin puntos y dígito de verificación (890981195, 890.981.195-1)"
                ),
            )),
        };
    }
    let name = fold_words(s);
    if name.is_empty() {
        return Err(Error::invalid(
            format!("{s:?} is neither a NIT nor a name"),
            format!("«{s}» no es ni un NIT ni un nombre"),
        ));
    }
    Ok(format!("n:{name}"))
}

/// The buyer keys of the index for what a person typed as an entity ([`entity_key`]): a
/// NIT the index holds, or a name. An entity with a NIT is grouped under its NIT, so its
/// name finds the NITs of the buyers that publish under exactly that name (accents, case
/// and punctuation aside); a name that is no buyer's, or a NIT with no process, is a
/// [`Error::NotFound`] that says so (and names the closest buyers), never an empty answer
/// that would read as "no duplicates".
pub fn entity_keys(
    index: &SecopIndex,
    searcher: &tantivy::Searcher,
    typed: &str,
) -> Result<Vec<String>> {
    use tantivy::collector::TopDocs;
    let fields = &index.fields;
    let key = entity_key(typed)?;
    let held = |k: &str| -> Result<bool> {
        Ok(searcher.doc_freq(&tantivy::Term::from_field_text(fields.buyer, k))? > 0)
    };
    if held(&key)? {
        return Ok(vec![key]);
    }
    let shown = typed.trim();
    let Some(name) = key.strip_prefix("n:") else {
        return Err(Error::not_found(
            format!("no process of an entity with NIT {key} in the index"),
            format!("el índice no tiene procesos de una entidad con NIT {key}"),
        ));
    };
    // The processes whose entity name has every word typed, best first; their buyers.
    let q = index.words_in(fields.entity, shown);
    let top = searcher.search(&*q, &TopDocs::with_limit(5_000).order_by_score())?;
    let mut exact: Vec<String> = Vec::new();
    let mut near: Vec<(String, String)> = Vec::new();
    let (mut k, mut n) = (String::new(), String::new());
    for (_, addr) in top {
        let ff = searcher.segment_reader(addr.segment_ord).fast_fields();
        let (Some(kc), Some(nc)) = (ff.str("buyer")?, ff.str("buyer_name")?) else {
            continue;
        };
        let (Some(ko), Some(no)) = (
            kc.term_ords(addr.doc_id).next(),
            nc.term_ords(addr.doc_id).next(),
        ) else {
            continue;
        };
        k.clear();
        n.clear();
        kc.ord_to_str(ko, &mut k)?;
        nc.ord_to_str(no, &mut n)?;
        if fold_words(&n) == name {
            if !exact.contains(&k) {
                exact.push(k.clone());
            }
        } else if near.len() < 5 && !near.iter().any(|(kk, _)| *kk == k) {
            near.push((k.clone(), n.clone()));
        }
    }
    if !exact.is_empty() {
        exact.sort();
        return Ok(exact);
    }
    let list = near
        .iter()
        .map(|(k, n)| match k.strip_prefix("n:") {
            Some(_) => n.clone(),
            None => format!("{n} (NIT {k})"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(if list.is_empty() {
        Error::not_found(
            format!(
                "no entity named {shown:?} in the index: give its NIT, or its name as its processes write it"
            ),
            format!(
                "el índice no tiene una entidad llamada «{shown}»: escriba su NIT, o su nombre como lo escriben sus procesos"
            ),
        )
    } else {
        Error::not_found(
            format!("no entity is named exactly {shown:?}; the closest: {list}"),
            format!("ninguna entidad se llama exactamente «{shown}»; las más cercanas: {list}"),
        )
    })
}

/// The entity a pair belongs to.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Entity {
    /// The index's buyer key: the NIT, or `n:` and the folded name.
    pub key: String,
    /// NIT, nine digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nit: Option<String>,
    /// The entity's name as one of the two processes publishes it.
    pub name: String,
}

/// One process of a pair, with what a person needs to check it on its platform.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PairSide {
    /// The process key (`secop1:26-21-53372`).
    pub key: String,
    /// `secop1` or `secop2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// `SECOP I` or `SECOP II`.
    pub platform_label: String,
    /// The platform's process id: SECOP I constancia or `CO1.BDOS.*`.
    pub process_id: String,
    /// The entity's own reference, phase suffix stripped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The name of the process (or its description, when it has no name).
    pub title: String,
    /// The buying entity's name as this record writes it.
    pub buyer: String,
    /// Modality (Spanish).
    pub modality: String,
    /// Status (Spanish).
    pub status: String,
    /// Value, whole COP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// Publication date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Link to the original on its platform.
    pub link: String,
}

impl PairSide {
    fn of(p: &Process) -> PairSide {
        let title = if !p.title.is_empty() {
            p.title.clone()
        } else {
            p.description
                .clone()
                .or_else(|| p.contracts.iter().find_map(|c| c.object.clone()))
                .unwrap_or_default()
        };
        PairSide {
            key: p.key.clone(),
            platform: p.platform,
            platform_label: p.platform.map_or("?", Platform::label).to_string(),
            process_id: p.process_id.clone(),
            reference: p.reference.clone(),
            title,
            buyer: p.buyer.name.clone(),
            modality: p.modality.label().to_string(),
            status: p.status.label().to_string(),
            value: p.value(),
            published: crate::index::document::placed_at(p)
                .map(|d| d.format("%Y-%m-%d").to_string()),
            link: p.link(),
        }
    }
}

/// Whether a pair is on both platforms or twice on one.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PairKind {
    /// One process on each platform.
    CrossPlatform,
    /// Both on the same platform.
    SamePlatform,
}

/// Two processes that look like one published twice.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DuplicatePair {
    /// The entity both belong to.
    pub entity: Entity,
    /// `cross_platform` (one on each platform) or `same_platform` (twice on one).
    pub kind: PairKind,
    /// Between 0 and 1.
    pub score: f64,
    /// The reasons in plain Spanish, strongest kinds of evidence first.
    pub reasons: Vec<String>,
    /// The reasons in one line (`misma referencia LP-003-2025; objeto 92 % similar; …`).
    pub explanation: String,
    /// Each reason with its weight (log-odds).
    pub evidence: Vec<Evidence>,
    /// The first process: SECOP I before SECOP II, else the earlier. The reasons name
    /// the two sides in this order.
    pub a: PairSide,
    /// The second process.
    pub b: PairSide,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ScanStats {
    /// Entities looked at.
    pub entities: u64,
    /// Documents of those entities with a date.
    pub documents: u64,
    /// Documents without any date (not compared).
    pub undated: u64,
    /// Stored records read (documents with a neighbour in the time window).
    pub loaded: u64,
    /// Pairs inside the time window.
    pub compared: u64,
    /// Pairs whose object texts were compared (the rest could not reach the score).
    pub text_compared: u64,
    /// Pairs that could reach the score but were left out as one process split in two
    /// records rather than published twice (see [`features::Profile::same_record`]).
    pub same_record: u64,
    /// Pairs at or above the score (before `limit`).
    pub found: u64,
    /// Wall time, milliseconds.
    pub took_ms: f64,
}

impl ScanStats {
    fn add(&mut self, o: &ScanStats) {
        self.entities += o.entities;
        self.documents += o.documents;
        self.undated += o.undated;
        self.loaded += o.loaded;
        self.compared += o.compared;
        self.text_compared += o.text_compared;
        self.same_record += o.same_record;
        self.found += o.found;
    }
}

/// The pairs found and what the run did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scan {
    /// Pairs, best first.
    pub pairs: Vec<DuplicatePair>,
    /// Counts and time.
    pub stats: ScanStats,
    /// Set when the answer was selected from the report of every entity (see
    /// [`Scan::select`]) rather than scanned for this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportInfo>,
}

/// The lowest score the report of every entity keeps: below it, ask for one entity.
pub const REPORT_MIN_SCORE: f64 = 0.5;

/// Most pairs the report of every entity keeps (the best), so that its memory is bounded
/// whatever the index (≈ 2.5 KB a pair).
pub const REPORT_MAX_PAIRS: usize = 10_000;

/// Where an answer selected from the report of every entity comes from.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ReportInfo {
    /// When the report was computed (RFC 3339, UTC).
    pub computed_at: String,
    /// An id of the index contents it was computed on (hex): a commit makes a new report.
    pub index_version: String,
    /// The lowest score it keeps ([`REPORT_MIN_SCORE`]).
    pub min_score: f64,
    /// The time window it compared, in days.
    pub window_days: u32,
    /// True when it found more than [`REPORT_MAX_PAIRS`] pairs and kept only the best:
    /// `found` then counts only the kept pairs that pass the filters.
    pub truncated: bool,
}

impl Scan {
    /// Scans every entity for a report that answers later requests: pairs from
    /// [`REPORT_MIN_SCORE`], both kinds, the best [`REPORT_MAX_PAIRS`], with `threads`
    /// workers (the server leaves a core to searches).
    pub fn report(
        index: &SecopIndex,
        window_days: u32,
        threads: usize,
        index_version: u64,
    ) -> Result<Scan> {
        let opts = DuplicateOptions {
            nit: None,
            min_score: REPORT_MIN_SCORE,
            window_days,
            limit: Some(REPORT_MAX_PAIRS),
            cross_platform_only: false,
            threads,
        };
        let mut s = scan(index, &opts)?;
        s.report = Some(ReportInfo {
            computed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            index_version: format!("{index_version:016x}"),
            min_score: REPORT_MIN_SCORE,
            window_days,
            truncated: s.stats.found > s.pairs.len() as u64,
        });
        Ok(s)
    }

    /// The answer to `opts` (every entity: no `nit`) taken from this report: the pairs at
    /// or above the score, of the kind asked, best first, at most `limit`; `found` counts
    /// the pairs that pass the filters. The other counts are the report's run.
    pub fn select(&self, opts: &DuplicateOptions) -> Result<Scan> {
        opts.validate()?;
        let floor = self.report.as_ref().map_or(0.0, |r| r.min_score);
        if opts.nit.is_none() && opts.min_score < floor {
            return Err(Error::invalid(
                format!(
                    "min_score below {floor} needs nit= (one entity): the report of every entity keeps pairs from {floor}"
                ),
                {
                    let floor = floor.to_string().replace('.', ",");
                    format!(
                        "un puntaje mínimo por debajo de {floor} necesita el NIT o nombre de una entidad: el informe de todas las entidades guarda los pares desde {floor}"
                    )
                },
            ));
        }
        let matching = self.pairs.iter().filter(|p| {
            p.score >= opts.min_score
                && (!opts.cross_platform_only || p.kind == PairKind::CrossPlatform)
        });
        let found = matching.clone().count();
        let pairs = matching
            .take(opts.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        let mut stats = self.stats.clone();
        stats.found = found as u64;
        Ok(Scan {
            pairs,
            stats,
            report: self.report.clone(),
        })
    }
}

/// Finds the duplicate pairs: best first, at or above `min_score`.
pub fn find(index: &SecopIndex, opts: &DuplicateOptions) -> Result<Vec<DuplicatePair>> {
    Ok(scan(index, opts)?.pairs)
}

/// Like [`find`], with the run's counts.
pub fn scan(index: &SecopIndex, opts: &DuplicateOptions) -> Result<Scan> {
    opts.validate()?;
    let t0 = Instant::now();
    let searcher = index.reader.searcher();
    let fields = &index.fields;
    let keys = match &opts.nit {
        Some(n) => entity_keys(index, &searcher, n)?,
        None => candidates::entities(&searcher, fields)?,
    };
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, 64)
    .min(keys.len().max(1));

    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(Vec<DuplicatePair>, ScanStats)>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let run = || -> Result<(Vec<DuplicatePair>, ScanStats)> {
                    let segments = candidates::open_segments(&searcher, fields)?;
                    let mut pairs = Vec::new();
                    let mut stats = ScanStats::default();
                    loop {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(key) = keys.get(i) else { break };
                        entity_pairs(&segments, index, key, opts, &mut pairs, &mut stats)?;
                    }
                    Ok((pairs, stats))
                };
                match run() {
                    Ok(r) => results.lock().expect("results lock").push(r),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        first_error.lock().expect("error lock").get_or_insert(e);
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().expect("error lock") {
        return Err(e);
    }
    let mut pairs = Vec::new();
    let mut stats = ScanStats::default();
    for (p, s) in results.into_inner().expect("results lock") {
        pairs.extend(p);
        stats.add(&s);
    }
    pairs.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| x.entity.key.cmp(&y.entity.key))
            .then_with(|| x.a.key.cmp(&y.a.key))
            .then_with(|| x.b.key.cmp(&y.b.key))
    });
    if let Some(l) = opts.limit {
        pairs.truncate(l);
    }
    stats.took_ms = t0.elapsed().as_secs_f64() * 1000.0;
    Ok(Scan {
        pairs,
        stats,
        report: None,
    })
}

/// A loaded process: its features, and where to read it again to show it.
struct Loaded {
    /// Read for every pair in the window: kept small and first.
    hot: score::Hot,
    /// Read for the few pairs the summary does not settle.
    profile: Box<Profile>,
    slot: Slot,
}

/// Finds the pairs of one entity.
fn entity_pairs(
    segments: &[SegmentCtx],
    index: &SecopIndex,
    key: &str,
    opts: &DuplicateOptions,
    out: &mut Vec<DuplicatePair>,
    stats: &mut ScanStats,
) -> Result<()> {
    let fields = &index.fields;
    let (slots, undated) = candidates::slots(segments, fields, key)?;
    stats.entities += 1;
    stats.undated += undated;
    stats.documents += slots.len() as u64;
    if slots.len() < 2 {
        return Ok(());
    }
    let window = i64::from(opts.window_days) * 86_400;
    let worth = candidates::has_neighbour(&slots, window);
    let threshold = score::logit(opts.min_score);
    let mut win: Window<Loaded> = Window::new(window);
    let mut loaded = 0u64;
    for i in 0..slots.len() {
        if !worth[i] {
            continue;
        }
        let load = |j: usize| -> Result<Option<Loaded>> {
            if !worth[j] {
                return Ok(None);
            }
            let slot: Slot = slots[j];
            let profile = candidates::with_json(segments, fields, slot, |json| {
                let view: ProcessView<'_> = serde_json::from_str(json)?;
                Ok(Profile::of(&view, slot.published, slot.value))
            })?;
            loaded += 1;
            Ok(Some(Loaded {
                hot: score::Hot::of(&profile),
                profile: Box::new(profile),
                slot,
            }))
        };
        win.advance(&slots, i, load, |l: &Loaded| {
            l.profile.fingerprints().collect::<Vec<_>>().into_iter()
        })?;
        let Some(a) = win.get(i) else { continue };
        for j in i + 1..win.end() {
            let Some(b) = win.get(j) else { continue };
            if opts.cross_platform_only && a.hot.platform == b.hot.platform {
                continue;
            }
            stats.compared += 1;
            if score::quick_reject(&a.hot, &b.hot, threshold)
                || score::cheap(&a.profile, &b.profile, threshold).is_none()
            {
                continue;
            }
            // SECOP I first, then the earlier: the order the reasons and the sides follow.
            let (a, b) = if (a.profile.platform, a.profile.published, &a.profile.key)
                <= (b.profile.platform, b.profile.published, &b.profile.key)
            {
                (a, b)
            } else {
                (b, a)
            };
            let cheap = score::cheap(&a.profile, &b.profile, threshold)
                .expect("the features do not depend on the order");
            if a.profile.same_record(&b.profile) {
                stats.same_record += 1;
                continue;
            }
            stats.text_compared += 1;
            let text = a.profile.best_text_match(&b.profile);
            let common = text.as_ref().map_or(0, |(_, fp)| win.count(*fp));
            let scored = score::score(&a.profile, &b.profile, &cheap, text.map(|(m, _)| m), common);
            if scored.score < opts.min_score {
                continue;
            }
            stats.found += 1;
            let pa = candidates::load(segments, fields, a.slot)?;
            let pb = candidates::load(segments, fields, b.slot)?;
            out.push(pair(key, (&a.profile, &pa), (&b.profile, &pb), scored));
        }
    }
    stats.loaded += loaded;
    Ok(())
}

fn pair(
    key: &str,
    a: (&Profile, &Process),
    b: (&Profile, &Process),
    scored: score::Scored,
) -> DuplicatePair {
    let nit = |p: &Process| {
        p.buyer
            .nit
            .clone()
            .or_else(|| buyer_key(p).filter(|k| !k.starts_with("n:")))
    };
    let reasons: Vec<String> = scored.evidence.iter().map(|e| e.reason.clone()).collect();
    DuplicatePair {
        entity: Entity {
            key: key.to_string(),
            nit: nit(a.1).or_else(|| nit(b.1)),
            name: if a.1.buyer.name.is_empty() {
                b.1.buyer.name.clone()
            } else {
                a.1.buyer.name.clone()
            },
        },
        kind: if a.0.platform == b.0.platform {
            PairKind::SamePlatform
        } else {
            PairKind::CrossPlatform
        },
        score: (scored.score * 1000.0).round() / 1000.0,
        explanation: reasons.join("; "),
        reasons,
        evidence: scored
            .evidence
            .into_iter()
            .map(|mut e| {
                e.weight = (e.weight * 100.0).round() / 100.0;
                e
            })
            .collect(),
        a: PairSide::of(a.1),
        b: PairSide::of(b.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_keys_from_what_people_type() {
        assert_eq!(entity_key("890.981.195-1").unwrap(), "890981195");
        assert_eq!(entity_key(" 890981195 ").unwrap(), "890981195");
        assert_eq!(entity_key("8909811951").unwrap(), "8909811951");
        assert_eq!(
            entity_key("ALCALDiA de Manaure").unwrap(),
            "n:alcaldia de manaure"
        );
        assert!(matches!(entity_key(""), Err(Error::BadRequest(_))));
        assert!(matches!(
            entity_key("89098x1195"),
            Err(Error::BadRequest(_))
        ));
        assert!(matches!(entity_key("---"), Err(Error::BadRequest(_))));
    }

    #[test]
    fn url_parameters_become_options() {
        let p = DuplicateParams {
            nit: Some(" 890.981.195-1 ".into()),
            min_score: Some("0.9".into()),
            window_days: Some("30".into()),
            limit: Some("10".into()),
            cross_platform: Some("true".into()),
        };
        let o = p.validate().unwrap();
        assert_eq!(o.nit.as_deref(), Some("890.981.195-1"));
        assert_eq!(o.min_score, 0.9);
        assert_eq!(o.window_days, 30);
        assert_eq!(o.limit, Some(10));
        assert!(o.cross_platform_only);
        let d = DuplicateParams::default().validate().unwrap();
        assert_eq!(d.min_score, DEFAULT_MIN_SCORE);
        assert_eq!(d.limit, Some(DEFAULT_API_LIMIT));
        for bad in [
            DuplicateParams {
                min_score: Some("alto".into()),
                ..Default::default()
            },
            DuplicateParams {
                min_score: Some("-1".into()),
                ..Default::default()
            },
            DuplicateParams {
                window_days: Some("9999".into()),
                ..Default::default()
            },
            DuplicateParams {
                limit: Some("0".into()),
                ..Default::default()
            },
            DuplicateParams {
                cross_platform: Some("quizas".into()),
                ..Default::default()
            },
            DuplicateParams {
                nit: Some("12-ab".into()),
                ..Default::default()
            },
        ] {
            assert!(
                matches!(bad.validate(), Err(Error::BadRequest(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn options_are_checked() {
        let ok = DuplicateOptions::default();
        assert!(ok.validate().is_ok());
        for bad in [
            DuplicateOptions {
                min_score: 1.5,
                ..Default::default()
            },
            DuplicateOptions {
                min_score: f64::NAN,
                ..Default::default()
            },
            DuplicateOptions {
                window_days: 0,
                ..Default::default()
            },
            DuplicateOptions {
                nit: Some("12ab".into()),
                ..Default::default()
            },
        ] {
            assert!(
                matches!(bad.validate(), Err(Error::BadRequest(_))),
                "{bad:?}"
            );
        }
    }
}
