//! `GET /api/export`: every hit of a search, streamed.
//!
//! The export runs on the blocking pool ([`crate::export::export`] over
//! [`Engine::for_each`](crate::query::Engine::for_each)) and writes into a [`ChannelWriter`]:
//! 64 KiB chunks through a channel of a few chunks into the response body. A slow client
//! slows the export down instead of filling memory, a client that goes away stops it, and
//! one that stops reading for a minute has its export abandoned. Exports have their own
//! small concurrency limit, since each holds a thread for as long as it streams.

use std::io::{self, Write};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::AppState;
use super::api::params_from;
use super::error::{ApiError, ErrorBody};
use crate::export::{Format, PackageInfo};

/// Bytes per chunk sent to the client.
pub const CHUNK: usize = 64 * 1024;
/// Chunks that may wait in the channel.
pub const QUEUED_CHUNKS: usize = 8;
/// How long the export waits for a client that stopped reading.
pub const STALL: Duration = Duration::from_secs(60);

/// A [`Write`] that sends what it is given as chunks through a bounded channel.
pub struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    rt: tokio::runtime::Handle,
}

impl ChannelWriter {
    /// A writer into `tx`; call from a blocking thread of the runtime `rt`.
    pub fn new(tx: mpsc::Sender<io::Result<Bytes>>, rt: tokio::runtime::Handle) -> Self {
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
            rt,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        let tx = self.tx.clone();
        match self
            .rt
            .block_on(async move { tokio::time::timeout(STALL, tx.send(Ok(chunk))).await })
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client went away",
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            )),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[derive(Debug, Default, Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

/// The export URL for a query string (the OCDS package's `uri`).
fn self_url(st: &AppState, uri: &Uri) -> String {
    format!(
        "{}/api/export{}",
        st.public_url(),
        uri.query().map(|q| format!("?{q}")).unwrap_or_default()
    )
}

/// Every hit of a search as CSV, NDJSON or an OCDS release package.
#[utoipa::path(
    get,
    path = "/api/export",
    params(
        crate::query::SearchParams,
        ("format" = Option<String>, Query, description = "`csv` (default; UTF-8 with BOM, Spanish column names), `ndjson` (one canonical record a line) or `ocds` (an OCDS 1.1 release package)")
    ),
    responses(
        (status = 200, description = "Every matching process, streamed in index order (page, per_page, cursor and sort are refused with a 400). The header X-Total-Count gives the number of processes; X-Search-Warning (one per warning, in English, accents folded) says what of the text was not searched and why, as `warnings` does in /api/search.", content_type = "text/csv"),
        (status = 400, description = "A parameter is wrong; the message says how to fix it", body = ErrorBody),
        (status = 404, description = "`format=ocds` and no process matches: a release package needs at least one release (the message says why when the text had nothing to search)", body = ErrorBody),
        (status = 503, description = "Too many exports at once; retry after the Retry-After seconds", body = ErrorBody),
    )
)]
pub async fn export(State(st): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    super::api::check_names(&uri, &["format"])?;
    let (params, _) = params_from(&uri)?;
    super::api::refuse(
        &params,
        &["page", "per_page", "cursor", "sort"],
        (
            "an export holds every matching process, in index order (sort the file itself, or page through /api/search)",
            "una exportación trae todos los procesos que cumplen, en el orden del índice (ordene el archivo, o pagine con /api/search)",
        ),
    )?;
    let q: ExportQuery = serde_urlencoded::from_str(uri.query().unwrap_or(""))
        .map_err(super::api::unreadable_query)?;
    let format = Format::parse(q.format.as_deref().unwrap_or("csv"))?;
    let search = params.validate()?;
    let permit = st.export_permit()?;
    let s = search.clone();
    let (total, warnings) = st.with_engine(move |e| e.count(&s)).await?;
    if format == Format::Ocds && total == 0 {
        // A text of stop words alone: say so rather than only that nothing matched.
        let why = warnings.first().cloned().unwrap_or_else(|| {
            crate::Message::new(
                crate::export::NO_OCDS_RELEASES,
                crate::export::NO_OCDS_RELEASES_ES,
            )
        });
        return Err(ApiError::not_found(why));
    }
    let info = PackageInfo {
        uri: self_url(&st, &uri),
        published: chrono::Utc::now(),
    };
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(QUEUED_CHUNKS);
    let engine = st.engine.clone();
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let out = ChannelWriter::new(tx.clone(), rt.clone());
        match crate::export::export(&engine, &search, format, &info, out) {
            Ok(_) => {}
            Err(crate::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::TimedOut
                ) =>
            {
                tracing::info!(error = %e, "export abandoned");
            }
            Err(e) => {
                tracing::error!(error = %e, "export failed");
                // Ends the body with an error: the client sees a broken transfer, not a
                // silently truncated file.
                let _ = rt.block_on(tx.send(Err(io::Error::other(e.to_string()))));
            }
        }
    });
    let name = format!(
        "secop-{}.{}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        format.extension()
    );
    let mut r = Body::from_stream(ReceiverStream::new(rx)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert("x-total-count", HeaderValue::from(total));
    // The file has no place for them: what of the text was not searched, in a header.
    for w in &warnings {
        if let Ok(v) = HeaderValue::from_str(&header_text(w.en())) {
            h.append("x-search-warning", v);
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A message as a header value: accents folded (`común` → `comun`), other characters
/// outside printable ASCII replaced by `?`.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                return c;
            }
            let folded = crate::normalize::text::fold_char(c);
            match c {
                '«' | '»' => '"',
                _ if folded.is_ascii_alphabetic() => {
                    if c.is_uppercase() {
                        folded.to_ascii_uppercase()
                    } else {
                        folded
                    }
                }
                _ => '?',
            }
        })
        .collect()
}
