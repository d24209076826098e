//! SECOP I Procesos de Compra Pública: `f789-7hwg` (2018 onward) and `qddk-cgux`
//! (2004-2017), which share one schema.
//!
//! `numero_de_constancia` (`YY-T-NNNNNNN`) is the process; a process has one row per award
//! (`id_adjudicacion`), and `uid` is the constancia plus `-` and the award. The live dataset
//! has lost its accented capitals (`ALCALDiA`, `LICITACIoN`): folding takes care of that for
//! search and comparison, and the texts people read get them back
//! ([`restore_lost_capitals`]); the raw labels (`modality_raw`, `status_raw`) stay as published.

use super::cells::{Cells, push_id};
use super::{Dataset, Fragment, Role, RowError};
use crate::model::{Award, Buyer, Contract, Party, Platform, Process, Status};
use crate::normalize::text::{extract_url, fold, restore_lost_capitals};
use crate::normalize::unspsc::normalize_unspsc;
use crate::normalize::vocab;
use crate::sources::Row;

/// One of the two SECOP I process datasets.
pub struct Secop1Procesos {
    id: &'static str,
    source: &'static str,
    title: &'static str,
}

impl Secop1Procesos {
    /// `f789-7hwg`, 2018 onward.
    pub const RECENT: Secop1Procesos = Secop1Procesos {
        id: "f789-7hwg",
        source: "secop1-procesos",
        title: "SECOP I - Procesos de Compra Pública",
    };
    /// `qddk-cgux`, 2004 to 2017.
    pub const HISTORIC: Secop1Procesos = Secop1Procesos {
        id: "qddk-cgux",
        source: "secop1-historico",
        title: "SECOP I - Procesos de Compra Pública Histórico",
    };
}

