//! Damaged downloads: real rows of every format, cut, spliced and garbled at random, plain or
//! gzipped. Reading them never panics; every record is a row or a reason; an import keeps
//! going and accounts for every record (read + quarantined).
//!
//! Bounded for CI; `PROPTEST_CASES=5000 cargo test --release --test import_fuzz` runs longer.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::OnceLock;

use common::root;
use proptest::prelude::*;
use secop_bridge::ingest::files::{Silent, import_files};
use secop_bridge::ingest::prepare;
use secop_bridge::sources::reader;

/// The first bytes of a fixture (decompressed): a few dozen real rows, header included.
fn head(rel: &str, lines: usize) -> Vec<u8> {
    let raw = std::fs::read(root().join(rel)).unwrap();
    let mut text = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut text)
            .unwrap();
    } else {
        text = raw;
    }
    // JSON arrays are one line per element in the fixtures; keep the array closed.
    let cut: Vec<&[u8]> = text.split(|b| *b == b'\n').take(lines).collect();
    let mut out = cut.join(&b'\n');
    if out.first() == Some(&b'[') {
        while out
            .last()
            .is_some_and(|b| *b == b',' || b.is_ascii_whitespace())
        {
            out.pop();
        }
        out.extend_from_slice(b"\n]\n");
    } else {
        out.push(b'\n');
    }
    out
}

/// One sample of each format and dataset.
fn samples() -> &'static [Vec<u8>] {
    static S: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    S.get_or_init(|| {
        vec![
            head("fixtures/secop2/procesos.p6dx-8zbt.jsonl.gz", 30),
            head("fixtures/secop2/procesos-adjudicados.p6dx-8zbt.csv.gz", 30),
            head("fixtures/secop2/contratos.jbjy-vk9h.csv", 30),
            head("fixtures/secop2/web-export/contratos.VAUPES-MITU.csv", 30),
            head("fixtures/secop1/procesos.f789-7hwg.json.gz", 30),
        ]
    })
}

/// A change to a file's bytes.
#[derive(Debug, Clone)]
enum Damage {
    /// The file ends here (a download cut short).
    Truncate(usize),
    /// These bytes go in here.
    Insert(usize, Vec<u8>),
    /// A run of bytes goes away.
    Delete(usize, usize),
    /// A byte flips.
    Flip(usize, u8),
    /// A line appears twice.
    Repeat(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    let noise = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..8),
        // What breaks CSV and JSON.
        proptest::sample::select(vec![
            b"\"".to_vec(),
            b",".to_vec(),
            b"\n".to_vec(),
            b"\r\n".to_vec(),
            b"{".to_vec(),
            b"}".to_vec(),
            b"]".to_vec(),
            b"\\".to_vec(),
            b"\xef\xbb\xbf".to_vec(),
            b"\xff\xfe".to_vec(),
            "ñÍ\u{0}".as_bytes().to_vec(),
            b"9999999999999999999999999".to_vec(),
            b"-1".to_vec(),
            b"null".to_vec(),
        ]),
    ];
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), noise).prop_map(|(p, b)| Damage::Insert(p, b)),
        (any::<usize>(), 1..200usize).prop_map(|(p, n)| Damage::Delete(p, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Damage::Flip(p, b)),
        any::<usize>().prop_map(Damage::Repeat),
    ]
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let len = bytes.len().max(1);
        match d {
            Damage::Truncate(p) => bytes.truncate(p % len),
            Damage::Insert(p, b) => {
                let at = p % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Damage::Delete(p, n) => {
                let at = p % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Damage::Flip(p, b) => {
                if !bytes.is_empty() {
                    bytes[p % len] ^= b | 1;
                }
            }
            Damage::Repeat(p) => {
                let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
                let i = p % lines.len();
                let mut out = Vec::with_capacity(bytes.len() + lines[i].len() + 1);
                for (j, l) in lines.iter().enumerate() {
                    if j > 0 {
                        out.push(b'\n');
                    }
                    out.extend_from_slice(l);
                    if j == i {
                        out.push(b'\n');
                        out.extend_from_slice(l);
                    }
                }
                bytes = out;
            }
        }
    }
    bytes
}

fn write(dir: &Path, bytes: &[u8], gzip: bool) -> std::path::PathBuf {
    let path = dir.join(if gzip { "download.gz" } else { "download" });
    let mut f = std::fs::File::create(&path).unwrap();
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap();
    } else {
        f.write_all(bytes).unwrap();
    }
    path
}

proptest! {
    // ProptestConfig::default() reads PROPTEST_CASES (256 without it).
    #![proptest_config(ProptestConfig::default())]

    /// Reading and normalising: every record is a row (prepared or refused with a reason)
    /// or a malformed record with its reason; nothing panics.
    #[test]
    fn a_damaged_file_reads_as_rows_and_reasons(
        sample in 0..5usize,
        damages in proptest::collection::vec(damage(), 0..6),
        gzip in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = apply(samples()[sample].clone(), &damages);
        let path = write(dir.path(), &bytes, gzip);
        // An unreadable file is a clear error naming it, not a panic.
        let src = match reader::open(&path, None) {
            Ok(s) => s,
            Err(e) => {
                prop_assert!(e.to_string().contains("download"), "{e}");
                return Ok(());
            }
        };
        let ds = src.dataset;
        for rec in src {
            prop_assert!(rec.line >= 1);
            match rec.row {
                Ok(row) => {
                    if let Err(r) = prepare(ds, &row) {
                        prop_assert!(!r.reason.is_empty());
                    }
                }
                Err(reason) => prop_assert!(!reason.is_empty()),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: ProptestConfig::default().cases / 8,
        ..ProptestConfig::default()
    })]

    /// Importing: the import goes on through the damage, and every record is counted once,
    /// read or quarantined.
    #[test]
    fn a_damaged_file_imports_what_it_can(
        sample in 0..5usize,
        damages in proptest::collection::vec(damage(), 1..6),
        gzip in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = apply(samples()[sample].clone(), &damages);
        let path = write(dir.path(), &bytes, gzip);
        let seen = match reader::open(&path, None) {
            Ok(src) => src.count() as u64,
            Err(_) => 0,
        };
        let data = dir.path().join("data");
        let reports = import_files(&data, std::slice::from_ref(&path), None, &Silent)
            .expect("the import itself does not fail on a damaged file");
        let r = &reports[0];
        let counted = r.counts.read + r.counts.quarantined;
        match &r.error {
            // Nothing read: an unreadable file, or a header alone.
            Some(e) if counted == 0 => prop_assert_eq!(seen, 0, "{}", e),
            // Read up to a cut: counted, and the file is named as cut short.
            Some(e) => {
                prop_assert!(e.contains("ends early"), "{}", e);
                prop_assert_eq!(counted, seen);
            }
            None => prop_assert_eq!(counted, seen),
        }
    }
}

/// The damage above does reach the quarantine: a download cut in the middle of a row.
#[test]
fn a_download_cut_short_quarantines_its_last_row() {
    let dir = tempfile::tempdir().unwrap();
    let full = samples()[0].clone();
    let lines: Vec<usize> = full
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    // Nine whole rows, and half of the tenth.
    let cut = lines[8] + (lines[9] - lines[8]) / 2;
    let path = write(dir.path(), &apply(full, &[Damage::Truncate(cut)]), true);
    let reports = import_files(&dir.path().join("data"), &[path], None, &Silent).unwrap();
    assert_eq!(reports[0].counts.read, 9, "{:?}", reports[0]);
    assert_eq!(reports[0].counts.quarantined, 1, "{:?}", reports[0]);
}
