//! Shared pieces of the benchmarks: the scaled-up corpus, peak RSS, percentiles, and the
//! BENCHMARKS.md sections.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where benchmarks keep generated data (git-ignored).
pub fn bench_dir() -> PathBuf {
    let d = root().join("bench-data");
    std::fs::create_dir_all(&d).expect("create bench-data");
    d
}

/// The real 247k-row web export the benchmarks start from.
pub fn bench_source() -> PathBuf {
    let p = root().join("../shared/corpus/bench/contratos.web-export.247k.csv.gz");
    assert!(
        p.exists(),
        "{} not found: the benchmarks need ../shared/corpus/bench",
        p.display()
    );
    p
}

/// The `secop` binary built in release mode next to the benchmark.
pub fn secop_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("bench executable");
    // target/release/deps/core-xxxx → target/release/secop
    let release = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = release.join("secop");
    if !bin.exists() {
        let st = Command::new("cargo")
            .args(["build", "--release", "--bin", "secop"])
            .current_dir(root())
            .status()
            .expect("cargo build");
        assert!(st.success());
    }
    bin
}

/// Writes the scaled-up corpus: the 247k real rows, `copies` times, each copy with its own
/// identifiers (contract, process, notice, reference), dates moved back a year per copy and
/// values nudged, so that every copy makes distinct processes. Text fields are the real
/// ones. Returns the path and the number of rows. Reuses the file when it exists.
pub fn scaled_corpus(copies: usize) -> (PathBuf, usize) {
    let out = bench_dir().join(format!("corpus-x{copies}.csv.gz"));
    let count_file = out.with_extension("rows");
    if out.exists() && count_file.exists() {
        let n = std::fs::read_to_string(&count_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        return (out, n);
    }
    eprintln!(
        "generating {} ({} copies of the 247k real rows)…",
        out.display(),
        copies
    );
    let src = flate2::read::MultiGzDecoder::new(std::fs::File::open(bench_source()).unwrap());
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::new(src));
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (c_id, c_proc, c_url, c_ref, c_val) = (
        col("ID Contrato"),
        col("Proceso de Compra"),
        col("URLProceso"),
        col("Referencia del Contrato"),
        col("Valor del Contrato"),
    );
    let date_cols: Vec<usize> = [
        "Fecha de Firma",
        "Fecha de Inicio del Contrato",
        "Fecha de Fin del Contrato",
    ]
    .iter()
    .map(|n| col(n))
    .collect();
    let records: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let file = std::fs::File::create(&out).unwrap();
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut w = csv::Writer::from_writer(gz);
    w.write_record(&headers).unwrap();
    let bump = |s: &str, prefix: &str, k: usize| -> String {
        match s.find(prefix) {
            Some(i) => {
                let start = i + prefix.len();
                let digits: String = s[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                if digits.is_empty() {
                    return s.to_string();
                }
                let n: u64 = digits.parse().unwrap_or(0) + (k as u64) * 100_000_000;
                format!("{}{}{}", &s[..start], n, &s[start + digits.len()..])
            }
            None => s.to_string(),
        }
    };
    let mut n = 0usize;
    for k in 0..copies {
        for r in &records {
            let mut f: Vec<String> = r.iter().map(str::to_string).collect();
            if k > 0 {
                f[c_id] = bump(&f[c_id], "CO1.PCCNTR.", k);
                f[c_proc] = bump(&f[c_proc], "CO1.BDOS.", k);
                f[c_url] = bump(&f[c_url], "CO1.NTC.", k);
                f[c_ref] = format!("{}-{k}", f[c_ref]);
                for &c in &date_cols {
                    // MM/DD/YYYY: one year back per copy.
                    if f[c].len() >= 10 && f[c].as_bytes()[2] == b'/' {
                        if let Ok(y) = f[c][6..10].parse::<i32>() {
                            f[c] = format!("{}{}{}", &f[c][..6], y - k as i32, &f[c][10..]);
                        }
                    }
                }
                if let Ok(v) = f[c_val].replace(',', "").parse::<f64>() {
                    f[c_val] = format!("{}", (v * (1.0 + 0.013 * k as f64)).round() as i64);
                }
            }
            if f.len() == headers.len() {
                w.write_record(&f).unwrap();
                n += 1;
            }
        }
    }
    w.into_inner().unwrap().finish().unwrap();
    std::fs::write(&count_file, n.to_string()).unwrap();
    (out, n)
}

/// What [`run_measured`] saw of a command.
pub struct Measured {
    /// Wall time.
    pub wall: Duration,
    /// User plus system CPU time of the command (and any children it waited for): less
    /// sensitive than wall time to the other tenants of a shared machine.
    pub cpu: Duration,
    /// Peak RSS in bytes.
    pub rss: u64,
    /// Its standard output.
    pub stdout: String,
}

/// User plus system CPU time of this process's children that have been waited for.
fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Runs a command, sampling its peak RSS (VmHWM) while it runs, and measuring its CPU time.
pub fn run_measured(mut cmd: Command) -> Measured {
    let cpu0 = children_cpu();
    let t0 = Instant::now();
    let mut child: Child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut peak = 0u64;
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        for l in BufReader::new(stdout).lines() {
            s.push_str(&l.unwrap_or_default());
            s.push('\n');
        }
        s
    });
    loop {
        if let Ok(st) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            for l in st.lines() {
                if let Some(v) = l.strip_prefix("VmHWM:") {
                    let kb: u64 = v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                    peak = peak.max(kb * 1024);
                }
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{cmd:?} failed");
    Measured {
        wall: t0.elapsed(),
        cpu: children_cpu().saturating_sub(cpu0),
        rss: peak,
        stdout: reader.join().unwrap(),
    }
}

/// Size of a directory tree in bytes.
pub fn du(p: &Path) -> u64 {
    if p.is_file() {
        return p.metadata().map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| du(&e.path())).sum())
        .unwrap_or(0)
}

/// The p-th percentile (0..=100) of durations, in milliseconds.
pub fn pct(samples: &[Duration], p: f64) -> f64 {
    let mut v: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[i.min(v.len() - 1)]
}

/// Human bytes.
pub fn mb(b: u64) -> String {
    format!("{:.0} MB", b as f64 / 1_048_576.0)
}

/// Replaces (or appends) the section between `<!-- NAME:start -->` and `<!-- NAME:end -->`
/// of BENCHMARKS.md.
pub fn write_section(name: &str, body: &str) {
    let path = root().join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmarks\n\nFigures measured on the project's 2-core machine, shared and noisy: \
         each section says the command that produced it. Peers run on the same rows in the \
         same run, so ratios are more telling than absolute times.\n"
            .to_string()
    });
    let start = format!("<!-- {name}:start -->");
    let end = format!("<!-- {name}:end -->");
    let block = format!("{start}\n{}\n{end}", body.trim_end());
    let new = match (old.find(&start), old.find(&end)) {
        (Some(a), Some(b)) if b > a => format!("{}{}{}", &old[..a], block, &old[b + end.len()..]),
        _ => format!("{}\n{}\n", old.trim_end(), block),
    };
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(new.as_bytes()).unwrap();
    eprintln!("wrote the {name} section of {}", path.display());
}

/// A one-line description of the machine.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{cores} cores ({cpu}); load average at start {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}
