//! Enriching SECOP I records from their public detail pages, politely and safely.
//!
//! The open data leaves out part of what a SECOP I detail page shows (opening and closing
//! times, funding sources, BPIN, CDP, place of execution, contact, linked contracts).
//! `secop enrich` reads those pages for the SECOP I processes the data directory knows:
//!
//! ```text
//! queue (SQLite) ──► fetch (robots.txt, 1 request / 2 s, one at a time)
//!                      │
//!                      ├─► block page (WAF, captcha, error, 429/503) ──► back off; stop after a few
//!                      └─► decode (declared charset) ──► parse (blocking thread) ──► row of
//!                          `secop1-detalle` ──► ingest (same path as any row) ──► index
//! ```
//!
//! * [`page`]: the page parser, pure and synchronous.
//! * [`block`]: what the portal answered: detail, block page, not found.
//! * [`decode`]: bytes to text in the declared charset (windows-1252 or UTF-8).
//! * [`fetch`]: the polite HTTP client.
//! * [`queue`]: which constancias wait for their page; resumable.
//!
//! A page becomes a row of the pseudo-dataset
//! [`secop1-detalle`](crate::sources::datasets::secop1_detalle) and goes through
//! [`crate::ingest`] like any row: crash-safe, deduplicated, re-normalisable. Its
//! fragment only fills what the open data left empty. A block page writes nothing but
//! the queue's note: the open-data record stays as it was. Pages are stored in batches,
//! each in a short write session, so that a run that lasts hours does not keep an import
//! or a harvest from writing.

pub mod block;
pub mod decode;
pub mod fetch;
pub mod page;
pub mod queue;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::index::SecopIndex;
use crate::ingest::{self, Counts, Ingestor, Prepared};
use crate::sources::datasets::secop1_detalle::Secop1Detalle;
use crate::state::State;
use crate::{Error, Result};

pub use block::{BlockKind, Verdict};
pub use fetch::{Fetcher, Politeness};

/// The real SECOP I portal.
pub const DEFAULT_BASE_URL: &str = "https://www.contratos.gov.co";

/// What a run does and how carefully.
#[derive(Debug, Clone)]
pub struct Options {
    /// The portal (scheme and host).
    pub base_url: String,
    /// At most this many pages in this run.
    pub limit: Option<usize>,
    /// Read again pages read more than this many days ago.
    pub older_than_days: Option<u32>,
    /// Try again the constancias that failed before.
    pub retry_failed: bool,
    /// Only these constancias (queued now whatever their status).
    pub constancias: Vec<String>,
    /// Interval, time-outs, size bound, User-Agent.
    pub politeness: Politeness,
    /// Block pages in a row that stop the run (default 3).
    pub max_blocks: u32,
    /// The first wait after a block page; doubled after each one (default 60 s).
    pub backoff: Duration,
    /// The longest wait (default 15 min).
    pub max_backoff: Duration,
    /// Failures in a row (no connection, unreadable pages) that stop the run (default 5).
    pub max_failures: u32,
    /// Pages stored together in one short write session (default 20).
    pub commit_every: usize,
    /// How long to wait before trying the index writer again when another process holds
    /// it (default 5 s).
    pub busy_retry: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            base_url: DEFAULT_BASE_URL.to_string(),
            limit: None,
            older_than_days: None,
            retry_failed: false,
            constancias: Vec::new(),
            politeness: Politeness::default(),
            max_blocks: 3,
            backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(15 * 60),
            max_failures: 5,
            commit_every: 20,
            busy_retry: Duration::from_secs(5),
        }
    }
}

/// What happened to one constancia.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// The page was read and the record enriched (or its enrichment updated).
    Enriched {
        /// Labelled rows and grids read.
        fields: usize,
    },
    /// The page was read and had not changed since last time.
    Unchanged,
    /// The portal answered with a block page; nothing was stored.
    Blocked {
        /// Which kind.
        kind: BlockKind,
        /// HTTP status.
        http_status: u16,
    },
    /// The portal does not have this process.
    NotFound,
    /// The page could not be fetched or read.
    Failed {
        /// Why, for a person.
        why: String,
        /// True for a transport failure (no connection, time-out): the constancia stays
        /// pending and the next run tries it again.
        transient: bool,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Enriched { fields } => write!(f, "enriched ({fields} fields)"),
            Outcome::Unchanged => write!(f, "unchanged"),
            Outcome::Blocked { kind, http_status } => {
                write!(f, "blocked: {} (HTTP {http_status})", kind.describe())
            }
            Outcome::NotFound => write!(f, "not found on the portal"),
            Outcome::Failed { why, .. } => write!(f, "failed: {why}"),
        }
    }
}

