//! `secop stats` and `secop reindex`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::Table;
use crate::index::SecopIndex;
use crate::query::{Engine, Search};
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

/// Index and state figures, for the CLI and the API.
pub fn collect(dir: &Path, engine: &Engine) -> crate::Result<serde_json::Value> {
    let idx = engine.index();
    let aggs = engine.aggregate(
        &Search::default(),
        serde_json::json!({
            "platform": {"terms": {"field": "platform", "size": 5}},
            "dataset": {"terms": {"field": "dataset", "size": 20}},
            "partial": {"terms": {"field": "partial", "size": 2}},
        }),
    )?;
    let buckets = |name: &str| -> serde_json::Map<String, serde_json::Value> {
        aggs[name]["buckets"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|b| {
                        let k = match &b["key"] {
                            serde_json::Value::String(s) => s.clone(),
                            other => other
                                .as_f64()
                                .map_or(other.to_string(), |f| (f as i64).to_string()),
                        };
                        (k, b["doc_count"].clone())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut v = serde_json::json!({
        "documents": idx.num_docs(),
        "by_platform": buckets("platform"),
        "by_dataset": buckets("dataset"),
        "partial": buckets("partial").get("1").cloned().unwrap_or(0.into()),
        "index_bytes": idx.size_on_disk(),
    });
    if let Some(state) = State::open_read_only(dir)? {
        let rows: serde_json::Map<String, serde_json::Value> = state
            .rows_per_dataset()?
            .into_iter()
            .map(|(k, n)| (k, n.into()))
            .collect();
        v["rows_by_dataset"] = rows.into();
        v["state_bytes"] = std::fs::metadata(state.path())
            .map(|m| m.len())
            .unwrap_or(0)
            .into();
        v["quarantined"] = state.quarantine_count()?.into();
        v["runs"] = serde_json::to_value(state.runs(10)?)?;
        if let Ok(h) = crate::state::harvest_summary(&state) {
            v["harvest"] = h;
        }
    }
    Ok(v)
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
    let v = collect(dir, &engine)?;
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
    writeln!(out, "index size   {} bytes", v["index_bytes"])?;
    if let Some(q) = v.get("quarantined") {
        writeln!(out, "quarantined  {q} rows (secop stats --quarantine)")?;
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
                r["counts"]
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Rebuilds the index from the state.
pub fn reindex(dir: &Path) -> anyhow::Result<ExitCode> {
    let state = State::open(dir)?;
    let index = SecopIndex::open(dir).or_else(|_| {
        // An index of another version: start it afresh, the state has everything.
        std::fs::remove_dir_all(dir.join("tantivy"))?;
        SecopIndex::open(dir)
    })?;
    let n = crate::ingest::reindex(&state, &index, |n| eprint!("\r{n} processes"))?;
    eprintln!("\rreindexed {n} processes");
    Ok(ExitCode::SUCCESS)
}
