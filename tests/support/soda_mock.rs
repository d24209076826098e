//! A mock of datos.gov.co's SODA API for tests and the harvest benchmark.
//!
//! It serves rows held in memory (the real fixture rows) or generated on the fly (the
//! benchmark's million rows), with the SoQL the harvester speaks: `$where` date ranges and
//! `IS NULL`, `$order`, `$limit` (cut silently at a cap, like the real API), `$offset`,
//! `$select=count(*)` and `min`/`max`; `/api/views/<id>.json` metadata and the
//! `X-SODA2-Fields` header. A fault plan injects what the real API does on bad days: 429 with
//! `Retry-After`, 500/503 bursts, 202, slow answers, truncated bodies, dropped connections,
//! silently short pages and HTML block pages.
//!
//! It runs on its own thread and runtime, bound to 127.0.0.1:0, so synchronous tests can call
//! the harvester (which has its own runtime) directly.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDateTime;
use serde_json::{Map, Value};

/// What a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Pages of rows.
    Page,
    /// `count(*)`, `min`, `max`.
    Aggregate,
    /// `/api/views/<id>.json`.
    Meta,
    /// Any request.
    Any,
}

/// A bad answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, with an optional `Retry-After` in seconds.
    Status(u16, Option<u64>),
    /// 202 "still processing".
    Accepted,
    /// Wait this long, then answer normally.
    Slow(Duration),
    /// A complete HTTP answer whose JSON body is cut in half.
    Truncate,
    /// Half the body, then the connection drops.
    Drop,
    /// Only this many rows of the page, silently.
    Short(usize),
    /// A 200 HTML block page.
    Html,
}

/// `fault` for the `from`-th to the `from + count - 1`-th request of `target` (1-based,
/// counted per target since the rule was added).
#[derive(Debug, Clone)]
pub struct Rule {
    /// Which requests.
    pub target: Target,
    /// First request it hits.
    pub from: u64,
    /// How many in a row.
    pub count: u64,
    /// What happens.
    pub fault: Fault,
}

impl Rule {
    /// A rule.
    pub fn new(target: Target, from: u64, count: u64, fault: Fault) -> Rule {
        Rule {
            target,
            from,
            count,
            fault,
        }
    }
}

/// A window of rows in the table's order: `[start, end)`.
type Span = (usize, usize);

/// Rows a dataset serves, sorted by (event date, key), undated first.
pub trait Table: Send + Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Rows without a date (they come first).
    fn undated(&self) -> usize;
    /// The date of row `i` (undated rows: `None`).
    fn date(&self, i: usize) -> Option<NaiveDateTime>;
    /// Writes row `i` as a JSON object.
    fn write_row(&self, i: usize, out: &mut Vec<u8>);
    /// The field names.
    fn fields(&self) -> Vec<String>;
    /// The in-memory table, for tests that change rows.
    fn as_mem(&mut self) -> Option<&mut MemTable> {
        None
    }
}

/// Rows in memory.
pub struct MemTable {
    rows: Vec<(Option<NaiveDateTime>, String, Map<String, Value>)>,
    date_column: String,
    key: Vec<String>,
    /// Bumped by `reload`: the `:id` of every row changes, as when the publisher reloads.
    epoch: u64,
    rename: Vec<(String, String)>,
}

impl MemTable {
    /// A table from SODA JSON objects; `key` orders rows of the same date.
    pub fn new(objs: Vec<Map<String, Value>>, date_column: &str, key: &[&str]) -> MemTable {
        let mut t = MemTable {
            rows: objs.into_iter().map(|o| (None, String::new(), o)).collect(),
            date_column: date_column.to_string(),
            key: key.iter().map(|k| k.to_string()).collect(),
            epoch: 0,
            rename: Vec::new(),
        };
        t.resort();
        t
    }

