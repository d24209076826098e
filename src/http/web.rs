//! The web page: server-rendered HTML (maud, which escapes every interpolated string) over
//! the same search the API serves, in Spanish.
//!
//! Every page is a plain GET URL whose parameters are the API's search parameters, so a
//! search can be shared, bookmarked, exported (`/api/export?…`) or followed as a feed
//! (`/api/feed.atom?…`) as it is. The pages work without JavaScript; the one script
//! (`/assets/app.js`) only draws the monthly chart from `/api/monthly` with the vendored
//! uPlot. The Content-Security-Policy allows scripts, styles and requests from this origin
//! only, and no inline script.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use super::AppState;
use super::api::params_from;
use crate::display::{
    count, format_cop, format_date, format_datetime, format_int, published_label,
};
use crate::model::{ContractType, Modality, Party, Platform, Process, Status};
use crate::normalize::place::Divipola;
use crate::normalize::unspsc::Unspsc;
use crate::query::relax::{Relaxation, Without};
use crate::query::request::{MAX_OFFSET, Search, label_es, places};
use crate::query::{FacetValue, Facets, Hit, SearchParams, SearchResult, relax};

/// The policy sent with every page.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The sections in the navigation bar: (path, label). Later views (the SECOP I → II
/// transition tracker, "Transición", and processes published twice, "Duplicados") add
/// one line here and a route in [`routes`].
pub const NAV: &[(&str, &str)] = &[
    ("/", "Buscar"),
    ("/transicion", "Transición"),
    ("/quien", "Quién gana"),
    ("/duplicados", "Duplicados"),
];

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(search_page))
        .route("/transicion", get(super::transition_page::transition_page))
        .route("/duplicados", get(super::duplicates_page::duplicates_page))
        .route("/quien", get(super::top_page::top_page))
        .route("/procesos/{*id}", get(process_page))
        .route("/assets/{name}", get(asset))
        .route("/favicon.ico", get(favicon))
}

// ---------------------------------------------------------------------------------------
// Helpers shared with the feed.

/// The path of a process's page.
pub fn process_path(key: &str) -> String {
    format!("/procesos/{}", encode_path(key))
}

fn encode_path(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~:@!$'()*+,;=".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The query string of parameters (empty ones dropped).
pub fn query_string(p: &SearchParams) -> String {
    let mut p = p.clone();
    for f in [
        &mut p.q,
        &mut p.platform,
        &mut p.nit,
        &mut p.entity,
        &mut p.department,
        &mut p.municipality,
        &mut p.modality,
        &mut p.status,
        &mut p.contract_type,
        &mut p.unspsc,
        &mut p.supplier,
        &mut p.dataset,
        &mut p.from,
        &mut p.to,
        &mut p.due_from,
        &mut p.due_to,
        &mut p.open,
        &mut p.min_value,
        &mut p.max_value,
        &mut p.sort,
        &mut p.page,
        &mut p.per_page,
        &mut p.cursor,
    ] {
        if f.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *f = None;
        }
    }
    serde_urlencoded::to_string(&p).unwrap_or_default()
}

/// A short Spanish description of a search, for titles: `«vigilancia» · Valle del Cauca`.
pub fn describe(p: &SearchParams) -> String {
    let mut parts: Vec<String> = Vec::new();
    fn set(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|x| !x.is_empty())
    }
    if let Some(q) = set(&p.q) {
        parts.push(format!("«{q}»"));
    }
    if let Some(v) = set(&p.platform) {
        let names: Vec<&str> = v
            .split(',')
            .map(|x| Platform::parse(x).map_or(x, |p| p.label()))
            .collect();
        parts.push(names.join(" y "));
    }
    if let Some(v) = set(&p.department) {
        let d = Divipola::get();
        // A name the search does not know is shown as typed (the search says why).
        let names = places(v, |x| d.find_department(x).map(|d| d.name.clone()))
            .unwrap_or_else(|_| vec![v.to_string()]);
        parts.push(names.join(", "));
    }
    if let Some(v) = set(&p.municipality) {
        parts.push(format!("municipio {v}"));
    }
    if let Some(v) = set(&p.unspsc) {
        parts.push(format!("UNSPSC {v}"));
    }
    let label_of = |v: &str, f: &dyn Fn(&str) -> Option<&'static str>| -> String {
        v.split(',')
            .map(|x| f(x).unwrap_or(x).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(v) = set(&p.modality) {
        parts.push(label_of(v, &|x| Modality::from_code(x).map(|m| m.label())));
    }
    if let Some(v) = set(&p.status) {
        parts.push(label_of(v, &|x| Status::from_code(x).map(|m| m.label())));
    }
    if let Some(v) = set(&p.contract_type) {
        parts.push(label_of(v, &|x| {
            ContractType::from_code(x).map(|m| m.label())
        }));
    }
    if let Some(v) = set(&p.entity) {
        parts.push(format!("entidad «{v}»"));
    }
    if let Some(v) = set(&p.nit) {
        parts.push(format!("NIT {v}"));
    }
    if let Some(v) = set(&p.supplier) {
        parts.push(format!("proveedor «{v}»"));
    }
    if set(&p.open).is_some_and(|x| !matches!(x, "false" | "0" | "no")) {
        parts.push("abiertos a ofertas".into());
    }
    if let Some(v) = set(&p.dataset) {
        let names: Vec<&str> = v
            .split(',')
            .map(|x| crate::sources::datasets::by_name(x).map_or(x, |d| d.title()))
            .collect();
        parts.push(format!("datos de {}", names.join(" y ")));
    }
    // Pesos and dates as the page writes them; a value the search refuses stays as typed.
    let pesos = |v: &str| {
        v.replace(['_', ' '], "")
            .parse::<i64>()
            .map_or(v.to_string(), crate::display::format_cop)
    };
    let day = |v: &str| {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_or(v.to_string(), |d| d.format("%d/%m/%Y").to_string())
    };
    let range =
        |low: Option<&str>, high: Option<&str>, what: &str, f: &dyn Fn(&str) -> String| match (
            low, high,
        ) {
            (Some(a), Some(b)) => Some(format!("{what} entre {} y {}", f(a), f(b))),
            (Some(a), None) => Some(format!("{what} desde {}", f(a))),
            (None, Some(b)) => Some(format!("{what} hasta {}", f(b))),
            _ => None,
        };
    parts.extend(range(set(&p.min_value), set(&p.max_value), "valor", &pesos));
    parts.extend(range(set(&p.from), set(&p.to), "publicados", &day));
    parts.extend(range(set(&p.due_from), set(&p.due_to), "cierre", &day));
    if parts.is_empty() {
        "todos los procesos".into()
    } else {
        parts.join(" · ")
    }
}

