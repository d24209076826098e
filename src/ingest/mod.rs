//! From rows to documents: upsert into the state, join, assemble, index; crash-safe.
//!
//! Rows arrive in batches. Each batch is one SQLite transaction: every row is compared by
//! content hash with what the state holds (an unchanged row touches nothing), joined to its
//! process, and stored; every process a batch touched is rebuilt from all its rows and
//! written to the index, and journalled in `pending` with the current *generation*. The
//! index is committed every so many rows with the generation as its commit payload.
//!
//! After a crash at any point, [`Ingestor::new`] compares the index's payload with the
//! state's generation and rebuilds the journalled processes the index missed. The state
//! is the source of truth and the index is derived from it, so the two never drift apart
//! and nothing is lost or duplicated.

pub mod assemble;
pub mod files;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use crate::index::{SecopIndex, Writer};
use crate::sources::datasets::{self, Dataset};
use crate::sources::{Fragment, Row};
use crate::state::{State, StoredRow};
use crate::{Error, Result};

pub use assemble::assemble;

/// Rows between index commits.
pub const COMMIT_EVERY: usize = 250_000;

/// A row made ready off the writing thread: normalised, hashed, encoded.
#[derive(Debug)]
pub struct PreparedRow {
    /// The row's share of its process.
    pub fragment: Fragment,
    /// Content hash ([`Row::content_hash`]).
    pub hash: i64,
    /// The row's columns.
    pub header: std::sync::Arc<crate::sources::Header>,
    /// [`Row::encode`]d values.
    pub raw: Vec<u8>,
}

/// A row that cannot be used, with the reason.
#[derive(Debug)]
pub struct Rejected {
    /// Dataset, when known.
    pub dataset: Option<&'static str>,
    /// Why.
    pub reason: String,
    /// The row's text, for people to look at.
    pub raw: Option<String>,
}

/// One item of a batch: where it came from, and the row or its rejection.
#[derive(Debug)]
pub struct Prepared {
    /// The file or harvest source.
    pub source: Arc<str>,
    /// Line in the file.
    pub line: Option<u64>,
    /// The row, or why it was refused.
    pub item: std::result::Result<PreparedRow, Rejected>,
}

