//! The tantivy index: one document per process.
//!
//! * [`schema`]: the fields, what each is for, and the Spanish analyzer.
//! * [`document`]: a [`Process`] turned into a tantivy document.
//! * [`packed`]: the six facet values of a process in one integer.
//! * [`SecopIndex`]: opening, writing (with a commit payload that ties the index to the
//!   state database's generation), and reading.

pub mod document;
pub mod merge;
pub mod packed;
pub mod schema;

use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::indexer::IndexWriterOptions;
use tantivy::query::{Query, QueryParser};
use tantivy::schema::Field;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

pub use schema::Fields;

use crate::model::Process;
use crate::{Error, Result};

/// Memory the index writer may use before it flushes a segment.
pub const WRITER_HEAP: usize = 128 * 1024 * 1024;

/// The index in a data directory, with its fields and a reader that reloads on commit.
#[derive(Clone)]
pub struct SecopIndex {
    /// The tantivy index.
    pub index: Index,
    /// The schema's fields.
    pub fields: Fields,
    /// A reader that follows commits (also those of other processes).
    pub reader: IndexReader,
    dir: PathBuf,
    /// The most documents a merge of this process's writer reads ([`merge`]).
    merge_bound: u32,
}

impl SecopIndex {
    /// Opens the index under `data_dir/tantivy`, creating it when missing.
    pub fn open(data_dir: &Path) -> Result<SecopIndex> {
        let dir = data_dir.join("tantivy");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::file(&dir, format!("cannot create the index directory: {e}")))?;
        let mmap = MmapDirectory::open(&dir)
            .map_err(|e| Error::file(&dir, format!("cannot open the index directory: {e}")))?;
        let (schema, fields) = schema::build();
        let exists = Index::exists(&mmap)
            .map_err(|e| Error::file(&dir, format!("cannot read the index: {e}")))?;
        let index = if exists {
            let index = Index::open(mmap)?;
            if !schema::compatible(&index.schema(), &schema) {
                return Err(Error::IndexVersion(dir));
            }
            index
        } else {
            Index::create(mmap, schema, tantivy::IndexSettings::default())?
        };
        schema::register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SecopIndex {
            index,
            fields,
            reader,
            dir,
            merge_bound: merge::MAX_MERGED_DOCS,
        })
    }

    /// The directory holding the index files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state generation the last commit recorded (see [`crate::ingest`]).
    pub fn committed_generation(&self) -> Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0))
    }

    /// An id of what the reader sees: a hash of its segments and their deletes. A commit
    /// that changes anything changes it; a reload that changes nothing keeps it (tantivy's
    /// searcher generation counts reloads instead). Keys caches of answers.
    pub fn contents_id(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let searcher = self.reader.searcher();
        let mut h = rustc_hash::FxHasher::default();
        for (segment, deletes) in searcher.generation().segments() {
            segment.hash(&mut h);
            deletes.hash(&mut h);
        }
        h.finish()
    }

    /// A query for the words of `text` (any punctuation a separator) all in one `field`.
    pub fn words_in(&self, field: Field, text: &str) -> Box<dyn Query> {
        let mut p = QueryParser::for_index(&self.index, vec![field]);
        p.set_conjunction_by_default();
        let clean: String = text
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        p.parse_query_lenient(&clean).0
    }

    /// Number of documents visible to the reader.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Size of the index files on disk, in bytes.
    pub fn size_on_disk(&self) -> u64 {
        dir_size(&self.dir)
    }

    /// The committed segments, and how many of them `secop compact` would merge
    /// ([`merge::consolidation`]).
    pub fn segments(&self) -> Result<(usize, usize)> {
        let metas = self.index.searchable_segment_metas()?;
        let mergeable = merge::consolidation(&metas, self.merge_bound)
            .iter()
            .map(|m| m.0.len())
            .sum();
        Ok((metas.len(), mergeable))
    }

    /// Bounds the merges of the writers opened from here on at `max_docs` documents a
    /// merge (see [`merge`]; the harvester takes a tighter bound than the import).
    pub fn with_merge_bound(mut self, max_docs: u32) -> SecopIndex {
        self.merge_bound = max_docs;
        self
    }

    /// Opens the single writer. Another process writing gives [`Error::Busy`].
    pub fn writer(&self) -> Result<Writer> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        // One merge at a time: merges read their segments through mmap, and [`merge`]
        // bounds what one merge reads, not what several running together do.
        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_HEAP / threads)
            .num_worker_threads(threads)
            .num_merge_threads(1)
            .build();
        let w: IndexWriter = match self.index.writer_with_options(options) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => {
                return Err(Error::Busy(self.dir.clone()));
            }
            Err(e) => return Err(e.into()),
        };
        w.set_merge_policy(Box::new(merge::BoundedMerges::new(self.merge_bound)));
        Ok(Writer {
            w,
            fields: self.fields.clone(),
            merge_bound: self.merge_bound,
        })
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The index writer: upserts by key, commits with the state generation.
pub struct Writer {
    w: IndexWriter,
    fields: Fields,
    merge_bound: u32,
}

