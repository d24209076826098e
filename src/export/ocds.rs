//! OCDS 1.1: a process as a release, and the streaming release package around them.
//!
//! Each process becomes one release with `ocid = ocds-k50g02-{process_id}` (the prefix
//! Colombia Compra Eficiente registered for SECOP), its parties (the buyer and every
//! supplier, with roles and identifiers), the tender (value in COP, method and status mapped
//! to the OCDS codelists, tender period, one item per UNSPSC code, the link back to the
//! platform as the tender notice), its awards and its contracts. Every contract points at
//! an award, as the schema requires: when the platform published none, one is derived from
//! the contract.

use std::io::Write;

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use super::PackageInfo;
use crate::Result;
use crate::model::{Award, ContractType, Modality, Party, Platform, Process, Status};
use crate::normalize::date::to_instant;
use crate::normalize::unspsc::Unspsc;

/// The OCID prefix of Colombia Compra Eficiente (SECOP).
pub const OCID_PREFIX: &str = "ocds-k50g02";

/// The licence of the data (datos.gov.co publishes it under CC BY-SA 4.0).
pub const LICENSE: &str = "https://creativecommons.org/licenses/by-sa/4.0/";

/// Writes the package header up to the opening of `releases`.
pub fn write_package_start(out: &mut impl Write, info: &PackageInfo) -> Result<()> {
    let head = json!({
        "uri": uri(&info.uri).unwrap_or_else(|| "urn:secop-bridge:export".to_string()),
        "version": "1.1",
        "publishedDate": info.published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "publisher": {
            "name": "secop-bridge (datos abiertos de Colombia Compra Eficiente)",
            "uri": "https://www.colombiacompra.gov.co"
        },
        "license": LICENSE,
        "publicationPolicy": "https://www.colombiacompra.gov.co/transparencia/datos-abiertos",
    });
    // The header object without its closing brace, then the releases array.
    let s = serde_json::to_string(&head)?;
    out.write_all(&s.as_bytes()[..s.len() - 1])?;
    out.write_all(b",\"releases\":[")?;
    Ok(())
}

/// A valid absolute URI, percent-encoded; `None` for text that is not one.
fn uri(s: &str) -> Option<String> {
    url::Url::parse(s.trim()).ok().map(|u| u.to_string())
}

fn time(t: NaiveDateTime) -> String {
    to_instant(t).to_rfc3339()
}

fn put(m: &mut Map<String, Value>, k: &str, v: impl Into<Option<Value>>) {
    if let Some(v) = v.into()
        && !v.is_null()
    {
        m.insert(k.to_string(), v);
    }
}

fn value(amount: Option<i64>, currency: &str) -> Option<Value> {
    amount.map(|a| json!({"amount": a, "currency": currency}))
}

/// The currency code: COP unless the record names another ISO 4217 code.
fn currency(p: &Process) -> String {
    match p.currency.as_deref().map(str::trim) {
        Some(c) if c.len() == 3 && c.chars().all(|x| x.is_ascii_alphabetic()) => {
            c.to_ascii_uppercase()
        }
        _ => "COP".to_string(),
    }
}

/// The OCDS tender status for a status.
pub fn tender_status(s: Status) -> Option<&'static str> {
    match s {
        Status::Open | Status::Evaluation => Some("active"),
        Status::Awarded | Status::Contracted | Status::Closed => Some("complete"),
        Status::Cancelled => Some("cancelled"),
        Status::Void => Some("unsuccessful"),
        Status::Unknown => None,
    }
}

/// The OCDS contract status for a status.
pub fn contract_status(s: Status) -> Option<&'static str> {
    match s {
        Status::Open | Status::Evaluation | Status::Awarded => Some("pending"),
        Status::Contracted => Some("active"),
        Status::Closed => Some("terminated"),
        Status::Cancelled | Status::Void => Some("cancelled"),
        Status::Unknown => None,
    }
}

/// The OCDS procurement method for a modality.
pub fn method(m: Modality) -> Option<&'static str> {
    match m {
        Modality::Licitacion
        | Modality::MinimaCuantia
        | Modality::Subasta
        | Modality::AsociacionPublicoPrivada
        | Modality::Enajenacion => Some("open"),
        Modality::SeleccionAbreviada | Modality::ConcursoMeritos => Some("selective"),
        Modality::ContratacionDirecta => Some("direct"),
        Modality::RegimenEspecial => Some("limited"),
        Modality::Otra | Modality::Unknown => None,
    }
}

