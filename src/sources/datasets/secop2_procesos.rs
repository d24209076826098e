//! SECOP II Procesos de Contratación (`p6dx-8zbt`): one row per award of a process.
//!
//! The process is `id_del_portafolio` (`CO1.BDOS.*`); a portfolio may hold several
//! procedures (`CO1.REQ.*`, a cancelled one and its relaunch), and each procedure has one row
//! per award (`id_adjudicacion`), or one row with `No Adjudicado`.

use super::cells::{Cells, push_id, secop2_notice_url};
use super::{Dataset, Fragment, Role, RowError};
use crate::model::{Award, Buyer, Competition, Platform, Process, Status};
use crate::normalize::text::{extract_url, find_secop2_id, id_norm, strip_phase_suffix};
use crate::normalize::unspsc::{normalize_unspsc, normalize_unspsc_list};
use crate::normalize::{fold, vocab};
use crate::sources::Row;

/// `p6dx-8zbt`.
pub struct Secop2Procesos;

/// Columns as the portal's metadata lists them (`/api/views/p6dx-8zbt.json`).
pub(crate) const COLUMNS: &[(&str, &str)] = &[
    ("entidad", "Entidad"),
    ("nit_entidad", "Nit Entidad"),
    ("departamento_entidad", "Departamento Entidad"),
    ("ciudad_entidad", "Ciudad Entidad"),
    ("ordenentidad", "OrdenEntidad"),
    ("codigo_pci", "Entidad Centralizada"),
    ("id_del_proceso", "ID del Proceso"),
    ("referencia_del_proceso", "Referencia del Proceso"),
    ("ppi", "PCI"),
    ("id_del_portafolio", "ID del Portafolio"),
    ("nombre_del_procedimiento", "Nombre del Procedimiento"),
    (
        "descripci_n_del_procedimiento",
        "Descripción del Procedimiento",
    ),
    ("fase", "Fase"),
    (
        "fecha_de_publicacion_del",
        "Fecha de Publicacion del Proceso",
    ),
    ("fecha_de_ultima_publicaci", "Fecha de Ultima Publicación"),
    (
        "fecha_de_publicacion_fase",
        "Fecha de Publicacion (Fase Planeacion Precalificacion)",
    ),
    (
        "fecha_de_publicacion_fase_1",
        "Fecha de Publicacion (Fase Seleccion Precalificacion)",
    ),
    (
        "fecha_de_publicacion",
        "Fecha de Publicacion (Manifestacion de Interes)",
    ),
    (
        "fecha_de_publicacion_fase_2",
        "Fecha de Publicacion (Fase Borrador)",
    ),
    (
        "fecha_de_publicacion_fase_3",
        "Fecha de Publicacion (Fase Seleccion)",
    ),
    ("precio_base", "Precio Base"),
    ("modalidad_de_contratacion", "Modalidad de Contratacion"),
    (
        "justificaci_n_modalidad_de",
        "Justificación Modalidad de Contratación",
    ),
    ("duracion", "Duracion"),
    ("unidad_de_duracion", "Unidad de Duracion"),
    ("fecha_de_recepcion_de", "Fecha de Recepcion de Respuestas"),
    (
        "fecha_de_apertura_de_respuesta",
        "Fecha de Apertura de Respuesta",
    ),
    ("fecha_de_apertura_efectiva", "Fecha de Apertura Efectiva"),
    (
        "ciudad_de_la_unidad_de",
        "Ciudad de la Unidad de Contratación",
    ),
    (
        "nombre_de_la_unidad_de",
        "Nombre de la Unidad de Contratación",
    ),
    ("proveedores_invitados", "Proveedores Invitados"),
    (
        "proveedores_con_invitacion",
        "Proveedores con Invitacion Directa",
    ),
    ("visualizaciones_del", "Visualizaciones del Procedimiento"),
    (
        "proveedores_que_manifestaron",
        "Proveedores que Manifestaron Interes",
    ),
    ("respuestas_al_procedimiento", "Respuestas al Procedimiento"),
    ("respuestas_externas", "Respuestas Externas"),
    (
        "conteo_de_respuestas_a_ofertas",
        "Conteo de Respuestas a Ofertas",
    ),
    (
        "proveedores_unicos_con",
        "Proveedores Unicos con Respuestas",
    ),
    ("numero_de_lotes", "Numero de Lotes"),
    ("estado_del_procedimiento", "Estado del Procedimiento"),
    ("id_estado_del_procedimiento", "ID Estado del Procedimiento"),
    ("adjudicado", "Adjudicado"),
    ("id_adjudicacion", "ID Adjudicacion"),
    ("codigoproveedor", "CodigoProveedor"),
    ("departamento_proveedor", "Departamento Proveedor"),
    ("ciudad_proveedor", "Ciudad Proveedor"),
    ("fecha_adjudicacion", "Fecha Adjudicacion"),
    ("valor_total_adjudicacion", "Valor Total Adjudicacion"),
    ("nombre_del_adjudicador", "Nombre del Adjudicador"),
    ("nombre_del_proveedor", "Nombre del Proveedor Adjudicado"),
    (
        "nit_del_proveedor_adjudicado",
        "NIT del Proveedor Adjudicado",
    ),
    (
        "codigo_principal_de_categoria",
        "Codigo Principal de Categoria",
    ),
    (
        "estado_de_apertura_del_proceso",
        "Estado de Apertura del Proceso",
    ),
    ("tipo_de_contrato", "Tipo de Contrato"),
    ("subtipo_de_contrato", "Subtipo de Contrato"),
    ("categorias_adicionales", "Categorias Adicionales"),
    ("urlproceso", "URLProceso"),
    ("codigo_entidad", "Codigo Entidad"),
    ("estado_resumen", "Estado Resumen"),
];

