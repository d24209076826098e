//! Where rows come from, and what each dataset's rows mean.
//!
//! * [`row`]: one raw row, column names in the API's spelling, and its content hash.
//! * [`reader`]: files people download (SODA JSON arrays, JSON lines, API-named CSV, the web
//!   UI's CSV export; plain or gzipped) streamed as rows, with the dataset detected from
//!   the columns.
//! * [`datasets`]: one module per dataset that turns a row into a [`Fragment`] of a
//!   [`Process`](crate::model::Process). A new dataset is one new file there plus one line in
//!   [`datasets::ALL`].

pub mod datasets;
pub mod reader;
pub mod row;

pub use datasets::{Dataset, Fragment, Role, RowError};
pub use row::{Header, Row};
