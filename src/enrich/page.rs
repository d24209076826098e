//! The SECOP I public detail page (`detalleProceso.do`) as data.
//!
//! The page is a table of sections. A section starts with a header cell `td.tttablas`;
//! under it come labelled rows (`td.tablaslistEven` label, `td.tablaslistOdd` value), small
//! grids nested in a value cell (funding sources, BPIN codes), grids that fill a whole row
//! (budget backing, award), and plain grids of `tablaslistOdd` rows (milestones,
//! documents). The linked contracts repeat a block of labelled rows that starts at
//! `Número del Contrato`.
//!
//! [`parse`] is pure and synchronous: it never panics and never fails, whatever the input
//! (a truncated or malformed page yields fewer fields, and [`DetailPage::is_detail`] tells
//! whether there was anything to read). scraper's `Html` is not `Send`, so callers in async
//! code run it on a blocking thread and move the owned [`DetailPage`] back.

use std::collections::HashSet;

use scraper::{CaseSensitivity, ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};

use crate::normalize::text::fold;
use crate::sources::Row;

/// Bounds that keep a hostile page from growing a row without limit.
const MAX_SECTIONS: usize = 200;
const MAX_ITEMS: usize = 2_000;
const MAX_GRID_ROWS: usize = 1_000;
const MAX_CELL_CHARS: usize = 8_000;
const MAX_ROW_KEYS: usize = 2_000;

/// Row column with the constancia (the same name as in the open data).
pub const COL_CONSTANCIA: &str = "numero_de_constancia";
/// Row column with the entity's process number from the page title.
pub const COL_REFERENCE: &str = "numero_de_proceso";
/// Row column with the page's subtitle: `DEPARTAMENTO - ENTIDAD`.
pub const COL_ENTITY: &str = "entidad";
/// Prefix of the row columns of linked contract number `n`: `Contrato 1: …`.
pub const CONTRACT_PREFIX: &str = "Contrato ";

/// A small table: column titles (may be empty) and rows of cell texts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    /// Column titles, when the grid has a header row.
    pub header: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    /// The grid as JSON: one object per row, keyed by column title (or `1`, `2`, … when
    /// the grid has no header).
    pub fn to_json(&self) -> serde_json::Value {
        let rows = self.rows.iter().map(|r| {
            let mut m = serde_json::Map::new();
            for (i, cell) in r.iter().enumerate() {
                let k = match self.header.get(i) {
                    Some(h) if !h.is_empty() && !m.contains_key(h) => h.clone(),
                    _ => (i + 1).to_string(),
                };
                m.insert(k, serde_json::Value::String(cell.clone()));
            }
            serde_json::Value::Object(m)
        });
        serde_json::Value::Array(rows.collect())
    }
}

/// The value of a labelled row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    /// Plain text, whitespace collapsed.
    Text(String),
    /// A grid nested in the value cell.
    Grid(Grid),
}

/// One thing under a section header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Item {
    /// A labelled row.
    Field {
        /// The label, whitespace collapsed.
        label: String,
        /// The value.
        value: Value,
    },
    /// A grid that is not the value of a label.
    Grid(Grid),
}

/// A section of the page: its header and what follows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The header text (`Información General del Proceso`); empty before the first header.
    pub title: String,
    /// Rows and grids, in page order.
    pub items: Vec<Item>,
}

/// Everything read from one detail page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailPage {
    /// The entity's process number from the title (`CMA 008-25`).
    pub reference: Option<String>,
    /// The subtitle: `LA GUAJIRA - ALCALDÍA MUNICIPIO DE ALBANIA`.
    pub entity: Option<String>,
    /// The constancia the page's own links name, when they do.
    pub constancia: Option<String>,
    /// The sections, in page order.
    pub sections: Vec<Section>,
    /// True when the document ends (`</html>`): a page cut short in transit is not
    /// complete and is not stored.
    pub complete: bool,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

fn has_class(e: &ElementRef, class: &str) -> bool {
    e.value()
        .has_class(class, CaseSensitivity::AsciiCaseInsensitive)
}

