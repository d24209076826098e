//! The harvester against a mock SODA API serving the fixture rows: a clean run, incremental
//! runs, and one scenario per fault the real API shows. Every scenario ends with the same
//! documents as the fault-free harvest.

mod support;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::harvest_util::{assert_same_documents, documents, fixture_mock, options, run};
use support::soda_mock::{Fault, Mock, Rule, Target};

use secop_bridge::harvest::{AppToken, HarvestOptions};
use secop_bridge::sources::datasets;
use serde_json::Value;

/// The documents of a fault-free harvest of the fixtures (computed once).
fn baseline() -> &'static BTreeMap<String, String> {
    static B: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    B.get_or_init(|| {
        let mock = fixture_mock();
        let dir = tempfile::tempdir().unwrap();
        let (r, _) = run(dir.path(), &options(&mock));
        assert!(r.error.is_none(), "{:?}", r.error);
        documents(dir.path())
    })
}

/// Harvests the fixtures through `rules` and checks the result equals the baseline.
fn scenario(
    rules: Vec<Rule>,
    tweak: impl FnOnce(&mut HarvestOptions),
) -> (Mock, secop_bridge::harvest::HarvestReport) {
    let want = baseline();
    let mock = fixture_mock();
    mock.set_faults(rules);
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&mock);
    tweak(&mut o);
    let (r, _) = run(dir.path(), &o);
    assert!(r.error.is_none(), "harvest failed: {:?}", r.error);
    assert_same_documents(&documents(dir.path()), want);
    assert_eq!(
        mock.shared
            .unordered
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    (mock, r)
}

#[test]
fn clean_harvest_reads_every_row_once_and_a_second_run_changes_nothing() {
    let mock = fixture_mock();
    let dir = tempfile::tempdir().unwrap();
    let o = options(&mock);
    let (r, c) = run(dir.path(), &o);
    assert!(r.error.is_none(), "{:?}", r.error);
    let by: BTreeMap<&str, _> = r.sources.iter().map(|s| (s.source.as_str(), s)).collect();
    assert_eq!(by["secop2-procesos"].fetched, 1249);
    assert_eq!(by["secop2-contratos"].fetched, 686);
    assert_eq!(
        by["secop1-procesos"].fetched + by["secop1-historico"].fetched,
        1950
    );
    for s in &r.sources {
        assert_eq!(s.status, "ok");
        assert_eq!(
            s.fetched,
            s.new + s.changed + s.unchanged + s.quarantined,
            "{s:?}"
        );
        assert!(s.watermark.is_some(), "{s:?}");
        assert!(!s.resumed);
    }
    assert!(
        c.warnings
            .lock()
            .unwrap()
            .iter()
            .all(|w| !w.contains("renamed"))
    );
    let docs = documents(dir.path());
    assert!(docs.len() > 1000, "{}", docs.len());
    assert_same_documents(&docs, baseline());

    // Every page asked for a stable order, and no request went past a window.
    assert_eq!(
        mock.shared
            .unordered
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );

    // The second run re-reads only the overlap window, and touches nothing.
    let before = mock.seen().len();
    let (r2, _) = run(dir.path(), &o);
    assert!(r2.error.is_none());
    for s in &r2.sources {
        assert_eq!((s.new, s.changed, s.processes), (0, 0, 0), "{s:?}");
        assert_eq!(s.unchanged, s.fetched);
    }
    let total2: u64 = r2.sources.iter().map(|s| s.fetched).sum();
    assert!(
        total2 < 3885,
        "the overlap window is re-read, not everything: {total2}"
    );
    assert!(mock.seen().len() > before);
    assert_same_documents(&documents(dir.path()), baseline());

    // A reload upstream changes every `:id`: the content hash leaves them out.
    mock.reload("p6dx-8zbt");
    let (r3, _) = run(
        dir.path(),
        &HarvestOptions {
            full: true,
            ..o.clone()
        },
    );
    let p = r3
        .sources
        .iter()
        .find(|s| s.source == "secop2-procesos")
        .unwrap();
    assert_eq!(
        (p.fetched, p.unchanged, p.new, p.changed),
        (1249, 1249, 0, 0)
    );

    // The state keeps the watermark where `secop stats` reads it.
    let state = secop_bridge::state::State::open(dir.path()).unwrap();
    let h = secop_bridge::state::harvest_summary(&state).unwrap();
    assert_eq!(h.as_array().unwrap().len(), 4);
    for s in h.as_array().unwrap() {
        assert_eq!(s["last_status"], "ok", "{s}");
        assert!(s["watermark"].is_string(), "{s}");
    }
    let runs = state.runs(5).unwrap();
    assert!(runs.iter().all(|r| r.kind == "harvest" && r.status == "ok"));
}

