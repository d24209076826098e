//! `secop harvest`

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Table;
use crate::harvest::{
    AppToken, ClientConfig, DEFAULT_BASE_URL, HarvestOptions, Observer, SourceReport, harvest, soql,
};
use crate::sources::datasets;

/// Harvest the datasets from the datos.gov.co SODA API.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sources to harvest (secop2-procesos, secop2-contratos, secop1-procesos,
    /// secop1-historico, or their dataset ids); all of them by default.
    #[arg(long = "source", value_name = "NAME", num_args = 1.., value_delimiter = ',')]
    pub sources: Vec<String>,
    /// Harvest rows whose event date is on or after DATE (YYYY-MM-DD), whatever the
    /// watermark says.
    #[arg(long, value_name = "DATE", conflicts_with = "full")]
    pub since: Option<String>,
    /// Harvest everything again, whatever the watermark says.
    #[arg(long)]
    pub full: bool,
    /// Base URL of the portal.
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Socrata app token, sent as X-App-Token (raises the throttling limits). Never printed.
    #[arg(long, value_name = "TOKEN", env = "SECOP_APP_TOKEN", hide_env_values = true, value_parser = parse_token)]
    pub app_token: Option<AppToken>,
    /// Rows per request ($limit).
    #[arg(long, value_name = "N", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    pub page_size: u64,
    /// Days before the watermark that an incremental harvest reads again.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub overlap_days: u32,
    /// Requests per second at most (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 4.0)]
    pub rate: f64,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=16))]
    pub concurrency: u64,
    /// Seconds of silence before a request is abandoned and retried.
    #[arg(long, value_name = "SECS", default_value_t = 90.0)]
    pub timeout: f64,
    /// Attempts per request before the harvest stops.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub retries: u32,
    /// Longest Retry-After honoured, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub retry_after_cap: f64,
    /// First backoff delay in milliseconds (doubles at each attempt, with jitter).
    #[arg(long, value_name = "MS", default_value_t = 500, hide = true)]
    pub backoff_ms: u64,
    /// Most rows per date window before it is split.
    #[arg(long, value_name = "N", default_value_t = 100_000, hide = true)]
    pub window_rows: u64,
    /// Rows between index commits (bounds memory).
    #[arg(long, value_name = "N", default_value_t = 50_000, hide = true)]
    pub commit_every: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_token(s: &str) -> Result<AppToken, String> {
    AppToken::new(s).ok_or_else(|| "the app token is empty".to_string())
}

fn secs(v: f64, what: &str) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        v.is_finite() && v > 0.0,
        "{what} must be a positive number of seconds"
    );
    Ok(Duration::from_secs_f64(v))
}

/// Progress bars, one per source, on stderr; warnings printed above them.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    style: ProgressStyle,
    spinner: ProgressStyle,
    pages: Mutex<HashMap<String, u64>>,
}

impl Bars {
    fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::default(),
            style: ProgressStyle::with_template(
                "{prefix:>17} [{bar:28}] {human_pos}/{human_len} rows {msg} {per_sec} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
            spinner: ProgressStyle::with_template(
                "{prefix:>17} {spinner} {human_pos} rows {msg} {per_sec}",
            )
            .expect("valid template"),
            pages: Mutex::default(),
        }
    }

    fn bar(&self, source: &str) -> Option<ProgressBar> {
        self.bars.lock().ok()?.get(source).cloned()
    }
}