/// What [`Writer::consolidate`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Consolidation {
    /// Segments before.
    pub segments_before: usize,
    /// Segments after.
    pub segments_after: usize,
    /// Merges run.
    pub merges: usize,
}

impl Writer {
    /// Replaces the document of `p.key` (or adds it).
    pub fn upsert(&mut self, p: &Process) -> Result<()> {
        self.delete(&p.key);
        self.w.add_document(document::build(&self.fields, p)?)?;
        Ok(())
    }

    /// Adds the document of a key the index does not hold (no delete queued).
    pub fn add(&mut self, p: &Process) -> Result<()> {
        self.w.add_document(document::build(&self.fields, p)?)?;
        Ok(())
    }

    /// Deletes the document of a key.
    pub fn delete(&mut self, key: &str) {
        self.w
            .delete_term(Term::from_field_text(self.fields.key, key));
    }

    /// Deletes every document.
    pub fn delete_all(&mut self) -> Result<()> {
        self.w.delete_all_documents()?;
        Ok(())
    }

    /// Commits everything added since the last commit, recording `generation`.
    pub fn commit(&mut self, generation: i64) -> Result<()> {
        let mut prepared = self.w.prepare_commit()?;
        prepared.set_payload(&generation.to_string());
        prepared.commit()?;
        Ok(())
    }

    /// Drops everything added since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.w.rollback()?;
        Ok(())
    }

    /// Merges the committed segments under the merge bound into as few as the bound allows
    /// ([`merge::consolidation`]), one merge at a time, so memory stays within what one
    /// bounded merge reads. Merges keep the last commit's payload (the generation), so the
    /// state and the index stay in step; documents added since that commit are not touched.
    pub fn consolidate(&mut self, mut progress: impl FnMut(usize, usize)) -> Result<Consolidation> {
        // The policy would start merges of its own when ours end: none meanwhile.
        self.w
            .set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let r = self.consolidate_inner(&mut progress);
        self.w
            .set_merge_policy(Box::new(merge::BoundedMerges::new(self.merge_bound)));
        r
    }

    fn consolidate_inner(
        &mut self,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Consolidation> {
        let index = self.w.index().clone();
        let before = index.searchable_segment_metas()?;
        let merges = merge::consolidation(&before, self.merge_bound);
        let segments_before = before.len();
        // A live `SegmentMeta` keeps its files from garbage collection.
        drop(before);
        for (i, m) in merges.iter().enumerate() {
            progress(i, merges.len());
            self.w.merge(&m.0).wait()?;
        }
        progress(merges.len(), merges.len());
        if !merges.is_empty() {
            // The merged segments' files go now, not at the next commit.
            self.w.garbage_collect_files().wait()?;
        }
        Ok(Consolidation {
            segments_before,
            segments_after: index.searchable_segment_metas()?.len(),
            merges: merges.len(),
        })
    }

    /// Waits for background merges, then releases the writer.
    pub fn finish(self) -> Result<()> {
        self.w.wait_merging_threads()?;
        Ok(())
    }
}
