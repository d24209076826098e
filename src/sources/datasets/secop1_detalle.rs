//! SECOP I detail pages (`detalleProceso.do`) as a pseudo-dataset: `secop1-detalle`.
//!
//! `secop enrich` reads a process's public page into one raw row (label → text, see
//! [`crate::enrich::page::DetailPage::to_row`]) and stores it like any other row, so that it
//! is crash-safe, deduplicated by content hash and re-normalisable. This module turns that
//! row into an enrichment [`Fragment`]: it fills what the open data left empty (status,
//! modality, closing date, …), never overrides it (see [`crate::ingest::assemble()`]), adds
//! identifiers that search finds (BPIN, CDP, the contact's e-mail and domain, the linked
//! contracts' numbers), and carries everything else in [`Process::enrichment`]: a flat-ish
//! JSON object keyed by readable Spanish labels, with a `contratos` array.
//!
//! The dataset is not on datos.gov.co: [`Dataset::soda`] is false, and a harvest skips it.

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use super::cells::push_id;
use super::{Dataset, Fragment, Role, RowError};
use crate::enrich::page::{COL_CONSTANCIA, COL_ENTITY, COL_REFERENCE, CONTRACT_PREFIX};
use crate::model::{Platform, Process};
use crate::normalize::place::Divipola;
use crate::normalize::text::{clean_text, fold};
use crate::normalize::unspsc::normalize_unspsc;
use crate::normalize::{self, DayOrder, vocab};
use crate::sources::Row;

/// The pseudo-dataset's id (also its source name).
pub const ID: &str = "secop1-detalle";

/// The `secop1-detalle` pseudo-dataset.
pub struct Secop1Detalle;

const COLUMNS: &[(&str, &str)] = &[
    (COL_CONSTANCIA, "Número de Constancia"),
    (COL_REFERENCE, "Número de Proceso"),
    (COL_ENTITY, "Entidad"),
];

/// The row's cells, with folded labels, split into the process's and each linked
/// contract's.
struct Labels<'a> {
    process: Vec<(String, &'a str, &'a str)>,
    contracts: Vec<Vec<(String, &'a str)>>,
}

impl<'a> Labels<'a> {
    fn new(row: &'a Row) -> Labels<'a> {
        let mut process = Vec::new();
        let mut contracts: Vec<(usize, Vec<(String, &'a str)>)> = Vec::new();
        for (k, v) in row.pairs() {
            let v = v.trim();
            if let Some((n, label)) = contract_key(k) {
                match contracts.iter_mut().find(|(m, _)| *m == n) {
                    Some((_, c)) => c.push((fold(label.trim()), v)),
                    None => contracts.push((n, vec![(fold(label.trim()), v)])),
                }
            } else {
                process.push((fold(k.trim()), k, v));
            }
        }
        contracts.sort_by_key(|(n, _)| *n);
        Labels {
            process,
            contracts: contracts.into_iter().map(|(_, c)| c).collect(),
        }
    }

    /// The first process-level value whose folded label satisfies `pred`.
    fn find(&self, pred: impl Fn(&str) -> bool) -> Option<&'a str> {
        self.process
            .iter()
            .find(|(f, _, v)| pred(f) && !v.is_empty())
            .map(|(_, _, v)| *v)
    }
}

/// `Contrato 2: Estado del Contrato` → (2, `Estado del Contrato`).
fn contract_key(k: &str) -> Option<(usize, &str)> {
    let rest = k.strip_prefix(CONTRACT_PREFIX)?;
    let (n, label) = rest.split_once(':')?;
    Some((n.trim().parse().ok()?, label))
}

fn find_in<'a>(c: &[(String, &'a str)], pred: impl Fn(&str) -> bool) -> Option<&'a str> {
    c.iter()
        .find(|(f, v)| pred(f) && !v.is_empty())
        .map(|(_, v)| *v)
}

