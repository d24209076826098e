//! Files people download from datos.gov.co, streamed as rows.
//!
//! Formats, plain or gzipped (detected by the gzip magic bytes, not the file name):
//! a SODA JSON array, JSON lines, CSV with API field names, and CSV as the web UI exports
//! it (display names, a leading unnamed index column, US dates, thousands commas). The
//! dataset is detected from the columns unless given. Memory stays flat in the file's size:
//! a JSON array is split into elements without parsing the whole array.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::datasets::{self, Dataset, map_column};
use super::row::{Header, Row};
use crate::{Error, Result};

/// The shape of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `[{…}, {…}]`, as the SODA API answers.
    JsonArray,
    /// One JSON object a line.
    JsonLines,
    /// Comma-separated values with a header line.
    Csv,
}

impl Format {
    /// A name for people.
    pub fn name(self) -> &'static str {
        match self {
            Format::JsonArray => "JSON array",
            Format::JsonLines => "JSON lines",
            Format::Csv => "CSV",
        }
    }
}

/// One record read from a file: a row, or the reason it could not be read.
#[derive(Debug)]
pub struct Record {
    /// 1-based line where the record starts.
    pub line: u64,
    /// The row, or why the record is malformed.
    pub row: std::result::Result<Row, String>,
    /// The record's text when it is malformed, kept for the quarantine.
    pub raw: Option<String>,
}

/// An open file: its format, dataset and records.
pub struct FileSource {
    /// The path.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// True when gzipped.
    pub gzip: bool,
    /// The dataset its rows belong to.
    pub dataset: &'static dyn Dataset,
    records: Box<dyn Iterator<Item = Record> + Send>,
    /// Bytes read so far from the file on disk (compressed size for gzip), for progress.
    pub progress: Arc<std::sync::atomic::AtomicU64>,
    /// The file's size on disk.
    pub size: u64,
}

impl Iterator for FileSource {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        self.records.next()
    }
}

/// Counts bytes read from the underlying file.
struct Counting<R> {
    inner: R,
    count: Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// The path that stands for standard input (`curl … | secop import -`).
pub const STDIN: &str = "-";

/// How standard input is named in reports, quarantine entries and errors.
pub const STDIN_NAME: &str = "standard input";

/// True when `path` stands for standard input ([`STDIN`]).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN
}

/// Opens a file (or standard input, [`STDIN`]), detects compression, format and dataset.
///
/// `dataset` overrides detection (`--dataset`). Errors name the file and say what to do.
pub fn open(path: &Path, dataset: Option<&'static dyn Dataset>) -> Result<FileSource> {
    // Standard input has no size: progress shows the bytes read.
    let (input, size, path): (Box<dyn Read + Send>, u64, &Path) = if is_stdin(path) {
        (Box::new(std::io::stdin()), 0, Path::new(STDIN_NAME))
    } else {
        let file = File::open(path).map_err(|e| Error::file(path, format!("cannot open: {e}")))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(file), size, path)
    };
    let progress = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counting = Counting {
        inner: input,
        count: progress.clone(),
    };
    let mut raw = BufReader::with_capacity(1 << 16, counting);
    let head = raw
        .fill_buf()
        .map_err(|e| Error::file(path, format!("cannot read: {e}")))?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead + Send> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let mut reader = reader;
    // Blank lines skipped before the data, so that line numbers stay the file's.
    let mut skipped_lines = 0u64;
    let first = loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| Error::file(path, format!("cannot read: {e}")))?;
        if buf.is_empty() {
            return Err(Error::file(path, "the file is empty"));
        }
        // Skip a UTF-8 byte order mark and leading whitespace.
        let skip = if buf.starts_with(&[0xef, 0xbb, 0xbf]) {
            3
        } else {
            buf.iter().take_while(|b| b.is_ascii_whitespace()).count()
        };
        if skip == 0 {
            break buf[0];
        }
        skipped_lines += buf[..skip].iter().filter(|b| **b == b'\n').count() as u64;
        reader.consume(skip);
    };
    let format = match first {
        b'[' => Format::JsonArray,
        b'{' => Format::JsonLines,
        _ => Format::Csv,
    };
    not_a_data_file(path, reader.fill_buf().unwrap_or_default(), format)?;
    let (dataset, records): (
        &'static dyn Dataset,
        Box<dyn Iterator<Item = Record> + Send>,
    ) = match format {
        Format::Csv => csv_records(path, reader, dataset)?,
        Format::JsonLines => json_records(path, Box::new(JsonLines::new(reader)), dataset)?,
        Format::JsonArray => json_records(path, Box::new(JsonArrayElements::new(reader)), dataset)?,
    };
    let records: Box<dyn Iterator<Item = Record> + Send> = if skipped_lines == 0 {
        records
    } else {
        Box::new(records.map(move |mut r| {
            r.line += skipped_lines;
            r
        }))
    };
    Ok(FileSource {
        path: path.to_path_buf(),
        format,
        gzip,
        dataset,
        records,
        progress,
        size,
    })
}

