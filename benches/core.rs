//! The core benchmark (issue 2): import speed, index size, peak RSS and ranked top-10
//! query latency, next to SQLite FTS5 and PostgreSQL full-text search on the same rows in
//! the same run.
//!
//! Run: `cargo bench --bench core` (or `bash scripts/bench.sh core`). Environment:
//! `SECOP_BENCH_COPIES` (copies of the 247k real rows in the scaled corpus, default 5),
//! `SECOP_BENCH_RUNS` (runs of each query, default 5), `SECOP_BENCH_NO_PG=1` to skip
//! PostgreSQL. Writes the "core" section of BENCHMARKS.md.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rusqlite::params;
use secop_bridge::index::SecopIndex;
use secop_bridge::normalize::unspsc::Unspsc;
use secop_bridge::query::{Engine, SearchParams, SearchResult};
use support::*;

/// Realistic queries: what providers and journalists type.
const QUERIES: &[&str] = &[
    "servicios profesionales",
    "apoyo a la gestión",
    "suministro de combustible",
    "mantenimiento vial",
    "obra civil",
    "alimentación escolar",
    "vigilancia y seguridad privada",
    "pólizas de seguros",
    "transporte escolar",
    "interventoría",
    "dotación",
    "equipos de cómputo",
    "medicamentos",
    "aseo y cafetería",
    "placa huella",
    "consultoría",
    "arrendamiento",
    "capacitación",
    "licencias de software",
    "mantenimiento de vehículos",
    "construcción",
    "hospital",
    "\"prestación de servicios\"",
    "instituciones educativas",
];

/// Departments for the filtered variant (DIVIPOLA codes).
const DEPTS: &[&str] = &["05", "25", "76", "11", "68", "08", "13", "15"];
const MIN_VALUE: i64 = 10_000_000;

struct Import {
    rows: usize,
    time: Duration,
    cpu: Duration,
    rss: u64,
    index: u64,
    state: u64,
    docs: u64,
}

fn import(dir: &Path, file: &Path, rows: usize) -> Import {
    let _ = std::fs::remove_dir_all(dir);
    let mut cmd = Command::new(secop_bin());
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("import")
        .arg(file)
        .arg("--json");
    eprintln!("importing {} …", file.display());
    let m = run_measured(cmd);
    let idx = SecopIndex::open(dir).unwrap();
    Import {
        rows,
        time: m.wall,
        cpu: m.cpu,
        rss: m.rss,
        index: du(&dir.join("tantivy")),
        // The state database and the row log beside it.
        state: du(&dir.join("state.sqlite")) + du(&dir.join("rows")),
        docs: idx.num_docs(),
    }
}

/// The searchable text of a process, as the peers get it: the same fields our index
/// searches.
struct PeerDoc {
    title: String,
    entity: String,
    body: String,
    department: String,
    value: i64,
}

fn peer_docs(engine: &Engine, mut f: impl FnMut(PeerDoc)) -> u64 {
    let u = Unspsc::get();
    engine
        .for_each(&SearchParams::default().validate().unwrap(), |p| {
            let mut body = p.description.clone().unwrap_or_default();
            for s in p.supplier_names() {
                body.push(' ');
                body.push_str(s);
            }
            for code in &p.unspsc {
                let c = u.category(code);
                for n in [c.segment, c.family, c.class, c.product]
                    .into_iter()
                    .flatten()
                {
                    body.push(' ');
                    body.push_str(&n);
                }
            }
            for pl in [&p.buyer.department, &p.buyer.municipality]
                .into_iter()
                .flatten()
            {
                body.push(' ');
                body.push_str(&pl.name);
            }
            f(PeerDoc {
                title: p.title.clone(),
                entity: p.buyer.name.clone(),
                body,
                department: p
                    .buyer
                    .department
                    .as_ref()
                    .and_then(|d| d.code.clone())
                    .unwrap_or_default(),
                value: p.value().unwrap_or(0),
            });
            Ok(())
        })
        .unwrap()
}

fn build_fts5(engine: &Engine, path: &Path) -> (Duration, u64) {
    let _ = std::fs::remove_file(path);
    let t0 = Instant::now();
    let mut db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
         CREATE VIRTUAL TABLE fts USING fts5(title, entity, body, tokenize = 'unicode61 remove_diacritics 2');
         CREATE TABLE meta(rowid INTEGER PRIMARY KEY, department TEXT, value INTEGER);",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut ins = tx
            .prepare("INSERT INTO fts(rowid, title, entity, body) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        let mut meta = tx
            .prepare("INSERT INTO meta(rowid, department, value) VALUES (?1, ?2, ?3)")
            .unwrap();
        let mut id = 0i64;
        peer_docs(engine, |d| {
            id += 1;
            ins.execute(params![id, d.title, d.entity, d.body]).unwrap();
            meta.execute(params![id, d.department, d.value]).unwrap();
        });
    }
    tx.commit().unwrap();
    db.execute_batch("CREATE INDEX meta_dept ON meta(department, value); INSERT INTO fts(fts) VALUES('optimize');")
        .unwrap();
    drop(db);
    (t0.elapsed(), du(path))
}