/// Why a run stopped before its queue was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Stop {
    /// Block pages in a row.
    Blocked {
        /// The last block's kind.
        kind: BlockKind,
        /// How many in a row.
        pages: u32,
        /// The constancia of the last one.
        last: String,
    },
    /// robots.txt disallows the detail pages for this tool.
    RobotsDisallow {
        /// The URL it disallows.
        url: String,
    },
    /// robots.txt could not be read.
    RobotsUnreachable {
        /// Why.
        why: String,
    },
    /// Failures in a row.
    Failures {
        /// How many.
        count: u32,
        /// The last one.
        last: String,
    },
    /// Interrupted (Ctrl-C).
    Interrupted,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Constancias this run set out to read.
    pub requested: usize,
    /// Requests made for detail pages.
    pub fetched: u64,
    /// Records enriched (new or changed detail).
    pub enriched: u64,
    /// Pages read that had not changed.
    pub unchanged: u64,
    /// Block pages met.
    pub blocked: u64,
    /// Processes the portal does not have.
    pub not_found: u64,
    /// Pages that could not be fetched or read.
    pub failed: u64,
    /// Pages read but not stored because another process held the index to the end; they
    /// stay queued.
    pub unsaved: u64,
    /// Why the run stopped early, if it did.
    pub stopped: Option<Stop>,
    /// The interval between requests that was in force, in milliseconds.
    pub interval_ms: u64,
    /// The queue after the run.
    pub queue: queue::QueueCounts,
    /// Rows and documents written.
    pub counts: Counts,
}

impl Report {
    /// The status recorded for the run: `ok`, `blocked`, `stopped` or `interrupted`.
    pub fn status(&self) -> &'static str {
        match &self.stopped {
            None => "ok",
            Some(Stop::Blocked { .. }) => "blocked",
            Some(Stop::Interrupted) => "interrupted",
            Some(_) => "stopped",
        }
    }

    /// A message for a person when the run stopped early.
    pub fn message(&self) -> Option<String> {
        Some(match self.stopped.as_ref()? {
            Stop::Blocked { kind, pages, last } => format!(
                "stopped: the portal answered {pages} time(s) in a row with {} (last for {last}). \
                 Nothing was read from those pages and the open-data records are unchanged. \
                 secop-bridge never solves or works around a captcha or a firewall: wait a few \
                 hours and run `secop enrich` again; it resumes where it stopped",
                kind.describe()
            ),
            Stop::RobotsDisallow { url } => format!(
                "stopped: the portal's robots.txt does not allow {} to read {url}; nothing was fetched",
                fetch::ROBOTS_AGENT
            ),
            Stop::RobotsUnreachable { why } => format!(
                "stopped: robots.txt could not be read ({why}); as RFC 9309 asks, nothing was \
                 fetched. Try again later"
            ),
            Stop::Failures { count, last } => format!(
                "stopped after {count} failures in a row (last: {last}); the portal may be down \
                 or its pages may have changed. Run again later to resume"
            ),
            Stop::Interrupted => "interrupted; run `secop enrich` again to resume".to_string(),
        })
    }
}

/// Runs an enrichment on its own small runtime (see [`run_async`]).
pub fn run(dir: &Path, opts: &Options, on_item: &mut dyn FnMut(&str, &Outcome)) -> Result<Report> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop = AtomicBool::new(false);
    rt.block_on(run_async(dir, opts, &stop, on_item))
}

