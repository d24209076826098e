//! Two-word phrases answered from the `pairs` field.
//!
//! A phrase query reads the positions of its words in every document that has them all:
//! "prestación de servicios" is in four documents of five, so it read positions for most
//! of a million documents (about 100 ms) and could not skip blocks when ranking. The index
//! also holds each two neighbouring words as one term of `pairs`, with their distance
//! ([`crate::index::schema::pair_text`]), so a phrase of two words (stop words between them
//! aside) is a single term there: counted from one posting list and ranked with block-max
//! WAND like a word (on 1.15 M documents, 105 ms → 9 ms with facets). The matches are the
//! same documents but for one difference, for the better: a pair never spans two texts of a
//! process, whereas tantivy's positions run on from one text of a field to the next, so the
//! phrase also matched a title ending in "prestación" followed by a description starting
//! with "servicios" (5 of 940,740 matches). The BM25 statistics are the pair's.
//!
//! Only pairs of two common words are indexed ([`crate::index::schema::is_common`]): a
//! phrase with a rarer word stays a phrase, whose positions are read only in the few
//! documents that have that word.

use tantivy::Term;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, PhraseQuery, Query, TermQuery, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenStream;

use crate::index::schema::{MAX_PAIR_GAP, is_common, pair_text, spanish_analyzer};

/// A two-word phrase run as its `pairs` term. It reports the phrase's words as its terms,
/// so snippets highlight them in the text.
#[derive(Clone, Debug)]
pub(crate) struct PairQuery {
    pair: TermQuery,
    phrase: PhraseQuery,
}

impl Query for PairQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        self.pair.weight(scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.phrase.query_terms(visitor);
    }
}

/// The two-word phrases of a query text that the `pairs` field holds: for each quoted
/// phrase that analyses to two common words at most [`MAX_PAIR_GAP`] apart, its words and
/// their distance. (tantivy's phrase query does not expose the distance, so it is read
/// from the text.)
pub(crate) fn two_word_phrases(text: &str) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        // Odd parts are inside quotes (an unclosed last quote still opens a phrase, as
        // for the query parser).
        if i % 2 == 0 {
            continue;
        }
        let mut a = spanish_analyzer();
        let mut stream = a.token_stream(part);
        let mut words = Vec::new();
        while let Some(t) = stream.next() {
            words.push((t.position, t.text.clone()));
        }
        if let [(p1, w1), (p2, w2)] = words.as_slice() {
            let gap = p2.wrapping_sub(*p1);
            if (1..=MAX_PAIR_GAP).contains(&gap) && is_common(w1) && is_common(w2) {
                out.push((w1.clone(), gap, w2.clone()));
            }
        }
    }
    out
}

/// The query with every phrase of `phrases` ([`two_word_phrases`] of its text) replaced by
/// its `pairs` term; everything else unchanged. A pair of words quoted at two distances in
/// one text is left a phrase.
pub(crate) fn use_pairs(
    q: Box<dyn Query>,
    pairs: Field,
    phrases: &[(String, usize, String)],
) -> Box<dyn Query> {
    if phrases.is_empty() {
        return q;
    }
    if let Some(p) = q.downcast_ref::<PhraseQuery>() {
        let terms = p.phrase_terms();
        if let [t1, t2] = terms.as_slice()
            && let (Some(a), Some(b)) = (t1.value().as_str(), t2.value().as_str())
        {
            let mut gaps = phrases
                .iter()
                .filter(|(x, _, y)| x == a && y == b)
                .map(|(_, g, _)| *g);
            if let Some(gap) = gaps.next()
                && gaps.all(|g| g == gap)
            {
                let mut text = String::new();
                pair_text(a, gap, b, &mut text);
                return Box::new(PairQuery {
                    pair: TermQuery::new(
                        Term::from_field_text(pairs, &text),
                        IndexRecordOption::WithFreqs,
                    ),
                    phrase: p.clone(),
                });
            }
        }
        return q;
    }
    if let Some(b) = q.downcast_ref::<BooleanQuery>() {
        let clauses: Vec<(Occur, Box<dyn Query>)> = b
            .clauses()
            .iter()
            .map(|(o, c)| (*o, use_pairs(c.box_clone(), pairs, phrases)))
            .collect();
        return Box::new(BooleanQuery::new(clauses));
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::schema;
    use tantivy::collector::DocSetCollector;
    use tantivy::query::QueryParser;
    use tantivy::{Index, TantivyDocument};

    #[test]
    fn a_pair_finds_the_documents_the_phrase_finds() {
        let (sch, f) = schema::build();
        let index = Index::create_in_ram(sch);
        schema::register_tokenizers(&index);
        let mut w = index.writer(15_000_000).unwrap();
        for text in [
            "Prestación de servicios profesionales",
            "prestacion servicios de apoyo",
            "servicios de prestación",
            "PRESTACIÓN DE LOS SERVICIOS",
            "prestación de servicio de aseo",
            "obra de la y a vía",
            "Hallazgos arqueológicos en la vía",
        ] {
            let mut d = TantivyDocument::default();
            d.add_text(f.all, text);
            d.add_text(f.pairs, text);
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let mut parser = QueryParser::for_index(&index, vec![f.all]);
        parser.set_conjunction_by_default();
        let docs = |q: &dyn Query| {
            let mut v: Vec<u32> = searcher
                .search(q, &DocSetCollector)
                .unwrap()
                .into_iter()
                .map(|a| a.doc_id)
                .collect();
            v.sort();
            v
        };
        for text in [
            "\"prestación de servicios\"",
            "\"prestación servicios\"",
            "\"prestación de los servicios\"",
            "\"servicios de prestación\"",
            "\"servicios de prestación\" OR \"prestación servicios\"",
            "aseo \"prestación de servicios\"",
            "\"hallazgos arqueológicos\"",
        ] {
            let phrase = parser.parse_query(text).unwrap();
            let pairs = use_pairs(phrase.box_clone(), f.pairs, &two_word_phrases(text));
            assert_eq!(docs(&*phrase), docs(&*pairs), "{text}");
            assert!(!docs(&*pairs).is_empty(), "{text}");
        }
        let q = parser.parse_query("\"prestación de servicios\"").unwrap();
        let p = use_pairs(q, f.pairs, &two_word_phrases("\"prestación de servicios\""));
        assert!(p.is::<PairQuery>());
        assert_eq!(docs(&*p), [0, 4]);
        // A phrase with a rare word has no pair: it stays a phrase, and finds its document.
        let text = "\"hallazgos arqueológicos\"";
        let p = use_pairs(
            parser.parse_query(text).unwrap(),
            f.pairs,
            &two_word_phrases(text),
        );
        assert!(p.is::<PhraseQuery>());
        assert_eq!(docs(&*p), [6]);
        // Highlighting still sees the phrase's words.
        let mut n = 0;
        p.query_terms(&mut |t, _| {
            assert_eq!(t.field(), f.all);
            n += 1;
        });
        assert_eq!(n, 2);
    }

    #[test]
    fn only_quoted_two_word_phrases_are_pairs() {
        assert_eq!(
            two_word_phrases("\"Prestación de servicios\" bogotá \"vía\" \"a b c d\""),
            [("prestacion".to_string(), 2, "servici".to_string())]
        );
        // Too far apart, three words, no quotes, a word too rare to have pairs.
        assert!(two_word_phrases("\"obra de la y a vía\"").is_empty());
        assert!(two_word_phrases("\"hallazgos arqueológicos\"").is_empty());
        assert!(two_word_phrases("\"malla vial rural\"").is_empty());
        assert!(two_word_phrases("malla vial").is_empty());
    }
}
