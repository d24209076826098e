//! What the API answers: hits, records and stats as JSON, with Bogotá offsets on dates.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::index::document::PlacedBy;
use crate::model::Process;
use crate::normalize::date::to_instant;
use crate::normalize::unspsc::{Category, Unspsc};
use crate::query::relax::{Relaxation, Without};
use crate::query::{Facets, Hit, MonthBucket, SearchResult};

/// A date-time with Bogotá's offset: `2026-08-19T00:00:00-05:00`.
pub fn rfc3339(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(|t| to_instant(t).to_rfc3339())
}

/// The buyer as shown in a hit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntityView {
    /// Name as published.
    pub name: String,
    /// NIT, nine digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nit: Option<String>,
    /// Department (official name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Municipality (official name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
}

/// One search hit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HitView {
    /// Unique key, e.g. `secop2:CO1.BDOS.10558939`.
    pub key: String,
    /// `secop1` or `secop2`.
    pub platform: String,
    /// `SECOP I` or `SECOP II`.
    pub platform_label: String,
    /// The platform's process id.
    pub process_id: String,
    /// Every identifier of the process.
    pub ids: Vec<String>,
    /// Name of the process.
    pub title: String,
    /// The buying entity.
    pub entity: EntityView,
    /// The value people compare (estimate, else awarded), whole COP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// Awarded or contracted total, whole COP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awarded_value: Option<i64>,
    /// The date the process is placed at (date filters, sort and facets use it), Bogotá
    /// time with offset: its publication, or for a process known only from its contracts
    /// (`partial`) the first contract's signature, else its last update; `dated_by` says
    /// which.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// `true` when the status is `open` but the offer deadline has passed (the status is
    /// the platform's, often not updated after the close; `open=true` leaves these out).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deadline_passed: bool,
    /// Which date `published_at` is: `published`, `signed` or `updated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dated_by: Option<PlacedBy>,
    /// Offer deadline, Bogotá time with offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offers_due_at: Option<String>,
    /// Canonical status code.
    pub status: String,
    /// Status in Spanish.
    pub status_label: String,
    /// Canonical modality code.
    pub modality: String,
    /// Modality in Spanish.
    pub modality_label: String,
    /// Only contracts are known for this process.
    pub partial: bool,
    /// Link to the process on its platform.
    pub url: String,
    /// `true` when `url` is the platform's public search, not the process: SECOP II gave
    /// no notice link for this record; search its reference or process id there.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub url_is_search: bool,
    /// Text with the matched words in `<b>`; everything else HTML-escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Relevance score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

impl From<Hit> for HitView {
    fn from(h: Hit) -> Self {
        let p = h.process;
        let placement = crate::index::document::placement(&p);
        HitView {
            platform: p.platform.map_or("", |x| x.code()).to_string(),
            platform_label: p.platform.map_or("", |x| x.label()).to_string(),
            value: p.value(),
            awarded_value: p.awarded_value(),
            published_at: rfc3339(placement.map(|(t, _)| t)),
            dated_by: placement.map(|(_, by)| by),
            deadline_passed: crate::index::document::deadline_passed(&p, chrono::Utc::now()),
            offers_due_at: rfc3339(p.offers_due_at),
            status: p.status.code().to_string(),
            status_label: p.status.label().to_string(),
            modality: p.modality.code().to_string(),
            modality_label: p.modality.label().to_string(),
            url: p.link(),
            url_is_search: !p.links_to_itself(),
            entity: EntityView {
                department: p.buyer.department.as_ref().map(|d| d.name.clone()),
                municipality: p.buyer.municipality.as_ref().map(|d| d.name.clone()),
                name: p.buyer.name,
                nit: p.buyer.nit,
            },
            partial: p.partial,
            key: p.key,
            process_id: p.process_id,
            ids: p.ids,
            title: p.title,
            snippet: h.snippet,
            score: h.score,
        }
    }
}

