//! The canonical record: one [`Process`] for both platforms, with its awards and contracts
//! nested inside it.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Which platform published a process.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    utoipa::ToSchema,
)]
pub enum Platform {
    /// SECOP I, contratos.gov.co: publication only.
    #[serde(rename = "secop1")]
    SecopI,
    /// SECOP II, community.secop.gov.co: the whole process online.
    #[serde(rename = "secop2")]
    SecopII,
}

impl Platform {
    /// The short code used in keys, filters and facets: `secop1` or `secop2`.
    pub fn code(self) -> &'static str {
        match self {
            Platform::SecopI => "secop1",
            Platform::SecopII => "secop2",
        }
    }

    /// The name people use: `SECOP I` or `SECOP II`.
    pub fn label(self) -> &'static str {
        match self {
            Platform::SecopI => "SECOP I",
            Platform::SecopII => "SECOP II",
        }
    }

    /// Reads `secop1`, `secop2`, `SECOP I`, `SECOP II`, `1`, `2`, `i`, `ii`.
    pub fn parse(s: &str) -> Option<Platform> {
        match crate::normalize::text::id_norm(s).as_str() {
            "secop1" | "secopi" | "1" | "i" => Some(Platform::SecopI),
            "secop2" | "secopii" | "2" | "ii" => Some(Platform::SecopII),
            _ => None,
        }
    }
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in filters, facets and JSON.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Spanish name shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Reads a code or a label, folded (`licitacion`, `Licitación pública`).
            pub fn from_code(s: &str) -> Option<$name> {
                let k = crate::normalize::text::id_norm(s);
                $name::ALL.iter().copied().find(|v| {
                    crate::normalize::text::id_norm(v.code()) == k
                        || crate::normalize::text::id_norm(v.label()) == k
                })
            }
        }
    };
}

vocabulary! {
    /// The selection method, in one vocabulary for both platforms.
    Modality {
        /// Licitación pública (including obra pública and acuerdo marco tenders).
        Licitacion = "licitacion", "Licitación pública";
        /// Selección abreviada (menor cuantía, servicios de salud, literal h, …).
        SeleccionAbreviada = "seleccion_abreviada", "Selección abreviada";
        /// Subasta inversa (a form of selección abreviada, listed apart on both platforms).
        Subasta = "subasta", "Subasta inversa";
        /// Concurso de méritos.
        ConcursoMeritos = "concurso_meritos", "Concurso de méritos";
        /// Mínima cuantía.
        MinimaCuantia = "minima_cuantia", "Mínima cuantía";
        /// Contratación directa.
        ContratacionDirecta = "contratacion_directa", "Contratación directa";
        /// Régimen especial.
        RegimenEspecial = "regimen_especial", "Régimen especial";
        /// Asociación público privada. In JSON too its code is `app`, as in filters and
        /// facets (records written before said `asociacion_publico_privada`).
        #[serde(rename = "app", alias = "asociacion_publico_privada")]
        AsociacionPublicoPrivada = "app", "Asociación público privada";
        /// Enajenación de bienes.
        Enajenacion = "enajenacion", "Enajenación de bienes";
        /// Anything else (contratos con más de dos partes, …).
        Otra = "otra", "Otra";
        /// Not published.
        #[default]
        Unknown = "unknown", "Sin dato";
    }
}

vocabulary! {
    /// Where a process stands, in one vocabulary for both platforms.
    Status {
        /// Published and receiving offers or expressions of interest.
        Open = "open", "Abierto";
        /// Offers closed, under evaluation.
        Evaluation = "evaluation", "En evaluación";
        /// Awarded, contract not yet signed.
        Awarded = "awarded", "Adjudicado";
        /// Contract signed (in execution or modified).
        Contracted = "contracted", "Contratado";
        /// Finished, liquidated or closed.
        Closed = "closed", "Cerrado";
        /// Cancelled or ended abnormally.
        Cancelled = "cancelled", "Cancelado";
        /// Declared void (desierto).
        Void = "void", "Desierto";
        /// Draft, suspended, or not published.
        #[default]
        Unknown = "unknown", "Sin dato";
    }
}

