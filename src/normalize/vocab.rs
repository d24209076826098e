//! The two platforms' vocabularies mapped onto one: modality, status and contract type.

use super::text::fold;
use crate::model::{ContractType, Modality, Status};

/// Maps a published modality (`Selección Abreviada de Menor Cuantía`, SECOP I's
/// `CONTRATACIoN MiNIMA CUANTiA`, …) to the canonical one.
pub fn modality(raw: &str) -> Modality {
    let f = fold(raw);
    let has = |p: &str| f.contains(p);
    if f.trim().is_empty() {
        Modality::Unknown
    } else if has("subasta") && !has("enajenacion") {
        Modality::Subasta
    } else if has("enajenacion") {
        Modality::Enajenacion
    } else if has("minima cuantia") {
        Modality::MinimaCuantia
    } else if has("seleccion abreviada") {
        Modality::SeleccionAbreviada
    } else if has("licitacion") {
        Modality::Licitacion
    } else if has("concurso de meritos") || has("concurso meritos") {
        Modality::ConcursoMeritos
    } else if has("contratacion directa") {
        Modality::ContratacionDirecta
    } else if has("regimen especial") {
        Modality::RegimenEspecial
    } else if has("asociacion publico privada") || has("iniciativa privada") {
        Modality::AsociacionPublicoPrivada
    } else if super::is_placeholder(raw) {
        Modality::Unknown
    } else {
        Modality::Otra
    }
}

/// Maps a published process or contract status to the canonical one.
///
/// SECOP II: `Publicado`, `Evaluación`, `Seleccionado`, `Adjudicado`, `Cancelado`,
/// `Borrador`, …; SECOP I: `Convocado`, `Adjudicado`, `Celebrado`, `Liquidado`,
/// `Terminado Anormalmente después de Convocado`, `Declarado Desierto`, …; contracts:
/// `En ejecución`, `Modificado`, `terminado`, `Cerrado`, `cedido`, ….
pub fn status(raw: &str) -> Status {
    let f = fold(raw);
    let has = |p: &str| f.contains(p);
    if has("desierto") {
        Status::Void
    } else if has("cancelad") || has("anormalmente") || has("descartado") || has("revocad") {
        Status::Cancelled
    } else if has("liquidad") || has("terminado") || has("cerrado") || has("finalizado") {
        Status::Closed
    } else if has("celebrado")
        || has("ejecucion")
        || has("modificado")
        || has("cedido")
        || has("firmado")
        || has("activo")
    {
        Status::Contracted
    } else if has("adjudicado") || has("seleccionado") {
        Status::Awarded
    } else if has("evaluacion") {
        Status::Evaluation
    } else if has("publicado")
        || has("convocado")
        || has("abierto")
        || has("manifestacion de interes")
        || has("presentacion de oferta")
        || has("fase de ofertas")
        || has("proceso de ofertas")
    {
        Status::Open
    } else {
        Status::Unknown
    }
}

