//! The harvest's memory, in the state database: a watermark per source, and the plan of the
//! run in progress (its windows, how many rows each holds and how far each was read).
//!
//! A window's progress is written in the same SQLite transaction as the rows it covers
//! ([`crate::ingest::Ingestor::apply_with`]), so after a crash the rows and the progress
//! agree: the next run asks for the rest of the window and nothing is lost or read twice.

use rusqlite::{OptionalExtension, params};

use super::soql::Window;
use crate::Result;
use crate::state::State;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS harvest_sources (
    source       TEXT PRIMARY KEY,
    dataset      TEXT NOT NULL,
    watermark    TEXT,
    last_run_at  TEXT,
    last_status  TEXT,
    last_error   TEXT,
    fields       TEXT,
    plan_mode    TEXT,
    plan_max     TEXT,
    plan_total   INTEGER
);
CREATE TABLE IF NOT EXISTS harvest_windows (
    source   TEXT NOT NULL,
    lo       TEXT NOT NULL,
    hi       TEXT NOT NULL,
    expected INTEGER,
    fetched  INTEGER NOT NULL DEFAULT 0,
    done     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, lo)
) WITHOUT ROWID;
"#;

/// Creates the harvest's tables when missing.
pub fn init(state: &State) -> Result<()> {
    state.conn().execute_batch(SCHEMA)?;
    Ok(())
}

/// What the state knows about one source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceState {
    /// The event date up to which the source was harvested completely.
    pub watermark: Option<String>,
    /// The fields the last harvest saw (JSON array), for schema drift.
    pub fields: Option<Vec<String>>,
    /// The mode of the plan in progress (`incremental`, `full`, `since:…`), if any.
    pub plan_mode: Option<String>,
    /// The newest event date when the plan was made; the watermark once it is done.
    pub plan_max: Option<String>,
    /// Rows the plan covers (from `count(*)` when it was made).
    pub plan_total: Option<u64>,
    /// The status of the last run.
    pub last_status: Option<String>,
}

/// One window of a plan, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowState {
    /// The window.
    pub window: Window,
    /// Rows `count(*)` gave the last time it was counted.
    pub expected: Option<u64>,
    /// Rows of the window read and written so far (the next `$offset`).
    pub fetched: u64,
    /// Read completely and checked against `count(*)`.
    pub done: bool,
}

/// Reads a source's state (all `None` when it was never harvested).
pub fn source(state: &State, source: &str) -> Result<SourceState> {
    let r = state
        .conn()
        .prepare_cached(
            "SELECT watermark, fields, plan_mode, plan_max, plan_total, last_status
             FROM harvest_sources WHERE source = ?1",
        )?
        .query_row([source], |r| {
            let fields: Option<String> = r.get(1)?;
            Ok(SourceState {
                watermark: r.get(0)?,
                fields: fields.and_then(|f| serde_json::from_str(&f).ok()),
                plan_mode: r.get(2)?,
                plan_max: r.get(3)?,
                plan_total: r.get::<_, Option<i64>>(4)?.map(|n| n.max(0) as u64),
                last_status: r.get(5)?,
            })
        })
        .optional()?;
    Ok(r.unwrap_or_default())
}

fn ensure(state: &State, source: &str, dataset: &str) -> Result<()> {
    state
        .conn()
        .prepare_cached(
            "INSERT INTO harvest_sources(source, dataset) VALUES (?1, ?2) ON CONFLICT(source) DO NOTHING",
        )?
        .execute([source, dataset])?;
    Ok(())
}

/// Records a new plan: its mode, newest date, size and first windows (replacing any
/// earlier plan of the source). One transaction.
pub fn start_plan(
    state: &State,
    source: &str,
    dataset: &str,
    mode: &str,
    max: Option<&str>,
    total: u64,
    windows: &[Window],
) -> Result<()> {
    state.begin()?;
    let r = (|| -> Result<()> {
        ensure(state, source, dataset)?;
        state
            .conn()
            .prepare_cached("DELETE FROM harvest_windows WHERE source = ?1")?
            .execute([source])?;
        state
            .conn()
            .prepare_cached(
                "UPDATE harvest_sources SET plan_mode = ?2, plan_max = ?3, plan_total = ?4,
                 last_run_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), last_status = 'running'
                 WHERE source = ?1",
            )?
            .execute(params![source, mode, max, total as i64])?;
        for w in windows {
            insert_window(state, source, w)?;
        }
        Ok(())
    })();
    finish_tx(state, r)
}

fn insert_window(state: &State, source: &str, w: &Window) -> Result<()> {
    state
        .conn()
        .prepare_cached(
            "INSERT INTO harvest_windows(source, lo, hi) VALUES (?1, ?2, ?3)
             ON CONFLICT(source, lo) DO UPDATE SET hi = excluded.hi, expected = NULL, fetched = 0, done = 0",
        )?
        .execute([source, &w.lo_key(), &w.hi_key()])?;
    Ok(())
}

fn finish_tx(state: &State, r: Result<()>) -> Result<()> {
    match r {
        Ok(()) => state.commit(),
        Err(e) => {
            state.rollback();
            Err(e)
        }
    }
}

/// The windows of a source's plan, in date order (the undated window last).
pub fn windows(state: &State, source: &str) -> Result<Vec<WindowState>> {
    let mut st = state.conn().prepare_cached(
        "SELECT lo, hi, expected, fetched, done FROM harvest_windows WHERE source = ?1 ORDER BY lo",
    )?;
    let rows = st
        .query_map([source], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(lo, hi, expected, fetched, done)| {
            Ok(WindowState {
                window: Window::from_keys(&lo, &hi)?,
                expected: expected.map(|n| n.max(0) as u64),
                fetched: fetched.max(0) as u64,
                done,
            })
        })
        .collect()
}