/// Text of an element, whitespace collapsed, cut to a bound.
fn text_of(e: &ElementRef) -> String {
    let mut out = String::new();
    let mut space = false;
    let mut n = 0usize;
    'outer: for t in e.text() {
        for c in t.chars() {
            if c.is_whitespace() || c == '\u{a0}' {
                space = !out.is_empty();
                continue;
            }
            if c.is_control() {
                continue;
            }
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
            n += 1;
            if n >= MAX_CELL_CHARS {
                break 'outer;
            }
        }
    }
    out
}

/// The rows of a table itself, not of tables nested in its cells.
fn direct_rows<'a>(table: ElementRef<'a>) -> Vec<ElementRef<'a>> {
    let mut rows = Vec::new();
    for c in table.child_elements() {
        match c.value().name() {
            "tr" => rows.push(c),
            "tbody" | "thead" | "tfoot" => {
                rows.extend(c.child_elements().filter(|r| r.value().name() == "tr"))
            }
            _ => {}
        }
    }
    rows
}

/// The cells of a row.
fn cells<'a>(row: ElementRef<'a>) -> Vec<ElementRef<'a>> {
    row.child_elements()
        .filter(|c| matches!(c.value().name(), "td" | "th"))
        .collect()
}

/// The first table nested in a cell.
fn nested_table<'a>(cell: &ElementRef<'a>) -> Option<ElementRef<'a>> {
    cell.descendent_elements()
        .skip(1)
        .find(|e| e.value().name() == "table")
}

/// A nested table as a grid: a first row of `tttablas` cells is the header.
fn grid_of(table: ElementRef) -> Grid {
    let mut g = Grid::default();
    for (i, r) in direct_rows(table).into_iter().enumerate() {
        let cs = cells(r);
        if cs.is_empty() {
            continue;
        }
        if i == 0 && cs.iter().all(|c| has_class(c, "tttablas")) {
            g.header = cs.iter().map(text_of).collect();
            continue;
        }
        let texts: Vec<String> = cs.iter().map(text_of).collect();
        if texts.iter().all(String::is_empty) {
            continue;
        }
        if g.rows.len() < MAX_GRID_ROWS {
            g.rows.push(texts);
        }
    }
    g
}

/// The value of a labelled row: text, or the grid nested in the cell. A nested table
/// without a header row (the contract number and its "Ver Adiciones" link) reads as the
/// text of its first non-empty cell.
fn value_of(cell: &ElementRef) -> Value {
    match nested_table(cell) {
        Some(t) => {
            let g = grid_of(t);
            if g.header.is_empty() {
                let first = g
                    .rows
                    .iter()
                    .flat_map(|r| r.iter())
                    .find(|c| !c.is_empty())
                    .cloned()
                    .unwrap_or_default();
                Value::Text(first)
            } else {
                Value::Grid(g)
            }
        }
        None => Value::Text(text_of(cell)),
    }
}

/// True for a table that holds section headers: a row whose only cell is `td.tttablas`.
fn is_main_table(t: ElementRef) -> bool {
    direct_rows(t).into_iter().any(|r| {
        let cs = cells(r);
        cs.len() == 1 && has_class(&cs[0], "tttablas")
    })
}

/// Reads a detail page. Never panics; see the module documentation.
pub fn parse(html: &str) -> DetailPage {
    let doc = Html::parse_document(html);
    let mut page = DetailPage {
        complete: html
            .get(html.len().saturating_sub(4096)..)
            .or(Some(html))
            .is_some_and(|tail| tail.to_ascii_lowercase().contains("</html")),
        ..DetailPage::default()
    };

    let heading = sel("table.gralTitulos td");
    if let Some(h) = doc
        .select(&heading)
        .map(|e| text_of(&e))
        .find(|t| !t.is_empty())
    {
        page.reference = reference_from_heading(&h);
    }
    let sub = sel("p.subtitulos");
    page.entity = doc
        .select(&sub)
        .map(|e| text_of(&e))
        .find(|t| !t.is_empty());
    page.constancia = find_constancia(&doc);

    let tables: Vec<ElementRef> = doc
        .select(&sel("table"))
        .filter(|t| is_main_table(*t))
        .collect();
    let ids: HashSet<_> = tables.iter().map(|t| t.id()).collect();
    let mut current = Section::default();
    for t in tables {
        // A main table inside another one was already read with it.
        if t.ancestors().any(|a| ids.contains(&a.id())) {
            continue;
        }
        read_main_table(t, &mut page.sections, &mut current);
    }
    if !current.items.is_empty() || !current.title.is_empty() {
        push_section(&mut page.sections, current);
    }
    page
}

