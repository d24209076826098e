//! The polite HTTP client: one request at a time, at most one every interval (2 s by
//! default, longer when robots.txt asks for a `Crawl-delay`), robots.txt obeyed, a
//! User-Agent that names the tool, bounded time and size for every answer.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::Url;

use super::block::{self, BlockKind, Verdict};
use super::page::DetailPage;
use crate::{Error, Result};

/// The product token robots.txt rules are matched against.
pub const ROBOTS_AGENT: &str = "secop-bridge";

/// The User-Agent header: the tool, its version and where to read about it.
pub fn user_agent() -> String {
    format!(
        "{ROBOTS_AGENT}/{} (+{}; SECOP I detail enrichment, one request every few seconds)",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// How polite the client is. [`Politeness::default`] is what the CLI uses.
#[derive(Debug, Clone)]
pub struct Politeness {
    /// The least time between two requests (default 2 s).
    pub interval: Duration,
    /// Time limit of one request, connection included (default 30 s).
    pub timeout: Duration,
    /// The largest answer read; longer ones are cut and treated as truncated (default 8 MiB).
    pub max_bytes: usize,
    /// The User-Agent header.
    pub user_agent: String,
}

impl Default for Politeness {
    fn default() -> Self {
        Politeness {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(30),
            max_bytes: 8 << 20,
            user_agent: user_agent(),
        }
    }
}

/// One answer, read to the end or to the size bound.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// What the server asked us to wait (`Retry-After` in seconds), if anything.
    pub retry_after: Option<Duration>,
    /// The body (at most `max_bytes`).
    pub body: Vec<u8>,
    /// True when the body was longer than the bound and was cut.
    pub cut: bool,
}

/// What robots.txt says about this tool.
#[derive(Debug)]
pub enum Robots {
    /// Rules to follow, kept by the fetcher (false when the site has no robots.txt, which
    /// allows everything).
    Rules(bool),
    /// robots.txt could not be read (5xx or no connection): RFC 9309 says assume
    /// everything is disallowed.
    Unreachable(String),
    /// The portal answered robots.txt with a block page.
    Blocked(BlockKind),
}

/// The polite client of one site.
pub struct Fetcher {
    client: reqwest::Client,
    base: Url,
    limiter: Option<DefaultDirectRateLimiter>,
    robots: Option<texting_robots::Robot>,
    politeness: Politeness,
}

fn limiter(interval: Duration) -> Option<DefaultDirectRateLimiter> {
    Quota::with_period(interval)
        .map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::new(1).expect("one"))))
}

