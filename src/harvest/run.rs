//! The run loop: plan each source in date windows, page through each window in a stable
//! order with requests running ahead, write every page in one transaction with the
//! window's progress, and check each window against `count(*)`.
//!
//! Sources run one after the other so that rows reach the index in the same order on
//! every run; within a window up to `concurrency` pages are fetched and prepared
//! (parsed, normalised, hashed) ahead while the current one is written.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration as Span, NaiveDateTime};
use tokio::runtime::Runtime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::client::{ClientConfig, Purpose, SodaClient};
use super::drift::{self, Drift};
use super::progress;
use super::soql::{self, TS, Window};
use crate::index::{SecopIndex, merge};
use crate::ingest::{Counts, Ingestor, Prepared, prepare};
use crate::sources::Dataset;
use crate::state::State;
use crate::{Error, Result};

/// What to harvest and how.
#[derive(Clone)]
pub struct HarvestOptions {
    /// The sources, in the order they run.
    pub sources: Vec<&'static dyn Dataset>,
    /// Harvest rows whose event date is on or after this, whatever the watermark says.
    pub since: Option<NaiveDateTime>,
    /// Harvest everything, whatever the watermark says.
    pub full: bool,
    /// Days before the watermark that an incremental harvest reads again.
    pub overlap_days: u32,
    /// Rows per request (`$limit`).
    pub page_size: u64,
    /// Most rows a window may hold before it is split (keeps `$offset` shallow).
    pub window_rows: u64,
    /// Rows between index commits. Each upsert queues a delete in the index writer until
    /// the next commit, so this bounds the harvester's memory.
    pub commit_every: usize,
    /// The HTTP client's behaviour.
    pub client: ClientConfig,
}

impl Default for HarvestOptions {
    fn default() -> Self {
        HarvestOptions {
            sources: crate::sources::datasets::harvestable(),
            since: None,
            full: false,
            overlap_days: 30,
            page_size: 5_000,
            window_rows: 100_000,
            commit_every: 50_000,
            client: ClientConfig::default(),
        }
    }
}

impl std::fmt::Debug for HarvestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.sources.iter().map(|d| d.id()).collect();
        f.debug_struct("HarvestOptions")
            .field("sources", &ids)
            .field("since", &self.since)
            .field("full", &self.full)
            .field("overlap_days", &self.overlap_days)
            .field("page_size", &self.page_size)
            .field("window_rows", &self.window_rows)
            .field("commit_every", &self.commit_every)
            .field("client", &self.client)
            .finish()
    }
}

/// What the harvest of one source did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SourceReport {
    /// Source name (`secop2-procesos`).
    pub source: String,
    /// Dataset id (`p6dx-8zbt`).
    pub dataset: String,
    /// `ok`, `failed`, or `not run` (an earlier source failed).
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// True when this run went on with a plan an interrupted run left.
    pub resumed: bool,
    /// Rows received.
    pub fetched: u64,
    /// Rows never seen before.
    pub new: u64,
    /// Rows whose content changed.
    pub changed: u64,
    /// Rows seen before with the same content (they did not touch the index).
    pub unchanged: u64,
    /// Rows older than the version already stored, by their own last-update date (kept
    /// out: the newer version stays).
    pub older: u64,
    /// Rows refused, with the reason in the quarantine.
    pub quarantined: u64,
    /// Process documents rewritten.
    pub processes: u64,
    /// Pages received.
    pub pages: u64,
    /// Windows read completely.
    pub windows: u64,
    /// The watermark after the run.
    pub watermark: Option<String>,
    /// Fields that changed upstream.
    pub drift: Drift,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// What the whole harvest did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HarvestReport {
    /// Per source, in the order they ran.
    pub sources: Vec<SourceReport>,
    /// HTTP requests sent (attempts).
    pub requests: u64,
    /// Attempts that were retried.
    pub retries: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// The first error, which stopped the harvest.
    pub error: Option<String>,
}