vocabulary! {
    /// The kind of contract.
    ContractType {
        /// Obra.
        Obra = "obra", "Obra";
        /// Prestación de servicios.
        PrestacionServicios = "prestacion_servicios", "Prestación de servicios";
        /// Suministro.
        Suministro = "suministro", "Suministro";
        /// Compraventa.
        Compraventa = "compraventa", "Compraventa";
        /// Consultoría.
        Consultoria = "consultoria", "Consultoría";
        /// Interventoría.
        Interventoria = "interventoria", "Interventoría";
        /// Arrendamiento.
        Arrendamiento = "arrendamiento", "Arrendamiento";
        /// Seguros.
        Seguros = "seguros", "Seguros";
        /// Servicios financieros, fiducia, crédito.
        Financiero = "financiero", "Servicios financieros";
        /// Concesión.
        Concesion = "concesion", "Concesión";
        /// Convenios and "Decreto 092 de 2017" agreements.
        Convenio = "convenio", "Convenio";
        /// Anything else.
        Otro = "otro", "Otro";
        /// Not published.
        #[default]
        Unknown = "unknown", "Sin dato";
    }
}

/// A DIVIPOLA place: its code and official name, with the text it was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Place {
    /// DIVIPOLA code: two digits for a department, five for a municipality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The official name (DANE), or the raw text when it could not be resolved.
    pub name: String,
    /// The text as published, when it differs from the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

/// The buying entity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Buyer {
    /// The entity's name as published.
    pub name: String,
    /// NIT: nine digits, no check digit, no dots or commas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nit: Option<String>,
    /// The NIT as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nit_raw: Option<String>,
    /// The platform's own code for the entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<Place>,
    /// Municipality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality: Option<Place>,
    /// Order: `Nacional`, `Territorial`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The buying unit inside the entity, when published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A supplier: a person or company.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Party {
    /// Name as published.
    pub name: String,
    /// Document number (NIT normalised like the buyer's, or a cédula).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Document kind: `NIT`, `Cédula de Ciudadanía`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_kind: Option<String>,
}

/// An award decision inside a process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Award {
    /// The award's identifier (`CO1.AWD.*` or SECOP I's numeric id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The winning supplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<Party>,
    /// Awarded value, whole COP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// When it was awarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDateTime>,
    /// The contract that followed, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
}

/// A signed contract inside a process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contract {
    /// `CO1.PCCNTR.*` on SECOP II, the contract number on SECOP I.
    pub id: String,
    /// The entity's own reference for the contract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Canonical status.
    #[serde(default)]
    pub status: Status,
    /// Status as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_raw: Option<String>,
    /// The contractor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<Party>,
    /// Value, whole COP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// Signature date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<NaiveDateTime>,
    /// Start of execution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDateTime>,
    /// End of execution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDateTime>,
    /// The contract's object, when it differs from the process description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The dataset it came from.
    pub source: String,
}

/// Competition figures SECOP II publishes for a process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Competition {
    /// Suppliers invited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited: Option<i64>,
    /// Suppliers that expressed interest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interested: Option<i64>,
    /// Responses received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<i64>,
    /// Distinct bidders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_bidders: Option<i64>,
    /// Page views.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views: Option<i64>,
}

impl Competition {
    /// True when no figure is known.
    pub fn is_empty(&self) -> bool {
        *self == Competition::default()
    }
}

