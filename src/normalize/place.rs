//! Places: departments and municipalities resolved to DANE's DIVIPOLA codes.
//!
//! The platforms spell places many ways (`Distrito Capital de Bogotá`, `BOGOTa D.C.`,
//! `Bogotá D.C.`, `La Guajira : Albania`, `Colombia,  Vaupés ,  Mitú`). Facets show DANE's
//! official names; filters accept a code or any spelling.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::text::fold_words;

/// DANE's table (March 2024), bundled in the binary.
const DIVIPOLA_CSV: &str = include_str!("../../fixtures/reference/divipola.csv");

/// A department (or Bogotá D.C.) with its two-digit code.
#[derive(Debug, Clone)]
pub struct Department {
    /// Two-digit DIVIPOLA code, e.g. `11`.
    pub code: String,
    /// DANE's name, e.g. `BOGOTÁ, D.C.`.
    pub official: String,
    /// The name for people, e.g. `Bogotá, D.C.`.
    pub name: String,
}

/// A municipality with its five-digit code.
#[derive(Debug, Clone)]
pub struct Municipality {
    /// Five-digit DIVIPOLA code, e.g. `05002`.
    pub code: String,
    /// The department's two-digit code.
    pub department: String,
    /// DANE's name without footnote marks, e.g. `SAN ANDRÉS`.
    pub official: String,
    /// The name for people, e.g. `San Andrés`.
    pub name: String,
}

/// The DIVIPOLA table with lookups by code and by any folded spelling.
pub struct Divipola {
    departments: Vec<Department>,
    municipalities: Vec<Municipality>,
    dept_by_code: HashMap<String, usize>,
    dept_by_key: HashMap<String, usize>,
    muni_by_code: HashMap<String, usize>,
    /// (department code, folded name) → municipality.
    muni_in_dept: HashMap<(String, String), usize>,
    /// folded name → municipalities of that name anywhere.
    muni_by_key: HashMap<String, Vec<usize>>,
}

/// Other spellings of departments, folded.
const DEPT_ALIASES: &[(&str, &str)] = &[
    ("bogota", "11"),
    ("distrito capital", "11"),
    ("santafe de bogota", "11"),
    ("santa fe de bogota", "11"),
    ("bogota distrito capital", "11"),
    ("capital district", "11"),
    ("san andres", "88"),
    ("san andres providencia y santa catalina", "88"),
    ("san andres y providencia", "88"),
    ("guajira", "44"),
    ("valle", "76"),
    ("norte santander", "54"),
    ("n de santander", "54"),
];

/// Prefixes under which official municipality names are also known by their tail
/// (`SAN JOSÉ DE CÚCUTA` is Cúcuta, `CARTAGENA DE INDIAS` is Cartagena).
const MUNI_EXTRA: &[(&str, &str)] = &[
    ("13001", "cartagena"),
    ("54001", "cucuta"),
    ("52835", "tumaco"),
    ("13468", "mompos"),
    ("13468", "mompox"),
    ("76001", "cali"),
    ("73443", "mariquita"),
    ("76111", "buga"),
    ("52001", "pasto"),
    ("25843", "ubate"),
    ("05042", "santa fe de antioquia"),
    ("05148", "carmen de viboral"),
    ("70820", "tolu"),
    ("70823", "tolu viejo"),
    ("70823", "toluviejo"),
    ("08001", "barranquilla distrito especial"),
    (
        "47001",
        "santa marta distrito turistico cultural e historico",
    ),
];

fn dept_key(s: &str) -> String {
    let mut k = fold_words(s);
    for p in [
        "departamento del ",
        "departamento de ",
        "archipielago de ",
        "distrito capital de ",
        "colombia ",
    ] {
        if let Some(rest) = k.strip_prefix(p) {
            k = rest.to_string();
        }
    }
    strip_dc(k)
}

fn strip_dc(mut k: String) -> String {
    for suffix in [" d c", " dc", " distrito capital"] {
        if let Some(rest) = k.strip_suffix(suffix) {
            k = rest.to_string();
        }
    }
    k
}

fn muni_key(s: &str) -> String {
    strip_dc(fold_words(s))
}

/// A municipality with its department, `Ábrego, Norte de Santander`: the department
/// left out when unknown or already in the name (`Bogotá, D.C.`).
pub fn place_label(municipality: &str, department: Option<&str>) -> String {
    match department.map(str::trim) {
        Some(d) if !d.is_empty() && !municipality.contains(d) => format!("{municipality}, {d}"),
        _ => municipality.to_string(),
    }
}

