//! Searching the index: queries, filters, sorting with cursors, facets, and lookups by any
//! identifier. The CLI and the HTTP API both go through [`Engine`].

mod facets;
mod phrases;
pub mod relax;
pub mod request;
mod suggest;
mod text;
pub mod top;

use std::collections::HashMap;
use std::ops::Bound;
use std::time::Instant;

use serde::Serialize;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, TantivyDocument, Term};

pub use request::{Filter, Search, SearchParams, Sort, SortBy};

use crate::index::SecopIndex;
use crate::model::{ContractType, Modality, Platform, Process, Status};
use crate::normalize::normalize_nit;
use crate::normalize::place::Divipola;
use crate::normalize::text::{fold_words, id_norm};
use crate::{Error, Message, Result};

/// One hit.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The relevance score, when sorted by relevance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// A fragment of the text with the matched words in `<b>…</b>`; the rest of the
    /// text is HTML-escaped, so it is safe to insert as HTML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// The record.
    pub process: Process,
}

/// One facet value with its count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FacetValue {
    /// The filter value (code).
    pub value: String,
    /// The name for people.
    pub label: String,
    /// Matching processes.
    pub count: u64,
}

/// Facet counts for the current query and filters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    /// By platform.
    pub platform: Vec<FacetValue>,
    /// By department.
    pub department: Vec<FacetValue>,
    /// By modality.
    pub modality: Vec<FacetValue>,
    /// By status.
    pub status: Vec<FacetValue>,
    /// By contract type.
    pub contract_type: Vec<FacetValue>,
    /// By publication year.
    pub year: Vec<FacetValue>,
}

/// A page of results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// All matching processes.
    pub total: u64,
    /// Time taken, milliseconds.
    pub took_ms: f64,
    /// The page.
    pub hits: Vec<Hit>,
    /// Facet counts, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// What was not searched, and why (serialized in English).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Message>,
    /// When nothing matched: the text with each word the index does not hold replaced by
    /// the closest one it does (`vijilancia` → `vigilancia`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// Counts and value per month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthBucket {
    /// `YYYY-MM`.
    pub month: String,
    /// Processes.
    pub count: u64,
    /// Sum of values, whole COP.
    pub value: i64,
    /// Per platform: (code, count, value).
    pub platforms: Vec<(String, u64, i64)>,
}

/// A collected hit: its score (relevance), its sort key (value, key hash) and address.
type Collected = (Option<f32>, (Option<i64>, u64), DocAddress);

/// Sort key of a hit for sorting on a fast field: missing values last, then the key
/// hash. `None` marks a document excluded by the cursor.
type FieldKey = Option<(Option<i64>, u64)>;

/// The shortest identifier (folded, `mc0122026`) an exclusion leaves out by identifier.
const MIN_EXCLUDED_ID: usize = 6;

/// The most processes [`Engine::find`] returns for one identifier (a NIT names every
/// process of its entity: the search lists them all).
pub const FIND_MAX: usize = 50;

/// A process found by an identifier, and the others the identifier names.
#[derive(Debug)]
pub struct Found {
    /// The best match.
    pub process: Process,
    /// Keys of other processes the identifier names, best first, at most
    /// [`FIND_MAX`] − 1.
    pub also: Vec<String>,
    /// Processes the identifier names, the best match included.
    pub total: u64,
}

/// The search engine over an index.
#[derive(Clone)]
pub struct Engine {
    index: SecopIndex,
    parser: QueryParser,
    facet_columns: std::sync::Arc<facets::ColumnCache>,
}

impl Engine {
    /// An engine over an open index.
    pub fn new(index: SecopIndex) -> Engine {
        let f = &index.fields;
        let mut parser = QueryParser::for_index(&index.index, vec![f.all]);
        parser.set_conjunction_by_default();
        Engine {
            index,
            parser,
            facet_columns: Default::default(),
        }
    }

    /// The index.
    pub fn index(&self) -> &SecopIndex {
        &self.index
    }