fn push_section(sections: &mut Vec<Section>, s: Section) {
    if sections.len() < MAX_SECTIONS {
        sections.push(s);
    }
}

fn push_item(s: &mut Section, item: Item) {
    if s.items.len() < MAX_ITEMS {
        s.items.push(item);
    }
}

fn read_main_table(t: ElementRef, sections: &mut Vec<Section>, current: &mut Section) {
    // An open plain grid (milestones, documents): its header row, then `tablaslistOdd` rows.
    let mut grid: Option<Grid> = None;
    let close = |grid: &mut Option<Grid>, s: &mut Section| {
        if let Some(g) = grid.take()
            && (!g.rows.is_empty() || !g.header.is_empty())
        {
            push_item(s, Item::Grid(g));
        }
    };
    for r in direct_rows(t) {
        let cs = cells(r);
        match cs.as_slice() {
            [] => {}
            [one] if has_class(one, "tttablas") => {
                close(&mut grid, current);
                let title = text_of(one);
                let prev = std::mem::replace(
                    current,
                    Section {
                        title,
                        items: Vec::new(),
                    },
                );
                if !prev.items.is_empty() || !prev.title.is_empty() {
                    push_section(sections, prev);
                }
            }
            [one] => {
                if let Some(nt) = nested_table(one) {
                    close(&mut grid, current);
                    let g = grid_of(nt);
                    if !g.rows.is_empty() {
                        push_item(current, Item::Grid(g));
                    }
                }
            }
            [label, value]
                if has_class(label, "tablaslistEven")
                    && (has_class(value, "tablaslistOdd")
                        || (has_class(value, "tablaslistEven")
                            && nested_table(value).is_some())) =>
            {
                close(&mut grid, current);
                let label = text_of(label);
                if !label.is_empty() {
                    push_item(
                        current,
                        Item::Field {
                            label,
                            value: value_of(value),
                        },
                    );
                }
            }
            many if many.iter().all(|c| has_class(c, "tablaslistOdd")) => {
                let texts: Vec<String> = many.iter().map(text_of).collect();
                let g = grid.get_or_insert_with(Grid::default);
                if !texts.iter().all(String::is_empty) && g.rows.len() < MAX_GRID_ROWS {
                    g.rows.push(texts);
                }
            }
            many if many
                .iter()
                .all(|c| has_class(c, "tablaslistEven") || has_class(c, "tttablas")) =>
            {
                close(&mut grid, current);
                grid = Some(Grid {
                    header: many.iter().map(text_of).collect(),
                    rows: Vec::new(),
                });
            }
            _ => {}
        }
    }
    close(&mut grid, current);
}

/// `Detalle del Proceso Número: CMA 008-25` → `CMA 008-25`.
fn reference_from_heading(h: &str) -> Option<String> {
    let f = fold(h);
    let key = "detalle del proceso numero";
    let rest = if f.starts_with(key) {
        // Folding keeps one char per char: cut the original at the same char count.
        let n = key.chars().count();
        h.chars().skip(n).collect::<String>()
    } else {
        return None;
    };
    let r = rest.trim().trim_start_matches([':', '.', ' ']).trim();
    (!r.is_empty()).then(|| r.to_string())
}

/// The constancia in the page's own links (`numConstancia=25-15-14581710`).
fn find_constancia(doc: &Html) -> Option<String> {
    for a in doc.select(&sel("a")) {
        for attr in ["href", "onclick"] {
            if let Some(v) = a.value().attr(attr)
                && let Some(c) = constancia_in(v)
            {
                return Some(c);
            }
        }
    }
    None
}

