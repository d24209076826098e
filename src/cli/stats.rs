//! `secop stats`, `secop reindex` and `secop compact`

use std::io::IsTerminal;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::Table;
use super::output::count;
use crate::index::SecopIndex;
use crate::query::Engine;
use crate::state::State;

/// What the index holds.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// List the most recent quarantined rows with their reason.
    #[arg(long)]
    pub quarantine: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let engine = Engine::new(SecopIndex::open(dir)?);
    let mut out = std::io::stdout().lock();
    if a.quarantine {
        let Some(state) = State::open_read_only(dir)? else {
            writeln!(out, "nothing imported yet")?;
            return Ok(ExitCode::SUCCESS);
        };
        let q = state.quarantined(50)?;
        if a.json {
            serde_json::to_writer_pretty(&mut out, &q)?;
            writeln!(out)?;
        } else {
            let mut t = Table::new(&["source", "line", "reason"]).align_right(1);
            for r in q {
                t.row(vec![
                    r.source,
                    r.line.map_or_else(String::new, |l| l.to_string()),
                    r.reason,
                ]);
            }
            t.write(&mut out, 90)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let v = crate::stats::collect(dir, &engine)?;
    if a.json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "documents    {}", v["documents"])?;
    for (k, n) in v["by_platform"].as_object().into_iter().flatten() {
        writeln!(out, "  {k:<10} {n}")?;
    }
    writeln!(out, "by dataset")?;
    for (k, n) in v["by_dataset"].as_object().into_iter().flatten() {
        writeln!(out, "  {k:<10} {n}")?;
    }
    writeln!(out, "partial      {}", v["partial"])?;
    let segments = v["index_segments"].as_u64().unwrap_or(0) as usize;
    write!(
        out,
        "index        {:.1} MB in {}",
        v["index_bytes"].as_u64().unwrap_or(0) as f64 / 1e6,
        count(segments, "segment")
    )?;
    match v["index_segments_mergeable"].as_u64().unwrap_or(0) {
        0 => writeln!(out)?,
        n => writeln!(out, " (secop compact would merge {n} of them)")?,
    }
    if let Some(q) = v.get("quarantined") {
        let n = q.as_u64().unwrap_or(0) as usize;
        writeln!(
            out,
            "quarantined  {} (secop stats --quarantine)",
            count(n, "row")
        )?;
    }
    if let Some(sources) = v["harvest"].as_array().filter(|h| !h.is_empty()) {
        writeln!(
            out,
            "harvest      watermark (newest event date read completely), last run"
        )?;
        for h in sources {
            writeln!(
                out,
                "  {:<18} {:<20} {} {}",
                h["source"].as_str().unwrap_or(""),
                h["watermark"].as_str().unwrap_or("none yet"),
                h["last_run_at"].as_str().unwrap_or(""),
                h["last_status"].as_str().unwrap_or("")
            )?;
        }
    }
    if let Some(runs) = v["runs"].as_array() {
        writeln!(out, "recent runs")?;
        for r in runs {
            writeln!(
                out,
                "  #{} {} {} {} {}",
                r["id"],
                r["kind"].as_str().unwrap_or(""),
                r["started_at"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
                run_summary(&r["counts"])
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A spinner with a count on a terminal; nothing in logs and pipes.
fn spinner(template: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(indicatif::ProgressStyle::with_template(template).expect("valid template"));
    pb
}

/// Rebuilds the index from the state.
pub fn reindex(dir: &Path) -> anyhow::Result<ExitCode> {
    rebuild_index(dir)?;
    Ok(ExitCode::SUCCESS)
}

/// Rebuilds the index from the state database, starting afresh when the index cannot be
/// opened (another version's, or damaged): the state has every row. Killed before its
/// commit, a rebuild is redone by the next writer or `serve` ([`crate::ingest::catch_up`]).
pub fn rebuild_index(dir: &Path) -> anyhow::Result<u64> {
    let state = State::open(dir)?;
    let index = SecopIndex::open(dir).or_else(|_| {
        std::fs::remove_dir_all(dir.join("tantivy"))?;
        SecopIndex::open(dir)
    })?;
    let pb = spinner("{spinner} {pos} processes {per_sec}");
    let n = crate::ingest::reindex(&state, &index, |n| pb.set_position(n))?;
    pb.finish_and_clear();
    eprintln!("reindexed {n} processes");
    Ok(n)
}

/// Options of `secop compact`.
#[derive(Debug, clap::Args)]
pub struct CompactArgs {
    /// Rewrite a row log file when at least this share of it (0 to 1) is old row versions.
    #[arg(long, default_value_t = 0.25, value_parser = share)]
    pub min_garbage: f64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s:?} is not a share between 0 and 1 (for example 0.25)"
        )),
    }
}

/// A run's counts in a line: the row counts, unreadable files and the error; other
/// shapes as they are stored.
fn run_summary(c: &serde_json::Value) -> String {
    const KEYS: [&str; 5] = ["read", "new", "changed", "unchanged", "quarantined"];
    // A run killed before it saved any counts.
    if c.is_null() {
        return "(no counts saved: the run was stopped)".to_string();
    }
    // A failed run keeps its counts under `counts`, beside the `error`.
    let counts = c.get("counts").unwrap_or(c);
    if !KEYS.iter().all(|k| counts[k].is_u64()) {
        return c.to_string();
    }
    // Every row, quarantined ones included, as the import's own summary counts them
    // (`read` in the JSON is the good ones).
    let rows = counts["read"].as_u64().unwrap_or(0) + counts["quarantined"].as_u64().unwrap_or(0);
    let mut s = std::iter::once(format!("rows {rows}"))
        .chain(KEYS[1..].iter().map(|k| format!("{k} {}", counts[k])))
        .collect::<Vec<_>>()
        .join(", ");
    // Runs before the rule have no `older`; most runs have none.
    if let Some(n) = counts["older"].as_u64().filter(|n| *n > 0) {
        s.push_str(&format!(", older kept out {n}"));
    }
    let unreadable = c["files"]
        .as_array()
        .map_or(0, |f| f.iter().filter(|f| !f["error"].is_null()).count());
    if unreadable > 0 {
        s.push_str(&format!("; {} with an error", count(unreadable, "file")));
    }
    if let Some(e) = c["error"].as_str() {
        s.push_str(&format!("; error: {e}"));
    }
    s
}

/// After an import or a harvest: says so when `secop compact` would merge many small
/// segments (a big import leaves 10-20; each costs every search a lookup per term).
pub(crate) fn compact_hint(dir: &Path) {
    /// Below this, merging gains too little to mention.
    const WORTH_IT: usize = 8;
    let Ok((segments, mergeable)) = SecopIndex::open(dir).and_then(|i| i.segments()) else {
        return;
    };
    if mergeable >= WORTH_IT {
        eprintln!(
            "the index is in {segments} segments: `secop compact` would merge {mergeable} of them, for faster searches"
        );
    }
}

/// What `secop compact` did: the row log's figures, and the index's under `index`.
#[derive(serde::Serialize)]
struct Compacted {
    #[serde(flatten)]
    rows: crate::state::Compaction,
    index: crate::index::Consolidation,
}

/// Copies the live rows out of row log files that are mostly old versions and deletes
/// those files. A changed row (a harvest re-reads its overlap window every run) appends
/// its new version and leaves the old one behind. Then merges the index's small segments
/// ([`crate::index::Writer::consolidate`]): an import or harvest leaves up to seven of
/// each size, and each costs every search a lookup per term.
pub fn compact(dir: &Path, a: CompactArgs) -> anyhow::Result<ExitCode> {
    let state = State::open(dir)?;
    // The index writer's lock keeps imports and harvests out meanwhile.
    let index = SecopIndex::open(dir)?;
    let mut writer = index.writer()?;
    let pb = spinner("{spinner} {pos} rows copied {per_sec}");
    let c = state.compact(a.min_garbage, |n| pb.set_position(n))?;
    pb.finish_and_clear();
    let pb = spinner("{spinner} merging index segments: {pos} of {len} merges");
    // A merge of up to 300,000 documents takes a while: keep the spinner moving.
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let ix = writer.consolidate(|done, of| {
        pb.set_length(of as u64);
        pb.set_position(done as u64);
    })?;
    pb.finish_and_clear();
    writer.finish()?;
    let c = Compacted { rows: c, index: ix };
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &c)?;
        writeln!(out)?;
    } else {
        let (c, ix) = (&c.rows, &c.index);
        let mb = |b: u64| b as f64 / 1e6;
        writeln!(
            out,
            "row log: {} files, {:.1} MB → {} files, {:.1} MB ({} files rewritten, {} rows copied)",
            c.files_before,
            mb(c.bytes_before),
            c.files_after,
            mb(c.bytes_after),
            c.files_rewritten,
            c.rows_moved
        )?;
        writeln!(
            out,
            "index: {} → {} ({})",
            count(ix.segments_before, "segment"),
            ix.segments_after,
            count(ix.merges, "merge")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