/// The OCDS main procurement category for a contract type.
pub fn category(t: ContractType) -> Option<&'static str> {
    match t {
        ContractType::Obra | ContractType::Concesion => Some("works"),
        ContractType::Suministro | ContractType::Compraventa => Some("goods"),
        ContractType::PrestacionServicios
        | ContractType::Consultoria
        | ContractType::Interventoria
        | ContractType::Arrendamiento
        | ContractType::Seguros
        | ContractType::Financiero => Some("services"),
        _ => None,
    }
}

/// Days in a duration published in days (`283 día(s)`); other units are not converted.
fn duration_days(d: &str) -> Option<i64> {
    let mut words = d.split_whitespace();
    let n: i64 = words.next()?.parse().ok()?;
    let unit = crate::normalize::text::fold_words(words.next().unwrap_or("dia"));
    (unit.starts_with("dia") && n > 0).then_some(n)
}

/// Parties of a release, deduplicated by id, with merged roles.
#[derive(Default)]
struct Parties(Vec<(String, Map<String, Value>, Vec<&'static str>)>);

impl Parties {
    fn add(&mut self, id: String, org: Map<String, Value>, role: &'static str) -> String {
        if let Some((_, _, roles)) = self.0.iter_mut().find(|(i, _, _)| *i == id) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        } else {
            self.0.push((id.clone(), org, vec![role]));
        }
        id
    }

    fn into_json(self) -> Vec<Value> {
        self.0
            .into_iter()
            .map(|(id, mut org, roles)| {
                org.insert("id".into(), json!(id));
                org.insert("roles".into(), json!(roles));
                Value::Object(org)
            })
            .collect()
    }
}

/// A supplier as a party: its id and organization object.
fn supplier_party(s: &Party) -> (String, Map<String, Value>) {
    let kind = s.id_kind.as_deref().unwrap_or("").to_lowercase();
    let id = s.id.as_deref().map(str::trim).filter(|x| !x.is_empty());
    let scheme = match id {
        Some(_) if kind.contains("nit") => Some("CO-RUE"),
        Some(_) if kind.contains("cédula") || kind.contains("cedula") => Some("COL-IDCARD"),
        Some(i) if kind.is_empty() && i.len() == 9 => Some("CO-RUE"),
        _ => None,
    };
    let pid = match (scheme, id) {
        (Some(sc), Some(i)) => format!("{sc}-{i}"),
        (None, Some(i)) => format!("ID-{i}"),
        _ => format!("NOMBRE-{}", crate::normalize::text::fold_words(&s.name)),
    };
    let mut org = Map::new();
    put(&mut org, "name", Some(json!(s.name)));
    if let Some(i) = id {
        let mut ident = Map::new();
        put(&mut ident, "scheme", scheme.map(|x| json!(x)));
        ident.insert("id".into(), json!(i));
        ident.insert("legalName".into(), json!(s.name));
        org.insert("identifier".into(), Value::Object(ident));
        if let Some(k) = s.id_kind.as_deref() {
            org.insert("details".into(), json!({"idKind": k}));
        }
    }
    (pid, org)
}

/// A process as an OCDS release.
pub fn release(p: &Process) -> Value {
    let cur = currency(p);
    let platform = p.platform.map_or("SECOP", |x| x.label());
    let date = p
        .last_update_at
        .or_else(|| crate::index::document::placed_at(p))
        .unwrap_or_default();
    let mut r = Map::new();
    r.insert(
        "ocid".into(),
        json!(format!("{OCID_PREFIX}-{}", p.process_id)),
    );
    r.insert(
        "id".into(),
        json!(format!("{}-{}", p.process_id, date.format("%Y%m%d%H%M%S"))),
    );
    r.insert("date".into(), json!(time(date)));
    let mut tags = Vec::new();
    if !p.partial {
        tags.push("tender");
    }
    if !p.awards.is_empty() || !p.contracts.is_empty() {
        tags.push("award");
    }
    if !p.contracts.is_empty() {
        tags.push("contract");
    }
    if tags.is_empty() {
        tags.push("tender");
    }
    r.insert("tag".into(), json!(tags));
    r.insert("initiationType".into(), json!("tender"));
    r.insert("language".into(), json!("es"));

    // The buyer.
    let mut parties = Parties::default();
    let b = &p.buyer;
    let buyer_id = match (&b.nit, &b.code) {
        (Some(n), _) => format!("CO-RUE-{n}"),
        (None, Some(c)) => format!("{}-{c}", p.platform.map_or("secop", |x| x.code())),
        _ => format!("NOMBRE-{}", crate::normalize::text::fold_words(&b.name)),
    };
    let mut org = Map::new();
    org.insert("name".into(), json!(b.name));
    if let Some(n) = &b.nit {
        org.insert(
            "identifier".into(),
            json!({"scheme": "CO-RUE", "id": n, "legalName": b.name}),
        );
    }
    let mut addr = Map::new();
    put(
        &mut addr,
        "locality",
        b.municipality.as_ref().map(|m| json!(m.name)),
    );
    put(
        &mut addr,
        "region",
        b.department.as_ref().map(|d| json!(d.name)),
    );
    addr.insert("countryName".into(), json!("Colombia"));
    org.insert("address".into(), Value::Object(addr));
    let mut details = Map::new();
    put(&mut details, "order", b.order.as_ref().map(|o| json!(o)));
    put(&mut details, "unit", b.unit.as_ref().map(|o| json!(o)));
    put(
        &mut details,
        "platformCode",
        b.code.as_ref().map(|o| json!(o)),
    );
    if !details.is_empty() {
        org.insert("details".into(), Value::Object(details));
    }
    let buyer_id = parties.add(buyer_id, org.clone(), "buyer");
    parties.add(buyer_id.clone(), org, "procuringEntity");
    r.insert("buyer".into(), json!({"id": buyer_id, "name": b.name}));

    // The tender.
    let mut t = Map::new();
    t.insert("id".into(), json!(p.process_id));
    if !p.title.is_empty() {
        t.insert("title".into(), json!(p.title));
    }
    put(
        &mut t,
        "description",
        p.description.as_ref().map(|d| json!(d)),
    );
    put(&mut t, "status", tender_status(p.status).map(|s| json!(s)));
    put(&mut t, "value", value(p.estimated_value, &cur));
    put(
        &mut t,
        "procurementMethod",
        method(p.modality).map(|s| json!(s)),
    );
    put(
        &mut t,
        "procurementMethodDetails",
        Some(json!(
            p.modality_raw.as_deref().unwrap_or(p.modality.label())
        )),
    );
    put(
        &mut t,
        "mainProcurementCategory",
        category(p.contract_type).map(|s| json!(s)),
    );
    if p.published_at.is_some() || p.offers_due_at.is_some() {
        let mut period = Map::new();
        put(
            &mut period,
            "startDate",
            p.published_at.map(|d| json!(time(d))),
        );
        put(
            &mut period,
            "endDate",
            p.offers_due_at.map(|d| json!(time(d))),
        );
        t.insert("tenderPeriod".into(), Value::Object(period));
    }
    let u = Unspsc::get();
    let items: Vec<Value> = p
        .unspsc
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let c = u.category(code);
            let name = c.product.or(c.class).or(c.family).or(c.segment);
            let mut class = Map::new();
            class.insert("scheme".into(), json!("UNSPSC"));
            class.insert("id".into(), json!(code));
            put(&mut class, "description", name.clone().map(|n| json!(n)));
            let mut item = Map::new();
            item.insert("id".into(), json!((i + 1).to_string()));
            put(&mut item, "description", name.map(|n| json!(n)));
            item.insert("classification".into(), Value::Object(class));
            Value::Object(item)
        })
        .collect();
    if !items.is_empty() {
        t.insert("items".into(), json!(items));
    }
    put(
        &mut t,
        "numberOfTenderers",
        p.competition.unique_bidders.map(|n| json!(n)),
    );
    t.insert(
        "procuringEntity".into(),
        json!({"id": buyer_id, "name": b.name}),
    );
    if let Some(link) = uri(&p.link()) {
        t.insert(
            "documents".into(),
            json!([{
                "id": "enlace-plataforma",
                "documentType": "tenderNotice",
                "title": format!("El proceso en {platform}"),
                "url": link,
                "language": "es",
                "format": "text/html"
            }]),
        );
    }
    put(
        &mut t,
        "contractPeriod",
        p.duration
            .as_deref()
            .and_then(duration_days)
            .map(|d| json!({"durationInDays": d})),
    );
    r.insert("tender".into(), Value::Object(t));

    // Awards as published, then one per contract that no award names.
    let mut awards: Vec<(String, &Award)> = p
        .awards
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let id =
                a.id.clone()
                    .unwrap_or_else(|| format!("{}-adjudicacion-{}", p.process_id, i + 1));
            (id, a)
        })
        .collect();
    // Award ids must be unique within a release.
    let mut seen = std::collections::HashSet::new();
    awards.retain(|(id, _)| seen.insert(id.clone()));
    let mut derived: Vec<(String, Award)> = Vec::new();
    let mut contract_award: Vec<String> = Vec::new();
    for c in &p.contracts {
        let named = awards
            .iter()
            .find(|(_, a)| a.contract_id.as_deref() == Some(c.id.as_str()))
            .map(|(id, _)| id.clone());
        let id = match named {
            Some(id) => id,
            None => {
                let id = format!("adjudicacion-{}", c.id);
                if !derived.iter().any(|(d, _)| *d == id) && seen.insert(id.clone()) {
                    derived.push((
                        id.clone(),
                        Award {
                            id: None,
                            supplier: c.supplier.clone(),
                            value: c.value,
                            date: c.signed_at,
                            contract_id: Some(c.id.clone()),
                        },
                    ));
                }
                id
            }
        };
        contract_award.push(id);
    }
    let mut award_json = Vec::new();
    for (id, a) in awards
        .iter()
        .map(|(id, a)| (id.clone(), *a))
        .chain(derived.iter().map(|(id, a)| (id.clone(), a)))
    {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("status".into(), json!("active"));
        put(&mut m, "date", a.date.map(|d| json!(time(d))));
        put(&mut m, "value", value(a.value, &cur));
        if let Some(s) = &a.supplier {
            let (pid, org) = supplier_party(s);
            let pid = parties.add(pid, org, "supplier");
            m.insert("suppliers".into(), json!([{"id": pid, "name": s.name}]));
        }
        award_json.push(Value::Object(m));
    }
    if !award_json.is_empty() {
        r.insert("awards".into(), json!(award_json));
    }

    let mut contracts = Vec::new();
    let mut seen_contracts = std::collections::HashSet::new();
    for (c, award_id) in p.contracts.iter().zip(contract_award) {
        if !seen_contracts.insert(c.id.clone()) {
            continue;
        }
        let mut m = Map::new();
        m.insert("id".into(), json!(c.id));
        m.insert("awardID".into(), json!(award_id));
        put(&mut m, "title", c.reference.as_ref().map(|x| json!(x)));
        put(&mut m, "description", c.object.as_ref().map(|x| json!(x)));
        put(
            &mut m,
            "status",
            contract_status(c.status).map(|s| json!(s)),
        );
        put(&mut m, "value", value(c.value, &cur));
        put(&mut m, "dateSigned", c.signed_at.map(|d| json!(time(d))));
        if c.start.is_some() || c.end.is_some() {
            let mut period = Map::new();
            put(&mut period, "startDate", c.start.map(|d| json!(time(d))));
            put(&mut period, "endDate", c.end.map(|d| json!(time(d))));
            m.insert("period".into(), Value::Object(period));
        }
        contracts.push(Value::Object(m));
    }
    if !contracts.is_empty() {
        r.insert("contracts".into(), json!(contracts));
    }
    r.insert("parties".into(), json!(parties.into_json()));
    if p.platform == Some(Platform::SecopII) && !p.competition.is_empty() {
        r.insert("processStatistics".into(), json!(p.competition));
    }
    let mut v = Value::Object(r);
    prune(&mut v);
    v
}

/// Removes empty strings and the objects they leave empty: OCDS names must not be empty,
/// and an absent field says "unknown" better than an empty one.
fn prune(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                prune(x);
            }
            m.retain(|_, x| match x {
                Value::String(s) => !s.trim().is_empty(),
                Value::Object(o) => !o.is_empty(),
                _ => true,
            });
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}
