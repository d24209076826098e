//! The "Transición" view: how far entities have moved from SECOP I to SECOP II.
//!
//! Server-rendered like the search page (a GET form whose parameters are those of
//! `/api/transition`): the monthly table, a chart of the SECOP II share drawn by
//! `/assets/app.js` from the same API, and the entities with their share, sortable by
//! column, each linking to its processes and its duplicates.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, html};

use super::AppState;
use super::web::{html_response, input, layout, select, urlencode};
use crate::display::{format_cop, format_int};
use crate::normalize::place::Divipola;
use crate::transition::{Month, Tally, Transition, TransitionParams};

fn pct(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_string(), |v| format!("{:.0} %", v * 100.0))
}

fn query(p: &TransitionParams, sort: Option<&str>) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("nit", p.nit.as_deref()),
        ("department", p.department.as_deref()),
        ("municipality", p.municipality.as_deref()),
        ("from", p.from.as_deref()),
        ("to", p.to.as_deref()),
        ("sort", sort.or(p.sort.as_deref())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(str::trim).filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn form(p: &TransitionParams) -> Markup {
    let d = Divipola::get();
    let depts: Vec<(String, String)> = d
        .departments()
        .iter()
        .map(|x| (x.code.clone(), x.name.clone()))
        .collect();
    let dept = p
        .department
        .as_deref()
        .and_then(|x| d.find_department(x))
        .map(|x| x.code.clone());
    html! {
        form.search method="get" action="/transicion" {
            div.filters {
                (select("department", "Departamento", dept.as_deref(), &depts, "Todo el país"))
                (input("municipality", "Municipio (código o nombre)", "text", p.municipality.as_deref(), html! {}))
                (input("nit", "NIT de la entidad", "text", p.nit.as_deref(), html! {}))
                (input("from", "Desde (mes)", "month", p.from.as_deref(), html! {}))
                (input("to", "Hasta (mes)", "month", p.to.as_deref(), html! {}))
            }
            @if let Some(s) = p.sort.as_deref() { input type="hidden" name="sort" value=(s); }
            button type="submit" { "Ver la transición" }
        }
    }
}

fn tally(t: Option<Tally>) -> (Markup, Markup) {
    match t {
        Some(t) => (
            html! { (format_int(t.count)) },
            html! { (format_cop(t.value)) },
        ),
        None => (html! { span.muted { "sin datos" } }, html! {}),
    }
}

fn month_row(m: &Month, total: bool) -> Markup {
    let (c1, v1) = tally(m.secop1);
    let (c2, v2) = tally(m.secop2);
    html! {
        tr.total[total] {
            th scope="row" {
                @if total { "Total, meses con ambas plataformas: " br; }
                (m.month)
            }
            td.num { (c1) } td.money { (v1) }
            td.num { (c2) } td.money { (v2) }
            td.num { (pct(m.share_secop2)) }
            td.num { (pct(m.share_secop2_value)) }
            td { (m.note.as_deref().unwrap_or("")) }
        }
    }
}

fn sort_header(p: &TransitionParams, key: &str, label: &str) -> Markup {
    let current = p.sort.as_deref().unwrap_or("share") == key;
    html! {
        th scope="col" aria-sort=(if current { if key == "share" || key == "name" { "ascending" } else { "descending" } } else { "none" }) {
            a href={ "/transicion?" (query(p, Some(key))) } { (label) @if current { " ▾" } }
        }
    }
}

fn body(p: &TransitionParams, t: &Transition) -> Markup {
    let qs = query(p, None);
    html! {
        h1 { "Transición de SECOP I a SECOP II" }
        p.lead {
            "Procesos y valor publicados en cada plataforma, mes a mes, y la parte publicada en SECOP II. "
            "Las entidades que siguen publicando sobre todo en SECOP I se marcan."
        }
        (form(p))
        p.hint {
            "Datos en el índice: SECOP I "
            @match &t.coverage.secop1 { Some((a, b)) => { (a) " a " (b) }, None => { "ninguno" } }
            ", SECOP II "
            @match &t.coverage.secop2 { Some((a, b)) => { (a) " a " (b) }, None => { "ninguno" } }
            ". Un mes sin datos de una plataforma no tiene porcentaje: no es un 0 %."
        }
        section.chart aria-labelledby="transicion-titulo" {
            h2 #transicion-titulo { "Parte publicada en SECOP II, por mes" }
            div #grafico-transicion data-src={ "/api/transition" @if !qs.is_empty() { "?" (qs) } } role="img"
                aria-label="Gráfico de la parte de procesos publicada en SECOP II por mes; los datos están en la tabla siguiente" {}
            noscript { p { "El gráfico necesita JavaScript; los datos están en la tabla." } }
        }
        section {
            h2 { "Mes a mes" }
            div.table-wrap {
                table {
                    caption.visually-hidden { "Procesos y valor por plataforma y mes" }
                    thead {
                        tr {
                            th scope="col" { "Mes" }
                            th scope="col" { "SECOP I" } th scope="col" { "Valor SECOP I" }
                            th scope="col" { "SECOP II" } th scope="col" { "Valor SECOP II" }
                            th scope="col" { "% SECOP II (procesos)" } th scope="col" { "% SECOP II (valor)" }
                            th scope="col" { "Nota" }
                        }
                    }
                    tbody {
                        @for m in &t.months { (month_row(m, false)) }
                        (month_row(&t.totals, true))
                    }
                }
            }
        }
        section {
            h2 { "Entidades" }
            p.hint { (format_int(t.entity_count)) " entidades; se muestran " (t.entities.len()) ". La parte en SECOP II cuenta el periodo que ambas plataformas cubren en el índice." }
            div.table-wrap {
                table {
                    caption.visually-hidden { "Entidades con su parte en SECOP II" }
                    thead {
                        tr {
                            (sort_header(p, "name", "Entidad"))
                            th scope="col" { "NIT" }
                            (sort_header(p, "count", "Procesos SECOP I / II"))
                            (sort_header(p, "value", "Valor SECOP I / II"))
                            (sort_header(p, "share", "% SECOP II"))
                            th scope="col" { "Ver" }
                        }
                    }
                    tbody {
                        @for e in &t.entities {
                            tr.flag[e.mostly_secop1] {
                                td {
                                    (e.name)
                                    @if e.mostly_secop1 { " " span.badge.secop1 { "sobre todo SECOP I" } }
                                }
                                td { (e.nit.as_deref().unwrap_or("")) }
                                td.num { (format_int(e.secop1.count)) " / " (format_int(e.secop2.count)) }
                                td.money { (format_cop(e.secop1.value)) " / " (format_cop(e.secop2.value)) }
                                td.num title={ (format_int(e.share_basis.1)) " de " (format_int(e.share_basis.0 + e.share_basis.1)) " procesos en los meses con datos de ambas plataformas" } {
                                    (pct(e.share_secop2))
                                    @if (e.share_basis.0, e.share_basis.1) != (e.secop1.count, e.secop2.count) {
                                        br; span.muted { "(" (format_int(e.share_basis.1)) " de " (format_int(e.share_basis.0 + e.share_basis.1)) ")" }
                                    }
                                }
                                td {
                                    @let (filter, entity) = match &e.nit {
                                        Some(n) => (format!("nit={}", urlencode(n)), urlencode(n)),
                                        None => (format!("entity={}", urlencode(&e.name)), urlencode(&e.name)),
                                    };
                                    a href={ "/?" (filter) } { "procesos" }
                                    " · "
                                    a href={ "/duplicados?nit=" (entity) } { "duplicados" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /transicion`.
pub async fn transition_page(State(st): State<AppState>, uri: Uri) -> Response {
    let params: TransitionParams = match serde_urlencoded::from_str(uri.query().unwrap_or("")) {
        Ok(p) => p,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("No se pudo leer la dirección: {e}"),
            );
        }
    };
    let req = match params.validate() {
        Ok(r) => r,
        Err(e) => {
            let e = super::ApiError::from(e);
            return error(e.status, e.message.es());
        }
    };
    match st
        .with_engine(move |e| crate::transition::run(e, &req))
        .await
    {
        Ok(t) => {
            let head = html! {
                link rel="stylesheet" href="/assets/uPlot.min.css";
                script src="/assets/uPlot.iife.min.js" defer {}
                script src="/assets/app.js" defer {}
            };
            html_response(
                StatusCode::OK,
                layout("Transición", "/transicion", head, body(&params, &t)),
            )
        }
        Err(e) => error(e.status, e.message.es()),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let b = html! {
        h1 { "Transición de SECOP I a SECOP II" }
        p role="alert" { (message) }
        p { a href="/transicion" { "Volver a empezar" } }
    };
    html_response(status, layout("Transición", "/transicion", html! {}, b))
}