/// A query in FTS5 syntax: every word quoted (so `-` or `:` are not operators), phrases kept.
fn fts5_query(q: &str) -> String {
    let mut out = Vec::new();
    let mut in_phrase = false;
    let mut phrase = Vec::new();
    for w in q.split_whitespace() {
        let starts = w.starts_with('"');
        let ends = w.ends_with('"') && (w.len() > 1 || !starts);
        let clean: String = w
            .trim_matches('"')
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        if starts && !ends {
            in_phrase = true;
            phrase.clear();
            phrase.push(clean);
            continue;
        }
        if in_phrase {
            phrase.push(clean);
            if ends {
                in_phrase = false;
                out.push(format!("\"{}\"", phrase.join(" ")));
            }
            continue;
        }
        if !clean.is_empty() {
            out.push(format!("\"{clean}\""));
        }
    }
    out.join(" ")
}

struct Pg {
    dir: PathBuf,
    port: u16,
}

impl Pg {
    fn start() -> Option<Pg> {
        if std::env::var_os("SECOP_BENCH_NO_PG").is_some() {
            return None;
        }
        let which = |b: &str| {
            Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {b}"))
                .output()
                .ok()
                .filter(|o| o.status.success())
        };
        which("initdb")?;
        which("pg_ctl")?;
        let dir = bench_dir().join("pg");
        let port = 55432;
        // PostgreSQL refuses to run as root: use a dedicated user when we are root.
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .ok()?
            .stdout
            .starts_with(b"0");
        let run = |args: &[&str]| -> bool {
            let mut c = if as_root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]);
                c.args(args);
                c
            } else {
                let mut c = Command::new(args[0]);
                c.args(&args[1..]);
                c
            };
            c.output().map(|o| o.status.success()).unwrap_or(false)
        };
        // A server left by an interrupted run would hold the port.
        if dir.join("postmaster.pid").exists() {
            run(&[
                "pg_ctl",
                "-D",
                &dir.display().to_string(),
                "stop",
                "-m",
                "immediate",
            ]);
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
        if as_root {
            Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&dir)
                .status()
                .ok()?;
        }
        let d = dir.display().to_string();
        if !run(&[
            "initdb",
            "-D",
            &d,
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]) {
            eprintln!("initdb failed: PostgreSQL skipped");
            return None;
        }
        let opts = format!(
            "-p {port} -k /tmp -c shared_buffers=256MB -c fsync=off -c maintenance_work_mem=512MB"
        );
        if !run(&[
            "pg_ctl",
            "-D",
            &d,
            "-o",
            &opts,
            "-l",
            &format!("{d}/log"),
            "-w",
            "start",
        ]) {
            eprintln!("pg_ctl start failed: PostgreSQL skipped");
            return None;
        }
        Some(Pg { dir, port })
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(
            &format!("host=/tmp port={} user=postgres dbname=postgres", self.port),
            postgres::NoTls,
        )
        .expect("connect to the benchmark PostgreSQL")
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", "pg_ctl", "-D"])
            .arg(&self.dir)
            .args(["stop", "-m", "fast"])
            .output();
        let _ = Command::new("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["stop", "-m", "fast"])
            .output();
    }
}

