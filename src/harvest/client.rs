//! The SODA client: one polite HTTP client for datos.gov.co's API.
//!
//! Every request goes through the same door: a rate limiter (governor), a cap on requests in
//! flight, connect and read timeouts, and a retry loop with jittered exponential backoff that
//! honours `Retry-After` up to a cap. What is retried: 202 (Socrata is still preparing the
//! answer), 408, 425, 429, every 5xx, connection errors, resets and timeouts, and a body that
//! is not the JSON we asked for (cut short, or a block page served with 200). What stops at
//! once, with a message a person can act on: 400, 401, 403, 404 and the other 4xx.
//!
//! The app token travels in the `X-App-Token` header only; it is never printed, logged or
//! shown by `Debug`.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use tokio::sync::Semaphore;

use crate::{Error, Result};

/// The real portal.
pub const DEFAULT_BASE_URL: &str = "https://www.datos.gov.co";

/// The User-Agent: the tool, its version and its homepage.
pub fn user_agent() -> String {
    format!(
        "secop-bridge/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_HOMEPAGE")
    )
}

/// A Socrata app token. Its text never leaves this type except as the request header.
#[derive(Clone)]
pub struct AppToken(String);

impl AppToken {
    /// Wraps a token; an empty or blank one is `None`.
    pub fn new(token: impl Into<String>) -> Option<AppToken> {
        let t = token.into().trim().to_string();
        (!t.is_empty()).then_some(AppToken(t))
    }
}

impl fmt::Debug for AppToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppToken(<redacted>)")
    }
}

/// How the client behaves. [`ClientConfig::default`] is polite to the real portal.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL of the portal, without a trailing slash (`https://www.datos.gov.co`).
    pub base_url: String,
    /// App token, sent as `X-App-Token` (raises Socrata's throttling limits).
    pub app_token: Option<AppToken>,
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// Longest silence while waiting for or reading a response.
    pub read_timeout: Duration,
    /// Longest time for one whole attempt, body included.
    pub request_timeout: Duration,
    /// Attempts per request before giving up (at least 1).
    pub max_attempts: u32,
    /// First backoff delay; it doubles at each attempt, with jitter.
    pub backoff_base: Duration,
    /// Longest backoff delay.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured; longer asks are cut to this.
    pub retry_after_cap: Duration,
    /// Requests per second (0 means no limit).
    pub rate_per_second: f64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The User-Agent header.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            app_token: None,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(90),
            request_timeout: Duration::from_secs(600),
            max_attempts: 8,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            retry_after_cap: Duration::from_secs(300),
            rate_per_second: 4.0,
            concurrency: 2,
            user_agent: user_agent(),
        }
    }
}

/// What one request is for; names it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `/api/views/<id>.json`.
    Metadata,
    /// `$select=count(*)` or `min`/`max`.
    Aggregate,
    /// A page of rows.
    Page,
}

/// A response body that parsed, with the headers that matter to the harvest.
#[derive(Debug)]
pub struct Response<T> {
    /// The parsed body.
    pub body: T,
    /// `X-SODA2-Fields`: the dataset's field names, when the server sent them.
    pub fields: Option<Vec<String>>,
}

/// Counters shared by all requests of a client.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests sent (attempts).
    pub requests: AtomicU64,
    /// Attempts that were retried.
    pub retries: AtomicU64,
    /// Body bytes received.
    pub bytes: AtomicU64,
}

/// Why an attempt failed.
enum Attempt {
    /// Worth another try, after at least this long (a `Retry-After`).
    Retry {
        why: String,
        after: Option<Duration>,
    },
    /// Retrying cannot help.
    Fatal(String),
}

/// The client. Cheap to clone (shares the connection pool, limiter and counters).
#[derive(Clone)]
pub struct SodaClient {
    http: reqwest::Client,
    cfg: Arc<ClientConfig>,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    slots: Arc<Semaphore>,
    /// Counters.
    pub stats: Arc<Stats>,
    retry_log: Arc<dyn Fn(&str) + Send + Sync>,
}

