//! Segment merges bounded in size, so that memory stays flat whatever the corpus.
//!
//! tantivy's default [`LogMergePolicy`] merges eight segments of a size into one eight times
//! larger, without an upper bound below ten million documents. A merge reads its source
//! segments through `mmap`, and every page it reads counts in the writer's resident memory
//! until the merge ends: a 2,000,000-row harvest peaked at 1.4 GB, 1.24 GB of it the
//! mapped files of one merge of 1.6 million documents (a 1,000,000-row one at 0.5 GB).
//! [`BoundedMerges`] keeps the log policy's choice of what to merge, but never merges a
//! segment of more than a bound ([`MAX_MERGED_DOCS`], [`HARVEST_MAX_MERGED_DOCS`] for the
//! harvester) and splits a merge that would exceed it into several that do not. A big
//! index then has more segments (one per bound or so) instead of a few huge ones.

use std::collections::HashMap;

use tantivy::index::{SegmentId, SegmentMeta};
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// The most documents a merge reads, and so the largest segment it makes, by default
/// (import, reindex, enrichment): ≈ 220 MB of index for SECOP rows (≈ 730 bytes a
/// document, stored JSON included), within the import's 1 GB. Fewer, larger segments
/// search faster: the core benchmark's 1.14 M documents end in 11-17 segments (22 with
/// the harvester's bound, and a filtered p99 of 10.3 ms instead of 8.0), 5 after
/// `secop compact` ([`consolidation`]).
pub const MAX_MERGED_DOCS: u32 = 300_000;

/// The bound for the harvester, whose budget is 500 MB: ≈ 73 MB of index a merge.
pub const HARVEST_MAX_MERGED_DOCS: u32 = 100_000;

/// A segment with more than this share of deleted documents is merged (alone or with
/// others) to drop them: re-harvested processes leave their old versions deleted, and a
/// segment at the size bound would otherwise keep them for ever.
const DELETED_RATIO: f32 = 0.3;

/// tantivy's log merge policy with a bound on the documents a merge reads.
#[derive(Debug, Clone)]
pub struct BoundedMerges {
    inner: LogMergePolicy,
    max_docs: u32,
}

impl BoundedMerges {
    /// A policy whose merges read at most `max_docs` documents.
    pub fn new(max_docs: u32) -> Self {
        let mut inner = LogMergePolicy::default();
        inner.set_max_docs_before_merge(max_docs as usize);
        inner.set_del_docs_ratio_before_merge(DELETED_RATIO);
        BoundedMerges { inner, max_docs }
    }
}

impl MergePolicy for BoundedMerges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        // The size a merge reads is the segments' stored documents, deleted ones included.
        let eligible: Vec<SegmentMeta> = segments
            .iter()
            .filter(|s| s.max_doc() <= self.max_docs)
            .cloned()
            .collect();
        let info: HashMap<SegmentId, (u32, bool)> = eligible
            .iter()
            .map(|s| (s.id(), (s.max_doc(), mostly_deleted(s))))
            .collect();
        self.inner
            .compute_merge_candidates(&eligible)
            .into_iter()
            .flat_map(|c| split(c.0, &info, self.max_docs))
            .collect()
    }
}

/// The merges that leave the fewest segments under `max_docs` without reading more than
/// that at once (`secop compact`): every segment under the bound, smallest first, packed
/// into merges of at most `max_docs` documents. The log policy leaves up to seven segments
/// of each size unmerged (10 of the core benchmark's 17 hold under 30,000 documents each),
/// and every segment costs each search a lookup of every term.
pub fn consolidation(segments: &[SegmentMeta], max_docs: u32) -> Vec<MergeCandidate> {
    let info: HashMap<SegmentId, (u32, bool)> = segments
        .iter()
        .filter(|s| s.max_doc() <= max_docs)
        .map(|s| (s.id(), (s.max_doc(), mostly_deleted(s))))
        .collect();
    split(info.keys().copied().collect(), &info, max_docs)
}

/// True when a segment's deleted documents are over [`DELETED_RATIO`] of it.
fn mostly_deleted(s: &SegmentMeta) -> bool {
    s.max_doc() > 0 && s.num_deleted_docs() as f32 / s.max_doc() as f32 > DELETED_RATIO
}

