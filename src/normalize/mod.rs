//! Value parsers that real SECOP rows need.
//!
//! Every function here is pure and total: it takes the text of one cell and returns a typed
//! value, `None` for "unknown" (empty cells and placeholders such as `No Definido`), or a
//! [`ValueError`] that says why the text could not be read. The dataset normalizers in
//! [`crate::sources`] decide which errors quarantine a row and which only drop a field.

pub mod date;
pub mod money;
pub mod nit;
pub mod place;
pub mod text;
pub mod unspsc;
pub mod vocab;

/// The version of the normalisation rules. Bump it when a rule changes what a stored row
/// normalises to (2: zero-padded NITs, names cut inside SECOP II's phase suffix, entity
/// codes without thousands commas; 3: entity names without wrapping parentheses or account
/// role tags, and a title that only repeats the reference replaced by the description).
/// The state records the version its documents were built with
/// ([`crate::state::State::rules`]); `secop serve` rebuilds the index from the stored rows
/// when it is older, as `secop reindex` does.
pub const RULES: u32 = 3;

pub use date::{DayOrder, parse_datetime};
pub use money::parse_money;
pub use nit::normalize_nit;
pub use text::{clean_text, fold, id_norm, is_placeholder, strip_phase_suffix};

/// A cell whose text is not a value of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {text:?}: {why}")]
pub struct ValueError {
    /// What was expected: "money", "date", …
    pub kind: &'static str,
    /// The offending text, cut to a readable length.
    pub text: String,
    /// Why it failed.
    pub why: &'static str,
}

impl ValueError {
    pub(crate) fn new(kind: &'static str, text: &str, why: &'static str) -> Self {
        let text: String = text.chars().take(80).collect();
        ValueError { kind, text, why }
    }
}
