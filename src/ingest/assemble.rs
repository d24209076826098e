//! Merging the fragments of one process into one record.
//!
//! Process rows come first, most recent first; each later fragment only fills what is still
//! unknown. Awards, contracts, identifiers, sources and UNSPSC codes are unions. A process
//! known only from contracts is partial.
//!
//! Enrichment fragments (a platform's public page) come last and are stricter: they never
//! change what the open data says. They fill a field only when it is empty (a status, a
//! modality or a contract type only together with its published text, UNSPSC codes only
//! when there are none), add identifiers and sources, and bring the `enrichment` object;
//! they add no awards or contracts.

use chrono::NaiveDateTime;

use crate::model::{Award, Contract, Process, Status};
use crate::sources::{Fragment, Role};

fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
    if a.is_none() && b.is_some() {
        *a = b.clone();
    }
}

fn fill_str(a: &mut String, b: &str) {
    if a.is_empty() && !b.is_empty() {
        *a = b.to_string();
    }
}

fn union(a: &mut Vec<String>, b: &[String]) {
    for x in b {
        if !a.contains(x) {
            a.push(x.clone());
        }
    }
}

fn recency(f: &Fragment) -> Option<NaiveDateTime> {
    f.process
        .last_update_at
        .or(f.process.published_at)
        .or(f.event_date)
}

fn same_award(a: &Award, b: &Award) -> bool {
    match (&a.id, &b.id) {
        (Some(x), Some(y)) => x == y,
        _ => {
            a.supplier.as_ref().map(|s| (&s.name, &s.id))
                == b.supplier.as_ref().map(|s| (&s.name, &s.id))
                && a.value == b.value
        }
    }
}

fn merge(p: &mut Process, o: Process) {
    union(&mut p.sources, &o.sources);
    union(&mut p.ids, &o.ids);
    union(&mut p.unspsc, &o.unspsc);
    fill(&mut p.platform, &o.platform);
    fill(&mut p.reference, &o.reference);
    fill(&mut p.reference_raw, &o.reference_raw);
    fill_str(&mut p.title, &o.title);
    fill(&mut p.description, &o.description);
    let (b, ob) = (&mut p.buyer, &o.buyer);
    fill_str(&mut b.name, &ob.name);
    fill(&mut b.nit, &ob.nit);
    fill(&mut b.nit_raw, &ob.nit_raw);
    fill(&mut b.code, &ob.code);
    if b.department.as_ref().is_none_or(|d| d.code.is_none()) && ob.department.is_some() {
        b.department = ob.department.clone().or(b.department.take());
    }
    if b.municipality.as_ref().is_none_or(|d| d.code.is_none()) && ob.municipality.is_some() {
        b.municipality = ob.municipality.clone().or(b.municipality.take());
    }
    fill(&mut b.order, &ob.order);
    fill(&mut b.unit, &ob.unit);
    if p.modality == Default::default() {
        p.modality = o.modality;
    }
    fill(&mut p.modality_raw, &o.modality_raw);
    if p.status == Status::Unknown {
        p.status = o.status;
    }
    fill(&mut p.status_raw, &o.status_raw);
    fill(&mut p.phase, &o.phase);
    if p.contract_type == Default::default() {
        p.contract_type = o.contract_type;
    }
    fill(&mut p.contract_type_raw, &o.contract_type_raw);
    fill(&mut p.estimated_value, &o.estimated_value);
    fill(&mut p.currency, &o.currency);
    fill(&mut p.published_at, &o.published_at);
    fill(&mut p.offers_due_at, &o.offers_due_at);
    if o.last_update_at > p.last_update_at {
        p.last_update_at = o.last_update_at;
    }
    fill(&mut p.duration, &o.duration);
    for a in o.awards {
        if !p.awards.iter().any(|x| same_award(x, &a)) {
            p.awards.push(a);
        }
    }
    for c in o.contracts {
        if !p.contracts.iter().any(|x| x.id == c.id) {
            p.contracts.push(c);
        }
    }
    if p.competition.is_empty() {
        p.competition = o.competition;
    }
    fill(&mut p.url, &o.url);
    fill(&mut p.enrichment, &o.enrichment);
}

/// Merges an enrichment fragment: fills what is empty and nothing else.
fn merge_enrichment(p: &mut Process, o: Process) {
    union(&mut p.sources, &o.sources);
    union(&mut p.ids, &o.ids);
    if p.unspsc.is_empty() {
        p.unspsc = o.unspsc;
    }
    fill(&mut p.platform, &o.platform);
    if p.reference.is_none() && p.reference_raw.is_none() {
        p.reference = o.reference;
        p.reference_raw = o.reference_raw;
    }
    fill_str(&mut p.title, &o.title);
    if p.modality == Default::default() && p.modality_raw.is_none() {
        p.modality = o.modality;
        p.modality_raw = o.modality_raw;
    }
    if p.status == Status::Unknown && p.status_raw.is_none() {
        p.status = o.status;
        p.status_raw = o.status_raw;
    }
    if p.contract_type == Default::default() && p.contract_type_raw.is_none() {
        p.contract_type = o.contract_type;
        p.contract_type_raw = o.contract_type_raw;
    }
    if p.estimated_value.is_none() && p.currency.is_none() {
        p.estimated_value = o.estimated_value;
        p.currency = o.currency;
    }
    fill(&mut p.offers_due_at, &o.offers_due_at);
    fill(&mut p.duration, &o.duration);
    fill(&mut p.url, &o.url);
    fill(&mut p.enrichment, &o.enrichment);
}

