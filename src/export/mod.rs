//! Exports: every hit of a search streamed as CSV, NDJSON or an OCDS release package.
//!
//! [`Exporter`] writes one process at a time to any [`Write`], so the CLI (`secop export`)
//! and the HTTP endpoint (`/api/export`) share the format code and memory stays flat
//! whatever the number of hits: [`export`] drives it with [`Engine::for_each`].

pub mod csv;
pub mod ocds;

use std::io::Write;

use chrono::{DateTime, Utc};

use crate::model::Process;
use crate::query::{Engine, Search};
use crate::{Error, Result};

/// Why a search without hits gets no OCDS package: the release package schema asks for
/// at least one release (`"minItems": 1`). CSV and NDJSON exports of no hits are simply
/// empty.
pub const NO_OCDS_RELEASES: &str = "no process matches this search, and an OCDS release package needs at least one release; nothing was exported";

/// [`NO_OCDS_RELEASES`] in Spanish.
pub const NO_OCDS_RELEASES_ES: &str = "ningún proceso coincide con esta búsqueda, y un paquete OCDS necesita al menos una publicación; no se descargó nada";

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV, UTF-8 with a byte-order mark, one line per process, Spanish column names.
    Csv,
    /// One canonical record (the `Process` JSON) per line.
    Ndjson,
    /// An OCDS 1.1 release package, one release per process.
    Ocds,
}

impl Format {
    /// Every format.
    pub const ALL: &'static [Format] = &[Format::Csv, Format::Ndjson, Format::Ocds];

    /// Reads `csv`, `ndjson` (or `jsonl`) or `ocds`.
    pub fn parse(s: &str) -> Result<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "ndjson" | "jsonl" | "json-lines" => Ok(Format::Ndjson),
            "ocds" | "ocds-json" => Ok(Format::Ocds),
            other => Err(Error::invalid(
                format!("unknown export format {other:?}: use csv, ndjson or ocds"),
                format!("formato de descarga desconocido «{other}»: use csv, ndjson u ocds"),
            )),
        }
    }

    /// The name used in parameters.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Ocds => "ocds",
        }
    }

    /// The media type of the output.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
            Format::Ocds => "application/json",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Ocds => "ocds.json",
        }
    }
}

/// What an OCDS package says about itself.
#[derive(Debug, Clone)]
pub struct PackageInfo {
    /// The package's URI: the export URL that produces it.
    pub uri: String,
    /// When it was produced.
    pub published: DateTime<Utc>,
}

enum Inner<W: Write> {
    Csv(Box<::csv::Writer<W>>),
    Ndjson(W),
    Ocds { out: W, first: bool },
}

/// Writes processes one at a time in a format.
pub struct Exporter<W: Write> {
    inner: Inner<W>,
    written: u64,
}

impl<W: Write> Exporter<W> {
    /// Starts an export: writes the CSV header (after the BOM) or the OCDS package header.
    pub fn new(format: Format, mut out: W, info: &PackageInfo) -> Result<Exporter<W>> {
        let inner = match format {
            Format::Csv => Inner::Csv(Box::new(csv::writer(out)?)),
            Format::Ndjson => Inner::Ndjson(out),
            Format::Ocds => {
                ocds::write_package_start(&mut out, info)?;
                Inner::Ocds { out, first: true }
            }
        };
        Ok(Exporter { inner, written: 0 })
    }

    /// Writes one process.
    pub fn write(&mut self, p: &Process) -> Result<()> {
        match &mut self.inner {
            Inner::Csv(w) => csv::write_row(w, p)?,
            Inner::Ndjson(out) => {
                serde_json::to_writer(&mut *out, p)?;
                out.write_all(b"\n")?;
            }
            Inner::Ocds { out, first } => {
                if !*first {
                    out.write_all(b",")?;
                }
                *first = false;
                serde_json::to_writer(&mut *out, &ocds::release(p))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Processes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Ends the export (closes the OCDS package), flushes, and returns the writer.
    pub fn finish(self) -> Result<W> {
        let mut out = match self.inner {
            Inner::Csv(w) => w.into_inner().map_err(|e| Error::Io(e.into_error()))?,
            Inner::Ndjson(out) => out,
            Inner::Ocds { mut out, .. } => {
                out.write_all(b"]}\n")?;
                out
            }
        };
        out.flush()?;
        Ok(out)
    }
}

/// Streams every hit of a search to `out` in a format; returns the number written.
/// Page, sort and cursor are ignored: hits come in index order.
pub fn export<W: Write>(
    engine: &Engine,
    search: &Search,
    format: Format,
    info: &PackageInfo,
    out: W,
) -> Result<u64> {
    let mut ex = Exporter::new(format, out, info)?;
    engine.for_each(search, |p| ex.write(&p))?;
    let n = ex.written();
    ex.finish()?;
    Ok(n)
}