    fn term(&self, field: Field, v: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, v),
            IndexRecordOption::Basic,
        ))
    }

    fn any_of(&self, field: Field, values: impl IntoIterator<Item = String>) -> Box<dyn Query> {
        let qs: Vec<(Occur, Box<dyn Query>)> = values
            .into_iter()
            .map(|v| (Occur::Should, self.term(field, &v)))
            .collect();
        if qs.len() == 1 {
            qs.into_iter().next().expect("one").1
        } else {
            Box::new(BooleanQuery::new(qs))
        }
    }

    fn range_i64(&self, field: Field, lo: Option<i64>, hi: Option<i64>) -> Box<dyn Query> {
        let b = |v: Option<i64>| {
            v.map_or(Bound::Unbounded, |x| {
                Bound::Included(Term::from_field_i64(field, x))
            })
        };
        Box::new(RangeQuery::new(b(lo), b(hi)))
    }

    /// The query for the free text: the text in the searchable fields, or an identifier.
    fn text_query(&self, text: &str, warnings: &mut Vec<Message>) -> Box<dyn Query> {
        let f = &self.index.fields;
        let plain = text::tidy(&text::plain_syntax(text));
        for op in text::lowercase_operators(&plain) {
            let upper = op.to_ascii_uppercase();
            let (en, es) = if upper == "NOT" {
                (
                    "to leave a word out, write NOT in capitals or put - before it (-agua)"
                        .to_string(),
                    "para excluir una palabra, escriba NOT en mayúsculas o - delante (-agua)"
                        .to_string(),
                )
            } else {
                (
                    format!("the operator is {upper} in capitals"),
                    format!("el operador se escribe {upper}, en mayúsculas"),
                )
            };
            warnings.push(Message::new(
                format!("{op:?} was searched as a word: {en}"),
                format!("«{op}» se buscó como palabra: {es}"),
            ));
        }
        let words = text::words(&plain);
        let q: Box<dyn Query> = if words.wanted == 0 && words.excluded == 0 {
            // Nothing the index holds (`de la`, `"y"`, `OR`): no match, said plainly,
            // rather than every document or none without a word.
            Box::new(EmptyQuery)
        } else {
            self.words_and_identifiers(&plain, &words, warnings)
        };
        // Any identifier finds its process: the text as one identifier (not when it is
        // excluded: `-890981195` asks for every process but that entity's).
        let ids = if plain.starts_with('-') {
            Vec::new()
        } else {
            self.held_ids(text)
        };
        if ids.is_empty() {
            if q.is::<EmptyQuery>() {
                warnings.push(nothing_to_search(text, &words.too_common));
            }
            return q;
        }
        let id_q: Box<dyn Query> = Box::new(BoostQuery::new(self.any_of(f.ids, ids), 50.0));
        Box::new(BooleanQuery::new(vec![
            (Occur::Should, q),
            (Occur::Should, id_q),
        ]))
    }

    /// The identifiers the index holds that a text may be: the text folded to an
    /// identifier (`CO1.BDOS.123` → `co1bdos123`), and a NIT in any spelling.
    fn held_ids(&self, text: &str) -> Vec<String> {
        let mut ids = vec![id_norm(text)];
        if let Some(n) = normalize_nit(text)
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || ".,- ".contains(c))
            && !ids.contains(&n)
        {
            ids.push(n);
        }
        ids.retain(|i| i.len() >= 3);
        // Only identifiers the index holds: an empty clause would keep tantivy from its
        // fast paths for plain words (see `prunable`).
        let searcher = self.index.reader.searcher();
        ids.retain(|i| {
            searcher
                .doc_freq(&Term::from_field_text(self.index.fields.ids, i))
                .map_or(true, |n| n > 0)
        });
        ids
    }

    /// A tidied text through the parser, its complaints kept as warnings, and two-word
    /// phrases answered from `pairs`. `only_exclusions`: the text wants no word (its
    /// [`text::Words`], computed by the caller).
    fn parsed(
        &self,
        plain: &str,
        only_exclusions: bool,
        warnings: &mut Vec<Message>,
    ) -> Box<dyn Query> {
        let (q, errors) = self.parser.parse_query_lenient(plain);
        for e in errors {
            // Only exclusions (`-obra`): every process but those, as asked.
            if only_exclusions
                && matches!(e, tantivy::query::QueryParserError::AllButQueryForbidden)
            {
                continue;
            }
            warnings.push(parser_warning(&e));
        }
        phrases::use_pairs(
            q,
            self.index.fields.pairs,
            &phrases::two_word_phrases(plain),
        )
    }

    /// The words of a text, where a word with a digit that is an identifier the index
    /// holds (`890981195 vigilancia`, `CO1.BDOS.10558939 seguros`) matches that
    /// identifier or the word: identifiers are not in the searchable text, so such a search
    /// found nothing. A text with `OR` goes to the parser as it is.
    fn words_and_identifiers(
        &self,
        plain: &str,
        words: &text::Words,
        warnings: &mut Vec<Message>,
    ) -> Box<dyn Query> {
        // One word alone is the whole text, which `text_query` looks up as an identifier,
        // unless it is an exclusion.
        let Some(parts) = text::plain_parts(plain)
            .filter(|p| p.len() > 1 || p.iter().any(|w| w.starts_with('-')))
        else {
            return self.parsed(plain, words.wanted == 0, warnings);
        };
        let mut rest: Vec<&str> = Vec::new();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let has_digit = |w: &str| w.chars().any(|c| c.is_ascii_digit());
        for part in parts {
            // An excluded identifier (`-890981195`) leaves out its processes, as well as the
            // word in the text. A short number (`-2026`, `-001`) is only a word: many
            // references are such numbers, and a year is no identifier.
            if let Some(id) = part.strip_prefix('-') {
                let held =
                    if id.starts_with('"') || !has_digit(id) || id_norm(id).len() < MIN_EXCLUDED_ID
                    {
                        Vec::new()
                    } else {
                        self.held_ids(id)
                    };
                if !held.is_empty() {
                    clauses.push((Occur::MustNot, self.any_of(self.index.fields.ids, held)));
                }
                rest.push(part);
                continue;
            }
            let held = if part.starts_with('"') || !has_digit(part) {
                Vec::new()
            } else {
                self.held_ids(part)
            };
            if held.is_empty() {
                rest.push(part);
                continue;
            }
            let either: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                // A word with a digit, not excluded: it is wanted.
                (Occur::Should, self.parsed(part, false, warnings)),
                (Occur::Should, self.any_of(self.index.fields.ids, held)),
            ]));
            clauses.push((Occur::Must, either));
        }
        if clauses.is_empty() {
            return self.parsed(plain, words.wanted == 0, warnings);
        }
        let rest = rest.join(" ");
        let w = text::words(&rest);
        // Stop words beside an identifier (`de 890981195`) ask for nothing more.
        if w.wanted + w.excluded > 0 {
            clauses.push((Occur::Must, self.parsed(&rest, w.wanted == 0, warnings)));
        }
        // Only exclusions: every process but those, as for excluded words.
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The whole query of a search.
    pub fn query(&self, s: &Search, warnings: &mut Vec<Message>) -> Result<Box<dyn Query>> {
        let f = &self.index.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(t) = &s.text {
            must.push((Occur::Must, self.text_query(t, warnings)));
        }
        for filter in &s.filters {
            let q: Box<dyn Query> = match filter {
                Filter::Platform(v) => {
                    self.any_of(f.platform, v.iter().map(|p| p.code().to_string()))
                }
                Filter::Nit(v) => self.any_of(f.nit, v.iter().cloned()),
                Filter::Buyer(v) => self.any_of(f.buyer, v.iter().cloned()),
                Filter::Entity(t) => self.index.words_in(f.entity, t),
                Filter::Department(v) => self.any_of(f.department, v.iter().cloned()),
                Filter::Municipality(v) => self.any_of(f.municipality, v.iter().cloned()),
                Filter::Modality(v) => {
                    self.any_of(f.modality, v.iter().map(|m| m.code().to_string()))
                }
                Filter::Status(v) => self.any_of(f.status, v.iter().map(|m| m.code().to_string())),
                Filter::ContractType(v) => {
                    self.any_of(f.contract_type, v.iter().map(|m| m.code().to_string()))
                }
                Filter::Unspsc(v) => self.any_of(f.unspsc, v.iter().cloned()),
                Filter::Supplier(t) => {
                    if t.chars().all(|c| c.is_ascii_digit()) {
                        self.term(f.supplier_ids, t)
                    } else {
                        self.index.words_in(f.suppliers, t)
                    }
                }
                Filter::Dataset(v) => self.any_of(f.dataset, v.iter().cloned()),
                Filter::Published(a, b) => self.range_i64(f.published, *a, *b),
                Filter::Due(a, b) => self.range_i64(f.due, *a, *b),
                Filter::Value(a, b) => self.range_i64(f.value, *a, *b),
            };
            // A filter narrows; it does not rank. Scored, a filter adds its own BM25 to the
            // text's: the rarer of two departments won (with `department=05,11` every top
            // hit was Bogotá's, +2.4 against a text score of 0.47), and a process with
            // fewer places, codes or words in its entity's name got more. The top hits
            // of a filtered search are then scored in one pass with the count, which
            // costs little more than the count alone (a block-max WAND pass over the text
            // would not see the filter).
            must.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
        }
        Ok(match must.len() {
            0 => Box::new(AllQuery),
            1 if s.text.is_some() => must.pop().expect("one").1,
            _ => Box::new(BooleanQuery::new(must)),
        })
    }

    fn load(&self, searcher: &Searcher, addr: DocAddress) -> Result<Process> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let json = doc
            .get_first(self.index.fields.doc)
            .and_then(|v| v.as_str())
            .ok_or_else(|| Error::Other("a document without its record".into()))?;
        Ok(serde_json::from_str(json)?)
    }

    /// Runs a search: one page of hits, the total, and facets when `with_facets`.
    pub fn search(&self, s: &Search, with_facets: bool) -> Result<SearchResult> {
        let t0 = Instant::now();
        let searcher = self.index.reader.searcher();
        let mut warnings = Vec::new();
        let query = self.query(s, &mut warnings)?;
        let cursor = s
            .cursor
            .as_deref()
            .map(|c| decode_cursor(c, s.sort, s.asked))
            .transpose()?;
        let offset = (s.page - 1) * s.per_page;
        // One more than the page, to know whether a next page exists.
        let limit = s.per_page + 1;
        let facets_coll = with_facets.then_some(facets::FacetCounts(&self.facet_columns));
        let (total, page, aggs): (usize, Vec<Collected>, _) = match (s.sort.by, cursor) {
            (SortBy::Relevance, None) if prunable(&*query) => {
                // The total and the facets need every match but no score; the page alone
                // lets tantivy skip the blocks that cannot reach it (block-max WAND), so
                // two passes cost far less than one that scores every match.
                // Without facets, the query counts itself: twice as fast as a collector
                // that is handed every match (3 ms instead of 6 for 766,800 matches).
                let (n, aggs) = match facets_coll {
                    Some(fc) => searcher.search(&*query, &(Count, Some(fc)))?,
                    None => (query.count(&searcher)?, None),
                };
                let hits = top_by_score(&searcher, &*query, offset + limit)?
                    .into_iter()
                    .skip(offset)
                    .map(|(sc, a)| (Some(sc), (None, 0), a))
                    .collect();
                (n, hits, aggs)
            }
            (SortBy::Relevance, None) => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score();
                let (n, hits, aggs) = searcher.search(&*query, &(Count, top, facets_coll))?;
                let hits = hits
                    .into_iter()
                    .map(|(sc, a)| (Some(sc), (None, 0), a))
                    .collect();
                (n, hits, aggs)
            }
            (SortBy::Relevance, Some(c)) => {
                // The same order as order_by_score: score descending, then document
                // address ascending; the cursor is the last hit's score and address.
                let ords: HashMap<String, u32> = searcher
                    .segment_readers()
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.segment_id().uuid_string(), i as u32))
                    .collect();
                let after_score = c.score.unwrap_or(f32::INFINITY);
                // A segment merged away since the previous page: fall back to the score.
                let after_addr = c
                    .segment
                    .as_ref()
                    .and_then(|sid| ords.get(sid))
                    .map(|&o| (o, c.doc.unwrap_or(0)));
                let top = TopDocs::with_limit(limit).tweak_score(move |seg: &SegmentReader| {
                    let ord = ords
                        .get(&seg.segment_id().uuid_string())
                        .copied()
                        .unwrap_or(u32::MAX);
                    move |doc: DocId, score: Score| -> Option<Score> {
                        let later = score < after_score
                            || (score == after_score && after_addr.is_some_and(|a| (ord, doc) > a));
                        later.then_some(score)
                    }
                });
                let (n, hits, aggs) = searcher.search(&*query, &(Count, top, facets_coll))?;
                let hits = hits
                    .into_iter()
                    .filter_map(|(k, a)| k.map(|sc| (Some(sc), (None, 0), a)))
                    .collect();
                (n, hits, aggs)
            }
            (by, c) => {
                let field = match by {
                    SortBy::Date => "published",
                    SortBy::Value => "value",
                    _ => "due",
                };
                let desc = s.sort.desc;
                let after: FieldKey = c.map(|c| (c.value, c.hash));
                let top = TopDocs::with_limit(limit).and_offset(offset).order_by(
                    move |seg: &SegmentReader| {
                        let col = seg
                            .fast_fields()
                            .i64(field)
                            .expect("sort fields are fast i64");
                        let kh = seg
                            .fast_fields()
                            .u64("key_hash")
                            .expect("key_hash is a fast field")
                            .first_or_default_col(0);
                        move |doc: DocId| -> FieldKey {
                            // Descending order throughout; ascending negates the value.
                            let v = col
                                .first(doc)
                                .map(|v| if desc { v } else { v.saturating_neg() });
                            let k = (v, kh.get_val(doc));
                            match after {
                                Some(a) if k >= a => None,
                                _ => Some(k),
                            }
                        }
                    },
                );
                let (n, hits, aggs) = searcher.search(&*query, &(Count, top, facets_coll))?;
                let hits = hits
                    .into_iter()
                    .filter_map(|(k, a)| k.map(|k| (None, k, a)))
                    .collect();
                (n, hits, aggs)
            }
        };
        let more = page.len() > s.per_page;
        let page: Vec<_> = page.into_iter().take(s.per_page).collect();
        let next_cursor = if more {
            page.last().map(|(score, (v, h), addr)| {
                let relevance = s.sort.by == SortBy::Relevance;
                encode_cursor(&CursorPos {
                    sort: s.sort.name(),
                    score: *score,
                    value: *v,
                    hash: *h,
                    segment: relevance.then(|| {
                        searcher
                            .segment_reader(addr.segment_ord)
                            .segment_id()
                            .uuid_string()
                    }),
                    doc: relevance.then_some(addr.doc_id),
                    asked: s.asked,
                })
            })
        } else {
            None
        };
        let snippets = self.snippet_generator(&searcher, &*query);
        let mut hits = Vec::with_capacity(page.len());
        for (score, _, addr) in page {
            let process = self.load(&searcher, addr)?;
            let snippet = snippets.as_ref().and_then(|g| {
                let sn = process.description.as_deref().map(|x| g.snippet(x));
                match sn {
                    Some(sn) if !sn.highlighted().is_empty() => Some(sn.to_html()),
                    _ => {
                        let st = g.snippet(&process.title);
                        (!st.highlighted().is_empty())
                            .then(|| st.to_html())
                            .or_else(|| sn.map(|x| x.to_html()))
                    }
                }
            });
            hits.push(Hit {
                score,
                snippet,
                process,
            });
        }
        let facets = aggs.map(|b| self.read_facets(&b));
        let suggestion = match &s.text {
            Some(t) if total == 0 => {
                suggest::suggest(self, &searcher, &text::tidy(&text::plain_syntax(t)))
            }
            _ => None,
        };
        Ok(SearchResult {
            total: total as u64,
            took_ms: t0.elapsed().as_secs_f64() * 1000.0,
            hits,
            facets,
            next_cursor,
            warnings,
            suggestion,
        })
    }

    /// Highlights the query's words in a description or title (the words are in `all`,
    /// analysed as those texts are).
    fn snippet_generator(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
    ) -> Option<SnippetGenerator> {
        let mut g = SnippetGenerator::create(searcher, query, self.index.fields.all).ok()?;
        g.set_max_num_chars(220);
        Some(g)
    }

    fn aggs(&self, json: serde_json::Value) -> AggregationCollector {
        let aggs: Aggregations =
            serde_json::from_value(json).expect("aggregation requests are valid");
        AggregationCollector::from_aggs(
            aggs,
            AggContextParams::new(
                AggregationLimitsGuard::new(Some(200_000_000), Some(100_000)),
                self.index.index.tokenizers().clone(),
            ),
        )
    }

    fn read_facets(&self, b: &facets::FacetBuckets) -> Facets {
        let buckets = |name: &str| -> &[(String, u64)] {
            if name == "year" {
                &b.years
            } else {
                b.keyword(name)
            }
        };
        let label_with = |name: &str, label: &dyn Fn(&str) -> String| -> Vec<FacetValue> {
            buckets(name)
                .iter()
                .map(|(value, count)| FacetValue {
                    label: label(value),
                    value: value.clone(),
                    count: *count,
                })
                .collect()
        };
        let divipola = Divipola::get();
        Facets {
            platform: label_with("platform", &|c| {
                Platform::parse(c).map_or(c.to_string(), |p| p.label().to_string())
            }),
            department: label_with("department", &|c| {
                divipola
                    .department(c)
                    .map_or(c.to_string(), |d| d.name.clone())
            }),
            modality: label_with("modality", &|c| {
                Modality::from_code(c).map_or(c.to_string(), |m| m.label().to_string())
            }),
            status: label_with("status", &|c| {
                Status::from_code(c).map_or(c.to_string(), |m| m.label().to_string())
            }),
            contract_type: label_with("contract_type", &|c| {
                ContractType::from_code(c).map_or(c.to_string(), |m| m.label().to_string())
            }),
            year: label_with("year", &|c| c.to_string()),
        }
    }

    /// Process count and value per month for a search (all hits, not a page).
    pub fn monthly(&self, s: &Search) -> Result<Vec<MonthBucket>> {
        let searcher = self.index.reader.searcher();
        let query = self.query(s, &mut Vec::new())?;
        let coll = self.aggs(serde_json::json!({
            "month": {
                "terms": {"field": "month", "size": 2000, "order": {"_key": "asc"}},
                "aggs": {
                    "value": {"sum": {"field": "value"}},
                    "platform": {
                        "terms": {"field": "platform", "size": 5},
                        "aggs": {"value": {"sum": {"field": "value"}}}
                    }
                }
            }
        }));
        let res = serde_json::to_value(searcher.search(&*query, &coll)?)?;
        let mut out = Vec::new();
        for b in res["month"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let m = b["key"].as_f64().unwrap_or(0.0) as u64;
            let platforms = b["platform"]["buckets"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            (
                                p["key"].as_str().unwrap_or("").to_string(),
                                p["doc_count"].as_u64().unwrap_or(0),
                                p["value"]["value"].as_f64().unwrap_or(0.0) as i64,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(MonthBucket {
                month: format!("{:04}-{:02}", m / 100, m % 100),
                count: b["doc_count"].as_u64().unwrap_or(0),
                value: b["value"]["value"].as_f64().unwrap_or(0.0) as i64,
                platforms,
            });
        }
        Ok(out)
    }

    /// Runs an aggregation request (tantivy's Elasticsearch-like JSON) over a search's
    /// hits and returns the result as JSON. For modules that count without loading
    /// documents (transition, stats).
    pub fn aggregate(&self, s: &Search, request: serde_json::Value) -> Result<serde_json::Value> {
        let searcher = self.index.reader.searcher();
        let query = self.query(s, &mut Vec::new())?;
        let aggs: Aggregations = serde_json::from_value(request)
            .map_err(|e| Error::Other(format!("aggregation request: {e}")))?;
        let coll = AggregationCollector::from_aggs(
            aggs,
            AggContextParams::new(
                AggregationLimitsGuard::new(Some(500_000_000), Some(200_000)),
                self.index.index.tokenizers().clone(),
            ),
        );
        Ok(serde_json::to_value(searcher.search(&*query, &coll)?)?)
    }

    /// Calls `f` with every matching process, in index order, loading one at a time:
    /// memory stays flat whatever the number of hits. Returns the number of hits.
    pub fn for_each(&self, s: &Search, mut f: impl FnMut(Process) -> Result<()>) -> Result<u64> {
        let searcher = self.index.reader.searcher();
        let query = self.query(s, &mut Vec::new())?;
        let mut n = 0u64;
        live_docs(&searcher, &*query, |addr| {
            f(self.load(&searcher, addr)?)?;
            n += 1;
            Ok(true)
        })?;
        Ok(n)
    }

    /// Counts the hits of a search, with what of its text was not searched and why (as
    /// [`SearchResult::warnings`]).
    pub fn count(&self, s: &Search) -> Result<(u64, Vec<Message>)> {
        let searcher = self.index.reader.searcher();
        let mut warnings = Vec::new();
        let query = self.query(s, &mut warnings)?;
        Ok((searcher.search(&*query, &Count)? as u64, warnings))
    }

    /// Finds a process by any identifier: its key, process id, CO1.REQ/NTC/PCCNTR, a
    /// constancia or uid, the entity's reference, or (last) the buyer's NIT. Returns the
    /// best match, the keys of other processes the identifier also names (at most
    /// [`FIND_MAX`] in all), and how many processes it names.
    pub fn find(&self, id: &str) -> Result<Option<Found>> {
        let id = id.trim();
        if id.is_empty() || id.len() > 300 {
            return Ok(None);
        }
        let f = &self.index.fields;
        let searcher = self.index.reader.searcher();
        let exact = self.term(f.key, id);
        let hits = searcher.search(&*exact, &TopDocs::with_limit(1).order_by_score())?;
        if let Some((_, a)) = hits.first() {
            return Ok(Some(Found {
                process: self.load(&searcher, *a)?,
                also: Vec::new(),
                total: 1,
            }));
        }
        let mut keys = vec![id_norm(id)];
        if let Some(n) = normalize_nit(id)
            && !keys.contains(&n)
            && id.chars().all(|c| c.is_ascii_digit() || ".,- ".contains(c))
        {
            keys.push(n);
        }
        keys.retain(|k| !k.is_empty());
        if keys.is_empty() {
            return Ok(None);
        }
        let q = self.any_of(f.ids, keys.clone());
        let (found, total) = searcher.search(
            &*q,
            &(TopDocs::with_limit(FIND_MAX).order_by_score(), Count),
        )?;
        let mut procs = Vec::with_capacity(found.len());
        for (_, a) in found {
            procs.push(self.load(&searcher, a)?);
        }
        // Best first: the process's own id, then an identifier of the process (not the
        // buyer's NIT), then the most recent.
        let norm = &keys[0];
        let rank = |p: &Process| -> u8 {
            if id_norm(&p.process_id) == *norm || id_norm(&p.key) == *norm {
                0
            } else if p.ids.iter().any(|x| id_norm(x) == *norm)
                || p.contracts.iter().any(|c| id_norm(&c.id) == *norm)
            {
                1
            } else {
                2
            }
        };
        procs.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| b.published_at.cmp(&a.published_at))
                .then_with(|| a.key.cmp(&b.key))
        });
        let mut it = procs.into_iter();
        Ok(it.next().map(|first| Found {
            process: first,
            also: it.map(|p| p.key).collect(),
            total: total as u64,
        }))
    }

    /// Processes of a buyer (by NIT or folded name key), newest first.
    pub fn buyer_key_of(name_or_nit: &str) -> String {
        normalize_nit(name_or_nit)
            .filter(|_| name_or_nit.chars().any(|c| c.is_ascii_digit()))
            .unwrap_or_else(|| format!("n:{}", fold_words(name_or_nit)))
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct CursorPos {
    sort: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<i64>,
    #[serde(default)]
    hash: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    segment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<u32>,
    /// The search's [`Search::asked`] (absent or 0: not checked).
    #[serde(default, skip_serializing_if = "is_zero")]
    asked: u64,
}

/// For `skip_serializing_if`: a count of zero is left out.
pub(crate) fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn encode_cursor(c: &CursorPos) -> String {
    let json = serde_json::to_string(c).expect("cursor serialises");
    json.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(s: &str, sort: Sort, asked: u64) -> Result<CursorPos> {
    let bad = || {
        Error::invalid(
            "invalid cursor: pass the next_cursor of the previous page unchanged",
            "cursor no válido: pase sin cambios el next_cursor de la página anterior",
        )
    };
    if s.len() % 2 != 0 || s.len() > 512 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16))
        .collect::<std::result::Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    let c: CursorPos = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if c.sort != sort.name() {
        return Err(Error::invalid(
            format!(
                "the cursor belongs to sort {}; keep the same sort while paging",
                c.sort
            ),
            format!(
                "el cursor es del orden {}; mantenga el mismo orden al pasar de página",
                c.sort
            ),
        ));
    }
    if c.asked != 0 && asked != 0 && c.asked != asked {
        return Err(Error::invalid(
            "the cursor belongs to another search: keep the same text and filters while paging, or start again without cursor",
            "el cursor es de otra búsqueda: mantenga el mismo texto y filtros al pasar de página, o empiece de nuevo sin cursor",
        ));
    }
    Ok(c)
}

