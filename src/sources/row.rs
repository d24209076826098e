//! One raw row: column names in the API's spelling, values as text.

use std::collections::HashMap;
use std::sync::Arc;

use xxhash_rust::xxh3::Xxh3;

/// The column names of a run of rows, with a lookup by name.
#[derive(Debug, Default)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    /// A header from column names (API spelling). A repeated name keeps its first column.
    pub fn new(names: Vec<String>) -> Header {
        let mut index = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            index.entry(n.clone()).or_insert(i);
        }
        Header { names, index }
    }

    /// The column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of a column.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// True when the header has this column.
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// One row: values in the order of its [`Header`].
#[derive(Debug, Clone)]
pub struct Row {
    header: Arc<Header>,
    values: Vec<String>,
}

impl Row {
    /// A row from a shared header and its values. Missing trailing values read as empty.
    pub fn new(header: Arc<Header>, values: Vec<String>) -> Row {
        Row { header, values }
    }

    /// A row from name/value pairs (tests, JSON objects, stored raw rows).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Row {
        let (names, values): (Vec<String>, Vec<String>) =
            pairs.into_iter().map(|(k, v)| (k.into(), v.into())).unzip();
        Row::new(Arc::new(Header::new(names)), values)
    }

    /// The header.
    pub fn header(&self) -> &Arc<Header> {
        &self.header
    }

    /// The trimmed value of a column; `None` when the column is missing or the cell is empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self.header.position(name)?;
        let v = self.values.get(i)?.trim();
        if v.is_empty() { None } else { Some(v) }
    }

    /// Name/value pairs with a non-empty value.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header
            .names
            .iter()
            .zip(self.values.iter())
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The canonical JSON object of the row: keys sorted, empty cells and the SODA system
    /// fields (`:id`, `:updated_at`, …) left out, so that the same row read from the API, a
    /// JSON file or a CSV export serialises to the same bytes.
    pub fn canonical_json(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs()
            .filter(|(n, _)| !n.starts_with(':') && !n.is_empty())
            .collect();
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        // Written straight out (the same bytes as a sorted `serde_json::Map`, without
        // building one: this runs for every row).
        use serde::ser::{SerializeMap, Serializer};
        let cap: usize = pairs.iter().map(|(n, v)| n.len() + v.len() + 6).sum();
        let mut out = Vec::with_capacity(cap + 2);
        let mut ser = serde_json::Serializer::new(&mut out);
        let mut m = ser
            .serialize_map(Some(pairs.len()))
            .expect("writing to a Vec cannot fail");
        for (n, v) in pairs {
            m.serialize_entry(n, v.trim())
                .expect("writing to a Vec cannot fail");
        }
        m.end().expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// The content hash of [`Row::canonical_json`]'s bytes (xxh3, 64 bits).
    pub fn content_hash(canonical_json: &str) -> i64 {
        let mut h = Xxh3::new();
        h.update(canonical_json.as_bytes());
        h.digest() as i64
    }

    /// Reads a row back from its canonical JSON.
    pub fn from_canonical_json(s: &str) -> serde_json::Result<Row> {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(s)?;
        Ok(Row::from_pairs(map.into_iter().map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_ignores_order_empties_and_system_fields() {
        let a = Row::from_pairs([("b", "2"), ("a", "1"), (":id", "row-xyz"), ("c", "")]);
        let b = Row::from_pairs([("a", "1 "), ("b", "2"), (":updated_at", "2026")]);
        assert_eq!(a.canonical_json(), r#"{"a":"1","b":"2"}"#);
        assert_eq!(a.canonical_json(), b.canonical_json());
        let quoted = Row::from_pairs([("é\"k", "v\n\u{1}<x>"), ("a", " x ")]);
        let mut map = serde_json::Map::new();
        map.insert("a".into(), "x".into());
        map.insert("é\"k".into(), "v\n\u{1}<x>".into());
        assert_eq!(
            quoted.canonical_json(),
            serde_json::Value::Object(map).to_string()
        );
        let back = Row::from_canonical_json(&a.canonical_json()).unwrap();
        assert_eq!(back.get("a"), Some("1"));
        assert_eq!(back.get("c"), None);
    }
}
