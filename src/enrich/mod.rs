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
//! the queue's note: the open-data record stays as it was.

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
    /// Pages between index commits (default 20).
    pub commit_every: usize,
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
    let mut ing = Ingestor::new(&state, &index, "enrich", &args)?;
    ing.set_commit_every(opts.commit_every);
    match work(&state, &mut ing, opts, stop, on_item).await {
        Ok(mut report) => {
            report.counts = ing.counts.clone();
            let extra = serde_json::json!({ "enrich": {
                "status": report.status(),
                "fetched": report.fetched,
                "enriched": report.enriched,
                "unchanged": report.unchanged,
                "blocked": report.blocked,
                "not_found": report.not_found,
                "failed": report.failed,
                "stopped": report.stopped,
            }});
            ing.finish(report.status(), extra)?;
            report.queue = queue::counts(&state)?;
            Ok(report)
        }
        Err(e) => {
            let _ = ing.fail(&e.to_string());
            Err(e)
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
    ing: &mut Ingestor<'_>,
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
                return Err(Error::NotFound(format!(
                    "no SECOP I process with constancia {c:?} in this data directory; import or harvest it first"
                )));
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

    let source: Arc<str> = Arc::from("enrich");
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
                                let batch = vec![Prepared {
                                    source: source.clone(),
                                    line: None,
                                    item: Ok(prepared),
                                }];
                                let counts = ing
                                    .apply_with(batch, |st| queue::mark_done(st, c, http_status))?;
                                if counts.unchanged > 0 {
                                    Outcome::Unchanged
                                } else {
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
                if blocks >= opts.max_blocks {
                    report.stopped = Some(Stop::Blocked {
                        kind: *kind,
                        pages: blocks,
                        last: c.to_string(),
                    });
                } else {
                    let exp = opts.backoff.saturating_mul(1 << (blocks - 1).min(16));
                    wait = Some(
                        exp.max(retry_after.unwrap_or_default())
                            .min(opts.max_backoff),
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