fn constancia_in(s: &str) -> Option<String> {
    let i = s.find("numConstancia=")?;
    let c: String = s[i + "numConstancia=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    is_constancia(&c).then_some(c)
}

/// True for text shaped like a SECOP I constancia: `YY-T-NNNNNNN`.
pub fn is_constancia(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 2
        && (1..=3).contains(&parts[1].len())
        && (1..=12).contains(&parts[2].len())
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

impl DetailPage {
    /// Number of labelled rows and grid rows read.
    pub fn field_count(&self) -> usize {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter())
            .map(|i| match i {
                Item::Field { value, .. } => match value {
                    Value::Text(t) if t.is_empty() => 0,
                    _ => 1,
                },
                Item::Grid(g) => g.rows.len().min(1),
            })
            .sum()
    }

    /// True when the page holds a process's detail: a known section with labelled rows.
    pub fn is_detail(&self) -> bool {
        let known = self.sections.iter().any(|s| {
            let t = fold(&s.title);
            (t.contains("informacion general") || t.contains("cronograma"))
                && s.items.iter().any(|i| matches!(i, Item::Field { .. }))
        });
        known && self.field_count() >= 3
    }

    /// The page as a raw row of the `secop1-detalle` pseudo-dataset: label → text, grids
    /// as JSON arrays, the linked contracts' rows as `Contrato N: label`. The list of
    /// documents is left out: its links carry tokens that change on every visit, and a
    /// row must hash the same when the page has not changed.
    pub fn to_row(&self, constancia: &str) -> Row {
        let mut pairs: Vec<(String, String)> = vec![(COL_CONSTANCIA.into(), constancia.into())];
        if let Some(r) = &self.reference {
            pairs.push((COL_REFERENCE.into(), r.clone()));
        }
        if let Some(e) = &self.entity {
            pairs.push((COL_ENTITY.into(), e.clone()));
        }
        let mut seen: HashSet<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
        let mut add = |pairs: &mut Vec<(String, String)>, key: String, value: String| {
            if value.is_empty() || pairs.len() >= MAX_ROW_KEYS {
                return;
            }
            let mut k = key;
            if seen.contains(&k) {
                let base = k.clone();
                let mut n = 2;
                while seen.contains(&k) {
                    k = format!("{base} #{n}");
                    n += 1;
                }
            }
            seen.insert(k.clone());
            pairs.push((k, value));
        };
        for s in &self.sections {
            let t = fold(&s.title);
            if t.contains("documentos del proceso") {
                continue;
            }
            let contracts = t.contains("contratos asociados");
            let mut n_contract = 0usize;
            for item in &s.items {
                match item {
                    Item::Field { label, value } => {
                        if contracts && fold(label).starts_with("numero del contrato") {
                            n_contract += 1;
                        }
                        let key = if contracts {
                            format!("{CONTRACT_PREFIX}{}: {label}", n_contract.max(1))
                        } else {
                            label.clone()
                        };
                        let v = match value {
                            Value::Text(t) => t.clone(),
                            Value::Grid(g) => g.to_json().to_string(),
                        };
                        add(&mut pairs, key, v);
                    }
                    Item::Grid(g) if !g.rows.is_empty() => {
                        add(&mut pairs, s.title.clone(), g.to_json().to_string());
                    }
                    Item::Grid(_) => {}
                }
            }
        }
        Row::from_pairs(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str) -> DetailPage {
        let bytes = match name {
            "2011" => &include_bytes!("../../fixtures/secop1/pages/detalleProceso.2011.html")[..],
            "CMA" => {
                &include_bytes!("../../fixtures/secop1/pages/detalleProceso.CMA-008-25.html")[..]
            }
            _ => &include_bytes!("../../fixtures/secop1/pages/detalleProceso.LIC-002-25.html")[..],
        };
        parse(&super::super::decode::decode_html(bytes, None).0)
    }

    #[test]
    fn sections_fields_and_grids() {
        let p = page("CMA");
        assert!(p.is_detail() && p.complete);
        assert_eq!(p.reference.as_deref(), Some("CMA 008-25"));
        assert_eq!(
            p.entity.as_deref(),
            Some("LA GUAJIRA - ALCALDÍA MUNICIPIO DE ALBANIA")
        );
        assert_eq!(p.constancia.as_deref(), Some("25-15-14581710"));
        let titles: Vec<&str> = p.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Información General del Proceso",
                "Respaldos Presupuestales Asociados al Proceso",
                "Ubicación Geográfica del Proceso",
                "Cronograma del Proceso",
                "Datos de Contacto del Proceso",
                "Información de la Adjudicación del Proceso",
                "Información de los Contratos Asociados al Proceso",
                "Documentos del Proceso",
                "Hitos del Proceso"
            ]
        );
        let row = p.to_row("25-15-14581710");
        assert_eq!(
            row.get("Tipo de Proceso"),
            Some("Concurso de Méritos Abierto")
        );
        assert_eq!(
            row.get("Fuentes de Financiación"),
            Some(
                r#"[{"Fuente":"Sistema General de Regalías - SGR","Otro Recurso":"","Valor":"$54,193,734"}]"#
            )
        );
        assert_eq!(
            row.get("Respaldos Presupuestales Asociados al Proceso"),
            Some(
                r#"[{"Cuantía del respaldo presupuestal":"$ 54,193,734","Número del respaldo presupuestal":"9725","Tipo de respaldo presupuestal":"CDP"}]"#
            )
        );
        assert_eq!(row.get("Contrato 1: Número del Contrato"), Some("001-25"));
        assert_eq!(
            row.get("Contrato 1: Identificación del Contratista"),
            Some("Nit de Persona Jurídica No. 900616290")
        );
        // The contract's own funding rows do not collide with the process's.
        assert!(row.get("Contrato 1: Fuentes de Financiación").is_some());
        assert_eq!(
            row.get("Departamento y Municipio de Ejecución"),
            Some("La Guajira : Albania")
        );
        assert!(
            row.get("Hitos del Proceso")
                .unwrap()
                .contains("Convocatoria")
        );
        // The documents' links carry per-visit tokens: left out.
        assert!(!row.canonical_json().contains("consultaProceso"));
        assert!(!row.canonical_json().contains("recaptcha"));
    }

    #[test]
    fn the_2011_page() {
        let p = page("2011");
        assert!(p.is_detail() && p.complete);
        assert_eq!(p.reference.as_deref(), Some("SDA-SA-038-2011"));
        assert_eq!(p.constancia.as_deref(), Some("11-9-324624"));
        let row = p.to_row("11-9-324624");
        assert_eq!(row.get("Tipo de Proceso"), Some("Subasta"));
        assert_eq!(row.get("Cuantía a Contratar"), Some("$83,668,709"));
        assert_eq!(
            row.get("Fecha Límite de Entrega de Documentos Habilitantes"),
            Some("22-11-2011 11:00 AM")
        );
    }

    #[test]
    fn junk_is_not_a_detail() {
        for s in [
            "",
            "<html>",
            "<table><tr><td class=tttablas>Información General del Proceso</td></tr>",
            "\u{0}\u{1}<<<>>>",
            "<table><tr><td class=tablaslistEven>a</td><td class=tablaslistOdd>b</td></tr></table>",
        ] {
            let p = parse(s);
            assert!(!p.is_detail(), "{s:?}");
        }
        assert!(!parse("<html><body>x").complete);
    }

    #[test]
    fn constancias() {
        assert!(is_constancia("25-15-14581710"));
        assert!(is_constancia("11-9-324624"));
        assert!(!is_constancia("25-15"));
        assert!(!is_constancia("2a-1-1"));
        assert_eq!(
            constancia_in("detalleProceso.do?numConstancia=25-1-240855&g=1").as_deref(),
            Some("25-1-240855")
        );
    }
}
