//! A page of SODA JSON (`[{…}, {…}]`) read straight into [`Row`]s.
//!
//! The same cells as [`crate::sources::reader::row_from_json`] gives (strings as they are,
//! numbers and booleans as text, `{"url": …}` as the URL, other nested values as JSON text,
//! nulls left out), without building a `serde_json::Value` tree per row first. Rows with the
//! same keys share one [`Header`]; names are mapped to the dataset's API names as files are.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::sources::datasets::{Dataset, map_column};
use crate::sources::reader::json_cell;
use crate::sources::{Header, Row};

/// Parses a whole page. An error means the body is not complete JSON of the expected shape
/// (the caller retries it).
pub fn parse_page(body: &[u8], ds: &'static dyn Dataset) -> Result<Page, String> {
    let mut b = Builder {
        ds,
        names: HashMap::new(),
        last_keys: Vec::new(),
        last_header: Arc::new(Header::default()),
        keys: BTreeSet::new(),
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let rows = (&mut b)
        .deserialize(&mut de)
        .and_then(|rows| de.end().map(|_| rows))
        .map_err(|e| e.to_string())?;
    Ok(Page { rows, keys: b.keys })
}

/// The rows of a page and every key they used.
#[derive(Debug)]
pub struct Page {
    /// The rows, in order.
    pub rows: Vec<Row>,
    /// The field names the rows carried (API spelling after mapping).
    pub keys: BTreeSet<String>,
}

struct Builder {
    ds: &'static dyn Dataset,
    names: HashMap<String, String>,
    last_keys: Vec<String>,
    last_header: Arc<Header>,
    keys: BTreeSet<String>,
}

impl Builder {
    fn row(&mut self, pairs: Vec<(String, String)>) -> Row {
        let same = pairs.len() == self.last_keys.len()
            && pairs.iter().zip(&self.last_keys).all(|(a, b)| a.0 == *b);
        let (keys, values): (Vec<String>, Vec<String>) = pairs.into_iter().unzip();
        if !same {
            let ds = self.ds;
            let mapped: Vec<String> = keys
                .iter()
                .map(|k| {
                    self.names
                        .entry(k.clone())
                        .or_insert_with(|| map_column(ds, k))
                        .clone()
                })
                .collect();
            self.keys.extend(mapped.iter().cloned());
            self.last_header = Arc::new(Header::new(mapped));
            self.last_keys = keys;
        }
        Row::new(self.last_header.clone(), values)
    }
}

impl<'de> DeserializeSeed<'de> for &mut Builder {
    type Value = Vec<Row>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Row>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &mut Builder {
    type Value = Vec<Row>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Row>, A::Error> {
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(RowPairs(pairs)) = seq.next_element()? {
            rows.push(self.row(pairs));
        }
        Ok(rows)
    }
}

/// One JSON object as (key, cell text) pairs; null cells left out.
struct RowPairs(Vec<(String, String)>);

impl<'de> de::Deserialize<'de> for RowPairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RowPairs, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RowPairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object (one row)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RowPairs, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(64));
                while let Some(k) = map.next_key::<String>()? {
                    if let Cell(Some(v)) = map.next_value()? {
                        pairs.push((k, v));
                    }
                }
                Ok(RowPairs(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

/// One cell's text, as [`json_cell`] gives it.
struct Cell(Option<String>);

impl<'de> de::Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cell;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Cell, E> {
                Ok(Cell(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Cell, E> {
                Ok(Cell(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell, E> {
                Ok(Cell(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell(json_cell(&serde_json::Value::from(v))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
                Ok(Cell(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
                Ok(Cell(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Cell, A::Error> {
                let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Cell(json_cell(&v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Cell, A::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Cell(json_cell(&v)))
            }
        }
        d.deserialize_any(V)
    }
}

use serde::Deserialize as _;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::datasets::by_name;
    use crate::sources::reader::row_from_json;

    #[test]
    fn same_cells_as_the_file_reader() {
        let ds = by_name("p6dx-8zbt").unwrap();
        let body = br#"[{"entidad":"INCIVA","precio_base":"78098065","urlproceso":{"url":"https://x/?noticeUID=CO1.NTC.1"},"n":12,"f":1.5,"b":true,"z":null,"arr":[1,"a"],"o":{"k":"v"}},
                       {"entidad":"OTRA","precio_base":"1","urlproceso":{"url":"u"},"n":1,"f":2.0,"b":false,"z":null,"arr":[],"o":{}}]"#;
        let page = parse_page(body, ds).unwrap();
        assert_eq!(page.rows.len(), 2);
        let values: Vec<serde_json::Value> = serde_json::from_slice(body).unwrap();
        for (row, v) in page.rows.iter().zip(&values) {
            let want = row_from_json(v).unwrap();
            assert_eq!(row.canonical_json(), want.canonical_json());
        }
        assert_eq!(
            page.rows[0].get("urlproceso"),
            Some("https://x/?noticeUID=CO1.NTC.1")
        );
        assert!(Arc::ptr_eq(page.rows[0].header(), page.rows[1].header()));
        assert!(page.keys.contains("precio_base") && !page.keys.contains("z"));
    }

    #[test]
    fn incomplete_json_is_an_error() {
        let ds = by_name("p6dx-8zbt").unwrap();
        assert!(parse_page(br#"[{"entidad":"INCIVA"},{"enti"#, ds).is_err());
        assert!(parse_page(br#"[{"a":"b"}] trailing"#, ds).is_err());
        assert!(parse_page(br#"{"a":"b"}"#, ds).is_err());
        assert!(parse_page(b"<html>blocked</html>", ds).is_err());
        assert_eq!(parse_page(b"[]", ds).unwrap().rows.len(), 0);
    }
}
