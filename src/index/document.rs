//! A [`Process`] as a tantivy document.

use chrono::{Datelike, NaiveDateTime};
use tantivy::TantivyDocument;
use xxhash_rust::xxh3::xxh3_64;

use super::{Fields, packed};
use crate::Result;
use crate::model::Process;
use crate::normalize::date::to_instant;
use crate::normalize::normalize_nit;
use crate::normalize::text::{fold_words, id_norm};
use crate::normalize::unspsc::Unspsc;

/// Unix seconds of a floating Bogotá time.
pub fn seconds(t: NaiveDateTime) -> i64 {
    to_instant(t).timestamp()
}

/// The 64-bit hash of a key used as the sort tie-break.
pub fn key_hash(key: &str) -> u64 {
    xxh3_64(key.as_bytes())
}

/// The buyer key that groups a buyer's processes: the NIT, else the folded name.
pub fn buyer_key(p: &Process) -> Option<String> {
    match &p.buyer.nit {
        Some(n) => Some(n.clone()),
        None if !p.buyer.name.is_empty() => Some(format!("n:{}", fold_words(&p.buyer.name))),
        None => None,
    }
}

/// A supplier's key in the index: its identifier normalised (NIT or cédula), else `n:` and
/// its folded name (as [`buyer_key`]).
pub fn supplier_key(s: &crate::model::Party) -> Option<String> {
    match s.id.as_deref().and_then(normalize_nit) {
        Some(id) => Some(id),
        None => {
            let name = fold_words(&s.name);
            (!name.is_empty()).then(|| format!("n:{name}"))
        }
    }
}

/// One supplier of a process and what it won there ([`supplier_shares`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierShare<'a> {
    /// Its key ([`supplier_key`]).
    pub key: String,
    /// The first award or contract party with that key (its name as published there).
    pub party: &'a crate::model::Party,
    /// Its share of the awarded total, whole COP.
    pub value: i64,
}

/// Each supplier's key ([`supplier_key`]) once, in the order of the awards then the
/// contracts, with its share of the process's awarded total ([`Process::awarded_value`]):
/// the values of its own contracts when that total comes from contracts, else of its
/// awards. A supplier known only from the other list has 0, so the shares never add up to
/// more than the total (three suppliers sharing a 74,000 M award are not each credited
/// with the 74,000 M).
pub fn supplier_shares(p: &Process) -> Vec<SupplierShare<'_>> {
    let by_contract = p.contracts.iter().filter_map(|c| c.value).sum::<i64>() > 0;
    let awards = p.awards.iter().filter_map(|a| {
        let v = if by_contract { None } else { a.value };
        a.supplier.as_ref().map(|s| (s, v))
    });
    let contracts = p.contracts.iter().filter_map(|c| {
        let v = if by_contract { c.value } else { None };
        c.supplier.as_ref().map(|s| (s, v))
    });
    let mut out: Vec<SupplierShare> = Vec::new();
    for (party, v) in awards.chain(contracts) {
        let Some(key) = supplier_key(party) else {
            continue;
        };
        let v = v.unwrap_or(0);
        match out.iter_mut().find(|s| s.key == key) {
            Some(s) => s.value = s.value.saturating_add(v),
            None => out.push(SupplierShare {
                key,
                party,
                value: v,
            }),
        }
    }
    out
}

/// The date a process is placed at in time: publication, else the first contract's
/// signature (partial processes), else the last update.
pub fn placed_at(p: &Process) -> Option<NaiveDateTime> {
    placement(p).map(|(t, _)| t)
}

/// Whether a process its platform still publishes as open has an offer deadline before
/// `now`: the status is the platform's, and it is often not updated after the close.
pub fn deadline_passed(p: &Process, now: chrono::DateTime<chrono::Utc>) -> bool {
    p.status == crate::model::Status::Open
        && p.offers_due_at
            .is_some_and(|t| crate::normalize::date::to_instant(t) < now)
}

