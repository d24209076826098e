//! The command line: one module per command, and the error handling of the binary.

mod duplicates;
mod enrich;
mod export;
mod filters;
mod harvest;
mod import;
mod output;
mod search;
mod serve;
mod show;
mod stats;
mod top;
mod transition;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use output::{Table, format_cop, older_part};

/// secop-bridge: search SECOP I and SECOP II, Colombia's public-procurement platforms,
/// in one place.
#[derive(Debug, Parser)]
#[command(name = "secop", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Data directory: the index and the state database.
    #[arg(long, global = true, env = "SECOP_DATA_DIR", default_value = "./index")]
    pub data_dir: PathBuf,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load downloaded files: SODA JSON/JSONL, API-named CSV or web-export CSV, optionally gzipped.
    Import(import::Args),
    /// Harvest both platforms from the datos.gov.co SODA API: incremental and resumable.
    Harvest(harvest::Args),
    /// Fetch SECOP I detail pages for records that lack the detail, politely (one request
    /// every 2 s, robots.txt obeyed, stops at the portal's block pages).
    Enrich(enrich::Args),
    /// Search both platforms.
    Search(Box<search::Args>),
    /// Show one process, found by any identifier.
    Show(show::Args),
    /// Processes that look published on both platforms, or twice on one, with a score and
    /// the reasons.
    Duplicates(duplicates::Args),
    /// What the index holds: documents per platform and dataset, runs, quarantine.
    Stats(stats::Args),
    /// How far entities have moved from SECOP I to SECOP II, month by month.
    Transition(transition::Args),
    /// Who buys and who wins in a search: buyers or suppliers by value or processes.
    Top(Box<top::Args>),
    /// Stream every hit of a search as CSV, NDJSON or an OCDS release package.
    Export(Box<export::Args>),
    /// Serve the search API and the web page (indexes the bundled demo data on an empty data directory).
    Serve(serve::Args),
    /// Rebuild the index from the state database (after an upgrade).
    Reindex,
    /// Reclaim the row log's space taken by old versions of changed rows, and merge the
    /// index's small segments (faster searches).
    Compact(stats::CompactArgs),
}

/// Runs the binary: one clear line on error, exit code 1; a broken pipe exits 0.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("secop: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,tantivy=warn",
        _ => "debug,tantivy=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SECOP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.data_dir;
    match cli.command {
        Command::Import(a) => import::run(&dir, a),
        Command::Harvest(a) => harvest::run(&dir, a),
        Command::Enrich(a) => enrich::run(&dir, a),
        Command::Search(a) => search::run(&dir, *a),
        Command::Show(a) => show::run(&dir, a),
        Command::Duplicates(a) => duplicates::run(&dir, a),
        Command::Stats(a) => stats::run(&dir, a),
        Command::Transition(a) => transition::run(&dir, a),
        Command::Top(a) => top::run(&dir, *a),
        Command::Export(a) => export::run(&dir, *a),
        Command::Serve(a) => serve::run_cmd(&dir, a),
        Command::Reindex => stats::reindex(&dir),
        Command::Compact(a) => stats::compact(&dir, a),
    }
}
