//! UNSPSC codes (Colombia Compra Eficiente's "Clasificador de Bienes y Servicios" v14.1).
//!
//! SECOP II writes products as `V1.84131500`; SECOP I writes classes as `721410`. Both are
//! kept as eight-digit codes (`84131500`, `72141000`), and each code gets its segment, family,
//! class and product names so that a provider can search by a category's name and filter on
//! a code prefix such as `7214`.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

/// The classifier, bundled in the binary.
const UNSPSC_GZ: &[u8] = include_bytes!("../../fixtures/reference/unspsc-es.csv.gz");

/// Names for every level of the classifier, keyed by code (2, 4, 6 or 8 digits).
pub struct Unspsc {
    names: HashMap<u32, Box<str>>,
}

/// The names of a code's levels, as far as the classifier knows them.
#[derive(
    Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema,
)]
pub struct Category {
    /// Eight-digit code.
    pub code: String,
    /// Segment name (first two digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Family name (first four digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Class name (first six digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Product name, when the code names a product rather than a class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

fn key(code: &str) -> Option<u32> {
    // Distinguish levels by length: 10 + 2 digits is not 1000 + 4 digits.
    let n: u32 = code.parse().ok()?;
    Some(match code.len() {
        2 => n,
        4 => 100 + n,
        6 => 1_000_000 + n,
        8 => 100_000_000 + n,
        _ => return None,
    })
}

impl Unspsc {
    fn load() -> Unspsc {
        let mut text = String::new();
        flate2::read::GzDecoder::new(UNSPSC_GZ)
            .read_to_string(&mut text)
            .expect("bundled UNSPSC table is valid gzip");
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let mut names = HashMap::with_capacity(55_000);
        for rec in rdr.records() {
            let rec = rec.expect("bundled UNSPSC table is valid CSV");
            for (c, n) in [(0, 1), (2, 3), (4, 5), (6, 7)] {
                if let Some(k) = key(rec[c].trim()) {
                    names
                        .entry(k)
                        .or_insert_with(|| clean_name(&rec[n]).into_boxed_str());
                }
            }
        }
        Unspsc { names }
    }

    /// The classifier bundled in the binary, loaded on first use.
    pub fn get() -> &'static Unspsc {
        static U: OnceLock<Unspsc> = OnceLock::new();
        U.get_or_init(Unspsc::load)
    }

    /// The name of a code of 2, 4, 6 or 8 digits.
    pub fn name(&self, code: &str) -> Option<&str> {
        key(code).and_then(|k| self.names.get(&k)).map(|b| &**b)
    }

    /// The names of an eight-digit code's segment, family, class and product, as far as
    /// known; no product when the code names a class (`…00`).
    pub fn level_names(&self, code: &str) -> [Option<&str>; 4] {
        let level = |n: usize| code.get(..n).and_then(|c| self.name(c));
        let product = if code.ends_with("00") { None } else { level(8) };
        [level(2), level(4), level(6), product]
    }

    /// Every level's name for an eight-digit code.
    pub fn category(&self, code: &str) -> Category {
        let [segment, family, class, product] =
            self.level_names(code).map(|n| n.map(str::to_string));
        Category {
            code: code.to_string(),
            segment,
            family,
            class,
            product,
        }
    }
}

fn clean_name(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises one code to eight digits: `V1.84131500` → `84131500`, the SECOP I class
/// `721410` → `72141000`, a family `7214` → `72140000`. `None` for placeholders and for text
/// that is not a code (`otro`).
pub fn normalize_unspsc(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t
        .strip_prefix("V1.")
        .or_else(|| t.strip_prefix("v1."))
        .unwrap_or(t);
    let t = t.strip_suffix(".0").unwrap_or(t);
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let code = match t.len() {
        8 => t.to_string(),
        6 => format!("{t}00"),
        4 => format!("{t}0000"),
        _ => return None,
    };
    if code.starts_with("00") {
        None
    } else {
        Some(code)
    }
}

/// Normalises a cell that may list several codes (`V1.80111600, V1.80111700`).
pub fn normalize_unspsc_list(s: &str) -> Vec<String> {
    s.split([',', ';', '|', ' '])
        .filter_map(normalize_unspsc)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_both_platforms() {
        assert_eq!(normalize_unspsc("V1.84131500").as_deref(), Some("84131500"));
        assert_eq!(normalize_unspsc("721410").as_deref(), Some("72141000"));
        assert_eq!(normalize_unspsc("otro"), None);
        assert_eq!(normalize_unspsc("No Definido"), None);
        assert_eq!(
            normalize_unspsc_list("V1.80111600, V1.80111700"),
            vec!["80111600", "80111700"]
        );
    }

    #[test]
    fn names_for_every_level() {
        let u = Unspsc::get();
        let c = u.category("72141000");
        assert_eq!(
            c.family.as_deref(),
            Some("Servicios de construcción pesada")
        );
        let class = c.class.unwrap().to_lowercase();
        assert!(class.contains("autopistas"), "{class}");
        assert!(c.product.is_none());
        let p = u.category("84131500");
        assert!(p.segment.unwrap().to_lowercase().contains("financier"));
        assert_eq!(u.name("10101501"), Some("Gatos"));
    }
}