/// Columns of the SECOP I process datasets (API names; display names as the web UI
/// titles them).
pub(crate) const COLUMNS: &[(&str, &str)] = &[
    ("uid", "UID"),
    ("anno_cargue_secop", "Anno Cargue SECOP"),
    ("anno_firma_contrato", "Anno Firma Contrato"),
    ("nivel_entidad", "Nivel Entidad"),
    ("orden_entidad", "Orden Entidad"),
    ("nombre_entidad", "Nombre Entidad"),
    ("nit_de_la_entidad", "NIT de la Entidad"),
    ("c_digo_de_la_entidad", "Código de la Entidad"),
    ("id_modalidad", "Id Modalidad"),
    ("modalidad_de_contratacion", "Modalidad de Contratacion"),
    ("estado_del_proceso", "Estado del Proceso"),
    ("causal_de_otras_formas_de", "Causal de Otras Formas de"),
    ("id_regimen_de_contratacion", "Id Regimen de Contratacion"),
    (
        "nombre_regimen_de_contratacion",
        "Nombre Regimen de Contratacion",
    ),
    ("id_objeto_a_contratar", "Id Objeto a Contratar"),
    ("objeto_a_contratar", "Objeto a Contratar"),
    (
        "detalle_del_objeto_a_contratar",
        "Detalle del Objeto a Contratar",
    ),
    ("tipo_de_contrato", "Tipo de Contrato"),
    ("municipio_de_obtencion", "Municipio de Obtencion"),
    ("municipio_de_entrega", "Municipio de Entrega"),
    ("municipios_ejecucion", "Municipios Ejecucion"),
    ("fecha_de_cargue_en_el_secop", "Fecha de Cargue en el SECOP"),
    ("numero_de_constancia", "Numero de Constancia"),
    ("numero_de_proceso", "Numero de Proceso"),
    ("numero_de_contrato", "Numero de Contrato"),
    ("cuantia_proceso", "Cuantia Proceso"),
    ("id_grupo", "Id Grupo"),
    ("nombre_grupo", "Nombre Grupo"),
    ("id_familia", "Id Familia"),
    ("nombre_familia", "Nombre Familia"),
    ("id_clase", "Id Clase"),
    ("nombre_clase", "Nombre Clase"),
    ("id_adjudicacion", "Id Adjudicacion"),
    (
        "tipo_identifi_del_contratista",
        "Tipo Identifi del Contratista",
    ),
    (
        "identificacion_del_contratista",
        "Identificacion del Contratista",
    ),
    (
        "nom_razon_social_contratista",
        "Nom Razon Social Contratista",
    ),
    ("dpto_y_muni_contratista", "Dpto y Muni Contratista"),
    (
        "tipo_doc_representante_legal",
        "Tipo Doc Representante Legal",
    ),
    (
        "identific_representante_legal",
        "Identific Representante Legal",
    ),
    ("nombre_del_represen_legal", "Nombre del Represen Legal"),
    ("fecha_de_firma_del_contrato", "Fecha de Firma del Contrato"),
    ("fecha_ini_ejec_contrato", "Fecha Ini Ejec Contrato"),
    ("plazo_de_ejec_del_contrato", "Plazo de Ejec del Contrato"),
    ("rango_de_ejec_del_contrato", "Rango de Ejec del Contrato"),
    ("tiempo_adiciones_en_dias", "Tiempo Adiciones en Dias"),
    ("tiempo_adiciones_en_meses", "Tiempo Adiciones en Meses"),
    ("fecha_fin_ejec_contrato", "Fecha Fin Ejec Contrato"),
    ("compromiso_presupuestal", "Compromiso Presupuestal"),
    ("cuantia_contrato", "Cuantia Contrato"),
    ("valor_total_de_adiciones", "Valor Total de Adiciones"),
    (
        "valor_contrato_con_adiciones",
        "Valor Contrato con Adiciones",
    ),
    ("objeto_del_contrato_a_la", "Objeto del Contrato a la"),
    ("proponentes_seleccionados", "Proponentes Seleccionados"),
    ("calificacion_definitiva", "Calificacion Definitiva"),
    ("id_sub_unidad_ejecutora", "Id Sub Unidad Ejecutora"),
    ("nombre_sub_unidad_ejecutora", "Nombre Sub Unidad Ejecutora"),
    ("ruta_proceso_en_secop_i", "Ruta Proceso en SECOP I"),
    ("moneda", "Moneda"),
    ("es_postconflicto", "Es Postconflicto"),
    ("marcacion_adiciones", "Marcacion Adiciones"),
    ("posicion_rubro", "Posicion Rubro"),
    ("nombre_rubro", "Nombre Rubro"),
    ("valor_rubro", "Valor Rubro"),
    ("sexo_replegal", "Sexo Replegal"),
    ("pilar_acuerdo_paz", "Pilar Acuerdo Paz"),
    ("punto_acuerdo_paz", "Punto Acuerdo Paz"),
    ("municipio_entidad", "Municipio Entidad"),
    ("departamento_entidad", "Departamento Entidad"),
    ("ultima_actualizacion", "Ultima Actualizacion"),
    ("fecha_liquidacion", "Fecha Liquidacion"),
    ("cumpledecreto248", "Cumpledecreto248"),
    ("incluyebienesdecreto248", "Incluyebienesdecreto248"),
    ("cumple_sentencia_t302", "Cumple Sentencia T302"),
    ("es_mipyme", "Es Mipyme"),
    ("tama_o_mipyme", "Tamaño Mipyme"),
    ("codigo_bpin", "Código BPIN"),
    ("destino_gasto", "Destino Gasto"),
    ("pliegos_tipo", "Pliegos Tipo"),
    ("sector_pliegos_tipo", "Sector Pliegos Tipo"),
];

