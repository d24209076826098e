//! The free text of a search before it reaches tantivy's query parser: reduced to the
//! syntax we document, stripped of operators that join nothing, and checked for words the
//! index holds (stop words are not indexed, so `de la` alone has nothing to search).

use tantivy::tokenizer::TokenStream;

use crate::index::schema::spanish_analyzer;

/// The free text reduced to the syntax we document: words, "phrases", -exclusions and
/// OR. Every other query-parser operator becomes a space, so that `a:b` cannot name a
/// field, `*` cannot ask for "exists", and brackets cannot open a range. Typographic
/// quotes (`“obra pública”`, `«obra pública»`, what phones and Spanish keyboards type)
/// make a phrase as straight ones do.
pub(crate) fn plain_syntax(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '“' | '”' | '„' | '‟' | '«' | '»' | '″' | '＂' => '"',
            ':' | '*' | '?' | '^' | '~' | '\\' | '/' | '\'' | '!' | '(' | ')' | '[' | ']' | '{'
            | '}' | '<' | '>' | '=' | '&' | '|' => ' ',
            c => c,
        })
        .collect()
}

/// The operators of a text written in lower case (`obra or agua`), which the parser takes
/// as words: `or` is no Spanish word, so such a search finds almost nothing, and says why.
pub(crate) fn lowercase_operators(plain: &str) -> Vec<&str> {
    let mut out: Vec<&str> = parts(plain)
        .into_iter()
        .filter_map(|p| match p {
            // `NOT` in capitals is the parser's own operator.
            Part::Text(t)
                if t != "NOT"
                    && ["or", "and", "not"].contains(&t.to_ascii_lowercase().as_str()) =>
            {
                Some(t)
            }
            _ => None,
        })
        .collect();
    out.dedup();
    out
}

