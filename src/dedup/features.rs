//! What is compared: a process reduced to the features that tell a double publication
//! from a distinct process, and one function per feature that compares two of them.
//!
//! Every comparison works on folded text, so SECOP I's lost capitals (`ALCALDiA`), case
//! and accents do not matter, and on parsed values, so the way a number was written does
//! not matter either.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde::Deserialize;

use xxhash_rust::xxh3::xxh3_64;

use crate::index::schema::singular;
use crate::model::{Modality, Platform, Process, Status};
use crate::normalize::normalize_nit;
use crate::normalize::place::place_label;
use crate::normalize::text::{fold_words, id_norm, strip_phase_suffix};

/// True for words that carry no meaning in an object text (folded).
fn is_stopword(w: &str) -> bool {
    matches!(
        w,
        "a" | "al"
            | "como"
            | "con"
            | "de"
            | "del"
            | "desde"
            | "e"
            | "el"
            | "en"
            | "entre"
            | "hasta"
            | "la"
            | "las"
            | "le"
            | "les"
            | "lo"
            | "los"
            | "mas"
            | "ni"
            | "no"
            | "o"
            | "para"
            | "por"
            | "que"
            | "se"
            | "segun"
            | "sin"
            | "sobre"
            | "su"
            | "sus"
            | "u"
            | "un"
            | "una"
            | "unas"
            | "unos"
            | "y"
    )
}

/// Words around the number of a reference that are not part of it (`No.`, `de`, `Nro`).
const REFERENCE_FILLER: &[&str] = &["de", "del", "n", "no", "nro", "num", "numero", "proceso"];

/// Characters from which a text may have been cut by a platform (SECOP II cuts names at
/// 200 characters, phase suffix included).
const LONG_TEXT: usize = 120;

/// Tokens at the start of a text that make its fingerprint (see [`Text::fingerprint`]).
const FINGERPRINT_TOKENS: usize = 8;

/// Texts that stand for "no description" (folded).
const PLACEHOLDER_TEXTS: &[&str] = &[
    "sin descripcion",
    "no definido",
    "no definida",
    "no aplica",
    "sin informacion",
    "sin dato",
    "n a",
    "n d",
];

/// An object text as folded, meaningful tokens.
#[derive(Debug, Clone)]
pub struct Text {
    /// The tokens in reading order (folded, plurals made singular), one after the other.
    buf: String,
    /// Where each token ends in `buf`.
    ends: Vec<u32>,
    /// Their hashes, in reading order.
    seq: Vec<u64>,
    /// The same, sorted and without repeats.
    set: Vec<u64>,
    /// The text is long enough that a platform may have cut it: its last word may be a
    /// piece of a word.
    long: bool,
    /// A hash of the first words, numbers left out: texts that open the same way share
    /// it. Counting it in an entity's time window finds boilerplate objects (monthly
    /// service contracts, one agreement per street).
    pub fingerprint: u64,
}

/// True for a text that stands for "no description" (`Sin Descripcion`, `No Definido`).
fn is_placeholder_text(s: &str) -> bool {
    if crate::normalize::is_placeholder(s) {
        return true;
    }
    s.len() <= 40 && PLACEHOLDER_TEXTS.contains(&fold_words(s).as_str())
}

/// Calls `f` with each meaningful token of a text, in order: folded words (the same as
/// [`fold_words`]) without stop words, plurals made singular. Stops when `f` returns
/// false.
fn for_each_token(s: &str, mut f: impl FnMut(&str) -> bool) {
    let mut word = String::with_capacity(32);
    let mut emit = |w: &str| -> bool {
        if w.is_empty() || is_stopword(w) {
            return true;
        }
        match w.ends_with('s').then(|| singular(w)).flatten() {
            Some(one) => f(&one),
            None => f(w),
        }
    };
    for c in s.chars() {
        let c = crate::normalize::text::fold_char(c);
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            if !emit(&word) {
                return;
            }
            word.clear();
        }
    }
    emit(&word);
}

/// The fingerprint of a text (see [`Text::fingerprint`]) without tokenizing all of it:
/// only its first words are read. `None` when [`Text::new`] gives `None`.
pub fn fingerprint(s: &str) -> Option<u64> {
    if is_placeholder_text(s) {
        return None;
    }
    let mut bytes = Vec::with_capacity(FINGERPRINT_TOKENS * 8);
    let (mut any, mut taken) = (false, 0);
    for_each_token(s, |w| {
        any = true;
        if !w.bytes().any(|c| c.is_ascii_digit()) {
            bytes.extend_from_slice(&xxh3_64(w.as_bytes()).to_le_bytes());
            taken += 1;
        }
        taken < FINGERPRINT_TOKENS
    });
    any.then(|| xxh3_64(&bytes))
}