impl fmt::Debug for SodaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SodaClient")
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl SodaClient {
    /// A client for this configuration.
    pub fn new(cfg: ClientConfig) -> Result<SodaClient> {
        let base = cfg.base_url.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| Error::bad_request(format!("--base-url {base:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::bad_request(format!(
                "--base-url {base:?} must start with http:// or https://"
            )));
        }
        let mut headers = HeaderMap::new();
        headers.insert("Accept", HeaderValue::from_static("application/json"));
        if let Some(t) = &cfg.app_token {
            let mut v = HeaderValue::from_str(&t.0).map_err(|_| {
                Error::bad_request("the app token holds characters a header cannot carry")
            })?;
            v.set_sensitive(true);
            headers.insert("X-App-Token", v);
        }
        let http = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.read_timeout)
            .timeout(cfg.request_timeout)
            .pool_max_idle_per_host(cfg.concurrency.max(1))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::Other(format!("cannot build the HTTP client: {e}")))?;
        let limiter = rate_quota(cfg.rate_per_second).map(|q| Arc::new(RateLimiter::direct(q)));
        let slots = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
        let mut cfg = cfg;
        cfg.base_url = base;
        Ok(SodaClient {
            http,
            cfg: Arc::new(cfg),
            limiter,
            slots,
            stats: Arc::new(Stats::default()),
            retry_log: Arc::new(|why| tracing::info!("{why}")),
        })
    }

    /// Calls `f` with a line for a person each time a request is retried.
    pub fn on_retry(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> SodaClient {
        self.retry_log = Arc::new(f);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The rows endpoint of a dataset.
    pub fn resource_url(&self, dataset: &str) -> String {
        format!("{}/resource/{dataset}.json", self.cfg.base_url)
    }

    /// The metadata endpoint of a dataset.
    pub fn metadata_url(&self, dataset: &str) -> String {
        format!("{}/api/views/{dataset}.json", self.cfg.base_url)
    }

    /// GETs `url` with `query`, retrying what is worth retrying, and parses the body with
    /// `parse` (a body that does not parse is retried like a dropped connection).
    pub async fn get<T>(
        &self,
        purpose: Purpose,
        url: &str,
        query: &[(&str, String)],
        parse: impl Fn(&[u8]) -> std::result::Result<T, String>,
    ) -> Result<Response<T>> {
        let what = describe(purpose, url, query);
        let max = self.cfg.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=max {
            if let Some(l) = &self.limiter {
                l.until_ready().await;
            }
            let outcome = {
                let _slot = self
                    .slots
                    .acquire()
                    .await
                    .map_err(|_| Error::Other("the HTTP client was shut down".into()))?;
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                self.attempt(url, query, &parse).await
            };
            let (why, after) = match outcome {
                Ok(r) => return Ok(r),
                Err(Attempt::Fatal(msg)) => {
                    return Err(Error::Remote(format!("{what}: {msg}")));
                }
                Err(Attempt::Retry { why, after }) => (why, after),
            };
            last = why;
            if attempt == max {
                break;
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            let backoff = self.backoff(attempt);
            let wait = match after {
                Some(a) => a.min(self.cfg.retry_after_cap).max(backoff / 4),
                None => backoff,
            };
            (self.retry_log)(&format!(
                "{what}: {last}; retrying in {:.1}s (attempt {}/{max})",
                wait.as_secs_f64(),
                attempt + 1
            ));
            tokio::time::sleep(wait).await;
        }
        Err(Error::Remote(format!(
            "{what}: gave up after {max} attempts; last error: {last}. The progress is saved: run the same command again to resume"
        )))
    }

    async fn attempt<T>(
        &self,
        url: &str,
        query: &[(&str, String)],
        parse: &impl Fn(&[u8]) -> std::result::Result<T, String>,
    ) -> std::result::Result<Response<T>, Attempt> {
        let mut u =
            reqwest::Url::parse(url).map_err(|e| Attempt::Fatal(format!("bad URL: {e}")))?;
        if !query.is_empty() {
            u.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let resp = self.http.get(u).send().await.map_err(|e| Attempt::Retry {
            why: transport_error(&e),
            after: None,
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if status == StatusCode::ACCEPTED {
            // Socrata is still preparing the answer; the body is a progress note.
            return Err(Attempt::Retry {
                why: "202 Accepted (the server is still processing the query)".into(),
                after: retry_after,
            });
        }
        if !status.is_success() {
            let body = resp.bytes().await.unwrap_or_default();
            let msg = error_message(status, &body);
            return Err(if retryable(status) {
                Attempt::Retry {
                    why: msg,
                    after: retry_after,
                }
            } else {
                Attempt::Fatal(fatal_hint(status, msg))
            });
        }
        let body = resp.bytes().await.map_err(|e| Attempt::Retry {
            why: transport_error(&e),
            after: None,
        })?;
        self.stats
            .bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        let looks_html = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("html"));
        let parsed = parse(&body).map_err(|e| Attempt::Retry {
            why: if looks_html {
                "got an HTML page instead of JSON (a block or maintenance page?)".into()
            } else {
                format!(
                    "the response is not complete JSON ({} bytes): {e}",
                    body.len()
                )
            },
            after: None,
        })?;
        let fields = headers
            .get("X-SODA2-Fields")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok());
        Ok(Response {
            body: parsed,
            fields,
        })
    }

    /// Jittered exponential backoff before attempt `attempt + 1`: a random delay between
    /// half and all of `base · 2^(attempt-1)`, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .cfg
            .backoff_base
            .saturating_mul(1u32 << (attempt - 1).min(20));
        let d = exp.min(self.cfg.backoff_max);
        let half = d / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter)
    }
}

/// The governor quota for a rate in requests per second; `None` for no limit. Requests
/// are spaced evenly, without a burst: `Quota::per_second(4)` alone lets 4 go at once and
/// 4 more within the first second, so a harvest's opening requests (metadata, counts)
/// went at twice the rate asked.
fn rate_quota(rate: f64) -> Option<Quota> {
    if rate.is_nan() || rate <= 0.0 || !rate.is_finite() {
        return None;
    }
    let period = if rate >= 1.0 {
        let n = NonZeroU32::new(rate.round().min(u32::MAX as f64) as u32)?;
        Duration::from_secs(1) / n.get()
    } else {
        Duration::from_secs_f64(1.0 / rate)
    };
    Quota::with_period(period).map(|q| q.allow_burst(NonZeroU32::MIN))
}

fn retryable(s: StatusCode) -> bool {
    matches!(s.as_u16(), 408 | 425 | 429) || s.is_server_error()
}

fn transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection dropped while reading the response"
    } else {
        "request failed"
    };
    // The error's own text names the URL (never the token, which is a header).
    let mut msg = format!("{kind}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The status and Socrata's own message (`{"message": …}`), cut short and on one line.
fn error_message(status: StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let detail = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str().map(str::to_string))
                .or_else(|| v.get("error").map(|e| e.to_string()))
        })
        .unwrap_or_else(|| text.into_owned());
    let one_line: String = detail
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    let one_line = one_line.trim();
    if one_line.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {one_line}")
    }
}