#[test]
fn sends_the_token_and_a_user_agent_and_never_records_the_token() {
    let mock = fixture_mock();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&mock);
    o.sources = vec![datasets::by_name("secop2-contratos").unwrap()];
    o.client.app_token = AppToken::new("tok-3f9a-Zq7xK2w");
    let (r, _) = run(dir.path(), &o);
    assert!(r.error.is_none());
    let seen = mock.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        assert_eq!(s.app_token.as_deref(), Some("tok-3f9a-Zq7xK2w"));
        let ua = s.user_agent.as_deref().unwrap_or("");
        assert!(
            ua.starts_with("secop-bridge/") && ua.contains("https://"),
            "{ua}"
        );
    }
    // Nowhere in the report, the options' Debug, or the state database. (A token that no
    // data holds: the rows are stored LZ4-compressed, so their words appear in the file.)
    assert!(!serde_json::to_string(&r).unwrap().contains("Zq7xK2w"));
    assert!(!format!("{o:?}").contains("Zq7xK2w"));
    let db = std::fs::read(dir.path().join("state.sqlite")).unwrap();
    let wal = std::fs::read(dir.path().join("state.sqlite-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(!bytes.windows(7).any(|w| w == b"Zq7xK2w"));
    }
}

#[test]
fn the_rate_limit_holds_from_the_first_request() {
    // 4 a second, evenly: the opening requests (metadata, counts) included, which a
    // bursting limiter let through at once.
    let mock = fixture_mock();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&mock);
    o.sources = vec![datasets::by_name("secop2-contratos").unwrap()];
    o.client.rate_per_second = 4.0;
    let (r, _) = run(dir.path(), &o);
    assert!(r.error.is_none());
    let mut at: Vec<Instant> = mock.seen().iter().map(|s| s.at).collect();
    at.sort();
    assert!(at.len() >= 6, "{}", at.len());
    // Any 5 requests in a row span at least ≈ 1 s (4 gaps of 250 ms, minus timer slack).
    for w in at.windows(5) {
        let span = w[4].duration_since(w[0]);
        assert!(span >= Duration::from_millis(900), "{span:?}");
    }
}