impl Text {
    /// The text's tokens: folded words without stop words, plurals made singular.
    /// `None` for an empty text or a placeholder (`Sin Descripcion`).
    pub fn new(s: &str) -> Option<Text> {
        if is_placeholder_text(s) {
            return None;
        }
        let mut buf = String::with_capacity(s.len());
        let mut ends = Vec::new();
        let mut seq = Vec::new();
        let mut bytes = Vec::with_capacity(FINGERPRINT_TOKENS * 8);
        for_each_token(s, |w| {
            buf.push_str(w);
            let h = xxh3_64(w.as_bytes());
            seq.push(h);
            ends.push(buf.len() as u32);
            // Numbers left out: a series (`calle 19 …`, `calle 20 …`) shares one fingerprint.
            if bytes.len() < FINGERPRINT_TOKENS * 8 && !w.bytes().any(|c| c.is_ascii_digit()) {
                bytes.extend_from_slice(&h.to_le_bytes());
            }
            true
        });
        if seq.is_empty() {
            return None;
        }
        let mut set = seq.clone();
        set.sort_unstable();
        set.dedup();
        Some(Text {
            buf,
            ends,
            seq,
            set,
            long: s.chars().count() >= LONG_TEXT,
            fingerprint: xxh3_64(&bytes),
        })
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    /// True when the text has no token (never, for a built [`Text`]).
    pub fn is_empty(&self) -> bool {
        self.seq.is_empty()
    }

    /// Token `i`.
    pub fn word(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }
}

/// Words in common between two sorted sets of hashes.
fn common(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Jaccard similarity of two sorted sets.
#[cfg(test)]
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let c = common(a, b);
    if a.len() + b.len() == c {
        return 0.0;
    }
    c as f64 / (a.len() + b.len() - c) as f64
}

/// True when two different words are one written another way: an inflection
/// (`prestacion`, `prestar`), a cut word (`dif`, `dificil`), an abbreviation (`mpio`,
/// `municipio`; `mtto`, `mantenimiento`) or a one-letter typo (`restacion`). Words with
/// digits must be equal: `calle 8` is not `calle 18`.
pub fn near_words(a: &str, b: &str) -> bool {
    if a.bytes().any(|c| c.is_ascii_digit()) || b.bytes().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let (s, l) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if s.len() >= 3 && l.starts_with(s) {
        return true;
    }
    let prefix = s.bytes().zip(l.bytes()).take_while(|(x, y)| x == y).count();
    if prefix >= 5 {
        return true;
    }
    let abbreviation = (2..=5).contains(&s.len())
        && l.len() >= s.len() + 3
        && s.as_bytes()[0] == l.as_bytes()[0]
        && {
            let mut it = l.bytes();
            s.bytes().all(|c| it.any(|x| x == c))
        };
    abbreviation || (s.len() >= 5 && within_one_edit(s, l))
}

/// True when `s` becomes `l` with at most one insertion or substitution (`s` no longer
/// than `l`).
fn within_one_edit(s: &str, l: &str) -> bool {
    let (s, l) = (s.as_bytes(), l.as_bytes());
    if l.len() - s.len() > 1 {
        return false;
    }
    let p = s.iter().zip(l).take_while(|(x, y)| x == y).count();
    if s.len() == l.len() {
        s[p + 1..] == l[p + 1..]
    } else {
        s[p..] == l[p + 1..]
    }
}

/// How alike two object texts are.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMatch {
    /// Similarity between 0 and 1: words in common (near words count as common) over
    /// words in either.
    pub similarity: f64,
    /// True when the figure compares the shorter text with the same length of the longer
    /// one: the platforms cut long names and descriptions.
    pub cut: bool,
    /// Words of each text that the other lacks and that pair with nothing on the other
    /// side: substitutions such as another place (`puerto rondon` / `cravo norte`) or
    /// another number. Rewording leaves few; a series of distinct processes leaves some.
    pub only: (Vec<String>, Vec<String>),
}

impl TextMatch {
    /// Words substituted one for another: the smaller of the two sides' leftovers.
    pub fn substitutions(&self) -> usize {
        self.only.0.len().min(self.only.1.len())
    }

    /// Of the substitutions, how many are numbers (another street, lot, phase or year).
    pub fn number_substitutions(&self) -> usize {
        let digits = |v: &[String]| {
            v.iter()
                .filter(|w| w.bytes().any(|c| c.is_ascii_digit()))
                .count()
        };
        digits(&self.only.0)
            .min(digits(&self.only.1))
            .min(self.substitutions())
    }
}

/// One side of a text comparison: the first `n` tokens of a text, their sorted hashes,
/// and whether the last of them may be a piece of a word.
struct Side<'a> {
    text: &'a Text,
    n: usize,
    set: std::borrow::Cow<'a, [u64]>,
    cut: bool,
}

impl<'a> Side<'a> {
    fn whole(text: &'a Text) -> Side<'a> {
        Side {
            text,
            n: text.len(),
            set: std::borrow::Cow::Borrowed(&text.set),
            cut: text.long,
        }
    }

    fn head(text: &'a Text, n: usize) -> Side<'a> {
        let mut set = text.seq[..n].to_vec();
        set.sort_unstable();
        set.dedup();
        Side {
            text,
            n,
            set: std::borrow::Cow::Owned(set),
            cut: true,
        }
    }

    /// Tokens missing from the other side, without repeats; the last token is left out
    /// when it may be a piece of a word.
    fn leftovers(&self, other: &[u64]) -> Vec<String> {
        let n = if self.cut {
            self.n.saturating_sub(1)
        } else {
            self.n
        };
        let mut v: Vec<String> = Vec::new();
        for i in 0..n {
            if other.binary_search(&self.text.seq[i]).is_err() {
                let w = self.text.word(i);
                if !v.iter().any(|x| x == w) {
                    v.push(w.to_string());
                }
            }
        }
        v
    }
}

/// Compares two sides.
fn compare_sides(a: &Side<'_>, b: &Side<'_>) -> TextMatch {
    let exact = common(&a.set, &b.set);
    let mut only_a = a.leftovers(&b.set);
    let mut only_b = b.leftovers(&a.set);
    // Pair leftovers that are the same word written another way.
    let mut near = 0;
    only_a.retain(|x| match only_b.iter().position(|y| near_words(x, y)) {
        Some(k) => {
            only_b.remove(k);
            near += 1;
            false
        }
        None => true,
    });
    let matched = exact + near;
    let union = (a.set.len() + b.set.len()).saturating_sub(matched);
    TextMatch {
        similarity: if union == 0 {
            0.0
        } else {
            (matched as f64 / union as f64).min(1.0)
        },
        cut: false,
        only: (only_a, only_b),
    }
}

/// Similarity of two texts on their folded tokens: Jaccard with near words counted as
/// common, or, when one text is much shorter (cut by a platform), the same between the
/// shorter one and the opening of the longer one.
pub fn text_similarity(a: &Text, b: &Text) -> TextMatch {
    let full = compare_sides(&Side::whole(a), &Side::whole(b));
    let a_short = a.len() <= b.len();
    let (short, long) = if a_short { (a, b) } else { (b, a) };
    // A cut text has enough words to be compared on its own, and is clearly shorter.
    if short.len() >= 5 && (short.len() as f64) < 0.85 * long.len() as f64 {
        let mut s = Side::whole(short);
        s.cut = true;
        let mut m = compare_sides(&s, &Side::head(long, short.len()));
        if m.similarity > full.similarity {
            m.cut = true;
            if !a_short {
                m.only = (m.only.1, m.only.0);
            }
            return m;
        }
    }
    full
}

/// The entity's own reference for a process, taken apart for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// As published, phase suffix stripped: what the reasons show.
    pub shown: String,
    /// Letters and digits only, folded (`lp0032025`).
    pub norm: String,
    /// The letters of the reference, filler words (`No.`, `de`) left out (`lp`).
    pub letters: String,
    /// The numbers, leading zeros dropped and four-digit years written with two digits:
    /// `LP-003-2025` and `LP 3 DE 25` both give `[3, 25]`.
    pub numbers: Numbers,
    /// Every digit in order, as written (`0032025`): `SAMC0092026` is `SAMC-009-2026`.
    pub digits: String,
    /// Hashes of `norm`, `letters`, `digits` and `numbers`, and whether the reference is
    /// strong: comparing millions of pairs compares these.
    pub(crate) keys: RefKeys,
}

/// The first [`Numbers::MAX`] numbers of a reference, held inline: comparing millions of
/// pairs reads no heap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Numbers {
    len: u8,
    values: [u64; Numbers::MAX],
}