/// Maps a published contract type to the canonical one.
pub fn contract_type(raw: &str) -> ContractType {
    let f = fold(raw);
    let has = |p: &str| f.contains(p);
    if f.trim().is_empty() || super::is_placeholder(raw) {
        ContractType::Unknown
    } else if has("interventoria") {
        ContractType::Interventoria
    } else if has("consultoria") {
        ContractType::Consultoria
    } else if has("obra") {
        ContractType::Obra
    } else if has("prestacion de servicios") || f == "servicios" {
        ContractType::PrestacionServicios
    } else if has("suministro") {
        ContractType::Suministro
    } else if has("compraventa") || has("venta") || has("acuerdo marco") {
        ContractType::Compraventa
    } else if has("arrendamiento") {
        ContractType::Arrendamiento
    } else if has("seguro") {
        ContractType::Seguros
    } else if has("financier") || has("fiducia") || has("fiduciario") || has("credito") {
        ContractType::Financiero
    } else if has("concesion") || has("asociacion publico privada") {
        ContractType::Concesion
    } else if has("convenio") || has("decreto 092") || has("comodato") {
        ContractType::Convenio
    } else {
        ContractType::Otro
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modalities_of_both_platforms() {
        // SECOP II, as in p6dx-8zbt and jbjy-vk9h.
        for (raw, m) in [
            (
                "Selección Abreviada de Menor Cuantía",
                Modality::SeleccionAbreviada,
            ),
            (
                "Seleccion Abreviada Menor Cuantia Sin Manifestacion Interes",
                Modality::SeleccionAbreviada,
            ),
            ("Mínima cuantía", Modality::MinimaCuantia),
            ("Selección abreviada subasta inversa", Modality::Subasta),
            (
                "Contratación régimen especial (con ofertas)",
                Modality::RegimenEspecial,
            ),
            (
                "Contratación Directa (con ofertas)",
                Modality::ContratacionDirecta,
            ),
            ("Licitación pública Obra Publica", Modality::Licitacion),
            (
                "Licitación Pública Acuerdo Marco de Precios",
                Modality::Licitacion,
            ),
            ("Concurso de méritos abierto", Modality::ConcursoMeritos),
            ("Enajenación de bienes con subasta", Modality::Enajenacion),
            // SECOP I, accents lost.
            ("CONTRATACIoN MiNIMA CUANTiA", Modality::MinimaCuantia),
            ("ReGIMEN ESPECIAL", Modality::RegimenEspecial),
            (
                "CONTRATACIoN DIRECTA (LEY 1150 DE 2007)",
                Modality::ContratacionDirecta,
            ),
            (
                "SELECCIoN ABREVIADA DE MENOR CUANTiA (LEY 1150 DE 2007)",
                Modality::SeleccionAbreviada,
            ),
            ("SUBASTA", Modality::Subasta),
            ("CONCURSO DE MeRITOS ABIERTO", Modality::ConcursoMeritos),
            ("LICITACIoN OBRA PuBLICA", Modality::Licitacion),
            (
                "ASOCIACIoN PuBLICO PRIVADA",
                Modality::AsociacionPublicoPrivada,
            ),
            (
                "CONTRATOS Y CONVENIOS CON MaS DE DOS PARTES",
                Modality::Otra,
            ),
            ("No Definido", Modality::Unknown),
        ] {
            assert_eq!(modality(raw), m, "{raw}");
        }
    }

    #[test]
    fn statuses_of_both_platforms() {
        for (raw, s) in [
            ("Publicado", Status::Open),
            ("Evaluación", Status::Evaluation),
            ("Seleccionado", Status::Awarded),
            ("Adjudicado", Status::Awarded),
            ("Cancelado", Status::Cancelled),
            ("Borrador", Status::Unknown),
            ("Convocado", Status::Open),
            ("Celebrado", Status::Contracted),
            ("Liquidado", Status::Closed),
            (
                "Terminado Anormalmente después de Convocado",
                Status::Cancelled,
            ),
            ("Declarado Desierto", Status::Void),
            ("En ejecución", Status::Contracted),
            ("Modificado", Status::Contracted),
            ("terminado", Status::Closed),
            ("cedido", Status::Contracted),
        ] {
            assert_eq!(status(raw), s, "{raw}");
        }
    }

    #[test]
    fn contract_types() {
        for (raw, t) in [
            ("Prestación de servicios", ContractType::PrestacionServicios),
            ("PRESTACIoN DE SERVICIOS", ContractType::PrestacionServicios),
            ("Obra", ContractType::Obra),
            ("Suministros", ContractType::Suministro),
            ("INTERVENTORiA", ContractType::Interventoria),
            ("Decreto 092 de 2017", ContractType::Convenio),
            ("OTRO TIPO DE CONTRATO", ContractType::Otro),
            ("No Especificado", ContractType::Unknown),
        ] {
            assert_eq!(contract_type(raw), t, "{raw}");
        }
    }
}