fn fatal_hint(status: StatusCode, msg: String) -> String {
    let hint = match status.as_u16() {
        400 => "the query was refused; this is a bug in secop or the dataset changed its columns",
        401 | 403 => {
            "access refused; check the app token (--app-token or SECOP_APP_TOKEN) or leave it out"
        }
        404 => "not found; check --base-url and that the dataset still exists",
        _ => "not retried",
    };
    format!("{msg} ({hint})")
}

fn describe(purpose: Purpose, url: &str, query: &[(&str, String)]) -> String {
    let what = match purpose {
        Purpose::Metadata => "metadata",
        Purpose::Aggregate => "count",
        Purpose::Page => "page",
    };
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if q.is_empty() {
        format!("{what} {url}")
    } else {
        format!("{what} {url}?{}", q.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_shows_in_debug() {
        let t = AppToken::new("s3cr3t-token").unwrap();
        assert!(!format!("{t:?}").contains("s3cr3t"));
        let cfg = ClientConfig {
            app_token: Some(t),
            ..ClientConfig::default()
        };
        assert!(!format!("{cfg:?}").contains("s3cr3t"));
        let c = SodaClient::new(cfg).unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(AppToken::new("  ").is_none());
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let c = SodaClient::new(ClientConfig {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            ..ClientConfig::default()
        })
        .unwrap();
        for _ in 0..50 {
            let b1 = c.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            let b10 = c.backoff(10);
            assert!(b10 >= Duration::from_millis(500) && b10 <= Duration::from_secs(1));
        }
    }

    #[test]
    fn statuses() {
        for s in [408, 425, 429, 500, 502, 503, 504] {
            assert!(retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 410] {
            assert!(!retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        let m = error_message(
            StatusCode::BAD_REQUEST,
            br#"{"code":"query.soql.no-such-column","message":"No such column: foo"}"#,
        );
        assert_eq!(m, "HTTP 400 Bad Request: No such column: foo");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for u in ["datos.gov.co", "ftp://x", ""] {
            let cfg = ClientConfig {
                base_url: u.into(),
                ..ClientConfig::default()
            };
            assert!(SodaClient::new(cfg).is_err(), "{u}");
        }
    }
}