/// Merges the fragments of a process under `key`. `None` when there are none.
pub fn assemble(key: &str, mut frags: Vec<Fragment>) -> Option<Process> {
    frags.sort_by(|a, b| {
        a.role
            .cmp(&b.role)
            .then_with(|| recency(b).cmp(&recency(a)))
            .then_with(|| a.row_key.cmp(&b.row_key))
    });
    let partial = frags.first()?.role != Role::Process;
    let mut it = frags.into_iter();
    let mut p = it.next()?.process;
    for f in it {
        match f.role {
            Role::Enrichment => merge_enrichment(&mut p, f.process),
            _ => merge(&mut p, f.process),
        }
    }
    p.key = key.to_string();
    p.partial = partial;
    if let Some((_, id)) = key.split_once(':') {
        p.process_id = id.to_string();
    }
    if !p.ids.contains(&p.process_id) {
        p.ids.insert(0, p.process_id.clone());
    }
    // A title that only repeats the entity's reference (`SAMC-001-2026`: 287 of the 5,598
    // SECOP II processes of the corpus) says nothing of what is bought; the description
    // does. The reference stays in its own field, shown and searchable.
    if p.title.is_empty() || names_only_the_reference(&p) {
        let text = p
            .description
            .clone()
            .or_else(|| p.contracts.iter().find_map(|c| c.object.clone()));
        match text {
            Some(t) => p.title = shorten(&t, 200),
            None if p.title.is_empty() => p.title = "(sin nombre)".to_string(),
            None => {}
        }
    }
    p.status = settle_status(p.status, &p.awards, &p.contracts);
    p.awards
        .sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.id.cmp(&b.id)));
    p.contracts
        .sort_by(|a, b| a.signed_at.cmp(&b.signed_at).then_with(|| a.id.cmp(&b.id)));
    Some(p)
}

/// True when the title is the process's own reference, as published or without its phase
/// suffix (case and accents aside).
fn names_only_the_reference(p: &Process) -> bool {
    use crate::normalize::text::fold_char;
    let title = p.title.trim();
    [&p.reference, &p.reference_raw]
        .into_iter()
        .flatten()
        .any(|r| {
            r.trim()
                .chars()
                .map(fold_char)
                .eq(title.chars().map(fold_char))
        })
}

/// A process with signed contracts is at least contracted; with awards, at least awarded.
fn settle_status(s: Status, awards: &[Award], contracts: &[Contract]) -> Status {
    let before_contract = matches!(
        s,
        Status::Unknown | Status::Open | Status::Evaluation | Status::Awarded
    );
    if !contracts.is_empty() && before_contract {
        if contracts.iter().all(|c| c.status == Status::Closed) {
            Status::Closed
        } else if contracts.iter().all(|c| c.status == Status::Cancelled) {
            Status::Cancelled
        } else {
            Status::Contracted
        }
    } else if !awards.is_empty() && matches!(s, Status::Unknown | Status::Open | Status::Evaluation)
    {
        Status::Awarded
    } else {
        s
    }
}

