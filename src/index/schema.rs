//! The index schema and the Spanish analyzer.

use std::sync::LazyLock;
use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};

use rustc_hash::FxHashSet;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, schema::Field};

/// The analyzer for Spanish text ([`SpanishTokenizer`]): split on non-alphanumerics,
/// lower-case, fold accents, drop stop words, singular, stem. Folding comes before stemming so that
/// `ALCALDÍA`, `Alcaldía` and SECOP I's `ALCALDiA` all reach the stemmer as `alcaldia`.
/// Stop words are dropped. The name carries a version: an index analysed another way has
/// another schema, and is refused with the advice to run `secop reindex`.
pub const SPANISH: &str = "es_folded_stem_v3";

/// The analyzer of the `pairs` field ([`PairTokenizer`]): each two neighbouring words of
/// [`SPANISH`] that are both common ([`is_common`]), with the distance between them. The
/// version changes with the list of common words.
pub const PAIRS: &str = "es_pairs_v3";

/// The longest distance between the words of a pair (two stop words between them).
pub const MAX_PAIR_GAP: usize = 3;

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
    /// Every searchable text of the process in one field, so that a word is one posting
    /// list rather than a union over seven fields (which cost two thirds of the time of a
    /// broad search): the title (twice, its weight), the buyer's name and unit, the
    /// description and contract objects, the suppliers' names, the UNSPSC names and codes,
    /// the place names, and modality, contract type, status, phase and reference as text.
    pub all: Field,
    /// The texts of `all` as pairs of neighbouring words ([`PAIRS`]), without positions: a
    /// two-word phrase ("prestación de servicios") is one term here, counted and ranked
    /// like a word, instead of a phrase whose positions must be read in every document
    /// that has both words (most of the index for common phrases).
    pub pairs: Field,
    /// The buyer's name and unit (for the entity filter).
    pub entity: Field,
    /// Awarded suppliers' names (for the supplier filter).
    pub suppliers: Field,
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
    /// The buyer's name as published (for naming buyers in aggregations).
    pub buyer_name: Field,
    /// The suppliers' keys: the identifier normalised, or `n:` and the folded name when a
    /// supplier has none. Fast, for counting by supplier ([`crate::query::top`]).
    pub supplier_ids: Field,
    /// Each supplier's share of the awarded total ([`super::document::supplier_shares`]),
    /// one value per entry of `supplier_ids` and in its order, so that who wins credits
    /// each supplier with what it won, not the whole process's total.
    pub supplier_values: Field,
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
    /// Platform, department, modality, status, contract type and year in one integer
    /// ([`super::packed`]), for counting facets with one column read per match.
    pub facets: Field,
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
    // Filters match words, not phrases: no positions.
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(SPANISH)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let pairs = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(PAIRS)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let keyword = STRING | FAST;
    let int = NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        key_hash: b.add_u64_field("key_hash", FAST),
        ids: b.add_text_field("ids", STRING),
        all: b.add_text_field("all", text),
        pairs: b.add_text_field("pairs", pairs),
        entity: b.add_text_field("entity", words.clone()),
        suppliers: b.add_text_field("suppliers", words),
        platform: b.add_text_field("platform", keyword.clone()),
        dataset: b.add_text_field("dataset", keyword.clone()),
        department: b.add_text_field("department", keyword.clone()),
        municipality: b.add_text_field("municipality", keyword.clone()),
        modality: b.add_text_field("modality", keyword.clone()),
        status: b.add_text_field("status", keyword.clone()),
        contract_type: b.add_text_field("contract_type", keyword.clone()),
        nit: b.add_text_field("nit", keyword.clone()),
        buyer: b.add_text_field("buyer", keyword.clone()),
        buyer_name: b.add_text_field("buyer_name", keyword),
        supplier_ids: b.add_text_field("supplier_ids", STRING | FAST),
        supplier_values: b.add_i64_field("supplier_values", FAST),
        unspsc: b.add_text_field("unspsc", STRING),
        value: b.add_i64_field("value", int.clone()),
        awarded: b.add_i64_field("awarded", FAST),
        published: b.add_i64_field("published", int.clone()),
        due: b.add_i64_field("due", int.clone()),
        updated: b.add_i64_field("updated", FAST),
        year: b.add_u64_field("year", int.clone()),
        month: b.add_u64_field("month", int),
        partial: b.add_u64_field("partial", INDEXED | FAST),
        facets: b.add_u64_field("facets", FAST),
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
    TextAnalyzer::from(SpanishTokenizer::default())
}

