//! secop-bridge: one searchable index over Colombia's two public-procurement platforms.
//!
//! The data flows one way, and the modules follow it:
//!
//! ```text
//! sources ──► normalize ──► ingest ──► index ──► query ──► cli / http
//! (files,     (money,       (state,    (tantivy   (filters,
//!  datasets)   dates, NIT,   upsert,    schema,    facets,
//!              places …)     assemble)  analyzer)  ranking)
//! ```
//!
//! * [`sources`] reads SODA JSON, JSON lines and CSV files (plain or gzipped) into raw rows,
//!   and knows each dataset: how to recognise it and how to turn a row into part of a
//!   [`model::Process`].
//! * [`normalize`] holds the value parsers real rows need: money, dates, NITs, places,
//!   UNSPSC codes, placeholders and the two platforms' vocabularies.
//! * [`ingest`] upserts rows into the [`state`] database, joins and assembles them into
//!   processes and feeds the [`index`], keeping both consistent across crashes.
//! * [`harvest`] reads the datasets from datos.gov.co's SODA API into the ingest, in date
//!   windows, resumably, politely and with retries.
//! * [`query`] turns a search request into a tantivy query and collects hits and facets.
//! * [`dedup`] finds processes published on both platforms, or twice on one, with a score
//!   and the reasons.
//! * [`enrich`] reads SECOP I public detail pages, politely, to add what the open data
//!   lacks; the pages become rows of the `secop1-detalle` pseudo-dataset.
//! * [`cli`] is one module per command.

pub mod cli;
pub mod dedup;
pub mod demo;
pub mod display;
pub mod enrich;
pub mod error;
pub mod export;
pub mod harvest;
pub mod http;
pub mod index;
pub mod ingest;
pub mod model;
pub mod normalize;
pub mod query;
pub mod sources;
pub mod state;
pub mod stats;
pub mod transition;

pub use error::{Error, Message, Result};
