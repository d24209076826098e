//! `secop import FILE…`

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Table, older_part};
use crate::ingest::Counts;
use crate::ingest::files::{FileReport, Progress, Silent, import_files};
use crate::sources::datasets;

/// Load downloaded files into the index.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to load: SODA JSON arrays, JSON lines, API-named CSV or web-export CSV, plain or
    /// gzipped. A directory stands for the data files in it, at any depth (names ending in
    /// .json, .jsonl, .ndjson or .csv, gzipped or not; hidden ones left out), in name order.
    /// `-` reads standard input (`curl … | secop import -`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The dataset of the files (p6dx-8zbt, jbjy-vk9h, f789-7hwg, qddk-cgux or a source
    /// name such as secop2-procesos); detected from the columns when left out.
    #[arg(long)]
    pub dataset: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Each file as given, and each directory as the data files in it ([`is_data_file`], at
/// any depth, hidden ones left out, in name order). A directory without any stays as it
/// is, and the import reports it.
fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        if !p.is_dir() || crate::sources::reader::is_stdin(p) {
            out.push(p.clone());
            continue;
        }
        let walk = walkdir::WalkDir::new(p)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        let before = out.len();
        for e in walk {
            match e {
                Ok(e) if e.file_type().is_file() && is_data_file(e.path()) => {
                    out.push(e.into_path());
                }
                Ok(_) => {}
                Err(e) => eprintln!("secop: {e}"),
            }
        }
        if out.len() == before {
            out.push(p.clone());
        }
    }
    out
}

/// True for a name that a data file of datos.gov.co has: `.json`, `.jsonl`, `.ndjson` or
/// `.csv`, gzipped (`.gz`) or not, in any case.
fn is_data_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".json", ".jsonl", ".ndjson", ".csv"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

struct Bar(ProgressBar);

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {prefix} {bytes_per_sec} ETA {eta}",
    )
    .expect("valid template")
    .progress_chars("=> ")
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} {bytes} {prefix} {bytes_per_sec}")
        .expect("valid template")
}

impl Progress for Bar {
    fn start(&self, path: &Path, size: u64) {
        self.0.reset();
        // Standard input has no size: no bar or ETA, the bytes read and the rate.
        self.0.set_style(if size == 0 {
            spinner_style()
        } else {
            bar_style()
        });
        self.0.set_length(size);
        self.0.set_message(
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        );
    }
    fn advance(&self, bytes: u64, c: &Counts) {
        self.0.set_position(bytes);
        self.0
            .set_prefix(format!("{} rows", c.read + c.quarantined));
    }
    fn finish(&self, r: &FileReport) {
        self.0.println(match &r.error {
            Some(e) if r.counts.read + r.counts.quarantined == 0 => format!("✗ {e}"),
            Some(e) => format!("⚠ {e}"),
            None => format!(
                "✓ {}: {} rows ({} new, {} changed, {} unchanged, {}{} quarantined)",
                r.path.display(),
                r.counts.read + r.counts.quarantined,
                r.counts.new,
                r.counts.changed,
                r.counts.unchanged,
                older_part(r.counts.older),
                r.counts.quarantined
            ),
        });
    }
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let dataset = match &a.dataset {
        Some(d) => Some(datasets::by_name(d).with_context(|| {
            let known: Vec<&str> = datasets::ALL.iter().map(|d| d.id()).collect();
            format!("unknown dataset {d:?}; known: {}", known.join(", "))
        })?),
        None => None,
    };
    let bar = (std::io::stderr().is_terminal() && !a.json).then(|| Bar(ProgressBar::new(0)));
    let progress: &dyn Progress = match &bar {
        Some(b) => b,
        None => &Silent,
    };
    let reports = import_files(dir, &expand(&a.files), dataset, progress)?;
    if let Some(b) = &bar {
        b.0.finish_and_clear();
    }
    let mut total = Counts::default();
    for r in &reports {
        total.add(&r.counts);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"files": reports, "total": total}))?
        );
    } else {
        let mut t = Table::new(&[
            "file",
            "dataset",
            "rows",
            "new",
            "changed",
            "unchanged",
            "older",
            "quarantined",
        ]);
        for c in 2..8 {
            t = t.align_right(c);
        }
        for r in &reports {
            t.row(vec![
                r.path.display().to_string(),
                r.dataset.clone().unwrap_or_else(|| "-".into()),
                (r.counts.read + r.counts.quarantined).to_string(),
                r.counts.new.to_string(),
                r.counts.changed.to_string(),
                r.counts.unchanged.to_string(),
                r.counts.older.to_string(),
                r.counts.quarantined.to_string(),
            ]);
        }
        t.write(&mut std::io::stdout().lock(), 70)?;
        for r in &reports {
            if let Some(e) = &r.error {
                eprintln!("secop: {e}");
            }
        }
        if total.quarantined > 0 {
            eprintln!(
                "{} quarantined with the reason: see `secop stats --quarantine`",
                super::output::count(total.quarantined as usize, "row")
            );
        }
        if total.older > 0 {
            eprintln!(
                "{} kept out: the last-update date is older than the version already stored (an older download?)",
                super::output::count(total.older as usize, "row")
            );
        }
        super::stats::compact_hint(dir);
    }
    for r in &reports {
        if r.error.is_some() && a.json {
            eprintln!("secop: {}", r.error.as_deref().unwrap_or(""));
        }
    }
    // Non-zero only when nothing at all could be read.
    let nothing = total.read == 0
        && reports
            .iter()
            .all(|r| r.error.is_some() || r.counts.read == 0);
    Ok(if nothing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
