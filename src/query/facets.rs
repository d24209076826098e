//! Facet counts read from the packed `facets` fast field ([`crate::index::packed`]).
//!
//! Every search page shows six facets. tantivy's general aggregation collector builds its
//! request tree for each of them in every segment, which cost a third of a millisecond even
//! for a one-hit search; reading six columns cost six lookups per match. This collector
//! reads one packed integer per match, a block of matches at a time, and counts each
//! facet's slot in a small array; the slots become text once per segment. Opening a column
//! reads its block metadata into memory, so the opened column is kept per segment
//! ([`ColumnCache`]) instead of being opened again by every search.

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::index::packed::{self, Slot};

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
/// Years counted in an array (from this one on, [`YEAR_SPAN`] of them); others in a map.
const FIRST_YEAR: usize = 1900;
const YEAR_SPAN: usize = 256;

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

/// Opened `facets` columns by segment. Segments never change once written, so an entry stays
/// valid as long as its segment exists; the cache is emptied when it grows past the
/// segments a few index versions can hold.
#[derive(Default)]
pub(crate) struct ColumnCache {
    by_segment: Mutex<FxHashMap<SegmentId, Option<Arc<Column<u64>>>>>,
}

impl ColumnCache {
    fn get(&self, seg: &SegmentReader) -> tantivy::Result<Option<Arc<Column<u64>>>> {
        let id = seg.segment_id();
        let lock = || self.by_segment.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = lock().get(&id) {
            return Ok(c.clone());
        }
        let col = seg.fast_fields().u64("facets").ok().map(Arc::new);
        let mut map = lock();
        if map.len() >= 256 {
            map.clear();
        }
        map.insert(id, col.clone());
        Ok(col)
    }
}

/// The collector.
pub(crate) struct FacetCounts<'a>(pub &'a ColumnCache);

/// One segment's counts.
pub(crate) struct SegmentFacets {
    col: Option<Arc<Column<u64>>>,
    /// Counts by slot value, one array per keyword facet (in [`KEYWORDS`] order).
    counts: [Vec<u64>; 5],
    /// Counts of the years from [`FIRST_YEAR`] on, and of any other year.
    years: Vec<u64>,
    other_years: FxHashMap<u64, u64>,
    /// Values of one block of documents.
    buf: Vec<Option<u64>>,
}

impl SegmentFacets {
    const SLOTS: [Slot; 5] = [
        packed::PLATFORM,
        packed::DEPARTMENT,
        packed::MODALITY,
        packed::STATUS,
        packed::CONTRACT_TYPE,
    ];

    #[inline]
    fn count(&mut self, v: u64) {
        for (slot, counts) in Self::SLOTS.iter().zip(self.counts.iter_mut()) {
            counts[slot.get(v)] += 1;
        }
        let y = packed::YEAR.get(v);
        match y.checked_sub(FIRST_YEAR).filter(|i| *i < YEAR_SPAN) {
            Some(i) => self.years[i] += 1,
            None if y != 0 => *self.other_years.entry(y as u64).or_default() += 1,
            None => {}
        }
    }
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
        Ok(SegmentFacets {
            col: self.0.get(seg)?,
            counts: SegmentFacets::SLOTS.map(|s| vec![0; s.size()]),
            years: vec![0; YEAR_SPAN],
            other_years: FxHashMap::default(),
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
        if let Some(v) = self.col.as_ref().and_then(|c| c.first(doc)) {
            self.count(v);
        }
    }

    /// A block of matches (unscored searches): the column read for the whole block, which
    /// is several times cheaper than a value at a time.
    fn collect_block(&mut self, docs: &[DocId]) {
        let Some(col) = self.col.clone() else { return };
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.resize(docs.len(), None);
        col.first_vals(docs, &mut buf);
        for v in buf.iter().flatten() {
            self.count(*v);
        }
        self.buf = buf;
    }

    fn harvest(self) -> Partial {
        let mut out = Partial {
            years: self.other_years,
            ..Partial::default()
        };
        for (i, n) in self.years.into_iter().enumerate().filter(|(_, n)| *n > 0) {
            *out.years.entry((FIRST_YEAR + i) as u64).or_default() += n;
        }
        for (i, counts) in self.counts.into_iter().enumerate() {
            let facet = KEYWORDS[i].0;
            for (slot, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                if let Some(value) = packed::keyword_value(facet, slot) {
                    *out.keywords[i].entry(value).or_default() += n;
                }
            }
        }
        out
    }
}