/// Progress callbacks: a person watching (progress bars), a test, or nobody.
pub trait Observer: Send + Sync {
    /// A source starts; `total` rows are planned, `done` of them were read by an earlier,
    /// interrupted run.
    fn start(&self, _source: &str, _total: Option<u64>, _done: u64) {}
    /// Rows and pages written so far for the source.
    fn advance(&self, _source: &str, _rows: u64, _pages: u64) {}
    /// A passing remark (a retry, a window being split).
    fn note(&self, _source: &str, _msg: &str) {}
    /// A warning a person should read (schema drift, a window that did not add up).
    fn warn(&self, _msg: &str) {}
    /// A source is done.
    fn end(&self, _report: &SourceReport) {}
}

/// No output.
pub struct Quiet;
impl Observer for Quiet {}

/// Harvests the sources into the data directory. A failing source stops the harvest; the
/// report says why, what was done, and the progress is saved for the next run.
pub fn harvest(
    data_dir: &Path,
    opts: &HarvestOptions,
    observer: Arc<dyn Observer>,
) -> Result<HarvestReport> {
    if opts.page_size == 0 {
        return Err(Error::bad_request("--page-size must be at least 1"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("secop-harvest")
        .build()?;
    let current: Arc<std::sync::Mutex<String>> = Arc::default();
    let obs = observer.clone();
    let cur = current.clone();
    let client = SodaClient::new(opts.client.clone())?.on_retry(move |msg| {
        let source = cur.lock().map(|s| s.clone()).unwrap_or_default();
        tracing::info!(source, "{msg}");
        obs.note(&source, msg);
    });
    let state = State::open(data_dir)?;
    progress::init(&state)?;
    // Its budget is 500 MB: smaller merges (more segments) than an import's.
    let index = SecopIndex::open(data_dir)?.with_merge_bound(merge::HARVEST_MAX_MERGED_DOCS);
    let mut ing = Ingestor::new(&state, &index, "harvest", &describe(opts))?;
    ing.set_commit_every(opts.commit_every);
    let mut h = Harvester {
        rt: &rt,
        client: &client,
        opts,
        state: &state,
        obs: observer.as_ref(),
    };
    let mut report = HarvestReport::default();
    for ds in &opts.sources {
        if report.error.is_some() {
            report.sources.push(SourceReport {
                source: ds.source_name().into(),
                dataset: ds.id().into(),
                status: "not run".into(),
                ..SourceReport::default()
            });
            continue;
        }
        if let Ok(mut c) = current.lock() {
            *c = ds.source_name().to_string();
        }
        let mut r = SourceReport {
            source: ds.source_name().into(),
            dataset: ds.id().into(),
            ..SourceReport::default()
        };
        let started = Instant::now();
        let outcome = h.source(*ds, &mut ing, &mut r);
        r.seconds = started.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => r.status = "ok".into(),
            Err(e) => {
                let msg = format!("{}: {e}", ds.source_name());
                r.status = "failed".into();
                r.error = Some(e.to_string());
                // The state itself may be what failed; recording the failure is best effort.
                state.rollback();
                let _ = progress::record_failure(&state, ds.source_name(), ds.id(), &msg);
                report.error = Some(msg);
            }
        }
        r.watermark = progress::source(&state, ds.source_name())?.watermark;
        observer.end(&r);
        report.sources.push(r);
    }
    report.requests = client
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    report.retries = client
        .stats
        .retries
        .load(std::sync::atomic::Ordering::Relaxed);
    report.bytes = client
        .stats
        .bytes
        .load(std::sync::atomic::Ordering::Relaxed);
    let extra = serde_json::json!({ "sources": report.sources, "requests": report.requests, "retries": report.retries });
    match &report.error {
        None => {
            ing.finish("ok", extra)?;
        }
        Some(e) => {
            ing.fail(e)?;
        }
    }
    Ok(report)
}

fn describe(o: &HarvestOptions) -> String {
    let names: Vec<&str> = o.sources.iter().map(|d| d.source_name()).collect();
    let mut s = format!("--source {}", names.join(","));
    if o.full {
        s.push_str(" --full");
    }
    if let Some(d) = o.since {
        s.push_str(&format!(" --since {}", d.format("%Y-%m-%d")));
    }
    // Never the token.
    s.push_str(&format!(" --base-url {}", o.client.base_url));
    s
}

struct Harvester<'a> {
    rt: &'a Runtime,
    client: &'a SodaClient,
    opts: &'a HarvestOptions,
    state: &'a State,
    obs: &'a dyn Observer,
}

/// A page fetched and prepared ahead of writing.
struct Page {
    offset: u64,
    rows: Vec<Prepared>,
    fields: Option<Vec<String>>,
    keys: BTreeSet<String>,
    /// This page's share of the stretch's page budget, returned when the page is dropped
    /// (after it is written).
    _held: OwnedSemaphorePermit,
}

/// How reading a stretch of a window ended.
struct Stretch {
    cursor: u64,
    hit_empty: bool,
}

impl Harvester<'_> {
    fn mode(&self) -> String {
        if self.opts.full {
            "full".into()
        } else if let Some(s) = self.opts.since {
            format!("since:{}", s.format(TS))
        } else {
            "incremental".into()
        }
    }

    fn source(
        &mut self,
        ds: &'static dyn Dataset,
        ing: &mut Ingestor<'_>,
        r: &mut SourceReport,
    ) -> Result<()> {
        let name = ds.source_name();
        let before = progress::source(self.state, name)?;
        let mode = self.mode();
        let plan = progress::windows(self.state, name)?;
        r.resumed = before.plan_mode.as_deref() == Some(mode.as_str()) && !plan.is_empty();

        // What the dataset says its fields are (best effort: some portals hide views).
        let (expected, against_last) = drift::expected(ds, before.fields.as_deref());
        let mut served: BTreeSet<String> = BTreeSet::new();
        let mut warned: BTreeSet<String> = BTreeSet::new();
        match self.metadata_fields(ds) {
            Ok(Some(f)) => {
                let d = drift::compare(&expected, &f, against_last);
                self.warn_drift(name, &d, &mut warned);
                // Every window is a range of the event date: without that field the
                // portal refuses the queries, or (a lenient server) matches every row as
                // undated. Stop before any, and say which field.
                let date = ds.date_column();
                if !f.contains(date) {
                    let new = d
                        .renamed
                        .iter()
                        .find(|(old, _)| old == date)
                        .map(|(_, new)| format!(" (renamed to {new:?}?)"))
                        .unwrap_or_default();
                    return Err(Error::Remote(format!(
                        "the dataset no longer has the field {date:?} the harvest reads by date{new}; nothing was fetched, the index is unchanged"
                    )));
                }
                r.drift = d;
                served = f;
            }
            Ok(None) => {}
            Err(e) => self.obs.note(
                name,
                &format!("no metadata, schema drift checked on pages only: {e}"),
            ),
        }
        let from_metadata = !served.is_empty();

        if !r.resumed {
            self.plan(ds, &before, &mode)?;
        }
        let st = progress::source(self.state, name)?;
        let windows = progress::windows(self.state, name)?;
        let done: u64 = windows
            .iter()
            .map(|w| {
                if w.done {
                    w.expected.unwrap_or(w.fetched)
                } else {
                    w.fetched
                }
            })
            .sum();
        self.obs.start(name, st.plan_total, done);

        let mut header_fields: BTreeSet<String> = BTreeSet::new();
        let mut row_keys: BTreeSet<String> = BTreeSet::new();
        loop {
            let windows = progress::windows(self.state, name)?;
            let Some(w) = windows.into_iter().find(|w| !w.done) else {
                break;
            };
            self.window(ds, ing, w, r, &mut header_fields, &mut row_keys)?;
        }

        // Schema drift on what the pages said.
        let seen = if !header_fields.is_empty() {
            Some(header_fields)
        } else if from_metadata {
            None
        } else if !row_keys.is_empty() {
            // Only the keys of rows: empty fields are left out of SODA JSON, so only new
            // fields can be told, not missing ones.
            let mut f = row_keys;
            f.extend(expected.iter().cloned());
            Some(f)
        } else {
            None
        };
        if let Some(seen) = seen {
            let d = drift::compare(&expected, &seen, against_last);
            self.warn_drift(name, &d, &mut warned);
            r.drift = d;
            served = seen;
        }
        let fields: Vec<String> = served.into_iter().filter(|f| !f.starts_with(':')).collect();
        let keep = if fields.is_empty() {
            before.fields.unwrap_or_default()
        } else {
            fields
        };
        progress::finish_plan(self.state, name, &keep)?;
        Ok(())
    }

    fn warn_drift(&self, name: &str, d: &Drift, warned: &mut BTreeSet<String>) {
        for m in d.messages(name) {
            if warned.insert(m.clone()) {
                tracing::debug!("{m}");
                self.obs.warn(&m);
            }
        }
    }

    fn metadata_fields(&self, ds: &dyn Dataset) -> Result<Option<BTreeSet<String>>> {
        let url = self.client.metadata_url(ds.id());
        let resp = self
            .rt
            .block_on(self.client.get(Purpose::Metadata, &url, &[], |b| {
                serde_json::from_slice::<serde_json::Value>(b).map_err(|e| e.to_string())
            }))?;
        let cols = resp
            .body
            .get("columns")
            .and_then(|c| c.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.get("fieldName").and_then(|f| f.as_str()))
                    .map(str::to_string)
                    .collect::<BTreeSet<String>>()
            });
        Ok(cols.filter(|c| !c.is_empty()))
    }

    /// Makes a new plan: the date range to read, cut in yearly windows, and the undated rows.
    fn plan(
        &mut self,
        ds: &'static dyn Dataset,
        before: &progress::SourceState,
        mode: &str,
    ) -> Result<()> {
        let name = ds.source_name();
        let col = ds.date_column();
        let url = self.client.resource_url(ds.id());
        let q = vec![("$select", format!("min({col}) AS lo, max({col}) AS hi"))];
        let bounds = self
            .rt
            .block_on(
                self.client
                    .get(Purpose::Aggregate, &url, &q, soql::parse_bounds),
            )?
            .body;
        let watermark = before
            .watermark
            .as_deref()
            .and_then(|w| soql::parse_ts(w).ok());
        let overlap = Span::days(self.opts.overlap_days as i64);
        let mut windows = Vec::new();
        let mut max_txt = None;
        let mut total = 0;
        if let (Some(min), Some(max)) = bounds {
            let lo = if self.opts.full {
                min
            } else if let Some(s) = self.opts.since {
                s
            } else if let Some(w) = watermark {
                (w - overlap).max(min)
            } else {
                min
            };
            let (lo, hi) = (lo.max(min), max + Span::seconds(1));
            if lo < hi {
                windows = soql::year_windows(lo, hi);
                total += self.count(ds, &Window::Range { lo, hi })?;
            }
            max_txt = Some(max.format(TS).to_string());
        }
        windows.push(Window::Undated);
        total += self.count(ds, &Window::Undated)?;
        progress::start_plan(
            self.state,
            name,
            ds.id(),
            mode,
            max_txt.as_deref(),
            total,
            &windows,
        )?;
        self.obs.note(
            name,
            &format!(
                "plan: {total} rows in {} window(s) from {}",
                windows.len(),
                windows.first().map(|w| w.label()).unwrap_or_default()
            ),
        );
        Ok(())
    }

    fn count(&self, ds: &dyn Dataset, w: &Window) -> Result<u64> {
        let url = self.client.resource_url(ds.id());
        let q = vec![
            ("$select", "count(*)".to_string()),
            ("$where", w.where_clause(ds.date_column())),
        ];
        Ok(self
            .rt
            .block_on(
                self.client
                    .get(Purpose::Aggregate, &url, &q, soql::parse_count),
            )?
            .body)
    }

    /// Reads one window to its end and checks it against `count(*)`.
    fn window(
        &mut self,
        ds: &'static dyn Dataset,
        ing: &mut Ingestor<'_>,
        w: progress::WindowState,
        r: &mut SourceReport,
        header_fields: &mut BTreeSet<String>,
        row_keys: &mut BTreeSet<String>,
    ) -> Result<()> {
        let name = ds.source_name();
        let window = w.window;
        let mut expected = self.count(ds, &window)?;
        progress::set_expected(self.state, name, &window, expected)?;
        if expected > self.opts.window_rows
            && w.fetched == 0
            && let Some((a, b)) = window.split()
        {
            self.obs.note(
                name,
                &format!("{} holds {expected} rows: split", window.label()),
            );
            return progress::split(self.state, name, &window, &a, &b);
        }
        let mut cursor = w.fetched;
        let mut restarts = 0;
        loop {
            let mut hit_empty = false;
            if cursor < expected {
                let s = self.stretch(
                    ds,
                    ing,
                    &window,
                    cursor,
                    expected,
                    r,
                    header_fields,
                    row_keys,
                )?;
                cursor = s.cursor;
                hit_empty = s.hit_empty;
            }
            // Completeness: the rows read must add up to what the server counts now.
            let now = self.count(ds, &window)?;
            if now <= cursor {
                break;
            }
            if hit_empty {
                // The server ran out of rows before its own count: a hole in the paging.
                restarts += 1;
                if restarts > 3 {
                    return Err(Error::Remote(format!(
                        "{}: the server counts {now} rows but serves only {cursor}, after {restarts} tries; run again later",
                        window.label()
                    )));
                }
                self.obs.warn(&format!(
                    "{name}: {} counted {now} rows but served {cursor}; reading it again",
                    window.label()
                ));
                progress::restart(self.state, name, &window)?;
                cursor = 0;
            }
            // Rows were added while we read: read on.
            expected = now;
            progress::set_expected(self.state, name, &window, expected)?;
        }
        progress::set_done(self.state, name, &window)?;
        r.windows += 1;
        Ok(())
    }

    /// Reads `[start, expected)` of a window with pages fetched ahead, writing each page
    /// with the window's new offset in one transaction.
    #[allow(clippy::too_many_arguments)]
    fn stretch(
        &mut self,
        ds: &'static dyn Dataset,
        ing: &mut Ingestor<'_>,
        window: &Window,
        start: u64,
        expected: u64,
        r: &mut SourceReport,
        header_fields: &mut BTreeSet<String>,
        row_keys: &mut BTreeSet<String>,
    ) -> Result<Stretch> {
        let name = ds.source_name();
        let ahead = self.client.config().concurrency.max(1);
        // Pages held at once, downloading, queued or being written: the concurrency, plus
        // the one being written. Each is a few megabytes of prepared rows.
        let budget = Arc::new(Semaphore::new(ahead + 1));
        let (tx, mut rx) = mpsc::channel::<Result<Page>>(1);
        let job = Fetch {
            client: self.client.clone(),
            ds,
            where_: window.where_clause(ds.date_column()),
            order: soql::order(ds),
            limit: self.opts.page_size,
            source: Arc::from(format!("harvest:{name}")),
        };
        let producer = self
            .rt
            .spawn(produce(job, start, expected, ahead, budget, tx));
        let mut cursor = start;
        let mut hit_empty = false;
        let result = (|| -> Result<()> {
            while let Some(page) = rx.blocking_recv() {
                let page = page?;
                debug_assert_eq!(page.offset, cursor);
                if page.rows.is_empty() {
                    hit_empty = true;
                    break;
                }
                if let Some(f) = page.fields {
                    header_fields.extend(f);
                }
                if header_fields.is_empty() {
                    row_keys.extend(page.keys);
                }
                let n = page.rows.len() as u64;
                let next = cursor + n;
                let c: Counts = ing.apply_with(page.rows, |st| {
                    progress::set_fetched(st, name, window, next)
                })?;
                cursor = next;
                r.fetched += n;
                r.new += c.new;
                r.changed += c.changed;
                r.unchanged += c.unchanged;
                r.older += c.older;
                r.quarantined += c.quarantined;
                r.processes += c.processes;
                r.pages += 1;
                self.obs.advance(name, n, 1);
            }
            Ok(())
        })();
        producer.abort();
        result?;
        Ok(Stretch { cursor, hit_empty })
    }
}

