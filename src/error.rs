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
    BadRequest(Message),
    /// An identifier or key that matches nothing.
    #[error("{0}")]
    NotFound(Message),
    /// A file that cannot be opened or whose format is not one we read.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, for a person.
        message: String,
    },
    /// The index was built by another version of secop (another schema or analyzer).
    #[error(
        "{0}: the index was built by another version of secop; run `secop reindex` to rebuild it from the state database"
    )]
    IndexVersion(PathBuf),
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

/// A message for a person about a request: in English for the CLI and the API, and in
/// Spanish for the web pages, where every mistake a form allows can happen. A message
/// without a Spanish text (the CLI's own flags) shows its English one everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    en: String,
    es: Option<String>,
}

impl Message {
    /// A message in both languages.
    pub fn new(en: impl Into<String>, es: impl Into<String>) -> Self {
        Message {
            en: en.into(),
            es: Some(es.into()),
        }
    }

    /// The English text (the CLI, the API's `message`).
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The Spanish text (the web pages, the API's `message_es`), or the English one
    /// when the message has none.
    pub fn es(&self) -> &str {
        self.es.as_deref().unwrap_or(&self.en)
    }

    /// The Spanish text, only when there is one.
    pub fn es_only(&self) -> Option<&str> {
        self.es.as_deref()
    }
}

/// Written as its English text (the JSON of a CLI search, the API's `warnings`).
impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.en)
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

impl From<String> for Message {
    fn from(en: String) -> Self {
        Message { en, es: None }
    }
}

impl From<&str> for Message {
    fn from(en: &str) -> Self {
        Message::from(en.to_string())
    }
}

impl Error {
    /// A bad-request error with an English message only: for mistakes that only the CLI's
    /// own flags allow.
    pub fn bad_request(msg: impl Into<Message>) -> Self {
        Error::BadRequest(msg.into())
    }

    /// A bad-request error a web form allows, in English and Spanish.
    pub fn invalid(en: impl Into<String>, es: impl Into<String>) -> Self {
        Error::BadRequest(Message::new(en, es))
    }

    /// A not-found error in English and Spanish.
    pub fn not_found(en: impl Into<String>, es: impl Into<String>) -> Self {
        Error::NotFound(Message::new(en, es))
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
        Error::invalid(
            format!("query: {e}"),
            format!("la búsqueda no se entiende ({e})"),
        )
    }
}
