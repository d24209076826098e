//! Shared helpers for the integration tests: run the real binary, build a data directory
//! from the bundled fixtures once per test binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Runs `secop --data-dir DIR ARGS…`.
pub fn secop(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_secop"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("SECOP_DATA_DIR")
        .output()
        .expect("the secop binary runs")
}

/// Runs and returns stdout, failing the test with stderr when the command fails.
pub fn secop_ok(dir: &Path, args: &[&str]) -> String {
    let out = secop(dir, args);
    assert!(
        out.status.success(),
        "secop {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs with `--json` appended and parses stdout.
pub fn secop_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&secop_ok(dir, &a)).expect("JSON output")
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every fixture data file (not the pages or references), sorted.
pub fn fixture_files() -> Vec<PathBuf> {
    let r = root().join("fixtures");
    let mut v = vec![
        r.join("secop1/procesos.f789-7hwg.json.gz"),
        r.join("secop2/procesos.p6dx-8zbt.jsonl.gz"),
        r.join("secop2/procesos-adjudicados.p6dx-8zbt.csv.gz"),
        r.join("secop2/contratos.jbjy-vk9h.csv"),
        r.join("secop2/web-export/contratos.ANTIOQUIA-ABEJORRAL.csv"),
        r.join("secop2/web-export/contratos.VAUPES-MITU.csv"),
    ];
    v.sort();
    v
}

/// Imports every fixture into a new data directory.
pub fn import_fixtures(dir: &Path) {
    let files: Vec<String> = fixture_files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    secop_ok(dir, &args);
}

/// A data directory with all fixtures imported, shared by the tests of one binary. Tests
/// must not write to it.
pub fn demo_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().expect("temp dir");
        import_fixtures(d.path());
        d
    })
    .path()
}

/// Writes a file into a directory and returns its path.
pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write test file");
    p
}

/// The keys of the hits of a `search --json` result.
pub fn keys(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["process"]["key"].as_str().expect("key").to_string())
        .collect()
}

/// A server on 127.0.0.1:0 over a data directory, in its own runtime thread. Dropping
/// it shuts the server down.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// The body of `GET path` (a page or an answer), whatever its status.
    pub fn text(&self, path: &str) -> String {
        http()
            .get(format!("{}{path}", self.url))
            .send()
            .expect("a response")
            .text()
            .expect("a body")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Starts a server over `dir` with settings changed by `config`.
pub fn serve(dir: &Path, config: impl FnOnce(&mut secop_bridge::http::Config)) -> Server {
    use secop_bridge::http::{AppState, Config, run};
    let index = secop_bridge::index::SecopIndex::open(dir).expect("open the index");
    let mut c = Config::new(dir.to_path_buf());
    config(&mut c);
    let state = AppState::new(secop_bridge::query::Engine::new(index), c);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            addr_tx
                .send(l.local_addr().expect("address"))
                .expect("send");
            run(l, state, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
    });
    let addr = addr_rx.recv().expect("the server starts");
    Server {
        url: format!("http://{addr}"),
        stop: Some(tx),
    }
}

/// A blocking HTTP client with a timeout.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("a client")
}

/// Kills a child process when dropped.
pub struct Guard(pub std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `secop serve --addr 127.0.0.1:0` as a person runs it: its URL from the line it prints,
/// and the lines it printed before.
pub fn start_secop(dir: &Path) -> (Guard, String, Vec<String>) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_secop"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("secop serve starts");
    let stderr = child.stderr.take().unwrap();
    let guard = Guard(child);
    let mut lines = BufReader::new(stderr).lines();
    let mut before = Vec::new();
    let url = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("secop serve exited before serving: {before:?}"))
            .unwrap();
        if let Some(rest) = line.split("on http://").nth(1) {
            let addr = rest.split('/').next().unwrap();
            break format!("http://{addr}");
        }
        before.push(line);
    };
    // Keep draining its stderr so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (guard, url, before)
}