/// Normalises, hashes and encodes one row (cheap to run on another thread).
pub fn prepare(ds: &'static dyn Dataset, row: &Row) -> std::result::Result<PreparedRow, Rejected> {
    match ds.normalize(row) {
        Ok(fragment) => Ok(PreparedRow {
            fragment,
            hash: row.content_hash(),
            header: row.header().clone(),
            raw: row.encode(),
        }),
        Err(e) => Err(Rejected {
            dataset: Some(ds.id()),
            reason: e.to_string(),
            raw: Some(row.canonical_json()),
        }),
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Counts {
    /// Rows read (good ones).
    pub read: u64,
    /// Rows never seen before.
    pub new: u64,
    /// Rows whose content changed.
    pub changed: u64,
    /// Rows seen before with the same content.
    pub unchanged: u64,
    /// Rows whose last-update date is older than the stored version's (a download older
    /// than what was harvested or imported before): kept out, the newer version stays.
    #[serde(default)]
    pub older: u64,
    /// Rows refused, with the reason in the quarantine.
    pub quarantined: u64,
    /// Process documents written or deleted.
    pub processes: u64,
}

impl Counts {
    /// Adds another run's counts.
    pub fn add(&mut self, o: &Counts) {
        self.read += o.read;
        self.new += o.new;
        self.changed += o.changed;
        self.unchanged += o.unchanged;
        self.older += o.older;
        self.quarantined += o.quarantined;
        self.processes += o.processes;
    }
}

/// A row's own last-update time as comparable seconds: the date and time the row says
/// (SECOP II's "última publicación", both platforms' "última actualización"), read as a
/// wall clock. Rows without one (detail pages) have none.
pub fn updated_of(f: &Fragment) -> Option<i64> {
    f.process.last_update_at.map(|t| t.and_utc().timestamp())
}

/// True when an arriving version of a row is older than the stored one by their own
/// last-update dates: an old download imported after a newer one must not bring back the
/// old values. Equal dates, or a missing date on either side, keep the arrival order
/// (upsert), so a same-day correction still replaces.
pub fn is_older(arriving: Option<i64>, stored: Option<i64>) -> bool {
    matches!((arriving, stored), (Some(a), Some(s)) if a < s)
}

/// True for keys that name a process by the platform's own process id.
pub fn is_strong_key(key: &str) -> bool {
    key.starts_with("secop2:CO1.BDOS.") || key.starts_with("secop1:")
}

/// Writes batches into the state and the index. One at a time per data directory.
pub struct Ingestor<'a> {
    state: &'a State,
    writer: Writer,
    run_id: i64,
    generation: i64,
    dirty: bool,
    uncommitted: usize,
    /// Counts so far.
    pub counts: Counts,
    commit_every: usize,
    timings: Timings,
}

/// Where a run spent its time (logged at the end with `-v`).
#[derive(Debug, Default)]
struct Timings {
    rows: std::time::Duration,
    rebuild: std::time::Duration,
    commit_state: std::time::Duration,
    commit_index: std::time::Duration,
}

impl<'a> Ingestor<'a> {
    /// Opens the writer, repairs the index after a crash, and starts a run.
    pub fn new(
        state: &'a State,
        index: &SecopIndex,
        kind: &str,
        args: &str,
    ) -> Result<Ingestor<'a>> {
        // The writer first: a second writer fails here, before any run is recorded.
        let mut ing = Ingestor::resume_run(state, index, 0)?;
        state.mark_interrupted(kind)?;
        ing.run_id = state.start_run(kind, args)?;
        Ok(ing)
    }

    /// Opens the writer for a run started earlier with [`State::start_run`], repairing the
    /// index after a crash like [`Ingestor::new`]. A slow run (`secop enrich` reads one
    /// page every 2 s) writes in short sessions with this and [`Ingestor::release`], so that
    /// other writers (import, harvest) get in between.
    pub fn resume_run(state: &'a State, index: &SecopIndex, run_id: i64) -> Result<Ingestor<'a>> {
        let mut writer = index.writer()?;
        let generation = recover(state, index, &mut writer)?;
        Ok(Ingestor {
            state,
            writer,
            run_id,
            generation: generation + 1,
            dirty: false,
            uncommitted: 0,
            counts: Counts::default(),
            commit_every: COMMIT_EVERY,
            timings: Timings::default(),
        })
    }

    /// Commits and releases the writer, leaving the run open (see
    /// [`Ingestor::resume_run`]). Returns this session's counts.
    pub fn release(mut self) -> Result<Counts> {
        self.commit()?;
        let c = self.counts.clone();
        self.writer.finish()?;
        Ok(c)
    }

    /// The run id (for quarantine entries written by callers).
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Commits the index every `n` rows instead of the default.
    pub fn set_commit_every(&mut self, n: usize) {
        self.commit_every = n.max(1);
    }

    /// Applies one batch in one transaction. On error nothing of the batch remains.
    pub fn apply(&mut self, batch: Vec<Prepared>) -> Result<Counts> {
        self.apply_with(batch, |_| Ok(()))
    }

    /// Applies one batch and runs `f` in the same transaction: the harvester saves its
    /// progress atomically with the rows it fetched.
    pub fn apply_with(
        &mut self,
        batch: Vec<Prepared>,
        f: impl FnOnce(&State) -> Result<()>,
    ) -> Result<Counts> {
        self.state.begin()?;
        let r = self
            .apply_inner(batch)
            .and_then(|c| f(self.state).map(|_| c))
            .and_then(|c| {
                let t = std::time::Instant::now();
                self.state.commit()?;
                self.timings.commit_state += t.elapsed();
                Ok(c)
            });
        match r {
            Ok(c) => {
                self.counts.add(&c);
                self.uncommitted += (c.read + c.quarantined) as usize;
                if self.uncommitted >= self.commit_every {
                    self.commit()?;
                }
                Ok(c)
            }
            Err(e) => {
                self.state.rollback();
                if let Err(e2) = self.discard_batch() {
                    tracing::error!(error = %e2, "could not restore the index writer after a failed batch");
                }
                Err(e)
            }
        }
    }

    /// Drops a failed batch's documents from the writer. A rollback also drops those of the
    /// batches committed to the state since the last index commit, so they are written again
    /// from the state's journal.
    fn discard_batch(&mut self) -> Result<()> {
        self.writer.rollback()?;
        let keys = self.state.pending_after(self.generation - 1)?;
        for key in &keys {
            rewrite_from_state(self.state, &mut self.writer, key, Write::Upsert)?;
        }
        self.dirty = !keys.is_empty();
        Ok(())
    }

    fn apply_inner(&mut self, batch: Vec<Prepared>) -> Result<Counts> {
        let t0 = std::time::Instant::now();
        let mut c = Counts::default();
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let mut fresh: HashMap<String, Fragment> = HashMap::with_capacity(batch.len());
        // Rows this batch inserted for the first time: a process made only of them has no
        // document yet, so it is added without a delete (a delete costs memory until the
        // next commit and a lookup in every segment at commit).
        let mut new_rows: HashSet<String> = HashSet::with_capacity(batch.len());
        // Processes that lost rows in this batch (moved to another key, or merged away):
        // they may have a document even if all their remaining rows are new.
        let mut lost: BTreeSet<String> = BTreeSet::new();
        for p in batch {
            let row = match p.item {
                Err(rej) => {
                    self.state.quarantine(
                        self.run_id,
                        &p.source,
                        p.line,
                        rej.dataset,
                        &rej.reason,
                        rej.raw.as_deref(),
                    )?;
                    c.quarantined += 1;
                    continue;
                }
                Ok(r) => r,
            };
            c.read += 1;
            let f = &row.fragment;
            let old = self.state.row(&f.row_key)?;
            let updated = updated_of(f);
            match &old {
                Some(o) if o.hash == row.hash => {
                    c.unchanged += 1;
                    continue;
                }
                Some(o) if is_older(updated, o.updated) => {
                    c.older += 1;
                    continue;
                }
                Some(_) => c.changed += 1,
                None => {
                    c.new += 1;
                    new_rows.insert(f.row_key.clone());
                }
            }
            let key = self.resolve(f, &mut lost)?;
            let header_id = self.state.header_id(&row.header)?;
            self.state.put_row(
                &f.row_key,
                &key,
                f.dataset,
                row.hash,
                header_id,
                &row.raw,
                updated,
                self.run_id,
            )?;
            if let Some(o) = old
                && o.process_key != key
            {
                lost.insert(o.process_key);
            }
            touched.insert(key);
            fresh.insert(f.row_key.clone(), row.fragment);
        }
        touched.extend(lost.iter().cloned());
        let t1 = std::time::Instant::now();
        self.timings.rows += t1 - t0;
        for key in &touched {
            let brand_new = !lost.contains(key);
            self.rebuild(key, &mut fresh, &new_rows, brand_new)?;
            self.state.add_pending(key, self.generation)?;
            c.processes += 1;
        }
        self.timings.rebuild += t1.elapsed();
        if !touched.is_empty() {
            self.state.set_generation(self.generation)?;
            self.dirty = true;
        }
        Ok(c)
    }

    /// Finds the process a row belongs to, joining through link ids and merging a
    /// provisional process into the real one when the join is found late (the keys merged
    /// away go into `merged`).
    fn resolve(&mut self, f: &Fragment, merged: &mut BTreeSet<String>) -> Result<String> {
        let mut found: Vec<String> = Vec::new();
        // Each link id's process as stored, looked up once.
        let mut current: Vec<Option<String>> = Vec::with_capacity(f.link_ids.len());
        for id in &f.link_ids {
            let k = self.state.alias(id)?;
            if let Some(k) = &k
                && !found.contains(k)
            {
                found.push(k.clone());
            }
            current.push(k);
        }
        let key = match &f.strong_key {
            Some(k) => k.clone(),
            None => found
                .iter()
                .find(|k| is_strong_key(k))
                .or(found.first())
                .cloned()
                .unwrap_or_else(|| f.provisional_key()),
        };
        for other in &found {
            if *other != key && !is_strong_key(other) {
                self.state.merge_process(other, &key)?;
                merged.insert(other.clone());
            }
        }
        let other_strong = found.iter().any(|k| k != &key && is_strong_key(k));
        for (id, cur) in f.link_ids.iter().zip(current) {
            // A merge above moved the provisional process's aliases to `key` already.
            let cur = cur.map(|k| if merged.contains(&k) { key.clone() } else { k });
            let keep_other =
                other_strong && cur.as_ref().is_some_and(|k| *k != key && is_strong_key(k));
            // Written only when it changes: most rows repeat links already known.
            if !keep_other && cur.as_deref() != Some(key.as_str()) {
                self.state.set_alias(id, &key)?;
            }
        }
        Ok(key)
    }

    /// Rewrites the document of a process from all its rows.
    fn rebuild(
        &mut self,
        key: &str,
        fresh: &mut HashMap<String, Fragment>,
        new_rows: &HashSet<String>,
        may_be_new: bool,
    ) -> Result<()> {
        let rows = self.state.row_refs(key)?;
        if rows.is_empty() {
            self.writer.delete(key);
            return Ok(());
        }
        let brand_new = may_be_new && rows.iter().all(|r| new_rows.contains(&r.row_key));
        let mut frags = Vec::with_capacity(rows.len());
        for r in rows {
            // Rows of this batch are still in memory; only older ones are read back.
            match fresh.remove(&r.row_key) {
                Some(f) => frags.push(f),
                None => {
                    if let Some(f) = fragment_from_stored(&self.state.load_row(r)?)? {
                        frags.push(f);
                    }
                }
            }
        }
        match assemble(key, frags) {
            Some(p) if brand_new => self.writer.add(&p)?,
            Some(p) => self.writer.upsert(&p)?,
            None => self.writer.delete(key),
        }
        Ok(())
    }

    /// Commits the index with the current generation.
    pub fn commit(&mut self) -> Result<()> {
        if self.dirty {
            let t = std::time::Instant::now();
            self.writer.commit(self.generation)?;
            self.timings.commit_index += t.elapsed();
            self.state.clear_pending(self.generation)?;
            self.generation += 1;
            self.dirty = false;
        }
        self.uncommitted = 0;
        Ok(())
    }

    /// Commits, records the run, and releases the writer.
    pub fn finish(mut self, status: &str, extra: serde_json::Value) -> Result<Counts> {
        self.commit()?;
        tracing::info!(timings = ?self.timings, counts = ?self.counts, "run finished");
        let mut counts = serde_json::to_value(&self.counts)?;
        if let (serde_json::Value::Object(m), serde_json::Value::Object(x)) = (&mut counts, extra) {
            m.extend(x);
        }
        self.state.finish_run(self.run_id, status, &counts)?;
        let c = self.counts.clone();
        self.writer.finish()?;
        Ok(c)
    }

    /// Records a failed run (the rows committed so far stay, and the index gets them).
    pub fn fail(mut self, why: &str) -> Result<Counts> {
        self.commit()?;
        let counts = serde_json::json!({ "counts": self.counts, "error": why });
        self.state.finish_run(self.run_id, "failed", &counts)?;
        let c = self.counts.clone();
        self.writer.finish()?;
        Ok(c)
    }

    /// Rewrites one process's document from the state (enrichment uses it).
    pub fn refresh(&mut self, key: &str) -> Result<()> {
        self.state.begin()?;
        let r = self
            .rebuild(key, &mut HashMap::new(), &HashSet::new(), false)
            .and_then(|_| {
                self.state.add_pending(key, self.generation)?;
                self.state.set_generation(self.generation)
            });
        match r {
            Ok(()) => {
                self.state.commit()?;
                self.dirty = true;
                Ok(())
            }
            Err(e) => {
                self.state.rollback();
                Err(e)
            }
        }
    }
}

/// Rebuilds a fragment from a stored row; `None` for a dataset this version no longer
/// knows.
pub fn fragment_from_stored(stored: &StoredRow) -> Result<Option<Fragment>> {
    let (row_key, dataset) = (stored.row_key.as_str(), stored.dataset.as_str());
    let Some(ds) = datasets::by_name(dataset) else {
        tracing::warn!(row_key, dataset, "stored row of an unknown dataset ignored");
        return Ok(None);
    };
    let row = stored
        .row()
        .map_err(|e| Error::Other(format!("stored row {row_key} is corrupt: {e}")))?;
    match ds.normalize(&row) {
        Ok(f) => Ok(Some(f)),
        Err(e) => {
            tracing::warn!(row_key, error = %e, "stored row no longer normalises");
            Ok(None)
        }
    }
}

/// How [`rewrite_from_state`] writes a document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Replaces the key's document, if any.
    Upsert,
    /// Adds it: the index holds no document of the key (after `delete_all`). A queued
    /// delete holds memory until the commit, which a full reindex would pay a million times.
    Add,
}