/// Records a window's `count(*)`.
pub fn set_expected(state: &State, source: &str, w: &Window, expected: u64) -> Result<()> {
    state
        .conn()
        .prepare_cached("UPDATE harvest_windows SET expected = ?3 WHERE source = ?1 AND lo = ?2")?
        .execute(params![source, w.lo_key(), expected as i64])?;
    Ok(())
}

/// Records how far a window was read. Called inside the transaction of the rows.
pub fn set_fetched(state: &State, source: &str, w: &Window, fetched: u64) -> Result<()> {
    state
        .conn()
        .prepare_cached("UPDATE harvest_windows SET fetched = ?3 WHERE source = ?1 AND lo = ?2")?
        .execute(params![source, w.lo_key(), fetched as i64])?;
    Ok(())
}

/// Marks a window read completely.
pub fn set_done(state: &State, source: &str, w: &Window) -> Result<()> {
    state
        .conn()
        .prepare_cached("UPDATE harvest_windows SET done = 1 WHERE source = ?1 AND lo = ?2")?
        .execute(params![source, w.lo_key()])?;
    Ok(())
}

/// Replaces a window by two halves (it held too many rows to page through cheaply).
pub fn split(state: &State, source: &str, w: &Window, a: &Window, b: &Window) -> Result<()> {
    state.begin()?;
    let r = (|| -> Result<()> {
        state
            .conn()
            .prepare_cached("DELETE FROM harvest_windows WHERE source = ?1 AND lo = ?2")?
            .execute([source, &w.lo_key()])?;
        insert_window(state, source, a)?;
        insert_window(state, source, b)?;
        Ok(())
    })();
    finish_tx(state, r)
}

/// Restarts a window from its first row (it did not add up).
pub fn restart(state: &State, source: &str, w: &Window) -> Result<()> {
    set_fetched(state, source, w, 0)
}

/// Ends the plan: the watermark moves to the plan's newest date, the windows go.
pub fn finish_plan(state: &State, source: &str, fields: &[String]) -> Result<()> {
    state.begin()?;
    let r = (|| -> Result<()> {
        let fields = serde_json::to_string(fields)?;
        state
            .conn()
            .prepare_cached(
                "UPDATE harvest_sources SET
                   watermark = CASE WHEN plan_max IS NULL THEN watermark
                                    WHEN watermark IS NULL OR plan_max > watermark THEN plan_max
                                    ELSE watermark END,
                   plan_mode = NULL, plan_max = NULL, plan_total = NULL, fields = ?2,
                   last_run_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), last_status = 'ok', last_error = NULL
                 WHERE source = ?1",
            )?
            .execute([source, &fields])?;
        state
            .conn()
            .prepare_cached("DELETE FROM harvest_windows WHERE source = ?1")?
            .execute([source])?;
        Ok(())
    })();
    finish_tx(state, r)
}

/// Records that a source's harvest stopped (the plan stays, for the next run to resume).
pub fn record_failure(state: &State, source: &str, dataset: &str, error: &str) -> Result<()> {
    ensure(state, source, dataset)?;
    state
        .conn()
        .prepare_cached(
            "UPDATE harvest_sources SET last_status = 'failed', last_error = ?2,
             last_run_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE source = ?1",
        )?
        .execute([source, error])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::soql::parse_ts;

    #[test]
    fn plan_progress_and_watermark() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::open(dir.path()).unwrap();
        init(&state).unwrap();
        assert_eq!(source(&state, "s").unwrap(), SourceState::default());
        let w1 = Window::Range {
            lo: parse_ts("2026-01-01").unwrap(),
            hi: parse_ts("2026-02-01").unwrap(),
        };
        start_plan(
            &state,
            "s",
            "p6dx-8zbt",
            "incremental",
            Some("2026-01-31T00:00:00"),
            10,
            &[w1, Window::Undated],
        )
        .unwrap();
        let ws = windows(&state, "s").unwrap();
        assert_eq!(ws.len(), 2);
        assert_eq!(ws[0].window, w1);
        assert_eq!(ws[1].window, Window::Undated);
        set_expected(&state, "s", &w1, 10).unwrap();
        set_fetched(&state, "s", &w1, 4).unwrap();
        let (a, b) = w1.split().unwrap();
        split(&state, "s", &w1, &a, &b).unwrap();
        let ws = windows(&state, "s").unwrap();
        assert_eq!(ws.len(), 3);
        assert_eq!((ws[0].fetched, ws[0].expected), (0, None));
        let s = source(&state, "s").unwrap();
        assert_eq!(s.plan_mode.as_deref(), Some("incremental"));
        assert_eq!(s.plan_total, Some(10));
        finish_plan(&state, "s", &["a".into()]).unwrap();
        let s = source(&state, "s").unwrap();
        assert_eq!(s.watermark.as_deref(), Some("2026-01-31T00:00:00"));
        assert_eq!(s.plan_mode, None);
        assert_eq!(s.fields, Some(vec!["a".to_string()]));
        assert!(windows(&state, "s").unwrap().is_empty());
        let summary = crate::state::harvest_summary(&state).unwrap();
        assert_eq!(summary[0]["last_status"], "ok");
    }
}