/// Says what a file is when it is text no reader here takes, from its first bytes: UTF-16
/// (a spreadsheet's "Unicode text"), binary, one JSON object spread over several lines,
/// or OCDS. Without this each got a misleading "unknown columns" or "no JSON object".
fn not_a_data_file(path: &Path, head: &[u8], format: Format) -> Result<()> {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(Error::file(
            path,
            "UTF-16 text: save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet) and import it again",
        ));
    }
    let sample = &head[..head.len().min(8192)];
    // NUL bytes, or control bytes in what is not UTF-8 (latin-1 text has none of those).
    let controls = sample.iter().filter(|b| **b < 0x09).count();
    if sample.contains(&0) || (std::str::from_utf8(sample).is_err() && controls > 8) {
        return Err(Error::file(
            path,
            "not a text file: give a CSV or JSON file (gzipped or not) of a datos.gov.co dataset",
        ));
    }
    let first_line = sample.split(|b| *b == b'\n').next().unwrap_or_default();
    if format == Format::JsonLines && first_line.trim_ascii() == b"{" {
        let text = String::from_utf8_lossy(sample);
        return Err(Error::file(
            path,
            if text.contains("\"ocid\"") || text.contains("\"releases\"") {
                "an OCDS release or package: secop-bridge reads the datos.gov.co datasets (SODA JSON, JSON lines, CSV), and writes OCDS with `secop export --format ocds`"
            } else {
                "one JSON object over several lines: give a JSON array of rows ([{…}, {…}]) or one object a line (JSON lines)"
            },
        ));
    }
    Ok(())
}

/// The dataset of a file's columns: the one asked for with `--dataset`, which must have
/// its key column there (else every row would be quarantined as "missing key"), or the
/// one the columns match.
fn dataset_of(
    path: &Path,
    asked: Option<&'static dyn Dataset>,
    columns: &[String],
) -> Result<&'static dyn Dataset> {
    let Some(ds) = asked else {
        return datasets::detect(columns).ok_or_else(|| unknown_format(path, columns));
    };
    let mapped: Vec<String> = columns.iter().map(|c| map_column(ds, c)).collect();
    match ds
        .signature()
        .iter()
        .find(|s| !mapped.iter().any(|m| m == *s))
    {
        None => Ok(ds),
        Some(missing) => Err(Error::file(
            path,
            format!(
                "--dataset {}: the file has no column {missing}, the key of that dataset{}",
                ds.id(),
                match datasets::detect(columns) {
                    Some(d) => format!(
                        "; its columns are those of {} ({}): leave --dataset out",
                        d.id(),
                        d.source_name()
                    ),
                    None => String::new(),
                }
            ),
        )),
    }
}

