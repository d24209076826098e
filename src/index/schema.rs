//! The index schema and the Spanish analyzer.

use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy::{Index, schema::Field};

/// The analyzer for Spanish text: split on non-alphanumerics, lower-case, fold accents,
/// stem. Folding comes before stemming so that `ALCALDÍA`, `Alcaldía` and SECOP I's
/// `ALCALDiA` all reach the stemmer as `alcaldia`.
pub const SPANISH: &str = "es_folded_stem";

/// The analyzer for exact identifiers, applied to text already put through
/// [`crate::normalize::id_norm`].
pub const IDENT: &str = "raw";

/// The fields of the index.
#[derive(Clone, Debug)]
pub struct Fields {
    /// The process key (`secop2:CO1.BDOS.…`): exact, for updates.
    pub key: Field,
    /// A 64-bit hash of the key: a stable tie-break for sorting and cursors.
    pub key_hash: Field,
    /// Every identifier, normalised with `id_norm`.
    pub ids: Field,
    /// The process's name.
    pub title: Field,
    /// The buyer's name and unit.
    pub entity: Field,
    /// The description and contract objects.
    pub description: Field,
    /// Awarded suppliers' names.
    pub suppliers: Field,
    /// UNSPSC names of every level, and the codes.
    pub category: Field,
    /// Place names.
    pub place: Field,
    /// Modality, contract type, phase, status and reference as text.
    pub extra: Field,
    /// `secop1` / `secop2`.
    pub platform: Field,
    /// Source dataset ids.
    pub dataset: Field,
    /// Department DIVIPOLA code.
    pub department: Field,
    /// Municipality DIVIPOLA code.
    pub municipality: Field,
    /// Canonical modality code.
    pub modality: Field,
    /// Canonical status code.
    pub status: Field,
    /// Canonical contract type code.
    pub contract_type: Field,
    /// Buyer NIT (normalised).
    pub nit: Field,
    /// Buyer key: the NIT, or `n:` and the folded name when the NIT is missing.
    pub buyer: Field,
    /// Supplier identifiers (normalised).
    pub supplier_ids: Field,
    /// UNSPSC codes and all their prefixes (2, 4, 6 and 8 digits).
    pub unspsc: Field,
    /// The value people compare (estimate, else awarded), whole COP.
    pub value: Field,
    /// The awarded or contracted total, whole COP.
    pub awarded: Field,
    /// Publication time, Unix seconds.
    pub published: Field,
    /// Offer deadline, Unix seconds.
    pub due: Field,
    /// Last update, Unix seconds.
    pub updated: Field,
    /// Publication year.
    pub year: Field,
    /// Publication month as `yyyymm`.
    pub month: Field,
    /// 1 for partial processes (only contracts known).
    pub partial: Field,
    /// The whole [`crate::model::Process`] as JSON.
    pub doc: Field,
}

/// The schema and its fields.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(SPANISH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = STRING | FAST;
    let int = NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        key_hash: b.add_u64_field("key_hash", FAST),
        ids: b.add_text_field("ids", STRING),
        title: b.add_text_field("title", text.clone()),
        entity: b.add_text_field("entity", text.clone()),
        description: b.add_text_field("description", text.clone()),
        suppliers: b.add_text_field("suppliers", text.clone()),
        category: b.add_text_field("category", text.clone()),
        place: b.add_text_field("place", text.clone()),
        extra: b.add_text_field("extra", text),
        platform: b.add_text_field("platform", keyword.clone()),
        dataset: b.add_text_field("dataset", keyword.clone()),
        department: b.add_text_field("department", keyword.clone()),
        municipality: b.add_text_field("municipality", keyword.clone()),
        modality: b.add_text_field("modality", keyword.clone()),
        status: b.add_text_field("status", keyword.clone()),
        contract_type: b.add_text_field("contract_type", keyword.clone()),
        nit: b.add_text_field("nit", keyword.clone()),
        buyer: b.add_text_field("buyer", keyword),
        supplier_ids: b.add_text_field("supplier_ids", STRING),
        unspsc: b.add_text_field("unspsc", STRING),
        value: b.add_i64_field("value", int.clone()),
        awarded: b.add_i64_field("awarded", FAST),
        published: b.add_i64_field("published", int.clone()),
        due: b.add_i64_field("due", int.clone()),
        updated: b.add_i64_field("updated", FAST),
        year: b.add_u64_field("year", int.clone()),
        month: b.add_u64_field("month", int),
        partial: b.add_u64_field("partial", INDEXED | FAST),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), fields)
}