/// Packs a merge's segments, smallest first, into merges of at most `max_docs`
/// documents. A group of one segment is no merge, unless the merge is there to drop that
/// segment's deleted documents.
fn split(
    mut ids: Vec<SegmentId>,
    info: &HashMap<SegmentId, (u32, bool)>,
    max_docs: u32,
) -> Vec<MergeCandidate> {
    let docs = |id: &SegmentId| info.get(id).map_or(0, |i| u64::from(i.0));
    ids.sort_by_key(docs);
    let mut groups: Vec<Vec<SegmentId>> = Vec::new();
    let mut current: Vec<SegmentId> = Vec::new();
    let mut total = 0u64;
    for id in ids {
        let n = docs(&id);
        if !current.is_empty() && total + n > u64::from(max_docs) {
            groups.push(std::mem::take(&mut current));
            total = 0;
        }
        total += n;
        current.push(id);
    }
    groups.push(current);
    groups
        .into_iter()
        .filter(|g| {
            g.len() >= 2
                || g.first()
                    .is_some_and(|id| info.get(id).is_some_and(|i| i.1))
        })
        .map(MergeCandidate)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::Index;
    use tantivy::schema::{INDEXED, Schema};

    /// Where segment metas come from in tests (an empty index in memory).
    fn inventory() -> Index {
        let mut b = Schema::builder();
        b.add_u64_field("n", INDEXED);
        Index::create_in_ram(b.build())
    }

    fn segments(inv: &Index, sizes: &[u32]) -> Vec<SegmentMeta> {
        sizes
            .iter()
            .map(|&n| inv.new_segment_meta(SegmentId::generate_random(), n))
            .collect()
    }

    fn merged_sizes(policy: &BoundedMerges, segs: &[SegmentMeta]) -> Vec<Vec<u32>> {
        sizes(policy.compute_merge_candidates(segs), segs)
    }

    /// The sizes of the segments of each merge.
    fn sizes(merges: Vec<MergeCandidate>, segs: &[SegmentMeta]) -> Vec<Vec<u32>> {
        let size: HashMap<SegmentId, u32> = segs.iter().map(|s| (s.id(), s.max_doc())).collect();
        merges
            .into_iter()
            .map(|c| c.0.iter().map(|id| size[id]).collect())
            .collect()
    }

    #[test]
    fn small_segments_merge_as_the_log_policy_says() {
        let inv = inventory();
        let segs = segments(&inv, &[10_000; 8]);
        let merges = merged_sizes(&BoundedMerges::new(MAX_MERGED_DOCS), &segs);
        assert_eq!(merges, vec![vec![10_000; 8]]);
        // Seven are not enough for the log policy.
        assert!(merged_sizes(&BoundedMerges::new(MAX_MERGED_DOCS), &segs[..7]).is_empty());
    }

    #[test]
    fn a_merge_over_the_bound_is_split_into_merges_under_it() {
        let inv = inventory();
        // Eight segments of 30,000: one merge of 240,000 for the log policy.
        let segs = segments(&inv, &[30_000; 8]);
        let merges = merged_sizes(&BoundedMerges::new(100_000), &segs);
        assert_eq!(merges.len(), 3, "{merges:?}");
        for m in &merges {
            assert!(m.iter().sum::<u32>() <= 100_000, "{merges:?}");
            assert!(m.len() >= 2, "{merges:?}");
        }
        // 90,000 + 90,000 + 60,000: every segment is merged.
        assert_eq!(merges.iter().map(Vec::len).sum::<usize>(), 8);
        // Eight of 45,000: four merges of two (three would pass the bound).
        let segs = segments(&inv, &[45_000; 8]);
        let merges = merged_sizes(&BoundedMerges::new(100_000), &segs);
        assert_eq!(merges, vec![vec![45_000; 2]; 4]);
        let merges = merged_sizes(&BoundedMerges::new(100_000), &segs[..5]);
        assert!(merges.is_empty(), "the log policy wants eight: {merges:?}");
    }

    #[test]
    fn segments_at_the_bound_are_never_merged() {
        let inv = inventory();
        let segs = segments(&inv, &[100_000; 10]);
        assert!(merged_sizes(&BoundedMerges::new(100_000), &segs).is_empty());
        let segs = segments(&inv, &[60_000; 10]);
        assert!(merged_sizes(&BoundedMerges::new(100_000), &segs).is_empty());
    }

    #[test]
    fn a_segment_with_many_deleted_documents_is_merged_to_drop_them() {
        let inv = inventory();
        let mut segs = segments(&inv, &[60_000, 60_000]);
        assert!(merged_sizes(&BoundedMerges::new(100_000), &segs).is_empty());
        segs[0] = segs[0].clone().with_delete_meta(30_000, 1);
        assert_eq!(
            merged_sizes(&BoundedMerges::new(100_000), &segs),
            vec![vec![60_000]]
        );
    }

    #[test]
    fn consolidation_packs_every_small_segment_under_the_bound() {
        let inv = inventory();
        let mut all = vec![5_000; 7];
        all.extend([30_000; 3]);
        all.extend([120_000, 280_000, 280_000, 400_000]);
        let segs = segments(&inv, &all);
        // The log policy waits for eight of a size; consolidation does not.
        assert!(merged_sizes(&BoundedMerges::new(300_000), &segs[7..]).is_empty());
        let mut merges = sizes(consolidation(&segs, 300_000), &segs);
        merges.iter_mut().for_each(|m| m.sort_unstable());
        let mut small = vec![5_000; 7];
        small.extend([30_000, 30_000, 30_000, 120_000]);
        // 245,000 documents in one merge; a 280,000 would pass the bound, alone it is no
        // merge, and 400,000 is over the bound.
        assert_eq!(merges, vec![small]);
        assert!(consolidation(&segs[11..], 300_000).is_empty());
    }
}
