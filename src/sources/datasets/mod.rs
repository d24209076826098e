//! The datasets secop-bridge reads, one module each, and what their rows mean.
//!
//! A dataset knows its columns (API field name and the web UI's display name), the column
//! that keys its rows, the date a harvest pages on, and how to turn one row into a
//! [`Fragment`]: its share of a [`Process`]. Fragments of one process are merged by
//! [`crate::ingest::assemble()`].

mod cells;
pub mod secop1_detalle;
pub mod secop1_procesos;
pub mod secop2_contratos;
pub mod secop2_procesos;

use chrono::NaiveDateTime;

use super::row::Row;
use crate::model::{Platform, Process};
use crate::normalize::text::fold;

/// Every dataset secop-bridge knows. Registering a new one is one line here.
pub static ALL: &[&dyn Dataset] = &[
    &secop2_procesos::Secop2Procesos,
    &secop2_contratos::Secop2Contratos,
    &secop1_procesos::Secop1Procesos::RECENT,
    &secop1_procesos::Secop1Procesos::HISTORIC,
    &secop1_detalle::Secop1Detalle,
];

/// The datasets the harvester reads from the SODA API (all but pseudo-datasets such as
/// the SECOP I detail pages).
pub fn harvestable() -> Vec<&'static dyn Dataset> {
    ALL.iter().copied().filter(|d| d.soda()).collect()
}

/// Finds a dataset by its id (`p6dx-8zbt`) or its source name (`secop2-procesos`).
pub fn by_name(s: &str) -> Option<&'static dyn Dataset> {
    let s = s.trim();
    ALL.iter()
        .copied()
        .find(|d| d.id().eq_ignore_ascii_case(s) || d.source_name().eq_ignore_ascii_case(s))
}

/// What a row contributes to its process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A row of a process dataset: it describes the process itself.
    Process,
    /// A row of a contract dataset: it adds a contract, and describes the process only
    /// when no process row is known.
    Contract,
    /// Details read from elsewhere (a platform's public page) about a known process.
    Enrichment,
}

/// One row's share of a process.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The dataset id.
    pub dataset: &'static str,
    /// Unique key of the row within all datasets; a changed row keeps its key.
    pub row_key: String,
    /// The process key when the row names its process by the platform's process id
    /// (`secop2:CO1.BDOS.*`, `secop1:{constancia}`).
    pub strong_key: Option<String>,
    /// Other identifiers by which rows of other datasets may name the same process
    /// (`CO1.REQ.*`, `CO1.NTC.*`). Used to join rows that lack the process id.
    pub link_ids: Vec<String>,
    /// Process or contract row.
    pub role: Role,
    /// The row's view of the process: only what the row says is filled in, with at most
    /// one award and one contract.
    pub process: Process,
    /// The date a harvest pages on, when the row has it.
    pub event_date: Option<NaiveDateTime>,
}

impl Fragment {
    /// The key of the process before any join: the strong key, else a provisional key
    /// from the first link id.
    pub fn provisional_key(&self) -> String {
        match (&self.strong_key, self.link_ids.first()) {
            (Some(k), _) => k.clone(),
            (None, Some(id)) => format!(
                "{}:{}",
                self.process.platform.map_or("secop", Platform::code),
                id
            ),
            (None, None) => format!("row:{}", self.row_key),
        }
    }
}

/// Why a row cannot be used. The row is quarantined with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// The column that identifies the row is missing or empty.
    #[error("missing key: column {0} is empty")]
    MissingKey(&'static str),
    /// A required column holds text that is not a value of its kind.
    #[error("column {column}: {error}")]
    BadValue {
        /// The column.
        column: &'static str,
        /// What is wrong with its text.
        error: crate::normalize::ValueError,
    },
}