/// Splits text into words (letters and digits) and turns each into its search form in one
/// pass: lower case, accents folded to ASCII (`ALCALDÍA`, `ALCALDiA` → `alcaldia`), plural to
/// singular ([`singular`]), then a light stem ([`light_stem`]: gender). Words longer than 48
/// characters are dropped. Like tantivy's `SimpleTokenizer → LowerCaser → AsciiFoldingFilter →
/// Stemmer` chain with a lighter stemmer, fused to avoid an allocation per filter.
#[derive(Clone, Default)]
pub struct SpanishTokenizer {
    token: Token,
}

/// The token stream of [`SpanishTokenizer`].
pub struct SpanishTokenStream<'a> {
    text: &'a str,
    pos: usize,
    token: &'a mut Token,
    word: String,
}

impl Tokenizer for SpanishTokenizer {
    type TokenStream<'a> = SpanishTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanishTokenStream<'a> {
        self.token.reset();
        SpanishTokenStream {
            text,
            pos: 0,
            token: &mut self.token,
            word: String::with_capacity(32),
        }
    }
}

impl TokenStream for SpanishTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        loop {
            // Skip separators.
            let start = scan(self.text, self.pos, true);
            if start == self.text.len() {
                self.pos = start;
                return false;
            }
            let end = scan(self.text, start, false);
            self.pos = end;
            let raw = &self.text[start..end];
            if raw.len() > 48 && (raw.len() > 48 * 4 || raw.chars().count() > 48) {
                continue;
            }
            self.word.clear();
            if bytes[start..end].is_ascii() {
                for &b in &bytes[start..end] {
                    self.word.push(b.to_ascii_lowercase() as char);
                }
            } else {
                for c in raw.chars() {
                    crate::normalize::text::fold_into(c, &mut self.word);
                }
            }
            // A stop word keeps its position, so that a phrase still needs the words
            // around it at their distance.
            self.token.position = self.token.position.wrapping_add(1);
            if is_stop_word(&self.word) {
                continue;
            }
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.position_length = 1;
            stem_into(&self.word, &mut self.token.text);
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The first position at or after `from` whose character is alphanumeric (`alnum`) or not
/// (`!alnum`), else the text's length. ASCII bytes are tested directly: most of the text
/// is ASCII, and `char::is_alphanumeric` decodes and looks up every character.
fn scan(text: &str, from: usize, alnum: bool) -> usize {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() == alnum {
                return i;
            }
            i += 1;
        } else {
            // `i` is at a character boundary: only whole characters are skipped.
            let c = text[i..].chars().next().expect("a character at a boundary");
            if c.is_alphanumeric() == alnum {
                return i;
            }
            i += c.len_utf8();
        }
    }
    bytes.len()
}

/// Spanish function words that occur in nearly every record: indexing them made a phrase
/// such as "prestación de servicios" read the positions of most of the index (a fifth of a
/// second on a million documents) and matched nothing a reader would miss.
const STOP_WORDS: [&str; 22] = [
    "a", "al", "con", "de", "del", "e", "el", "en", "la", "las", "lo", "los", "o", "para", "por",
    "que", "se", "su", "sus", "u", "un", "y",
];

/// True for a folded, lower-case word of [`STOP_WORDS`].
fn is_stop_word(w: &str) -> bool {
    w.len() <= 4 && STOP_WORDS.contains(&w)
}

/// The singular of a folded, lower-case Spanish word, applied before [`light_stem`]:
/// `vias`→`via`, `luces`→`luz`, `ciudades`→`ciudad`, `computadores`→`computador`; words in
/// `-is` and `-us` (`crisis`, `virus`) are left alone.
pub fn singular(w: &str) -> Option<String> {
    singular_parts(w).map(|(base, z)| {
        if z {
            format!("{base}z")
        } else {
            base.to_string()
        }
    })
}

/// [`singular`] without allocating: the start of the word it keeps, and whether a `z`
/// follows (`luces` → `lu` + `z`).
fn singular_parts(w: &str) -> Option<(&str, bool)> {
    let b = w.as_bytes();
    let n = b.len();
    if !w.is_ascii() || n < 4 || b[n - 1] != b's' {
        return None;
    }
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    if n >= 5 && w.ends_with("ces") {
        return Some((&w[..n - 3], true));
    }
    if n >= 5 && b[n - 2] == b'e' && matches!(b[n - 3], b'r' | b'l' | b'n' | b'd' | b'j' | b'y') {
        return Some((&w[..n - 2], false));
    }
    if vowel(b[n - 2]) && !matches!(b[n - 2], b'i' | b'u') {
        return Some((&w[..n - 1], false));
    }
    if matches!(b[n - 2], b'i' | b'u') && n >= 5 && vowel(b[n - 3]) {
        // "vias" is not "-is" in the crisis sense: a vowel before the i.
        return Some((&w[..n - 1], false));
    }
    None
}

