//! The library's one error type.

use std::path::PathBuf;

/// Everything that can go wrong inside the library.
///
/// Binaries turn these into one line for a person (`{:#}` with anyhow); the HTTP
/// layer maps [`Error::BadRequest`] and [`Error::NotFound`] to 4xx answers and the
/// rest to 5xx, which always means a bug or a broken disk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request a person can fix: a bad filter, date, value or query.
    #[error("{0}")]
    BadRequest(String),
    /// An identifier or key that matches nothing.
    #[error("{0}")]
    NotFound(String),
    /// A file that cannot be opened or whose format is not one we read.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, for a person.
        message: String,
    },
    /// Another process holds the index writer.
    #[error(
        "another secop process is writing to {0} (import, harvest or serve's first indexing); wait for it to finish"
    )]
    Busy(PathBuf),
    /// The state database.
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The tantivy index.
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// Reading or writing files.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Serializing or parsing JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The remote API refused a request, or kept failing after every retry. The message
    /// names the request and says what to do.
    #[error("{0}")]
    Remote(String),
    /// Something else, described in words.
    #[error("{0}")]
    Other(String),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A bad-request error from anything printable.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Error::BadRequest(msg.into())
    }

    /// A file error from a path and a message.
    pub fn file(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        Error::File {
            path: path.into(),
            message: msg.into(),
        }
    }
}

impl From<tantivy::query::QueryParserError> for Error {
    fn from(e: tantivy::query::QueryParserError) -> Self {
        Error::BadRequest(format!("query: {e}"))
    }
}