fn build_pg(engine: &Engine, pg: &Pg) -> (Duration, u64) {
    let mut c = pg.client();
    c.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS unaccent;
         DROP TEXT SEARCH CONFIGURATION IF EXISTS es_unaccent;
         CREATE TEXT SEARCH CONFIGURATION es_unaccent (COPY = spanish);
         ALTER TEXT SEARCH CONFIGURATION es_unaccent ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
         DROP TABLE IF EXISTS docs;
         CREATE UNLOGGED TABLE docs(id serial PRIMARY KEY, title text, entity text, body text, department text, value bigint);",
    )
    .unwrap();
    let t0 = Instant::now();
    {
        let mut w = c
            .copy_in("COPY docs(title, entity, body, department, value) FROM STDIN")
            .unwrap();
        let esc = |s: &str| s.replace('\\', "\\\\").replace(['\t', '\n', '\r'], " ");
        peer_docs(engine, |d| {
            use std::io::Write;
            writeln!(
                w,
                "{}\t{}\t{}\t{}\t{}",
                esc(&d.title),
                esc(&d.entity),
                esc(&d.body),
                esc(&d.department),
                d.value
            )
            .unwrap();
        });
        w.finish().unwrap();
    }
    c.batch_execute(
        "ALTER TABLE docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
             setweight(to_tsvector('es_unaccent', coalesce(title, '')), 'A') ||
             setweight(to_tsvector('es_unaccent', coalesce(entity, '')), 'B') ||
             to_tsvector('es_unaccent', coalesce(body, ''))) STORED;
         CREATE INDEX docs_tsv ON docs USING gin(tsv);
         CREATE INDEX docs_dept ON docs(department, value);",
    )
    .unwrap();
    // VACUUM may not run inside the transaction a multi-statement batch makes.
    c.batch_execute("VACUUM ANALYZE docs").unwrap();
    let took = t0.elapsed();
    let size: i64 = c
        .query_one("SELECT pg_total_relation_size('docs')", &[])
        .unwrap()
        .get(0);
    (took, size as u64)
}

/// Query `i` of [`QUERIES`] on our engine, with its department and minimum value when
/// `filtered`: the time and the result.
fn our_search(engine: &Engine, i: usize, filtered: bool) -> (Duration, SearchResult) {
    let params = SearchParams {
        q: Some(QUERIES[i].to_string()),
        per_page: Some("10".into()),
        department: filtered.then(|| DEPTS[i % DEPTS.len()].to_string()),
        min_value: filtered.then(|| MIN_VALUE.to_string()),
        ..SearchParams::default()
    };
    let s = params.validate().unwrap();
    let t = Instant::now();
    let r = engine.search(&s, false).unwrap();
    (t.elapsed(), r)
}

/// `secop compact` on the big index, then the query mix on it and on the index as
/// imported (whose open reader keeps the old segments mapped), alternating query by query
/// so that both see the same load. Returns the report's paragraph.
fn after_compact(dir: &Path, imported: &Engine, runs: usize) -> String {
    let mut cmd = Command::new(secop_bin());
    cmd.arg("--data-dir").arg(dir).args(["compact", "--json"]);
    eprintln!("secop compact …");
    let Measured {
        wall: took,
        rss,
        stdout: out,
        ..
    } = run_measured(cmd);
    let c: serde_json::Value = serde_json::from_str(&out).expect("compact --json");
    let compacted = Engine::new(SecopIndex::open(dir).unwrap());
    let mut lat = [Lat::default(), Lat::default()];
    for run in 0..=runs {
        for i in 0..QUERIES.len() {
            for filtered in [false, true] {
                for (k, engine) in [imported, &compacted].into_iter().enumerate() {
                    let (d, _) = our_search(engine, i, filtered);
                    if run > 0 {
                        lat[k].of(filtered).push(d);
                    }
                }
            }
        }
    }
    let segments = |k: &str| c["index"][k].as_u64().unwrap_or(0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n### After `secop compact`\n\n`secop compact` merged the small segments of the same index: {} segments → {} in {:.1} s (peak RSS {}). \
         The same queries again on both, alternating query by query, {runs} runs after a warm-up:\n",
        segments("segments_before"),
        segments("segments_after"),
        took.as_secs_f64(),
        mb(rss)
    );
    let _ = writeln!(s, "| index | queries | p50 | p99 |\n|---|---|---:|---:|");
    for (name, l) in [
        (
            format!("as imported ({} segments)", segments("segments_before")),
            &lat[0],
        ),
        (
            format!("after compact ({} segments)", segments("segments_after")),
            &lat[1],
        ),
    ] {
        for (kind, v) in [("no filter", &l.plain), ("with filters", &l.filtered)] {
            let _ = writeln!(
                s,
                "| {name} | {kind} | {:.2} ms | {:.2} ms |",
                pct(v, 50.0),
                pct(v, 99.0)
            );
        }
    }
    s
}

#[derive(Default)]
struct Lat {
    plain: Vec<Duration>,
    filtered: Vec<Duration>,
}

impl Lat {
    /// The samples of the queries with filters or without.
    fn of(&mut self, filtered: bool) -> &mut Vec<Duration> {
        if filtered {
            &mut self.filtered
        } else {
            &mut self.plain
        }
    }
}

