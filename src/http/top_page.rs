//! The "Quién compra y quién gana" view: the biggest buyers and suppliers of a search.
//!
//! Server-rendered from the search's own parameters (the same query string as `/`), with
//! the two lists of `/api/top` side by side; each name links to the search narrowed to it.
//! A page of its own rather than a panel of the search page, so that the search page does
//! not pay for two counts over every hit on each view.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, html};

use super::AppState;
use super::api::top_from;
use super::web::{describe, html_response, layout, link_with, query_string};
use crate::display::{count, format_cop, format_int};
use crate::model::Modality;
use crate::query::SearchParams;
use crate::query::top::{Top, TopBy, TopEntry, TopOrder};

/// Entries in each list.
const LIMIT: usize = 20;

fn pct(x: f64) -> String {
    if x > 0.0 && x < 0.001 {
        "< 0,1 %".into()
    } else {
        format!("{:.1} %", x * 100.0).replace('.', ",")
    }
}

/// The search narrowed to one buyer or supplier.
fn narrowed(p: &SearchParams, by: TopBy, e: &TopEntry) -> String {
    let value = e.id.clone().unwrap_or_else(|| e.name.clone());
    link_with(p, |q| match (by, &e.id) {
        (TopBy::Buyer, Some(_)) => q.nit = Some(value),
        (TopBy::Buyer, None) => q.entity = Some(value),
        (TopBy::Supplier, _) => q.supplier = Some(value),
    })
}

/// "31 de 50 procesos, $ 1.234.567", for the cell's title.
fn direct_note(e: &TopEntry) -> String {
    format!(
        "{} de {} por contratación directa, {}",
        format_int(e.direct_count),
        count(e.count, "proceso", "procesos"),
        format_cop(e.direct_value)
    )
}

/// The search narrowed to one buyer or supplier and to direct contracting.
fn narrowed_direct(p: &SearchParams, by: TopBy, e: &TopEntry) -> String {
    let mut q = p.clone();
    q.modality = Some(Modality::ContratacionDirecta.code().to_string());
    narrowed(&q, by, e)
}

/// Names with their processes, `; ` between them, and how many more there are.
fn counted<'a>(items: impl Iterator<Item = (&'a str, u64)>, rest: usize) -> Markup {
    html! {
        @for (i, (name, n)) in items.enumerate() {
            @if i > 0 { "; " }
            (name) " (" (format_int(n)) ")"
        }
        @if rest > 0 {
            " y " (format_int(rest as u64)) " más"
        }
    }
}

/// Under a buyer's name, the other names its NIT publishes under (ICBF's regional offices,
/// a city's secretariats): the row counts the whole NIT, not only the unit named.
fn other_names(e: &TopEntry) -> Markup {
    let Some(n) = e.names.filter(|&n| n > 1) else {
        return html! {};
    };
    let rest = (n as usize).saturating_sub(1 + e.other_names.len());
    let names = e.other_names.iter().map(|o| (o.name.as_str(), o.count));
    html! {
        div.hint.names {
            "Este NIT publica con " (format_int(n)) " nombres; también: "
            (counted(names, rest)) "."
        }
    }
}

/// Under a buyer's name, the municipalities its NIT's processes are seated in when there
/// are several: a national entity's regional offices, or two entities under one NIT (a NIT
/// mistyped on SECOP I: Abejorral's, 890981195, on rows of Ábrego's mayor's office).
fn seats(e: &TopEntry) -> Markup {
    let Some(n) = e.municipalities else {
        return html! {};
    };
    let rest = (n as usize).saturating_sub(e.seats.len());
    let places = e.seats.iter().map(|s| (s.name.as_str(), s.count));
    html! {
        div.hint.seats {
            "Sus procesos están en " (count(n, "municipio", "municipios")) ": "
            (counted(places, rest))
            ". Un mismo NIT en varios municipios son oficinas de una entidad nacional o un NIT mal digitado."
        }
    }
}