impl Numbers {
    /// Numbers kept; a reference rarely has more than five.
    pub const MAX: usize = 8;

    /// Adds a number (beyond [`Numbers::MAX`], it is dropped).
    pub fn push(&mut self, n: u64) {
        if (self.len as usize) < Self::MAX {
            self.values[self.len as usize] = n;
            self.len += 1;
        }
    }
}

impl std::ops::Deref for Numbers {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        &self.values[..self.len as usize]
    }
}

/// See [`Reference::keys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RefKeys {
    pub(crate) norm: u64,
    pub(crate) letters: u64,
    pub(crate) digits: u64,
    /// Hash of the numbers in order.
    pub(crate) numbers: u64,
    /// One bit per number (a Bloom filter): one reference's numbers can be inside the
    /// other's only if its bits are.
    pub(crate) bloom: u64,
    pub(crate) strong: bool,
}

impl Reference {
    /// Reads a reference; `None` when it holds no letter or digit.
    pub fn new(s: &str) -> Option<Reference> {
        let shown = strip_phase_suffix(s).trim().to_string();
        let norm = id_norm(&shown);
        if norm.is_empty() {
            return None;
        }
        let mut letters = String::new();
        let mut numbers = Numbers::default();
        let mut digits = String::new();
        for word in fold_words(&shown).split(' ') {
            // Split runs of letters and digits: `samc009` is `samc` and `009`.
            let mut rest = word;
            while !rest.is_empty() {
                let is_digit = rest.as_bytes()[0].is_ascii_digit();
                let end = rest
                    .find(|c: char| c.is_ascii_digit() != is_digit)
                    .unwrap_or(rest.len());
                let (run, tail) = rest.split_at(end);
                rest = tail;
                if is_digit {
                    digits.push_str(run);
                    let trimmed = run.trim_start_matches('0');
                    let n: u64 = if trimmed.is_empty() {
                        0
                    } else if trimmed.len() > 18 {
                        xxh3_64(trimmed.as_bytes())
                    } else {
                        trimmed.parse().unwrap_or(0)
                    };
                    let n = if run.len() == 4 && (1990..=2099).contains(&n) {
                        n % 100
                    } else {
                        n
                    };
                    numbers.push(n);
                } else if !REFERENCE_FILLER.contains(&run) {
                    letters.push_str(run);
                }
            }
        }
        let mut number_bytes = Vec::with_capacity(numbers.len() * 8);
        let mut bloom = 0u64;
        for n in numbers.iter() {
            number_bytes.extend_from_slice(&n.to_le_bytes());
            bloom |= 1 << (xxh3_64(&n.to_le_bytes()) >> 58);
        }
        let mut r = Reference {
            keys: RefKeys {
                norm: xxh3_64(norm.as_bytes()),
                letters: xxh3_64(letters.as_bytes()),
                digits: xxh3_64(digits.as_bytes()),
                numbers: xxh3_64(&number_bytes),
                bloom,
                strong: false,
            },
            shown,
            norm,
            letters,
            numbers,
            digits,
        };
        r.keys.strong = r.is_strong();
        Some(r)
    }

    /// A reference that singles out a process: at least three digits, and letters, two
    /// numbers or a long number. `087` alone is weak: many entities number everything
    /// from 1; `27004612024` is not.
    pub fn is_strong(&self) -> bool {
        self.digits.len() >= 3
            && (!self.letters.is_empty() || self.numbers.len() >= 2 || self.digits.len() >= 5)
    }
}

/// How two references compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMatch {
    /// The same reference, written the same way or another (`LP-003-2025`, `lp 003 de 2025`).
    Same,
    /// The same short reference (`087`): many processes share such numbers.
    SameWeak,
    /// The same numbers with other letters, or one reference inside the other
    /// (`CD-051-2026` and `CD-051-2026 MAYERLY …`).
    Compatible,
    /// Other numbers: another process of the same entity.
    Different,
    /// Other numbers, but the references are short.
    DifferentWeak,
    /// One of them has no reference, or no number to compare.
    Unknown,
}

