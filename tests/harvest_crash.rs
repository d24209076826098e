//! SIGKILL the real `secop harvest` at many random points, resume each time, and compare the
//! final documents with those of an uninterrupted run: none lost, none duplicated.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use support::harvest_util::{assert_same_documents, documents, fixture_mock};
use support::soda_mock::Mock;

fn harvest_cmd(dir: &Path, mock: &Mock) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secop"));
    c.args(["--data-dir"])
        .arg(dir)
        .args(["harvest", "--base-url", &mock.url()])
        .args([
            "--page-size",
            "150",
            "--rate",
            "0",
            "--backoff-ms",
            "10",
            "--json",
        ])
        .env_remove("SECOP_APP_TOKEN")
        .env("SECOP_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

#[test]
fn sigkill_at_random_points_then_resume_gives_the_uninterrupted_result() {
    let seed: u64 = std::env::var("SECOP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20260425);
    let kills: usize = std::env::var("SECOP_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    eprintln!("crash test: seed {seed}, {kills} kills (SECOP_CRASH_SEED, SECOP_CRASH_KILLS)");
    let mock = fixture_mock();
    // A little latency per page so that a run lasts long enough to be cut anywhere.
    mock.shared
        .page_delay_ms
        .store(15, std::sync::atomic::Ordering::Relaxed);

    // The uninterrupted run.
    let clean = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let st = harvest_cmd(clean.path(), &mock).status().unwrap();
    assert!(st.success());
    let took = t.elapsed();
    eprintln!("uninterrupted run: {took:?}");
    let want = documents(clean.path());
    assert!(want.len() > 1000);

    // The same harvest, killed again and again.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // Each run resumes where the last was killed, so the kill points are spread over the
    // whole harvest: a random share of a clean run's time, such that the kills together
    // cover about twice the harvest (some land in the incremental re-runs at the end).
    let mut landed = 0;
    let mut attempts = 0;
    while landed < kills {
        attempts += 1;
        assert!(
            attempts < kills * 4,
            "the kills keep missing: {landed} landed"
        );
        let mut child = harvest_cmd(dir.path(), &mock).spawn().unwrap();
        let share = rng.random_range(0.0..2.0 / kills as f64 * 2.0);
        let at = Duration::from_secs_f64(took.as_secs_f64() * share);
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            landed += 1;
            eprintln!("kill {landed}: after {at:?}");
        }
    }
    let st = harvest_cmd(dir.path(), &mock).status().unwrap();
    assert!(st.success(), "the resumed harvest failed");
    assert_same_documents(&documents(dir.path()), &want);

    // And the state agrees: the same rows, every source done.
    let rows = |d: &Path| {
        let s = secop_bridge::state::State::open(d).unwrap();
        s.rows_per_dataset().unwrap()
    };
    assert_eq!(rows(dir.path()), rows(clean.path()));
    let s = secop_bridge::state::State::open(dir.path()).unwrap();
    let h = secop_bridge::state::harvest_summary(&s).unwrap();
    for src in h.as_array().unwrap() {
        assert_eq!(src["last_status"], "ok", "{src}");
    }
    drop(s);
    // `secop stats` shows each source's watermark, and the killed runs without a `null`.
    let out = Command::new(env!("CARGO_BIN_EXE_secop"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("stats")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("null"), "{text}");
    assert!(
        text.contains("(no counts saved: the run was stopped)"),
        "{text}"
    );
    for src in h.as_array().unwrap() {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(src["source"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains(src["watermark"].as_str().unwrap()), "{line}");
    }
}