impl Dataset for Secop2Procesos {
    fn id(&self) -> &'static str {
        "p6dx-8zbt"
    }
    fn source_name(&self) -> &'static str {
        "secop2-procesos"
    }
    fn title(&self) -> &'static str {
        "SECOP II - Procesos de Contratación"
    }
    fn platform(&self) -> Platform {
        Platform::SecopII
    }
    fn columns(&self) -> &'static [(&'static str, &'static str)] {
        COLUMNS
    }
    fn signature(&self) -> &'static [&'static str] {
        &["id_del_proceso"]
    }
    fn date_column(&self) -> &'static str {
        "fecha_de_publicacion_del"
    }
    fn order_columns(&self) -> &'static [&'static str] {
        &["id_del_proceso", "id_adjudicacion"]
    }

    fn normalize(&self, row: &Row) -> Result<Fragment, RowError> {
        let c = Cells::new(row);
        let req = c.key("id_del_proceso")?;
        let bdos = c.raw("id_del_portafolio");
        let url_cell = row.get("urlproceso").and_then(extract_url);
        let ntc = url_cell.as_deref().and_then(|u| find_secop2_id(u, "NTC"));
        let published = c.date_req("fecha_de_publicacion_del")?;
        let estimated = c.money_req("precio_base")?;

        let supplier = c.party("nombre_del_proveedor", "nit_del_proveedor_adjudicado", None);
        let award_id = c.raw("id_adjudicacion");
        let awarded = c
            .raw("adjudicado")
            .is_some_and(|v| fold(v).starts_with('s'));
        let award = (awarded || supplier.is_some() || award_id.is_some()).then(|| Award {
            id: award_id.map(str::to_string),
            supplier: supplier.clone(),
            value: c.money("valor_total_adjudicacion"),
            date: c.date("fecha_adjudicacion"),
            contract_id: None,
        });
        // The row key: the procedure and its award. Files without the award id (one row
        // per award all the same) fall back to the supplier and the awarded value: one
        // supplier may win several lots of one procedure.
        let award_part = match (award_id, &supplier) {
            (Some(a), _) => a.to_string(),
            (None, Some(p)) => format!(
                "s:{}:{}",
                id_norm(p.id.as_deref().unwrap_or(&p.name)),
                award.as_ref().and_then(|a| a.value).unwrap_or(0)
            ),
            (None, None) => "-".to_string(),
        };
        let row_key = format!("{}:{}:{}", self.id(), req, award_part);

        let reference_raw = c.text("referencia_del_proceso");
        let reference = reference_raw
            .as_deref()
            .map(|r| strip_phase_suffix(r).to_string());
        let title = c
            .text("nombre_del_procedimiento")
            .map(|t| strip_phase_suffix(&t).to_string())
            .unwrap_or_default();

        let status_raw = c.text("estado_del_procedimiento");
        let mut status = status_raw.as_deref().map_or(Status::Unknown, vocab::status);
        if let Some(summary) = c.raw("estado_resumen")
            && vocab::status(summary) == Status::Awarded
        {
            status = Status::Awarded;
        }
        if awarded && matches!(status, Status::Open | Status::Evaluation | Status::Unknown) {
            status = Status::Awarded;
        }
        // "Publicado" but closed for responses: offers are in, evaluation follows.
        if status == Status::Open
            && c.raw("estado_de_apertura_del_proceso")
                .is_some_and(|v| fold(v) == "cerrado")
        {
            status = Status::Evaluation;
        }

        let (nit, nit_raw) = c.nit("nit_entidad");
        let (department, municipality) = c.places("departamento_entidad", "ciudad_entidad");
        let mut unspsc: Vec<String> = c
            .raw("codigo_principal_de_categoria")
            .and_then(normalize_unspsc)
            .into_iter()
            .collect();
        if let Some(extra) = c.raw("categorias_adicionales") {
            for code in normalize_unspsc_list(extra) {
                if !unspsc.contains(&code) {
                    unspsc.push(code);
                }
            }
        }
        let duration = match (c.count("duracion"), c.text("unidad_de_duracion")) {
            (Some(n), Some(u)) if n > 0 => Some(format!("{n} {u}")),
            _ => None,
        };
        let contract_type_raw = c.text("tipo_de_contrato");

        let mut ids = Vec::new();
        push_id(&mut ids, bdos);
        push_id(&mut ids, Some(req));
        push_id(&mut ids, ntc.as_deref());
        push_id(&mut ids, reference_raw.as_deref());
        push_id(&mut ids, reference.as_deref());
        push_id(&mut ids, award_id.filter(|a| a.starts_with("CO1.")));

        let process = Process {
            platform: Some(Platform::SecopII),
            sources: vec![self.id().to_string()],
            process_id: bdos.unwrap_or(req).to_string(),
            ids,
            reference,
            reference_raw,
            title,
            description: c.text("descripci_n_del_procedimiento"),
            buyer: Buyer {
                name: crate::normalize::text::entity_name(c.text("entidad").unwrap_or_default()),
                nit,
                nit_raw,
                code: c.code("codigo_entidad"),
                department,
                municipality,
                order: c.text("ordenentidad"),
                unit: c.text("nombre_de_la_unidad_de"),
            },
            modality: c
                .raw("modalidad_de_contratacion")
                .map_or(Default::default(), vocab::modality),
            modality_raw: c.text("modalidad_de_contratacion"),
            status,
            status_raw,
            phase: c.text("fase"),
            contract_type: contract_type_raw
                .as_deref()
                .map_or(Default::default(), vocab::contract_type),
            contract_type_raw,
            unspsc,
            estimated_value: estimated,
            published_at: published,
            offers_due_at: c.date("fecha_de_recepcion_de"),
            last_update_at: c.date("fecha_de_ultima_publicaci"),
            duration,
            awards: award.into_iter().collect(),
            competition: Competition {
                invited: c.count("proveedores_invitados"),
                interested: c.count("proveedores_que_manifestaron"),
                responses: c.count("respuestas_al_procedimiento"),
                unique_bidders: c.count("proveedores_unicos_con"),
                views: c.count("visualizaciones_del"),
            },
            url: ntc.as_deref().map(secop2_notice_url),
            ..Process::default()
        };
        let mut link_ids = vec![req.to_string()];
        link_ids.extend(ntc);
        Ok(Fragment {
            dataset: self.id(),
            row_key,
            strong_key: bdos.map(|b| format!("secop2:{b}")),
            link_ids,
            role: Role::Process,
            event_date: published,
            process,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real_row() -> Row {
        // The first row of the corpus' p6dx-8zbt sample, as the API sends it.
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/data/p6dx-row.json")).unwrap();
        crate::sources::reader::row_from_json(&v).unwrap()
    }

    #[test]
    fn a_real_process_row() {
        let f = Secop2Procesos.normalize(&real_row()).unwrap();
        let p = &f.process;
        assert_eq!(f.strong_key.as_deref(), Some("secop2:CO1.BDOS.10558939"));
        assert_eq!(f.row_key, "p6dx-8zbt:CO1.REQ.10877504:-");
        assert_eq!(p.process_id, "CO1.BDOS.10558939");
        assert!(p.ids.contains(&"CO1.NTC.10732827".to_string()));
        assert_eq!(p.reference.as_deref(), Some("SAMC-002-2026"));
        assert_eq!(p.title, "SUMINISTRO DE POLIZAS DE SEGUROS");
        assert_eq!(p.buyer.nit.as_deref(), Some("800086201"));
        assert_eq!(
            p.buyer.department.as_ref().unwrap().code.as_deref(),
            Some("76")
        );
        assert_eq!(p.estimated_value, Some(78_098_065));
        assert_eq!(p.unspsc, vec!["84131500"]);
        assert_eq!(p.modality, crate::model::Modality::SeleccionAbreviada);
        assert_eq!(p.status, Status::Open);
        assert_eq!(p.competition.views, Some(6));
        assert!(p.awards.is_empty());
        assert_eq!(p.duration.as_deref(), Some("283 día(s)"));
        assert!(
            p.url
                .as_deref()
                .unwrap()
                .contains("noticeUID=CO1.NTC.10732827")
        );
    }

    #[test]
    fn a_row_without_key_is_refused() {
        let row = Row::from_pairs([("nombre_del_procedimiento", "X")]);
        assert_eq!(
            Secop2Procesos.normalize(&row).unwrap_err(),
            RowError::MissingKey("id_del_proceso")
        );
    }

    #[test]
    fn a_bad_value_is_refused_with_its_column() {
        let row = Row::from_pairs([("id_del_proceso", "CO1.REQ.1"), ("precio_base", "mucho")]);
        let e = Secop2Procesos.normalize(&row).unwrap_err();
        assert!(e.to_string().starts_with("column precio_base"), "{e}");
    }
}