/// True when tantivy can rank the query's top hits without scoring every match: one word
/// (or two-word phrase, see [`phrases`]), or words that must all appear, or words of which
/// any may.
fn prunable(q: &dyn Query) -> bool {
    let term = |q: &dyn Query| q.is::<TermQuery>() || q.is::<phrases::PairQuery>();
    if term(q) {
        return true;
    }
    q.downcast_ref::<BooleanQuery>().is_some_and(|b| {
        let c = b.clauses();
        !c.is_empty()
            && c.iter().all(|(_, q)| term(q.as_ref()))
            && (c.iter().all(|(o, _)| *o == Occur::Must)
                || c.iter().all(|(o, _)| *o == Occur::Should))
    })
}

/// The warning for a text without a word the index holds.
fn nothing_to_search(text: &str, too_common: &[String]) -> Message {
    let text = text.trim();
    if too_common.is_empty() {
        return Message::new(
            format!("nothing to search in {text:?}: it has no words"),
            format!("no hay nada que buscar en «{text}»: no tiene palabras"),
        );
    }
    let list = too_common.join(", ");
    let (en, es) = if too_common.len() == 1 {
        (
            format!("its word ({list}) is too common"),
            format!("su palabra ({list}) es demasiado común y no se indexa"),
        )
    } else {
        (
            format!("its words ({list}) are too common"),
            format!("sus palabras ({list}) son demasiado comunes y no se indexan"),
        )
    };
    Message::new(
        format!("nothing to search in {text:?}: {en}; add a more specific word"),
        format!("no hay nada que buscar en «{text}»: {es}; agregue una palabra más precisa"),
    )
}

