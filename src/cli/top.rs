//! `secop top QUERY --by buyer|supplier`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::filters::FilterArgs;
use super::output::{count, int, shorten};
use super::{Table, format_cop};
use crate::index::SecopIndex;
use crate::query::Engine;
use crate::query::top::{DEFAULT_LIMIT, TopBy, TopOrder};

/// Widest cell of the table, in characters.
const NAME_WIDTH: usize = 60;

/// Who buys and who wins in a search: buyers or suppliers by value or number of processes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words, "a phrase", -excluded, or any identifier; empty for everything.
    #[arg(default_value = "")]
    pub query: String,
    /// buyer (the entities; value is the processes' value) or supplier (the awarded
    /// suppliers; value is what they won: their own awards or contracts, so that several
    /// winners of one process each have their part).
    #[arg(long, default_value = "buyer", value_parser = |s: &str| TopBy::parse(s).map_err(|e| e.to_string()))]
    pub by: TopBy,
    /// value (largest first) or count (most processes first).
    #[arg(long, default_value = "value", value_parser = |s: &str| TopOrder::parse(s).map_err(|e| e.to_string()))]
    pub order: TopOrder,
    /// Entries listed (1 to 100).
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Filters.
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let search = a
        .filters
        .params(&a.query)
        .validate()
        .map_err(super::filters::in_flags)?;
    let engine = Engine::new(SecopIndex::open(dir)?);
    let t = engine.top(&search, a.by, a.order, a.limit)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &t)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let who = a.by.as_str();
    let mut table = Table::new(&["", who, "id", "processes", "value", "share", "direct"])
        .align_right(0)
        .align_right(3)
        .align_right(4)
        .align_right(5)
        .align_right(6);
    for (i, e) in t.entries.iter().enumerate() {
        table.row(vec![
            (i + 1).to_string(),
            match e.names {
                // One NIT under several names: say so (the JSON lists them), cutting the
                // name rather than the note.
                Some(n) if n > 1 => {
                    let note = format!(" (+{})", count(n as usize - 1, "other name"));
                    format!("{}{note}", shorten(&e.name, NAME_WIDTH - note.len()))
                }
                _ => e.name.clone(),
            },
            e.id.clone().unwrap_or_default(),
            int(e.count),
            format_cop(e.value),
            format!(
                "{:.1} %",
                100.0
                    * match a.order {
                        TopOrder::Value => e.value_share,
                        TopOrder::Count => e.count_share,
                    }
            ),
            // Of its processes, those by direct contracting.
            if e.count == 0 {
                String::new()
            } else {
                format!("{:.1} %", 100.0 * e.direct_share())
            },
        ]);
    }
    table.write(&mut out, NAME_WIDTH)?;
    writeln!(
        out,
        "\n{} processes, {}; {} {who}s{}",
        int(t.total),
        format_cop(t.total_value),
        int(t.distinct),
        if t.without > 0 {
            format!(" ({} processes without one)", int(t.without))
        } else {
            String::new()
        }
    )?;
    // One NIT seated in several municipalities: a national entity's offices, or two
    // entities under one NIT (a NIT mistyped on SECOP I).
    for e in t.entries.iter().filter(|e| e.municipalities.is_some()) {
        let n = e.municipalities.unwrap_or(0);
        let mut listed: Vec<String> = e
            .seats
            .iter()
            .map(|s| format!("{} {}", s.name, int(s.count)))
            .collect();
        if n > e.seats.len() as u64 {
            listed.push("…".into());
        }
        writeln!(
            out,
            "{} is seated in {n} municipalities: {}",
            e.id.as_deref().unwrap_or(&e.key),
            listed.join("; ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
