//! The harvest state: one SQLite file in the data directory.
//!
//! It holds every row seen (its process, content hash and where its compressed values lie
//! in the [row log](rowlog) beside it, so that a process can be rebuilt and re-normalised
//! at any time), the identifiers that join rows
//! of different datasets, quarantined rows with their reason, runs with their counts, and
//! the journal that keeps the index in step with this database across crashes (see
//! [`crate::ingest`]). Other modules (harvest, enrichment) keep their own tables here.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use crate::sources::{Header, Row};

pub mod rowlog;

use rowlog::RowLog;

/// The version of the state's layout; a database of another version is refused.
/// 2: values in the row log; 3: `rows` keyed by `row_key` alone (one B-tree fewer);
/// 4: `rows.updated`, the row's own last-update time (layout 3 is upgraded in place).
const SCHEMA_VERSION: &str = "4";

use crate::Result;

/// The file name inside the data directory.
pub const FILE: &str = "state.sqlite";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS headers (
    id    INTEGER PRIMARY KEY,
    names TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS rows (
    row_key     TEXT PRIMARY KEY,
    process_key TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    hash        INTEGER NOT NULL,
    run_id      INTEGER,
    header_id   INTEGER NOT NULL,
    log_file    INTEGER NOT NULL,
    log_offset  INTEGER NOT NULL,
    updated     INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rows_by_process ON rows(process_key);
CREATE TABLE IF NOT EXISTS aliases (
    alias       TEXT PRIMARY KEY,
    process_key TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_process ON aliases(process_key);
CREATE TABLE IF NOT EXISTS pending (
    process_key TEXT PRIMARY KEY,
    generation  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER,
    source  TEXT NOT NULL,
    line    INTEGER,
    dataset TEXT,
    reason  TEXT NOT NULL,
    raw     TEXT,
    at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS quarantine_by_source ON quarantine(source, line);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    args        TEXT,
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    finished_at TEXT,
    status      TEXT NOT NULL DEFAULT 'running',
    counts      TEXT
);
"#;

/// The state database.
pub struct State {
    conn: Connection,
    path: PathBuf,
    /// Header signature → id, and id → header, both ways cached.
    headers: std::cell::RefCell<HeaderCache>,
    /// The rows' values (absent when opened read-only).
    log: Option<std::cell::RefCell<RowLog>>,
}

#[derive(Default)]
struct HeaderCache {
    /// The header of the last call: rows of one file share one `Arc`, so this spares
    /// joining and hashing a wide header (≈ 1.5 KB for a web export) on every row.
    last: Option<(Arc<Header>, i64)>,
    ids: std::collections::HashMap<String, i64>,
    by_id: std::collections::HashMap<i64, Arc<Header>>,
}

/// Row log files: number and size in bytes.
type LogFiles = Vec<(u32, u64)>;

/// What [`State::compact`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Compaction {
    /// Row log files before.
    pub files_before: usize,
    /// Their bytes.
    pub bytes_before: u64,
    /// Row log files after.
    pub files_after: usize,
    /// Their bytes.
    pub bytes_after: u64,
    /// Files whose live rows were copied out and which were deleted.
    pub files_rewritten: usize,
    /// Rows copied.
    pub rows_moved: u64,
}

/// A stored row: its key, dataset, header and encoded values.
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// The row key.
    pub row_key: String,
    /// The dataset id.
    pub dataset: String,
    /// The columns.
    pub header: Arc<Header>,
    /// [`Row::encode`]d values.
    pub raw: Vec<u8>,
}

impl StoredRow {
    /// The row itself.
    pub fn row(&self) -> std::result::Result<Row, String> {
        Row::decode(self.header.clone(), &self.raw)
    }
}

/// What the state knows of a row's current version, to compare an arriving one with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowVersion {
    /// Content hash ([`crate::sources::Row::content_hash`]).
    pub hash: i64,
    /// The process it belongs to.
    pub process_key: String,
    /// The row's own last-update time (its wall-clock date and time as seconds, see
    /// [`crate::ingest::updated_of`]), when it has one.
    pub updated: Option<i64>,
}