/// What the producer needs to fetch pages of one window.
#[derive(Clone)]
struct Fetch {
    client: SodaClient,
    ds: &'static dyn Dataset,
    where_: String,
    order: String,
    limit: u64,
    source: Arc<str>,
}

/// Fetches pages from `start` in order, up to `ahead` at a time, and sends them in order. A
/// download starts only with a permit of `budget`, which its page holds until it has been
/// written, so that pages waiting in the channel count against the pages fetched ahead. A page
/// shorter than asked is not the end: the rest of its span is asked for before the next
/// page is sent. An empty page is sent and ends the stretch.
async fn produce(
    job: Fetch,
    start: u64,
    expected: u64,
    ahead: usize,
    budget: Arc<Semaphore>,
    tx: mpsc::Sender<Result<Page>>,
) {
    let mut next = start;
    let mut inflight: VecDeque<(u64, u64, tokio::task::JoinHandle<Result<Page>>)> = VecDeque::new();
    loop {
        while inflight.len() < ahead && next < expected {
            // Wait for a permit only when nothing is downloading; otherwise take the next
            // page as soon as one is free.
            let permit = if inflight.is_empty() {
                budget.clone().acquire_owned().await.ok()
            } else {
                budget.clone().try_acquire_owned().ok()
            };
            let Some(permit) = permit else { break };
            let j = job.clone();
            let lim = job.limit;
            inflight.push_back((next, lim, tokio::spawn(fetch_page(j, next, lim, permit))));
            next += lim;
        }
        let Some((off, lim, handle)) = inflight.pop_front() else {
            return;
        };
        let page = match handle.await {
            Ok(p) => p,
            Err(e) => Err(Error::Other(format!("a page download failed: {e}"))),
        };
        let mut stop = false;
        let n = match &page {
            Ok(p) => p.rows.len() as u64,
            Err(_) => {
                stop = true;
                0
            }
        };
        if tx.send(page).await.is_err() || stop || n == 0 {
            abort_all(inflight);
            return;
        }
        // A short page: fetch the rest of its span before anything after it.
        let end = off + lim;
        let mut gap = off + n;
        while gap < end {
            let Ok(permit) = budget.clone().acquire_owned().await else {
                abort_all(inflight);
                return;
            };
            let p = fetch_page(job.clone(), gap, end - gap, permit).await;
            let k = match &p {
                Ok(p) => p.rows.len() as u64,
                Err(_) => 0,
            };
            if tx.send(p).await.is_err() || k == 0 {
                abort_all(inflight);
                return;
            }
            gap += k;
        }
    }
}