/// Runs an enrichment: fills the queue from the state, reads robots.txt, then reads the
/// pages one at a time, storing each in its own transaction. Setting `stop` ends the run
/// after the current page (and during a back-off). `on_item` hears about every
/// constancia.
///
/// The future is not `Send` (the state's connection is not): drive it with
/// `Runtime::block_on` or a `LocalSet`.
pub async fn run_async(
    dir: &Path,
    opts: &Options,
    stop: &AtomicBool,
    on_item: &mut dyn FnMut(&str, &Outcome),
) -> Result<Report> {
    let _lock = RunLock::acquire(dir)?;
    let state = State::open(dir)?;
    let index = SecopIndex::open(dir)?;
    queue::init(&state)?;
    let args = serde_json::json!({
        "base_url": opts.base_url,
        "limit": opts.limit,
        "older_than_days": opts.older_than_days,
        "retry_failed": opts.retry_failed,
        "constancias": opts.constancias,
        "interval_ms": opts.politeness.interval.as_millis() as u64,
    })
    .to_string();
    state.mark_interrupted("enrich")?;
    let run_id = state.start_run("enrich", &args)?;
    let mut writes = Writes {
        state: &state,
        index: &index,
        run_id,
        buf: Vec::new(),
        counts: Counts::default(),
        source: Arc::from("enrich"),
    };
    let r = work(&state, &mut writes, opts, stop, on_item).await;
    // What was read but not yet stored: wait a little for the writer, then give up (the
    // constancias stay queued and are read again next time).
    let flushed = match &r {
        Ok(_) => writes.flush_patiently(opts, 12).await,
        Err(_) => Ok(false),
    };
    match r.and_then(|rep| flushed.map(|_| rep)) {
        Ok(mut report) => {
            report.unsaved = writes.buf.len() as u64;
            report.counts = writes.counts.clone();
            let mut counts = serde_json::to_value(&report.counts)?;
            counts["enrich"] = serde_json::json!({
                "status": report.status(),
                "fetched": report.fetched,
                "enriched": report.enriched,
                "unchanged": report.unchanged,
                "blocked": report.blocked,
                "not_found": report.not_found,
                "failed": report.failed,
                "unsaved": report.unsaved,
                "stopped": report.stopped,
            });
            state.finish_run(run_id, report.status(), &counts)?;
            report.queue = queue::counts(&state)?;
            Ok(report)
        }
        Err(e) => {
            let counts = serde_json::json!({ "counts": writes.counts, "error": e.to_string() });
            let _ = state.finish_run(run_id, "failed", &counts);
            Err(e)
        }
    }
}

/// Pages read and waiting to be stored, and the short write sessions that store them.
///
/// The index has one writer per data directory. A run reads a page every 2 s and may go on
/// for hours, so it does not hold the writer: it stores pages in batches, each in a short
/// session, and lets an import or a harvest write in between. A crash loses at most the
/// pages of one batch, which stay queued and are read again.
struct Writes<'a> {
    state: &'a State,
    index: &'a SecopIndex,
    run_id: i64,
    /// (constancia, row, HTTP status)
    buf: Vec<(String, ingest::PreparedRow, u16)>,
    counts: Counts,
    source: Arc<str>,
}

