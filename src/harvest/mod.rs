//! Harvesting the SODA API of datos.gov.co: incremental, resumable, polite, fault-tolerant.
//!
//! * [`client`]: the HTTP client: rate limit, concurrency cap, timeouts, retries with
//!   jittered exponential backoff and `Retry-After`, and the app token kept secret.
//! * [`soql`]: the queries: date windows on the event's own date, a stable `$order`, the
//!   answers of `count(*)`, `min` and `max`.
//! * [`progress`]: watermarks and the plan in progress (windows and offsets), in the state
//!   database, written in the same transaction as the rows.
//! * [`page`]: a page of SODA JSON read straight into rows.
//! * [`drift`]: fields renamed, gone or new upstream.
//! * [`run`]: the run loop that ties them to [`crate::ingest::Ingestor`].
//!
//! A harvest plans each source as date windows on the dataset's event date (from the
//! watermark minus an overlap, or from the start), splits windows that hold too many rows,
//! pages through each window with `$order` on the date and the business key (never trusting
//! a short page to be the last), writes each page with the window's new offset in one
//! transaction, and checks each window against `count(*)`. Killing it at any point and
//! running it again ends with the same documents as a run that was never interrupted.

pub mod client;
pub mod drift;
pub mod page;
pub mod progress;
pub mod run;
pub mod soql;

pub use client::{AppToken, ClientConfig, DEFAULT_BASE_URL, SodaClient};
pub use run::{HarvestOptions, HarvestReport, Observer, Quiet, SourceReport, harvest};