/// Stems a folded, lower-case word: [`singular`], then [`light_stem`].
pub fn stem(word: &str) -> String {
    let mut out = String::new();
    stem_into(word, &mut out);
    out
}

/// [`stem`] into a buffer, without allocating once the buffer has grown.
fn stem_into(word: &str, out: &mut String) {
    out.clear();
    match singular_parts(word) {
        Some((base, z)) => {
            out.push_str(base);
            if z {
                out.push('z');
            }
        }
        None => out.push_str(word),
    }
    let keep = light_stem(out).len();
    out.truncate(keep);
}

/// The light Spanish stem of a folded, singular word: its final `a`, `o` or `e` dropped
/// when it has at least five letters, so that gender meets (`seguro`, `segura` → `segur`;
/// `público`, `pública`). This is the light stemmer of Savoy that Lucene and Elasticsearch's
/// `spanish` analyzer use, after [`singular`]. Snowball's stemmer, used before, also cut
/// derivational endings and so merged words a search must keep apart: `seguros`,
/// `seguridad` and `segura` were all `segur`, `comunicaciones`, `comunidad` and `común`
/// all `comun`, `contrato` and `contratación` one word.
fn light_stem(w: &str) -> &str {
    match w.as_bytes() {
        [.., b'a' | b'o' | b'e'] if w.len() >= 5 => &w[..w.len() - 1],
        _ => w,
    }
}

/// The analysed words in at least 0.5 % of the documents of some dataset
/// (`common_words.txt`, made by `examples/common_words.rs`).
static COMMON_WORDS: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_words.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// True for an analysed word common enough that a phrase with it is worth a `pairs` term.
///
/// Only pairs of two common words are indexed, as Lucene's CommonGrams does: a phrase
/// with a rarer word reads positions in the few documents that have that word (at most
/// 0.5 % of a dataset), which is fast, while a pair of common words ("prestación de
/// servicios") would read them in most of the index. Keeping only those pairs halves the
/// pair tokens and leaves an eighth of the distinct pair terms.
pub fn is_common(word: &str) -> bool {
    COMMON_WORDS.contains(word)
}

/// The term of the `pairs` field for two analysed words `gap` positions apart (1:
/// neighbours; 2: one stop word between them).
pub fn pair_text(first: &str, gap: usize, second: &str, out: &mut String) {
    out.clear();
    out.push_str(first);
    for _ in 0..gap {
        out.push('+');
    }
    out.push_str(second);
}

/// Emits each two neighbouring words of [`SpanishTokenizer`] as one token ([`pair_text`]),
/// when at most [`MAX_PAIR_GAP`] positions apart and both common ([`is_common`]).
#[derive(Clone, Default)]
pub struct PairTokenizer {
    words: SpanishTokenizer,
    token: Token,
}

/// The token stream of [`PairTokenizer`].
pub struct PairTokenStream<'a> {
    words: SpanishTokenStream<'a>,
    token: &'a mut Token,
    prev: String,
    prev_pos: usize,
    prev_from: usize,
    /// The previous word was common (false before the first word).
    prev_common: bool,
}

impl Tokenizer for PairTokenizer {
    type TokenStream<'a> = PairTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PairTokenStream<'a> {
        self.token.reset();
        PairTokenStream {
            words: self.words.token_stream(text),
            token: &mut self.token,
            prev: String::with_capacity(32),
            prev_pos: 0,
            prev_from: 0,
            prev_common: false,
        }
    }
}

