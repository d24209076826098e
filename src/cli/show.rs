//! `secop show ID`

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use super::format_cop;
use crate::index::SecopIndex;
use crate::model::Process;
use crate::normalize::text::restore_lost_capitals;
use crate::normalize::unspsc::Unspsc;
use crate::query::Engine;

/// Show one process, found by any identifier.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Any identifier: CO1.BDOS.*, CO1.NTC.*, CO1.REQ.*, CO1.PCCNTR.*, a SECOP I constancia
    /// or uid, the entity's reference, or a key such as secop1:26-21-53372.
    pub id: String,
    /// Print the record as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(dir: &Path, a: Args) -> anyhow::Result<ExitCode> {
    let engine = Engine::new(SecopIndex::open(dir)?);
    let Some(found) = engine.find(&a.id)? else {
        bail!(
            "no process has the identifier {:?}; try `secop search {:?}`",
            a.id,
            a.id
        );
    };
    let (p, others) = (found.process, found.also);
    let total = found.total.saturating_sub(1);
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &p)?;
        writeln!(out)?;
    } else {
        print_process(&mut out, &p)?;
    }
    if !others.is_empty() {
        let shown = others.len().min(10);
        eprintln!(
            "{} share this identifier: {}{}",
            match total {
                1 => "1 other process".to_string(),
                n => format!("{n} other processes"),
            },
            others[..shown].join(", "),
            if total > shown as u64 {
                format!(", … (`secop search {:?}` lists them all)", a.id)
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn line(out: &mut impl Write, label: &str, v: Option<String>) -> std::io::Result<()> {
    if let Some(v) = v.filter(|v| !v.is_empty()) {
        writeln!(out, "{label:<16} {v}")?;
    }
    Ok(())
}

/// Prints a process for a person.
pub fn print_process(out: &mut impl Write, p: &Process) -> std::io::Result<()> {
    let date = |d: Option<chrono::NaiveDateTime>| d.map(|d| d.format("%Y-%m-%d %H:%M").to_string());
    writeln!(out, "{}", p.title)?;
    writeln!(
        out,
        "{} · {}{}",
        p.platform.map_or("?", |x| x.label()),
        p.process_id,
        if p.partial {
            " · partial (only contracts known)"
        } else {
            ""
        }
    )?;
    writeln!(out)?;
    line(out, "key", Some(p.key.clone()))?;
    line(out, "reference", p.reference.clone())?;
    line(
        out,
        "published ref.",
        p.reference_raw
            .clone()
            .filter(|r| Some(r) != p.reference.as_ref()),
    )?;
    line(out, "entity", Some(p.buyer.name.clone()))?;
    line(out, "nit", p.buyer.nit.clone())?;
    line(
        out,
        "place",
        Some(
            [&p.buyer.municipality, &p.buyer.department]
                .iter()
                .filter_map(|x| x.as_ref().map(|pl| pl.name.clone()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    )?;
    line(
        out,
        "modality",
        Some(with_raw(p.modality.label(), p.modality_raw.as_deref())),
    )?;
    line(
        out,
        "status",
        Some(with_raw(p.status.label(), p.status_raw.as_deref())),
    )?;
    line(out, "phase", p.phase.clone())?;
    line(
        out,
        "contract type",
        p.contract_type_raw.clone().map(restore_lost_capitals),
    )?;
    line(out, "value", p.estimated_value.map(format_cop))?;
    line(out, "published", date(p.published_at))?;
    line(out, "offers due", date(p.offers_due_at))?;
    line(out, "updated", date(p.last_update_at))?;
    line(out, "duration", p.duration.clone())?;
    let u = Unspsc::get();
    for code in &p.unspsc {
        let c = u.category(code);
        line(
            out,
            "unspsc",
            Some(format!(
                "{code} {}",
                c.product.or(c.class).unwrap_or_default()
            )),
        )?;
    }
    line(out, "sources", Some(p.sources.join(", ")))?;
    line(out, "identifiers", Some(p.ids.join(", ")))?;
    line(out, "link", Some(p.link()))?;
    if let Some(d) = &p.description {
        writeln!(out, "\n{d}")?;
    }
    for a in &p.awards {
        writeln!(
            out,
            "\naward {}: {} {} {}",
            a.id.clone().unwrap_or_default(),
            a.supplier
                .as_ref()
                .map_or(String::new(), |s| s.name.clone()),
            a.value.map(format_cop).unwrap_or_default(),
            date(a.date).unwrap_or_default()
        )?;
    }
    for c in &p.contracts {
        writeln!(
            out,
            "\ncontract {}: {} {} signed {} ({})",
            c.id,
            c.supplier
                .as_ref()
                .map_or(String::new(), |s| s.name.clone()),
            c.value.map(format_cop).unwrap_or_default(),
            date(c.signed_at).unwrap_or_default(),
            c.status.label()
        )?;
    }
    if let Some(serde_json::Value::Object(e)) = &p.enrichment {
        print_enrichment(out, e)?;
    }
    Ok(())
}

/// One enrichment value on one line: money the Colombian way, lists joined.
fn enrichment_value(key: &str, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::String(s) => match chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
            Ok(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            Err(_) => s
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        },
        Value::Number(n) => match n.as_i64() {
            Some(i) if key == "valor" || key.starts_with("Cuant") => format_cop(i),
            _ => n.to_string(),
        },
        Value::Array(a) => a
            .iter()
            .map(|x| enrichment_value(key, x))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| format!("{k}: {}", enrichment_value(k, x)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Bool(b) => if *b { "sí" } else { "no" }.to_string(),
        Value::Null => String::new(),
    }
}

/// The fields read from the platform's public detail page (`secop enrich`).
fn print_enrichment(
    out: &mut impl Write,
    e: &serde_json::Map<String, serde_json::Value>,
) -> std::io::Result<()> {
    writeln!(out, "\ndetail page (secop enrich):")?;
    for (k, v) in e {
        if k == "contratos" || k == "Cronograma" {
            continue;
        }
        writeln!(out, "  {k:<38} {}", enrichment_value(k, v))?;
    }
    if let Some(serde_json::Value::Object(c)) = e.get("Cronograma") {
        // The schedule's other dates (opening and closing are above).
        for (k, v) in c {
            if Some(v) != e.get("Apertura") && Some(v) != e.get("Cierre") {
                writeln!(out, "  {k:<38} {}", enrichment_value(k, v))?;
            }
        }
    }
    if let Some(serde_json::Value::Array(cs)) = e.get("contratos") {
        for c in cs {
            let get = |k: &str| c.get(k).map(|v| enrichment_value(k, v)).unwrap_or_default();
            writeln!(
                out,
                "  linked contract {}: {} {} {} signed {}",
                get("número"),
                get("contratista"),
                get("valor"),
                get("estado"),
                get("fecha de firma")
            )?;
        }
    }
    Ok(())
}

/// Our label, and the platform's own text in parentheses when there is one that differs
/// ([`crate::display::published_label`], as the web page shows it).
fn with_raw(label: &str, raw: Option<&str>) -> String {
    match crate::display::published_label(label, raw) {
        Some(r) => format!("{label} ({r})"),
        None => label.to_string(),
    }
}