/// The `k` best matches by score, best first (ties: the lower document address first),
/// with one block-max WAND threshold for the whole index. `TopDocs::order_by_score` starts
/// from zero in every segment, so each segment scores blocks that the best hits of the
/// segments before it already rule out; bounded merges (`crate::index::merge`) leave a
/// million documents in 15-20 segments, where that shows (the p50 and p99 of plain queries
/// ≈ 15 % lower on the core benchmark's index). Segments are read in order and a document
/// must beat the current k-th score strictly, so ties go to the lower address, as the
/// cursor of the next page expects (`TopDocs` with a small limit can drop such a tie).
pub fn top_by_score(
    searcher: &Searcher,
    query: &dyn Query,
    k: usize,
) -> Result<Vec<(Score, DocAddress)>> {
    use std::cmp::{Ordering, Reverse};
    use std::collections::BinaryHeap;

    /// A hit ordered best first: higher score, then lower address.
    #[derive(PartialEq)]
    struct Hit(Score, DocAddress);
    impl Eq for Hit {}
    impl PartialOrd for Hit {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Hit {
        fn cmp(&self, other: &Self) -> Ordering {
            self.0
                .partial_cmp(&other.0)
                .unwrap_or(Ordering::Equal)
                .then_with(|| other.1.cmp(&self.1))
        }
    }

    if k == 0 {
        return Ok(Vec::new());
    }
    let weight = query.weight(tantivy::query::EnableScoring::enabled_from_searcher(
        searcher,
    ))?;
    // The worst of the best k at the top: the one a better hit replaces.
    let mut heap: BinaryHeap<Reverse<Hit>> = BinaryHeap::with_capacity(k + 1);
    // The score to beat: the k-th best so far, once there are k.
    let bar = |heap: &BinaryHeap<Reverse<Hit>>| match heap.peek() {
        Some(Reverse(h)) if heap.len() == k => h.0,
        _ => Score::MIN,
    };
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let ord = ord as u32;
        let alive = reader.alive_bitset();
        let mut threshold = bar(&heap);
        weight.for_each_pruning(threshold, reader, &mut |doc, score| {
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                return threshold;
            }
            heap.push(Reverse(Hit(score, DocAddress::new(ord, doc))));
            if heap.len() > k {
                heap.pop();
            }
            threshold = bar(&heap);
            threshold
        })?;
    }
    let mut hits: Vec<Hit> = heap.into_iter().map(|Reverse(h)| h).collect();
    hits.sort_by(|a, b| b.cmp(a));
    Ok(hits.into_iter().map(|h| (h.0, h.1)).collect())
}