fn abort_all(inflight: VecDeque<(u64, u64, tokio::task::JoinHandle<Result<Page>>)>) {
    for (_, _, h) in inflight {
        h.abort();
    }
}

/// One page: fetched, checked to be complete JSON, turned into rows and prepared.
async fn fetch_page(
    job: Fetch,
    offset: u64,
    limit: u64,
    held: OwnedSemaphorePermit,
) -> Result<Page> {
    let url = job.client.resource_url(job.ds.id());
    let q = vec![
        ("$where", job.where_.clone()),
        ("$order", job.order.clone()),
        ("$limit", limit.to_string()),
        ("$offset", offset.to_string()),
    ];
    let ds = job.ds;
    let resp = job
        .client
        .get(Purpose::Page, &url, &q, |b| super::page::parse_page(b, ds))
        .await?;
    let fields = resp.fields;
    let super::page::Page { rows, keys } = resp.body;
    let source = job.source.clone();
    let rows = tokio::task::spawn_blocking(move || {
        rows.iter()
            .map(|row| Prepared {
                source: source.clone(),
                line: None,
                item: prepare(ds, row),
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| Error::Other(format!("preparing a page failed: {e}")))?;
    Ok(Page {
        offset,
        rows,
        fields,
        keys,
        _held: held,
    })
}