fn list(p: &SearchParams, t: &Top, order: TopOrder) -> Markup {
    let (title, who, value_note) = match t.by {
        TopBy::Buyer => (
            "Quién compra",
            "Entidad",
            "Valor de sus procesos (estimado; si no, adjudicado).",
        ),
        TopBy::Supplier => (
            "Quién gana",
            "Proveedor",
            "Valor de lo que ganó: sus propias adjudicaciones o contratos (si varios proveedores ganaron partes de un proceso, cada uno cuenta su parte).",
        ),
    };
    let id = match t.by {
        TopBy::Buyer => "compradores",
        TopBy::Supplier => "proveedores",
    };
    html! {
        section.top aria-labelledby=(id) {
            h2 #(id) { (title) }
            p.hint {
                @if t.by == TopBy::Buyer {
                    (count(t.distinct, "entidad", "entidades"))
                } @else {
                    (count(t.distinct, "proveedor", "proveedores"))
                }
                " en " (count(t.total, "proceso", "procesos"))
                @if t.without > 0 {
                    " (" (format_int(t.without))
                    @if t.by == TopBy::Buyer { " sin entidad" } @else { " sin proveedor adjudicado" }
                    ")"
                }
                ". " (value_note)
            }
            @if t.entries.is_empty() {
                p { "Ninguno en estos resultados." }
            } @else {
                div.table-wrap {
                    table {
                        thead {
                            tr {
                                th scope="col" class="num" { "#" }
                                th scope="col" { (who) }
                                th scope="col" class="id" { "NIT o documento" }
                                th scope="col" class="num" { "Procesos" }
                                th scope="col" class="num" { "Valor" }
                                th scope="col" class="num" {
                                    @if order == TopOrder::Value { "% del valor" } @else { "% de los procesos" }
                                }
                                th scope="col" class="num" title="Parte de sus procesos por contratación directa, sin ofertas que compitan" {
                                    "Contratación directa (% de sus procesos)"
                                }
                            }
                        }
                        tbody {
                            @for (i, e) in t.entries.iter().enumerate() {
                                tr {
                                    td.num { (i + 1) }
                                    td {
                                        a href=(narrowed(p, t.by, e)) { (e.name) }
                                        (other_names(e))
                                        (seats(e))
                                    }
                                    td.id { (e.id.as_deref().unwrap_or("—")) }
                                    td class="num" { (format_int(e.count)) }
                                    td class="num" { (format_cop(e.value)) }
                                    td class="num" {
                                        (pct(if order == TopOrder::Value { e.value_share } else { e.count_share }))
                                    }
                                    td class="num direct" title=(direct_note(e)) {
                                        @if e.direct_count > 0 {
                                            a href=(narrowed_direct(p, t.by, e)) { (pct(e.direct_share())) }
                                        } @else {
                                            (pct(0.0))
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

/// `GET /quien`: the biggest buyers and suppliers of the search in the query string.
pub async fn top_page(State(st): State<AppState>, uri: Uri) -> Response {
    let (params, search, top) = match top_from(&uri) {
        Ok(x) => x,
        Err(e) => return page(e.status, "", html! { p role="alert" { (e.message.es()) } }),
    };
    let order = top.validate().map(|(_, o, _)| o).unwrap_or(TopOrder::Value);
    let s = search.clone();
    let lists = st
        .with_engine(move |e| {
            Ok((
                e.top(&s, TopBy::Buyer, order, LIMIT)?,
                e.top(&s, TopBy::Supplier, order, LIMIT)?,
            ))
        })
        .await;
    let (buyers, suppliers) = match lists {
        Ok(x) => x,
        Err(e) => return page(e.status, "", html! { p role="alert" { (e.message.es()) } }),
    };
    let mut base = params.clone();
    base.sort = None;
    base.per_page = None;
    let qs = query_string(&base);
    let sep = if qs.is_empty() { "" } else { "&" };
    let with_order = |o: &str| format!("/quien?{qs}{sep}order={o}");
    let api = |by: &str| format!("/api/top?{qs}{sep}by={by}&order={}", order.as_str());
    let described = describe(&params);
    let body = html! {
        h1 { "Quién compra y quién gana" }
        p.lead {
            "Las entidades que más contratan y los proveedores que más ganan en "
            @if described.is_empty() { "todo el índice" } @else { "esta búsqueda: " strong { (described) } }
            ", contados sobre todos los resultados, no solo la primera página."
        }
        p {
            a href=(link_with(&params, |_| {})) { "← Volver a los resultados" }
        }
        nav.sorts aria-label="Ordenar las listas" {
            span { "Ordenar por: " }
            ul {
                li {
                    a href=(with_order("value")) aria-current=[(order == TopOrder::Value).then_some("true")] { "valor" }
                }
                li {
                    a href=(with_order("count")) aria-current=[(order == TopOrder::Count).then_some("true")] { "número de procesos" }
                }
            }
        }
        // Both lists come from the same search, hence the same warnings.
        @for w in &buyers.warnings {
            p.warning role="status" { (w.es()) }
        }
        div.top-lists {
            (list(&params, &buyers, order))
            (list(&params, &suppliers, order))
        }
        p.hint {
            "Los mismos datos en JSON: "
            a href=(api("buyer")) { "entidades" } ", "
            a href=(api("supplier")) { "proveedores" } "."
        }
    };
    page(StatusCode::OK, &described, body)
}

fn page(status: StatusCode, described: &str, body: Markup) -> Response {
    let title = if described.is_empty() {
        "Quién compra y quién gana".to_string()
    } else {
        format!("Quién compra y quién gana · {described}")
    };
    html_response(status, layout(&title, "/quien", html! {}, body))
}
