//! `secop enrich [--limit N] [--older-than DAYS] [--base-url URL]`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};

use super::Table;
use crate::enrich::{self, Options, Outcome, Politeness, Report, Stop, queue};
use crate::state::State;

/// The exit code when the portal's block pages stopped the run.
pub const EXIT_BLOCKED: u8 = 3;

/// Fetch SECOP I detail pages for records that lack the detail, politely.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read at most this many pages in this run.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Also read again the pages read more than DAYS days ago.
    #[arg(long, value_name = "DAYS")]
    pub older_than: Option<u32>,
    /// The SECOP I portal (scheme and host).
    #[arg(long, value_name = "URL", env = "SECOP_ENRICH_BASE_URL", default_value = enrich::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Seconds between two requests; at least 2 for any host but this machine's.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub interval: f64,
    /// Seconds to wait after the first block page (doubled after each one in a row).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub backoff: f64,
    /// Block pages in a row that stop the run.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_blocks: u32,
    /// Try again the constancias that failed before (not found, unreadable).
    #[arg(long)]
    pub retry_failed: bool,
    /// Read only this constancia now (repeatable), whatever its status.
    #[arg(long, value_name = "CONSTANCIA")]
    pub constancia: Vec<String>,
    /// Show the queue and exit, without any request.
    #[arg(long)]
    pub status: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// True when the URL's host is this machine (a local mirror or a test server).
fn is_loopback(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(h) = u.host_str() else {
        return false;
    };
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn seconds(what: &str, s: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| *d <= Duration::from_secs(24 * 3600))
        .with_context(|| format!("--{what} {s}: give a number of seconds between 0 and 86400"))
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    if a.status {
        return status(dir, a.json);
    }
    let interval = seconds("interval", a.interval)?;
    if interval < Duration::from_secs(2) && !is_loopback(&a.base_url) {
        bail!(
            "--interval {}: at least 2 seconds between requests to {}; the portal is a public service",
            a.interval,
            a.base_url
        );
    }
    let opts = Options {
        base_url: a.base_url.clone(),
        limit: a.limit,
        older_than_days: a.older_than,
        retry_failed: a.retry_failed,
        constancias: a.constancia.clone(),
        politeness: Politeness {
            interval,
            ..Politeness::default()
        },
        max_blocks: a.max_blocks.max(1),
        backoff: seconds("backoff", a.backoff)?,
        ..Options::default()
    };
    if !a.json {
        eprintln!(
            "reading SECOP I detail pages from {} ({}one request every {:.1} s, robots.txt obeyed; Ctrl-C stops after the current page)",
            opts.base_url,
            opts.limit
                .map_or(String::new(), |n| format!("at most {n}, ")),
            interval.as_secs_f64()
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let json = a.json;
    let mut on_item = |c: &str, o: &Outcome| {
        if !json {
            let mark = match o {
                Outcome::Enriched { .. } | Outcome::Unchanged => "✓",
                Outcome::NotFound => "·",
                _ => "✗",
            };
            eprintln!("{mark} {c} {o}");
        }
    };
    let report = rt.block_on(async {
        let s = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                s.store(true, Ordering::Relaxed);
                eprintln!("stopping after the current page (Ctrl-C again to quit now)");
                if tokio::signal::ctrl_c().await.is_ok() {
                    // Every page is stored in its own transaction: nothing is lost.
                    std::process::exit(130);
                }
            }
        });
        enrich::run_async(dir, &opts, &stop, &mut on_item).await
    })?;
    print_report(&report, json)?;
    Ok(match &report.stopped {
        None => ExitCode::SUCCESS,
        Some(Stop::Blocked { .. }) => ExitCode::from(EXIT_BLOCKED),
        Some(Stop::Interrupted) => ExitCode::from(130),
        Some(_) => ExitCode::FAILURE,
    })
}

fn print_report(r: &Report, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        let mut out = std::io::stdout().lock();
        if r.requested == 0 {
            writeln!(
                out,
                "nothing to read: every SECOP I record known here has its detail \
                 (use --older-than DAYS to refresh, --retry-failed for failures)"
            )?;
        } else {
            let mut t = Table::new(&[
                "pages",
                "enriched",
                "unchanged",
                "blocked",
                "not found",
                "failed",
            ]);
            for c in 0..6 {
                t = t.align_right(c);
            }
            t.row(vec![
                r.fetched.to_string(),
                r.enriched.to_string(),
                r.unchanged.to_string(),
                r.blocked.to_string(),
                r.not_found.to_string(),
                r.failed.to_string(),
            ]);
            t.write(&mut out, 40)?;
            writeln!(
                out,
                "queue: {} pending, {} done, {} blocked, {} failed",
                r.queue.pending, r.queue.done, r.queue.blocked, r.queue.failed
            )?;
        }
    }
    if r.unsaved > 0 {
        eprintln!(
            "secop: {} page(s) read could not be stored: another secop process held the index \
             to the end. They stay queued and are read again next time",
            r.unsaved
        );
    }
    if let Some(m) = r.message() {
        eprintln!("secop: {m}");
    }
    Ok(())
}

fn status(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let state = State::open(dir)?;
    queue::init(&state)?;
    queue::sync(&state)?;
    let c = queue::counts(&state)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        println!(
            "SECOP I detail pages: {} pending, {} done, {} blocked, {} failed",
            c.pending, c.done, c.blocked, c.failed
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost"));
        assert!(is_loopback("http://[::1]:9/"));
        assert!(!is_loopback("https://www.contratos.gov.co"));
        assert!(!is_loopback("http://10.0.0.1"));
        assert!(!is_loopback("nonsense"));
    }
}
