//! `secop serve`

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::http::{AppState, Config, run, shutdown_signal};
use crate::index::SecopIndex;
use crate::ingest::files::Silent;
use crate::query::Engine;
use crate::state::State;

/// Serve the search API and the web page.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on. Loopback by default; give 0.0.0.0:8080 to serve a network.
    #[arg(long, default_value = "127.0.0.1:8080", env = "SECOP_ADDR")]
    pub addr: SocketAddr,
    /// Searches that may run at once (default: twice the cores).
    #[arg(long)]
    pub max_concurrent: Option<usize>,
    /// Searches that may wait before new ones get 503.
    #[arg(long, default_value_t = 256)]
    pub max_queued: usize,
    /// Request time limit, seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// The public base URL of the server (`https://secop.example.org`), for the links in
    /// feeds and exports. Default: `http://` and the address it listens on.
    #[arg(long, env = "SECOP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Exports that may stream at once.
    #[arg(long, default_value_t = 2)]
    pub max_exports: usize,
    /// MiB of search answers kept for repeated searches (0 turns the cache off).
    #[arg(long, default_value_t = 64)]
    pub cache_mb: usize,
    /// Do not index the bundled demo data when the data directory is empty.
    #[arg(long)]
    pub no_demo: bool,
}

/// True when nothing was ever imported or harvested into the data directory.
fn is_empty(dir: &Path) -> anyhow::Result<bool> {
    let index = SecopIndex::open(dir)?;
    if index.num_docs() > 0 {
        return Ok(false);
    }
    let state = State::open(dir)?;
    Ok(state.rows_per_dataset()?.is_empty())
}

/// Makes the index match the state before serving, since `serve` is the command people
/// run: an index built by another version of secop is rebuilt from the state (what
/// `secop reindex` does), and one that missed the last writes of an interrupted import or
/// rebuild is brought up to date. A writer busy elsewhere catches up by itself.
fn bring_up_to_date(dir: &Path) -> anyhow::Result<()> {
    let index = match SecopIndex::open(dir) {
        Err(crate::Error::IndexVersion(_)) => {
            eprintln!(
                "{}: the index was built by another version of secop; rebuilding it from the state database…",
                dir.display()
            );
            super::stats::rebuild_index(dir)?;
            return Ok(());
        }
        r => r?,
    };
    let state = State::open(dir)?;
    if state.rules()? < crate::normalize::RULES {
        eprintln!(
            "{}: the stored rows were normalised by an older version of secop; rebuilding the index with this version's rules…",
            dir.display()
        );
        drop(index);
        drop(state);
        match super::stats::rebuild_index(dir) {
            Ok(_) => return Ok(()),
            // Another process is writing: serve as it is; a later start rebuilds.
            Err(e)
                if e.downcast_ref::<crate::Error>()
                    .is_some_and(|e| matches!(e, crate::Error::Busy(_))) =>
            {
                eprintln!(
                    "another secop is writing to {}: the rebuild waits for the next start",
                    dir.display()
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    match crate::ingest::catch_up(&state, &index) {
        Ok(true) => eprintln!(
            "the index had missed the last writes of an interrupted run: brought up to date"
        ),
        Ok(false) | Err(crate::Error::Busy(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Runs the command.
pub fn run_cmd(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    bring_up_to_date(dir)?;
    if !a.no_demo && is_empty(dir)? {
        eprintln!(
            "{} is empty: indexing the bundled demo data (real SECOP I and SECOP II rows)…",
            dir.display()
        );
        let reports = crate::demo::import(dir, &Silent)?;
        let rows: u64 = reports.iter().map(|r| r.counts.read).sum();
        eprintln!("indexed {rows} rows from {} files", reports.len());
    }
    let index = SecopIndex::open(dir)?;
    index.reader.reload()?;
    let docs = index.num_docs();
    let mut config = Config::new(dir.to_path_buf());
    if let Some(n) = a.max_concurrent {
        config.max_concurrent = n.max(1);
    }
    config.max_queued = a.max_queued;
    config.request_timeout = std::time::Duration::from_secs(a.timeout.max(1));
    config.max_exports = a.max_exports.max(1);
    config.cache_bytes = a.cache_mb.saturating_mul(1 << 20);
    if let Some(u) = &a.public_url {
        let parsed = url::Url::parse(u)
            .ok()
            .filter(|x| matches!(x.scheme(), "http" | "https") && x.host().is_some())
            .with_context(|| {
                format!(
                    "--public-url {u:?} is not an http(s) URL such as https://secop.example.org"
                )
            })?;
        config.public_url = Some(parsed.as_str().trim_end_matches('/').to_string());
    }
    let state = AppState::new(Engine::new(index), config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("cannot listen on {}", a.addr))?;
        let local = listener.local_addr()?;
        eprintln!("serving {docs} processes on http://{local}/ (API: http://{local}/api/search?q=…, Ctrl-C to stop)");
        run(listener, state, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
