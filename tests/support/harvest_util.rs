//! Helpers shared by the harvest tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secop_bridge::harvest::{ClientConfig, HarvestOptions, HarvestReport, Observer, harvest};
use secop_bridge::index::SecopIndex;
use secop_bridge::query::{Engine, Search};

use super::soda_mock::{Mock, fixture_datasets};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A mock serving the fixture rows.
pub fn fixture_mock() -> Mock {
    Mock::start(fixture_datasets(&root()))
}

/// Options for a quick harvest against a mock: small pages, short backoff, no rate limit.
pub fn options(mock: &Mock) -> HarvestOptions {
    HarvestOptions {
        page_size: 200,
        client: ClientConfig {
            base_url: mock.url(),
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(200),
            read_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(20),
            rate_per_second: 0.0,
            concurrency: 2,
            max_attempts: 6,
            ..ClientConfig::default()
        },
        ..HarvestOptions::default()
    }
}

/// Collects warnings and notes.
#[derive(Default)]
pub struct Collect {
    /// Warnings, in order.
    pub warnings: Mutex<Vec<String>>,
    /// Notes (retries, splits).
    pub notes: Mutex<Vec<String>>,
}

impl Observer for Collect {
    fn warn(&self, msg: &str) {
        self.warnings.lock().unwrap().push(msg.to_string());
    }
    fn note(&self, _source: &str, msg: &str) {
        self.notes.lock().unwrap().push(msg.to_string());
    }
}

/// Runs a harvest and returns its report and what it said.
pub fn run(dir: &Path, opts: &HarvestOptions) -> (HarvestReport, Arc<Collect>) {
    let c = Arc::new(Collect::default());
    let r = harvest(dir, opts, c.clone()).expect("harvest ran");
    (r, c)
}

/// Every document of the index: process key → the process as JSON.
pub fn documents(dir: &Path) -> BTreeMap<String, String> {
    let index = SecopIndex::open(dir).expect("index");
    index.reader.reload().expect("reload");
    let engine = Engine::new(index);
    let mut out = BTreeMap::new();
    let mut dups = Vec::new();
    engine
        .for_each(&Search::default(), |p| {
            let json = serde_json::to_string(&p).expect("json");
            if out.insert(p.key.clone(), json).is_some() {
                dups.push(p.key.clone());
            }
            Ok(())
        })
        .expect("for_each");
    assert!(dups.is_empty(), "duplicated documents: {dups:?}");
    out
}

/// Asserts two document sets are equal, naming the first differences.
pub fn assert_same_documents(got: &BTreeMap<String, String>, want: &BTreeMap<String, String>) {
    let missing: Vec<&String> = want
        .keys()
        .filter(|k| !got.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<&String> = got
        .keys()
        .filter(|k| !want.contains_key(*k))
        .take(5)
        .collect();
    let differ: Vec<&String> = want
        .iter()
        .filter(|(k, v)| got.get(*k).is_some_and(|g| g != *v))
        .map(|(k, _)| k)
        .take(5)
        .collect();
    if let Some(k) = differ.first() {
        eprintln!("got  {}\nwant {}", got[*k], want[*k]);
    }
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "documents differ: {} got, {} wanted; missing {missing:?}, extra {extra:?}, different {differ:?}",
        got.len(),
        want.len()
    );
}
