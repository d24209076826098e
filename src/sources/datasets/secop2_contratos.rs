//! SECOP II Contratos Electrónicos (`jbjy-vk9h`): one row per contract.
//!
//! A contract names its process by `proceso_de_compra` (`CO1.BDOS.*`, the process dataset's
//! `id_del_portafolio`). Some copies of the data lack that column; the notice in
//! `urlproceso` (`CO1.NTC.*`) then joins the contract to its process. A contract whose
//! process is unknown makes a partial process.

use super::cells::{Cells, push_id, secop2_notice_url};
use super::{Dataset, Fragment, Role, RowError};
use crate::model::{Buyer, Contract, Platform, Process, Status};
use crate::normalize::place::Divipola;
use crate::normalize::text::{extract_url, find_secop2_id};
use crate::normalize::unspsc::normalize_unspsc;
use crate::normalize::vocab;
use crate::sources::Row;

/// `jbjy-vk9h`.
pub struct Secop2Contratos;

/// Columns as the portal's metadata lists them (`/api/views/jbjy-vk9h.json`).
pub(crate) const COLUMNS: &[(&str, &str)] = &[
    ("nombre_entidad", "Nombre Entidad"),
    ("nit_entidad", "Nit Entidad"),
    ("departamento", "Departamento"),
    ("ciudad", "Ciudad"),
    ("localizaci_n", "Localización"),
    ("orden", "Orden"),
    ("sector", "Sector"),
    ("rama", "Rama"),
    ("entidad_centralizada", "Entidad Centralizada"),
    ("proceso_de_compra", "Proceso de Compra"),
    ("id_contrato", "ID Contrato"),
    ("referencia_del_contrato", "Referencia del Contrato"),
    ("estado_contrato", "Estado Contrato"),
    (
        "codigo_de_categoria_principal",
        "Codigo de Categoria Principal",
    ),
    ("descripcion_del_proceso", "Descripcion del Proceso"),
    ("tipo_de_contrato", "Tipo de Contrato"),
    ("modalidad_de_contratacion", "Modalidad de Contratacion"),
    (
        "justificacion_modalidad_de",
        "Justificacion Modalidad de Contratacion",
    ),
    ("fecha_de_firma", "Fecha de Firma"),
    (
        "fecha_de_inicio_del_contrato",
        "Fecha de Inicio del Contrato",
    ),
    ("fecha_de_fin_del_contrato", "Fecha de Fin del Contrato"),
    ("condiciones_de_entrega", "Condiciones de Entrega"),
    ("tipodocproveedor", "TipoDocProveedor"),
    ("documento_proveedor", "Documento Proveedor"),
    ("proveedor_adjudicado", "Proveedor Adjudicado"),
    ("es_grupo", "Es Grupo"),
    ("es_pyme", "Es Pyme"),
    ("habilita_pago_adelantado", "Habilita Pago Adelantado"),
    ("liquidaci_n", "Liquidación"),
    ("obligaci_n_ambiental", "Obligación Ambiental"),
    ("obligaciones_postconsumo", "Obligaciones Postconsumo"),
    ("reversion", "Reversion"),
    ("origen_de_los_recursos", "Origen de los Recursos"),
    ("destino_gasto", "Destino Gasto"),
    ("valor_del_contrato", "Valor del Contrato"),
    ("valor_de_pago_adelantado", "Valor de pago adelantado"),
    ("valor_facturado", "Valor Facturado"),
    ("valor_pendiente_de_pago", "Valor Pendiente de Pago"),
    ("valor_pagado", "Valor Pagado"),
    ("valor_amortizado", "Valor Amortizado"),
    ("valor_pendiente_de", "Valor Pendiente de Amortizacion"),
    (
        "valor_pendiente_de_ejecucion",
        "Valor Pendiente de Ejecucion",
    ),
    ("saldo_cdp", "Saldo CDP"),
    ("saldo_vigencia", "Saldo Vigencia"),
    ("espostconflicto", "EsPostConflicto"),
    ("dias_adicionados", "Dias adicionados"),
    ("puntos_del_acuerdo", "Puntos del Acuerdo"),
    ("pilares_del_acuerdo", "Pilares del Acuerdo"),
    ("urlproceso", "URLProceso"),
    ("nombre_representante_legal", "Nombre Representante Legal"),
    (
        "nacionalidad_representante_legal",
        "Nacionalidad Representante Legal",
    ),
    (
        "domicilio_representante_legal",
        "Domicilio Representante Legal",
    ),
    (
        "tipo_de_identificaci_n_representante_legal",
        "Tipo de Identificación Representante Legal",
    ),
    (
        "identificaci_n_representante_legal",
        "Identificación Representante Legal",
    ),
    ("g_nero_representante_legal", "Género Representante Legal"),
    (
        "presupuesto_general_de_la_nacion_pgn",
        "Presupuesto General de la Nacion – PGN",
    ),
    (
        "sistema_general_de_participaciones",
        "Sistema General de Participaciones",
    ),
    ("sistema_general_de_regal_as", "Sistema General de Regalías"),
    (
        "recursos_propios_alcald_as_gobernaciones_y_resguardos_ind_genas_",
        "Recursos Propios (Alcaldías, Gobernaciones y Resguardos Indígenas)",
    ),
    ("recursos_de_credito", "Recursos de Credito"),
    ("recursos_propios", "Recursos Propios"),
    ("ultima_actualizacion", "Ultima Actualizacion"),
    ("codigo_entidad", "Codigo Entidad"),
    ("codigo_proveedor", "Codigo Proveedor"),
    ("fecha_inicio_liquidacion", "Fecha Inicio Liquidacion"),
    ("fecha_fin_liquidacion", "Fecha Fin Liquidacion"),
    ("objeto_del_contrato", "Objeto del Contrato"),
    ("duraci_n_del_contrato", "Duración del contrato"),
    ("nombre_del_banco", "Nombre del banco"),
    ("tipo_de_cuenta", "Tipo de cuenta"),
    ("n_mero_de_cuenta", "Número de cuenta"),
    (
        "el_contrato_puede_ser_prorrogado",
        "El contrato puede ser prorrogado",
    ),
    (
        "fecha_de_notificaci_n_de_prorrogaci_n",
        "Fecha de notificación de prorrogación",
    ),
    ("nombre_ordenador_del_gasto", "Nombre ordenador del gasto"),
    (
        "tipo_de_documento_ordenador_del_gasto",
        "Tipo de documento Ordenador del gasto",
    ),
    (
        "n_mero_de_documento_ordenador_del_gasto",
        "Número de documento Ordenador del gasto",
    ),
    ("nombre_supervisor", "Nombre supervisor"),
    (
        "tipo_de_documento_supervisor",
        "Tipo de documento supervisor",
    ),
    (
        "n_mero_de_documento_supervisor",
        "Número de documento supervisor",
    ),
    ("nombre_ordenador_de_pago", "Nombre Ordenador de Pago"),
    (
        "tipo_de_documento_ordenador_de_pago",
        "Tipo de documento Ordenador de Pago",
    ),
    (
        "n_mero_de_documento_ordenador_de_pago",
        "Número de documento Ordenador de Pago",
    ),
    ("documentos_tipo", "Documentos Tipo"),
    ("descripcion_documentos_tipo", "Descripcion Documentos Tipo"),
    // Published by the API and the web export, missing from the metadata file.
    ("c_digo_bpin", "Código BPIN"),
    ("estado_bpin", "Estado BPIN"),
    ("anno_bpin", "Anno BPIN"),
    (
        "fecha_de_inicio_de_ejecucion",
        "Fecha de Inicio de Ejecucion",
    ),
    ("fecha_de_fin_de_ejecucion", "Fecha de Fin de Ejecucion"),
    ("anio", "Anno"),
];

