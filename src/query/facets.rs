//! Facet counts read straight from the keyword and year fast fields.
//!
//! Every search page shows six facets. tantivy's general aggregation collector builds its
//! request tree for each of them in every segment, which cost a third of a millisecond even
//! for a one-hit search; this collector only opens six columns and counts term ordinals in
//! arrays, then turns the ordinals that were seen into text once per segment. Opening a
//! column reads its block metadata into memory, so the opened columns are kept per segment
//! ([`ColumnCache`]) instead of being opened again by every search.

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// The keyword facets and how many values each shows.
const KEYWORDS: [(&str, usize); 5] = [
    ("platform", 5),
    ("department", 40),
    ("modality", 20),
    ("status", 10),
    ("contract_type", 20),
];
/// Years shown, newest first.
const YEARS: usize = 40;

/// Counts per value: the keyword facets in [`KEYWORDS`] order, then the years.
#[derive(Debug, Default)]
pub(crate) struct FacetBuckets {
    /// Values and counts, most frequent first (ties by value), at most the facet's size.
    pub keywords: [Vec<(String, u64)>; 5],
    /// Years and counts, newest first.
    pub years: Vec<(String, u64)>,
}

impl FacetBuckets {
    /// The buckets of a keyword facet by name.
    pub fn keyword(&self, name: &str) -> &[(String, u64)] {
        KEYWORDS
            .iter()
            .position(|(n, _)| *n == name)
            .map_or(&[], |i| &self.keywords[i])
    }
}

/// The facet columns of one segment.
pub(crate) struct FacetColumns {
    keywords: Vec<Option<StrColumn>>,
    year: Option<Column<u64>>,
}

/// Opened facet columns by segment. Segments never change once written, so an entry stays
/// valid as long as its segment exists; the cache is emptied when it grows past the
/// segments a few index versions can hold.
#[derive(Default)]
pub(crate) struct ColumnCache {
    by_segment: Mutex<FxHashMap<SegmentId, Arc<FacetColumns>>>,
}

impl ColumnCache {
    fn get(&self, seg: &SegmentReader) -> tantivy::Result<Arc<FacetColumns>> {
        let id = seg.segment_id();
        let lock = || self.by_segment.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = lock().get(&id) {
            return Ok(c.clone());
        }
        let ff = seg.fast_fields();
        let mut keywords = Vec::with_capacity(KEYWORDS.len());
        for (name, _) in KEYWORDS {
            keywords.push(ff.str(name)?);
        }
        let cols = Arc::new(FacetColumns {
            keywords,
            year: ff.u64("year").ok(),
        });
        let mut map = lock();
        if map.len() >= 256 {
            map.clear();
        }
        map.insert(id, cols.clone());
        Ok(cols)
    }
}

/// The collector.
pub(crate) struct FacetCounts<'a>(pub &'a ColumnCache);

/// One segment's counts.
pub(crate) struct SegmentFacets {
    cols: Arc<FacetColumns>,
    counts: Vec<Vec<u64>>,
    years: FxHashMap<u64, u64>,
    /// Values of one block of documents.
    buf: Vec<Option<u64>>,
}

/// One segment's counts, as text.
#[derive(Default)]
pub(crate) struct Partial {
    keywords: [FxHashMap<String, u64>; 5],
    years: FxHashMap<u64, u64>,
}

impl Collector for FacetCounts<'_> {
    type Fruit = FacetBuckets;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        seg: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let cols = self.0.get(seg)?;
        let counts = cols
            .keywords
            .iter()
            .map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())])
            .collect();
        Ok(SegmentFacets {
            cols,
            counts,
            years: FxHashMap::default(),
            buf: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<Partial>) -> tantivy::Result<FacetBuckets> {
        let mut all = Partial::default();
        for p in parts {
            for (into, from) in all.keywords.iter_mut().zip(p.keywords) {
                for (k, n) in from {
                    *into.entry(k).or_default() += n;
                }
            }
            for (y, n) in p.years {
                *all.years.entry(y).or_default() += n;
            }
        }
        let mut out = FacetBuckets::default();
        for (i, map) in all.keywords.into_iter().enumerate() {
            let mut v: Vec<(String, u64)> = map.into_iter().collect();
            v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(KEYWORDS[i].1);
            out.keywords[i] = v;
        }
        let mut years: Vec<(u64, u64)> = all.years.into_iter().collect();
        years.sort_unstable_by_key(|y| std::cmp::Reverse(y.0));
        years.truncate(YEARS);
        out.years = years.into_iter().map(|(y, n)| (y.to_string(), n)).collect();
        Ok(out)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Partial;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (col, counts) in self.cols.keywords.iter().zip(self.counts.iter_mut()) {
            if let Some(o) = col.as_ref().and_then(|c| c.ords().first(doc)) {
                counts[o as usize] += 1;
            }
        }
        if let Some(y) = self.cols.year.as_ref().and_then(|c| c.first(doc)) {
            *self.years.entry(y).or_default() += 1;
        }
    }

    /// A block of matches (unscored searches): each column read for the whole block,
    /// which is several times cheaper than a value at a time.
    fn collect_block(&mut self, docs: &[DocId]) {
        self.buf.clear();
        self.buf.resize(docs.len(), None);
        for (col, counts) in self.cols.keywords.iter().zip(self.counts.iter_mut()) {
            let Some(col) = col else { continue };
            col.ords().first_vals(docs, &mut self.buf);
            for o in self.buf.iter_mut() {
                if let Some(o) = o.take() {
                    counts[o as usize] += 1;
                }
            }
        }
        if let Some(year) = &self.cols.year {
            year.first_vals(docs, &mut self.buf);
            for y in self.buf.iter_mut() {
                if let Some(y) = y.take() {
                    *self.years.entry(y).or_default() += 1;
                }
            }
        }
    }

    fn harvest(self) -> Partial {
        let mut out = Partial {
            years: self.years,
            ..Partial::default()
        };
        let mut buf = String::new();
        for (i, (col, counts)) in self.cols.keywords.iter().zip(self.counts).enumerate() {
            let Some(col) = col else { continue };
            for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                buf.clear();
                if col.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                    *out.keywords[i].entry(buf.clone()).or_default() += n;
                }
            }
        }
        out
    }
}