/// Rewrites one process's document from its stored rows; false when it has none (deleted).
fn rewrite_from_state(state: &State, writer: &mut Writer, key: &str, how: Write) -> Result<bool> {
    let rows = state.rows_of(key)?;
    let mut frags = Vec::with_capacity(rows.len());
    for stored in &rows {
        if let Some(f) = fragment_from_stored(stored)? {
            frags.push(f);
        }
    }
    match assemble(key, frags) {
        Some(p) if how == Write::Add => {
            writer.add(&p)?;
            Ok(true)
        }
        Some(p) => {
            writer.upsert(&p)?;
            Ok(true)
        }
        None => {
            if how == Write::Upsert {
                writer.delete(key);
            }
            Ok(false)
        }
    }
}

/// Brings the index up to the state after a crash; returns the generation both now have.
fn recover(state: &State, index: &SecopIndex, writer: &mut Writer) -> Result<i64> {
    let indexed = index.committed_generation()?;
    let stored = state.generation()?;
    if stored <= indexed {
        return Ok(indexed.max(stored));
    }
    if indexed == 0 {
        // An index that never committed beside a state that did: a new index (deleted, or
        // replaced after an upgrade) or a rebuild killed before its commit. The pending
        // list only names the last writes: rebuild every process.
        tracing::info!(
            stored,
            "the index is new or its rebuild was interrupted; rebuilding it from the state"
        );
        // Nothing committed is there to delete, unless another tool committed to it.
        writer.delete_all()?;
        rebuild_all(state, writer, &|_| {})?;
        writer.commit(stored)?;
        state.clear_pending(stored)?;
        return Ok(stored);
    }
    let keys = state.pending_after(indexed)?;
    tracing::info!(
        processes = keys.len(),
        indexed,
        stored,
        "the index missed the last writes (interrupted run); rebuilding them from the state"
    );
    for key in &keys {
        rewrite_from_state(state, writer, key, Write::Upsert)?;
    }
    writer.commit(stored)?;
    state.clear_pending(stored)?;
    Ok(stored)
}