/// Cuts a text to at most `max` characters at a word boundary, with an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let end = cut.rfind(' ').filter(|&i| i > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContractType, Modality, Platform};

    fn frag(role: Role, row_key: &str, p: Process) -> Fragment {
        Fragment {
            dataset: if role == Role::Enrichment {
                "secop1-detalle"
            } else {
                "f789-7hwg"
            },
            row_key: row_key.into(),
            strong_key: Some("secop1:25-1-1".into()),
            link_ids: Vec::new(),
            role,
            process: p,
            event_date: None,
        }
    }

    #[test]
    fn a_title_that_only_repeats_the_reference_gives_way_to_the_description() {
        // CO1.BDOS.10049817 of the p6dx corpus, and one with the phase suffix.
        let cali = Process {
            title: "4146.010.32.1.1104.2026_3".into(),
            reference: Some("4146.010.32.1.1104.2026_3".into()),
            reference_raw: Some("4146.010.32.1.1104.2026_3".into()),
            description: Some("SUMINISTRO DE BONOS CANJEABLES DE ALIMENTACIÓN TIPO A Y TIPO B, ASEO Y DOTACIÓN TIPO A Y TIPO B, PARA LA ASISTENCIA Y ATENCIÓN INMEDIATA INTEGRAL A LAS VÍCTIMAS DEL CONFLICTO ARMADO EN SANTIAGO DE CALI. BP26005436".into()),
            ..Process::default()
        };
        let p = assemble(
            "secop2:CO1.BDOS.10049817",
            vec![frag(Role::Process, "a", cali)],
        )
        .unwrap();
        assert!(
            p.title.starts_with("SUMINISTRO DE BONOS CANJEABLES"),
            "{}",
            p.title
        );
        assert!(p.title.ends_with('…') && p.title.chars().count() <= 201);
        assert_eq!(p.reference.as_deref(), Some("4146.010.32.1.1104.2026_3"));

        let samc = Process {
            title: "SAMC-001-2026".into(),
            reference: Some("SAMC-001-2026".into()),
            reference_raw: Some("SAMC-001-2026 (Manifestación de interés (Menor Cuantía))".into()),
            description: Some(
                "MEJORAMIENTO DE LA VIA QUE CONDUCE DEL CASCO URBANO A LA VEREDA".into(),
            ),
            ..Process::default()
        };
        let p = assemble("secop2:CO1.BDOS.1", vec![frag(Role::Process, "a", samc)]).unwrap();
        assert_eq!(
            p.title,
            "MEJORAMIENTO DE LA VIA QUE CONDUCE DEL CASCO URBANO A LA VEREDA"
        );

        // Without a text to take its place, the reference stays the title; a title that
        // merely contains the reference stays as it is.
        let bare = Process {
            title: "SAMC-001-2026".into(),
            reference: Some("samc-001-2026".into()),
            ..Process::default()
        };
        let p = assemble("secop2:CO1.BDOS.2", vec![frag(Role::Process, "a", bare)]).unwrap();
        assert_eq!(p.title, "SAMC-001-2026");
        let named = Process {
            title: "SAMC-001-2026 MEJORAMIENTO DE VIAS".into(),
            reference: Some("SAMC-001-2026".into()),
            description: Some("Otra cosa".into()),
            ..Process::default()
        };
        let p = assemble("secop2:CO1.BDOS.3", vec![frag(Role::Process, "a", named)]).unwrap();
        assert_eq!(p.title, "SAMC-001-2026 MEJORAMIENTO DE VIAS");
    }

    #[test]
    fn enrichment_fills_and_never_overrides() {
        let open_data = Process {
            platform: Some(Platform::SecopI),
            sources: vec!["f789-7hwg".into()],
            ids: vec!["25-1-1".into()],
            title: "Open data title".into(),
            modality: Modality::Licitacion,
            modality_raw: Some("LICITACIoN PuBLICA".into()),
            unspsc: vec!["72141000".into()],
            estimated_value: Some(100),
            ..Process::default()
        };
        let page = Process {
            platform: Some(Platform::SecopI),
            sources: vec!["secop1-detalle".into()],
            ids: vec!["25-1-1".into(), "2025440350025".into()],
            title: "Page title".into(),
            modality: Modality::ConcursoMeritos,
            modality_raw: Some("Concurso de Méritos Abierto".into()),
            status: Status::Closed,
            status_raw: Some("Liquidado".into()),
            contract_type: ContractType::Obra,
            contract_type_raw: Some("Obra".into()),
            unspsc: vec!["80101500".into()],
            estimated_value: Some(999),
            offers_due_at: chrono::NaiveDate::from_ymd_opt(2025, 2, 26)
                .and_then(|d| d.and_hms_opt(8, 30, 0)),
            contracts: vec![Contract {
                id: "069-25".into(),
                ..Contract::default()
            }],
            enrichment: Some(serde_json::json!({"BPIN": ["2025440350025"]})),
            ..Process::default()
        };
        // The enrichment sorts after process rows whatever the order given.
        let p = assemble(
            "secop1:25-1-1",
            vec![
                frag(Role::Enrichment, "secop1-detalle:25-1-1", page.clone()),
                frag(Role::Process, "f789-7hwg:25-1-1:-", open_data),
            ],
        )
        .unwrap();
        assert!(!p.partial);
        assert_eq!(p.title, "Open data title");
        assert_eq!(p.modality, Modality::Licitacion);
        assert_eq!(p.modality_raw.as_deref(), Some("LICITACIoN PuBLICA"));
        assert_eq!(p.unspsc, ["72141000"]);
        assert_eq!(p.estimated_value, Some(100));
        // Filled: what the open data lacked.
        assert_eq!(p.status, Status::Closed);
        assert_eq!(p.status_raw.as_deref(), Some("Liquidado"));
        assert_eq!(p.contract_type, ContractType::Obra);
        assert!(p.offers_due_at.is_some());
        assert!(p.enrichment.is_some());
        assert_eq!(p.ids, ["25-1-1", "2025440350025"]);
        assert_eq!(p.sources, ["f789-7hwg", "secop1-detalle"]);
        // Linked contracts stay in the enrichment: no double counting of values.
        assert!(p.contracts.is_empty());

        // Alone (its open-data rows gone), the page still makes a record, marked partial.
        let alone = assemble(
            "secop1:25-1-1",
            vec![frag(Role::Enrichment, "secop1-detalle:25-1-1", page)],
        )
        .unwrap();
        assert!(alone.partial);
    }
}