/// One part of a query text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part<'a> {
    /// A word or a "phrase" (quotes included), with its `-` when excluded.
    Text(&'a str),
    /// `OR` or `AND`.
    Operator(&'a str),
}

/// Splits a query into words, phrases (an unclosed quote runs to the end, as for the
/// parser) and operators.
fn parts(q: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = q.trim_start();
    while !rest.is_empty() {
        let quoted = rest.strip_prefix('-').unwrap_or(rest).starts_with('"');
        let end = if quoted {
            let open = rest.find('"').expect("a quote") + 1;
            rest[open..].find('"').map_or(rest.len(), |i| open + i + 1)
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
        let item = &rest[..end];
        out.push(match item {
            "OR" | "AND" => Part::Operator(item),
            _ => Part::Text(item),
        });
        rest = rest[end..].trim_start();
    }
    out
}

/// The text without the pieces the parser would only complain about: signs without a
/// letter or digit (`-`, `+`, `""`), an operator at either end, or one after another
/// operator (`AND obra`, `obra OR`). `NOT` in capitals becomes the `-` of the word after
/// it (`obra NOT vial` is `obra -vial`), and is dropped when no word follows: the parser
/// would take a trailing `NOT` as "not anything" and find nothing. What is left means the
/// same.
pub(crate) fn tidy(plain: &str) -> String {
    // Each part kept, with `true` when a `NOT` before it excludes it.
    let mut kept: Vec<(Part, bool)> = Vec::new();
    let mut negate = false;
    for p in parts(plain) {
        match p {
            Part::Text("NOT") => negate = true,
            Part::Text(t) if !t.chars().any(char::is_alphanumeric) => {}
            Part::Operator(_) if !matches!(kept.last(), Some((Part::Text(_), _))) => {}
            Part::Operator(_) => {
                negate = false;
                kept.push((p, false));
            }
            Part::Text(t) => {
                let negated = std::mem::take(&mut negate) && !t.starts_with('-');
                kept.push((p, negated));
            }
        }
    }
    while matches!(kept.last(), Some((Part::Operator(_), _))) {
        kept.pop();
    }
    let mut out = String::with_capacity(plain.len() + 1);
    for (p, negated) in kept {
        let (Part::Text(t) | Part::Operator(t)) = p;
        if !out.is_empty() {
            out.push(' ');
        }
        if negated {
            out.push('-');
        }
        out.push_str(t);
    }
    out
}

/// The words and phrases of a tidied query, or `None` when it has operators (whose
/// grouping only the parser knows).
pub(crate) fn plain_parts(tidied: &str) -> Option<Vec<&str>> {
    parts(tidied)
        .into_iter()
        .map(|p| match p {
            Part::Text(t) => Some(t),
            Part::Operator(_) => None,
        })
        .collect()
}

/// What a tidied query asks for, in words the index holds.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Words {
    /// Searchable words wanted (in words or phrases not excluded).
    pub wanted: usize,
    /// Searchable words excluded with `-`.
    pub excluded: usize,
    /// The wanted words that are not indexed because they are too common (`de`, `la`).
    pub too_common: Vec<String>,
}

/// Analyses a tidied query with the index's analyzer.
pub(crate) fn words(tidied: &str) -> Words {
    let mut w = Words::default();
    let mut analyzer = spanish_analyzer();
    for p in parts(tidied) {
        let Part::Text(t) = p else { continue };
        let (excluded, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let t = t.trim_matches('"');
        let mut n = 0;
        let mut stream = analyzer.token_stream(t);
        while stream.advance() {
            n += 1;
        }
        if excluded {
            w.excluded += n;
        } else {
            w.wanted += n;
            if n == 0 {
                w.too_common.extend(
                    t.split_whitespace()
                        .filter(|x| x.chars().any(char::is_alphanumeric))
                        .map(str::to_string),
                );
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_syntax_reaches_the_parser() {
        assert_eq!(plain_syntax("⺀:*'"), "⺀   ");
        assert_eq!(plain_syntax("title:(a OR b)"), "title  a OR b ");
        // Phrases, exclusions, OR and identifiers keep their characters.
        let kept = "\"vía terciaria\" -bogotá OR CO1.BDOS.123 800.015.991-1";
        assert_eq!(plain_syntax(kept), kept);
    }

    #[test]
    fn operators_that_join_nothing_are_dropped() {
        for (given, want) in [
            ("AND obra", "obra"),
            ("obra OR", "obra"),
            ("obra OR OR vial", "obra OR vial"),
            ("-", ""),
            ("obra - vial", "obra vial"),
            ("obra + \"\" vial", "obra vial"),
            ("OR + AND", ""),
            ("OR", ""),
            (
                "vigilancia OR aseo -nocturna",
                "vigilancia OR aseo -nocturna",
            ),
            ("\"obra OR civil\" AND", "\"obra OR civil\""),
            ("-\"malla vial\" OR", "-\"malla vial\""),
            ("\"sin cerrar OR", "\"sin cerrar OR"),
            // `NOT` in capitals excludes the word after it, and nothing at the end.
            ("obra NOT", "obra"),
            ("obra NOT vial", "obra -vial"),
            ("NOT \"malla vial\" obra", "-\"malla vial\" obra"),
            ("obra NOT -vial", "obra -vial"),
            ("obra NOT OR vial", "obra OR vial"),
            ("obra NOT NOT", "obra"),
            ("NOT obra OR vial", "-obra OR vial"),
        ] {
            assert_eq!(tidy(given), want, "{given}");
        }
    }

    #[test]
    fn parts_without_operators() {
        assert_eq!(
            plain_parts("890981195 \"malla vial\" -obra"),
            Some(vec!["890981195", "\"malla vial\"", "-obra"])
        );
        assert_eq!(plain_parts("a OR b"), None);
    }

    #[test]
    fn words_the_index_holds_are_counted() {
        let w = words("de la");
        assert_eq!((w.wanted, w.excluded), (0, 0));
        assert_eq!(w.too_common, ["de", "la"]);
        let w = words("\"de la\" -obra");
        assert_eq!((w.wanted, w.excluded), (0, 1));
        let w = words("obras de la vía");
        assert_eq!((w.wanted, w.excluded), (2, 0));
        assert_eq!(words("").wanted, 0);
    }
}