/// Calls `f` with every live document `q` matches, in index order, without scoring, until
/// `f` returns false.
pub(crate) fn live_docs(
    searcher: &tantivy::Searcher,
    q: &dyn tantivy::query::Query,
    mut f: impl FnMut(DocAddress) -> Result<bool>,
) -> Result<()> {
    let weight = q.weight(tantivy::query::EnableScoring::disabled_from_searcher(
        searcher,
    ))?;
    for (ord, seg) in searcher.segment_readers().iter().enumerate() {
        let mut scorer = weight.scorer(seg, 1.0)?;
        let alive = seg.alive_bitset();
        let mut doc = tantivy::DocSet::doc(&scorer);
        while doc != tantivy::TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) && !f(DocAddress::new(ord as u32, doc))? {
                return Ok(());
            }
            doc = tantivy::DocSet::advance(&mut scorer);
        }
    }
    Ok(())
}

/// What the query parser left out, said in both languages: the Spanish text does not
/// quote the parser's English.
fn parser_warning(e: &tantivy::query::QueryParserError) -> Message {
    use tantivy::query::QueryParserError as E;
    match e {
        E::AllButQueryForbidden => Message::new(
            "ignored a group that only excludes words (-word): put a word to search beside it",
            "se ignoró un grupo que solo excluye palabras (-palabra): escriba junto a él una \
             palabra que buscar",
        ),
        e => Message::new(
            format!("ignored part of the query: {e}"),
            "se ignoró una parte de la búsqueda que no se pudo leer",
        ),
    }
}