/// Where a stored row is: its key, dataset and header, and its place in the row log.
#[derive(Debug, Clone)]
pub struct RowRef {
    /// The row key.
    pub row_key: String,
    /// The dataset id.
    pub dataset: String,
    header_id: i64,
    file: u32,
    offset: i64,
}

/// A quarantined row, as listed to people.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Quarantined {
    /// File or source it came from.
    pub source: String,
    /// Line in the file.
    pub line: Option<i64>,
    /// Dataset id, when known.
    pub dataset: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// When.
    pub at: String,
}

/// A run, as listed to people.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    /// Run id.
    pub id: i64,
    /// `import`, `harvest`, `enrich`, `reindex`.
    pub kind: String,
    /// What was asked.
    pub args: Option<String>,
    /// Start, UTC.
    pub started_at: String,
    /// End, UTC.
    pub finished_at: Option<String>,
    /// `running`, `ok`, `failed`, `interrupted`.
    pub status: String,
    /// Counts, as JSON.
    pub counts: Option<serde_json::Value>,
}

impl State {
    /// Opens (or creates) the state database of a data directory.
    pub fn open(data_dir: &Path) -> Result<State> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            crate::Error::file(data_dir, format!("cannot create the data directory: {e}"))
        })?;
        let path = data_dir.join(FILE);
        let conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.execute_batch(
            // 32 MiB of page cache: the pages that miss it are still in the OS page cache
            // (read back in microseconds), and every MiB here counts in the import's RSS
            // (192 MiB made a 1.24M-row import peak at 1.01 GB for the same speed).
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;
             PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;
             PRAGMA wal_autocheckpoint = 20000;",
        )?;
        conn.execute_batch(SCHEMA)?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match version.as_deref() {
            Some(SCHEMA_VERSION) => {}
            // Layout 3 lacks only `rows.updated`: its rows take the arrival rule until a
            // newer version of each arrives.
            Some("3") => {
                // Under the write lock, and only if no other process upgraded it meanwhile.
                conn.execute_batch("BEGIN IMMEDIATE")?;
                let still: String =
                    conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                        r.get(0)
                    })?;
                if still == "3" {
                    conn.execute_batch(
                        "ALTER TABLE rows ADD COLUMN updated INTEGER;
                         UPDATE meta SET value = '4' WHERE key = 'schema';",
                    )?;
                }
                conn.execute_batch("COMMIT")?;
            }
            None => {
                let rows: i64 = conn.query_row("SELECT count(*) FROM rows", [], |r| r.get(0))?;
                if rows > 0 {
                    return Err(crate::Error::file(
                        &path,
                        "this state database was written by an older version of secop; import again into a new data directory",
                    ));
                }
                // A new state: its documents will all be built with these rules.
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema', ?1), ('rules', ?2)",
                    [SCHEMA_VERSION, &crate::normalize::RULES.to_string()],
                )?;
            }
            Some(other) => {
                return Err(crate::Error::file(
                    &path,
                    format!(
                        "this state database has layout {other}, this secop reads layout {SCHEMA_VERSION}; use the matching version"
                    ),
                ));
            }
        }
        let log = RowLog::open(&data_dir.join("rows"))?;
        Ok(State {
            conn,
            path,
            headers: Default::default(),
            log: Some(std::cell::RefCell::new(log)),
        })
    }

    /// Opens the state database read-only (the server).
    pub fn open_read_only(data_dir: &Path) -> Result<Option<State>> {
        let path = data_dir.join(FILE);
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(Some(State {
            conn,
            path,
            headers: Default::default(),
            log: None,
        }))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for modules that keep their own tables here.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Begins a transaction (batches are one transaction each).
    pub fn begin(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        if let Some(log) = &self.log {
            // Under the write lock: appends go to the newest row log file (see `compact`).
            if let Err(e) = log.borrow_mut().refresh() {
                self.rollback();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Commits the open transaction, after the rows it refers to are written.
    pub fn commit(&self) -> Result<()> {
        if let Some(log) = &self.log {
            log.borrow_mut().sync()?;
        }
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    fn log(&self) -> Result<std::cell::RefMut<'_, RowLog>> {
        self.log
            .as_ref()
            .map(|l| l.borrow_mut())
            .ok_or_else(|| crate::Error::Other("the state is open read-only".into()))
    }

    /// Rolls the open transaction back, if any.
    pub fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// The version of the normalisation rules the index's documents were built with
    /// ([`crate::normalize::RULES`]); 1 for a state written before versions were recorded.
    pub fn rules(&self) -> Result<u32> {
        Ok(self
            .meta("rules")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(1))
    }

    /// Records that every document was rebuilt with this version's rules.
    pub fn set_rules_current(&self) -> Result<()> {
        self.set_meta("rules", &crate::normalize::RULES.to_string())
    }

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a value of the `meta` table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?
            .execute([key, value])?;
        Ok(())
    }

    /// The generation of the rows written so far (see [`crate::ingest`]).
    pub fn generation(&self) -> Result<i64> {
        Ok(self
            .meta("generation")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Sets the generation.
    pub fn set_generation(&self, g: i64) -> Result<()> {
        self.set_meta("generation", &g.to_string())
    }

    /// The stored hash and process of a row.
    pub fn row(&self, row_key: &str) -> Result<Option<RowVersion>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hash, process_key, updated FROM rows WHERE row_key = ?1")?
            .query_row([row_key], |r| {
                Ok(RowVersion {
                    hash: r.get(0)?,
                    process_key: r.get(1)?,
                    updated: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// The id of a header, stored on first use.
    pub fn header_id(&self, header: &Arc<Header>) -> Result<i64> {
        if let Some((h, id)) = &self.headers.borrow().last
            && Arc::ptr_eq(h, header)
        {
            return Ok(*id);
        }
        let sig = header.signature();
        let known = self.headers.borrow().ids.get(&sig).copied();
        if let Some(id) = known {
            self.headers.borrow_mut().last = Some((header.clone(), id));
            return Ok(id);
        }
        self.conn
            .prepare_cached("INSERT INTO headers(names) VALUES (?1) ON CONFLICT(names) DO NOTHING")?
            .execute([&sig])?;
        let id: i64 = self
            .conn
            .prepare_cached("SELECT id FROM headers WHERE names = ?1")?
            .query_row([&sig], |r| r.get(0))?;
        let mut cache = self.headers.borrow_mut();
        cache.ids.insert(sig, id);
        cache.last = Some((header.clone(), id));
        Ok(id)
    }

    /// A stored header.
    pub fn header(&self, id: i64) -> Result<Arc<Header>> {
        if let Some(h) = self.headers.borrow().by_id.get(&id) {
            return Ok(h.clone());
        }
        let sig: String = self
            .conn
            .prepare_cached("SELECT names FROM headers WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let h = Arc::new(Header::from_signature(&sig));
        self.headers.borrow_mut().by_id.insert(id, h.clone());
        Ok(h)
    }

    /// Inserts or replaces a row.
    #[allow(clippy::too_many_arguments)]
    pub fn put_row(
        &self,
        row_key: &str,
        process_key: &str,
        dataset: &str,
        hash: i64,
        header_id: i64,
        raw: &[u8],
        updated: Option<i64>,
        run_id: i64,
    ) -> Result<()> {
        let (file, offset) = self.log()?.append(raw)?;
        self.conn
            .prepare_cached(
                "INSERT INTO rows(row_key, process_key, dataset, hash, header_id, log_file, log_offset, updated, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(row_key) DO UPDATE SET process_key = excluded.process_key, dataset = excluded.dataset,
                 hash = excluded.hash, header_id = excluded.header_id, log_file = excluded.log_file,
                 log_offset = excluded.log_offset, updated = excluded.updated, run_id = excluded.run_id",
            )?
            .execute(params![row_key, process_key, dataset, hash, header_id, file, offset as i64, updated, run_id])?;
        Ok(())
    }

    /// Where the rows of a process are, without their values.
    pub fn row_refs(&self, process_key: &str) -> Result<Vec<RowRef>> {
        let mut st = self.conn.prepare_cached(
            "SELECT row_key, dataset, header_id, log_file, log_offset FROM rows WHERE process_key = ?1 ORDER BY row_key",
        )?;
        let refs = st
            .query_map([process_key], |r| {
                Ok(RowRef {
                    row_key: r.get(0)?,
                    dataset: r.get(1)?,
                    header_id: r.get(2)?,
                    file: r.get(3)?,
                    offset: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(refs)
    }

    /// A row's values, read from the row log.
    pub fn load_row(&self, r: RowRef) -> Result<StoredRow> {
        let raw = self.log()?.read(r.file, r.offset as u64)?;
        Ok(StoredRow {
            header: self.header(r.header_id)?,
            row_key: r.row_key,
            dataset: r.dataset,
            raw,
        })
    }

    /// The rows of a process.
    pub fn rows_of(&self, process_key: &str) -> Result<Vec<StoredRow>> {
        self.row_refs(process_key)?
            .into_iter()
            .map(|r| self.load_row(r))
            .collect()
    }

    /// Starts a new row log file and picks the older files with at least `min_garbage` of
    /// dead bytes; also returns every file before the roll, with its size.
    fn choose_files(&self, min_garbage: f64) -> Result<(HashSet<u32>, LogFiles)> {
        let mut log = self.log()?;
        log.roll()?;
        let before = log.files()?;
        let mut live: HashMap<u32, u64> = HashMap::new();
        let mut st = self.conn.prepare("SELECT log_file, log_offset FROM rows")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (file, offset): (u32, i64) = (r.get(0)?, r.get(1)?);
            *live.entry(file).or_default() += log.record_size(file, offset as u64)?;
        }
        let current = log.current();
        let chosen = before
            .iter()
            .filter(|(n, size)| {
                let alive = live.get(n).copied().unwrap_or(0);
                *n != current && *size > 0 && 1.0 - alive as f64 / *size as f64 >= min_garbage
            })
            .map(|(n, _)| *n)
            .collect();
        Ok((chosen, before))
    }

    /// Rewrites the row log without its garbage: the live records of every file in which
    /// at least `min_garbage` (0 to 1) of the bytes are dead (rows replaced by a newer
    /// version) are copied to a new file, then those files are deleted. Safe at any
    /// point: each batch of moved rows is committed after its copies are on disk, and a
    /// file is deleted only when no row refers to it; an interrupted compaction leaves
    /// some garbage and the next one finishes the work. Needs the data directory to
    /// itself (the caller holds the index writer, as every writer does).
    pub fn compact(&self, min_garbage: f64, progress: impl Fn(u64)) -> Result<Compaction> {
        // The choice is made under the write lock, after starting a new file: a writer that
        // began earlier has committed, and every later one appends to the new file (see
        // `begin`), so no row can arrive in a chosen file.
        self.begin()?;
        let chosen = self.choose_files(min_garbage);
        self.rollback();
        let (chosen, before) = chosen?;
        let mut log = self.log()?;
        // Where the rows of those files are (only theirs are kept in memory).
        let mut refs: Vec<(String, u32, i64)> = Vec::new();
        if !chosen.is_empty() {
            let mut st = self
                .conn
                .prepare("SELECT row_key, log_file, log_offset FROM rows")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let file: u32 = r.get(1)?;
                if chosen.contains(&file) {
                    refs.push((r.get(0)?, file, r.get(2)?));
                }
            }
        }
        // In file order, so that the old files are read sequentially.
        refs.sort_unstable_by_key(|(_, f, o)| (*f, *o));
        let mut moved = 0u64;
        for batch in refs.chunks(10_000) {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            let r = (|| -> Result<()> {
                // A row another writer changed meanwhile no longer matches the UPDATE: its
                // copy is left as garbage.
                let mut up = self.conn.prepare_cached(
                    "UPDATE rows SET log_file = ?2, log_offset = ?3 WHERE row_key = ?1 AND log_file = ?4 AND log_offset = ?5",
                )?;
                for (key, file, offset) in batch {
                    let bytes = log.read(*file, *offset as u64)?;
                    let (nf, no) = log.append(&bytes)?;
                    up.execute(params![key, nf, no as i64, file, offset])?;
                }
                // The copies reach the disk before the rows point at them.
                log.sync()?;
                self.conn.execute_batch("COMMIT")?;
                Ok(())
            })();
            if let Err(e) = r {
                self.rollback();
                return Err(e);
            }
            moved += batch.len() as u64;
            progress(moved);
        }
        for n in &chosen {
            log.remove(*n)?;
        }
        let after = log.files()?;
        Ok(Compaction {
            files_before: before.len(),
            bytes_before: before.iter().map(|f| f.1).sum(),
            files_after: after.len(),
            bytes_after: after.iter().map(|f| f.1).sum(),
            files_rewritten: chosen.len(),
            rows_moved: moved,
        })
    }

    /// Moves every row and alias of one process to another (a join found late).
    pub fn merge_process(&self, from: &str, into: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE rows SET process_key = ?2 WHERE process_key = ?1")?
            .execute([from, into])?;
        self.conn
            .prepare_cached("UPDATE aliases SET process_key = ?2 WHERE process_key = ?1")?
            .execute([from, into])?;
        Ok(())
    }

    /// The process an identifier joins to.
    pub fn alias(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT process_key FROM aliases WHERE alias = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// Records that an identifier joins to a process.
    pub fn set_alias(&self, id: &str, process_key: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO aliases(alias, process_key) VALUES (?1, ?2)
                 ON CONFLICT(alias) DO UPDATE SET process_key = excluded.process_key",
            )?
            .execute([id, process_key])?;
        Ok(())
    }

    /// Journals a process whose document must be rewritten at `generation`.
    pub fn add_pending(&self, process_key: &str, generation: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO pending(process_key, generation) VALUES (?1, ?2)
                 ON CONFLICT(process_key) DO UPDATE SET generation = excluded.generation",
            )?
            .execute(params![process_key, generation])?;
        Ok(())
    }

    /// Processes journalled after generation `g`.
    pub fn pending_after(&self, g: i64) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT process_key FROM pending WHERE generation > ?1 ORDER BY process_key",
        )?;
        let v = st
            .query_map([g], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(v)
    }

    /// Forgets the journal up to generation `g` (the index has it).
    pub fn clear_pending(&self, g: i64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM pending WHERE generation <= ?1")?
            .execute([g])?;
        Ok(())
    }

    /// Every process key, in order, in pages (for a full rebuild).
    pub fn process_keys_after(&self, after: &str, limit: usize) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT DISTINCT process_key FROM rows WHERE process_key > ?1 ORDER BY process_key LIMIT ?2",
        )?;
        let v = st
            .query_map(params![after, limit as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(v)
    }

    /// Quarantines a row. The same bad row quarantined again (a file imported twice, a
    /// window harvested again) replaces its earlier entry, so the list and its count are
    /// of bad rows, not of attempts.
    pub fn quarantine(
        &self,
        run_id: i64,
        source: &str,
        line: Option<u64>,
        dataset: Option<&str>,
        reason: &str,
        raw: Option<&str>,
    ) -> Result<()> {
        let line = line.map(|l| l as i64);
        self.conn
            .prepare_cached(
                "DELETE FROM quarantine WHERE source = ?1 AND line IS ?2 AND reason = ?3 AND raw IS ?4",
            )?
            .execute(params![source, line, reason, raw])?;
        self.conn
            .prepare_cached(
                "INSERT INTO quarantine(run_id, source, line, dataset, reason, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![run_id, source, line, dataset, reason, raw])?;
        Ok(())
    }

    /// The most recent quarantined rows.
    pub fn quarantined(&self, limit: usize) -> Result<Vec<Quarantined>> {
        let mut st = self.conn.prepare_cached(
            "SELECT source, line, dataset, reason, at FROM quarantine ORDER BY id DESC LIMIT ?1",
        )?;
        let v = st
            .query_map([limit as i64], |r| {
                Ok(Quarantined {
                    source: r.get(0)?,
                    line: r.get(1)?,
                    dataset: r.get(2)?,
                    reason: r.get(3)?,
                    at: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    /// Number of quarantined rows.
    pub fn quarantine_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))?)
    }

    /// Starts a run and returns its id.
    pub fn start_run(&self, kind: &str, args: &str) -> Result<i64> {
        self.conn
            .execute("INSERT INTO runs(kind, args) VALUES (?1, ?2)", [kind, args])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a run with its status and counts.
    pub fn finish_run(&self, id: i64, status: &str, counts: &serde_json::Value) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), status = ?2, counts = ?3 WHERE id = ?1",
            params![id, status, counts.to_string()],
        )?;
        Ok(())
    }

    /// Marks runs left `running` by a process that died as `interrupted`.
    pub fn mark_interrupted(&self, kind: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET status = 'interrupted' WHERE status = 'running' AND kind = ?1",
            [kind],
        )?;
        Ok(())
    }

    /// The most recent runs.
    pub fn runs(&self, limit: usize) -> Result<Vec<Run>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, kind, args, started_at, finished_at, status, counts FROM runs ORDER BY id DESC LIMIT ?1",
        )?;
        let v = st
            .query_map([limit as i64], |r| {
                let counts: Option<String> = r.get(6)?;
                Ok(Run {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    args: r.get(2)?,
                    started_at: r.get(3)?,
                    finished_at: r.get(4)?,
                    status: r.get(5)?,
                    counts: counts.and_then(|c| serde_json::from_str(&c).ok()),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }

    /// Rows per dataset.
    pub fn rows_per_dataset(&self) -> Result<Vec<(String, i64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT dataset, count(*) FROM rows GROUP BY dataset ORDER BY dataset",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v)
    }
}

/// The harvest's progress per source, when the harvester has kept any.
pub fn harvest_summary(state: &State) -> Result<serde_json::Value> {
    let exists: bool = state.conn().query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'harvest_sources'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(serde_json::Value::Null);
    }
    let mut st = state.conn().prepare(
        "SELECT source, watermark, last_run_at, last_status FROM harvest_sources ORDER BY source",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(serde_json::json!({
                "source": r.get::<_, String>(0)?,
                "watermark": r.get::<_, Option<String>>(1)?,
                "last_run_at": r.get::<_, Option<String>>(2)?,
                "last_status": r.get::<_, Option<String>>(3)?,
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(serde_json::Value::Array(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Arc<Header> {
        Arc::new(Header::new(names.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn a_header_keeps_its_id_whatever_arc_carries_it() {
        let d = tempfile::tempdir().unwrap();
        let state = State::open(d.path()).unwrap();
        let (a, b) = (header(&["x", "y"]), header(&["x", "z"]));
        let id_a = state.header_id(&a).unwrap();
        let id_b = state.header_id(&b).unwrap();
        assert_ne!(id_a, id_b);
        // The same columns in a new Arc (a harvest makes one a page), alternating.
        for _ in 0..3 {
            assert_eq!(state.header_id(&header(&["x", "y"])).unwrap(), id_a);
            assert_eq!(state.header_id(&b).unwrap(), id_b);
            assert_eq!(state.header_id(&a).unwrap(), id_a);
        }
        // And after a reopen, from the database.
        drop(state);
        let state = State::open(d.path()).unwrap();
        assert_eq!(state.header_id(&header(&["x", "z"])).unwrap(), id_b);
        assert_eq!(state.header(id_a).unwrap().names(), a.names());
    }

    #[test]
    fn layout_3_is_upgraded_in_place_and_keeps_its_rows() {
        let d = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(d.path().join(FILE)).unwrap();
            let old = SCHEMA.replace(",\n    updated     INTEGER", "");
            assert_ne!(old, SCHEMA);
            conn.execute_batch(&old).unwrap();
            conn.execute_batch(
                "INSERT INTO meta(key, value) VALUES ('schema', '3');
                 INSERT INTO rows(row_key, process_key, dataset, hash, header_id, log_file, log_offset)
                 VALUES ('p6dx-8zbt:CO1.REQ.1', 'secop2:CO1.BDOS.1', 'p6dx-8zbt', 42, 1, 0, 0);",
            )
            .unwrap();
        }
        let state = State::open(d.path()).unwrap();
        let v = state.row("p6dx-8zbt:CO1.REQ.1").unwrap().unwrap();
        assert_eq!((v.hash, v.updated), (42, None));
        let layout: String = state
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(layout, SCHEMA_VERSION);
        drop(state);
        // Opening again finds the new layout.
        assert!(State::open(d.path()).is_ok());
    }
}