fn unknown_format(path: &Path, columns: &[String]) -> Error {
    let mut shown: Vec<&str> = columns.iter().map(String::as_str).take(6).collect();
    if columns.len() > 6 {
        shown.push("…");
    }
    let known: Vec<String> = datasets::ALL
        .iter()
        .map(|d| format!("{} ({})", d.id(), d.source_name()))
        .collect();
    Error::file(
        path,
        format!(
            "unknown format: the columns [{}] match no known dataset ({}); pass --dataset ID if you know it",
            shown.join(", "),
            known.join(", ")
        ),
    )
}

/// Columns that exports add and that mean nothing: pandas' index.
fn is_index_column(name: &str) -> bool {
    let n = name.trim().trim_start_matches('\u{feff}');
    n.is_empty() || n == "index" || n.starts_with("Unnamed: ")
}

fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        // Files saved by spreadsheets on Windows.
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn csv_records(
    path: &Path,
    reader: Box<dyn BufRead + Send>,
    dataset: Option<&'static dyn Dataset>,
) -> Result<(
    &'static dyn Dataset,
    Box<dyn Iterator<Item = Record> + Send>,
)> {
    let mut reader = reader;
    let delimiter = delimiter_of(reader.fill_buf().unwrap_or_default());
    // Records end at a line feed and a carriage return before it is cut off here: with
    // the csv crate's CRLF terminator, each record after a CRLF line says the line before
    // its own (the line feed is counted when the next record starts), so quarantined rows
    // of a Windows file were filed one line too early.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let mut header = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut header) {
        Ok(true) => strip_cr(&mut header),
        Ok(false) => return Err(Error::file(path, "the file is empty")),
        Err(e) => return Err(Error::file(path, format!("not readable as CSV: {e}"))),
    }
    let names: Vec<String> = header.iter().map(decode).collect();
    let ds = dataset_of(path, dataset, &names)?;
    let keep: Vec<usize> = (0..names.len())
        .filter(|&i| !is_index_column(&names[i]))
        .collect();
    let mapped: Vec<String> = keep.iter().map(|&i| map_column(ds, &names[i])).collect();
    let header = Arc::new(Header::new(mapped));
    let width = names.len();
    let all_kept = keep.len() == width;
    let mut rec = csv::ByteRecord::new();
    let iter = std::iter::from_fn(move || {
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => return None,
                Ok(true) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    strip_cr(&mut rec);
                    if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
                        continue; // a blank line
                    }
                    if rec.len() != width {
                        let raw = rec.iter().map(decode).collect::<Vec<_>>().join(",");
                        return Some(Record {
                            line,
                            row: Err(format!(
                                "wrong column count: expected {width}, found {}",
                                rec.len()
                            )),
                            raw: Some(raw),
                        });
                    }
                    let values = if all_kept && std::str::from_utf8(rec.as_slice()).is_ok() {
                        csv::StringRecord::from_byte_record(rec.clone()).expect("checked UTF-8")
                    } else {
                        let mut out =
                            csv::StringRecord::with_capacity(rec.as_slice().len(), keep.len());
                        for &i in &keep {
                            match std::str::from_utf8(&rec[i]) {
                                Ok(v) => out.push_field(v),
                                Err(_) => out.push_field(&decode(&rec[i])),
                            }
                        }
                        out
                    };
                    return Some(Record {
                        line,
                        row: Ok(Row::from_record(header.clone(), values)),
                        raw: None,
                    });
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    // An I/O error (a truncated gzip) ends the file: StopAfterIoError sees
                    // "I/O error" in the reason. A CSV error skips one record.
                    let reason = if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        format!("I/O error: {e}")
                    } else {
                        format!("malformed CSV: {e}")
                    };
                    return Some(Record {
                        line,
                        row: Err(reason),
                        raw: None,
                    });
                }
            }
        }
    });
    Ok((ds, Box::new(StopAfterIoError::new(iter))))
}

