//! `secop search QUERY`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{Table, format_cop};
use crate::index::SecopIndex;
use crate::query::{Engine, SearchParams};

/// Search both platforms: the same search the API serves.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words, "a phrase", -excluded, or any identifier; empty for everything.
    #[arg(default_value = "")]
    pub query: String,
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
    /// Only processes open for offers now.
    #[arg(long)]
    pub open: bool,
    /// Published on or after (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Published on or before (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Smallest value in pesos.
    #[arg(long)]
    pub min_value: Option<String>,
    /// Largest value in pesos.
    #[arg(long)]
    pub max_value: Option<String>,
    /// relevance, date, value or deadline, with _asc or _desc.
    #[arg(long)]
    pub sort: Option<String>,
    /// Number of hits.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Page number.
    #[arg(long)]
    pub page: Option<usize>,
    /// Print JSON (hits with full records, total, facets).
    #[arg(long)]
    pub json: bool,
}

impl Args {
    /// The parameters as the API takes them.
    pub fn params(&self) -> SearchParams {
        SearchParams {
            q: Some(self.query.clone()),
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
            open: self.open.then(|| "true".to_string()),
            from: self.from.clone(),
            to: self.to.clone(),
            min_value: self.min_value.clone(),
            max_value: self.max_value.clone(),
            sort: self.sort.clone(),
            per_page: Some(self.limit.to_string()),
            page: self.page.map(|p| p.to_string()),
            ..SearchParams::default()
        }
    }
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let search = a.params().validate()?;
    let engine = Engine::new(SecopIndex::open(dir)?);
    let res = engine.search(&search, a.json)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &res)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for w in &res.warnings {
        eprintln!("secop: {w}");
    }
    let mut t = Table::new(&[
        "platform",
        "id",
        "published",
        "entity",
        "title",
        "value",
        "status",
    ])
    .align_right(5);
    for h in &res.hits {
        let p = &h.process;
        t.row(vec![
            p.platform.map_or("?", |x| x.label()).to_string(),
            p.process_id.clone(),
            p.published_at
                .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
            p.buyer.name.clone(),
            p.title.clone(),
            p.value().map_or_else(String::new, format_cop),
            p.status.label().to_string(),
        ]);
    }
    t.write(&mut out, 48)?;
    writeln!(
        out,
        "{} of {} hits ({:.1} ms)",
        res.hits.len(),
        res.total,
        res.took_ms
    )?;
    Ok(ExitCode::SUCCESS)
}