impl Writes<'_> {
    /// Stores the waiting pages in one transaction with their queue status. False when
    /// another process holds the writer (the pages stay waiting).
    fn flush(&mut self) -> Result<bool> {
        if self.buf.is_empty() {
            return Ok(true);
        }
        let mut ing = match Ingestor::resume_run(self.state, self.index, self.run_id) {
            Ok(i) => i,
            Err(Error::Busy(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let items = std::mem::take(&mut self.buf);
        let done: Vec<(String, u16)> = items.iter().map(|(c, _, s)| (c.clone(), *s)).collect();
        let batch = items
            .into_iter()
            .map(|(_, row, _)| Prepared {
                source: self.source.clone(),
                line: None,
                item: Ok(row),
            })
            .collect();
        let r = ing.apply_with(batch, |st| {
            for (c, s) in &done {
                queue::mark_done(st, c, *s)?;
            }
            Ok(())
        });
        match r {
            Ok(_) => {
                self.counts.add(&ing.release()?);
                Ok(true)
            }
            Err(e) => {
                let _ = ing.release();
                Err(e)
            }
        }
    }

    /// [`Writes::flush`], trying again every `busy_retry` up to `tries` times.
    async fn flush_patiently(&mut self, opts: &Options, tries: u32) -> Result<bool> {
        for i in 0..tries.max(1) {
            if self.flush()? {
                return Ok(true);
            }
            if i == 0 {
                tracing::warn!(
                    pages = self.buf.len(),
                    "another secop process is writing to the index; the pages read wait"
                );
            }
            tokio::time::sleep(opts.busy_retry).await;
        }
        Ok(false)
    }
}

/// One `secop enrich` at a time per data directory: two runs would double the load on the
/// portal and send requests in parallel. The lock is an exclusive transaction on a small
/// SQLite file, so the operating system releases it when the process ends, however it
/// ends.
pub struct RunLock {
    _conn: rusqlite::Connection,
}

impl RunLock {
    /// The lock file inside the data directory.
    pub const FILE: &'static str = "enrich.lock";

    /// Takes the lock, or says that another run holds it.
    pub fn acquire(dir: &Path) -> Result<RunLock> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::file(dir, format!("cannot create the data directory: {e}")))?;
        let conn = rusqlite::Connection::open(dir.join(Self::FILE))?;
        conn.busy_timeout(Duration::ZERO)?;
        match conn.execute_batch("BEGIN EXCLUSIVE") {
            Ok(()) => Ok(RunLock { _conn: conn }),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                Err(Error::Other(format!(
                    "another `secop enrich` is running on {}; one at a time keeps the portal's \
                     load at one request per interval",
                    dir.display()
                )))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Waits, waking every 200 ms to see whether the run was stopped. False when it was.
async fn pause(d: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        tokio::time::sleep((end - now).min(Duration::from_millis(200))).await;
    }
}

/// Reads one answer on a blocking thread: decode, parse, classify.
async fn read_answer(a: fetch::Answer) -> std::result::Result<(Verdict, page::DetailPage), String> {
    tokio::task::spawn_blocking(move || {
        let (text, _) = decode::decode_html(&a.body, a.content_type.as_deref());
        let page = page::parse(&text);
        let verdict = block::classify(a.status, &text, &page);
        (verdict, page)
    })
    .await
    .map_err(|e| format!("the page could not be parsed ({e})"))
}

async fn work(
    state: &State,
    writes: &mut Writes<'_>,
    opts: &Options,
    stop: &AtomicBool,
    on_item: &mut dyn FnMut(&str, &Outcome),
) -> Result<Report> {
    let mut report = Report::default();
    queue::sync(state)?;
    if let Some(d) = opts.older_than_days {
        queue::requeue_stale(state, d)?;
    }
    if opts.retry_failed {
        queue::requeue_failed(state)?;
    }
    let limit = opts.limit.unwrap_or(usize::MAX);
    let items = if opts.constancias.is_empty() {
        queue::todo(state, limit)?
    } else {
        let mut v = Vec::new();
        for c in &opts.constancias {
            let c = c.trim();
            if !queue::enqueue(state, c)? {
                return Err(Error::NotFound(crate::Message::from(format!(
                    "no SECOP I process with constancia {c:?} in this data directory; import or harvest it first"
                ))));
            }
            v.push(queue::Item {
                constancia: c.to_string(),
                process_key: format!("secop1:{c}"),
                status: "pending".into(),
                attempts: 0,
            });
        }
        v.truncate(limit);
        v
    };
    report.requested = items.len();
    if items.is_empty() {
        return Ok(report);
    }

    let mut fetcher = Fetcher::new(&opts.base_url, opts.politeness.clone())?;
    match fetcher.load_robots().await {
        fetch::Robots::Rules(_) => {}
        fetch::Robots::Unreachable(why) => {
            report.stopped = Some(Stop::RobotsUnreachable { why });
            return Ok(report);
        }
        fetch::Robots::Blocked(kind) => {
            report.stopped = Some(Stop::Blocked {
                kind,
                pages: 1,
                last: "robots.txt".into(),
            });
            return Ok(report);
        }
    }
    report.interval_ms = fetcher.interval().as_millis() as u64;

    let mut blocks = 0u32;
    let mut failures = 0u32;
    for item in items {
        if stop.load(Ordering::Relaxed) {
            report.stopped = Some(Stop::Interrupted);
            break;
        }
        let c = item.constancia.as_str();
        if !page::is_constancia(c) {
            let o = Outcome::Failed {
                why: "not a SECOP I constancia".into(),
                transient: false,
            };
            queue::mark_failed(state, c, None, "not a SECOP I constancia")?;
            report.failed += 1;
            on_item(c, &o);
            continue;
        }
        let url = fetcher.detail_url(c);
        if !fetcher.allowed(&url) {
            report.stopped = Some(Stop::RobotsDisallow { url });
            break;
        }
        report.fetched += 1;
        let mut retry_after = None;
        let outcome = match fetcher.get(&url).await {
            Err(why) => Outcome::Failed {
                why,
                transient: true,
            },
            Ok(a) => {
                let http_status = a.status;
                let cut = a.cut;
                retry_after = a.retry_after;
                match read_answer(a).await {
                    Err(why) => Outcome::Failed {
                        why,
                        transient: false,
                    },
                    Ok((Verdict::Blocked(kind), _)) => Outcome::Blocked { kind, http_status },
                    Ok((Verdict::NotFound, _)) => Outcome::NotFound,
                    Ok((Verdict::Unrecognised, _)) => Outcome::Failed {
                        why: format!(
                            "HTTP {http_status}: neither a detail page nor a known block page"
                        ),
                        transient: false,
                    },
                    Ok((Verdict::Detail, _)) if cut => Outcome::Failed {
                        why: "the page is larger than the size bound".into(),
                        transient: false,
                    },
                    Ok((Verdict::Detail, p)) if !p.complete => Outcome::Failed {
                        why: "the page was cut short".into(),
                        transient: true,
                    },
                    Ok((Verdict::Detail, p))
                        if p.constancia.as_deref().is_some_and(|pc| pc != c) =>
                    {
                        Outcome::Failed {
                            why: format!(
                                "the page is for another process ({})",
                                p.constancia.unwrap_or_default()
                            ),
                            transient: false,
                        }
                    }
                    Ok((Verdict::Detail, p)) => {
                        let row = p.to_row(c);
                        match ingest::prepare(&Secop1Detalle, &row) {
                            Err(rej) => Outcome::Failed {
                                why: rej.reason,
                                transient: false,
                            },
                            Ok(prepared) => {
                                let stored = state.row(&prepared.fragment.row_key)?;
                                if stored.is_some_and(|s| s.hash == prepared.hash) {
                                    queue::mark_done(state, c, http_status)?;
                                    Outcome::Unchanged
                                } else {
                                    writes.buf.push((c.to_string(), prepared, http_status));
                                    Outcome::Enriched {
                                        fields: p.field_count(),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        let mut wait = None;
        match &outcome {
            Outcome::Enriched { .. } | Outcome::Unchanged => {
                if matches!(outcome, Outcome::Unchanged) {
                    report.unchanged += 1;
                } else {
                    report.enriched += 1;
                }
                blocks = 0;
                failures = 0;
            }
            Outcome::NotFound => {
                queue::mark_failed(state, c, Some(404), "not found on the portal")?;
                report.not_found += 1;
                blocks = 0;
                failures = 0;
            }
            Outcome::Blocked { kind, http_status } => {
                queue::mark_blocked(state, c, Some(*http_status), kind.describe())?;
                report.blocked += 1;
                blocks += 1;
                // A Retry-After longer than the longest wait: come back another time.
                let too_long = retry_after.is_some_and(|ra| ra > opts.max_backoff);
                if blocks >= opts.max_blocks || too_long {
                    report.stopped = Some(Stop::Blocked {
                        kind: *kind,
                        pages: blocks,
                        last: c.to_string(),
                    });
                } else {
                    let exp = opts.backoff.saturating_mul(1 << (blocks - 1).min(16));
                    wait = Some(
                        exp.min(opts.max_backoff)
                            .max(retry_after.unwrap_or_default()),
                    );
                }
            }
            Outcome::Failed { why, transient } => {
                if *transient {
                    queue::mark_retry(state, c, why)?;
                } else {
                    queue::mark_failed(state, c, None, why)?;
                }
                report.failed += 1;
                failures += 1;
                if failures >= opts.max_failures {
                    report.stopped = Some(Stop::Failures {
                        count: failures,
                        last: why.clone(),
                    });
                } else {
                    wait = Some(
                        (opts.backoff / 4)
                            .saturating_mul(failures)
                            .min(opts.max_backoff),
                    );
                }
            }
        }
        on_item(c, &outcome);
        if writes.buf.len() >= opts.commit_every.max(1) && !writes.flush()? {
            // Another process is writing: keep reading while the pages fit in memory,
            // then wait for it.
            let cap = opts.commit_every.max(1) * 5;
            while writes.buf.len() >= cap && !writes.flush()? {
                if !pause(opts.busy_retry, stop).await {
                    report.stopped = Some(Stop::Interrupted);
                    break;
                }
            }
        }
        if report.stopped.is_some() {
            break;
        }
        if let Some(w) = wait {
            tracing::info!(wait = ?w, "backing off");
            if !pause(w, stop).await {
                report.stopped = Some(Stop::Interrupted);
                break;
            }
        }
    }
    Ok(report)
}