/// The field separator of a CSV file, from its header line: a comma, or the semicolon
/// that spreadsheets set to Spanish (Colombian) conventions write, or a tab. Column names
/// hold none of them, so the most frequent one separates.
fn delimiter_of(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| line.iter().filter(|b| **b == c).count();
    let (commas, semicolons, tabs) = (count(b','), count(b';'), count(b'\t'));
    if tabs > commas && tabs > semicolons {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// Cuts the carriage return of a CRLF line off the record's last field (records end at the
/// line feed, see [`csv_records`]); one inside a quoted field stays.
fn strip_cr(rec: &mut csv::ByteRecord) {
    let n = rec.len();
    if let Some(last) = rec.get(n.wrapping_sub(1))
        && let Some(kept) = last.strip_suffix(b"\r")
    {
        let kept = kept.to_vec();
        rec.truncate(n - 1);
        rec.push_field(&kept);
    }
}

/// Whether a record's error ends its file: an I/O error such as a truncated gzip, after
/// which nothing more can be read.
pub fn ends_the_file(reason: &str) -> bool {
    reason.contains("I/O error")
        || reason.contains("truncated")
        || reason.contains("unexpected end")
}

/// Stops an iterator after an I/O error so that a truncated file gives one error, not a
/// loop of them.
struct StopAfterIoError<I> {
    inner: I,
    done: bool,
}

impl<I> StopAfterIoError<I> {
    fn new(inner: I) -> Self {
        StopAfterIoError { inner, done: false }
    }
}

impl<I: Iterator<Item = Record>> Iterator for StopAfterIoError<I> {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        let r = self.inner.next()?;
        if let Err(msg) = &r.row
            && ends_the_file(msg)
        {
            self.done = true;
        }
        Some(r)
    }
}

/// A JSON text with the line it starts on, or the reason it could not be read.
type JsonItem = (u64, std::result::Result<String, String>);

/// One JSON object a line.
struct JsonLines<R> {
    r: R,
    line: u64,
}

impl<R: BufRead> JsonLines<R> {
    fn new(r: R) -> Self {
        JsonLines { r, line: 0 }
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = JsonItem;
    fn next(&mut self) -> Option<JsonItem> {
        loop {
            let mut buf = Vec::new();
            match self.r.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {
                    self.line += 1;
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some((self.line, Ok(decode(&buf))));
                }
                Err(e) => {
                    self.line += 1;
                    return Some((self.line, Err(format!("read error: {e}"))));
                }
            }
        }
    }
}

/// The elements of a top-level JSON array, split without parsing the whole array.
struct JsonArrayElements<R> {
    bytes: std::io::Bytes<R>,
    line: u64,
    started: bool,
    done: bool,
}

impl<R: BufRead> JsonArrayElements<R> {
    fn new(r: R) -> Self {
        JsonArrayElements {
            bytes: r.bytes(),
            line: 1,
            started: false,
            done: false,
        }
    }

    fn byte(&mut self) -> Option<std::io::Result<u8>> {
        let b = self.bytes.next();
        if let Some(Ok(b'\n')) = b {
            self.line += 1;
        }
        b
    }
}

impl<R: BufRead> Iterator for JsonArrayElements<R> {
    type Item = JsonItem;
    fn next(&mut self) -> Option<JsonItem> {
        if self.done {
            return None;
        }
        // Find the start of the next element.
        let first = loop {
            match self.byte() {
                None => {
                    self.done = true;
                    return if self.started {
                        Some((self.line, Err("truncated JSON array: no closing ]".into())))
                    } else {
                        None
                    };
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some((self.line, Err(format!("read error: {e}"))));
                }
                Some(Ok(b)) if b.is_ascii_whitespace() || b == b',' => continue,
                Some(Ok(b'[')) if !self.started => self.started = true,
                Some(Ok(b']')) if self.started => {
                    self.done = true;
                    return None;
                }
                Some(Ok(b)) => break b,
            }
        };
        let line = self.line;
        let mut buf = vec![first];
        let (mut depth, mut in_str, mut esc) = (0i32, false, false);
        match first {
            b'{' | b'[' => depth = 1,
            b'"' => in_str = true,
            _ => {}
        }
        loop {
            let b = match self.byte() {
                None => {
                    self.done = true;
                    return Some((
                        line,
                        Err("truncated JSON: the file ends inside an element".into()),
                    ));
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some((line, Err(format!("read error: {e}"))));
                }
                Some(Ok(b)) => b,
            };
            if in_str {
                buf.push(b);
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                    if depth == 0 {
                        return Some((line, Ok(decode(&buf))));
                    }
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => depth -= 1,
                b',' | b']' if depth == 0 => {
                    if b == b']' {
                        self.done = true;
                    }
                    return Some((line, Ok(decode(&buf))));
                }
                _ => {}
            }
            buf.push(b);
            if depth == 0 && (first == b'{' || first == b'[') {
                return Some((line, Ok(decode(&buf))));
            }
        }
    }
}

/// Turns a SODA JSON object into a row. Values: strings as they are, numbers and booleans
/// as text, `{"url": …}` as the URL, other nested values as JSON text, nulls left out.
pub fn row_from_json(v: &serde_json::Value) -> Option<Row> {
    let obj = v.as_object()?;
    Some(Row::from_pairs(
        obj.iter()
            .filter_map(|(k, v)| json_cell(v).map(|s| (k.clone(), s))),
    ))
}

/// The text of one SODA JSON value.
pub fn json_cell(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => match o.get("url") {
            Some(Value::String(u)) => Some(u.clone()),
            _ => Some(v.to_string()),
        },
        Value::Array(_) => Some(v.to_string()),
    }
}