impl Dataset for Secop2Contratos {
    fn id(&self) -> &'static str {
        "jbjy-vk9h"
    }
    fn source_name(&self) -> &'static str {
        "secop2-contratos"
    }
    fn title(&self) -> &'static str {
        "SECOP II - Contratos Electrónicos"
    }
    fn platform(&self) -> Platform {
        Platform::SecopII
    }
    fn columns(&self) -> &'static [(&'static str, &'static str)] {
        COLUMNS
    }
    fn signature(&self) -> &'static [&'static str] {
        &["id_contrato"]
    }
    fn date_column(&self) -> &'static str {
        "fecha_de_firma"
    }
    fn order_columns(&self) -> &'static [&'static str] {
        &["id_contrato"]
    }

    fn normalize(&self, row: &Row) -> Result<Fragment, RowError> {
        let c = Cells::new(row);
        let id = c.key("id_contrato")?;
        let bdos = c.raw("proceso_de_compra").filter(|b| b.starts_with("CO1."));
        let url_cell = row.get("urlproceso").and_then(extract_url);
        let ntc = url_cell.as_deref().and_then(|u| find_secop2_id(u, "NTC"));
        let signed = c.date_req("fecha_de_firma")?;
        let value = c.money_req("valor_del_contrato")?;

        let status_raw = c.text("estado_contrato");
        let mut status = status_raw.as_deref().map_or(Status::Unknown, vocab::status);
        if status == Status::Unknown && signed.is_some() {
            // "Aprobado" and similar: a signed contract.
            status = Status::Contracted;
        }
        let description = c.text("descripcion_del_proceso");
        let object = c
            .text("objeto_del_contrato")
            .filter(|o| Some(o) != description.as_ref());
        let contract = Contract {
            id: id.to_string(),
            reference: c.text("referencia_del_contrato").filter(|r| r != id),
            status,
            status_raw,
            supplier: c.party(
                "proveedor_adjudicado",
                "documento_proveedor",
                Some("tipodocproveedor"),
            ),
            value,
            signed_at: signed,
            start: c.date("fecha_de_inicio_del_contrato"),
            end: c.date("fecha_de_fin_del_contrato"),
            object,
            source: self.id().to_string(),
        };

        let (nit, nit_raw) = c.nit("nit_entidad");
        let (mut department, mut municipality) = c.places("departamento", "ciudad");
        if department.is_none()
            && let Some(loc) = c.raw("localizaci_n")
        {
            let (d, m) = Divipola::get().resolve_combined(loc);
            department = d.map(|d| crate::model::Place {
                code: Some(d.code.clone()),
                name: d.name.clone(),
                raw: None,
            });
            municipality = m.map(|m| crate::model::Place {
                code: Some(m.code.clone()),
                name: m.name.clone(),
                raw: None,
            });
        }
        let contract_type_raw = c.text("tipo_de_contrato");
        let mut ids = Vec::new();
        push_id(&mut ids, bdos);
        push_id(&mut ids, ntc.as_deref());
        push_id(&mut ids, Some(id));
        push_id(&mut ids, contract.reference.as_deref());
        let bpin = c
            .raw("c_digo_bpin")
            .filter(|b| b.chars().any(|c| c.is_ascii_digit()));
        push_id(&mut ids, bpin);

        let process = Process {
            platform: Some(Platform::SecopII),
            sources: vec![self.id().to_string()],
            process_id: bdos
                .map(str::to_string)
                .or_else(|| ntc.clone())
                .unwrap_or_default(),
            ids,
            title: String::new(),
            description,
            buyer: Buyer {
                name: crate::normalize::text::entity_name(
                    c.text("nombre_entidad").unwrap_or_default(),
                ),
                nit,
                nit_raw,
                code: c.code("codigo_entidad"),
                department,
                municipality,
                order: c.text("orden"),
                unit: None,
            },
            modality: c
                .raw("modalidad_de_contratacion")
                .map_or(Default::default(), vocab::modality),
            modality_raw: c.text("modalidad_de_contratacion"),
            contract_type: contract_type_raw
                .as_deref()
                .map_or(Default::default(), vocab::contract_type),
            contract_type_raw,
            unspsc: c
                .raw("codigo_de_categoria_principal")
                .and_then(normalize_unspsc)
                .into_iter()
                .collect(),
            last_update_at: c.date("ultima_actualizacion"),
            duration: c.text("duraci_n_del_contrato"),
            contracts: vec![contract],
            url: ntc.as_deref().map(secop2_notice_url),
            ..Process::default()
        };
        Ok(Fragment {
            dataset: self.id(),
            // A contract funded by several BPIN projects has one row per project.
            row_key: match bpin {
                Some(b) => format!("{}:{}:{}", self.id(), id, b),
                None => format!("{}:{}", self.id(), id),
            },
            strong_key: bdos.map(|b| format!("secop2:{b}")),
            link_ids: ntc.into_iter().collect(),
            role: Role::Contract,
            event_date: signed,
            process,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Modality;

    #[test]
    fn a_real_contract_row_from_the_api_csv() {
        // jbjy-vk9h as the corpus has it: no proceso_de_compra, URL as a Python dict.
        let row = Row::from_pairs([
            ("nombre_entidad", "CENAC AVIACION"),
            ("nit_entidad", "830039207"),
            ("codigo_entidad", "702359944"),
            ("orden", "Nacional"),
            ("id_contrato", "CO1.PCCNTR.2014577"),
            ("estado_contrato", "Cerrado"),
            (
                "modalidad_de_contratacion",
                "Selección Abreviada de Menor Cuantía",
            ),
            ("tipo_de_contrato", "Obra"),
            ("codigo_de_categoria_principal", "V1.71151316"),
            (
                "descripcion_del_proceso",
                "MANTENIMIENTO DE BIENES INMUEBLES DE LOS ALMACENES UH-60; MI-17; BELL; AVIONES; INSUMOS Y C.L.A.V.E.",
            ),
            ("fecha_de_firma", "2020-11-26 00:00:00"),
            ("tipodocproveedor", "NIT"),
            ("documento_proveedor", "900781282"),
            ("proveedor_adjudicado", "&NGECON S.A.S"),
            ("valor_del_contrato", "306611973"),
            (
                "urlproceso",
                "{'url': 'https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID=CO1.NTC.1543717&isFromPublicArea=True&isModal=true&asPopupView=true'}",
            ),
        ]);
        let f = Secop2Contratos.normalize(&row).unwrap();
        assert_eq!(f.strong_key, None);
        assert_eq!(f.link_ids, vec!["CO1.NTC.1543717"]);
        assert_eq!(f.provisional_key(), "secop2:CO1.NTC.1543717");
        let p = &f.process;
        assert_eq!(p.modality, Modality::SeleccionAbreviada);
        let k = &p.contracts[0];
        assert_eq!(k.id, "CO1.PCCNTR.2014577");
        assert_eq!(k.value, Some(306_611_973));
        assert_eq!(k.status, Status::Closed);
        assert_eq!(k.supplier.as_ref().unwrap().name, "&NGECON S.A.S");
        assert_eq!(p.unspsc, vec!["71151316"]);
    }

    #[test]
    fn a_web_export_row_with_commas() {
        let row = Row::from_pairs([
            ("nombre_entidad", "MUNICIPIO DE ABEJORRAL"),
            ("nit_entidad", "890,981,195"),
            ("codigo_entidad", "700,610,157"),
            ("departamento", "Antioquia"),
            ("ciudad", "Abejorral"),
            ("proceso_de_compra", "CO1.BDOS.7070466"),
            ("id_contrato", "CO1.PCCNTR.7060174"),
            ("referencia_del_contrato", "CO1.PCCNTR.7060174"),
            ("fecha_de_firma", "11/25/2024"),
            ("valor_del_contrato", "2500000"),
            (
                "urlproceso",
                "https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID=CO1.NTC.7085273&isFromPublicArea=True&isModal=true&asPopupView=true",
            ),
        ]);
        let f = Secop2Contratos.normalize(&row).unwrap();
        assert_eq!(f.strong_key.as_deref(), Some("secop2:CO1.BDOS.7070466"));
        let p = &f.process;
        assert_eq!(p.buyer.nit.as_deref(), Some("890981195"));
        // The web export's thousands commas, gone as in the API's own CSV.
        assert_eq!(p.buyer.code.as_deref(), Some("700610157"));
        assert_eq!(
            p.buyer.municipality.as_ref().unwrap().code.as_deref(),
            Some("05002")
        );
        assert_eq!(
            p.contracts[0].signed_at.unwrap().to_string(),
            "2024-11-25 00:00:00"
        );
        assert_eq!(p.contracts[0].reference, None);
    }
}
