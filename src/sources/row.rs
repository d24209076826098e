//! One raw row: column names in the API's spelling, values as text.
//!
//! A row keeps all its values in one buffer (a `csv::StringRecord`), so reading a wide CSV
//! export costs one allocation per row, not one per cell. Its content hash and its stored
//! form are computed from the cells directly, without building JSON.

use std::collections::HashMap;
use std::sync::Arc;

use xxhash_rust::xxh3::Xxh3;

/// The column names of a run of rows, with a lookup by name.
#[derive(Debug, Default)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// Positions of the columns that count for the content hash, by name: SODA's system
    /// fields (`:id`, `:updated_at`, …), unnamed columns and repeats left out.
    hashed: Vec<usize>,
}

impl Header {
    /// A header from column names (API spelling). A repeated name keeps its first column.
    pub fn new(names: Vec<String>) -> Header {
        let mut index = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            index.entry(n.clone()).or_insert(i);
        }
        let mut hashed: Vec<usize> = index
            .iter()
            .filter(|(n, _)| !n.is_empty() && !n.starts_with(':'))
            .map(|(_, &i)| i)
            .collect();
        hashed.sort_by(|&a, &b| names[a].cmp(&names[b]));
        Header {
            names,
            index,
            hashed,
        }
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

    /// The names joined with the unit separator: the header's identity in the state.
    pub fn signature(&self) -> String {
        self.names.join("\u{1f}")
    }

    /// Reads a header back from [`Header::signature`].
    pub fn from_signature(s: &str) -> Header {
        if s.is_empty() {
            return Header::new(Vec::new());
        }
        Header::new(s.split('\u{1f}').map(str::to_string).collect())
    }
}

/// One row: values in the order of its [`Header`].
#[derive(Debug, Clone)]
pub struct Row {
    header: Arc<Header>,
    values: csv::StringRecord,
}

impl Row {
    /// A row from a shared header and its values. Missing trailing values read as empty.
    pub fn new(header: Arc<Header>, values: Vec<String>) -> Row {
        let mut rec =
            csv::StringRecord::with_capacity(values.iter().map(String::len).sum(), values.len());
        for v in &values {
            rec.push_field(v);
        }
        Row {
            header,
            values: rec,
        }
    }

    /// A row from a shared header and a record of values in header order.
    pub fn from_record(header: Arc<Header>, values: csv::StringRecord) -> Row {
        Row { header, values }
    }

    /// A row from name/value pairs (tests, JSON objects).
    pub fn from_pairs<K: Into<String>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Row {
        let mut names = Vec::new();
        let mut rec = csv::StringRecord::new();
        for (k, v) in pairs {
            names.push(k.into());
            rec.push_field(v.as_ref());
        }
        Row {
            header: Arc::new(Header::new(names)),
            values: rec,
        }
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

    /// Name/value pairs with a non-empty value, in column order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header
            .names
            .iter()
            .zip(self.values.iter())
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(n, v)| (n.as_str(), v))
    }

    /// The row as a JSON object: keys sorted, empty cells and SODA system fields left out.
    /// Used to show a quarantined row to people.
    pub fn canonical_json(&self) -> String {
        let mut map = serde_json::Map::new();
        for &i in &self.header.hashed {
            let v = self.values.get(i).unwrap_or("").trim();
            if !v.is_empty() {
                map.insert(
                    self.header.names[i].clone(),
                    serde_json::Value::String(v.to_string()),
                );
            }
        }
        serde_json::Value::Object(map).to_string()
    }

    /// The content hash (xxh3, 64 bits) over the non-empty cells sorted by column name,
    /// SODA system fields left out: the same row read from the API, a JSON file or a CSV
    /// export hashes the same, whatever the column order.
    pub fn content_hash(&self) -> i64 {
        let mut h = Xxh3::new();
        for &i in &self.header.hashed {
            let v = self.values.get(i).unwrap_or("").trim();
            if !v.is_empty() {
                h.update(self.header.names[i].as_bytes());
                h.update(&[0x1f]);
                h.update(v.as_bytes());
                h.update(&[0x1e]);
            }
        }
        h.digest() as i64
    }

    /// The row's values, length-prefixed and LZ4-compressed, for the state. The header is
    /// stored once, apart ([`Header::signature`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(self.values.as_slice().len() + self.values.len() * 2);
        for v in self.values.iter() {
            let mut n = v.len();
            // LEB128 length.
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    buf.push(b);
                    break;
                }
                buf.push(b | 0x80);
            }
            buf.extend_from_slice(v.as_bytes());
        }
        lz4_flex::compress_prepend_size(&buf)
    }

    /// Reverses [`Row::encode`] with the header it was stored under.
    pub fn decode(header: Arc<Header>, blob: &[u8]) -> Result<Row, String> {
        let buf = lz4_flex::decompress_size_prepended(blob).map_err(|e| e.to_string())?;
        let mut rec = csv::StringRecord::with_capacity(buf.len(), header.names.len());
        let mut i = 0;
        while i < buf.len() {
            let mut n = 0usize;
            let mut shift = 0;
            loop {
                let b = *buf.get(i).ok_or("truncated length")?;
                i += 1;
                n |= ((b & 0x7f) as usize) << shift;
                if b & 0x80 == 0 {
                    break;
                }
                shift += 7;
                if shift > 35 {
                    return Err("bad length".into());
                }
            }
            let end = i
                .checked_add(n)
                .filter(|&e| e <= buf.len())
                .ok_or("truncated value")?;
            rec.push_field(std::str::from_utf8(&buf[i..end]).map_err(|e| e.to_string())?);
            i = end;
        }
        Ok(Row {
            header,
            values: rec,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_order_empties_and_system_fields() {
        let a = Row::from_pairs([("b", "2"), ("a", "1"), (":id", "row-xyz"), ("c", "")]);
        let b = Row::from_pairs([("a", "1 "), ("b", "2"), (":updated_at", "2026")]);
        assert_eq!(a.canonical_json(), r#"{"a":"1","b":"2"}"#);
        assert_eq!(a.content_hash(), b.content_hash());
        let c = Row::from_pairs([("a", "1"), ("b", "3")]);
        assert_ne!(a.content_hash(), c.content_hash());
        // Values do not run into names.
        let d = Row::from_pairs([("ab", "1")]);
        let e = Row::from_pairs([("a", "b1")]);
        assert_ne!(d.content_hash(), e.content_hash());
    }

    #[test]
    fn encoding_round_trips() {
        let a = Row::from_pairs([
            ("x", "ñandú \u{1f} y \"comillas\""),
            ("y", ""),
            ("z", &"largo ".repeat(100)),
        ]);
        let h = Arc::new(Header::from_signature(&a.header().signature()));
        let b = Row::decode(h, &a.encode()).unwrap();
        assert_eq!(b.get("x"), a.get("x"));
        assert_eq!(b.get("y"), None);
        assert_eq!(b.get("z"), a.get("z"));
        assert_eq!(a.content_hash(), b.content_hash());
        assert!(Row::decode(b.header().clone(), b"garbage").is_err());
    }
}