/// A page of search results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// All matching processes.
    pub total: u64,
    /// Time the search took, milliseconds.
    pub took_ms: f64,
    /// Page number.
    pub page: usize,
    /// Hits per page.
    pub per_page: usize,
    /// The hits.
    pub hits: Vec<HitView>,
    /// Facet counts for the query and filters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub facets: Option<Facets>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// What was not searched, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The same in Spanish (what the web page shows).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings_es: Vec<String>,
    /// When nothing matched: the text with each word the index does not hold replaced by
    /// the closest one it does ("¿Quiso decir…?": `vijilancia` → `vigilancia`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// When nothing matched: the same search without one of its words or filters, each
    /// that finds something, most hits first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relaxations: Vec<RelaxationView>,
}

/// A wider search that finds something where the one asked found nothing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RelaxationView {
    /// The word or "phrase" left out, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_word: Option<String>,
    /// The two words or phrases left out together, offered only when leaving out any one
    /// of them (or any one filter) finds nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_words: Option<Vec<String>>,
    /// The filter left out: a parameter name, `dates` (`from`, `to`), `due` (`due_from`,
    /// `due_to`), `value` (`min_value`, `max_value`), or `all` for every filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_filter: Option<String>,
    /// Its parameters as a query string (for `/api/search?…` or the page `/?…`).
    pub query: String,
    /// Processes it finds.
    pub total: u64,
}

impl From<&Relaxation> for RelaxationView {
    fn from(r: &Relaxation) -> Self {
        let (mut without_word, mut without_words, mut without_filter) = (None, None, None);
        match &r.without {
            Without::Words(w) if w.len() == 1 => without_word = Some(w[0].clone()),
            Without::Words(w) => without_words = Some(w.clone()),
            Without::Filter(f) => without_filter = Some(f.to_string()),
            Without::AllFilters => without_filter = Some("all".to_string()),
        }
        RelaxationView {
            without_word,
            without_words,
            without_filter,
            query: super::web::query_string(&r.params),
            total: r.total,
        }
    }
}

impl SearchResponse {
    /// Builds the response of a search.
    pub fn new(r: SearchResult, page: usize, per_page: usize) -> Self {
        SearchResponse {
            total: r.total,
            took_ms: (r.took_ms * 100.0).round() / 100.0,
            page,
            per_page,
            hits: r.hits.into_iter().map(HitView::from).collect(),
            facets: r.facets,
            next_cursor: r.next_cursor,
            warnings_es: r.warnings.iter().map(|w| w.es().to_string()).collect(),
            warnings: r.warnings.iter().map(|w| w.en().to_string()).collect(),
            suggestion: r.suggestion,
            relaxations: Vec::new(),
        }
    }

    /// Adds the wider searches of a search that found nothing.
    pub fn with_relaxations(mut self, r: &[Relaxation]) -> Self {
        self.relaxations = r.iter().map(RelaxationView::from).collect();
        self
    }
}

/// One process with everything known about it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProcessResponse {
    /// The record.
    pub process: Process,
    /// Link to the original platform.
    pub url: String,
    /// `true` when `url` is the platform's public search, not the process (see the hits).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub url_is_search: bool,
    /// UNSPSC codes with the names of every level.
    pub categories: Vec<Category>,
    /// Keys of other processes the same identifier names (a shared reference or NIT), at
    /// most 49: `/api/search?q=` with the identifier lists them all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_matches: Vec<String>,
    /// How many other processes the identifier names (more than `also_matches` holds when
    /// it names more than 49).
    #[serde(skip_serializing_if = "crate::query::is_zero")]
    pub also_matches_total: u64,
}

impl ProcessResponse {
    /// Builds the response for a found process.
    pub fn new(found: crate::query::Found) -> Self {
        let u = Unspsc::get();
        let p = found.process;
        ProcessResponse {
            url: p.link(),
            url_is_search: !p.links_to_itself(),
            categories: p.unspsc.iter().map(|c| u.category(c)).collect(),
            process: p,
            also_matches: found.also,
            also_matches_total: found.total.saturating_sub(1),
        }
    }
}

/// Counts per month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthlyResponse {
    /// Months in order.
    #[schema(value_type = Vec<Object>)]
    pub months: Vec<MonthBucket>,
}