/// Which date [`placed_at`] took, so that what shows it can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlacedBy {
    /// The publication date.
    Published,
    /// No publication date: the first contract's signature (a partial process).
    Signed,
    /// Neither: the record's last update.
    Updated,
}

impl PlacedBy {
    /// The Spanish label of the date: `Publicado`, `Firmado`, `Actualizado`.
    pub fn label(self) -> &'static str {
        match self {
            PlacedBy::Published => "Publicado",
            PlacedBy::Signed => "Firmado",
            PlacedBy::Updated => "Actualizado",
        }
    }
}

/// [`placed_at`] with which date it is.
pub fn placement(p: &Process) -> Option<(NaiveDateTime, PlacedBy)> {
    p.published_at
        .map(|t| (t, PlacedBy::Published))
        .or_else(|| p.first_signed_at().map(|t| (t, PlacedBy::Signed)))
        .or_else(|| p.last_update_at.map(|t| (t, PlacedBy::Updated)))
}

/// Every string of the enrichment object, nested ones included (funding sources, linked
/// contracts), for the free-text `extra` field. Depth and count are bounded.
fn enrichment_text(v: &serde_json::Value, out: &mut dyn FnMut(&str)) {
    fn walk(v: &serde_json::Value, depth: usize, left: &mut usize, out: &mut dyn FnMut(&str)) {
        if *left == 0 || depth > 4 {
            return;
        }
        match v {
            serde_json::Value::String(s) => {
                *left -= 1;
                out(s);
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, depth + 1, left, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| walk(x, depth + 1, left, out)),
            _ => {}
        }
    }
    let mut left = 2_000;
    walk(v, 0, &mut left, out);
}

/// Adds a searchable text: to `all`, and as word pairs to `pairs` (for two-word phrases)
/// when it can hold two words.
fn searchable(d: &mut TantivyDocument, f: &Fields, text: &str) {
    d.add_text(f.all, text);
    if text.contains(|c: char| !c.is_alphanumeric()) {
        d.add_text(f.pairs, text);
    }
}

