//! `secop transition`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{Table, format_cop};
use crate::index::SecopIndex;
use crate::query::Engine;
use crate::transition::{self, Tally, TransitionParams};

/// How far entities have moved from SECOP I to SECOP II, month by month.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One entity by NIT.
    #[arg(long)]
    pub nit: Option<String>,
    /// A department: DIVIPOLA code or name.
    #[arg(long)]
    pub department: Option<String>,
    /// A municipality: DIVIPOLA code or name.
    #[arg(long)]
    pub municipality: Option<String>,
    /// First month (YYYY-MM).
    #[arg(long)]
    pub from: Option<String>,
    /// Last month (YYYY-MM).
    #[arg(long)]
    pub to: Option<String>,
    /// Entities by share (lowest SECOP II share first), count, value or name.
    #[arg(long, default_value = "share")]
    pub sort: String,
    /// Entities listed.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Flag entities whose SECOP II share is below this.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn pct(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_string(), |v| format!("{:.0} %", v * 100.0))
}

fn tally(t: Option<Tally>) -> (String, String) {
    match t {
        Some(t) => (t.count.to_string(), format_cop(t.value)),
        None => ("sin datos".into(), String::new()),
    }
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let params = TransitionParams {
        nit: a.nit,
        department: a.department,
        municipality: a.municipality,
        from: a.from,
        to: a.to,
        sort: Some(a.sort),
        limit: Some(a.limit.to_string()),
        threshold: Some(a.threshold.to_string()),
        min_processes: None,
    };
    let req = params.validate()?;
    let engine = Engine::new(SecopIndex::open(dir)?);
    let t = transition::run(&engine, &req)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &t)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut m = Table::new(&[
        "month", "SECOP I", "value", "SECOP II", "value", "share II", "note",
    ]);
    for c in 1..=5 {
        m = m.align_right(c);
    }
    for row in t.months.iter().chain(std::iter::once(&t.totals)) {
        let (c1, v1) = tally(row.secop1);
        let (c2, v2) = tally(row.secop2);
        m.row(vec![
            row.month.clone(),
            c1,
            v1,
            c2,
            v2,
            pct(row.share_secop2),
            row.note.clone().unwrap_or_default(),
        ]);
    }
    m.write(&mut out, 60)?;
    writeln!(out)?;
    let mut e = Table::new(&["entity", "nit", "SECOP I", "SECOP II", "share II", ""])
        .align_right(2)
        .align_right(3)
        .align_right(4);
    for x in &t.entities {
        e.row(vec![
            x.name.clone(),
            x.nit.clone().unwrap_or_default(),
            x.secop1.count.to_string(),
            x.secop2.count.to_string(),
            // The share counts the months both platforms have data for: its basis, when
            // that is not every process shown.
            if x.share_basis == (x.secop1.count, x.secop2.count) {
                pct(x.share_secop2)
            } else {
                format!(
                    "{} ({} of {})",
                    pct(x.share_secop2),
                    x.share_basis.1,
                    x.share_basis.0 + x.share_basis.1
                )
            },
            if x.mostly_secop1 {
                "mostly SECOP I".into()
            } else {
                String::new()
            },
        ]);
    }
    e.write(&mut out, 50)?;
    writeln!(
        out,
        "{} of {} entities ({:.1} ms)",
        t.entities.len(),
        t.entity_count,
        t.took_ms
    )?;
    Ok(ExitCode::SUCCESS)
}
