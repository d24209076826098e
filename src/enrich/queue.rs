//! The enrichment queue: one row per SECOP I constancia in the state database, so that a
//! run can stop at any point and the next one resumes where it left off.
//!
//! Statuses: `pending` (never read, or re-queued), `done` (the page was read and stored),
//! `blocked` (the portal answered with a block page; tried again first on the next run),
//! `failed` (not found, unreadable; tried again only with `--retry-failed` or when older
//! than `--older-than`).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::Result;
use crate::state::State;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS enrich_queue (
    constancia  TEXT PRIMARY KEY,
    process_key TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    tried_at    TEXT,
    fetched_at  TEXT,
    http_status INTEGER,
    note        TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS enrich_queue_todo ON enrich_queue(status, priority DESC, constancia);
"#;

/// The `meta` key holding the state generation the queue was last filled at.
const SYNCED: &str = "enrich_synced_generation";

/// A constancia waiting for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The constancia.
    pub constancia: String,
    /// Its process key (`secop1:{constancia}`).
    pub process_key: String,
    /// Its status before this run.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
}

/// How many constancias are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    /// Never read, or re-queued.
    pub pending: u64,
    /// Read and stored.
    pub done: u64,
    /// Stopped by a block page.
    pub blocked: u64,
    /// Not found or unreadable.
    pub failed: u64,
}

/// Creates the queue's table.
pub fn init(state: &State) -> Result<()> {
    state.conn().execute_batch(SCHEMA)?;
    Ok(())
}

/// Queues every SECOP I process the state knows and the queue does not, newest first by
/// the year in the constancia. Cheap when nothing was imported since the last time.
/// Returns the number of constancias added.
pub fn sync(state: &State) -> Result<u64> {
    let generation = state.generation()?.to_string();
    if state.meta(SYNCED)?.as_deref() == Some(generation.as_str()) {
        return Ok(0);
    }
    // `secop1:` keys come from the SECOP I process datasets (f789-7hwg, qddk-cgux) only;
    // the range reads the `rows_by_process` index alone.
    let n = state.conn().execute(
        "INSERT OR IGNORE INTO enrich_queue(constancia, process_key, priority)
         SELECT DISTINCT substr(process_key, 8), process_key,
                CAST(substr(process_key, 8, 2) AS INTEGER)
         FROM rows
         WHERE process_key >= 'secop1:' AND process_key < 'secop1;'
           AND substr(process_key, 8) GLOB '[0-9][0-9]-[0-9]*-[0-9]*'",
        [],
    )?;
    state.set_meta(SYNCED, &generation)?;
    Ok(n as u64)
}

/// Puts back in the queue what was read (or failed) more than `days` days ago.
pub fn requeue_stale(state: &State, days: u32) -> Result<u64> {
    let n = state.conn().execute(
        "UPDATE enrich_queue SET status = 'pending'
         WHERE status IN ('done', 'failed')
           AND COALESCE(tried_at, '') <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)",
        [format!("-{days} days")],
    )?;
    Ok(n as u64)
}

/// Puts the failed constancias back in the queue.
pub fn requeue_failed(state: &State) -> Result<u64> {
    let n = state.conn().execute(
        "UPDATE enrich_queue SET status = 'pending' WHERE status = 'failed'",
        [],
    )?;
    Ok(n as u64)
}

/// Queues one constancia now, whatever its status (`secop enrich --constancia`). False when
/// the state has no SECOP I process with it.
pub fn enqueue(state: &State, constancia: &str) -> Result<bool> {
    let key = format!("secop1:{constancia}");
    let known: Option<String> = state
        .conn()
        .query_row(
            "SELECT process_key FROM rows WHERE process_key = ?1 LIMIT 1",
            [&key],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_none() {
        return Ok(false);
    }
    let priority: i64 = constancia
        .get(..2)
        .and_then(|y| y.parse().ok())
        .unwrap_or(0);
    state.conn().execute(
        "INSERT INTO enrich_queue(constancia, process_key, priority, status) VALUES (?1, ?2, ?3, 'pending')
         ON CONFLICT(constancia) DO UPDATE SET status = 'pending'",
        params![constancia, key, priority],
    )?;
    Ok(true)
}

/// The next constancias to read: blocked and pending ones, newest first.
pub fn todo(state: &State, limit: usize) -> Result<Vec<Item>> {
    let mut st = state.conn().prepare_cached(
        "SELECT constancia, process_key, status, attempts FROM enrich_queue
         WHERE status IN ('pending', 'blocked')
         ORDER BY priority DESC, constancia
         LIMIT ?1",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let items = st
        .query_map([limit], |r| {
            Ok(Item {
                constancia: r.get(0)?,
                process_key: r.get(1)?,
                status: r.get(2)?,
                attempts: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

fn mark(
    state: &State,
    constancia: &str,
    status: &str,
    http_status: Option<u16>,
    note: Option<&str>,
) -> Result<()> {
    let fetched = status == "done";
    state
        .conn()
        .prepare_cached(
            "UPDATE enrich_queue SET status = ?2, attempts = attempts + 1, http_status = ?3, note = ?4,
                 tried_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
                 fetched_at = CASE WHEN ?5 THEN strftime('%Y-%m-%dT%H:%M:%SZ', 'now') ELSE fetched_at END
             WHERE constancia = ?1",
        )?
        .execute(params![constancia, status, http_status, note, fetched])?;
    Ok(())
}

/// Records that the page was read and stored (call it in the transaction that stores it).
pub fn mark_done(state: &State, constancia: &str, http_status: u16) -> Result<()> {
    mark(state, constancia, "done", Some(http_status), None)
}

/// Records a block page.
pub fn mark_blocked(
    state: &State,
    constancia: &str,
    http_status: Option<u16>,
    why: &str,
) -> Result<()> {
    mark(state, constancia, "blocked", http_status, Some(why))
}

/// Records a failure with its reason.
pub fn mark_failed(
    state: &State,
    constancia: &str,
    http_status: Option<u16>,
    why: &str,
) -> Result<()> {
    mark(state, constancia, "failed", http_status, Some(why))
}

/// Records a transient failure (no connection, time-out): the constancia stays pending.
pub fn mark_retry(state: &State, constancia: &str, why: &str) -> Result<()> {
    mark(state, constancia, "pending", None, Some(why))
}

/// How many constancias are in each status.
pub fn counts(state: &State) -> Result<QueueCounts> {
    let mut c = QueueCounts::default();
    let mut st = state
        .conn()
        .prepare_cached("SELECT status, count(*) FROM enrich_queue GROUP BY status")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for r in rows {
        let (s, n) = r?;
        let n = n.max(0) as u64;
        match s.as_str() {
            "pending" => c.pending = n,
            "done" => c.done = n,
            "blocked" => c.blocked = n,
            "failed" => c.failed = n,
            _ => {}
        }
    }
    Ok(c)
}

/// The status of one constancia: (status, attempts, note).
pub fn status_of(state: &State, constancia: &str) -> Result<Option<(String, i64, Option<String>)>> {
    Ok(state
        .conn()
        .query_row(
            "SELECT status, attempts, note FROM enrich_queue WHERE constancia = ?1",
            [constancia],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}
