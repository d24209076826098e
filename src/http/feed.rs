//! `GET /api/feed.atom`: a saved search as an Atom 1.0 feed of its newest matches, so a
//! provider can follow "my UNSPSC codes in my department" in any feed reader.
//!
//! Entry ids are `tag:` URIs built from the process key, so they never change; `updated` is
//! the record's last update (else its publication); each entry links to the original
//! platform (`alternate`) and to the process page here (`related`). Text is plain text,
//! XML-escaped by the writer, with control characters XML forbids removed.

use atom_syndication::{Category, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};
use axum::extract::State;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::api::params_from;
use super::error::{ApiError, ErrorBody};
use super::web::{describe, process_path};
use crate::display::{format_cop, format_datetime, format_int};
use crate::model::Process;
use crate::normalize::date::to_instant;
use crate::normalize::unspsc::Unspsc;
use crate::query::{Sort, SortBy};

/// Entries in a feed unless `per_page` asks for another number (at most 100).
pub const FEED_ENTRIES: usize = 50;

/// The tagging authority of entry ids.
pub const TAG_AUTHORITY: &str = "tag:secop-bridge.github.io,2026:";

/// The permanent id of a process's entry.
pub fn entry_id(key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._~:@!$&'()*+,;=/".contains(c) {
                c.to_string()
            } else {
                let mut b = [0u8; 4];
                c.encode_utf8(&mut b)
                    .bytes()
                    .map(|x| format!("%{x:02X}"))
                    .collect()
            }
        })
        .collect();
    format!("{TAG_AUTHORITY}{safe}")
}

/// Text without the control characters XML 1.0 forbids.
pub fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .collect()
}

fn when(p: &Process) -> Option<FixedDateTime> {
    p.last_update_at
        .or_else(|| crate::index::document::placed_at(p))
        .map(to_instant)
}

/// The plain-text summary of a process.
fn summary(p: &Process) -> String {
    let mut lines = vec![format!("Entidad: {}", p.buyer.name)];
    if let Some(d) = &p.buyer.department {
        let place = match &p.buyer.municipality {
            Some(m) => format!("{} ({})", m.name, d.name),
            None => d.name.clone(),
        };
        lines.push(format!("Lugar: {place}"));
    }
    if let Some(v) = p.value() {
        lines.push(format!("Valor: {}", format_cop(v)));
    }
    // As the web page says beside the status: platforms often leave a process "open"
    // after its deadline.
    let late = if crate::index::document::deadline_passed(p, chrono::Utc::now()) {
        " (cierre vencido)"
    } else {
        ""
    };
    lines.push(format!(
        "Modalidad: {} · Estado: {}{late}",
        p.modality.label(),
        p.status.label()
    ));
    if let Some(t) = p.published_at {
        lines.push(format!("Publicado: {}", format_datetime(t)));
    }
    if let Some(t) = p.offers_due_at {
        lines.push(format!("Cierre de ofertas: {}", format_datetime(t)));
    }
    if let Some(d) = &p.description {
        lines.push(String::new());
        lines.push(d.chars().take(1000).collect());
    }
    xml_text(&lines.join("\n"))
}

fn entry(p: &Process, base: &str) -> Entry {
    let platform = p.platform.map_or("SECOP", |x| x.label());
    let mut e = Entry {
        title: Text::plain(xml_text(&format!("[{platform}] {}", p.title))),
        id: entry_id(&p.key),
        updated: when(p).unwrap_or_default(),
        published: p.published_at.map(to_instant),
        summary: Some(Text::plain(summary(p))),
        ..Entry::default()
    };
    e.links.push(Link {
        href: super::web::platform_link(p),
        rel: "alternate".into(),
        mime_type: Some("text/html".into()),
        title: Some(format!("El proceso en {platform}")),
        ..Link::default()
    });
    e.links.push(Link {
        href: format!("{base}{}", process_path(&p.key)),
        rel: "related".into(),
        mime_type: Some("text/html".into()),
        title: Some("Ficha en secop-bridge".into()),
        ..Link::default()
    });
    if !p.buyer.name.trim().is_empty() {
        e.authors.push(Person {
            name: xml_text(&p.buyer.name),
            ..Person::default()
        });
    }
    e.categories.push(Category {
        term: p.platform.map_or("secop", |x| x.code()).into(),
        scheme: None,
        label: Some(platform.into()),
    });
    let u = Unspsc::get();
    for code in &p.unspsc {
        e.categories.push(Category {
            term: code.clone(),
            scheme: Some("https://www.unspsc.org".into()),
            label: {
                let c = u.category(code);
                c.product.or(c.class).or(c.family).map(|n| xml_text(&n))
            },
        });
    }
    e
}