    fn resort(&mut self) {
        for r in &mut self.rows {
            r.0 =
                r.2.get(&self.date_column)
                    .and_then(|v| v.as_str())
                    .and_then(parse_date);
            let k: Vec<String> = self
                .key
                .iter()
                .map(|c| r.2.get(c).map(cell).unwrap_or_default())
                .collect();
            r.1 = k.join("\u{1}");
        }
        self.rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Table for MemTable {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn undated(&self) -> usize {
        self.rows.partition_point(|r| r.0.is_none())
    }
    fn date(&self, i: usize) -> Option<NaiveDateTime> {
        self.rows[i].0
    }
    fn write_row(&self, i: usize, out: &mut Vec<u8>) {
        let mut o = self.rows[i].2.clone();
        for (from, to) in &self.rename {
            if let Some(v) = o.remove(from) {
                o.insert(to.clone(), v);
            }
        }
        o.insert(
            ":id".into(),
            Value::String(format!("row-{}-{i:06}", self.epoch)),
        );
        serde_json::to_writer(&mut *out, &o).expect("serialising to a Vec");
    }
    fn fields(&self) -> Vec<String> {
        let mut f: Vec<String> = Vec::new();
        for r in &self.rows {
            for k in r.2.keys() {
                let k = self
                    .rename
                    .iter()
                    .find(|(from, _)| from == k)
                    .map_or(k.clone(), |(_, to)| to.clone());
                if !f.contains(&k) {
                    f.push(k);
                }
            }
        }
        f
    }
    fn as_mem(&mut self) -> Option<&mut MemTable> {
        Some(self)
    }
}

/// Rows made on the fly from templates: row `i` is template `i % n` with its identifiers
/// numbered `base + i` and its event date spread evenly over a span. Memory is flat in the
/// number of rows.
pub struct GenTable {
    /// Each template split at its holes: text, then a hole, then text…
    templates: Vec<Vec<(Vec<u8>, Hole)>>,
    n: usize,
    start: NaiveDateTime,
    span_secs: i64,
    base: u64,
    fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    Number,
    Date,
    End,
}

const NUM_MARK: &str = "\u{1}N\u{1}";
const DATE_MARK: &str = "\u{1}D\u{1}";

impl GenTable {
    /// `templates` are rows whose varying values hold the marks [`GenTable::number`] (the
    /// row's number) and [`GenTable::date`] (its event date).
    pub fn new(
        templates: Vec<Map<String, Value>>,
        n: usize,
        start: NaiveDateTime,
        span: chrono::Duration,
        base: u64,
    ) -> GenTable {
        let mut fields: Vec<String> = Vec::new();
        let split = templates
            .iter()
            .map(|t| {
                for k in t.keys() {
                    if !fields.contains(k) {
                        fields.push(k.clone());
                    }
                }
                let text = serde_json::to_string(t).expect("serialising");
                let num = serde_json::to_string(NUM_MARK).expect("json");
                let num = &num[1..num.len() - 1];
                let date = serde_json::to_string(DATE_MARK).expect("json");
                let date = &date[1..date.len() - 1];
                let mut parts = Vec::new();
                let mut rest = text.as_str();
                loop {
                    let a = rest.find(num);
                    let b = rest.find(date);
                    let (pos, len, hole) = match (a, b) {
                        (Some(a), Some(b)) if a < b => (a, num.len(), Hole::Number),
                        (Some(_), Some(b)) => (b, date.len(), Hole::Date),
                        (Some(a), None) => (a, num.len(), Hole::Number),
                        (None, Some(b)) => (b, date.len(), Hole::Date),
                        (None, None) => {
                            parts.push((rest.as_bytes().to_vec(), Hole::End));
                            break;
                        }
                    };
                    parts.push((rest.as_bytes()[..pos].to_vec(), hole));
                    rest = &rest[pos + len..];
                }
                parts
            })
            .collect();
        GenTable {
            templates: split,
            n,
            start,
            span_secs: span.num_seconds().max(1),
            base,
            fields,
        }
    }

    /// Adds the dataset's columns to the fields the pages announce. SODA leaves a null
    /// field out of a JSON row but still lists it in `X-SODA2-Fields`, so fields that are
    /// null in every template (`fecha_adjudicacion`, the `fecha_de_publicacion_fase_*`)
    /// belong in the header too, or the harvester rightly warns of drift.
    #[allow(dead_code)] // used by the harvest benchmark only
    pub fn with_fields<'a>(mut self, columns: impl IntoIterator<Item = &'a str>) -> GenTable {
        for c in columns {
            if !self.fields.iter().any(|f| f == c) {
                self.fields.push(c.to_string());
            }
        }
        self
    }

    /// The mark for the row's number.
    pub fn number() -> &'static str {
        NUM_MARK
    }