/// Compares two references.
pub fn compare_references(a: &Reference, b: &Reference) -> RefMatch {
    let (ka, kb) = (a.keys, b.keys);
    let strong = ka.strong && kb.strong;
    if ka.norm == kb.norm {
        return if ka.strong {
            RefMatch::Same
        } else {
            RefMatch::SameWeak
        };
    }
    if a.numbers.is_empty() || b.numbers.is_empty() {
        return RefMatch::Unknown;
    }
    if *a.numbers == *b.numbers || ka.digits == kb.digits {
        return if ka.letters == kb.letters {
            if strong {
                RefMatch::Same
            } else {
                RefMatch::SameWeak
            }
        } else {
            RefMatch::Compatible
        };
    }
    let (short, long) = if a.numbers.len() <= b.numbers.len() {
        (a, b)
    } else {
        (b, a)
    };
    let inside = short.digits.len() >= 3
        && long
            .numbers
            .windows(short.numbers.len())
            .any(|w| w == &*short.numbers);
    if inside {
        RefMatch::Compatible
    } else if strong {
        RefMatch::Different
    } else {
        RefMatch::DifferentWeak
    }
}

/// How two values compare.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueMatch {
    /// Both known; the relative difference (0 when equal).
    Known(f64),
    /// One or both unknown.
    Unknown,
}

/// Relative difference of two values: `|a - b| / max(|a|, |b|)`.
pub fn compare_values(a: Option<i64>, b: Option<i64>) -> ValueMatch {
    match (a, b) {
        (Some(a), Some(b)) if a > 0 && b > 0 => {
            let (a, b) = (a as f64, b as f64);
            ValueMatch::Known((a - b).abs() / a.max(b))
        }
        _ => ValueMatch::Unknown,
    }
}

/// Whole days between two times in Unix seconds, rounded.
pub fn days_apart(a: i64, b: i64) -> i64 {
    ((a - b).abs() + 43_200) / 86_400
}

/// How two modalities compare, across the two platforms' vocabularies (already mapped to
/// [`Modality`] by the normalizers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModalityMatch {
    /// The same modality.
    Same,
    /// Modalities one process can be published under on either platform: a subasta is a
    /// selección abreviada; entities under a special regime publish direct contracts as
    /// either.
    Compatible,
    /// Modalities no one process has on both sides (a licitación is not a mínima cuantía).
    Different,
    /// One of them is unknown or "other".
    Unknown,
}

/// Compares two modalities.
pub fn compare_modalities(a: Modality, b: Modality) -> ModalityMatch {
    use Modality::*;
    let unknown = |m: Modality| matches!(m, Unknown | Otra);
    if unknown(a) || unknown(b) {
        return ModalityMatch::Unknown;
    }
    if a == b {
        return ModalityMatch::Same;
    }
    let group = |m: Modality| match m {
        SeleccionAbreviada | Subasta => 1,
        ContratacionDirecta | RegimenEspecial => 2,
        _ => 0,
    };
    if group(a) != 0 && group(a) == group(b) {
        ModalityMatch::Compatible
    } else {
        ModalityMatch::Different
    }
}

/// A supplier, by document number when known, else by folded name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplier {
    /// Hash of the normalised document number.
    pub id: Option<u64>,
    /// Hash of the folded name; `None` when the name is empty.
    pub name: Option<u64>,
    /// The name as published, for the reasons.
    pub shown: String,
}

impl Supplier {
    /// A supplier from its name and document number as published.
    pub fn new(name: &str, id: Option<&str>) -> Supplier {
        let folded = fold_words(name);
        Supplier {
            id: id
                .and_then(normalize_nit)
                .filter(|i| i.len() >= 5)
                .map(|i| xxh3_64(i.as_bytes())),
            name: (!folded.is_empty()).then(|| xxh3_64(folded.as_bytes())),
            shown: name.to_string(),
        }
    }
}

/// How the awarded suppliers of two processes compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplierMatch {
    /// A supplier in common: its index in the first process's suppliers.
    Same(usize),
    /// Both awarded, to different suppliers.
    Different,
    /// One or both not awarded (or too many suppliers to tell).
    Unknown,
}

/// Where a buying entity sits: its DIVIPOLA municipality.
///
/// One NIT is not always one entity. SECOP I rows often carry another entity's NIT: in
/// the demo data 85 of the 101 NITs seen on both platforms name municipalities of
/// another department on SECOP I (890981195 is Abejorral, Antioquia, on SECOP II and
/// "ALCALDIA MUNICIPIO DE ABREGO", Norte de Santander, on SECOP I), and a national entity's
/// regional offices share its NIT. Two processes whose entities sit in different
/// municipalities are published by two entities, whatever the NIT says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The five-digit DIVIPOLA code.
    pub code: String,
    /// The official name with its department (`Ábrego, Norte de Santander`).
    pub shown: String,
}

impl Seat {
    /// The seat of a buyer, when its municipality resolved to a DIVIPOLA code.
    pub fn of(b: &BuyerView<'_>) -> Option<Seat> {
        let m = b.municipality.as_ref()?;
        let code = m.code.as_deref().filter(|c| c.len() == 5)?;
        Some(Seat {
            code: code.to_string(),
            shown: place_label(&m.name, b.department.as_ref().map(|d| &*d.name)),
        })
    }
}

/// How the seats of two buying entities compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatMatch {
    /// The same municipality.
    Same,
    /// Two municipalities: two entities under one NIT.
    Different,
    /// One of them unknown.
    Unknown,
}

/// Compares the seats of two buying entities.
pub fn compare_seats(a: Option<&Seat>, b: Option<&Seat>) -> SeatMatch {
    match (a, b) {
        (Some(x), Some(y)) if x.code == y.code => SeatMatch::Same,
        (Some(_), Some(_)) => SeatMatch::Different,
        _ => SeatMatch::Unknown,
    }
}

/// The suppliers of a process as hashes, held inline (see [`Numbers`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupplierKeys {
    pub(crate) len: u8,
    /// More suppliers than held: "different" cannot be told.
    pub(crate) more: bool,
    pub(crate) ids: [Option<u64>; SupplierKeys::MAX],
    pub(crate) names: [Option<u64>; SupplierKeys::MAX],
}

impl SupplierKeys {
    /// Suppliers held.
    pub const MAX: usize = 8;

