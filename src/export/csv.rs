//! CSV: UTF-8 with a byte-order mark (so spreadsheets read the accents), one line per
//! process, Spanish column names, values as plain integers, dates as ISO 8601 in Bogotá
//! time. Text cells that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab,
//! carriage return at the start) get a leading `'`. A process known only from its
//! contracts has no publication date; its first signature is in "Fecha de firma".

use std::io::Write;

use crate::Result;
use crate::display::iso;
use crate::model::Process;
use crate::normalize::text::restore_lost_capitals;

/// The byte-order mark written first.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The column names, in order.
pub const COLUMNS: &[&str] = &[
    "Plataforma",
    "Clave",
    "ID del proceso",
    "Referencia",
    "Título",
    "Descripción",
    "Entidad",
    "NIT de la entidad",
    "Departamento",
    "Municipio",
    "Modalidad",
    "Modalidad publicada",
    "Estado",
    "Estado publicado",
    "Tipo de contrato",
    "Códigos UNSPSC",
    "Valor estimado (COP)",
    "Valor adjudicado (COP)",
    "Moneda",
    "Fecha de publicación",
    "Fecha de firma",
    "Cierre de ofertas",
    "Última actualización",
    "Proveedores",
    "Documentos de proveedores",
    "Valor por proveedor (COP)",
    "Contratos",
    "Enlace",
    "Solo contratos",
    "Fuentes",
];

/// A CSV writer over `out`, with the BOM and the header row already written.
pub fn writer<W: Write>(mut out: W) -> Result<::csv::Writer<W>> {
    out.write_all(BOM)?;
    let mut w = ::csv::WriterBuilder::new()
        .buffer_capacity(64 * 1024)
        .from_writer(out);
    w.write_record(COLUMNS).map_err(csv_error)?;
    Ok(w)
}

/// A CSV error as the library's error, keeping I/O errors (a closed pipe) as they are.
pub fn csv_error(e: ::csv::Error) -> crate::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => crate::Error::Io(io),
        other => crate::Error::Other(format!("csv: {other:?}")),
    }
}

/// A text cell a spreadsheet will not run: a leading `'` before `=`, `+`, `-`, `@`, tab
/// or carriage return.
pub fn safe_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Writes one process as a row.
pub fn write_row<W: Write>(w: &mut ::csv::Writer<W>, p: &Process) -> Result<()> {
    let text = |s: &str| safe_cell(s);
    let opt = |s: Option<&str>| s.map(safe_cell).unwrap_or_default();
    let num = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let date = |t: Option<chrono::NaiveDateTime>| t.map(iso).unwrap_or_default();
    let mut supplier_ids: Vec<&str> = Vec::new();
    for party in p
        .awards
        .iter()
        .filter_map(|a| a.supplier.as_ref())
        .chain(p.contracts.iter().filter_map(|c| c.supplier.as_ref()))
    {
        if let Some(id) = party.id.as_deref()
            && !supplier_ids.contains(&id)
        {
            supplier_ids.push(id);
        }
    }
    let contracts: Vec<&str> = p.contracts.iter().map(|c| c.id.as_str()).collect();
    // What each supplier won here (`NAME: VALUE | …`), once the process has an awarded total.
    let won = match p.awarded_value() {
        Some(_) => crate::index::document::supplier_shares(p)
            .iter()
            .map(|s| format!("{}: {}", s.party.name, s.value))
            .collect::<Vec<_>>()
            .join(" | "),
        None => String::new(),
    };
    let row: [String; 30] = [
        p.platform.map_or("", |x| x.label()).to_string(),
        text(&p.key),
        text(&p.process_id),
        opt(p.reference.as_deref()),
        text(&p.title),
        opt(p.description.as_deref()),
        text(&p.buyer.name),
        p.buyer.nit.clone().unwrap_or_default(),
        opt(p.buyer.department.as_ref().map(|d| d.name.as_str())),
        opt(p.buyer.municipality.as_ref().map(|d| d.name.as_str())),
        p.modality.label().to_string(),
        // As the web page shows them: SECOP I's published labels with the accented
        // capitals its live data lost put back (`CONTRATACIÓN DIRECTA`, not
        // `CONTRATACIoN DIRECTA`); the NDJSON record keeps them as published.
        opt(p.modality_raw.clone().map(restore_lost_capitals).as_deref()),
        p.status.label().to_string(),
        opt(p.status_raw.clone().map(restore_lost_capitals).as_deref()),
        p.contract_type.label().to_string(),
        p.unspsc.join(" "),
        num(p.estimated_value),
        num(p.awarded_value()),
        text(p.currency.as_deref().unwrap_or("COP")),
        date(p.published_at),
        date(p.first_signed_at()),
        date(p.offers_due_at),
        date(p.last_update_at),
        text(&p.supplier_names().join(" | ")),
        text(&supplier_ids.join(" | ")),
        text(&won),
        text(&contracts.join(" | ")),
        text(&p.link()),
        if p.partial { "sí" } else { "no" }.to_string(),
        p.sources.join(" "),
    ];
    w.write_record(&row).map_err(csv_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+57"), "'+57");
        assert_eq!(safe_cell("-1"), "'-1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Obra civil"), "Obra civil");
        assert_eq!(safe_cell(""), "");
    }

    #[test]
    fn a_row_per_process_with_bom() {
        let p = Process {
            key: "secop1:1".into(),
            title: "=cmd|' /C calc'!A0".into(),
            description: Some("línea 1\nlínea \"2\", fin".into()),
            estimated_value: Some(1_234_567),
            ..Process::default()
        };
        let mut w = writer(Vec::new()).unwrap();
        write_row(&mut w, &p).unwrap();
        let bytes = w.into_inner().unwrap();
        assert!(bytes.starts_with(BOM));
        let mut r = ::csv::Reader::from_reader(&bytes[BOM.len()..]);
        assert_eq!(r.headers().unwrap().len(), COLUMNS.len());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(&rec[4], "'=cmd|' /C calc'!A0");
        assert_eq!(&rec[5], "línea 1\nlínea \"2\", fin");
        assert_eq!(&rec[16], "1234567");
    }
}