    /// The mark for the row's event date.
    pub fn date_mark() -> &'static str {
        DATE_MARK
    }

    fn date_of(&self, i: usize) -> NaiveDateTime {
        let secs = (i as i128 * self.span_secs as i128 / self.n.max(1) as i128) as i64;
        // Whole days, as the real datasets mostly have.
        let day = secs - secs % 86_400;
        self.start + chrono::Duration::seconds(day)
    }
}

impl Table for GenTable {
    fn len(&self) -> usize {
        self.n
    }
    fn undated(&self) -> usize {
        0
    }
    fn date(&self, i: usize) -> Option<NaiveDateTime> {
        Some(self.date_of(i))
    }
    fn write_row(&self, i: usize, out: &mut Vec<u8>) {
        use std::io::Write;
        let t = &self.templates[i % self.templates.len()];
        for (text, hole) in t {
            out.extend_from_slice(text);
            match hole {
                Hole::Number => {
                    let _ = write!(out, "{}", self.base + i as u64);
                }
                Hole::Date => {
                    let _ = write!(out, "{}", self.date_of(i).format("%Y-%m-%dT%H:%M:%S.000"));
                }
                Hole::End => {}
            }
        }
    }
    fn fields(&self) -> Vec<String> {
        self.fields.clone()
    }
}

/// One dataset of the mock.
pub struct MockDataset {
    /// The Socrata id.
    pub id: String,
    /// The column `$where` filters on.
    pub date_column: String,
    /// The rows.
    pub table: RwLock<Box<dyn Table>>,
}

impl MockDataset {
    /// A dataset.
    pub fn new(id: &str, date_column: &str, table: Box<dyn Table>) -> MockDataset {
        MockDataset {
            id: id.to_string(),
            date_column: date_column.to_string(),
            table: RwLock::new(table),
        }
    }
}

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Path.
    pub path: String,
    /// Query parameters.
    pub query: HashMap<String, String>,
    /// The `X-App-Token` header.
    pub app_token: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The status answered (0 for a dropped connection).
    pub status: u16,
    /// When the request arrived.
    pub at: std::time::Instant,
}

/// State shared with the handlers.
pub struct Shared {
    datasets: HashMap<String, MockDataset>,
    rules: Mutex<Vec<Rule>>,
    counters: Mutex<HashMap<Target, u64>>,
    /// Every request.
    pub log: Mutex<Vec<Seen>>,
    /// Requests for rows without `$order` or not ordered by the date first.
    pub unordered: AtomicU64,
    /// Rows served.
    pub rows_served: AtomicU64,
    /// The `$limit` cap: a larger page is cut silently.
    pub max_limit: AtomicU64,
    /// Latency added to every page.
    pub page_delay_ms: AtomicU64,
    /// Keep a log of requests (off for the benchmark).
    pub keep_log: std::sync::atomic::AtomicBool,
}