/// The newest matches of a search as an Atom feed.
#[utoipa::path(
    get,
    path = "/api/feed.atom",
    params(crate::query::SearchParams),
    responses(
        (status = 200, description = "An Atom 1.0 feed of the newest matches (publication date, newest first; 50 entries unless per_page says otherwise). Subscribe to this URL in a feed reader. page, cursor and sort are refused with a 400.", content_type = "application/atom+xml"),
        (status = 400, description = "A parameter is wrong; the message says how to fix it", body = ErrorBody),
    )
)]
pub async fn feed(State(st): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let (params, _) = params_from(&uri)?;
    super::api::refuse(
        &params,
        &["page", "cursor", "sort"],
        (
            "a feed lists the newest matches first (per_page sets how many)",
            "un canal trae primero los procesos más recientes (per_page fija cuántos)",
        ),
    )?;
    // The feed's own URL names the search as given (without the defaults filled in).
    let qs = super::web::query_string(&params);
    let mut asked = params.clone();
    if asked
        .per_page
        .as_deref()
        .is_none_or(|x| x.trim().is_empty())
    {
        asked.per_page = Some(FEED_ENTRIES.to_string());
    }
    let mut search = asked.validate()?;
    search.sort = Sort {
        by: SortBy::Date,
        desc: true,
    };
    let res = st.with_engine(move |e| e.search(&search, false)).await?;
    let base = st.public_url();
    let q = if qs.is_empty() {
        String::new()
    } else {
        format!("?{qs}")
    };
    let self_url = format!("{base}/api/feed.atom{q}");
    let entries: Vec<Entry> = res.hits.iter().map(|h| entry(&h.process, &base)).collect();
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    let about = describe(&params);
    // Why a feed of stop words alone stays empty, for whoever reads its description.
    let warned: String = res
        .warnings
        .iter()
        .map(|w| format!(" Aviso: {}.", w.es()))
        .collect();
    let feed = Feed {
        // "SECOP I y II: SECOP I" read oddly for a feed of one platform.
        title: Text::plain(xml_text(&if params
            .platform
            .as_deref()
            .is_some_and(|v| !v.trim().is_empty())
        {
            format!("Procesos: {about}")
        } else {
            format!("SECOP I y II: {about}")
        })),
        id: self_url.clone(),
        updated,
        subtitle: Some(Text::plain(xml_text(&format!(
            "{} Fuente: datos abiertos de Colombia Compra Eficiente (CC BY-SA 4.0).",
            match res.total {
                0 => format!("Ningún proceso cumple por ahora: {about}.{warned}"),
                n => format!(
                    "Los {} procesos más recientes de {} que cumplen: {about}.{warned}",
                    entries.len(),
                    format_int(n)
                ),
            }
        )))),
        authors: vec![Person {
            name: "secop-bridge".into(),
            uri: Some(format!("{base}/")),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: "secop-bridge".into(),
            uri: Some("https://github.com/secop-bridge/secop-bridge".into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links: vec![
            Link {
                href: self_url,
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Link::default()
            },
            Link {
                href: format!("{base}/{q}"),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Link::default()
            },
        ],
        lang: Some("es-CO".into()),
        entries,
        ..Feed::default()
    };
    let xml = feed
        .write_to(Vec::new())
        .map_err(|e| crate::Error::Other(format!("atom: {e}")))?;
    let mut r = xml.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    #[test]
    fn an_open_process_past_its_deadline_says_so() {
        let due =
            |y| chrono::NaiveDate::from_ymd_opt(y, 3, 1).and_then(|d| d.and_hms_opt(17, 0, 0));
        let open = |y| Process {
            title: "MANTENIMIENTO DE LA MALLA VIAL".into(),
            status: Status::Open,
            offers_due_at: due(y),
            ..Default::default()
        };
        assert!(summary(&open(2020)).contains("Estado: Abierto (cierre vencido)"));
        assert!(summary(&open(2999)).contains("Estado: Abierto\n"));
        let awarded = Process {
            status: Status::Awarded,
            ..open(2020)
        };
        assert!(!summary(&awarded).contains("vencido"));
    }
}
