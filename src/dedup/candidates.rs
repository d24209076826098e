//! Blocking: which processes are compared at all.
//!
//! Two processes are compared only when they belong to the same entity (the index's
//! `buyer` key: the normalized NIT, or `n:` and the folded name when the NIT is missing)
//! and were published within the time window of each other. Both come from the index
//! without reading a stored document: the entity's postings list gives its documents,
//! and the `published` fast field their dates. Stored documents are read only for
//! processes that have a neighbour in the window, one entity at a time, and only while
//! they are inside the sliding window, so memory follows the busiest weeks of one entity
//! rather than the size of the index.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::index::InvertedIndexReader;
use tantivy::schema::IndexRecordOption;
use tantivy::store::StoreReader;
use tantivy::{DocId, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use crate::index::Fields;
use crate::{Error, Result};

/// Every buyer key in the index, sorted. Bounded by the number of entities, not documents.
pub fn entities(searcher: &Searcher, fields: &Fields) -> Result<Vec<String>> {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for seg in searcher.segment_readers() {
        let inv = seg.inverted_index(fields.buyer)?;
        let mut stream = inv.terms().stream()?;
        while stream.advance() {
            if let Ok(k) = std::str::from_utf8(stream.key())
                && !keys.contains(k)
            {
                keys.insert(k.to_string());
            }
        }
    }
    Ok(keys.into_iter().collect())
}

/// What one thread needs to read a segment: its postings, dates and stored documents.
/// Each thread opens its own, so their document caches do not contend.
pub struct SegmentCtx {
    alive: Option<tantivy::fastfield::AliveBitSet>,
    buyer: Arc<InvertedIndexReader>,
    published: Column<i64>,
    value: Column<i64>,
    store: StoreReader,
}

/// Opens the readers of every segment of a searcher.
pub fn open_segments(searcher: &Searcher, fields: &Fields) -> Result<Vec<SegmentCtx>> {
    searcher
        .segment_readers()
        .iter()
        .map(|seg| {
            Ok(SegmentCtx {
                alive: seg.alive_bitset().cloned(),
                buyer: seg.inverted_index(fields.buyer)?,
                published: seg.fast_fields().i64("published")?,
                value: seg.fast_fields().i64("value")?,
                store: seg.get_store_reader(64)?,
            })
        })
        .collect()
}

/// One document of an entity, placed in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// Publication time, Unix seconds.
    pub published: i64,
    /// Segment ordinal.
    pub segment: u32,
    /// Document id in the segment.
    pub doc: DocId,
    /// The value people compare, whole COP.
    pub value: Option<i64>,
}

/// The live documents of one entity, sorted by publication time; documents without a
/// date are counted in `undated` and left out (they cannot be placed in a window).
pub fn slots(segments: &[SegmentCtx], fields: &Fields, key: &str) -> Result<(Vec<Slot>, u64)> {
    let term = Term::from_field_text(fields.buyer, key);
    let mut out = Vec::new();
    let mut undated = 0u64;
    for (ord, seg) in segments.iter().enumerate() {
        let Some(mut postings) = seg.buyer.read_postings(&term, IndexRecordOption::Basic)? else {
            continue;
        };
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if seg.alive.as_ref().is_none_or(|a| a.is_alive(doc)) {
                match seg.published.first(doc) {
                    Some(published) => out.push(Slot {
                        published,
                        segment: ord as u32,
                        doc,
                        value: seg.value.first(doc),
                    }),
                    None => undated += 1,
                }
            }
            doc = postings.advance();
        }
    }
    out.sort_unstable();
    Ok((out, undated))
}

/// Reads the stored record of a slot and hands its JSON to `f`.
pub fn with_json<R>(
    segments: &[SegmentCtx],
    fields: &Fields,
    slot: Slot,
    f: impl FnOnce(&str) -> Result<R>,
) -> Result<R> {
    use tantivy::schema::Value;
    let doc: TantivyDocument = segments[slot.segment as usize].store.get(slot.doc)?;
    let json = doc
        .get_first(fields.doc)
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::Other("a document without its record".into()))?;
    f(json)
}

/// Reads the stored process of a slot.
pub fn load(segments: &[SegmentCtx], fields: &Fields, slot: Slot) -> Result<crate::model::Process> {
    with_json(segments, fields, slot, |json| {
        Ok(serde_json::from_str(json)?)
    })
}