/// Title case with Spanish particles in lower case: `SAN ANDRÉS DE TUMACO` → `San Andrés de
/// Tumaco`, `BOGOTÁ, D.C.` → `Bogotá, D.C.`.
pub fn title_case(s: &str) -> String {
    const SMALL: &[&str] = &["de", "del", "la", "las", "los", "y", "el", "e"];
    let mut out = String::with_capacity(s.len());
    for (i, word) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let lower = word.to_lowercase();
        if word.contains('.') && word.len() <= 5 {
            out.push_str(word); // "D.C."
        } else if i > 0 && SMALL.contains(&lower.as_str()) {
            out.push_str(&lower);
        } else {
            let mut cs = lower.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(cs.as_str());
            }
        }
    }
    out
}

impl Divipola {
    fn load() -> Divipola {
        let mut rdr = csv::Reader::from_reader(DIVIPOLA_CSV.as_bytes());
        let mut d = Divipola {
            departments: Vec::new(),
            municipalities: Vec::new(),
            dept_by_code: HashMap::new(),
            dept_by_key: HashMap::new(),
            muni_by_code: HashMap::new(),
            muni_in_dept: HashMap::new(),
            muni_by_key: HashMap::new(),
        };
        for rec in rdr.records() {
            let rec = rec.expect("bundled DIVIPOLA table is valid CSV");
            let (dcode, dname, mcode, mname) = (&rec[0], &rec[1], &rec[2], &rec[3]);
            if !d.dept_by_code.contains_key(dcode) {
                let i = d.departments.len();
                d.departments.push(Department {
                    code: dcode.to_string(),
                    official: dname.to_string(),
                    name: title_case(dname),
                });
                d.dept_by_code.insert(dcode.to_string(), i);
                d.dept_by_key.insert(dept_key(dname), i);
            }
            let official = mname.trim_end_matches(['*', ' ']).to_string();
            let i = d.municipalities.len();
            d.municipalities.push(Municipality {
                code: mcode.to_string(),
                department: dcode.to_string(),
                name: title_case(&official),
                official: official.clone(),
            });
            d.muni_by_code.insert(mcode.to_string(), i);
            d.add_muni_key(dcode, muni_key(&official), i);
        }
        for (alias, code) in DEPT_ALIASES {
            let i = d.dept_by_code[*code];
            d.dept_by_key.insert((*alias).to_string(), i);
        }
        for (code, alias) in MUNI_EXTRA {
            let i = d.muni_by_code[*code];
            let dept = d.municipalities[i].department.clone();
            d.add_muni_key(&dept, (*alias).to_string(), i);
        }
        d
    }

    fn add_muni_key(&mut self, dept: &str, key: String, i: usize) {
        self.muni_in_dept.insert((dept.to_string(), key.clone()), i);
        let v = self.muni_by_key.entry(key).or_default();
        if !v.contains(&i) {
            v.push(i);
        }
    }