/// Builds the document of a process.
pub fn build(f: &Fields, p: &Process) -> Result<TantivyDocument> {
    let mut d = TantivyDocument::default();
    d.add_text(f.key, &p.key);
    d.add_u64(f.key_hash, key_hash(&p.key));

    // Identifiers: each in its normalised form, so any spelling finds it.
    let mut ids: Vec<String> = Vec::with_capacity(p.ids.len() + 4);
    let mut push = |s: &str| {
        let k = id_norm(s);
        if !k.is_empty() && !ids.contains(&k) {
            ids.push(k);
        }
    };
    push(&p.key);
    push(&p.process_id);
    for id in &p.ids {
        push(id);
    }
    for c in &p.contracts {
        push(&c.id);
    }
    for a in &p.awards {
        if let Some(id) = &a.id {
            push(id);
        }
    }
    if let Some(n) = &p.buyer.nit {
        push(n);
    }
    for id in ids {
        d.add_text(f.ids, id);
    }

    // The title twice in `all`: its weight in the ranking (its pairs once: they only answer
    // phrases). A title cut from a longer description or contract object (assembly's
    // `shorten`) is once here and once inside that text, which is indexed below: its
    // words count twice as well, and its pairs are the text's.
    let objects = || p.contracts.iter().filter_map(|c| c.object.as_deref());
    let cut_from_text = p.title.strip_suffix('…').is_some_and(|head| {
        p.description
            .as_deref()
            .into_iter()
            .chain(objects())
            .any(|t| t.len() > head.len() && t.starts_with(head))
    });
    if !cut_from_text {
        searchable(&mut d, f, &p.title);
    }
    d.add_text(f.all, &p.title);
    d.add_text(f.entity, &p.buyer.name);
    searchable(&mut d, f, &p.buyer.name);
    if let Some(u) = &p.buyer.unit {
        d.add_text(f.entity, u);
        searchable(&mut d, f, u);
    }
    // Descriptions and contract objects, each once and not when it repeats the title.
    let mut texts: Vec<&str> = vec![p.title.as_str()];
    for t in p.description.as_deref().into_iter().chain(objects()) {
        if !texts.contains(&t) {
            texts.push(t);
            searchable(&mut d, f, t);
        }
    }
    for name in p.supplier_names() {
        d.add_text(f.suppliers, name);
        searchable(&mut d, f, name);
    }
    // Keys and values in the same order: the value column is read alongside the keys.
    for s in supplier_shares(p) {
        d.add_text(f.supplier_ids, s.key);
        d.add_i64(f.supplier_values, s.value);
    }

    // Categories: names at every level, searchable; codes and prefixes, filterable.
    let unspsc = Unspsc::get();
    let mut prefixes: Vec<&str> = Vec::new();
    for code in &p.unspsc {
        for name in unspsc.level_names(code).into_iter().flatten() {
            searchable(&mut d, f, name);
        }
        searchable(&mut d, f, code);
        for n in [2, 4, 6, 8] {
            if let Some(pre) = code.get(..n)
                && !prefixes.contains(&pre)
            {
                prefixes.push(pre);
            }
        }
    }
    for pre in prefixes {
        d.add_text(f.unspsc, pre);
    }

    for place in [&p.buyer.department, &p.buyer.municipality]
        .into_iter()
        .flatten()
    {
        searchable(&mut d, f, &place.name);
        if let Some(raw) = &place.raw {
            searchable(&mut d, f, raw);
        }
        if let Some(code) = &place.code {
            let field = if code.len() == 2 {
                f.department
            } else {
                f.municipality
            };
            d.add_text(field, code);
        }
    }

    let mut extra: Vec<&str> = vec![
        p.modality.label(),
        p.contract_type.label(),
        p.status.label(),
    ];
    extra.extend(p.modality_raw.as_deref());
    extra.extend(p.contract_type_raw.as_deref());
    extra.extend(p.phase.as_deref());
    extra.extend(p.reference.as_deref());
    // A published label that says what ours says ("CONTRATACIÓN DIRECTA", "Contratación
    // directa") once.
    let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
    let mut seen: Vec<String> = Vec::with_capacity(extra.len());
    for e in extra {
        let l = lower(e);
        if !seen.contains(&l) {
            seen.push(l);
            searchable(&mut d, f, e);
        }
    }
    if let Some(e) = &p.enrichment {
        enrichment_text(e, &mut |s| searchable(&mut d, f, s));
    }

    if let Some(pl) = p.platform {
        d.add_text(f.platform, pl.code());
    }
    for s in &p.sources {
        d.add_text(f.dataset, s);
    }
    d.add_text(f.modality, p.modality.code());
    d.add_text(f.status, p.status.code());
    d.add_text(f.contract_type, p.contract_type.code());
    if let Some(n) = &p.buyer.nit {
        d.add_text(f.nit, n);
    }
    if let Some(b) = buyer_key(p) {
        d.add_text(f.buyer, b);
    }
    if !p.buyer.name.is_empty() {
        d.add_text(f.buyer_name, &p.buyer.name);
    }
    if let Some(v) = p.value() {
        d.add_i64(f.value, v);
    }
    if let Some(v) = p.awarded_value() {
        d.add_i64(f.awarded, v);
    }
    let placed = placed_at(p);
    if let Some(t) = placed {
        d.add_i64(f.published, seconds(t));
        d.add_u64(f.year, t.year() as u64);
        d.add_u64(f.month, (t.year() as u64) * 100 + t.month() as u64);
    }
    d.add_u64(
        f.facets,
        packed::pack(&packed::FacetValues {
            platform: p.platform,
            department: p
                .buyer
                .department
                .as_ref()
                .and_then(|d| d.code.as_deref())
                .filter(|c| c.len() == 2),
            modality: p.modality,
            status: p.status,
            contract_type: p.contract_type,
            year: placed.map(|t| t.year()),
        }),
    );
    if let Some(t) = p.offers_due_at {
        d.add_i64(f.due, seconds(t));
    }
    if let Some(t) = p.last_update_at {
        d.add_i64(f.updated, seconds(t));
    }
    d.add_u64(f.partial, u64::from(p.partial));
    d.add_text(f.doc, serde_json::to_string(p)?);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::assemble::shorten;
    use crate::model::Modality;
    use tantivy::schema::document::Value;

    fn texts(d: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
        d.get_all(field)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// Real p6dx/jbjy text (CO1.BDOS.6953998): the description is longer than a title, so
    /// the assembled title is its first 200 characters.
    const DESCRIPTION: &str = "PRESTAR LOS SERVICIOS PROFESIONALES DE APOYO A LA GESTION EN LA DIRECCIÓN DE SERVICIOS PÚBLICOS; EN EL PROCESO DE SEGUIMIENTO A LA PRESTACIÓN DEL SERVICIO DOMICILIARIO DE ENERGÍA Y EL SERVICIO DE ALUMBRADO PÚBLICO; EN ZONA URBANA Y RURAL; DEL MUNICIPIO DE LOS PATIOS";

    #[test]
    fn a_title_cut_from_the_description_counts_twice_like_any_title() {
        let (_, f) = crate::index::schema::build();
        let mut p = Process {
            key: "secop2:CO1.BDOS.6953998".into(),
            description: Some(DESCRIPTION.into()),
            ..Default::default()
        };
        p.title = shorten(DESCRIPTION, 200);
        assert!(p.title.ends_with('…'));
        let d = build(&f, &p).unwrap();
        let all = texts(&d, f.all);
        // Once itself, once inside the description: two, as a title that is all of its
        // description (which is then not repeated).
        assert_eq!(all.iter().filter(|t| **t == p.title).count(), 1);
        assert_eq!(all.iter().filter(|t| *t == DESCRIPTION).count(), 1);
        // Its pairs are the description's.
        let pairs = texts(&d, f.pairs);
        assert!(!pairs.contains(&p.title));
        assert!(pairs.iter().any(|t| t == DESCRIPTION));

        // A title of its own is twice in `all` and has its pairs.
        p.title = "SERVICIOS PROFESIONALES DIRECCIÓN DE SERVICIOS PÚBLICOS".into();
        let d = build(&f, &p).unwrap();
        assert_eq!(
            texts(&d, f.all).iter().filter(|t| **t == p.title).count(),
            2
        );
        assert!(texts(&d, f.pairs).contains(&p.title));
    }

    #[test]
    fn every_level_of_a_category_is_searchable_text() {
        let (_, f) = crate::index::schema::build();
        let p = Process {
            key: "secop2:CO1.BDOS.6953998".into(),
            title: "APOYO A LA GESTION".into(),
            unspsc: vec!["80111600".into(), "43211507".into()],
            ..Default::default()
        };
        let all = texts(&build(&f, &p).unwrap(), f.all);
        let unspsc = Unspsc::get();
        for code in &p.unspsc {
            let c = unspsc.category(code);
            let names = [&c.segment, &c.family, &c.class, &c.product];
            let names: Vec<&String> = names.into_iter().flatten().collect();
            assert!(names.len() >= 3, "{c:?}");
            for n in names {
                assert!(all.contains(n), "{n} of {code} not in {all:?}");
            }
            assert!(all.contains(code));
        }
    }

    #[test]
    fn a_published_label_equal_to_ours_is_indexed_once() {
        let (_, f) = crate::index::schema::build();
        let p = Process {
            key: "secop1:24-12-14379130".into(),
            title: "SUMINISTRO DE COMBUSTIBLE".into(),
            modality: Modality::ContratacionDirecta,
            modality_raw: Some("CONTRATACIÓN DIRECTA".into()),
            contract_type_raw: Some("Suministro".into()),
            ..Default::default()
        };
        let all = texts(&build(&f, &p).unwrap(), f.all);
        let directa = all
            .iter()
            .filter(|t| t.to_lowercase() == "contratación directa")
            .count();
        assert_eq!(directa, 1, "{all:?}");
        // A published label that says something else is kept.
        assert!(all.iter().any(|t| t == "Suministro"));
    }
}