impl TokenStream for PairTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while self.words.advance() {
            let w = self.words.token();
            let gap = w.position.wrapping_sub(self.prev_pos);
            let common = is_common(&w.text);
            let pair = common && self.prev_common && (1..=MAX_PAIR_GAP).contains(&gap);
            if pair {
                pair_text(&self.prev, gap, &w.text, &mut self.token.text);
                self.token.offset_from = self.prev_from;
                self.token.offset_to = w.offset_to;
                self.token.position = self.token.position.wrapping_add(1);
                self.token.position_length = 1;
            }
            // Only a common word can start the next pair.
            if common {
                self.prev.clear();
                self.prev.push_str(&w.text);
            }
            self.prev_pos = w.position;
            self.prev_from = w.offset_from;
            self.prev_common = common;
            if pair {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Registers the analyzers an index needs.
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(SPANISH, spanish_analyzer());
    index
        .tokenizers()
        .register(PAIRS, TextAnalyzer::from(PairTokenizer::default()));
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
    fn pairs_are_neighbouring_words_with_their_distance() {
        let mut a = TextAnalyzer::from(PairTokenizer::default());
        let mut pairs = |t: &str| {
            let mut s = a.token_stream(t);
            let mut out = Vec::new();
            while let Some(t) = s.next() {
                out.push(t.text.clone());
            }
            out
        };
        assert_eq!(
            pairs("Prestación de servicios profesionales"),
            ["prestacion++servici", "servici+profesional"]
        );
        // Accents, case and plural do not matter, as for single words.
        assert_eq!(pairs("PRESTACION DE SERVICIO"), ["prestacion++servici"]);
        // One word: no pair; words too far apart (four stop words): no pair.
        assert!(pairs("hospital").is_empty());
        assert!(pairs("obra de la y a vía").is_empty());
        // Only pairs of common words: a rare word breaks the chain on both sides.
        assert!(is_common("servici") && is_common("profesional") && is_common("apoy"));
        assert!(!is_common("arqueolog"));
        assert_eq!(
            pairs("servicios profesionales arqueológicos de apoyo"),
            ["servici+profesional"]
        );
    }

    #[test]
    fn stop_words_are_dropped_but_keep_their_place() {
        assert_eq!(one("Prestación de Servicios"), one("prestacion servicios"));
        assert_eq!(one("EL DE LA Y"), "");
        // Positions: "servicios" stays two places after "prestación".
        let mut a = spanish_analyzer();
        let mut ts = a.token_stream("prestación de servicios");
        let mut pos = Vec::new();
        while ts.advance() {
            pos.push(ts.token().position);
        }
        assert_eq!(pos[1] - pos[0], 2);
        // Short words that are not function words stay.
        assert_eq!(one("IVA"), "iva");
    }

    #[test]
    fn words_split_on_any_non_alphanumeric_character() {
        // Separators in and out of ASCII; letters out of ASCII (º, ñ) stay in the word.
        assert_eq!(
            analyze("N°001–2024/Nº 7 ÑANDÚ…PIÑA·obra"),
            ["n", "001", "2024", "nº", "7", "nandu", "pina", "obra"]
        );
        assert!(analyze("— … ° ·").is_empty());
        // A word of 48 characters is kept, one of 49 is not, counted in characters.
        let long = "á".repeat(48);
        assert_eq!(analyze(&long).len(), 1);
        assert!(analyze(&format!("{long}a")).is_empty());
    }

    #[test]
    fn the_byte_scan_splits_words_as_the_unicode_classes_do() {
        // `scan` against `char::is_alphanumeric` on every boundary of mixed text.
        let texts = [
            "ALCALDÍA de Medellín, 2.024-ÑÚ",
            "N°001–2024/Nº 7 ÑANDÚ…PIÑA·obra",
            "  x\u{301}y 😀 ½ ٣٤ 中文 a_b ",
            "",
            "—",
        ];
        for t in texts {
            for from in (0..=t.len()).filter(|&i| t.is_char_boundary(i)) {
                let rest = &t[from..];
                let alnum = rest
                    .find(char::is_alphanumeric)
                    .map_or(t.len(), |i| from + i);
                let other = rest
                    .find(|c: char| !c.is_alphanumeric())
                    .map_or(t.len(), |i| from + i);
                assert_eq!(scan(t, from, true), alnum, "{t:?} from {from}");
                assert_eq!(scan(t, from, false), other, "{t:?} from {from}");
            }
        }
    }

    #[test]
    fn distinct_words_stay_apart() {
        assert_ne!(one("crisis"), one("cris"));
        assert_eq!(one("crisis"), one("CRISIS"));
        assert_ne!(one("obra"), one("obras civiles interventoria"));
    }

    #[test]
    fn gender_meets_but_derived_words_stay_apart() {
        for (a, b) in [
            ("seguro", "segura"),
            ("público", "PÚBLICAS"),
            ("técnico", "técnica"),
            ("educativo", "educativas"),
            ("transporte", "transportes"),
            ("computador", "computadora"),
        ] {
            assert_eq!(one(a), one(b), "{a} / {b}");
        }
        // Snowball made one word of each group; a search for one must not find the others.
        for group in [
            &["seguros", "seguridad"][..],
            &["comunicaciones", "comunidad", "común"],
            &["contrato", "contratación", "contratista"],
            &["educación", "educativo"],
            &["obra", "obrero"],
        ] {
            for (i, a) in group.iter().enumerate() {
                for b in &group[i + 1..] {
                    assert_ne!(one(a), one(b), "{a} / {b}");
                }
            }
        }
        // Short words keep their vowel: `caso` and `casa` differ.
        assert_ne!(one("caso"), one("casa"));
        assert_eq!(stem("seguros"), "segur");
        assert_eq!(stem("luces"), "luz");
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