    /// The keys of a list of suppliers, in its order.
    pub fn of(list: &[Supplier]) -> SupplierKeys {
        let mut k = SupplierKeys {
            more: list.len() > Self::MAX,
            ..Default::default()
        };
        for s in list.iter().take(Self::MAX) {
            k.ids[k.len as usize] = s.id;
            k.names[k.len as usize] = s.name;
            k.len += 1;
        }
        k
    }
}

/// Compares the awarded suppliers of two processes.
pub fn compare_suppliers(a: &SupplierKeys, b: &SupplierKeys) -> SupplierMatch {
    if a.len == 0 || b.len == 0 {
        return SupplierMatch::Unknown;
    }
    for i in 0..a.len as usize {
        for j in 0..b.len as usize {
            let same_id = a.ids[i].is_some() && a.ids[i] == b.ids[j];
            if same_id || (a.names[i].is_some() && a.names[i] == b.names[j]) {
                return SupplierMatch::Same(i);
            }
        }
    }
    if a.more || b.more {
        SupplierMatch::Unknown
    } else {
        SupplierMatch::Different
    }
}

/// The part of a stored [`Process`] duplicate detection reads, borrowed from the stored
/// JSON: deserializing it skips everything else and copies no text without escapes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProcessView<'a> {
    /// The process key.
    #[serde(borrow)]
    pub key: Cow<'a, str>,
    /// The platform.
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Only contracts are known.
    #[serde(default)]
    pub partial: bool,
    /// The platform's process id.
    #[serde(borrow, default)]
    pub process_id: Cow<'a, str>,
    /// Every identifier.
    #[serde(borrow, default)]
    pub ids: Vec<Cow<'a, str>>,
    /// The entity's reference, phase suffix stripped.
    #[serde(borrow, default)]
    pub reference: Option<Cow<'a, str>>,
    /// The name.
    #[serde(borrow, default)]
    pub title: Cow<'a, str>,
    /// The description.
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// The buying entity: only its place.
    #[serde(borrow, default)]
    pub buyer: BuyerView<'a>,
    /// Canonical modality.
    #[serde(default)]
    pub modality: Modality,
    /// Canonical status.
    #[serde(default)]
    pub status: Status,
    /// Awards: only their suppliers.
    #[serde(borrow, default)]
    pub awards: Vec<AwardView<'a>>,
    /// Contracts.
    #[serde(borrow, default)]
    pub contracts: Vec<ContractView<'a>>,
}

/// The buying entity, as [`ProcessView`] reads it: where it sits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BuyerView<'a> {
    /// Department.
    #[serde(borrow, default)]
    pub department: Option<PlaceView<'a>>,
    /// Municipality.
    #[serde(borrow, default)]
    pub municipality: Option<PlaceView<'a>>,
}

/// A DIVIPOLA place, as [`ProcessView`] reads it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlaceView<'a> {
    /// DIVIPOLA code, when resolved.
    #[serde(borrow, default)]
    pub code: Option<Cow<'a, str>>,
    /// Official name, else the text as published.
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
}

/// An award, as [`ProcessView`] reads it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AwardView<'a> {
    /// The winner.
    #[serde(borrow, default)]
    pub supplier: Option<PartyView<'a>>,
}

/// A contract, as [`ProcessView`] reads it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContractView<'a> {
    /// Contract id.
    #[serde(borrow, default)]
    pub id: Cow<'a, str>,
    /// The entity's reference for it.
    #[serde(borrow, default)]
    pub reference: Option<Cow<'a, str>>,
    /// The contractor.
    #[serde(borrow, default)]
    pub supplier: Option<PartyView<'a>>,
    /// The contract's object.
    #[serde(borrow, default)]
    pub object: Option<Cow<'a, str>>,
}

/// A supplier, as [`ProcessView`] reads it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PartyView<'a> {
    /// Name.
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    /// Document number.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
}

impl<'a> ProcessView<'a> {
    /// A view of a process in memory.
    pub fn of(p: &'a Process) -> ProcessView<'a> {
        let b = |s: &'a str| Cow::Borrowed(s);
        let party = |x: &'a crate::model::Party| PartyView {
            name: b(&x.name),
            id: x.id.as_deref().map(b),
        };
        let place = |x: &'a crate::model::Place| PlaceView {
            code: x.code.as_deref().map(b),
            name: b(&x.name),
        };
        ProcessView {
            key: b(&p.key),
            platform: p.platform,
            partial: p.partial,
            process_id: b(&p.process_id),
            ids: p.ids.iter().map(|i| b(i)).collect(),
            reference: p.reference.as_deref().map(b),
            title: b(&p.title),
            description: p.description.as_deref().map(b),
            buyer: BuyerView {
                department: p.buyer.department.as_ref().map(place),
                municipality: p.buyer.municipality.as_ref().map(place),
            },
            modality: p.modality,
            status: p.status,
            awards: p
                .awards
                .iter()
                .map(|a| AwardView {
                    supplier: a.supplier.as_ref().map(party),
                })
                .collect(),
            contracts: p
                .contracts
                .iter()
                .map(|c| ContractView {
                    id: b(&c.id),
                    reference: c.reference.as_deref().map(b),
                    supplier: c.supplier.as_ref().map(party),
                    object: c.object.as_deref().map(b),
                })
                .collect(),
        }
    }
}