/// Maps JSON keys to API names with a per-file cache, and shares one header between rows
/// with the same keys.
pub struct JsonRowBuilder {
    dataset: Option<&'static dyn Dataset>,
    names: HashMap<String, String>,
    last_keys: Vec<String>,
    last_header: Arc<Header>,
}

impl JsonRowBuilder {
    /// A builder for rows of a dataset (keys mapped to its API names), or of none.
    pub fn new(dataset: Option<&'static dyn Dataset>) -> Self {
        JsonRowBuilder {
            dataset,
            names: HashMap::new(),
            last_keys: Vec::new(),
            last_header: Arc::new(Header::default()),
        }
    }

    /// Builds a row from a parsed JSON object.
    pub fn row(&mut self, obj: &serde_json::Map<String, serde_json::Value>) -> Row {
        let mut keys = Vec::with_capacity(obj.len());
        let mut values = csv::StringRecord::with_capacity(1024, obj.len());
        for (k, v) in obj {
            match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => values.push_field(s),
                other => match json_cell(other) {
                    Some(s) => values.push_field(&s),
                    None => continue,
                },
            }
            keys.push(k.as_str());
        }
        let same = keys.len() == self.last_keys.len()
            && keys
                .iter()
                .zip(&self.last_keys)
                .all(|(a, b)| *a == b.as_str());
        if !same {
            let ds = self.dataset;
            let mapped: Vec<String> = keys
                .iter()
                .map(|k| {
                    self.names
                        .entry((*k).to_string())
                        .or_insert_with(|| {
                            ds.map_or_else(|| (*k).to_string(), |d| map_column(d, k))
                        })
                        .clone()
                })
                .collect();
            self.last_header = Arc::new(Header::new(mapped));
            self.last_keys = keys.iter().map(|k| (*k).to_string()).collect();
        }
        Row::from_record(self.last_header.clone(), values)
    }
}