/// A dataset: its identity, its columns and its normaliser.
pub trait Dataset: Sync + Send {
    /// The Socrata id on datos.gov.co, e.g. `p6dx-8zbt`.
    fn id(&self) -> &'static str;
    /// The harvest source name, e.g. `secop2-procesos`.
    fn source_name(&self) -> &'static str;
    /// A description for people.
    fn title(&self) -> &'static str;
    /// The platform its rows belong to.
    fn platform(&self) -> Platform;
    /// Columns: (API field name, display name in the web UI export).
    fn columns(&self) -> &'static [(&'static str, &'static str)];
    /// Columns that identify this dataset when all are present (API names).
    fn signature(&self) -> &'static [&'static str];
    /// The column a harvest pages and keeps its watermark on (the event's own date).
    fn date_column(&self) -> &'static str;
    /// The columns that key a row, for a stable `$order`.
    fn order_columns(&self) -> &'static [&'static str];
    /// Turns one row into its share of a process.
    fn normalize(&self, row: &Row) -> Result<Fragment, RowError>;
    /// True when the dataset is served by datos.gov.co's SODA API and can be harvested.
    /// Pseudo-datasets read from elsewhere (`secop1-detalle`, the SECOP I detail pages
    /// that `secop enrich` fetches) say false, and a harvest must skip them.
    fn soda(&self) -> bool {
        true
    }
}

/// Socrata's field name for a display name: lower case, every other character an
/// underscore (`Descripción del Procedimiento` → `descripci_n_del_procedimiento`).
pub fn socrata_slug(display: &str) -> String {
    let mut out = String::with_capacity(display.len());
    for c in display.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Maps a column name as found in a file to the dataset's API name: an API name stays, a
/// display name (compared folded) maps through the dataset's table, anything else through
/// Socrata's slug rule, trying the longest API name the slug starts with (Socrata cuts long
/// names). Unknown columns keep their name so that nothing in the raw row is lost.
pub fn map_column(ds: &dyn Dataset, name: &str) -> String {
    let name = name.trim().trim_start_matches('\u{feff}');
    let cols = ds.columns();
    if cols.iter().any(|(api, _)| *api == name) {
        return name.to_string();
    }
    let f = fold(name);
    if let Some((api, _)) = cols.iter().find(|(_, disp)| fold(disp) == f) {
        return (*api).to_string();
    }
    let slug = socrata_slug(name);
    if cols.iter().any(|(api, _)| *api == slug) {
        return slug;
    }
    name.to_string()
}

/// Picks the dataset whose signature columns a file has, after mapping. `None` when no
/// dataset matches.
pub fn detect(columns: &[String]) -> Option<&'static dyn Dataset> {
    ALL.iter().copied().find(|ds| {
        let mapped: Vec<String> = columns.iter().map(|c| map_column(*ds, c)).collect();
        ds.signature().iter().all(|s| mapped.iter().any(|m| m == s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_socrata() {
        assert_eq!(
            socrata_slug("Descripción del Procedimiento"),
            "descripci_n_del_procedimiento"
        );
        assert_eq!(socrata_slug("Código BPIN"), "c_digo_bpin");
        assert_eq!(socrata_slug("Numero de Constancia"), "numero_de_constancia");
    }

    #[test]
    fn display_names_map_to_api_names() {
        let ds = by_name("jbjy-vk9h").unwrap();
        assert_eq!(map_column(ds, "Nombre Entidad"), "nombre_entidad");
        assert_eq!(map_column(ds, "ID Contrato"), "id_contrato");
        assert_eq!(map_column(ds, "URLProceso"), "urlproceso");
        assert_eq!(map_column(ds, "Código BPIN"), "c_digo_bpin");
        assert_eq!(map_column(ds, "exchange_rate"), "exchange_rate");
    }

    #[test]
    fn detection_by_columns() {
        let cols = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            detect(&cols(&["id_del_proceso", "id_del_portafolio", "entidad"]))
                .unwrap()
                .id(),
            "p6dx-8zbt"
        );
        assert_eq!(
            detect(&cols(&["", "Nombre Entidad", "ID Contrato", "URLProceso"]))
                .unwrap()
                .id(),
            "jbjy-vk9h"
        );
        assert_eq!(
            detect(&cols(&["numero_de_constancia", "nombre_entidad"]))
                .unwrap()
                .id(),
            "f789-7hwg"
        );
        assert!(detect(&cols(&["foo", "bar"])).is_none());
    }
}