impl Observer for Bars {
    fn start(&self, source: &str, total: Option<u64>, done: u64) {
        let pb = self.multi.add(ProgressBar::new(total.unwrap_or(0)));
        pb.set_style(if total.is_some() {
            self.style.clone()
        } else {
            self.spinner.clone()
        });
        pb.set_prefix(source.to_string());
        pb.set_position(done);
        pb.reset_eta();
        pb.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut b) = self.bars.lock() {
            b.insert(source.to_string(), pb);
        }
    }
    fn advance(&self, source: &str, rows: u64, pages: u64) {
        if let Some(pb) = self.bar(source) {
            let n = self
                .pages
                .lock()
                .map(|mut p| {
                    let e = p.entry(source.to_string()).or_default();
                    *e += pages;
                    *e
                })
                .unwrap_or(0);
            pb.inc(rows);
            if pb.length().is_some_and(|l| pb.position() > l) {
                pb.set_length(pb.position());
            }
            pb.set_message(format!("{n} pages"));
        }
    }
    fn note(&self, source: &str, msg: &str) {
        if let Some(pb) = self.bar(source) {
            let short: String = msg.chars().take(90).collect();
            pb.set_message(short);
        }
    }
    fn warn(&self, msg: &str) {
        let _ = self.multi.println(format!("warning: {msg}"));
    }
    fn end(&self, r: &SourceReport) {
        if let Some(pb) = self.bar(&r.source) {
            pb.finish_and_clear();
        }
        let _ = self.multi.println(match &r.error {
            Some(e) => format!("✗ {}: {e}", r.source),
            None => format!(
                "✓ {}: {} rows ({} new, {} changed, {} unchanged, {}{} quarantined)",
                r.source,
                r.fetched,
                r.new,
                r.changed,
                r.unchanged,
                super::older_part(r.older),
                r.quarantined
            ),
        });
    }
}

/// Warnings on stderr when there are no bars.
struct Plain;

impl Observer for Plain {
    fn warn(&self, msg: &str) {
        eprintln!("warning: {msg}");
    }
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let sources = if a.sources.is_empty() {
        datasets::harvestable()
    } else {
        let known = || {
            datasets::harvestable()
                .iter()
                .map(|d| d.source_name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut v = Vec::new();
        for s in &a.sources {
            let ds = datasets::by_name(s)
                .filter(|d| d.soda())
                .with_context(|| format!("unknown source {s:?}; known: {}", known()))?;
            if !v.iter().any(|d: &&dyn datasets::Dataset| d.id() == ds.id()) {
                v.push(ds);
            }
        }
        v
    };
    let since = match &a.since {
        Some(s) => Some(soql::parse_ts(s).context("--since")?),
        None => None,
    };
    anyhow::ensure!(
        a.rate.is_finite() && a.rate >= 0.0,
        "--rate must be 0 (no limit) or a positive number"
    );
    let timeout = secs(a.timeout, "--timeout")?;
    let opts = HarvestOptions {
        sources,
        since,
        full: a.full,
        overlap_days: a.overlap_days,
        page_size: a.page_size,
        window_rows: a.window_rows.max(1),
        commit_every: a.commit_every.max(1),
        client: ClientConfig {
            base_url: a.base_url.clone(),
            app_token: a.app_token.clone(),
            read_timeout: timeout,
            request_timeout: (timeout * 10).max(Duration::from_secs(60)),
            max_attempts: a.retries,
            backoff_base: Duration::from_millis(a.backoff_ms),
            retry_after_cap: secs(a.retry_after_cap, "--retry-after-cap")?,
            rate_per_second: a.rate,
            concurrency: a.concurrency as usize,
            ..ClientConfig::default()
        },
    };
    let bars = std::io::stderr().is_terminal() && !a.json;
    let observer: Arc<dyn Observer> = if bars {
        Arc::new(Bars::new())
    } else {
        Arc::new(Plain)
    };
    let report = harvest(dir, &opts, observer)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mut t = Table::new(&[
            "source",
            "status",
            "fetched",
            "new",
            "changed",
            "unchanged",
            "older",
            "quarantined",
            "pages",
            "watermark",
        ]);
        for c in 2..9 {
            t = t.align_right(c);
        }
        for r in &report.sources {
            t.row(vec![
                r.source.clone(),
                r.status.clone(),
                r.fetched.to_string(),
                r.new.to_string(),
                r.changed.to_string(),
                r.unchanged.to_string(),
                r.older.to_string(),
                r.quarantined.to_string(),
                r.pages.to_string(),
                r.watermark.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        t.write(&mut std::io::stdout().lock(), 40)?;
        if report.retries > 0 {
            eprintln!("{} requests, {} retried", report.requests, report.retries);
        }
        let q: u64 = report.sources.iter().map(|r| r.quarantined).sum();
        if q > 0 {
            eprintln!("{q} rows quarantined with their reason: see `secop stats --quarantine`");
        }
        super::stats::compact_hint(dir);
    }
    match &report.error {
        Some(e) => {
            eprintln!("secop: harvest stopped: {e}");
            Ok(ExitCode::FAILURE)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}