/// True for each slot that has another slot within `window` seconds: only those are
/// worth reading.
pub fn has_neighbour(slots: &[Slot], window: i64) -> Vec<bool> {
    let n = slots.len();
    (0..n)
        .map(|i| {
            (i > 0 && slots[i].published - slots[i - 1].published <= window)
                || (i + 1 < n && slots[i + 1].published - slots[i].published <= window)
        })
        .collect()
}

/// A sliding window over an entity's slots (sorted by time). For each slot `i` it holds
/// the loaded items of every slot within `window` seconds before or after it, and counts
/// the fingerprints of those items (how many processes of the entity open their object
/// text the same way in those weeks).
pub struct Window<T> {
    window: i64,
    lo: usize,
    hi: usize,
    items: VecDeque<Option<T>>,
    counts: HashMap<u64, u32>,
}

impl<T> Window<T> {
    /// An empty window of `window` seconds each side.
    pub fn new(window: i64) -> Window<T> {
        Window {
            window,
            lo: 0,
            hi: 0,
            items: VecDeque::new(),
            counts: HashMap::new(),
        }
    }

    /// Moves the window to centre on slot `i`: loads (with `load`) the slots that enter
    /// it, drops those that leave. `fingerprints` gives an item's text fingerprints.
    pub fn advance<F, G, I>(
        &mut self,
        slots: &[Slot],
        i: usize,
        mut load: F,
        fingerprints: G,
    ) -> Result<()>
    where
        F: FnMut(usize) -> Result<Option<T>>,
        G: Fn(&T) -> I,
        I: Iterator<Item = u64>,
    {
        let t = slots[i].published;
        while self.hi < slots.len() && slots[self.hi].published <= t.saturating_add(self.window) {
            let item = load(self.hi)?;
            if let Some(it) = &item {
                for fp in fingerprints(it) {
                    *self.counts.entry(fp).or_insert(0) += 1;
                }
            }
            self.items.push_back(item);
            self.hi += 1;
        }
        while self.lo < i && slots[self.lo].published < t.saturating_sub(self.window) {
            if let Some(Some(it)) = self.items.pop_front() {
                for fp in fingerprints(&it) {
                    if let Some(c) = self.counts.get_mut(&fp) {
                        *c -= 1;
                        if *c == 0 {
                            self.counts.remove(&fp);
                        }
                    }
                }
            }
            self.lo += 1;
        }
        Ok(())
    }

    /// The item of slot `i`, when loaded and inside the window.
    pub fn get(&self, i: usize) -> Option<&T> {
        if i < self.lo || i >= self.hi {
            return None;
        }
        self.items[i - self.lo].as_ref()
    }

    /// One past the last slot inside the window.
    pub fn end(&self) -> usize {
        self.hi
    }

    /// How many items inside the window have this fingerprint.
    pub fn count(&self, fingerprint: u64) -> u32 {
        self.counts.get(&fingerprint).copied().unwrap_or(0)
    }

    /// Items currently held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(days: i64) -> Slot {
        Slot {
            published: days * 86_400,
            segment: 0,
            doc: days as u32,
            value: None,
        }
    }

    #[test]
    fn only_slots_with_a_neighbour_are_read() {
        let slots = [s(0), s(100), s(102), s(300)];
        assert_eq!(
            has_neighbour(&slots, 10 * 86_400),
            vec![false, true, true, false]
        );
    }

    #[test]
    fn the_window_slides_and_counts() {
        let slots: Vec<Slot> = [0, 1, 2, 50, 51, 200].into_iter().map(s).collect();
        let mut w: Window<u64> = Window::new(10 * 86_400);
        let mut loads = 0;
        for i in 0..slots.len() {
            w.advance(
                &slots,
                i,
                |j| {
                    loads += 1;
                    Ok(Some(if j < 3 { 7 } else { j as u64 }))
                },
                |x| std::iter::once(*x),
            )
            .unwrap();
            match i {
                0..=2 => {
                    assert_eq!(w.end(), 3);
                    assert_eq!(w.count(7), 3);
                }
                3 | 4 => {
                    assert_eq!(w.end(), 5);
                    assert_eq!(w.count(7), 0, "slots 0-2 left the window");
                    assert_eq!(w.len(), 2);
                }
                _ => assert_eq!(w.len(), 1),
            }
            assert!(w.get(i).is_some());
        }
        assert_eq!(loads, slots.len(), "each slot is read once");
    }
}
