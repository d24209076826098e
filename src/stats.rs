//! What the index and the state hold: documents per platform and dataset, runs, harvests,
//! quarantine, sizes. Shared by `secop stats` and `GET /api/stats`.

use std::path::Path;

use crate::Result;
use crate::query::{Engine, Search};
use crate::state::State;

/// Index and state figures, for the CLI and the API.
pub fn collect(dir: &Path, engine: &Engine) -> Result<serde_json::Value> {
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
    let (segments, mergeable) = idx.segments()?;
    v["index_segments"] = segments.into();
    v["index_segments_mergeable"] = mergeable.into();
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