#[test]
fn fault_429_with_retry_after_is_honoured() {
    let t = Instant::now();
    let (mock, r) = scenario(
        vec![
            Rule::new(Target::Page, 2, 1, Fault::Status(429, Some(1))),
            Rule::new(Target::Aggregate, 3, 1, Fault::Status(429, Some(1))),
        ],
        |_| {},
    );
    assert!(r.retries >= 2, "{}", r.retries);
    // Backoff alone is 10 ms here: the two waits of a second are Retry-After's.
    assert!(t.elapsed() >= Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(mock.seen().iter().filter(|s| s.status == 429).count() == 2);
}

#[test]
fn bursts_of_500_and_503() {
    let (_, r) = scenario(
        vec![
            Rule::new(Target::Any, 2, 3, Fault::Status(500, None)),
            Rule::new(Target::Page, 4, 4, Fault::Status(503, None)),
            Rule::new(Target::Aggregate, 9, 2, Fault::Status(502, None)),
        ],
        |_| {},
    );
    assert!(r.retries >= 9, "{}", r.retries);
}

#[test]
fn status_202_is_waited_for() {
    let (_, r) = scenario(
        vec![
            Rule::new(Target::Aggregate, 1, 2, Fault::Accepted),
            Rule::new(Target::Page, 3, 2, Fault::Accepted),
        ],
        |_| {},
    );
    assert!(r.retries >= 4);
}

#[test]
fn a_response_slower_than_the_timeout_is_retried() {
    let (_, r) = scenario(
        vec![Rule::new(
            Target::Page,
            2,
            1,
            Fault::Slow(Duration::from_secs(6)),
        )],
        |o| o.client.read_timeout = Duration::from_millis(1500),
    );
    assert!(r.retries >= 1);
}

#[test]
fn a_truncated_body_is_retried() {
    let (_, r) = scenario(
        vec![
            Rule::new(Target::Page, 1, 1, Fault::Truncate),
            Rule::new(Target::Page, 5, 2, Fault::Truncate),
            Rule::new(Target::Aggregate, 2, 1, Fault::Truncate),
        ],
        |_| {},
    );
    assert!(r.retries >= 4);
}

#[test]
fn a_dropped_connection_is_retried() {
    let (_, r) = scenario(
        vec![
            Rule::new(Target::Page, 2, 2, Fault::Drop),
            Rule::new(Target::Meta, 1, 1, Fault::Drop),
        ],
        |_| {},
    );
    assert!(r.retries >= 3);
}

#[test]
fn a_block_page_served_with_200_is_retried() {
    let (_, r) = scenario(vec![Rule::new(Target::Page, 3, 1, Fault::Html)], |_| {});
    assert!(r.retries >= 1);
}

#[test]
fn pages_cut_short_silently_are_not_taken_as_the_end() {
    // Some pages lose rows, and the server caps every page below the size asked for.
    let (mock, r) = scenario(vec![Rule::new(Target::Page, 2, 3, Fault::Short(7))], |_| {});
    assert_eq!(r.retries, 0);
    mock.shared
        .max_limit
        .store(150, std::sync::atomic::Ordering::Relaxed);
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = run(dir.path(), &options(&mock));
    assert!(r.error.is_none());
    assert_same_documents(&documents(dir.path()), baseline());
}

#[test]
fn small_windows_are_split_and_offsets_stay_shallow() {
    let (mock, r) = scenario(vec![], |o| {
        o.window_rows = 150;
        o.page_size = 60;
    });
    assert!(r.sources.iter().map(|s| s.windows).sum::<u64>() > 20);
    // Offsets never go deep in a window that could be split (a single day can hold more).
    let deepest = mock
        .seen()
        .iter()
        .filter_map(|s| s.query.get("$offset").and_then(|o| o.parse::<u64>().ok()))
        .max()
        .unwrap_or(0);
    assert!(deepest < 1000, "deepest offset {deepest}");
}

#[test]
fn rows_that_change_between_runs_are_updated() {
    let mock = fixture_mock();
    let dir = tempfile::tempdir().unwrap();
    let o = options(&mock);
    let (r1, _) = run(dir.path(), &o);
    assert!(r1.error.is_none());
    // Change the value of the newest SECOP II processes (inside the overlap window), as the
    // portal does when an entity edits a process.
    let mut changed = 0;
    mock.mutate("p6dx-8zbt", |rows| {
        let newest = rows
            .iter()
            .filter_map(|r| r["fecha_de_publicacion_del"].as_str().map(str::to_string))
            .max()
            .unwrap();
        for r in rows.iter_mut() {
            if r["fecha_de_publicacion_del"].as_str() == Some(newest.as_str()) {
                r.insert("precio_base".into(), Value::String("123456789".into()));
                changed += 1;
            }
        }
    });
    assert!(changed > 0);
    let (r2, _) = run(dir.path(), &o);
    assert!(r2.error.is_none());
    let p = r2
        .sources
        .iter()
        .find(|s| s.source == "secop2-procesos")
        .unwrap();
    assert!(p.changed > 0 && p.changed <= changed, "{p:?}");
    assert_eq!(p.new, 0);
    // The same documents as a fresh harvest of the changed data.
    let fresh = tempfile::tempdir().unwrap();
    run(fresh.path(), &o);
    assert_same_documents(&documents(dir.path()), &documents(fresh.path()));
    assert!(
        documents(dir.path())
            .values()
            .any(|d| d.contains("123456789"))
    );
}

#[test]
fn a_field_renamed_between_runs_is_warned_about_and_kept() {
    let mock = fixture_mock();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&mock);
    o.sources = vec![datasets::by_name("secop2-procesos").unwrap()];
    let (r1, c1) = run(dir.path(), &o);
    assert!(r1.error.is_none());
    // The fixture lacks a few of the portal's columns (empty in every row): said once,
    // compared with the known columns; no rename.
    let w1 = c1.warnings.lock().unwrap().join("\n");
    assert!(
        !w1.contains("renamed") && w1.contains("known columns"),
        "{w1}"
    );
    mock.rename_field("p6dx-8zbt", "precio_base", "precio_base_cop");
    let (r2, c2) = run(
        dir.path(),
        &HarvestOptions {
            full: true,
            ..o.clone()
        },
    );
    assert!(r2.error.is_none());
    let w = c2.warnings.lock().unwrap().join("\n");
    assert!(
        w.contains("\"precio_base\"") && w.contains("\"precio_base_cop\""),
        "{w}"
    );
    assert!(w.contains("renamed"), "{w}");
    let d = &r2.sources[0].drift;
    assert_eq!(
        d.renamed,
        vec![("precio_base".to_string(), "precio_base_cop".to_string())]
    );
    // Rows carrying the new name changed; the unknown field is kept in the raw row.
    assert!(r2.sources[0].changed > 0);
    let state = secop_bridge::state::State::open(dir.path()).unwrap();
    let key: String = state
        .conn()
        .query_row(
            "SELECT process_key FROM rows WHERE dataset = 'p6dx-8zbt' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let stored = state.rows_of(&key).unwrap();
    let row = stored[0].row().unwrap();
    assert!(
        row.get("precio_base_cop").is_some(),
        "{}",
        row.canonical_json()
    );
    // Equal to a fresh harvest of the renamed data.
    let fresh = tempfile::tempdir().unwrap();
    run(fresh.path(), &o);
    assert_same_documents(&documents(dir.path()), &documents(fresh.path()));
    // A third run compares with what the second saw: no more warnings.
    let (_, c3) = run(dir.path(), &o);
    assert!(c3.warnings.lock().unwrap().is_empty(), "{:?}", c3.warnings);
}

#[test]
fn a_renamed_date_field_stops_before_any_window() {
    // The field the windows are ranges of: a server that ignored it would hand every row
    // over as undated; the harvest says what happened and changes nothing.
    let mock = fixture_mock();
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&mock);
    o.sources = vec![datasets::by_name("secop2-procesos").unwrap()];
    let (r1, _) = run(dir.path(), &o);
    assert!(r1.error.is_none());
    let before = documents(dir.path());
    mock.rename_field(
        "p6dx-8zbt",
        "fecha_de_publicacion_del",
        "fecha_publicacion_proceso",
    );
    let (r2, _) = run(dir.path(), &o);
    let e = r2.error.unwrap_or_default();
    assert!(
        e.contains("\"fecha_de_publicacion_del\"")
            && e.contains("renamed to \"fecha_publicacion_proceso\"?")
            && e.contains("the index is unchanged"),
        "{e}"
    );
    assert_eq!(r2.sources[0].fetched, 0);
    assert_same_documents(&documents(dir.path()), &before);
}