impl Fetcher {
    /// A client of the site at `base_url` (scheme and host, e.g.
    /// `https://www.contratos.gov.co`).
    pub fn new(base_url: &str, politeness: Politeness) -> Result<Fetcher> {
        let base = Url::parse(base_url.trim())
            .map_err(|e| Error::bad_request(format!("--base-url {base_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Error::bad_request(format!(
                "--base-url {base_url:?}: an http or https address is needed"
            )));
        }
        let client = reqwest::Client::builder()
            .user_agent(politeness.user_agent.clone())
            .timeout(politeness.timeout)
            .connect_timeout(politeness.timeout.min(Duration::from_secs(10)))
            // Follow a few redirects on the same host; one to another host (a challenge or
            // login page elsewhere) is not followed and counts as a block.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_host = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.host_str() == attempt.url().host_str());
                if attempt.previous().len() > 3 {
                    attempt.error("too many redirects")
                } else if same_host {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(|e| Error::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            base,
            limiter: limiter(politeness.interval),
            robots: None,
            politeness,
        })
    }

    /// The least time between two requests now in force.
    pub fn interval(&self) -> Duration {
        self.politeness.interval
    }

    /// The address of a process's detail page.
    pub fn detail_url(&self, constancia: &str) -> String {
        let mut u = self.base.clone();
        let prefix = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{prefix}/consultas/detalleProceso.do"));
        u.query_pairs_mut()
            .clear()
            .append_pair("numConstancia", constancia);
        u.set_fragment(None);
        u.to_string()
    }

    /// GETs a URL, after waiting for the rate limiter. Transport failures (no connection,
    /// time-out) are errors; every HTTP status is an answer.
    pub async fn get(&self, url: &str) -> std::result::Result<Answer, String> {
        if let Some(l) = &self.limiter {
            l.until_ready().await;
        }
        let mut resp = self
            .client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "text/html,text/plain;q=0.9,*/*;q=0.5",
            )
            .header(reqwest::header::ACCEPT_LANGUAGE, "es-CO,es;q=0.9")
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(3600)));
        let mut body = Vec::new();
        let mut cut = false;
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    let room = self.politeness.max_bytes.saturating_sub(body.len());
                    if c.len() > room {
                        body.extend_from_slice(&c[..room]);
                        cut = true;
                        break;
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return Err(format!("reading the answer: {}", describe(&e))),
            }
        }
        Ok(Answer {
            status,
            content_type,
            retry_after,
            body,
            cut,
        })
    }

    /// Reads robots.txt (through the rate limiter like any request) and keeps its rules.
    /// A `Crawl-delay` longer than the interval becomes the interval.
    pub async fn load_robots(&mut self) -> Robots {
        let mut u = self.base.clone();
        u.set_path("/robots.txt");
        u.set_query(None);
        let url = u.to_string();
        let a = match self.get(&url).await {
            Ok(a) => a,
            Err(e) => return Robots::Unreachable(format!("{url}: {e}")),
        };
        if a.status == 429 {
            return Robots::Blocked(BlockKind::Throttled);
        }
        if a.status >= 500 {
            return Robots::Unreachable(format!("{url}: HTTP {}", a.status));
        }
        if !(200..300).contains(&a.status) {
            // 4xx: no robots.txt, no rules (RFC 9309, "unavailable").
            return Robots::Rules(false);
        }
        let is_html = a
            .content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
        if is_html {
            let text = String::from_utf8_lossy(&a.body);
            if let Verdict::Blocked(k) = block::classify(a.status, &text, &DetailPage::default()) {
                return Robots::Blocked(k);
            }
        }
        match texting_robots::Robot::new(ROBOTS_AGENT, &a.body) {
            Ok(r) => {
                if let Some(d) = r.delay.filter(|d| d.is_finite() && *d > 0.0) {
                    let d = Duration::from_secs_f32(d.min(600.0));
                    if d > self.politeness.interval {
                        tracing::info!(?d, "robots.txt asks for a longer crawl delay");
                        self.politeness.interval = d;
                        self.limiter = limiter(d);
                        // robots.txt itself was the last request: the next one waits a
                        // whole delay from now.
                        if let Some(l) = &self.limiter {
                            let _ = l.check();
                        }
                    }
                }
                self.robots = Some(r);
                Robots::Rules(true)
            }
            Err(e) => {
                tracing::warn!(error = %e, "robots.txt could not be parsed; no rules applied");
                Robots::Rules(false)
            }
        }
    }

    /// True when robots.txt allows this URL (always, before robots.txt was read or when
    /// the site has none).
    pub fn allowed(&self, url: &str) -> bool {
        self.robots.as_ref().is_none_or(|r| r.allowed(url))
    }
}

/// A transport error in one line, with its cause.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    let mut msg = what.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    if let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    if let Some(s) = src {
        msg.push_str(&format!(" ({s})"));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_urls() {
        let f = Fetcher::new("https://www.contratos.gov.co", Politeness::default()).unwrap();
        assert_eq!(
            f.detail_url("25-15-14581710"),
            "https://www.contratos.gov.co/consultas/detalleProceso.do?numConstancia=25-15-14581710"
        );
        let f = Fetcher::new("http://127.0.0.1:9/mirror/", Politeness::default()).unwrap();
        assert_eq!(
            f.detail_url("11-9-324624"),
            "http://127.0.0.1:9/mirror/consultas/detalleProceso.do?numConstancia=11-9-324624"
        );
        assert!(Fetcher::new("ftp://x", Politeness::default()).is_err());
        assert!(Fetcher::new("nonsense", Politeness::default()).is_err());
        assert_eq!(f.interval(), Duration::from_secs(2));
        assert!(user_agent().starts_with("secop-bridge/"));
    }
}