fn json_records(
    path: &Path,
    mut items: Box<dyn Iterator<Item = JsonItem> + Send>,
    dataset: Option<&'static dyn Dataset>,
) -> Result<(
    &'static dyn Dataset,
    Box<dyn Iterator<Item = Record> + Send>,
)> {
    // Look ahead to the first object to detect the dataset; keep what was read.
    let mut ahead: Vec<JsonItem> = Vec::new();
    let ds = {
        loop {
            match items.next() {
                None => {
                    if ahead.is_empty() {
                        return Err(Error::file(path, "the file holds no rows"));
                    }
                    let reason = ahead
                        .iter()
                        .find_map(|(_, r)| r.as_ref().err().cloned())
                        .unwrap_or_else(|| "no JSON object".to_string());
                    return Err(Error::file(path, format!("no readable row: {reason}")));
                }
                Some(item) => {
                    let keys = item.1.as_ref().ok().and_then(|t| {
                        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(t).ok()
                    });
                    ahead.push(item);
                    if let Some(obj) = keys {
                        let cols: Vec<String> = obj.keys().cloned().collect();
                        break dataset_of(path, dataset, &cols)?;
                    }
                    if ahead.len() > 100 {
                        return Err(Error::file(path, "no JSON object in the first 100 records"));
                    }
                }
            }
        }
    };
    let mut builder = JsonRowBuilder::new(Some(ds));
    let iter = ahead
        .into_iter()
        .chain(items)
        .map(move |(line, item)| match item {
            Err(reason) => Record {
                line,
                row: Err(reason),
                raw: None,
            },
            Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(obj)) => Record {
                    line,
                    row: Ok(builder.row(&obj)),
                    raw: None,
                },
                Ok(_) => Record {
                    line,
                    row: Err("not a JSON object".into()),
                    raw: Some(cut(&text)),
                },
                Err(e) => Record {
                    line,
                    row: Err(format!("malformed JSON: {e}")),
                    raw: Some(cut(&text)),
                },
            },
        });
    Ok((ds, Box::new(iter)))
}

