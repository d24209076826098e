//! `secop duplicates [--nit NIT] [--min-score X] [--json]`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::format_cop;
use crate::dedup::{self, DuplicateOptions, DuplicatePair, PairKind, PairSide};
use crate::display::count;
use crate::index::SecopIndex;

/// Processes that look published on both platforms, or twice on one, with a score and
/// the reasons.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One entity: its NIT (any spelling: 890981195, 890.981.195-1), or its name as its
    /// processes write it (accents and case aside). Without it, every entity.
    #[arg(long)]
    pub nit: Option<String>,
    /// Smallest score to report, between 0 and 1.
    #[arg(long, default_value_t = dedup::DEFAULT_MIN_SCORE)]
    pub min_score: f64,
    /// Compare processes published at most this many days apart.
    #[arg(long, default_value_t = dedup::DEFAULT_WINDOW_DAYS)]
    pub window_days: u32,
    /// Only pairs with one process on each platform.
    #[arg(long)]
    pub cross_platform: bool,
    /// Show at most this many pairs, best first.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Worker threads (default: every core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Print JSON: the pairs with their evidence, and the run's counts.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let opts = DuplicateOptions {
        nit: a.nit.clone(),
        min_score: a.min_score,
        window_days: a.window_days,
        limit: a.limit,
        cross_platform_only: a.cross_platform,
        threads: a.threads,
    };
    opts.validate()?;
    let index = SecopIndex::open(dir)?;
    let scan = dedup::scan(&index, &opts)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &scan)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (n, p) in scan.pairs.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        write_pair(&mut out, p)?;
    }
    let s = &scan.stats;
    let entities: std::collections::BTreeSet<&str> =
        scan.pairs.iter().map(|p| p.entity.key.as_str()).collect();
    if !scan.pairs.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} en {} (score ≥ {}); {} y {} revisados, {}, {:.0} ms",
        count(scan.pairs.len() as u64, "par", "pares"),
        count(entities.len() as u64, "entidad", "entidades"),
        a.min_score,
        count(s.entities, "entidad", "entidades"),
        count(s.documents, "proceso", "procesos"),
        count(s.compared, "comparación", "comparaciones"),
        s.took_ms
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Cuts a text to one line of at most `max` characters.
fn line(s: &str, max: usize) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one.chars().count() > max {
        let mut t: String = one.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        one
    }
}

fn side_line(s: &PairSide) -> String {
    format!(
        "{:<8}  {:<20}  {:<22}  {:<10}  {:>18}  {}",
        s.platform_label,
        line(&s.process_id, 20),
        line(s.reference.as_deref().unwrap_or("-"), 22),
        s.published.as_deref().unwrap_or("-"),
        s.value.map_or_else(|| "-".to_string(), format_cop),
        line(&s.title, 70),
    )
}

fn write_pair(out: &mut impl Write, p: &DuplicatePair) -> std::io::Result<()> {
    let nit = p
        .entity
        .nit
        .as_deref()
        .map_or_else(String::new, |n| format!(" (NIT {n})"));
    let kind = if p.kind == PairKind::CrossPlatform {
        "en las dos plataformas"
    } else {
        "dos veces en la misma plataforma"
    };
    writeln!(
        out,
        "{:.2}  {}{nit} — {kind}",
        p.score,
        line(&p.entity.name, 80)
    )?;
    writeln!(out, "      {}", side_line(&p.a))?;
    writeln!(out, "      {}", side_line(&p.b))?;
    writeln!(out, "      {}", line(&p.explanation, 400))?;
    writeln!(out, "      {}", p.a.link)?;
    writeln!(out, "      {}", p.b.link)?;
    Ok(())
}
