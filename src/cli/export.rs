//! `secop export QUERY --format csv|ndjson|ocds`

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::filters::FilterArgs;
use crate::export::{Format, PackageInfo, export};
use crate::index::SecopIndex;
use crate::query::Engine;

/// Stream every hit of a search as CSV, NDJSON or an OCDS release package.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words, "a phrase", -excluded, or any identifier; empty for everything.
    #[arg(default_value = "")]
    pub query: String,
    /// Output format: csv (UTF-8 with BOM, for spreadsheets), ndjson (one record a line) or
    /// ocds (an OCDS 1.1 release package).
    #[arg(long, short, default_value = "csv", value_parser = parse_format)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// The URI an OCDS package names itself with (default: a URN built from the query).
    #[arg(long)]
    pub package_uri: Option<String>,
    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).map_err(|e| e.to_string())
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let params = a.filters.params(&a.query);
    let search = params.validate().map_err(super::filters::in_flags)?;
    let engine = Engine::new(SecopIndex::open(dir)?);
    let (total, warnings) = engine.count(&search)?;
    for w in &warnings {
        eprintln!("secop: {w}");
    }
    if a.format == Format::Ocds && total == 0 {
        anyhow::bail!(crate::export::NO_OCDS_RELEASES);
    }
    let qs = serde_urlencoded::to_string(&params).unwrap_or_default();
    let info = PackageInfo {
        uri: a.package_uri.clone().unwrap_or_else(|| {
            format!(
                "urn:secop-bridge:export:{}",
                qs.replace(['%', '+', '&', '='], "_")
            )
        }),
        published: chrono::Utc::now(),
    };
    let t0 = std::time::Instant::now();
    let n = match &a.output {
        Some(path) => {
            let f = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let n = export(&engine, &search, a.format, &info, BufWriter::new(f))
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "exported {n} processes to {} ({:.1} s)",
                path.display(),
                t0.elapsed().as_secs_f64()
            );
            n
        }
        None => {
            let out = BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
            match export(&engine, &search, a.format, &info, out) {
                Ok(n) => n,
                // `secop export … | head`: the reader has what it wanted.
                Err(crate::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if n == 0 {
        eprintln!("secop: no process matches; the export is empty");
    }
    Ok(ExitCode::SUCCESS)
}