#[test]
fn client_errors_stop_at_once_with_a_clear_message() {
    for (status, words) in [(403, "app token"), (400, "refused"), (401, "app token")] {
        let mock = fixture_mock();
        mock.set_faults(vec![Rule::new(
            Target::Aggregate,
            1,
            100,
            Fault::Status(status, None),
        )]);
        let dir = tempfile::tempdir().unwrap();
        let (r, _) = run(dir.path(), &options(&mock));
        let e = r.error.expect("stopped");
        assert!(e.contains(&status.to_string()) && e.contains(words), "{e}");
        assert_eq!(r.retries, 0, "{status} is not retried");
        assert_eq!(r.sources[0].status, "failed");
        assert!(r.sources[1..].iter().all(|s| s.status == "not run"));
        let state = secop_bridge::state::State::open(dir.path()).unwrap();
        let h = secop_bridge::state::harvest_summary(&state).unwrap();
        assert_eq!(h[0]["last_status"], "failed");
    }
    // A dataset the server does not have.
    let mock = Mock::start(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = run(dir.path(), &options(&mock));
    let e = r.error.unwrap();
    assert!(e.contains("404") && e.contains("--base-url"), "{e}");
}

#[test]
fn giving_up_saves_the_progress_and_the_next_run_resumes() {
    let mock = fixture_mock();
    mock.set_faults(vec![Rule::new(
        Target::Page,
        4,
        1000,
        Fault::Status(503, None),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&mock);
    o.client.max_attempts = 3;
    let (r, _) = run(dir.path(), &o);
    let e = r.error.clone().expect("gave up");
    assert!(
        e.contains("gave up after 3 attempts") && e.contains("503"),
        "{e}"
    );
    assert!(e.contains("run the same command again"), "{e}");
    let p = &r.sources[0];
    assert!(
        p.pages >= 1 && p.fetched > 0,
        "the pages before the outage are kept"
    );
    mock.set_faults(vec![]);
    let (r2, _) = run(dir.path(), &o);
    assert!(r2.error.is_none(), "{:?}", r2.error);
    assert!(r2.sources[0].resumed);
    assert_eq!(
        r.sources[0].fetched + r2.sources[0].fetched,
        1249,
        "no row read twice"
    );
    assert_same_documents(&documents(dir.path()), baseline());
}