impl Dataset for Secop1Procesos {
    fn id(&self) -> &'static str {
        self.id
    }
    fn source_name(&self) -> &'static str {
        self.source
    }
    fn title(&self) -> &'static str {
        self.title
    }
    fn platform(&self) -> Platform {
        Platform::SecopI
    }
    fn columns(&self) -> &'static [(&'static str, &'static str)] {
        COLUMNS
    }
    fn signature(&self) -> &'static [&'static str] {
        &["numero_de_constancia"]
    }
    fn date_column(&self) -> &'static str {
        "fecha_de_cargue_en_el_secop"
    }
    fn order_columns(&self) -> &'static [&'static str] {
        &["numero_de_constancia", "id_adjudicacion"]
    }

    fn normalize(&self, row: &Row) -> Result<Fragment, RowError> {
        let c = Cells::new(row);
        // Texts people read, with the accented capitals the live dataset lost put back.
        let prose = |col: &str| c.text(col).map(restore_lost_capitals);
        let constancia = c.key("numero_de_constancia")?;
        let published = c.date_req("fecha_de_cargue_en_el_secop")?;
        let estimated = c.money_req("cuantia_proceso")?;
        let award_id = c.raw("id_adjudicacion");
        let uid = c
            .raw("uid")
            .map(str::to_string)
            .or_else(|| award_id.map(|a| format!("{constancia}-{a}")));
        let supplier = c
            .party(
                "nom_razon_social_contratista",
                "identificacion_del_contratista",
                Some("tipo_identifi_del_contratista"),
            )
            .map(|p| Party {
                name: restore_lost_capitals(p.name),
                ..p
            });
        let contract_no = c.text("numero_de_contrato");
        let signed = c.date("fecha_de_firma_del_contrato");
        let contract_value = c
            .money("cuantia_contrato")
            .or_else(|| c.money("valor_contrato_con_adiciones"));
        let award = award_id.map(|a| Award {
            id: Some(a.to_string()),
            supplier: supplier.clone(),
            value: contract_value,
            date: signed,
            contract_id: contract_no.clone(),
        });
        let contract = (contract_no.is_some() || signed.is_some()).then(|| Contract {
            id: contract_no
                .clone()
                .unwrap_or_else(|| uid.clone().unwrap_or_else(|| constancia.to_string())),
            reference: None,
            status: if c.date("fecha_liquidacion").is_some() {
                Status::Closed
            } else {
                Status::Contracted
            },
            status_raw: None,
            supplier: supplier.clone(),
            value: contract_value,
            signed_at: signed,
            start: c.date("fecha_ini_ejec_contrato"),
            end: c.date("fecha_fin_ejec_contrato"),
            object: prose("objeto_del_contrato_a_la"),
            source: self.id.to_string(),
        });

        let status_raw = c.text("estado_del_proceso");
        let status = match status_raw.as_deref().map(vocab::status) {
            Some(s) if s != Status::Unknown => s,
            // The field is often empty: what the row shows decides.
            _ if contract.is_some() => Status::Contracted,
            _ if award.is_some() => Status::Awarded,
            _ => Status::Unknown,
        };

        let (nit, nit_raw) = c.nit("nit_de_la_entidad");
        let (department, municipality) = c.places("departamento_entidad", "municipio_entidad");
        let unspsc = ["id_clase", "id_familia", "id_objeto_a_contratar"]
            .iter()
            .find_map(|col| c.raw(col).and_then(normalize_unspsc))
            .into_iter()
            .collect();
        let duration = match (
            c.count("plazo_de_ejec_del_contrato"),
            c.raw("rango_de_ejec_del_contrato"),
        ) {
            (Some(n), Some(r)) if n > 0 => Some(format!(
                "{n} {}",
                match r {
                    "D" => "día(s)",
                    "M" => "mes(es)",
                    _ => r,
                }
            )),
            _ => None,
        };
        let currency = c
            .text("moneda")
            .filter(|m| !fold(m).contains("peso colombiano"));
        let detail = prose("detalle_del_objeto_a_contratar");
        let reference = c.text("numero_de_proceso");
        let modality_raw = c.text("modalidad_de_contratacion");

        let mut ids = Vec::new();
        push_id(&mut ids, Some(constancia));
        push_id(&mut ids, uid.as_deref());
        push_id(&mut ids, reference.as_deref());
        push_id(&mut ids, contract_no.as_deref());
        let bpin = c
            .raw("codigo_bpin")
            .filter(|b| b.chars().any(|c| c.is_ascii_digit()));
        push_id(&mut ids, bpin);

        let contract_type_raw = c.text("tipo_de_contrato");
        let process = Process {
            platform: Some(Platform::SecopI),
            sources: vec![self.id.to_string()],
            process_id: constancia.to_string(),
            ids,
            reference: reference.clone(),
            reference_raw: reference,
            title: detail.clone().unwrap_or_default(),
            description: prose("objeto_a_contratar").filter(|o| Some(o) != detail.as_ref()),
            buyer: Buyer {
                name: crate::normalize::text::entity_name(
                    prose("nombre_entidad").unwrap_or_default(),
                ),
                nit,
                nit_raw,
                code: c.code("c_digo_de_la_entidad"),
                department,
                municipality,
                order: c.text("orden_entidad").or_else(|| c.text("nivel_entidad")),
                unit: prose("nombre_sub_unidad_ejecutora"),
            },
            modality: modality_raw
                .as_deref()
                .map_or(Default::default(), vocab::modality),
            modality_raw,
            status,
            status_raw,
            contract_type: contract_type_raw
                .as_deref()
                .map_or(Default::default(), vocab::contract_type),
            contract_type_raw,
            unspsc,
            estimated_value: estimated,
            currency,
            published_at: published,
            last_update_at: c.date("ultima_actualizacion"),
            duration,
            awards: award.into_iter().collect(),
            contracts: contract.into_iter().collect(),
            url: row.get("ruta_proceso_en_secop_i").and_then(extract_url),
            ..Process::default()
        };
        Ok(Fragment {
            dataset: self.id,
            // One award may have several rows, one per BPIN project that funds it.
            row_key: match bpin {
                Some(b) => format!(
                    "{}:{}:{}:{}",
                    self.id,
                    constancia,
                    award_id.unwrap_or("-"),
                    b
                ),
                None => format!("{}:{}:{}", self.id, constancia, award_id.unwrap_or("-")),
            },
            strong_key: Some(format!("secop1:{constancia}")),
            link_ids: Vec::new(),
            role: Role::Process,
            event_date: published,
            process,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContractType, Modality};

    #[test]
    fn a_real_secop1_row() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/data/f789-row.json")).unwrap();
        let row = crate::sources::reader::row_from_json(&v).unwrap();
        let f = Secop1Procesos::RECENT.normalize(&row).unwrap();
        let p = &f.process;
        assert_eq!(f.strong_key.as_deref(), Some("secop1:26-21-53372"));
        assert_eq!(p.process_id, "26-21-53372");
        assert_eq!(p.reference.as_deref(), Some("LOP-001-2026"));
        assert_eq!(p.buyer.nit.as_deref(), Some("892115024"));
        assert_eq!(
            p.buyer.department.as_ref().unwrap().code.as_deref(),
            Some("44")
        );
        assert_eq!(
            p.buyer.municipality.as_ref().unwrap().code.as_deref(),
            Some("44560")
        );
        assert_eq!(p.modality, Modality::Licitacion);
        assert_eq!(p.contract_type, ContractType::Obra);
        assert_eq!(p.unspsc, vec!["72141000"]);
        assert_eq!(p.estimated_value, Some(7_476_635_480));
        assert_eq!(p.status, Status::Unknown);
        assert!(p.awards.is_empty());
        assert_eq!(
            p.url.as_deref(),
            Some(
                "https://www.contratos.gov.co/consultas/detalleProceso.do?numConstancia=26-21-53372"
            )
        );
    }
}