    /// The table bundled in the binary, loaded on first use.
    pub fn get() -> &'static Divipola {
        static D: OnceLock<Divipola> = OnceLock::new();
        D.get_or_init(Divipola::load)
    }

    /// All departments, in DANE's order.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// A department by its code.
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.dept_by_code.get(code).map(|&i| &self.departments[i])
    }

    /// A municipality by its code.
    pub fn municipality(&self, code: &str) -> Option<&Municipality> {
        self.muni_by_code
            .get(code)
            .map(|&i| &self.municipalities[i])
    }

    /// Resolves a department from a code (`05`) or any spelling.
    pub fn find_department(&self, s: &str) -> Option<&Department> {
        let t = s.trim();
        if t.len() <= 2 && t.chars().all(|c| c.is_ascii_digit()) && !t.is_empty() {
            return self.department(&format!("{:0>2}", t));
        }
        let k = dept_key(t);
        if k.is_empty() {
            return None;
        }
        self.dept_by_key.get(&k).map(|&i| &self.departments[i])
    }

    /// Resolves a municipality from a code (`05002`) or a spelling, within a department
    /// when one is known. A bare name that exists in several departments resolves to
    /// nothing rather than to a guess.
    pub fn find_municipality(&self, dept: Option<&str>, s: &str) -> Option<&Municipality> {
        let t = s.trim();
        if (4..=5).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit()) {
            return self.municipality(&format!("{:0>5}", t));
        }
        let k = muni_key(t);
        if k.is_empty() {
            return None;
        }
        if let Some(d) = dept
            && let Some(&i) = self.muni_in_dept.get(&(d.to_string(), k.clone()))
        {
            return Some(&self.municipalities[i]);
        }
        match self.muni_by_key.get(&k).map(Vec::as_slice) {
            Some([i]) => {
                let m = &self.municipalities[*i];
                // A unique name in another department than the one given is a conflict.
                match dept {
                    Some(d) if d != m.department => None,
                    _ => Some(m),
                }
            }
            _ => None,
        }
    }

    /// Resolves a department and municipality from separate cells, either possibly
    /// missing or a placeholder. Bogotá is both a department and a municipality.
    pub fn resolve(
        &self,
        dept: Option<&str>,
        muni: Option<&str>,
    ) -> (Option<&Department>, Option<&Municipality>) {
        let mut d = dept.and_then(|s| self.find_department(s));
        let m = muni.and_then(|s| self.find_municipality(d.map(|d| d.code.as_str()), s));
        if d.is_none()
            && let Some(m) = m
        {
            d = self.department(&m.department);
        }
        let m = m.or_else(|| match d {
            Some(d) if d.code == "11" => self.municipality("11001"),
            _ => None,
        });
        (d, m)
    }

    /// Resolves one cell that holds both, as `La Guajira : Albania` or
    /// `Colombia,  Vaupés ,  Mitú`.
    pub fn resolve_combined(&self, s: &str) -> (Option<&Department>, Option<&Municipality>) {
        let parts: Vec<&str> = s
            .split([':', ',', '-'])
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("colombia"))
            .collect();
        match parts.as_slice() {
            [] => (None, None),
            [one] => {
                let d = self.find_department(one);
                if d.is_some() {
                    self.resolve(Some(one), None)
                } else {
                    self.resolve(None, Some(one))
                }
            }
            [d, m, ..] => self.resolve(Some(d), Some(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_municipality_is_labelled_with_its_department() {
        assert_eq!(
            place_label("Ábrego", Some("Norte de Santander")),
            "Ábrego, Norte de Santander"
        );
        assert_eq!(
            place_label("Bogotá, D.C.", Some("Bogotá, D.C.")),
            "Bogotá, D.C."
        );
        assert_eq!(place_label("Mitú", None), "Mitú");
        assert_eq!(place_label("Mitú", Some(" ")), "Mitú");
    }

    #[test]
    fn bogota_in_every_spelling() {
        let d = Divipola::get();
        for s in [
            "Distrito Capital de Bogotá",
            "BOGOTa D.C.",
            "Bogotá D.C.",
            "Bogotá, D.C.",
            "BOGOTÁ, D.C.",
            "11",
        ] {
            assert_eq!(
                d.find_department(s).map(|x| x.code.as_str()),
                Some("11"),
                "{s}"
            );
        }
        let (dep, mun) = d.resolve(Some("Distrito Capital de Bogotá"), Some("No Definido"));
        assert_eq!(dep.unwrap().name, "Bogotá, D.C.");
        assert_eq!(mun.unwrap().code, "11001");
        assert_eq!(
            d.find_municipality(None, "BOGOTa D.C.").unwrap().code,
            "11001"
        );
    }

    #[test]
    fn real_spellings() {
        let d = Divipola::get();
        assert_eq!(d.find_department("BOYACa").unwrap().code, "15");
        assert_eq!(d.find_department("CoRDOBA").unwrap().code, "23");
        assert_eq!(
            d.find_department("San Andrés, Providencia y Santa Catalina")
                .unwrap()
                .code,
            "88"
        );
        assert_eq!(
            d.find_department("SAN ANDReS, PROVIDENCIA Y SANTA CATALINA")
                .unwrap()
                .code,
            "88"
        );
        let (dep, mun) = d.resolve_combined("La Guajira : Albania");
        assert_eq!(dep.unwrap().code, "44");
        assert_eq!(mun.unwrap().code, "44035");
        let (dep, mun) = d.resolve_combined("Colombia,  Vaupés ,  Mitú");
        assert_eq!(dep.unwrap().code, "97");
        assert_eq!(mun.unwrap().code, "97001");
        let (_, mun) = d.resolve(Some("NARIÑO"), Some("SAN ANDRES DE TUMACO"));
        assert_eq!(mun.unwrap().code, "52835");
        let (_, mun) = d.resolve(Some("Bolívar"), Some("Cartagena"));
        assert_eq!(mun.unwrap().code, "13001");
        let (_, mun) = d.resolve(
            Some("SAN ANDReS, PROVIDENCIA Y SANTA CATALINA"),
            Some("PROVIDENCIA"),
        );
        assert_eq!(mun.unwrap().code, "88564");
        let (_, mun) = d.resolve(Some("Antioquia"), Some("Abejorral"));
        assert_eq!(mun.unwrap().code, "05002");
        // The footnote mark is not part of the name.
        assert_eq!(d.municipality("88001").unwrap().name, "San Andrés");
    }

    #[test]
    fn ambiguous_names_do_not_guess() {
        let d = Divipola::get();
        // Briceño exists in Antioquia and in Boyacá.
        assert!(d.find_municipality(None, "Briceño").is_none());
        assert_eq!(
            d.find_municipality(Some("15"), "Briceño").unwrap().code,
            "15106"
        );
    }
}