/// A process reduced to what duplicate detection compares.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The process key.
    pub key: String,
    /// The platform.
    pub platform: Option<Platform>,
    /// Hashes of the platform's own identifiers (`CO1.*`, the SECOP I constancia): two
    /// records sharing one are the same process split in two, not a double publication.
    pub platform_ids: Vec<u64>,
    /// The entity's reference: the process's, else the first contract's.
    pub reference: Option<Reference>,
    /// Object texts as published: the name, the description (SECOP II) and contract
    /// objects. Tokenized on first use (see [`Profile::texts`]): most pairs never get
    /// that far.
    raw_texts: Vec<String>,
    /// Their tokens, once asked for.
    texts: std::cell::OnceCell<Vec<Text>>,
    /// The fingerprints of the texts, computed when the record is read (the window counts
    /// them).
    fingerprints: Vec<u64>,
    /// The value people compare ([`Process::value`], the index's `value`).
    pub value: Option<i64>,
    /// Publication time (the index's `published`: publication, else signature or update).
    pub published: i64,
    /// Canonical modality.
    pub modality: Modality,
    /// Canonical status.
    pub status: Status,
    /// Awarded or contracted suppliers.
    pub suppliers: Vec<Supplier>,
    /// The same, as hashes held inline.
    pub supplier_keys: SupplierKeys,
    /// Only contracts are known (no process row).
    pub partial: bool,
    /// The SECOP II portfolio (`CO1.BDOS`) is known; always true for SECOP I.
    pub portfolio_known: bool,
    /// Hashes of the SECOP II notices (`CO1.NTC`) the record names.
    pub notices: Vec<u64>,
    /// Where the buying entity sits.
    pub seat: Option<Seat>,
}

impl Profile {
    /// The features of a process in memory.
    pub fn new(p: &Process, published: i64) -> Profile {
        Profile::of(&ProcessView::of(p), published, p.value())
    }

    /// The features of a process, placed at `published` (Unix seconds), with the value
    /// people compare.
    pub fn of(p: &ProcessView<'_>, published: i64, value: Option<i64>) -> Profile {
        let reference = p
            .reference
            .as_deref()
            .or_else(|| p.contracts.iter().find_map(|c| c.reference.as_deref()))
            .and_then(Reference::new)
            .filter(|r| !r.norm.starts_with("co1"));

        let mut raw_texts: Vec<String> = Vec::new();
        let mut fingerprints: Vec<u64> = Vec::new();
        let mut push = |s: &str| {
            if let Some(fp) = fingerprint(s)
                && !raw_texts.iter().any(|x| x == s)
            {
                raw_texts.push(s.to_string());
                fingerprints.push(fp);
            }
        };
        // A name that only repeats the reference says nothing about the object.
        let title = strip_phase_suffix(&p.title);
        let title_is_reference = reference
            .as_ref()
            .is_some_and(|r| id_norm(title) == r.norm || id_norm(title).is_empty());
        if !title_is_reference {
            push(title);
        }
        // SECOP I's description is `objeto_a_contratar`, the name of a UNSPSC segment,
        // not the object of the process.
        if p.platform != Some(Platform::SecopI)
            && let Some(d) = &p.description
        {
            push(d);
        }
        for c in p.contracts.iter().take(3) {
            if let Some(o) = &c.object {
                push(o);
            }
        }

        let hash = |s: &str| xxh3_64(id_norm(s).as_bytes());
        let notices: Vec<u64> = p
            .ids
            .iter()
            .filter(|i| i.starts_with("CO1.NTC."))
            .map(|i| hash(i))
            .collect();
        let mut platform_ids: Vec<u64> = Vec::new();
        let platform_id_texts = std::iter::once(&p.process_id)
            .filter(|i| !i.is_empty())
            .chain(p.ids.iter().filter(|i| i.starts_with("CO1.")))
            .chain(
                p.contracts
                    .iter()
                    .map(|c| &c.id)
                    .filter(|i| i.starts_with("CO1.")),
            );
        for id in platform_id_texts {
            let h = hash(id);
            if !platform_ids.contains(&h) {
                platform_ids.push(h);
            }
        }

        let mut suppliers: Vec<Supplier> = Vec::new();
        let parties = p
            .awards
            .iter()
            .filter_map(|a| a.supplier.as_ref())
            .chain(p.contracts.iter().filter_map(|c| c.supplier.as_ref()));
        for s in parties {
            let sup = Supplier::new(&s.name, s.id.as_deref());
            if !suppliers.contains(&sup) {
                suppliers.push(sup);
            }
        }

        Profile {
            key: p.key.to_string(),
            platform: p.platform,
            platform_ids,
            reference,
            raw_texts,
            texts: std::cell::OnceCell::new(),
            fingerprints,
            value,
            published,
            modality: p.modality,
            status: p.status,
            supplier_keys: SupplierKeys::of(&suppliers),
            suppliers,
            partial: p.partial,
            portfolio_known: p.platform != Some(Platform::SecopII)
                || p.process_id.starts_with("CO1.BDOS."),
            notices,
            seat: Seat::of(&p.buyer),
        }
    }

