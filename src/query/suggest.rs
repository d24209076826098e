//! "¿Quiso decir…?": a search that finds nothing gets the same text back with each word
//! the index does not hold replaced by the closest word it does (`vijilancia` →
//! `vigilancia`, `cemento asfaltico` is kept). Spanish typos are mostly one letter
//! (b/v, s/z/c, a missing h, ll/y): words are compared by their analysed form (folded,
//! singular, stemmed) within one edit, two for long words, and the replacement is the
//! most frequent such term, shown as a document writes it.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::{FuzzyTermQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenStream;
use tantivy::{Searcher, Term};

use super::{Engine, text};
use crate::index::schema::spanish_analyzer;
use crate::normalize::text::fold;

/// Words shorter than this are not corrected: too many words are one edit away.
const MIN_LEN: usize = 4;

/// From this length a word may be two edits away.
const TWO_EDITS: usize = 8;

/// Documents read for the spelling of a replacement.
const SURFACE_DOCS: usize = 20;

/// Terms of the automaton read at most, per word and segment (a short word can be one
/// edit from thousands of terms).
const MAX_CANDIDATES: usize = 2_000;

/// The text with every word the index does not hold replaced, or `None` when nothing
/// was replaced. Only plain texts (words, phrases, exclusions) are corrected; a word
/// with a digit (an identifier, a year) is left alone.
pub(crate) fn suggest(engine: &Engine, searcher: &Searcher, plain: &str) -> Option<String> {
    let field = engine.index.fields.all;
    let parts = text::plain_parts(plain)?;
    let mut analyzer = spanish_analyzer();
    let mut changed = false;
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for part in parts {
        let word = part.trim_start_matches('-');
        let simple = !word.starts_with('"')
            && word.chars().all(char::is_alphabetic)
            && word.chars().count() >= MIN_LEN;
        if !simple {
            out.push(part.to_string());
            continue;
        }
        let mut tokens = Vec::new();
        let mut stream = analyzer.token_stream(word);
        while stream.advance() {
            tokens.push(stream.token().text.clone());
        }
        let [token] = tokens.as_slice() else {
            out.push(part.to_string());
            continue;
        };
        let held = searcher
            .doc_freq(&Term::from_field_text(field, token))
            .unwrap_or(0);
        let found = (held == 0)
            .then(|| closest(searcher, field, token, word.chars().count()))
            .flatten()
            .and_then(|t| engine.surface(searcher, field, &t, word));
        match found {
            Some(w) => {
                changed = true;
                let sign = if part.starts_with('-') { "-" } else { "" };
                out.push(format!("{sign}{w}"));
            }
            None => out.push(part.to_string()),
        }
    }
    changed.then(|| out.join(" "))
}

/// The most frequent term of `field` within one edit of `token` (two for long words), the
/// nearer first.
fn closest(searcher: &Searcher, field: Field, token: &str, len: usize) -> Option<String> {
    let max = if len >= TWO_EDITS { 2 } else { 1 };
    for distance in 1..=max {
        let query = FuzzyTermQuery::new(Term::from_field_text(field, token), distance, true);
        let mut freq: HashMap<Vec<u8>, u64> = HashMap::new();
        for seg in searcher.segment_readers() {
            let Ok(inverted) = seg.inverted_index(field) else {
                continue;
            };
            let Ok(automaton) = query.automaton() else {
                return None;
            };
            let Ok(mut stream) = inverted.terms().search(automaton).into_stream() else {
                continue;
            };
            let mut n = 0;
            while n < MAX_CANDIDATES && stream.advance() {
                *freq.entry(stream.key().to_vec()).or_default() += stream.value().doc_freq as u64;
                n += 1;
            }
        }
        // The most frequent; of equal ones, the first in order.
        let best = freq
            .into_iter()
            .filter_map(|(k, f)| String::from_utf8(k).ok().map(|t| (f, t)))
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
        if let Some((_, t)) = best {
            return Some(t);
        }
    }
    None
}

impl Engine {
    /// The word as documents write it whose analysed form is `term`, in lower case, the
    /// spelling nearest to what was typed (`capasitacion` → `capacitación`, not
    /// `capacitaciones`): from the texts of some documents holding the term.
    fn surface(
        &self,
        searcher: &Searcher,
        field: Field,
        term: &str,
        typed: &str,
    ) -> Option<String> {
        let q = TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::Basic);
        let top = searcher
            .search(&q, &TopDocs::with_limit(SURFACE_DOCS).order_by_score())
            .ok()?;
        let typed = typed.to_lowercase();
        let mut analyzer = spanish_analyzer();
        let mut best: Option<(usize, usize, String)> = None;
        for (_, addr) in top {
            let p = self.load(searcher, addr).ok()?;
            let texts = [p.title.as_str(), p.description.as_deref().unwrap_or("")]
                .into_iter()
                .chain(p.contracts.iter().filter_map(|c| c.object.as_deref()));
            for text in texts {
                let mut stream = analyzer.token_stream(text);
                while stream.advance() {
                    let t = stream.token();
                    if t.text != term {
                        continue;
                    }
                    let Some(w) = text.get(t.offset_from..t.offset_to).map(str::to_lowercase)
                    else {
                        continue;
                    };
                    // The nearest spelling; of equal ones, the accented (`pólizas`, as
                    // Spanish writes it, before SECOP I's `POLIZAS`).
                    let d = strsim::levenshtein(&fold(&w), &fold(&typed));
                    let plain = w.chars().filter(char::is_ascii).count();
                    if best
                        .as_ref()
                        .is_none_or(|(bd, bp, bw)| (d, plain, &w) < (*bd, *bp, bw))
                    {
                        best = Some((d, plain, w));
                    }
                }
            }
        }
        best.map(|(_, _, w)| w)
    }
}