/// True when an existing index has the fields this version writes.
pub fn compatible(existing: &Schema, ours: &Schema) -> bool {
    let names = |s: &Schema| {
        let mut v: Vec<(String, String)> = s
            .fields()
            .map(|(_, e)| (e.name().to_string(), format!("{:?}", e.field_type())))
            .collect();
        v.sort();
        v
    };
    names(existing) == names(ours)
}

/// The Spanish analyzer (see [`SPANISH`]).
pub fn spanish_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(SpanishPlural)
        .filter(Stemmer::new(Language::Spanish))
        .build()
}

/// Reduces Spanish plurals to the singular before stemming. Snowball leaves short words
/// alone (`vías` stays apart from `vía`) and treats some plurals apart from their
/// singular (`luces`, `computadores`); this filter makes them meet. It runs on folded
/// lower-case text: `vias`→`via`, `luces`→`luz`, `ciudades`→`ciudad`. Words in `-is` and
/// `-us` (`crisis`, `virus`) are left alone.
#[derive(Clone, Copy)]
pub struct SpanishPlural;

/// The singular of a folded, lower-case Spanish word (see [`SpanishPlural`]).
pub fn singular(w: &str) -> Option<String> {
    let b = w.as_bytes();
    let n = b.len();
    if !w.is_ascii() || n < 4 || b[n - 1] != b's' {
        return None;
    }
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    if n >= 5 && w.ends_with("ces") {
        return Some(format!("{}z", &w[..n - 3]));
    }
    if n >= 5 && b[n - 2] == b'e' && matches!(b[n - 3], b'r' | b'l' | b'n' | b'd' | b'j' | b'y') {
        return Some(w[..n - 2].to_string());
    }
    if vowel(b[n - 2]) && !matches!(b[n - 2], b'i' | b'u') {
        return Some(w[..n - 1].to_string());
    }
    if matches!(b[n - 2], b'i' | b'u') && n >= 5 && vowel(b[n - 3]) {
        // "vias" is not "-is" in the crisis sense: a vowel before the i.
        return Some(w[..n - 1].to_string());
    }
    None
}

impl TokenFilter for SpanishPlural {
    type Tokenizer<T: Tokenizer> = SpanishPluralFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        SpanishPluralFilter { inner: tokenizer }
    }
}

/// The tokenizer [`SpanishPlural`] wraps around another.
#[derive(Clone)]
pub struct SpanishPluralFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for SpanishPluralFilter<T> {
    type TokenStream<'a> = SpanishPluralStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SpanishPluralStream {
            tail: self.inner.token_stream(text),
        }
    }
}

/// The token stream of [`SpanishPluralFilter`].
pub struct SpanishPluralStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for SpanishPluralStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        if let Some(s) = singular(&self.tail.token().text) {
            self.tail.token_mut().text = s;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Registers the analyzers an index needs.
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(SPANISH, spanish_analyzer());
}

/// The terms the Spanish analyzer makes of a text (for tests and highlighting).
pub fn analyze(text: &str) -> Vec<String> {
    let mut a = spanish_analyzer();
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> String {
        analyze(s).join(" ")
    }

    #[test]
    fn accents_case_and_lost_capitals_meet() {
        assert_eq!(one("alcaldia"), one("ALCALDÍA"));
        assert_eq!(one("ALCALDiA"), one("Alcaldía"));
        assert_eq!(one("contratación"), one("contratacion"));
        assert_eq!(one("LICITACIoN"), one("licitación"));
        assert_eq!(one("PuBLICA"), one("pública"));
    }

    #[test]
    fn distinct_words_stay_apart() {
        assert_ne!(one("crisis"), one("cris"));
        assert_eq!(one("crisis"), one("CRISIS"));
        assert_ne!(one("obra"), one("obras civiles interventoria"));
    }

    #[test]
    fn singular_and_plural_meet() {
        for (a, b) in [
            ("contrato", "contratos"),
            ("proceso", "procesos"),
            ("servicio", "servicios"),
            ("alcaldía", "alcaldías"),
            ("vía", "vías"),
            ("construcción", "construcciones"),
            ("póliza", "pólizas"),
            ("carretera", "carreteras"),
            ("suministro", "suministros"),
            ("computador", "computadores"),
            ("luz", "luces"),
            ("ciudad", "ciudades"),
            ("vehículo", "vehículos"),
            ("PÓLIZA", "polizas"),
            ("placa huella", "placa huellas"),
        ] {
            assert_eq!(one(a), one(b), "{a} / {b}");
        }
    }
}