/// Rebuilds every document from the state (after an upgrade that changes normalisation
/// or the schema).
pub fn reindex(state: &State, index: &SecopIndex, progress: impl Fn(u64)) -> Result<u64> {
    let mut writer = index.writer()?;
    writer.delete_all()?;
    let n = rebuild_all(state, &mut writer, &progress)?;
    let g = state.generation()?;
    writer.commit(g)?;
    state.clear_pending(g)?;
    writer.finish()?;
    state.set_rules_current()?;
    Ok(n)
}

/// Brings the index up to the state when another writer has not (after a crash, or in a
/// new index beside an existing state), then releases the writer; true when it wrote.
/// [`Error::Busy`] when another process is writing (it will catch up itself).
pub fn catch_up(state: &State, index: &SecopIndex) -> Result<bool> {
    let before = index.committed_generation()?;
    if state.generation()? <= before {
        return Ok(false);
    }
    let mut writer = index.writer()?;
    recover(state, index, &mut writer)?;
    writer.finish()?;
    Ok(true)
}

/// Adds the document of every process of the state to the writer (nothing committed).
fn rebuild_all(state: &State, writer: &mut Writer, progress: &dyn Fn(u64)) -> Result<u64> {
    let mut after = String::new();
    let mut n = 0u64;
    loop {
        let keys = state.process_keys_after(&after, 5000)?;
        if keys.is_empty() {
            break;
        }
        for key in &keys {
            if rewrite_from_state(state, writer, key, Write::Add)? {
                n += 1;
            }
        }
        progress(n);
        after = keys.last().cloned().unwrap_or_default();
    }
    Ok(n)
}