    /// The fingerprints of the texts.
    pub fn fingerprints(&self) -> impl Iterator<Item = u64> + '_ {
        self.fingerprints.iter().copied()
    }

    /// The object texts, tokenized (on first use).
    pub fn texts(&self) -> &[Text] {
        self.texts.get_or_init(|| {
            let mut v: Vec<Text> = Vec::with_capacity(self.raw_texts.len());
            for t in self.raw_texts.iter().filter_map(|s| Text::new(s)) {
                if !v.iter().any(|x| x.set == t.set) {
                    v.push(t);
                }
            }
            v
        })
    }

    /// True when the two records are one process split in two, not a double
    /// publication: they share a platform identifier; or they are on SECOP II, one of
    /// them without its portfolio (rows of the awarded-processes export and of contract
    /// exports can lack `id_del_portafolio`), and either they carry the same reference
    /// (a Menor Cuantía process has one procedure for the expressions of interest and
    /// another for the offers, each its own row) or one holds only the contract the
    /// other awarded.
    pub fn same_record(&self, other: &Profile) -> bool {
        if self
            .platform_ids
            .iter()
            .any(|h| other.platform_ids.contains(h))
        {
            return true;
        }
        let secop2 =
            self.platform == Some(Platform::SecopII) && other.platform == Some(Platform::SecopII);
        if !secop2 || (self.portfolio_known && other.portfolio_known) {
            return false;
        }
        // Two different notices are two different publications.
        if !self.notices.is_empty()
            && !other.notices.is_empty()
            && !self.notices.iter().any(|n| other.notices.contains(n))
        {
            return false;
        }
        let same_reference = match (&self.reference, &other.reference) {
            (Some(a), Some(b)) => compare_references(a, b) == RefMatch::Same,
            _ => false,
        };
        let contract_of_process = self.partial != other.partial
            && matches!(
                compare_suppliers(&self.supplier_keys, &other.supplier_keys),
                SupplierMatch::Same(_)
            );
        same_reference || contract_of_process
    }

    /// The most similar pair of texts: how they compare, and the fingerprint of this
    /// side's text of that pair.
    pub fn best_text_match(&self, other: &Profile) -> Option<(TextMatch, u64)> {
        let mut best: Option<(TextMatch, u64)> = None;
        for a in self.texts() {
            for b in other.texts() {
                let m = text_similarity(a, b);
                let better = match &best {
                    None => true,
                    Some((x, _)) => {
                        m.similarity > x.similarity
                            || (m.similarity == x.similarity
                                && m.substitutions() < x.substitutions())
                    }
                };
                if better {
                    best = Some((m, a.fingerprint));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::new(s).unwrap()
    }

    fn cmp(a: &str, b: &str) -> RefMatch {
        compare_references(&r(a), &r(b))
    }

    #[test]
    fn references_written_other_ways_are_the_same() {
        // Real references from f789-7hwg and p6dx-8zbt, and the ways people rewrite them.
        assert_eq!(cmp("LP-003-2025", "lp 003 2025"), RefMatch::Same);
        assert_eq!(cmp("LP-003-2025", "LP-03-2025"), RefMatch::Same);
        assert_eq!(cmp("LP-003-2025", "LP-003-25"), RefMatch::Same);
        assert_eq!(cmp("LP-003-2025", "LP No. 003 de 2025"), RefMatch::Same);
        assert_eq!(cmp("SAMC0092026", "SAMC-009-2026"), RefMatch::Same);
        assert_eq!(cmp("SA-MC-010-2026", "SAMC-010-2026"), RefMatch::Same);
        assert_eq!(
            cmp(
                "SAMC-002-2026 (Manifestación de interés (Menor Cuantía))",
                "SAMC-002-2026"
            ),
            RefMatch::Same
        );
        // Re-publication on SECOP II: the platform wants a new reference, a dot is added.
        assert_eq!(
            cmp("IND-26-SC-08-2161", "IND-26-SC-08-2161."),
            RefMatch::Same
        );
        assert_eq!(
            cmp("CVC SAMC 016 2026", "CVC SAMC 016  2026"),
            RefMatch::Same
        );
    }

    #[test]
    fn references_with_other_numbers_differ() {
        // Real monthly contracts of one entity (f789-7hwg).
        assert_eq!(
            cmp("CD-PS-1441-2026", "CD-PS-380-2026"),
            RefMatch::Different
        );
        assert_eq!(cmp("239/2026", "259/2026"), RefMatch::Different);
        assert_eq!(cmp("0554-2026", "0563-2026"), RefMatch::Different);
        assert_eq!(cmp("MC-003-2025", "MC-003-2026"), RefMatch::Different);
        assert_eq!(cmp("087", "088"), RefMatch::DifferentWeak);
        assert_eq!(cmp("087", "087"), RefMatch::SameWeak);
    }

    #[test]
    fn references_that_contain_each_other_are_compatible() {
        assert_eq!(
            cmp(
                "CD-051-2026 MAYERLY ALEJANDRA NASAMUES AVIRAMA",
                "CD-051-2026"
            ),
            RefMatch::Compatible
        );
        assert_eq!(
            cmp("FDLM-SAMC-012-2026 (158297)", "FDLM-SAMC-012-2026"),
            RefMatch::Compatible
        );
        assert_eq!(cmp("SAMC-012-2026", "SA-012-2026"), RefMatch::Compatible);
        assert_eq!(
            cmp("CONTRATACION DIRECTA", "CD-001-2026"),
            RefMatch::Unknown
        );
    }

    fn t(s: &str) -> Text {
        Text::new(s).unwrap()
    }

    #[test]
    fn lost_accents_case_and_plurals_do_not_matter() {
        // The live SECOP I dataset and SECOP II write the same words differently.
        let a = t("SERVICIOS DE EDIFICACIoN, CONSTRUCCIoN DE INSTALACIONES Y MANTENIMIENTO");
        let b = t("Servicio de edificación, construcción de instalación y mantenimiento");
        assert_eq!(text_similarity(&a, &b).similarity, 1.0);
    }

    #[test]
    fn a_cut_text_is_compared_with_the_opening_of_the_other() {
        // p6dx-8zbt cuts descriptions; the twin keeps the whole text.
        let whole = t(
            "PRESTACIÓN DEL SERVICIO DE TRANSPORTE ESCOLAR PARA LOS ESTUDIANTES DE LA ZONA \
             URBANA Y RURAL MONTAÑOSA DE DIFÍCIL ACCESO QUE SE DESPLAZAN HASTA LAS DIFERENTES \
             SEDES EDUCATIVAS DEL MUNICIPIO DURANTE EL CALENDARIO ESCOLAR 2026",
        );
        let cut = t(
            "PRESTACIÓN DEL SERVICIO DE TRANSPORTE ESCOLAR PARA LOS ESTUDIANTES DE LA ZONA \
             URBANA Y RURAL MONTAÑOSA DE DIF",
        );
        let m = text_similarity(&whole, &cut);
        assert!(m.cut);
        assert!(m.similarity > 0.8, "{m:?}");
        // Without the cut-aware comparison it would look like another object.
        assert!(jaccard(&whole.set, &cut.set) < 0.6);
    }

    #[test]
    fn the_quick_fingerprint_is_the_texts() {
        for s in [
            "AUNAR ESFUERZOS Y APOYO MUTUO; PARA EL MEJORAMIENTO DE LA CALLE 19 ENTRE CARRERA 22D Y CARRERA 23",
            "PRESTACIÓN DE SERVICIOS PROFESIONALES Y DE APOYO A LA GESTIÓN",
            "Control de plagas; Poda",
            "2026 2027",
        ] {
            assert_eq!(fingerprint(s), Some(t(s).fingerprint), "{s}");
        }
        // A series of streets shares a fingerprint; another object does not.
        assert_eq!(
            fingerprint(
                "MEJORAMIENTO DE LA CALLE 19 ENTRE CARRERA 22 Y 23 DEL BARRIO LA ESPERANZA"
            ),
            fingerprint(
                "MEJORAMIENTO DE LA CALLE 20 ENTRE CARRERA 23 Y 24 DEL BARRIO LA ESPERANZA"
            )
        );
        assert_ne!(
            fingerprint("SUMINISTRO DE POLIZAS"),
            fingerprint("SUMINISTRO DE COMBUSTIBLE")
        );
        assert_eq!(fingerprint("Sin Descripcion"), None);
        assert_eq!(fingerprint(" ; "), None);
    }

    #[test]
    fn rewording_is_near_and_a_series_is_not() {
        for (a, b) in [
            ("prestacion", "prestar"),
            ("municipio", "mpio"),
            ("mantenimiento", "mtto"),
            ("departamento", "dpto"),
            ("restacion", "prestacion"),
            ("dif", "dificil"),
            ("construccion", "construir"),
        ] {
            assert!(near_words(a, b), "{a} / {b}");
        }
        for (a, b) in [
            ("rondon", "cravo"),
            ("rita", "barbara"),
            ("18", "8"),
            ("17", "18b"),
        ] {
            assert!(!near_words(a, b), "{a} / {b}");
        }
        // Real twins: SECOP II "S.A-003-2026" and its re-publication with a typo.
        let m = text_similarity(
            &t("PRESTACIÓN DE SERVICIOS LOGÍSTICOS INTEGRALES REQUERIDOS PARA EL DESARROLLO"),
            &t("RESTACIÓN DE SERVICIOS LOGÍSTICOS INTEGRALES REQUERIDOS PARA EL DESARROLLO"),
        );
        assert_eq!(m.similarity, 1.0);
        assert_eq!(m.substitutions(), 0);
        // Real distinct contracts of one entity, one per airport (jbjy-vk9h).
        let m = text_similarity(
            &t(
                "REALIZAR EL MANTENIMIENTO RUTINARIO DEL LADO AIRE EN EL AEROPUERTO DE PUERTO RONDON",
            ),
            &t("REALIZAR EL MANTENIMIENTO RUTINARIO LADO AIRE EN EL AEROPUERTO DE CRAVO NORTE"),
        );
        assert_eq!(m.substitutions(), 2, "{m:?}");
        assert_eq!(m.only.0, vec!["puerto", "rondon"]);
        // Placeholders are no text.
        assert!(Text::new("Sin Descripcion").is_none());
        assert!(Text::new("No Definido").is_none());
    }

    #[test]
    fn different_objects_are_not_similar() {
        let a = t(
            "APOYO LOGiSTICO Y ADQUISIoN DE BIENES Y SERVICIOS PARA LA CELEBRACIoN DEL DIA DE LA MUJER",
        );
        let b = t(
            "CONTRATAR CON UNA COMPAÑÍA DE SEGUROS; LEGALMENTE AUTORIZADA PARA FUNCIONAR EN EL PAIS",
        );
        assert!(text_similarity(&a, &b).similarity < 0.15);
    }

    #[test]
    fn values_dates_and_modalities() {
        assert_eq!(
            compare_values(Some(62_435_208), Some(62_435_208)),
            ValueMatch::Known(0.0)
        );
        match compare_values(Some(143_448_065), Some(300_000_000)) {
            ValueMatch::Known(d) => assert!(d > 0.5),
            v => panic!("{v:?}"),
        }
        assert_eq!(compare_values(None, Some(1)), ValueMatch::Unknown);
        assert_eq!(days_apart(0, 3 * 86_400), 3);
        assert_eq!(days_apart(86_400 * 10, 0), 10);
        use crate::normalize::vocab::modality;
        // The two platforms' words for the same modality.
        let s1 = modality("SELECCIoN ABREVIADA DE MENOR CUANTiA (LEY 1150 DE 2007)");
        let s2 = modality("Selección Abreviada de Menor Cuantía");
        assert_eq!(compare_modalities(s1, s2), ModalityMatch::Same);
        assert_eq!(
            compare_modalities(modality("SUBASTA"), s2),
            ModalityMatch::Compatible
        );
        assert_eq!(
            compare_modalities(
                modality("CONTRATACIoN MiNIMA CUANTiA"),
                modality("Licitación pública")
            ),
            ModalityMatch::Different
        );
        assert_eq!(
            compare_modalities(
                modality("ReGIMEN ESPECIAL"),
                modality("Contratación directa")
            ),
            ModalityMatch::Compatible
        );
    }

    #[test]
    fn suppliers_by_id_or_name() {
        let s = |id: Option<&str>, name: &str| SupplierKeys::of(&[Supplier::new(name, id)]);
        let a = s(Some("900223270"), "DISTRIOBRAS JC S.A.S");
        let b = s(Some("900223270"), "Distriobras JC SAS");
        assert_eq!(compare_suppliers(&a, &b), SupplierMatch::Same(0));
        let c = s(None, "SANDRO NELSoN TORO");
        let d = s(None, "SANDRO NELSÓN TORO");
        assert_eq!(compare_suppliers(&c, &d), SupplierMatch::Same(0));
        assert_eq!(compare_suppliers(&a, &c), SupplierMatch::Different);
        assert_eq!(
            compare_suppliers(&a, &SupplierKeys::of(&[])),
            SupplierMatch::Unknown
        );
        // Ten lots, ten suppliers: the eleventh is not "another supplier" for sure.
        let many: Vec<Supplier> = (0..10)
            .map(|i| Supplier::new(&format!("PROVEEDOR {i}"), None))
            .collect();
        assert_eq!(
            compare_suppliers(&SupplierKeys::of(&many), &c),
            SupplierMatch::Unknown
        );
    }
}