#[cfg(test)]
mod top_tests {
    use super::top_by_score;
    use tantivy::collector::TopDocs;
    use tantivy::indexer::NoMergePolicy;
    use tantivy::query::QueryParser;
    use tantivy::schema::{STRING, Schema, TEXT};
    use tantivy::{Index, IndexWriter, Term, doc};

    /// Finds the best `k` of all matches, in the order of a page, ties included, across
    /// segments with deleted documents. (`TopDocs` with a small limit does not always: with
    /// many tied scores it can drop a tied document of a lower address for a higher one.)
    #[test]
    fn one_threshold_across_segments_finds_the_best_k_of_all_matches() {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT);
        let id = b.add_text_field("id", STRING);
        let index = Index::create_in_ram(b.build());
        let mut w: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        w.set_merge_policy(Box::new(NoMergePolicy));
        let words = [
            "obra",
            "vial",
            "servicios",
            "apoyo",
            "gestion",
            "seguros",
            "aseo",
        ];
        let mut n = 0u32;
        // Seven segments; many documents are identical, so many scores tie.
        for seg in 0..7 {
            for i in 0..300u32 {
                let a = words[(i as usize * 7 + seg) % words.len()];
                let b = words[(i as usize / 3) % words.len()];
                let body = match i % 5 {
                    0 => format!("{a} {b} {a}"),
                    1 => format!("{a} {b}"),
                    2 => format!("{b} {b} {b} {a}"),
                    _ => format!("{a} {a} {b} relleno relleno"),
                };
                w.add_document(doc!(text => body, id => n.to_string()))
                    .unwrap();
                n += 1;
            }
            w.commit().unwrap();
        }
        for d in (0..n).step_by(11) {
            w.delete_term(Term::from_field_text(id, &d.to_string()));
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 7);
        let parser = QueryParser::for_index(&index, vec![text]);
        for q in [
            "obra",
            "obra vial",
            "servicios OR apoyo",
            "+gestion seguros",
            "aseo -obra",
        ] {
            let query = parser.parse_query(q).unwrap();
            // Every match, scored without pruning (a limit above the number of matches),
            // in the order of a page: score descending, then address ascending.
            let mut truth = searcher
                .search(&*query, &TopDocs::with_limit(100_000).order_by_score())
                .unwrap();
            assert!(truth.len() > 100, "{q:?}: {} matches", truth.len());
            truth.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for k in [1, 5, 10, 21, 100, 5000] {
                let ours = top_by_score(&searcher, &*query, k).unwrap();
                assert_eq!(ours, truth[..k.min(truth.len())], "{q:?}, k = {k}");
            }
        }
        let none = parser.parse_query("inexistente").unwrap();
        assert!(top_by_score(&searcher, &*none, 10).unwrap().is_empty());
    }
}