/// The link to the original platform, when it is an http(s) URL; otherwise the
/// platform's public search (a `javascript:` link in the data never reaches a page).
pub fn platform_link(p: &Process) -> String {
    let link = p.link();
    match url::Url::parse(&link) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.to_string(),
        _ => Process {
            url: None,
            platform: p.platform,
            process_id: p.process_id.clone(),
            ..Process::default()
        }
        .link(),
    }
}

/// What to type in a platform's search to find a process it gave no link for: its
/// reference when it has one, else its process id.
fn search_hint(p: &Process) -> String {
    match p.reference.as_deref().filter(|r| !r.trim().is_empty()) {
        Some(r) => format!("la referencia «{r}» o «{}»", p.process_id),
        None => format!("«{}»", p.process_id),
    }
}

/// A tantivy snippet made safe to insert as HTML whatever it holds: `<b>` and `</b>` are
/// kept, the escapes tantivy writes are kept, and anything else that could be markup is
/// escaped again.
pub fn safe_snippet(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let keep = [
            "<b>", "</b>", "&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;",
        ]
        .into_iter()
        .find(|t| rest.starts_with(t));
        if let Some(t) = keep {
            out.push_str(t);
            rest = &rest[t.len()..];
            continue;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    // Unbalanced <b> (a cut snippet) would bold the rest of the page.
    let opened = out.matches("<b>").count();
    let closed = out.matches("</b>").count();
    for _ in closed..opened {
        out.push_str("</b>");
    }
    out
}

pub(crate) fn html_response(status: StatusCode, body: Markup) -> Response {
    html_bytes(status, Bytes::from(body.into_string()))
}

/// An HTML answer from a rendered page, with the page headers.
fn html_bytes(status: StatusCode, body: Bytes) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub(crate) fn layout(title: &str, current: &str, head_extra: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="es" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — secop-bridge" }
                link rel="stylesheet" href="/assets/app.css";
                link rel="icon" href="/assets/icon.svg" type="image/svg+xml";
                (head_extra)
            }
            body {
                a.skip href="#contenido" { "Saltar al contenido" }
                header.top {
                    a.brand href="/" { "secop" span { "-bridge" } }
                    nav aria-label="Principal" {
                        ul {
                            @for (path, label) in NAV {
                                li {
                                    @if *path == current {
                                        a href=(path) aria-current="page" { (label) }
                                    } @else {
                                        a href=(path) { (label) }
                                    }
                                }
                            }
                            li { a href="/api/openapi.json" { "API" } }
                        }
                    }
                }
                main #contenido tabindex="-1" { (body) }
                footer.bottom {
                    p {
                        "Datos abiertos de "
                        a href="https://www.colombiacompra.gov.co" { "Colombia Compra Eficiente" }
                        " (SECOP I y SECOP II, "
                        a href="https://www.datos.gov.co" { "datos.gov.co" }
                        ", CC BY-SA 4.0). secop-bridge solo lee los listados públicos: cada proceso enlaza a su página original."
                    }
                }
            }
        }
    }
}

fn platform_badge(p: Option<Platform>) -> Markup {
    match p {
        Some(Platform::SecopI) => html! {
            span.badge.secop1 title="Publicado en SECOP I (contratos.gov.co)" { "SECOP I" }
        },
        Some(Platform::SecopII) => html! {
            span.badge.secop2 title="Publicado en SECOP II (community.secop.gov.co)" { "SECOP II" }
        },
        None => html! { span.badge { "SECOP" } },
    }
}

fn status_tag(s: Status) -> Markup {
    html! { span class={ "status st-" (s.code()) } { (s.label()) } }
}

