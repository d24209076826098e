//! Importing files: a reader thread parses and normalises, the calling thread writes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::sync_channel;

use super::{Counts, Ingestor, Prepared, Rejected, prepare};
use crate::index::SecopIndex;
use crate::sources::datasets::Dataset;
use crate::sources::reader;
use crate::state::State;
use crate::{Error, Result};

/// Rows per batch (one SQLite transaction).
pub const BATCH: usize = 10_000;

/// What importing one file did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Detected dataset, when the file could be opened.
    pub dataset: Option<String>,
    /// Detected format.
    pub format: Option<String>,
    /// Counts.
    pub counts: Counts,
    /// Why the file could not be read (it was skipped), or why it stopped early.
    pub error: Option<String>,
}

/// Progress callbacks for a person watching (a progress bar) or nobody.
pub trait Progress {
    /// A file starts; `size` is its size on disk.
    fn start(&self, path: &Path, size: u64);
    /// Bytes of the current file read so far, and counts so far.
    fn advance(&self, bytes: u64, counts: &Counts);
    /// The file is done.
    fn finish(&self, report: &FileReport);
}

/// No progress output.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &Path, _: u64) {}
    fn advance(&self, _: u64, _: &Counts) {}
    fn finish(&self, _: &FileReport) {}
}

/// Imports files one after the other. A file that cannot be opened is reported and
/// skipped; malformed rows are quarantined and the rest goes on.
pub fn import_files(
    data_dir: &Path,
    paths: &[PathBuf],
    dataset: Option<&'static dyn Dataset>,
    progress: &dyn Progress,
) -> Result<Vec<FileReport>> {
    let state = State::open(data_dir)?;
    let index = SecopIndex::open(data_dir)?;
    let args = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let mut ing = Ingestor::new(&state, &index, "import", &args)?;
    let mut reports = Vec::new();
    for path in paths {
        // `secop import` expands directories; one left here held no data file.
        let result = if path.is_dir() && !reader::is_stdin(path) {
            Err(Error::file(
                path,
                "a directory without data files (.json, .jsonl, .ndjson or .csv, gzipped or not)",
            ))
        } else {
            import_one(&mut ing, path, dataset, progress)
        };
        let report = match result {
            Ok(r) => r,
            Err(e @ (Error::Sqlite(_) | Error::Index(_) | Error::Io(_) | Error::Busy(_))) => {
                // The state or the index failed: stop, keep what was committed.
                let _ = ing.fail(&e.to_string());
                return Err(e);
            }
            Err(e) => FileReport {
                path: path.clone(),
                dataset: None,
                format: None,
                counts: Counts::default(),
                error: Some(e.to_string()),
            },
        };
        progress.finish(&report);
        reports.push(report);
    }
    let files: Vec<_> = reports
        .iter()
        .map(|r| serde_json::json!({"path": r.path, "dataset": r.dataset, "error": r.error}))
        .collect();
    ing.finish("ok", serde_json::json!({ "files": files }))?;
    Ok(reports)
}

fn import_one(
    ing: &mut Ingestor<'_>,
    path: &Path,
    dataset: Option<&'static dyn Dataset>,
    progress: &dyn Progress,
) -> Result<FileReport> {
    let src = reader::open(path, dataset)?;
    // The name the reader gives it (standard input has none).
    let path = &src.path.clone();
    let ds = src.dataset;
    let format = src.format;
    let bytes = src.progress.clone();
    progress.start(path, src.size);
    let source: Arc<str> = Arc::from(path.display().to_string());
    let (tx, rx) = sync_channel::<Vec<Prepared>>(1);
    let reader_source = source.clone();
    // Parsing and normalising run on their own thread; writing stays here.
    let handle = std::thread::Builder::new()
        .name("secop-reader".into())
        .spawn(move || -> Option<(u64, String)> {
            let mut batch = Vec::with_capacity(BATCH);
            // Where and why the file ended early, if it did (a truncated download): the
            // last line read before the cut (a gzip error knows no line of its own).
            let mut cut = None;
            let mut last_line = 0;
            for rec in src {
                let item = match rec.row {
                    Ok(row) => prepare(ds, &row),
                    Err(reason) => {
                        if reader::ends_the_file(&reason) {
                            cut = Some((rec.line.max(last_line), reason.clone()));
                        }
                        Err(Rejected {
                            dataset: Some(ds.id()),
                            reason,
                            raw: rec.raw,
                        })
                    }
                };
                last_line = last_line.max(rec.line);
                batch.push(Prepared {
                    source: reader_source.clone(),
                    line: Some(rec.line),
                    item,
                });
                // A full-size buffer each time: growing one by doubling copies it and
                // faults in fresh pages again and again.
                if batch.len() >= BATCH
                    && tx
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    return cut;
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            cut
        })
        .map_err(Error::Io)?;
    let mut counts = Counts::default();
    for batch in rx {
        let c = ing.apply(batch)?;
        counts.add(&c);
        progress.advance(bytes.load(Ordering::Relaxed), &counts);
    }
    let cut = handle
        .join()
        .map_err(|_| Error::Other(format!("{}: the reader thread panicked", path.display())))?;
    let error = match cut {
        // The rows before the cut are imported; the rest of the file is lost to the
        // download, not to us: say so, so that nobody takes a part for the whole.
        Some((line, reason)) => Some(format!(
            "{}: the file ends early, after line {line} ({reason}): {} before it {} imported; it looks cut short, download it again",
            path.display(),
            match counts.read {
                1 => "the row".to_string(),
                n => format!("the {n} rows"),
            },
            if counts.read == 1 { "is" } else { "are" }
        )),
        None if counts.read + counts.quarantined == 0 => {
            Some(format!("{}: no rows after the header row", path.display()))
        }
        None => None,
    };
    Ok(FileReport {
        path: path.to_path_buf(),
        dataset: Some(ds.id().to_string()),
        format: Some(format.name().to_string()),
        counts,
        error,
    })
}
