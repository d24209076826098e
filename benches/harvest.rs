//! Harvest benchmark: the real `secop harvest` binary against the mock SODA API on loopback,
//! serving a million SECOP II process rows made from the real fixture rows (identifiers
//! and dates varied). Measures end-to-end rows per second (HTTP, JSON, normalisation,
//! SQLite upsert, tantivy indexing) and the harvester's peak RSS (VmHWM), at two sizes to
//! show that memory stays flat in the number of rows.
//!
//! ```text
//! cargo bench --bench harvest                      # 1,000,000 and 250,000 rows, 1 run each
//! BENCH_ROWS=2000000 BENCH_RUNS=3 cargo bench --bench harvest
//! ```
//!
//! Knobs (environment): `BENCH_ROWS` (default 1000000), `BENCH_RUNS` (runs per size,
//! default 1; the median is reported), `BENCH_PAGE_SIZE` (default 5000),
//! `BENCH_CONCURRENCY` (default 2), `BENCH_DIR` (where the data directories go, default a
//! temporary directory), `BENCH_SERVE=1` (only start the mock and print its URL, to profile
//! the harvester by hand).

#[path = "../tests/support/soda_mock.rs"]
mod soda_mock;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use soda_mock::{GenTable, Mock, MockDataset, p6dx_rows};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The fixture rows with holes for the row's number and event date.
fn templates(root: &Path) -> Vec<serde_json::Map<String, Value>> {
    let n = GenTable::number();
    let d = GenTable::date_mark();
    p6dx_rows(root)
        .into_iter()
        .map(|mut r| {
            r.insert("id_del_proceso".into(), Value::String(format!("CO1.REQ.{n}")));
            r.insert(
                "id_del_portafolio".into(),
                Value::String(format!("CO1.BDOS.{n}")),
            );
            r.insert(
                "urlproceso".into(),
                serde_json::json!({"url": format!("https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID=CO1.NTC.{n}")}),
            );
            r.insert("fecha_de_publicacion_del".into(), Value::String(d.to_string()));
            r
        })
        .collect()
}

struct Outcome {
    rows: u64,
    seconds: f64,
    peak_rss_kb: u64,
    /// Peak anonymous memory (RssAnon; VmHWM also counts mapped index files).
    peak_anon_kb: u64,
    /// CPU seconds (user + system) of the harvester, last seen before it exited.
    cpu_seconds: f64,
    report: Value,
}

/// User + system CPU seconds of a process (from /proc/PID/stat, in clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// The mock serving `rows` generated rows.
fn start_mock(rows: usize) -> Mock {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let start = chrono::NaiveDate::from_ymd_opt(2016, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let table = GenTable::new(
        templates(&root),
        rows,
        start,
        chrono::Duration::days(3650),
        1_000_000_000,
    )
    .with_fields(
        secop_bridge::sources::datasets::by_name("secop2-procesos")
            .expect("the dataset")
            .columns()
            .iter()
            .map(|(api, _)| *api),
    );
    let mock = Mock::start(vec![MockDataset::new(
        "p6dx-8zbt",
        "fecha_de_publicacion_del",
        Box::new(table),
    )]);
    mock.shared
        .keep_log
        .store(false, std::sync::atomic::Ordering::Relaxed);
    mock
}

fn run_once(base: &Path, rows: usize, page_size: u64, concurrency: u64) -> Outcome {
    let mock = start_mock(rows);
    let dir = tempfile::tempdir_in(base).expect("temp dir");
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_secop"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "harvest",
            "--source",
            "secop2-procesos",
            "--base-url",
            &mock.url(),
        ])
        .args(["--page-size", &page_size.to_string()])
        .args(["--concurrency", &concurrency.to_string()])
        .args(["--rate", "0", "--json"])
        .env_remove("SECOP_APP_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run secop");
    let pid = child.id();
    let mut peak = 0;
    let mut cpu = 0.0f64;
    let mut anon = 0;
    let status = loop {
        if let Some(kb) = status_kb(pid, "VmHWM:") {
            peak = peak.max(kb);
        }
        if let Some(kb) = status_kb(pid, "RssAnon:") {
            anon = anon.max(kb);
        }
        if let Some(c) = cpu_seconds(pid) {
            cpu = cpu.max(c);
        }
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let seconds = t.elapsed().as_secs_f64();
    let mut out = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read report");
    assert!(status.success(), "secop harvest failed: {out}");
    let report: Value = serde_json::from_str(&out).expect("JSON report");
    let fetched = report["sources"][0]["fetched"].as_u64().unwrap_or(0);
    assert_eq!(fetched, rows as u64, "every row harvested");
    Outcome {
        rows: fetched,
        seconds,
        peak_rss_kb: peak,
        peak_anon_kb: anon,
        cpu_seconds: cpu,
        report,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let rows = env_num("BENCH_ROWS", 1_000_000) as usize;
    let runs = env_num("BENCH_RUNS", 1).max(1);
    let page = env_num("BENCH_PAGE_SIZE", 5000);
    let conc = env_num("BENCH_CONCURRENCY", 2);
    let base = std::env::var("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    if std::env::var_os("BENCH_SERVE").is_some() {
        // Only serve, for profiling the harvester by hand.
        let mock = start_mock(rows);
        println!("serving {rows} rows of p6dx-8zbt at {}", mock.url());
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "harvest benchmark: {cores} cores, page size {page}, concurrency {conc}, {runs} run(s) per size"
    );
    println!(
        "| rows | seconds | rows/s | harvester CPU s | rows per CPU s | peak RSS, VmHWM (MB) | peak RssAnon (MB) | requests |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in [rows, rows / 4] {
        let mut rates = Vec::new();
        let mut rss = Vec::new();
        let mut secs = Vec::new();
        let mut requests = 0;
        let mut cpu = Vec::new();
        let mut anon = Vec::new();
        for _ in 0..runs {
            let o = run_once(&base, n, page, conc);
            rates.push(o.rows as f64 / o.seconds);
            cpu.push(o.cpu_seconds);
            anon.push(o.peak_anon_kb as f64 / 1024.0);
            rss.push(o.peak_rss_kb as f64 / 1024.0);
            secs.push(o.seconds);
            requests = o.report["requests"].as_u64().unwrap_or(0);
        }
        let cpu = median(cpu);
        println!(
            "| {n} | {:.1} | {:.0} | {cpu:.1} | {:.0} | {:.0} | {:.0} | {requests} |",
            median(secs),
            median(rates),
            n as f64 / cpu.max(0.001),
            median(rss),
            median(anon)
        );
    }
}
