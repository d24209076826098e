//! The search filters shared by `secop search` and `secop export`: the same names and
//! meanings as the API's parameters.

use crate::query::SearchParams;

/// Filters of a search.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// secop1 or secop2.
    #[arg(long)]
    pub platform: Option<String>,
    /// The buyer's NIT.
    #[arg(long)]
    pub nit: Option<String>,
    /// Words of the buyer's name.
    #[arg(long)]
    pub entity: Option<String>,
    /// Department: DIVIPOLA code or name.
    #[arg(long)]
    pub department: Option<String>,
    /// Municipality: DIVIPOLA code or name.
    #[arg(long)]
    pub municipality: Option<String>,
    /// Modality: licitacion, seleccion_abreviada, subasta, concurso_meritos, minima_cuantia,
    /// contratacion_directa, regimen_especial, …
    #[arg(long)]
    pub modality: Option<String>,
    /// Status: open, evaluation, awarded, contracted, closed, cancelled, void, unknown.
    #[arg(long)]
    pub status: Option<String>,
    /// Contract type: obra, prestacion_servicios, suministro, …
    #[arg(long)]
    pub contract_type: Option<String>,
    /// UNSPSC code prefix (2, 4, 6 or 8 digits).
    #[arg(long)]
    pub unspsc: Option<String>,
    /// A supplier's NIT or words of its name.
    #[arg(long)]
    pub supplier: Option<String>,
    /// Source dataset id (p6dx-8zbt, jbjy-vk9h, f789-7hwg, qddk-cgux).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Only processes open for offers now.
    #[arg(long)]
    pub open: bool,
    /// Published on or after (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Published on or before (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Offers due on or after (YYYY-MM-DD).
    #[arg(long)]
    pub due_from: Option<String>,
    /// Offers due on or before (YYYY-MM-DD).
    #[arg(long)]
    pub due_to: Option<String>,
    /// Smallest value in pesos.
    #[arg(long)]
    pub min_value: Option<String>,
    /// Largest value in pesos.
    #[arg(long)]
    pub max_value: Option<String>,
}

impl FilterArgs {
    /// The parameters as the API takes them, with the query text.
    pub fn params(&self, query: &str) -> SearchParams {
        SearchParams {
            q: Some(query.to_string()),
            platform: self.platform.clone(),
            nit: self.nit.clone(),
            entity: self.entity.clone(),
            department: self.department.clone(),
            municipality: self.municipality.clone(),
            modality: self.modality.clone(),
            status: self.status.clone(),
            contract_type: self.contract_type.clone(),
            unspsc: self.unspsc.clone(),
            supplier: self.supplier.clone(),
            dataset: self.dataset.clone(),
            open: self.open.then(|| "true".to_string()),
            from: self.from.clone(),
            to: self.to.clone(),
            due_from: self.due_from.clone(),
            due_to: self.due_to.clone(),
            min_value: self.min_value.clone(),
            max_value: self.max_value.clone(),
            ..SearchParams::default()
        }
    }
}

/// A search's validation error in the command line's own words: the API names it uses
/// (`per_page`, `min_value`) become the flags a person typed (`--limit`, `--min-value`).
pub fn in_flags(e: crate::Error) -> anyhow::Error {
    match e {
        crate::Error::BadRequest(m) => {
            let mut t = m.to_string();
            for (api, flag) in [
                ("per_page", "--limit"),
                ("min_value", "--min-value"),
                ("max_value", "--max-value"),
                ("due_from", "--due-from"),
                ("due_to", "--due-to"),
                ("contract_type", "--contract-type"),
            ] {
                t = t.replace(api, flag);
            }
            anyhow::anyhow!(t)
        }
        e => e.into(),
    }
}