/// Keeps quarantined text to a readable size.
fn cut(s: &str) -> String {
    const MAX: usize = 8192;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(name: &str, content: &[u8], gz: bool) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        let mut f = File::create(&p).unwrap();
        if gz {
            let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
            e.write_all(content).unwrap();
            e.finish().unwrap();
        } else {
            f.write_all(content).unwrap();
        }
        (dir, p)
    }

    #[test]
    fn json_array_split_keeps_going_after_a_bad_element() {
        let text = br#"[
 {"id_del_proceso": "CO1.REQ.1", "nombre_del_procedimiento": "A, [b] \"c\""},
 {"id_del_proceso": "CO1.REQ.2", "nombre_del_procedimiento": tru},
 {"id_del_proceso": "CO1.REQ.3", "nombre_del_procedimiento": "C", "urlproceso": {"url": "https://x/y?noticeUID=CO1.NTC.5"}}
]"#;
        let (_d, p) = write("a.json", text, true);
        let src = open(&p, None).unwrap();
        assert_eq!(src.format, Format::JsonArray);
        assert!(src.gzip);
        assert_eq!(src.dataset.id(), "p6dx-8zbt");
        let recs: Vec<Record> = src.collect();
        assert_eq!(recs.len(), 3);
        assert_eq!(
            recs[0]
                .row
                .as_ref()
                .unwrap()
                .get("nombre_del_procedimiento"),
            Some("A, [b] \"c\"")
        );
        assert!(recs[1].row.is_err());
        assert_eq!(recs[1].line, 3);
        assert_eq!(
            recs[2].row.as_ref().unwrap().get("urlproceso"),
            Some("https://x/y?noticeUID=CO1.NTC.5")
        );
    }

    #[test]
    fn truncated_json_array_reports_once() {
        let (_d, p) = write(
            "t.json",
            br#"[{"id_contrato": "CO1.PCCNTR.1"}, {"id_contrato": "CO1.PC"#,
            false,
        );
        let recs: Vec<Record> = open(&p, None).unwrap().collect();
        assert_eq!(recs.len(), 2);
        assert!(recs[0].row.is_ok());
        assert!(recs[1].row.as_ref().unwrap_err().contains("truncated"));
    }

    #[test]
    fn web_export_csv_maps_display_names_and_drops_the_index() {
        let text = "\u{feff},Nombre Entidad,ID Contrato,Valor del Contrato\n7,\"MUNICIPIO, X\",CO1.PCCNTR.1,\"2,500,000\"\n8,Y,CO1.PCCNTR.2\n";
        let (_d, p) = write("w.csv", text.as_bytes(), false);
        let src = open(&p, None).unwrap();
        assert_eq!(src.dataset.id(), "jbjy-vk9h");
        let recs: Vec<Record> = src.collect();
        let r = recs[0].row.as_ref().unwrap();
        assert_eq!(r.get("nombre_entidad"), Some("MUNICIPIO, X"));
        assert_eq!(r.get("valor_del_contrato"), Some("2,500,000"));
        assert!(r.header().names().iter().all(|n| !n.is_empty()));
        assert_eq!(
            recs[1].row.as_ref().unwrap_err(),
            "wrong column count: expected 4, found 3"
        );
        assert_eq!(recs[1].line, 3);
    }

    #[test]
    fn crlf_and_mixed_line_endings_keep_the_file_line_numbers() {
        // The API's CSV downloads end their lines with CRLF; a file edited by hand mixes
        // both. Each quarantined row must name its own line.
        let text = "\n\nnombre_entidad,id_contrato,fecha_de_firma\r\nA,CO1.PCCNTR.1,\r\nSOLO,DOS\nB,,\r\n\r\nC,CO1.PCCNTR.3,\"x\"\r\n";
        let (_d, p) = write("crlf.csv", text.as_bytes(), false);
        let recs: Vec<Record> = open(&p, None).unwrap().collect();
        let lines: Vec<u64> = recs.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 5, 6, 8]);
        assert!(
            recs[1]
                .row
                .as_ref()
                .unwrap_err()
                .contains("wrong column count")
        );
        let row = recs[0].row.as_ref().unwrap();
        assert_eq!(row.get("fecha_de_firma").unwrap_or_default(), "");
        assert_eq!(
            recs[3].row.as_ref().unwrap().get("fecha_de_firma"),
            Some("x")
        );
    }

    #[test]
    fn semicolon_and_tab_separated_files_are_read() {
        // A spreadsheet set to Spanish conventions saves "CSV" with semicolons.
        for sep in [";", "\t"] {
            let text = format!(
                "nombre_entidad{sep}id_contrato{sep}valor_del_contrato\r\n\"ALCALDÍA; X\"{sep}CO1.PCCNTR.9{sep}1,5\r\n"
            );
            let (_d, p) = write("s.csv", text.as_bytes(), false);
            let src = open(&p, None).unwrap();
            assert_eq!(src.dataset.id(), "jbjy-vk9h");
            let recs: Vec<Record> = src.collect();
            let row = recs[0].row.as_ref().unwrap();
            assert_eq!(row.get("id_contrato"), Some("CO1.PCCNTR.9"));
            assert_eq!(row.get("nombre_entidad"), Some("ALCALDÍA; X"));
            assert_eq!(row.get("valor_del_contrato"), Some("1,5"));
        }
    }

    #[test]
    fn unknown_columns_name_the_file() {
        let (_d, p) = write("x.csv", b"foo,bar\n1,2\n", false);
        let e = open(&p, None).err().unwrap().to_string();
        assert!(e.contains("x.csv") && e.contains("unknown format"), "{e}");
        let e = open(Path::new("/nonexistent/file.csv"), None)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("/nonexistent/file.csv") && e.contains("cannot open"),
            "{e}"
        );
    }

    #[test]
    fn windows_1252_csv_is_decoded() {
        let mut bytes = b"numero_de_constancia,nombre_entidad\n11-1-1,ALCALD".to_vec();
        bytes.push(0xcd); // Í in windows-1252
        bytes.extend_from_slice(b"A\n");
        let (_d, p) = write("w.csv", &bytes, false);
        let recs: Vec<Record> = open(&p, None).unwrap().collect();
        assert_eq!(
            recs[0].row.as_ref().unwrap().get("nombre_entidad"),
            Some("ALCALDÍA")
        );
    }
}