fn main() {
    let copies: usize = std::env::var("SECOP_BENCH_COPIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let runs: usize = std::env::var("SECOP_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        // FTS5 ranks a broad query in about a second on a million documents: 5 runs of the
        // 48 queries on three engines already take a quarter of an hour.
        .unwrap_or(5);
    let machine = machine();
    let base = bench_dir();

    // Imports.
    let real_rows = 247_258;
    let small = import(&base.join("core-247k"), &bench_source(), real_rows);
    let (corpus, corpus_rows) = scaled_corpus(copies);
    let big = import(&base.join("core-1m"), &corpus, corpus_rows);
    eprintln!("imported: {} docs and {} docs", small.docs, big.docs);

    let engine = Engine::new(SecopIndex::open(&base.join("core-1m")).unwrap());

    // Peers, from the same processes.
    eprintln!("building SQLite FTS5 …");
    let fts_path = base.join("fts5.sqlite");
    let (fts_time, fts_size) = build_fts5(&engine, &fts_path);
    let fts = rusqlite::Connection::open(&fts_path).unwrap();
    let pg = Pg::start();
    let pg_built = pg.as_ref().map(|pg| {
        eprintln!("building PostgreSQL full-text search …");
        build_pg(&engine, pg)
    });
    let mut pgc = pg.as_ref().map(Pg::client);

    // Queries.
    let mut ours = Lat::default();
    let mut sqlite = Lat::default();
    let mut postgres = Lat::default();
    let mut hits = (0u64, 0u64, 0u64);
    // Each query's times on our side and FTS5's, for the slowest-queries table.
    let mut per_query: std::collections::BTreeMap<(usize, bool), (Vec<Duration>, Vec<Duration>)> =
        Default::default();
    let mut fts_plain = fts
        .prepare("SELECT rowid, title, snippet(fts, 2, '<b>', '</b>', '…', 16) FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 10")
        .unwrap();
    let mut fts_filtered = fts
        .prepare(
            // CROSS JOIN keeps the full-text match as the outer loop. With a plain JOIN the
            // planner may walk the department index and run the MATCH once per row, and
            // bm25 then recounts each phrase's documents for every row: minutes a query.
            "SELECT f.rowid, f.title, snippet(fts, 2, '<b>', '</b>', '…', 16) FROM fts f CROSS JOIN meta m ON m.rowid = f.rowid
             WHERE fts MATCH ?1 AND m.department = ?2 AND m.value >= ?3 ORDER BY rank LIMIT 10",
        )
        .unwrap();
    let pg_plain = "SELECT id, title, ts_headline('es_unaccent', body, q) FROM (
            SELECT id, title, body, q FROM docs, websearch_to_tsquery('es_unaccent', $1) q
            WHERE tsv @@ q ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 10) t";
    let pg_filtered = "SELECT id, title, ts_headline('es_unaccent', body, q) FROM (
            SELECT id, title, body, q FROM docs, websearch_to_tsquery('es_unaccent', $1) q
            WHERE tsv @@ q AND department = $2 AND value >= $3 ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 10) t";
    eprintln!(
        "running {} queries × {runs} runs on each engine …",
        QUERIES.len() * 2
    );
    for run in 0..=runs {
        eprintln!("run {run} of {runs} (0 is the warm-up) …");
        for (i, q) in QUERIES.iter().enumerate() {
            let dept = DEPTS[i % DEPTS.len()];
            for filtered in [false, true] {
                let (d, r) = our_search(&engine, i, filtered);
                let t = Instant::now();
                let n = if filtered {
                    fts_filtered
                        .query_map(params![fts5_query(q), dept, MIN_VALUE], |_| Ok(()))
                        .unwrap()
                        .count()
                } else {
                    fts_plain
                        .query_map(params![fts5_query(q)], |_| Ok(()))
                        .unwrap()
                        .count()
                };
                let dq = t.elapsed();
                let pgd = pgc.as_mut().map(|c| {
                    let t = Instant::now();
                    let rows = if filtered {
                        c.query(pg_filtered, &[q, &dept, &MIN_VALUE]).unwrap()
                    } else {
                        c.query(pg_plain, &[q]).unwrap()
                    };
                    (t.elapsed(), rows.len())
                });
                if run == 0 {
                    // Warm-up run, and a sanity check that every engine finds something.
                    hits.0 += r.hits.len() as u64;
                    hits.1 += n as u64;
                    hits.2 += pgd.map_or(0, |x| x.1 as u64);
                    continue;
                }
                ours.of(filtered).push(d);
                sqlite.of(filtered).push(dq);
                let e = per_query.entry((i, filtered)).or_default();
                e.0.push(d);
                e.1.push(dq);
                if let Some((x, _)) = pgd {
                    postgres.of(filtered).push(x);
                }
            }
        }
    }

    let compact_report = after_compact(&base.join("core-1m"), &engine, runs);

    // Report.
    let rate = |i: &Import| i.rows as f64 / i.time.as_secs_f64();
    let mut s = String::new();
    let _ = writeln!(s, "## Core: import and search (issue 2)\n");
    let _ = writeln!(
        s,
        "Command: `cargo bench --bench core` (copies={copies}, runs={runs}). Machine: {machine}. \
         Date: {}.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        s,
        "### Import (secop import, parsing and normalization included)\n"
    );
    let _ = writeln!(
        s,
        "| corpus | rows | documents | time | rows/s | CPU (user + system) | CPU a row | index | state (db + row log) | peak RSS |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, i) in [
        ("real web export, 247k rows", &small),
        (&*format!("scaled ×{copies}, varied ids"), &big),
    ] {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {:.1} s | {:.0} | {:.1} s | {:.0} µs | {} | {} | {} |",
            i.rows,
            i.docs,
            i.time.as_secs_f64(),
            rate(i),
            i.cpu.as_secs_f64(),
            i.cpu.as_secs_f64() * 1e6 / i.rows as f64,
            mb(i.index),
            mb(i.state),
            mb(i.rss)
        );
    }
    let _ = writeln!(
        s,
        "\nPeers, loaded from the same {} normalized processes (their load excludes CSV parsing and normalization):\n",
        big.docs
    );
    let _ = writeln!(s, "| engine | load time | docs/s | size |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| SQLite FTS5 (`unicode61 remove_diacritics 2`, bm25) | {:.1} s | {:.0} | {} |",
        fts_time.as_secs_f64(),
        big.docs as f64 / fts_time.as_secs_f64(),
        mb(fts_size)
    );
    if let Some((t, sz)) = pg_built {
        let _ = writeln!(
            s,
            "| PostgreSQL 15 (`spanish` + `unaccent`, GIN, ts_rank_cd) | {:.1} s | {:.0} | {} |",
            t.as_secs_f64(),
            big.docs as f64 / t.as_secs_f64(),
            mb(sz)
        );
    } else {
        let _ = writeln!(
            s,
            "| PostgreSQL | not run (not installed or SECOP_BENCH_NO_PG) | | |"
        );
    }
    let _ = writeln!(
        s,
        "\n### Ranked top-10 on {} documents\n\n{} queries ({} with department + minimum-value filters), {runs} runs each after a warm-up; \
         secop-bridge returns the records with highlighted snippets, FTS5 and PostgreSQL return id, title and snippet.\n",
        big.docs,
        QUERIES.len() * 2,
        QUERIES.len()
    );
    let _ = writeln!(
        s,
        "| engine | queries | p50 | p99 | p99 ratio (peer / secop-bridge) |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|");
    for (label, lat, is_ours) in [
        ("secop-bridge (tantivy)", &ours, true),
        ("SQLite FTS5", &sqlite, false),
        ("PostgreSQL FTS", &postgres, false),
    ] {
        for (kind, v, mine) in [
            ("no filter", &lat.plain, &ours.plain),
            ("with filters", &lat.filtered, &ours.filtered),
        ] {
            if v.is_empty() {
                continue;
            }
            let ratio = if is_ours {
                "—".to_string()
            } else {
                format!("{:.1}×", pct(v, 99.0) / pct(mine, 99.0))
            };
            let _ = writeln!(
                s,
                "| {label} | {kind} | {:.2} ms | {:.2} ms | {ratio} |",
                pct(v, 50.0),
                pct(v, 99.0)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nHits in the warm-up run (sanity check, 48 queries × 10 at most): secop-bridge {}, FTS5 {}, PostgreSQL {}. \
         FTS5 has no stemming, so plural and singular do not meet there.",
        hits.0, hits.1, hits.2
    );
    let mut slow: Vec<_> = per_query
        .iter()
        .map(|(&(i, filtered), (o, f))| (pct(o, 50.0), pct(f, 50.0), i, filtered))
        .collect();
    slow.sort_by(|a, b| b.0.total_cmp(&a.0));
    let _ = writeln!(
        s,
        "\nThe slowest queries on our side (median of the runs):\n\n| query | filters | secop-bridge | SQLite FTS5 |\n|---|---|---:|---:|"
    );
    for (ours, theirs, i, filtered) in slow.iter().take(5) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {ours:.2} ms | {theirs:.2} ms |",
            QUERIES[*i],
            if *filtered {
                format!("department {}, value ≥ {MIN_VALUE}", DEPTS[i % DEPTS.len()])
            } else {
                "none".to_string()
            }
        );
    }
    s.push_str(&compact_report);
    println!("{s}");
    write_section("core", &s);
}