/// The status as published, and a warning beside it when a process still published as
/// open has a deadline that has passed (platforms often leave the status as it was).
fn status_tags(p: &Process) -> Markup {
    html! {
        (status_tag(p.status))
        @if crate::index::document::deadline_passed(p, chrono::Utc::now()) {
            span.tag.late title="La fecha de cierre de ofertas ya pasó; el estado es el que publica la plataforma" {
                "Cierre vencido"
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The search page.

/// Link to the search page with changed parameters (back to the first page).
pub(crate) fn link_with(p: &SearchParams, change: impl FnOnce(&mut SearchParams)) -> String {
    let mut q = p.clone();
    q.page = None;
    q.cursor = None;
    change(&mut q);
    let qs = query_string(&q);
    if qs.is_empty() {
        "/".into()
    } else {
        format!("/?{qs}")
    }
}

/// Facet values shown before "Ver más".
const FACET_SHOWN: usize = 8;

type Getter = fn(&mut SearchParams) -> &mut Option<String>;

fn facet_group(
    title: &str,
    values: &[FacetValue],
    p: &SearchParams,
    field: Getter,
    normalize: &dyn Fn(&str) -> Option<String>,
) -> Markup {
    let mut pc = p.clone();
    // Split as the search does (a department's name may hold a comma).
    let selected: Vec<String> = field(&mut pc)
        .as_deref()
        .map(|v| places(v, normalize).unwrap_or_default())
        .unwrap_or_default();
    html! {
        @if !values.is_empty() {
            section.facet {
                h3 { (title) }
                @let (shown, more) = values.split_at(values.len().min(FACET_SHOWN));
                ul {
                    @for v in shown {
                        @let on = selected.contains(&v.value);
                        li {
                            @if on {
                                a.on href=(link_with(p, |q| *field(q) = None)) aria-current="true"
                                  title={ "Quitar el filtro " (v.label) } {
                                    span.label { (v.label) }
                                    span.count { (format_int(v.count)) }
                                    span.visually-hidden { " (filtro aplicado; quitar)" }
                                }
                            } @else {
                                a href=(link_with(p, |q| *field(q) = Some(v.value.clone()))) {
                                    span.label { (v.label) }
                                    span.count { (format_int(v.count)) }
                                }
                            }
                        }
                    }
                }
                @if !more.is_empty() {
                    details.more {
                        summary { "Ver " (more.len()) " más" }
                        ul {
                            @for v in more {
                                li {
                                    @if selected.contains(&v.value) {
                                        a.on href=(link_with(p, |q| *field(q) = None)) aria-current="true" {
                                            span.label { (v.label) }
                                            span.count { (format_int(v.count)) }
                                            span.visually-hidden { " (filtro aplicado; quitar)" }
                                        }
                                    } @else {
                                        a href=(link_with(p, |q| *field(q) = Some(v.value.clone()))) {
                                            span.label { (v.label) }
                                            span.count { (format_int(v.count)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn facets_html(f: &Facets, p: &SearchParams) -> Markup {
    let d = Divipola::get();
    let dept = |x: &str| d.find_department(x).map(|d| d.code.clone());
    let plat = |x: &str| Platform::parse(x).map(|p| p.code().into());
    let modality = |x: &str| Modality::from_code(x).map(|m| m.code().into());
    let status = |x: &str| Status::from_code(x).map(|m| m.code().into());
    let ctype = |x: &str| ContractType::from_code(x).map(|m| m.code().into());
    let year_on = |y: &str| {
        p.from.as_deref() == Some(&format!("{y}-01-01"))
            && p.to.as_deref() == Some(&format!("{y}-12-31"))
    };
    html! {
        (facet_group("Plataforma", &f.platform, p, |q| &mut q.platform, &plat))
        (facet_group("Estado", &f.status, p, |q| &mut q.status, &status))
        (facet_group("Modalidad", &f.modality, p, |q| &mut q.modality, &modality))
        (facet_group("Departamento", &f.department, p, |q| &mut q.department, &dept))
        (facet_group("Tipo de contrato", &f.contract_type, p, |q| &mut q.contract_type, &ctype))
        @if !f.year.is_empty() {
            section.facet {
                h3 { "Año de publicación" }
                ul {
                    @for y in &f.year {
                        li {
                            @if year_on(&y.value) {
                                a.on aria-current="true" href=(link_with(p, |q| { q.from = None; q.to = None; })) {
                                    span.label { (y.label) }
                                    span.count { (format_int(y.count)) }
                                    span.visually-hidden { " (filtro aplicado; quitar)" }
                                }
                            } @else {
                                a href=(link_with(p, |q| {
                                    q.from = Some(format!("{}-01-01", y.value));
                                    q.to = Some(format!("{}-12-31", y.value));
                                })) {
                                    span.label { (y.label) }
                                    span.count { (format_int(y.count)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn select(
    id: &str,
    label: &str,
    current: Option<&str>,
    options: &[(String, String)],
    all: &str,
) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(id) {
                option value="" { (all) }
                @for (v, l) in options {
                    option value=(v) selected[current == Some(v.as_str())] { (l) }
                }
            }
        }
    }
}

/// A select box for a filter that may hold several values (`department=05,11`, a shared
/// link or a facet's list): the selection is one more option, the values' names joined, so
/// that submitting the form again keeps it instead of falling back to "all".
fn choices(
    id: &str,
    label: &str,
    current: &[String],
    mut options: Vec<(String, String)>,
    all: &str,
) -> Markup {
    let selected = match current {
        [] => None,
        [one] => Some(one.clone()),
        many => {
            let name = |c: &String| {
                options
                    .iter()
                    .find(|(v, _)| v == c)
                    .map_or(c.clone(), |(_, l)| l.clone())
            };
            let names: Vec<String> = many.iter().map(name).collect();
            // The search splits on commas; a name with a comma of its own stays whole there.
            let value = many.join(",");
            options.insert(0, (value.clone(), names.join(" o ")));
            Some(value)
        }
    };
    select(id, label, selected.as_deref(), &options, all)
}

pub(crate) fn input(
    id: &str,
    label: &str,
    kind: &str,
    value: Option<&str>,
    extra: Markup,
) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            input type=(kind) id=(id) name=(id) value=(value.unwrap_or("")) { (extra) }
        }
    }
}

const SORTS: &[(&str, &str)] = &[
    ("relevance", "Relevancia"),
    ("date_desc", "Más recientes"),
    ("date_asc", "Más antiguos"),
    ("value_desc", "Mayor valor"),
    ("value_asc", "Menor valor"),
    ("deadline_asc", "Cierre más próximo"),
];

fn search_form(p: &SearchParams) -> Markup {
    let d = Divipola::get();
    let val = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    // The values a filter holds, split as the search splits it (a department's own name
    // may hold a comma), as codes.
    let codes = |v: &Option<String>, norm: &dyn Fn(&str) -> Option<String>| -> Vec<String> {
        v.as_deref()
            .and_then(|v| places(v, norm).ok())
            .unwrap_or_default()
    };
    let platform = codes(&p.platform, &|x| {
        Platform::parse(x).map(|p| p.code().into())
    });
    let department = codes(&p.department, &|x| {
        d.find_department(x).map(|d| d.code.clone())
    });
    let modality = codes(&p.modality, &|x| {
        Modality::from_code(x).map(|m| m.code().into())
    });
    let status = codes(&p.status, &|x| {
        Status::from_code(x).map(|m| m.code().into())
    });
    let ctype = codes(&p.contract_type, &|x| {
        ContractType::from_code(x).map(|m| m.code().into())
    });
    // Only an explicit sort: the default depends on whether there is text to rank.
    let sort = val(&p.sort)
        .and_then(|x| crate::query::Sort::parse(&x).ok())
        .map(|s| s.name());
    let open = val(&p.open).is_some_and(|x| !matches!(x.as_str(), "false" | "0" | "no"));
    let depts: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = d
            .departments()
            .iter()
            .map(|x| (x.code.clone(), x.name.clone()))
            .collect();
        v.sort_by(|a, b| {
            crate::normalize::text::fold_words(&a.1).cmp(&crate::normalize::text::fold_words(&b.1))
        });
        v
    };
    let opts = |all: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
        all.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    // Filters the facets do not show open the panel; the others are visible beside the hits.
    let advanced = [
        &p.unspsc,
        &p.entity,
        &p.min_value,
        &p.max_value,
        &p.from,
        &p.to,
        &p.open,
        &p.supplier,
    ]
    .iter()
    .any(|v| val(v).is_some());
    html! {
        form.search role="search" method="get" action="/" {
            div.main-field {
                label for="q" { "Buscar procesos por palabras, entidad o cualquier identificador" }
                div.row {
                    input type="search" id="q" name="q" value=(val(&p.q).unwrap_or_default())
                        placeholder="p. ej. vigilancia, alcaldía de Medellín, CO1.BDOS.10558939"
                        autocomplete="off" maxlength="1000";
                    button type="submit" { "Buscar" }
                }
            }
            details.filters open[advanced] {
                summary { "Filtros" }
                div.grid {
                    (choices("platform", "Plataforma", &platform,
                        vec![("secop1".into(), "SECOP I".into()), ("secop2".into(), "SECOP II".into())], "Ambas"))
                    (choices("department", "Departamento", &department, depts, "Todos"))
                    (choices("modality", "Modalidad", &modality,
                        Modality::ALL.iter().map(|m| (m.code().to_string(), m.label().to_string())).collect(), "Todas"))
                    (choices("status", "Estado", &status,
                        Status::ALL.iter().map(|m| (m.code().to_string(), m.label().to_string())).collect(), "Todos"))
                    (choices("contract_type", "Tipo de contrato", &ctype,
                        ContractType::ALL.iter().map(|m| (m.code().to_string(), m.label().to_string())).collect(), "Todos"))
                    (input("unspsc", "Código UNSPSC (prefijo)", "text", val(&p.unspsc).as_deref(),
                        html! {}))
                    (input("entity", "Entidad", "text", val(&p.entity).as_deref(), html! {}))
                    (input("supplier", "Proveedor (nombre o documento)", "text", val(&p.supplier).as_deref(), html! {}))
                    (input("min_value", "Valor mínimo (COP)", "number", val(&p.min_value).as_deref(), html! {}))
                    (input("max_value", "Valor máximo (COP)", "number", val(&p.max_value).as_deref(), html! {}))
                    (input("from", "Publicado desde", "date", val(&p.from).as_deref(), html! {}))
                    (input("to", "Publicado hasta", "date", val(&p.to).as_deref(), html! {}))
                    (select("sort", "Ordenar por", sort.as_deref(), &opts(SORTS), "Predeterminado"))
                    div.field.check {
                        input type="checkbox" id="open" name="open" value="true" checked[open];
                        label for="open" { "Solo abiertos a ofertas ahora" }
                    }
                }
                @for (name, v) in [("nit", &p.nit), ("municipality", &p.municipality), ("dataset", &p.dataset), ("due_from", &p.due_from), ("due_to", &p.due_to), ("per_page", &p.per_page)] {
                    @if let Some(v) = val(v) {
                        input type="hidden" name=(name) value=(v);
                    }
                }
                div.actions {
                    button type="submit" { "Aplicar filtros" }
                    a href="/" { "Quitar todos los filtros" }
                }
            }
        }
    }
}

fn hit_html(h: &Hit, back: &str) -> Markup {
    let p = &h.process;
    let platform = p.platform.map_or("SECOP", |x| x.label());
    let department = p.buyer.department.as_ref().map(|d| d.name.as_str());
    let place = match &p.buyer.municipality {
        Some(m) => Some(crate::normalize::place::place_label(&m.name, department)),
        None => department.map(str::to_string),
    };
    let page = if back.is_empty() {
        process_path(&p.key)
    } else {
        format!("{}?volver={}", process_path(&p.key), urlencode(back))
    };
    html! {
        li.hit {
            article {
                div.hit-top {
                    (platform_badge(p.platform))
                    (status_tags(p))
                    @if p.partial { span.tag title="Solo se conocen contratos de este proceso" { "Solo contratos" } }
                    span.modality { (p.modality.label()) }
                }
                h3 { a href=(page) { (if p.title.trim().is_empty() { p.process_id.as_str() } else { p.title.as_str() }) } }
                p.entity {
                    (p.buyer.name)
                    @if let Some(pl) = place { span.place { " · " (pl) } }
                }
                dl.facts {
                    @if let Some(v) = p.value() {
                        div { dt { "Valor" } dd.money { (format_cop(v)) } }
                    }
                    @if let Some((t, by)) = crate::index::document::placement(p) {
                        div { dt { (by.label()) } dd { (format_date(t)) } }
                    }
                    @if let Some(t) = p.offers_due_at {
                        div { dt { "Cierre de ofertas" } dd { (format_datetime(t)) } }
                    }
                    div { dt { "ID" } dd.id { (p.process_id) } }
                }
                @if let Some(sn) = &h.snippet {
                    p.snippet { (PreEscaped(safe_snippet(sn))) }
                }
                p.origin {
                    @if p.links_to_itself() {
                        a.external href=(platform_link(p)) rel="noopener noreferrer" {
                            "Ver en " (platform)
                            span.visually-hidden { " (página original del proceso " (p.process_id) ")" }
                            span aria-hidden="true" { " ↗" }
                        }
                    } @else {
                        @let hint = search_hint(p);
                        a.external href=(platform_link(p)) rel="noopener noreferrer"
                          title={ "SECOP II no da un enlace directo a este proceso: busque " (hint) } {
                            "Buscar en " (platform)
                            span.visually-hidden { " (busque " (hint) ")" }
                            span aria-hidden="true" { " ↗" }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

fn pagination(p: &SearchParams, s: &Search, total: u64) -> Markup {
    let reachable = (total as usize).min(MAX_OFFSET);
    let pages = reachable.div_ceil(s.per_page).max(1);
    let cur = s.page;
    let href = |n: usize| {
        let mut q = p.clone();
        q.cursor = None;
        q.page = (n > 1).then(|| n.to_string());
        let qs = query_string(&q);
        if qs.is_empty() {
            "/".to_string()
        } else {
            format!("/?{qs}")
        }
    };
    let mut shown: Vec<usize> = vec![
        1,
        cur.saturating_sub(2),
        cur.saturating_sub(1),
        cur,
        cur + 1,
        cur + 2,
        pages,
    ]
    .into_iter()
    .filter(|n| *n >= 1 && *n <= pages)
    .collect();
    shown.sort_unstable();
    shown.dedup();
    html! {
        @if pages > 1 {
            nav.pages aria-label="Paginación" {
                ul {
                    li {
                        @if cur > 1 { a href=(href(cur - 1)) rel="prev" { "← Anterior" } }
                        @else { span.disabled aria-disabled="true" { "← Anterior" } }
                    }
                    @for (i, n) in shown.iter().enumerate() {
                        @if i > 0 && shown[i - 1] + 1 < *n { li.gap aria-hidden="true" { "…" } }
                        li {
                            @if *n == cur { a href=(href(*n)) aria-current="page" { (n) } }
                            @else { a href=(href(*n)) aria-label={ "Página " (n) } { (n) } }
                        }
                    }
                    li {
                        @if cur < pages { a href=(href(cur + 1)) rel="next" { "Siguiente →" } }
                        @else { span.disabled aria-disabled="true" { "Siguiente →" } }
                    }
                }
                @if (total as usize) > MAX_OFFSET {
                    p.note { "Se muestran los primeros " (format_int(MAX_OFFSET as u64)) " resultados; afine la búsqueda o descárguelos todos." }
                }
            }
        }
    }
}

/// How the page names a wider search: "sin «hidraulico»", "sin «a» ni «b»", "sin el filtro
/// «Departamento»".
fn relaxation_label(r: &Relaxation) -> String {
    match &r.without {
        Without::Words(w) => {
            let words: Vec<String> = w.iter().map(|w| format!("«{w}»")).collect();
            format!("sin {}", words.join(" ni "))
        }
        Without::Filter(f) => {
            let label = match *f {
                "dates" => "Fecha de publicación",
                "due" => "Fecha de cierre",
                "value" => "Valor",
                other => label_es(other),
            };
            format!("sin el filtro «{label}»")
        }
        Without::AllFilters => "sin ningún filtro".to_string(),
    }
}

fn results_html(
    p: &SearchParams,
    s: &Search,
    r: &SearchResult,
    wider: &[Relaxation],
    chart: Markup,
) -> Markup {
    let mut base = p.clone();
    base.page = None;
    base.cursor = None;
    base.per_page = None;
    base.sort = None;
    let qs = query_string(&base);
    let back = query_string(&{
        let mut b = p.clone();
        b.cursor = None;
        b
    });
    let sep = if qs.is_empty() { "" } else { "&" };
    let feed = format!(
        "/api/feed.atom{}{}",
        if qs.is_empty() { "" } else { "?" },
        qs
    );
    let first = (s.page - 1) * s.per_page + 1;
    let last = first + r.hits.len().saturating_sub(1);
    let sort_now = s.sort.name();
    html! {
        div.results-head {
            h2 #resultados aria-live="polite" {
                (format_int(r.total)) @if r.total == 1 { " proceso" } @else { " procesos" }
            }
            @if !r.hits.is_empty() {
                p.range { "Resultados " (format_int(first as u64)) "–" (format_int(last as u64)) " · " (describe(p)) }
            }
            // Nothing to order or download: only the feed, which tells when something appears.
            @if r.total > 0 { nav.sorts aria-label="Ordenar resultados" {
                span { "Ordenar: " }
                ul {
                    @for (code, label) in SORTS {
                        @if *code != "relevance" || p.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
                            li {
                                @if sort_now == *code {
                                    a aria-current="true" href=(link_with(p, |q| q.sort = Some(code.to_string()))) { (label) }
                                } @else {
                                    a href=(link_with(p, |q| q.sort = Some(code.to_string()))) { (label) }
                                }
                            }
                        }
                    }
                }
            } }
            div.downloads {
                @if r.total > 0 {
                    span { "Descargar todos: " }
                    a href={ "/api/export?" (qs) (sep) "format=csv" } download { "CSV" }
                    a href={ "/api/export?" (qs) (sep) "format=ndjson" } download { "NDJSON" }
                    a href={ "/api/export?" (qs) (sep) "format=ocds" } download { "OCDS" }
                    a.feed href=(feed) type="application/atom+xml" { "Suscribirse (Atom)" }
                } @else {
                    a.feed href=(feed) type="application/atom+xml" { "Avisarme cuando aparezcan (Atom)" }
                }
            }
            @if r.total > 0 {
                p.who { a href={ "/quien" @if !qs.is_empty() { "?" (qs) } } { "Quién compra y quién gana en estos resultados" } }
            }
            @for w in &r.warnings {
                p.warning role="status" { (w.es()) }
            }
        }
        @if r.total > 0 { (chart) }
        @if r.hits.is_empty() {
            div.empty {
                @if r.total > 0 {
                    // Processes match, but this page is past the last one.
                    p { "Esta página está más allá de los resultados." }
                    p { a href=(link_with(p, |_| {})) { "Volver a la primera página" } }
                } @else {
                    p { "Ningún proceso cumple esta búsqueda." }
                    @if let Some(sug) = &r.suggestion {
                        p.suggestion {
                            "¿Quiso decir "
                            a href=(link_with(p, |q| q.q = Some(sug.clone()))) { "«" (sug) "»" }
                            "?"
                        }
                    }
                    @if !wider.is_empty() {
                        p { "Sí hay procesos con menos condiciones:" }
                        ul.relaxations {
                            @for w in wider {
                                li {
                                    a href=(link_with(&w.params, |_| {})) { (relaxation_label(w)) }
                                    ": " (count(w.total, "proceso", "procesos"))
                                }
                            }
                        }
                    } @else if r.suggestion.is_none() && r.warnings.is_empty() {
                        // A warning already says what to change.
                        p { "Pruebe con menos palabras o quite filtros." }
                    }
                }
            }
        } @else {
            ol.hits start=(first) { @for h in &r.hits { (hit_html(h, &back)) } }
        }
        (pagination(p, s, r.total))
    }
}

fn chart_html(p: &SearchParams) -> Markup {
    let mut q = p.clone();
    q.page = None;
    q.cursor = None;
    q.per_page = None;
    q.sort = None;
    let qs = query_string(&q);
    html! {
        section.chart aria-labelledby="grafico-titulo" {
            h2 #grafico-titulo { "Procesos por mes" }
            p.hint { "Número de procesos y valor total por mes de publicación, para esta búsqueda." }
            div #grafico data-src={ "/api/monthly" @if !qs.is_empty() { "?" (qs) } } role="img"
                aria-label="Gráfico del número y el valor de los procesos por mes; los datos están en la tabla siguiente" {}
            noscript { p { "El gráfico necesita JavaScript; los datos están en " a href={ "/api/monthly?" (qs) } { "/api/monthly" } "." } }
            details #grafico-datos hidden {
                summary { "Ver los datos del gráfico" }
                div.table-wrap {
                    table {
                        caption.visually-hidden { "Procesos y valor por mes" }
                        thead { tr { th scope="col" { "Mes" } th scope="col" { "Procesos" } th scope="col" { "Valor total" } } }
                        tbody {}
                    }
                }
            }
        }
    }
}

/// `GET /`: the search page.
pub async fn search_page(State(st): State<AppState>, uri: Uri) -> Response {
    let params = match params_from(&uri) {
        Ok((p, _)) => p,
        Err(e) => return error_page(e.status, e.message.es(), &SearchParams::default()),
    };
    let search = match params.validate() {
        Ok(s) => s,
        Err(e) => {
            let e = super::ApiError::from(e);
            return error_page(e.status, e.message.es(), &params);
        }
    };
    // The page of a search is kept as the API's answer is, until the index changes: a
    // search that finds nothing costs its relaxations' counts only once. The key is the
    // parameters as written, which the form shows back, not the validated search.
    let key = format!("page|{}|{params:?}", st.engine.index().contents_id());
    let (engine, asked) = (st.clone(), params.clone());
    let page = st
        .cache
        .get_or_compute(key, || async move {
            let (s, p) = (search.clone(), asked.clone());
            let (r, wider) = engine
                .with_engine(move |e| relax::search_or_widen(e, &s, &p, true))
                .await?;
            Ok::<_, super::ApiError>(Bytes::from(render_search(&asked, &search, &r, &wider)))
        })
        .await;
    match page {
        Ok((body, source)) => {
            let mut r = html_bytes(StatusCode::OK, body);
            r.headers_mut().insert(
                header::HeaderName::from_static("x-cache"),
                HeaderValue::from_static(source.as_str()),
            );
            r
        }
        Err(e) => error_page(e.status, e.message.es(), &params),
    }
}

/// The search page of a search and its result.
fn render_search(
    params: &SearchParams,
    search: &Search,
    r: &SearchResult,
    wider: &[Relaxation],
) -> String {
    let title = if *params == SearchParams::default() {
        "Buscar en SECOP I y SECOP II".to_string()
    } else {
        describe(params)
    };
    // The feed takes the search, not its page or order.
    let qs = query_string(&SearchParams {
        page: None,
        cursor: None,
        sort: None,
        per_page: None,
        ..params.clone()
    });
    let feed = if qs.is_empty() {
        "/api/feed.atom".to_string()
    } else {
        format!("/api/feed.atom?{qs}")
    };
    let head = html! {
        link rel="alternate" type="application/atom+xml" title="Procesos nuevos de esta búsqueda" href=(feed);
        link rel="stylesheet" href="/assets/uPlot.min.css";
        script src="/assets/uPlot.iife.min.js" defer {}
        script src="/assets/app.js" defer {}
    };
    let body = html! {
        h1 { "Buscar en SECOP I y SECOP II" }
        p.lead { "Una sola búsqueda sobre las dos plataformas de contratación pública de Colombia. Cada resultado enlaza a su página original." }
        (search_form(params))
        div.layout {
            aside.facets aria-label="Filtrar por" {
                h2.visually-hidden { "Filtrar resultados" }
                @if let Some(f) = &r.facets { (facets_html(f, params)) }
            }
            section.results aria-labelledby="resultados" {
                (results_html(params, search, r, wider, chart_html(params)))
            }
        }
    };
    layout(&title, "/", head, body).into_string()
}

fn error_page(status: StatusCode, message: &str, p: &SearchParams) -> Response {
    let body = html! {
        h1 { "Buscar en SECOP I y SECOP II" }
        (search_form(p))
        div.error role="alert" {
            h2 { @if status.is_client_error() { "La búsqueda tiene un problema" } @else { "No se pudo completar la búsqueda" } }
            p { (message) }
        }
    };
    html_response(status, layout("Error en la búsqueda", "/", html! {}, body))
}

/// HTML 404 for paths outside the API.
pub fn not_found_page(path: &str) -> Response {
    let body = html! {
        h1 { "Página no encontrada" }
        p { "No existe la página " code { (path) } "." }
        p { a href="/" { "Ir a la búsqueda" } }
    };
    html_response(
        StatusCode::NOT_FOUND,
        layout("No encontrada", "", html! {}, body),
    )
}

// ---------------------------------------------------------------------------------------
// The process page.

#[derive(Debug, Default, Deserialize)]
struct ProcessQuery {
    volver: Option<String>,
}

fn row(label: &str, v: Option<Markup>) -> Markup {
    html! {
        @if let Some(v) = v {
            div { dt { (label) } dd { (v) } }
        }
    }
}

fn text(v: Option<&str>) -> Option<Markup> {
    v.map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| html! { (x) })
}

fn party(p: &Option<Party>) -> Markup {
    html! {
        @if let Some(s) = p {
            (s.name)
            @if let Some(id) = &s.id {
                br;
                span.muted { (s.id_kind.as_deref().unwrap_or("Documento")) " " (id) }
            }
        } @else { span.muted { "Sin dato" } }
    }
}

fn json_value(v: &serde_json::Value) -> Markup {
    use serde_json::Value;
    html! {
        @match v {
            Value::Object(m) => {
                dl.nested {
                    @for (k, x) in m {
                        div { dt { (k) } dd { (json_value(x)) } }
                    }
                }
            }
            Value::Array(a) => {
                ul.nested { @for x in a { li { (json_value(x)) } } }
            }
            Value::String(s) => {
                @if (s.starts_with("https://") || s.starts_with("http://")) && url::Url::parse(s).is_ok() {
                    a href=(s) rel="noopener noreferrer" { (s) }
                } @else { (s) }
            }
            Value::Null => { span.muted { "—" } }
            other => { (other.to_string()) }
        }
    }
}

/// The other processes an identifier names, as the process page lists them.
struct Others<'a> {
    /// The identifier looked up.
    id: &'a str,
    /// The keys shown.
    keys: &'a [String],
    /// How many there are.
    total: u64,
}

fn process_html(p: &Process, also: &Others<'_>, back: &str) -> Markup {
    let platform = p.platform.map_or("SECOP", |x| x.label());
    let u = Unspsc::get();
    let d = |t: Option<chrono::NaiveDateTime>| t.map(|t| html! { (format_datetime(t)) });
    let money = |v: Option<i64>| v.map(|v| html! { span.money { (format_cop(v)) } });
    let both = |label: &str, raw: &Option<String>| -> Markup {
        html! {
            (label)
            @if let Some(r) = published_label(label, raw.as_deref()) {
                br; span.muted { "Publicado como: " (r) }
            }
        }
    };
    let c = &p.competition;
    html! {
        p.back { a href=(back) { "← Volver a la búsqueda" } }
        article.process {
            div.hit-top {
                (platform_badge(p.platform))
                (status_tags(p))
                @if p.partial { span.tag { "Solo contratos" } }
            }
            h1 { (if p.title.trim().is_empty() { p.process_id.as_str() } else { p.title.as_str() }) }
            p.entity { (p.buyer.name) }
            p.origin.big {
                @if p.links_to_itself() {
                    a.external.button href=(platform_link(p)) rel="noopener noreferrer" {
                        "Ver el proceso en " (platform) span aria-hidden="true" { " ↗" }
                    }
                } @else {
                    a.external.button href=(platform_link(p)) rel="noopener noreferrer" {
                        "Buscar el proceso en " (platform) span aria-hidden="true" { " ↗" }
                    }
                    br;
                    span.muted {
                        "El registro no trae el enlace directo al proceso: en el buscador de "
                        (platform) ", busque " (search_hint(p)) "."
                    }
                }
            }
            @if let Some(desc) = p.description.as_deref().filter(|x| !x.trim().is_empty()) {
                section {
                    h2 { "Descripción" }
                    p.description { (desc) }
                }
            }
            section {
                h2 { "Datos del proceso" }
                dl.fields {
                    (row("Plataforma", Some(html! { (platform) })))
                    (row("ID del proceso", Some(html! { code { (p.process_id) } })))
                    (row("Clave", Some(html! { code { (p.key) } })))
                    (row("Referencia", text(p.reference.as_deref())))
                    (row("Referencia publicada", text(p.reference_raw.as_deref().filter(|r| Some(*r) != p.reference.as_deref()))))
                    (row("Identificadores", (!p.ids.is_empty()).then(|| html! {
                        ul.ids { @for i in &p.ids { li { code { (i) } } } }
                    })))
                    (row("Modalidad", Some(both(p.modality.label(), &p.modality_raw))))
                    (row("Estado", Some(both(p.status.label(), &p.status_raw))))
                    (row("Fase", text(p.phase.as_deref())))
                    (row("Tipo de contrato", Some(both(p.contract_type.label(), &p.contract_type_raw))))
                    (row("Valor estimado", money(p.estimated_value)))
                    (row("Valor adjudicado o contratado", money(p.awarded_value())))
                    (row("Moneda", text(p.currency.as_deref())))
                    (row("Publicado", d(p.published_at)))
                    (row("Cierre de ofertas", d(p.offers_due_at)))
                    (row("Última actualización", d(p.last_update_at)))
                    (row("Duración", text(p.duration.as_deref())))
                    (row("Fuentes", Some(html! { (p.sources.join(", ")) })))
                }
            }
            section {
                h2 { "Entidad" }
                dl.fields {
                    (row("Nombre", text(Some(&p.buyer.name))))
                    (row("NIT", text(p.buyer.nit.as_deref())))
                    (row("NIT publicado", text(p.buyer.nit_raw.as_deref().filter(|r| Some(*r) != p.buyer.nit.as_deref()))))
                    (row("Código en la plataforma", text(p.buyer.code.as_deref())))
                    (row("Departamento", p.buyer.department.as_ref().map(|x| html! { (x.name) @if let Some(c) = &x.code { span.muted { " (DIVIPOLA " (c) ")" } } })))
                    (row("Municipio", p.buyer.municipality.as_ref().map(|x| html! { (x.name) @if let Some(c) = &x.code { span.muted { " (DIVIPOLA " (c) ")" } } })))
                    (row("Orden", text(p.buyer.order.as_deref())))
                    (row("Unidad de contratación", text(p.buyer.unit.as_deref())))
                }
                @if let Some(nit) = &p.buyer.nit {
                    p {
                        a href={ "/?nit=" (urlencode(nit)) } { "Otros procesos de esta entidad" }
                        " · "
                        a href={ "/duplicados?nit=" (urlencode(nit)) } { "Procesos publicados dos veces" }
                        " · "
                        a href={ "/transicion?nit=" (urlencode(nit)) } { "Su transición a SECOP II" }
                    }
                }
            }
            @if !p.unspsc.is_empty() {
                section {
                    h2 { "Categorías UNSPSC" }
                    div.table-wrap {
                        table {
                            thead { tr { th scope="col" { "Código" } th scope="col" { "Segmento" } th scope="col" { "Familia" } th scope="col" { "Clase" } th scope="col" { "Producto" } } }
                            tbody {
                                @for code in &p.unspsc {
                                    @let cat = u.category(code);
                                    tr {
                                        td { a href={ "/?unspsc=" (code) } { code { (code) } } }
                                        td { (cat.segment.unwrap_or_default()) }
                                        td { (cat.family.unwrap_or_default()) }
                                        td { (cat.class.unwrap_or_default()) }
                                        td { (cat.product.unwrap_or_default()) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !c.is_empty() {
                section {
                    h2 { "Competencia" }
                    dl.fields {
                        (row("Proveedores invitados", c.invited.map(|v| html! { (v) })))
                        (row("Proveedores interesados", c.interested.map(|v| html! { (v) })))
                        (row("Respuestas", c.responses.map(|v| html! { (v) })))
                        (row("Oferentes únicos", c.unique_bidders.map(|v| html! { (v) })))
                        (row("Visualizaciones", c.views.map(|v| html! { (v) })))
                    }
                }
            }
            section {
                h2 { "Adjudicaciones" }
                @if p.awards.is_empty() { p.muted { "No se conocen adjudicaciones." } } @else {
                    div.table-wrap {
                        table {
                            thead { tr { th scope="col" { "ID" } th scope="col" { "Proveedor" } th scope="col" { "Valor" } th scope="col" { "Fecha" } th scope="col" { "Contrato" } } }
                            tbody {
                                @for a in &p.awards {
                                    tr {
                                        td { (a.id.as_deref().unwrap_or("—")) }
                                        td { (party(&a.supplier)) }
                                        td.money { (a.value.map(format_cop).unwrap_or_default()) }
                                        td { (a.date.map(format_date).unwrap_or_default()) }
                                        td { (a.contract_id.as_deref().unwrap_or("")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Contratos" }
                @if p.contracts.is_empty() { p.muted { "No se conocen contratos." } } @else {
                    div.table-wrap {
                        table {
                            thead { tr { th scope="col" { "Contrato" } th scope="col" { "Estado" } th scope="col" { "Contratista" } th scope="col" { "Valor" } th scope="col" { "Firma" } th scope="col" { "Ejecución" } th scope="col" { "Objeto" } } }
                            tbody {
                                @for k in &p.contracts {
                                    tr {
                                        td { code { (k.id) } @if let Some(r) = &k.reference { br; span.muted { (r) } } }
                                        td { (k.status.label()) @if let Some(r) = &k.status_raw { br; span.muted { (r) } } }
                                        td { (party(&k.supplier)) }
                                        td.money { (k.value.map(format_cop).unwrap_or_default()) }
                                        td { (k.signed_at.map(format_date).unwrap_or_default()) }
                                        td { (k.start.map(format_date).unwrap_or_default()) @if k.end.is_some() { " – " (k.end.map(format_date).unwrap_or_default()) } }
                                        td { (k.object.as_deref().unwrap_or("")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(e) = &p.enrichment {
                section {
                    h2 { "Datos de la página pública de " (platform) }
                    (json_value(e))
                }
            }
            @if !also.keys.is_empty() {
                section {
                    h2 { "Otros procesos con este identificador" }
                    ul { @for k in also.keys { li { a href=(process_path(k)) { (k) } } } }
                    @if also.total > also.keys.len() as u64 {
                        p {
                            "Se muestran " (also.keys.len()) " de " (format_int(also.total)) ". "
                            a href={ "/?q=" (urlencode(also.id)) } { "Ver todos en la búsqueda" }
                        }
                    }
                }
            }
            p.formats {
                "Este proceso en otros formatos: "
                a href={ "/api/processes/" (encode_path(&p.key)) } { "JSON" }
            }
        }
    }
}

/// `GET /procesos/{id}`: one process, found by any identifier.
pub async fn process_page(
    State(st): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let back = serde_urlencoded::from_str::<ProcessQuery>(uri.query().unwrap_or(""))
        .ok()
        .and_then(|q| q.volver)
        .and_then(|v| serde_urlencoded::from_str::<SearchParams>(&v).ok())
        .map(|p| query_string(&p))
        .filter(|qs| !qs.is_empty())
        .map_or_else(|| "/".to_string(), |qs| format!("/?{qs}"));
    if id.len() > 300 {
        return not_found_page(uri.path());
    }
    let key = id.clone();
    match st.with_engine(move |e| e.find(&key)).await {
        Ok(Some(found)) => {
            let others = Others {
                id: &id,
                keys: &found.also,
                total: found.total.saturating_sub(1),
            };
            let p = found.process;
            let title = if p.title.trim().is_empty() {
                p.process_id.clone()
            } else {
                p.title.clone()
            };
            html_response(
                StatusCode::OK,
                layout(&title, "", html! {}, process_html(&p, &others, &back)),
            )
        }
        Ok(None) => {
            let body = html! {
                h1 { "Proceso no encontrado" }
                p { "Ningún proceso tiene el identificador " code { (id) } "." }
                p { a href={ "/?q=" (urlencode(&id)) } { "Buscarlo como texto" } }
            };
            html_response(
                StatusCode::NOT_FOUND,
                layout("Proceso no encontrado", "", html! {}, body),
            )
        }
        Err(e) => {
            let body = html! { h1 { "No se pudo mostrar el proceso" } p role="alert" { (e.message.es()) } };
            html_response(e.status, layout("Error", "", html! {}, body))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Static assets, compiled into the binary.

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("assets/icon.svg"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/vendor/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/vendor/uPlot.min.css"),
    ),
];

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, ct, bytes)) => {
            let mut r = bytes.to_vec().into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            r
        }
        None => not_found_page(&format!("/assets/{name}")),
    }
}

async fn favicon() -> Response {
    asset(Path("icon.svg".to_string())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_keep_only_bold() {
        assert_eq!(
            safe_snippet("a <b>obra</b> &amp; &lt;x&gt;"),
            "a <b>obra</b> &amp; &lt;x&gt;"
        );
        assert_eq!(
            safe_snippet("<script>alert(1)</script><b>x"),
            "&lt;script&gt;alert(1)&lt;/script&gt;<b>x</b>"
        );
        assert_eq!(
            safe_snippet("\"><img onerror=x>"),
            "&quot;&gt;&lt;img onerror=x&gt;"
        );
        assert_eq!(safe_snippet("&copy; &#x27;"), "&amp;copy; &#x27;");
    }

    #[test]
    fn a_filter_of_several_values_survives_the_form() {
        let p = SearchParams {
            department: Some("05,11".into()),
            status: Some("open,awarded".into()),
            platform: Some("secop2".into()),
            ..SearchParams::default()
        };
        let html = search_form(&p).into_string();
        assert!(
            html.contains(r#"<option value="05,11" selected>Antioquia o Bogotá, D.C.</option>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<option value="open,awarded" selected>"#),
            "{html}"
        );
        assert!(html.contains(r#"<option value="secop2" selected>SECOP II</option>"#));
    }

    #[test]
    fn descriptions_and_links() {
        let p = SearchParams {
            q: Some("vigilancia".into()),
            department: Some("76".into()),
            unspsc: Some("8413".into()),
            page: Some("".into()),
            ..SearchParams::default()
        };
        assert_eq!(describe(&p), "«vigilancia» · Valle del Cauca · UNSPSC 8413");
        // Every filter that narrows the hits is named, in the page's own formats.
        let narrowed = SearchParams {
            dataset: Some("jbjy-vk9h".into()),
            min_value: Some("1000000000".into()),
            from: Some("2026-08-01".into()),
            due_from: Some("2026-08-25".into()),
            due_to: Some("2026-08-26".into()),
            ..SearchParams::default()
        };
        assert_eq!(
            describe(&narrowed),
            "datos de SECOP II - Contratos Electrónicos · valor desde $ 1.000.000.000 · \
             publicados desde 01/08/2026 · cierre entre 25/08/2026 y 26/08/2026"
        );
        assert_eq!(describe(&SearchParams::default()), "todos los procesos");
        assert_eq!(query_string(&p), "q=vigilancia&department=76&unspsc=8413");
        assert_eq!(
            process_path("secop2:CO1.BDOS.1"),
            "/procesos/secop2:CO1.BDOS.1"
        );
        assert_eq!(process_path("secop1:a/b c"), "/procesos/secop1:a%2Fb%20c");
    }
}
