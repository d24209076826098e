//! The HTTP face of the index: the JSON API (and, on top of it, the web page).
//!
//! [`run`] takes a listener bound by the caller (tests bind `127.0.0.1:0`) and a shutdown
//! future. Searches run on the blocking pool behind two semaphores: `inflight` bounds the
//! searches that run at once; `admission` bounds those that may wait, and excess load gets a
//! 503 with `Retry-After` instead of an unbounded queue.

pub mod api;
pub mod cache;
pub mod duplicates_page;
pub mod duplicates_report;
pub mod error;
pub mod export;
pub mod feed;
pub mod top_page;
pub mod transition_page;
pub mod views;
pub mod web;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use crate::query::Engine;

/// Longest request target (path and query) accepted.
pub const MAX_URI_LEN: usize = 4096;
/// Largest request body accepted (no endpoint takes a body).
pub const MAX_BODY: usize = 16 * 1024;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Searches that may run at once (CPU-bound).
    pub max_concurrent: usize,
    /// Searches that may wait for a slot before new ones get a 503.
    pub max_queued: usize,
    /// Time limit for producing a response.
    pub request_timeout: Duration,
    /// The data directory (for stats).
    pub data_dir: PathBuf,
    /// Exports that may stream at once (each holds a thread while it streams).
    pub max_exports: usize,
    /// Bytes of search responses kept for repeated searches (0: none).
    pub cache_bytes: usize,
    /// The server's public base URL (`https://secop.example.org`), used in feed and export
    /// links; `None` means `http://` and the address [`run`] listens on.
    pub public_url: Option<String>,
}

impl Config {
    /// Defaults for a data directory: twice the cores in flight, 256 waiting, 10 s.
    pub fn new(data_dir: PathBuf) -> Config {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            max_concurrent: cores * 2,
            max_queued: 256,
            request_timeout: Duration::from_secs(10),
            data_dir,
            max_exports: 2,
            cache_bytes: 64 << 20,
            public_url: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The search engine.
    pub engine: Arc<Engine>,
    /// Settings.
    pub config: Arc<Config>,
    /// Answers of recent searches.
    pub cache: Arc<cache::ResponseCache>,
    /// The duplicate reports of every entity (requests without `nit`).
    pub duplicates: Arc<duplicates_report::Reports>,
    inflight: Arc<Semaphore>,
    admission: Arc<Semaphore>,
    exports: Arc<Semaphore>,
}

impl AppState {
    /// State for an engine and settings.
    pub fn new(engine: Engine, config: Config) -> AppState {
        AppState {
            engine: Arc::new(engine),
            inflight: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
            admission: Arc::new(Semaphore::new(
                config.max_concurrent.max(1) + config.max_queued,
            )),
            exports: Arc::new(Semaphore::new(config.max_exports.max(1))),
            cache: Arc::new(cache::ResponseCache::new(config.cache_bytes)),
            duplicates: Arc::default(),
            config: Arc::new(config),
        }
    }

    /// The public base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.config
            .public_url
            .as_deref()
            .unwrap_or("http://127.0.0.1:8080")
            .trim_end_matches('/')
            .to_string()
    }

    /// A slot for one export, or a 503 when all are streaming.
    pub fn export_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        self.exports
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError {
                message: crate::Message::new(
                    "too many exports at once; retry in a minute",
                    "hay demasiadas descargas a la vez; vuelva a intentarlo en un minuto",
                ),
                retry_after: Some(30),
                ..ApiError::overloaded()
            })
    }

    /// Runs index work on the blocking pool within the concurrency bounds.
    pub async fn with_engine<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine) -> crate::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let admitted = self
            .admission
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::overloaded())?;
        let permit = self
            .inflight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::overloaded())?;
        let engine = self.engine.clone();
        let r = tokio::task::spawn_blocking(move || {
            // Held until the work is done, even if the request was abandoned.
            let _held = (admitted, permit);
            f(&engine)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "search task failed");
            ApiError::from(crate::Error::Other("search task failed".into()))
        })?;
        r.map_err(ApiError::from)
    }
}

async fn limit_uri(req: Request, next: Next) -> Response {
    let len = req.uri().path().len() + req.uri().query().map_or(0, str::len);
    if len > MAX_URI_LEN {
        return ApiError {
            status: StatusCode::URI_TOO_LONG,
            code: "uri_too_long",
            message: crate::Message::new(
                format!(
                    "the request URL is longer than {MAX_URI_LEN} characters; shorten the query"
                ),
                format!(
                    "la dirección pedida tiene más de {MAX_URI_LEN} caracteres; acorte la búsqueda"
                ),
            ),
            retry_after: None,
        }
        .into_response();
    }
    if req.method() != Method::GET
        && req.method() != Method::HEAD
        && req.method() != Method::OPTIONS
    {
        return ApiError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message: crate::Message::new(
                "this server is read-only: use GET",
                "este servidor solo permite consultas (GET)",
            ),
            retry_after: None,
        }
        .into_response();
    }
    next.run(req).await
}

async fn not_found(State(_): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") || path == "/api" || path == "/healthz" {
        ApiError::not_found(crate::Message::new(
            format!("no such endpoint: {path}; see /api/openapi.json"),
            format!("no existe la dirección {path}; vea /api/openapi.json"),
        ))
        .into_response()
    } else {
        web::not_found_page(path)
    }
}

/// The whole application: API routes plus the layers that bound and log requests.
pub fn router(state: AppState) -> Router {
    let timeout = state.config.request_timeout;
    api::routes()
        .merge(web::routes())
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn(limit_uri))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            timeout,
        ))
        .layer(CompressionLayer::new())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD])
                .allow_headers([header::ACCEPT, header::CONTENT_TYPE])
                // A page or notebook on another origin reads these too: the export's count
                // and warnings, and how long to wait after a 503.
                .expose_headers([
                    HeaderName::from_static("x-total-count"),
                    HeaderName::from_static("x-search-warning"),
                    header::RETRY_AFTER,
                ]),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(TraceLayer::new_for_http())
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut state = state;
    if state.config.public_url.is_none() {
        let addr = listener.local_addr()?;
        Arc::make_mut(&mut state.config).public_url = Some(format!("http://{addr}"));
    }
    // The default duplicate report, so that its first visitor finds it ready.
    let warm = state.clone();
    tokio::spawn(async move {
        api::duplicates_report(&warm, crate::dedup::DEFAULT_WINDOW_DAYS, Duration::ZERO).await
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