/// A grid cell stored as JSON (see [`crate::enrich::page::Grid::to_json`]).
fn grid(v: &str) -> Vec<Map<String, Value>> {
    match serde_json::from_str::<Value>(v) {
        Ok(Value::Array(rows)) => rows
            .into_iter()
            .filter_map(|r| match r {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The cell of a grid row whose folded column title satisfies `pred`.
fn col(m: &Map<String, Value>, pred: impl Fn(&str) -> bool) -> Option<&str> {
    m.iter()
        .find(|(k, v)| pred(&fold(k)) && v.as_str().is_some_and(|s| !s.trim().is_empty()))
        .and_then(|(_, v)| v.as_str())
        .map(str::trim)
}

fn date(s: &str) -> Option<NaiveDateTime> {
    normalize::parse_datetime(s, DayOrder::DayFirst)
        .ok()
        .flatten()
}

fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn iso_date(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// Money as a number when it reads as one, else the text as published.
fn money_value(s: &str) -> Value {
    match normalize::parse_money(s) {
        Ok(Some(v)) => json!(v),
        _ => json!(s),
    }
}

/// The code in brackets of a UNSPSC level: `[801015] Servicios de …` → `801015`.
fn bracket_code(s: &str) -> Option<&str> {
    let s = s.trim().strip_prefix('[')?;
    let (code, _) = s.split_once(']')?;
    Some(code.trim())
}

/// The domain of an e-mail address, lower case.
fn email_domain(e: &str) -> Option<String> {
    let (user, domain) = e.trim().rsplit_once('@')?;
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    (!user.is_empty()
        && d.contains('.')
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)))
    .then_some(d)
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        let empty = match &v {
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Null => true,
            _ => false,
        };
        if !empty {
            m.insert(k.to_string(), v);
        }
    }
}

fn text(v: Option<&str>) -> Option<Value> {
    v.and_then(clean_text).map(Value::String)
}

impl Dataset for Secop1Detalle {
    fn id(&self) -> &'static str {
        ID
    }
    fn source_name(&self) -> &'static str {
        ID
    }
    fn title(&self) -> &'static str {
        "SECOP I - Detalle del proceso (página pública detalleProceso.do)"
    }
    fn platform(&self) -> Platform {
        Platform::SecopI
    }
    fn columns(&self) -> &'static [(&'static str, &'static str)] {
        COLUMNS
    }
    fn signature(&self) -> &'static [&'static str] {
        &[COL_CONSTANCIA, "Tipo de Proceso", "Estado del Proceso"]
    }
    fn date_column(&self) -> &'static str {
        ""
    }
    fn order_columns(&self) -> &'static [&'static str] {
        &[COL_CONSTANCIA]
    }
    fn soda(&self) -> bool {
        false
    }

    fn normalize(&self, row: &Row) -> Result<Fragment, RowError> {
        let constancia = row
            .get(COL_CONSTANCIA)
            .filter(|c| !normalize::is_placeholder(c))
            .ok_or(RowError::MissingKey(COL_CONSTANCIA))?;
        let l = Labels::new(row);
        let mut e = Map::new();
        let mut ids: Vec<String> = Vec::new();
        push_id(&mut ids, Some(constancia));
        let reference = row.get(COL_REFERENCE).and_then(clean_text);
        push_id(&mut ids, reference.as_deref());

        // General information.
        let tipo = l.find(|f| f == "tipo de proceso").and_then(clean_text);
        let estado = l.find(|f| f == "estado del proceso").and_then(clean_text);
        let tipo_contrato = l.find(|f| f == "tipo de contrato").and_then(clean_text);
        put(&mut e, "Tipo de proceso", tipo.clone().map(Value::String));
        put(
            &mut e,
            "Estado del proceso",
            estado.clone().map(Value::String),
        );
        put(
            &mut e,
            "Régimen de contratación",
            text(l.find(|f| f.starts_with("regimen de contratacion"))),
        );
        let segmento = l.find(|f| f == "segmento");
        let familia = l.find(|f| f == "familia");
        let clase = l.find(|f| f == "clase");
        put(&mut e, "Segmento UNSPSC", text(segmento));
        put(&mut e, "Familia UNSPSC", text(familia));
        put(&mut e, "Clase UNSPSC", text(clase));
        let unspsc = [clase, familia, segmento]
            .into_iter()
            .flatten()
            .filter_map(bracket_code)
            .find_map(|c| match c.len() {
                // A bare segment is too coarse to be a category code.
                2 => None,
                _ => normalize_unspsc(c),
            });
        let objeto = l
            .find(|f| {
                f.starts_with("detalle y cantidad del objeto")
                    || f.starts_with("detalle del objeto")
            })
            .and_then(clean_text);
        put(
            &mut e,
            "Detalle del objeto",
            objeto.clone().map(Value::String),
        );
        let cuantia_raw = l.find(|f| f.starts_with("cuantia a contratar"));
        let cuantia =
            cuantia_raw.and_then(|c| normalize::money::parse_money_nonzero(c).ok().flatten());
        put(&mut e, "Cuantía", cuantia_raw.map(money_value));
        let moneda = l.find(|f| f.starts_with("moneda")).and_then(clean_text);
        put(&mut e, "Moneda de pago", moneda.clone().map(Value::String));
        put(
            &mut e,
            "Tipo de contrato",
            tipo_contrato.clone().map(Value::String),
        );
        put(
            &mut e,
            "Tipo de gasto",
            text(l.find(|f| f == "tipo de gasto" || f.starts_with("destinacion del gasto"))),
        );

        // Money: funding sources, BPIN projects, budget backing (CDP).
        if let Some(v) = l.find(|f| f.starts_with("fuentes de financiacion")) {
            let fuentes: Vec<Value> = grid(v)
                .iter()
                .filter_map(|r| {
                    let fuente = col(r, |c| c == "fuente")?;
                    let mut o = Map::new();
                    o.insert("fuente".into(), json!(fuente));
                    if let Some(x) = col(r, |c| c.starts_with("otro")) {
                        o.insert("otro recurso".into(), json!(x));
                    }
                    if let Some(x) = col(r, |c| c == "valor") {
                        o.insert("valor".into(), money_value(x));
                    }
                    Some(Value::Object(o))
                })
                .collect();
            put(
                &mut e,
                "Fuentes de financiación",
                Some(Value::Array(fuentes)),
            );
        }
        if let Some(v) = l.find(|f| f.starts_with("codigos bpin") || f.starts_with("codigo bpin")) {
            let mut codes: Vec<String> = grid(v)
                .iter()
                .filter_map(|r| col(r, |c| c.starts_with("codigo")).map(str::to_string))
                .collect();
            if codes.is_empty() && !v.starts_with('[') {
                codes.push(v.to_string());
            }
            codes.retain(|c| c.chars().any(|d| d.is_ascii_digit()));
            for c in &codes {
                push_id(&mut ids, Some(c));
            }
            put(&mut e, "BPIN", Some(json!(codes)));
        }
        if let Some(v) = l.find(|f| f.starts_with("respaldos presupuestales")) {
            let mut cdp = Vec::new();
            let mut otros = Vec::new();
            for r in grid(v) {
                let tipo = col(&r, |c| c.starts_with("tipo")).unwrap_or_default();
                let numero = col(&r, |c| c.starts_with("numero"));
                let valor = col(&r, |c| c.starts_with("cuantia") || c.starts_with("valor"));
                let mut o = Map::new();
                if let Some(n) = numero {
                    o.insert("número".into(), json!(n));
                }
                if let Some(x) = valor {
                    o.insert("valor".into(), money_value(x));
                }
                if fold(tipo).contains("cdp") {
                    push_id(&mut ids, numero);
                    cdp.push(Value::Object(o));
                } else if !o.is_empty() {
                    o.insert("tipo".into(), json!(tipo));
                    otros.push(Value::Object(o));
                }
            }
            put(&mut e, "CDP", Some(Value::Array(cdp)));
            put(
                &mut e,
                "Otros respaldos presupuestales",
                Some(Value::Array(otros)),
            );
        }

        // Place of execution and of the documents.
        if let Some(lugar) = l
            .find(|f| f.starts_with("departamento y municipio de ejecucion"))
            .and_then(clean_text)
        {
            let (d, m) = Divipola::get().resolve_combined(&lugar);
            put(
                &mut e,
                "Departamento de ejecución",
                d.map(|d| json!(d.name)),
            );
            put(&mut e, "Municipio de ejecución", m.map(|m| json!(m.name)));
            put(
                &mut e,
                "DIVIPOLA de ejecución",
                m.map(|m| json!(m.code))
                    .or_else(|| d.map(|d| json!(d.code))),
            );
            put(&mut e, "Lugar de ejecución", Some(json!(lugar)));
        }
        put(
            &mut e,
            "Dirección de obtención de documentos",
            text(l.find(|f| f.starts_with("direccion fisica de obtencion"))),
        );
        put(
            &mut e,
            "Dirección de entrega de documentos",
            text(l.find(|f| f.starts_with("direccion fisica de entrega"))),
        );

        // Schedule: every dated row of the process, and the opening and closing.
        let mut cronograma = Map::new();
        let mut apertura = None;
        let mut cierre = None;
        for (f, k, v) in &l.process {
            if !f.starts_with("fecha") {
                continue;
            }
            let Some(t) = date(v) else { continue };
            cronograma.insert(k.to_string(), json!(iso(t)));
            if apertura.is_none() && f.contains("apertura") {
                apertura = Some(t);
            }
            let closes = f.contains("cierre")
                || (f.contains("limite")
                    && ["ofertas", "propuestas", "habilitantes", "recepcion"]
                        .iter()
                        .any(|w| f.contains(w)));
            if closes && (cierre.is_none() || f.contains("cierre")) {
                cierre = Some(t);
            }
        }
        put(&mut e, "Apertura", apertura.map(|t| json!(iso(t))));
        put(&mut e, "Cierre", cierre.map(|t| json!(iso(t))));
        put(&mut e, "Cronograma", Some(Value::Object(cronograma)));

        // Contact.
        let correo = l
            .find(|f| f.starts_with("correo electronico"))
            .map(str::trim)
            .filter(|c| c.contains('@'));
        if let Some(c) = correo {
            push_id(&mut ids, Some(c));
            if let Some(d) = email_domain(c) {
                push_id(&mut ids, Some(&d));
            }
        }
        put(&mut e, "Correo de contacto", correo.map(|c| json!(c)));

        // Award.
        if let Some(v) = l.find(|f| f.starts_with("informacion de la adjudicacion")) {
            let adj: Vec<Value> = grid(v)
                .iter()
                .filter_map(|r| {
                    let name = col(r, |c| c.starts_with("nombre"))?;
                    let mut o = Map::new();
                    o.insert("proponente".into(), json!(name));
                    if let Some(d) = col(r, |c| c.starts_with("documento")) {
                        o.insert("documento".into(), json!(d));
                    }
                    if let Some(s) = col(r, |c| c.starts_with("calificacion")) {
                        o.insert("calificación".into(), json!(s));
                    }
                    Some(Value::Object(o))
                })
                .collect();
            put(&mut e, "Adjudicación", Some(Value::Array(adj)));
        }

        // Linked contracts.
        let mut contratos = Vec::new();
        for c in &l.contracts {
            let mut o = Map::new();
            let numero = find_in(c, |f| f.starts_with("numero del contrato")).and_then(clean_text);
            push_id(&mut ids, numero.as_deref());
            put(&mut o, "número", numero.map(Value::String));
            put(
                &mut o,
                "estado",
                text(find_in(c, |f| f.starts_with("estado del contrato"))),
            );
            put(
                &mut o,
                "contratista",
                text(find_in(c, |f| {
                    f.starts_with("nombre o razon social del contratista")
                })),
            );
            put(
                &mut o,
                "identificación del contratista",
                text(find_in(c, |f| {
                    f.starts_with("identificacion del contratista")
                })),
            );
            put(
                &mut o,
                "valor",
                find_in(c, |f| f.starts_with("cuantia definitiva")).map(money_value),
            );
            put(
                &mut o,
                "objeto",
                text(find_in(c, |f| f.starts_with("objeto del contrato"))),
            );
            for (key, prefix) in [
                ("fecha de firma", "fecha de firma"),
                ("fecha de inicio", "fecha de inicio"),
                ("fecha de terminación", "fecha de terminacion"),
                ("fecha de liquidación", "fecha de liquidacion"),
            ] {
                put(
                    &mut o,
                    key,
                    find_in(c, |f| f.starts_with(prefix))
                        .and_then(date)
                        .map(|t| json!(iso_date(t))),
                );
            }
            put(
                &mut o,
                "plazo",
                text(find_in(c, |f| f.starts_with("plazo de ejecucion"))),
            );
            if !o.is_empty() {
                contratos.push(Value::Object(o));
            }
        }
        put(&mut e, "contratos", Some(Value::Array(contratos)));

        let modality = tipo.as_deref().map(vocab::modality).unwrap_or_default();
        let status = estado.as_deref().map(vocab::status).unwrap_or_default();
        let contract_type = tipo_contrato
            .as_deref()
            .map(vocab::contract_type)
            .unwrap_or_default();
        let process = Process {
            platform: Some(Platform::SecopI),
            sources: vec![ID.to_string()],
            process_id: constancia.to_string(),
            ids,
            reference: reference.clone(),
            reference_raw: reference,
            title: objeto.clone().unwrap_or_default(),
            modality,
            modality_raw: tipo,
            status,
            status_raw: estado,
            contract_type,
            contract_type_raw: tipo_contrato,
            unspsc: unspsc.into_iter().collect(),
            estimated_value: cuantia,
            currency: moneda.filter(|m| !fold(m).contains("peso colombiano")),
            offers_due_at: cierre,
            enrichment: (!e.is_empty()).then_some(Value::Object(e)),
            ..Process::default()
        };
        Ok(Fragment {
            dataset: ID,
            row_key: format!("{ID}:{constancia}"),
            strong_key: Some(format!("secop1:{constancia}")),
            link_ids: Vec::new(),
            role: Role::Enrichment,
            process,
            event_date: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_without_constancia_is_refused() {
        let row = Row::from_pairs([("Tipo de Proceso", "Subasta")]);
        assert_eq!(
            Secop1Detalle.normalize(&row).unwrap_err(),
            RowError::MissingKey(COL_CONSTANCIA)
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(bracket_code("[801015] Servicios"), Some("801015"));
        assert_eq!(bracket_code("Servicios"), None);
        assert_eq!(
            email_domain("contratacion@Albania-LaGuajira.gov.co").as_deref(),
            Some("albania-laguajira.gov.co")
        );
        assert_eq!(email_domain("nobody"), None);
        assert_eq!(email_domain("a@localhost"), None);
        assert_eq!(contract_key("Contrato 12: Estado"), Some((12, " Estado")));
        assert_eq!(contract_key("Contratos asociados"), None);
    }
}