/// A running mock.
pub struct Mock {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Mock {
    /// Starts a mock serving these datasets on 127.0.0.1:0.
    pub fn start(datasets: Vec<MockDataset>) -> Mock {
        let shared = Arc::new(Shared {
            datasets: datasets.into_iter().map(|d| (d.id.clone(), d)).collect(),
            rules: Mutex::default(),
            counters: Mutex::default(),
            log: Mutex::default(),
            unordered: AtomicU64::new(0),
            rows_served: AtomicU64::new(0),
            max_limit: AtomicU64::new(50_000),
            page_delay_ms: AtomicU64::new(0),
            keep_log: std::sync::atomic::AtomicBool::new(true),
        });
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/resource/{file}", get(resource))
            .route("/api/views/{file}", get(views))
            .with_state(shared.clone());
        let thread = std::thread::Builder::new()
            .name("soda-mock".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("mock runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(std_listener).expect("listener");
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
                rt.shutdown_timeout(Duration::from_millis(100));
            })
            .expect("mock thread");
        Mock {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL to give the harvester.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the fault plan (and restarts its counters).
    pub fn set_faults(&self, rules: Vec<Rule>) {
        *self.shared.rules.lock().unwrap() = rules;
        self.shared.counters.lock().unwrap().clear();
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Changes the rows of a dataset in memory (it must be a [`MemTable`]).
    pub fn mutate(&self, id: &str, f: impl FnOnce(&mut Vec<Map<String, Value>>)) {
        let ds = &self.shared.datasets[id];
        let mut t = ds.table.write().unwrap();
        let mem = t.as_mem().expect("an in-memory table");
        let mut objs: Vec<Map<String, Value>> = mem.rows.drain(..).map(|r| r.2).collect();
        f(&mut objs);
        mem.rows = objs.into_iter().map(|o| (None, String::new(), o)).collect();
        mem.resort();
    }

    /// Renames a field of a dataset (rows, metadata and headers).
    pub fn rename_field(&self, id: &str, from: &str, to: &str) {
        let ds = &self.shared.datasets[id];
        let mut t = ds.table.write().unwrap();
        t.as_mem()
            .expect("an in-memory table")
            .rename
            .push((from.into(), to.into()));
    }

    /// Gives every row a new `:id`, as a reload of the dataset upstream does.
    pub fn reload(&self, id: &str) {
        let ds = &self.shared.datasets[id];
        let mut t = ds.table.write().unwrap();
        t.as_mem().expect("an in-memory table").epoch += 1;
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn parse_date(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

fn soql_error(status: StatusCode, code: &str, msg: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        serde_json::json!({"code": code, "error": true, "message": msg}).to_string(),
    )
        .into_response()
}

/// The fault for this request, if the plan has one.
fn fault_for(sh: &Shared, target: Target) -> Option<Fault> {
    let rules = sh.rules.lock().unwrap();
    if rules.is_empty() {
        return None;
    }
    let mut counters = sh.counters.lock().unwrap();
    let n_t = {
        let c = counters.entry(target).or_default();
        *c += 1;
        *c
    };
    let n_any = {
        let c = counters.entry(Target::Any).or_default();
        *c += 1;
        *c
    };
    rules
        .iter()
        .find(|r| {
            let n = if r.target == Target::Any { n_any } else { n_t };
            (r.target == target || r.target == Target::Any) && n >= r.from && n < r.from + r.count
        })
        .map(|r| r.fault.clone())
}

fn log(
    sh: &Shared,
    path: String,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    status: u16,
) {
    if !sh.keep_log.load(Ordering::Relaxed) {
        return;
    }
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    sh.log.lock().unwrap().push(Seen {
        path,
        query: query.clone(),
        app_token: h("x-app-token"),
        user_agent: h("user-agent"),
        status,
        at: std::time::Instant::now(),
    });
}

/// Applies a fault that replaces the answer; `None` when the answer goes ahead (maybe after
/// a delay, maybe altered later).
async fn early_fault(fault: &Option<Fault>) -> Option<Response> {
    match fault {
        Some(Fault::Status(code, retry_after)) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = soql_error(status, "mock.fault", "injected fault");
            if let Some(s) = retry_after {
                r.headers_mut().insert(
                    "retry-after",
                    HeaderValue::from_str(&s.to_string()).unwrap(),
                );
            }
            Some(r)
        }
        Some(Fault::Accepted) => Some(
            (
                StatusCode::ACCEPTED,
                [("content-type", "application/json")],
                r#"{"message":"Your request is being processed"}"#,
            )
                .into_response(),
        ),
        Some(Fault::Html) => Some(
            (
                StatusCode::OK,
                [("content-type", "text/html")],
                "<html><body>Request blocked</body></html>",
            )
                .into_response(),
        ),
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(*d).await;
            None
        }
        _ => None,
    }
}

/// Sends a JSON body, cut or dropped when the fault says so.
fn json_body(fault: &Option<Fault>, body: Vec<u8>, fields: Option<&[String]>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(f) = fields
        && let Ok(v) = HeaderValue::from_str(&serde_json::to_string(f).unwrap())
    {
        headers.insert("x-soda2-fields", v);
    }
    match fault {
        Some(Fault::Truncate) => {
            let half = body.len() / 2;
            (StatusCode::OK, headers, Body::from(body[..half].to_vec())).into_response()
        }
        Some(Fault::Drop) => {
            let half = Bytes::from(body[..body.len() / 2].to_vec());
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected drop",
                )),
            ];
            (
                StatusCode::OK,
                headers,
                Body::from_stream(futures_util::stream::iter(chunks)),
            )
                .into_response()
        }
        _ => (StatusCode::OK, headers, Body::from(body)).into_response(),
    }
}

async fn views(
    State(sh): State<Arc<Shared>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let id = file.trim_end_matches(".json").to_string();
    let fault = fault_for(&sh, Target::Meta);
    let q = HashMap::new();
    if let Some(r) = early_fault(&fault).await {
        log(
            &sh,
            format!("/api/views/{file}"),
            &q,
            &headers,
            r.status().as_u16(),
        );
        return r;
    }
    let Some(ds) = sh.datasets.get(&id) else {
        log(&sh, format!("/api/views/{file}"), &q, &headers, 404);
        return soql_error(StatusCode::NOT_FOUND, "not_found", "Cannot find view");
    };
    let fields = ds.table.read().unwrap().fields();
    let cols: Vec<Value> = fields
        .iter()
        .map(|f| serde_json::json!({"fieldName": f, "name": f, "dataTypeName": "text"}))
        .collect();
    let body = serde_json::json!({"id": id, "name": id, "columns": cols}).to_string();
    log(&sh, format!("/api/views/{file}"), &q, &headers, 200);
    json_body(&fault, body.into_bytes(), None)
}

/// A body, its fields header (pages only) and its number of rows.
type Built = (Vec<u8>, Option<Vec<String>>, usize);

/// `$where` as the harvester writes it.
enum Filter {
    All,
    Null,
    Range(Option<NaiveDateTime>, Option<NaiveDateTime>),
}

fn parse_where(w: Option<&String>, date_column: &str) -> Result<Filter, String> {
    let Some(w) = w else {
        return Ok(Filter::All);
    };
    let w = w.trim();
    if w == format!("{date_column} IS NULL") {
        return Ok(Filter::Null);
    }
    let (mut lo, mut hi) = (None, None);
    for clause in w.split(" AND ") {
        let parts: Vec<&str> = clause.trim().splitn(3, ' ').collect();
        if parts.len() != 3 {
            return Err(format!("cannot read {clause:?}"));
        }
        if parts[0] != date_column {
            return Err(format!("No such column: {}", parts[0]));
        }
        let v = parts[2].trim_matches('\'');
        let d = parse_date(v).ok_or(format!("not a timestamp: {v}"))?;
        match parts[1] {
            ">=" => lo = Some(d),
            "<" => hi = Some(d),
            op => return Err(format!("operator {op} not supported by the mock")),
        }
    }
    Ok(Filter::Range(lo, hi))
}

fn span(t: &dyn Table, f: &Filter) -> Span {
    let n = t.len();
    let u = t.undated();
    match f {
        Filter::All => (0, n),
        Filter::Null => (0, u),
        Filter::Range(lo, hi) => {
            let first = |bound: NaiveDateTime| -> usize {
                // Dates are sorted from `u` on.
                let (mut a, mut b) = (u, n);
                while a < b {
                    let m = (a + b) / 2;
                    if t.date(m).expect("dated") < bound {
                        a = m + 1;
                    } else {
                        b = m;
                    }
                }
                a
            };
            let s = lo.map_or(u, first);
            let e = hi.map_or(n, first);
            (s, e.max(s))
        }
    }
}

async fn resource(
    State(sh): State<Arc<Shared>>,
    UrlPath(file): UrlPath<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let id = file.trim_end_matches(".json").to_string();
    let path = format!("/resource/{file}");
    let select = q.get("$select").map(|s| s.trim().to_string());
    let target = if select.is_some() {
        Target::Aggregate
    } else {
        Target::Page
    };
    let fault = fault_for(&sh, target);
    if let Some(r) = early_fault(&fault).await {
        log(&sh, path, &q, &headers, r.status().as_u16());
        return r;
    }
    let Some(ds) = sh.datasets.get(&id) else {
        log(&sh, path, &q, &headers, 404);
        return soql_error(StatusCode::NOT_FOUND, "not_found", "Cannot find dataset");
    };
    let filter = match parse_where(q.get("$where"), &ds.date_column) {
        Ok(f) => f,
        Err(e) => {
            log(&sh, path, &q, &headers, 400);
            return soql_error(StatusCode::BAD_REQUEST, "query.soql.invalid", &e);
        }
    };
    // Everything under the lock happens here, with no await inside.
    let built: Result<Built, Box<Response>> = (|| {
        let table = ds.table.read().unwrap();
        let (s, e) = span(&**table, &filter);
        if let Some(sel) = &select {
            let body = if sel == "count(*)" {
                serde_json::json!([{ "count": (e - s).to_string() }])
            } else if sel.starts_with("min(") {
                if e > s && table.date(e - 1).is_some() {
                    let first = (s..e).find(|i| table.date(*i).is_some()).unwrap_or(s);
                    let fmt = |d: Option<NaiveDateTime>| {
                        d.map(|d| d.format("%Y-%m-%dT%H:%M:%S.000").to_string())
                    };
                    serde_json::json!([{ "lo": fmt(table.date(first)), "hi": fmt(table.date(e - 1)) }])
                } else {
                    serde_json::json!([{}])
                }
            } else {
                return Err(Box::new(soql_error(
                    StatusCode::BAD_REQUEST,
                    "query.soql.invalid",
                    "unsupported $select",
                )));
            };
            return Ok((body.to_string().into_bytes(), None, 0));
        }
        let ordered = q
            .get("$order")
            .is_some_and(|o| o.split(',').next().map(str::trim) == Some(ds.date_column.as_str()));
        if !ordered {
            sh.unordered.fetch_add(1, Ordering::Relaxed);
        }
        let limit: usize = q.get("$limit").and_then(|v| v.parse().ok()).unwrap_or(1000);
        let limit = limit.min(sh.max_limit.load(Ordering::Relaxed) as usize);
        let offset: usize = q.get("$offset").and_then(|v| v.parse().ok()).unwrap_or(0);
        let a = (s + offset).min(e);
        let mut b = (a + limit).min(e);
        if let Some(Fault::Short(n)) = fault {
            b = b.min(a + n);
        }
        let mut body = Vec::with_capacity((b - a) * 2600 + 2);
        body.push(b'[');
        for i in a..b {
            if i > a {
                body.extend_from_slice(b",\n");
            }
            table.write_row(i, &mut body);
        }
        body.extend_from_slice(b"]\n");
        Ok((body, Some(table.fields()), b - a))
    })();
    let (body, fields, rows) = match built {
        Ok(b) => b,
        Err(r) => {
            log(&sh, path, &q, &headers, r.status().as_u16());
            return *r;
        }
    };
    if fields.is_none() {
        log(&sh, path, &q, &headers, 200);
        return json_body(&fault, body, None);
    }
    sh.rows_served.fetch_add(rows as u64, Ordering::Relaxed);
    let delay = sh.page_delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    log(
        &sh,
        path,
        &q,
        &headers,
        if matches!(fault, Some(Fault::Drop)) {
            0
        } else {
            200
        },
    );
    json_body(&fault, body, fields.as_deref())
}

// ---------------------------------------------------------------------------------------
// The fixture rows, as the real API serves them.

/// Reads a gzipped file to text.
fn gunzip(path: &Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(f)
        .read_to_string(&mut s)
        .expect("gzip");
    s
}

/// SECOP II processes (p6dx-8zbt), from the JSON-lines fixture.
pub fn p6dx_rows(root: &Path) -> Vec<Map<String, Value>> {
    gunzip(&root.join("fixtures/secop2/procesos.p6dx-8zbt.jsonl.gz"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect()
}

/// SECOP I processes (f789-7hwg), from the JSON-array fixture.
pub fn f789_rows(root: &Path) -> Vec<Map<String, Value>> {
    serde_json::from_str(&gunzip(
        &root.join("fixtures/secop1/procesos.f789-7hwg.json.gz"),
    ))
    .expect("fixture array")
}

/// SECOP II contracts (jbjy-vk9h): the API-named CSV fixture turned into SODA JSON (empty
/// cells left out, the URL as `{"url": …}`, dates as floating timestamps).
pub fn jbjy_rows(root: &Path) -> Vec<Map<String, Value>> {
    let mut rd = csv::Reader::from_path(root.join("fixtures/secop2/contratos.jbjy-vk9h.csv"))
        .expect("contracts fixture");
    let headers = rd.headers().expect("header").clone();
    rd.records()
        .map(|r| {
            let r = r.expect("csv record");
            let mut o = Map::new();
            for (h, v) in headers.iter().zip(r.iter()) {
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                let val = if h == "urlproceso" {
                    let url = v
                        .trim_start_matches("{'url': '")
                        .trim_end_matches("'}")
                        .to_string();
                    serde_json::json!({ "url": url })
                } else if let Ok(d) = NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S") {
                    Value::String(d.format("%Y-%m-%dT%H:%M:%S.000").to_string())
                } else {
                    Value::String(v.to_string())
                };
                o.insert(h.to_string(), val);
            }
            o
        })
        .collect()
}

/// The four datasets from the fixtures: SECOP I rows are split between `f789-7hwg` and the
/// history `qddk-cgux` (same schema) by constancia, so that both are exercised.
pub fn fixture_datasets(root: &Path) -> Vec<MockDataset> {
    let s1 = f789_rows(root);
    let (hist, recent): (Vec<_>, Vec<_>) = s1.into_iter().partition(|r| {
        r.get("numero_de_constancia")
            .and_then(|v| v.as_str())
            .is_some_and(|c| c.bytes().map(u32::from).sum::<u32>() % 4 == 0)
    });
    vec![
        MockDataset::new(
            "p6dx-8zbt",
            "fecha_de_publicacion_del",
            Box::new(MemTable::new(
                p6dx_rows(root),
                "fecha_de_publicacion_del",
                &["id_del_proceso", "id_adjudicacion"],
            )),
        ),
        MockDataset::new(
            "jbjy-vk9h",
            "fecha_de_firma",
            Box::new(MemTable::new(
                jbjy_rows(root),
                "fecha_de_firma",
                &["id_contrato"],
            )),
        ),
        MockDataset::new(
            "f789-7hwg",
            "fecha_de_cargue_en_el_secop",
            Box::new(MemTable::new(
                recent,
                "fecha_de_cargue_en_el_secop",
                &["numero_de_constancia", "id_adjudicacion"],
            )),
        ),
        MockDataset::new(
            "qddk-cgux",
            "fecha_de_cargue_en_el_secop",
            Box::new(MemTable::new(
                hist,
                "fecha_de_cargue_en_el_secop",
                &["numero_de_constancia", "id_adjudicacion"],
            )),
        ),
    ]
}
