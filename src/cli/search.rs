//! `secop search QUERY`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::filters::FilterArgs;
use super::{Table, format_cop};
use crate::http::views::RelaxationView;
use crate::index::SecopIndex;
use crate::query::relax::{self, Without};
use crate::query::{Engine, SearchParams};

/// How the command line names a wider search: `without "hidraulico"`, `without "a" and
/// "b"`, `without --department`.
fn relaxation_flag(w: &Without) -> String {
    match w {
        Without::Words(w) => {
            let words: Vec<String> = w.iter().map(|w| format!("{w:?}")).collect();
            format!("without {}", words.join(" and "))
        }
        Without::Filter(f) => {
            let flags = match *f {
                "dates" => "--from/--to".to_string(),
                "due" => "--due-from/--due-to".to_string(),
                "value" => "--min-value/--max-value".to_string(),
                other => format!("--{}", other.replace('_', "-")),
            };
            format!("without {flags}")
        }
        Without::AllFilters => "without any filter".to_string(),
    }
}

/// Search both platforms: the same search the API serves.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words, "a phrase", -excluded, or any identifier; empty for everything.
    #[arg(default_value = "")]
    pub query: String,
    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
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
            sort: self.sort.clone(),
            per_page: Some(self.limit.to_string()),
            page: self.page.map(|p| p.to_string()),
            ..self.filters.params(&self.query)
        }
    }
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let params = a.params();
    let search = params.validate().map_err(super::filters::in_flags)?;
    let engine = Engine::new(SecopIndex::open(dir)?);
    let (res, wider) = relax::search_or_widen(&engine, &search, &params, a.json)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let mut v = serde_json::to_value(&res)?;
        if !wider.is_empty()
            && let Some(m) = v.as_object_mut()
        {
            let views: Vec<RelaxationView> = wider.iter().map(RelaxationView::from).collect();
            m.insert("relaxations".into(), serde_json::to_value(views)?);
        }
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for w in &res.warnings {
        eprintln!("secop: {w}");
    }
    if let Some(sug) = &res.suggestion {
        eprintln!("secop: nothing matched; did you mean {sug:?}?");
    }
    for r in &wider {
        eprintln!(
            "secop: {}: {} {}",
            relaxation_flag(&r.without),
            super::output::int(r.total),
            if r.total == 1 { "process" } else { "processes" }
        );
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
    // An empty table would print a bare header above "0 of 0 hits".
    if !res.hits.is_empty() {
        t.write(&mut out, 48)?;
    }
    writeln!(
        out,
        "{} of {} hits ({:.1} ms)",
        res.hits.len(),
        super::output::int(res.total),
        res.took_ms
    )?;
    Ok(ExitCode::SUCCESS)
}