/// One procurement process from either platform, with everything known about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Process {
    /// Unique, stable key: `secop2:CO1.BDOS.10558939` or `secop1:26-21-53372`.
    pub key: String,
    /// The platform that published it.
    pub platform: Option<Platform>,
    /// The dataset ids it was built from (`p6dx-8zbt`, `jbjy-vk9h`, …).
    pub sources: Vec<String>,
    /// True when only contracts are known and the process itself was never seen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The platform's process identifier: `CO1.BDOS.*` or the SECOP I constancia.
    pub process_id: String,
    /// Every identifier that finds this process.
    pub ids: Vec<String>,
    /// The entity's own reference, phase suffix stripped (`SAMC-002-2026`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The reference as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_raw: Option<String>,
    /// Name of the process, phase suffix stripped.
    pub title: String,
    /// What is being bought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The buying entity.
    pub buyer: Buyer,
    /// Canonical modality.
    #[serde(default)]
    pub modality: Modality,
    /// Modality as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modality_raw: Option<String>,
    /// Canonical status.
    #[serde(default)]
    pub status: Status,
    /// Status as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_raw: Option<String>,
    /// SECOP II phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Canonical contract type.
    #[serde(default)]
    pub contract_type: ContractType,
    /// Contract type as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_type_raw: Option<String>,
    /// UNSPSC codes, eight digits, main code first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unspsc: Vec<String>,
    /// Estimated value (precio base, cuantía), whole COP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_value: Option<i64>,
    /// Currency, when not Colombian pesos.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Publication (SECOP II) or upload (SECOP I) time, Bogotá.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<NaiveDateTime>,
    /// Deadline for offers, Bogotá.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offers_due_at: Option<NaiveDateTime>,
    /// Last update the platform reports, Bogotá.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_at: Option<NaiveDateTime>,
    /// Planned duration, as published (`283 día(s)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Award decisions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<Award>,
    /// Signed contracts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<Contract>,
    /// Competition figures (SECOP II).
    #[serde(default, skip_serializing_if = "Competition::is_empty")]
    pub competition: Competition,
    /// Link to the process on its platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Fields read from the platform's public detail page (SECOP I), by label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub enrichment: Option<serde_json::Value>,
}

impl Process {
    /// The earliest signature among the contracts: the only date of a contract-only process.
    pub fn first_signed_at(&self) -> Option<NaiveDateTime> {
        self.contracts.iter().filter_map(|c| c.signed_at).min()
    }

    /// The total awarded or contracted value: contracts when known, else awards.
    pub fn awarded_value(&self) -> Option<i64> {
        let c: i64 = self.contracts.iter().filter_map(|c| c.value).sum();
        if c > 0 {
            return Some(c);
        }
        let a: i64 = self.awards.iter().filter_map(|a| a.value).sum();
        (a > 0).then_some(a)
    }

    /// The value people compare: the estimate, or the awarded value when no estimate was
    /// published.
    pub fn value(&self) -> Option<i64> {
        self.estimated_value.or_else(|| self.awarded_value())
    }

    /// The names of everyone awarded or contracted, without repeats.
    pub fn supplier_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        let awards = self.awards.iter().filter_map(|a| a.supplier.as_ref());
        let contracts = self.contracts.iter().filter_map(|c| c.supplier.as_ref());
        for p in awards.chain(contracts) {
            if !v.contains(&p.name.as_str()) {
                v.push(&p.name);
            }
        }
        v
    }

    /// Whether [`Process::link`] opens the process itself rather than the platform's
    /// public search (a SECOP II record without its notice URL: the CSV downloads have
    /// none, and SECOP II has no page by process id alone).
    pub fn links_to_itself(&self) -> bool {
        self.url.is_some() || self.platform == Some(Platform::SecopI)
    }

    /// A link people can always follow: the process page when known, else the platform's
    /// public search.
    pub fn link(&self) -> String {
        if let Some(u) = &self.url {
            return u.clone();
        }
        match self.platform {
            Some(Platform::SecopI) => format!(
                "https://www.contratos.gov.co/consultas/detalleProceso.do?numConstancia={}",
                self.process_id
            ),
            _ => "https://community.secop.gov.co/Public/Tendering/ContractNoticeManagement/Index"
                .to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON of every vocabulary is the code filters and facets take.
    #[test]
    fn json_says_the_codes_of_filters_and_facets() {
        fn check<T>(all: &[T], code: fn(&T) -> &'static str)
        where
            T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
        {
            for v in all {
                let json = serde_json::to_string(v).unwrap();
                assert_eq!(json, format!("\"{}\"", code(v)));
                assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v);
            }
        }
        check(Modality::ALL, |m| m.code());
        check(Status::ALL, |s| s.code());
        check(ContractType::ALL, |c| c.code());
        // Records stored before the code was the JSON still read.
        assert_eq!(
            serde_json::from_str::<Modality>("\"asociacion_publico_privada\"").unwrap(),
            Modality::AsociacionPublicoPrivada
        );
    }
}
