//! The "Duplicados" view: processes of one entity that look published on both platforms,
//! or twice on one, with the score, the reasons and both originals.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, html};

use super::AppState;
use super::api::run_duplicates;
use super::web::{html_response, input, layout, process_path};
use crate::dedup::{DuplicatePair, DuplicateParams, PairKind, PairSide, Scan};
use crate::display::{count, format_cop, format_int};

fn side(s: &PairSide) -> Markup {
    let badge = match s.platform {
        Some(crate::model::Platform::SecopI) => "secop1",
        _ => "secop2",
    };
    html! {
        div.side {
            p {
                span class={ "badge " (badge) } { (s.platform_label) }
                " " code { (s.process_id) }
                @if let Some(r) = &s.reference { " · " (r) }
            }
            p.title { a href=(process_path(&s.key)) { (s.title) } }
            p.muted {
                (s.buyer)
                @if let Some(d) = &s.published { " · publicado " (d) }
                @if let Some(v) = s.value { " · " (format_cop(v)) }
                " · " (s.modality) " · " (s.status)
            }
            p { a href=(s.link) rel="noopener noreferrer" { "Ver en " (s.platform_label) } }
        }
    }
}

fn pair(p: &DuplicatePair) -> Markup {
    html! {
        li.pair {
            p.score {
                strong { (format!("{:.0} %", p.score * 100.0)) }
                " · "
                @match p.kind {
                    PairKind::CrossPlatform => "publicado en las dos plataformas",
                    PairKind::SamePlatform => "dos veces en la misma plataforma",
                }
            }
            div.sides { (side(&p.a)) (side(&p.b)) }
            ul.reasons { @for r in &p.reasons { li { (r) } } }
        }
    }
}

fn body(params: &DuplicateParams, scan: Option<&Scan>, message: Option<&str>) -> Markup {
    let cross = params
        .cross_platform
        .as_deref()
        .is_some_and(|v| v == "true" || v == "on");
    html! {
        h1 { "Procesos publicados dos veces" }
        p.lead {
            "Un proceso vive en una sola plataforma. Aquí están los procesos que parecen publicados "
            "en SECOP I y en SECOP II, o dos veces en la misma, con un puntaje y las razones: "
            "los de una entidad si escribe su NIT o su nombre, si no los de todas."
        }
        form.search method="get" action="/duplicados" {
            div.filters {
                (input("nit", "NIT o nombre de la entidad", "text", params.nit.as_deref(), html! {}))
                (input("min_score", "Puntaje mínimo (0 a 1)", "number", params.min_score.as_deref(), html! { }))
                div.field {
                    label for="cross_platform" {
                        input type="checkbox" id="cross_platform" name="cross_platform" value="true" checked[cross];
                        " Solo entre plataformas"
                    }
                }
            }
            button type="submit" { "Buscar duplicados" }
        }
        @if let Some(m) = message { p role="alert" { (m) } }
        @if let Some(s) = scan {
            p.hint {
                (count(s.stats.found, "par encontrado", "pares encontrados")) " entre "
                (count(s.stats.documents, "proceso", "procesos")) " de "
                (count(s.stats.entities, "entidad", "entidades")) " ("
                (format!("{:.0}", s.stats.took_ms)) " ms)."
                @if let Some(r) = &s.report {
                    " Informe de todas las entidades calculado el "
                    (r.computed_at.replace('T', " a las ").trim_end_matches('Z')) " UTC"
                    @if r.truncated { ", limitado a los " (format_int(crate::dedup::REPORT_MAX_PAIRS as u64)) " mejores pares" }
                    "; se recalcula cuando el índice cambia."
                }
            }
            @if s.pairs.is_empty() {
                p { "Ningún par alcanza el puntaje. Las entidades publican a menudo procesos casi iguales pero distintos (contratos mensuales, por ejemplo): no se cuentan como duplicados." }
            } @else {
                ol.pairs { @for p in &s.pairs { (pair(p)) } }
            }
        }
    }
}

/// `GET /duplicados`.
pub async fn duplicates_page(State(st): State<AppState>, uri: Uri) -> Response {
    let params: DuplicateParams = match serde_urlencoded::from_str(uri.query().unwrap_or("")) {
        Ok(p) => p,
        Err(e) => {
            let m = format!("No se pudo leer la dirección: {e}");
            return page(
                StatusCode::BAD_REQUEST,
                html! {},
                body(&DuplicateParams::default(), None, Some(&m)),
            );
        }
    };
    match run_duplicates(&st, params.clone()).await {
        Ok(scan) => page(StatusCode::OK, html! {}, body(&params, Some(&scan), None)),
        Err(e) if e.code == "report_pending" => {
            // Reload by itself when the report should be ready.
            let secs = e.retry_after.unwrap_or(5).clamp(2, 60);
            let head = html! { meta http-equiv="refresh" content=(secs); };
            let m = format!(
                "Se está calculando el informe de todas las entidades; esta página se recargará en {secs} s. \
                 Para una sola entidad, escriba su NIT o su nombre."
            );
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                head,
                body(&params, None, Some(&m)),
            )
        }
        Err(e) => page(
            e.status,
            html! {},
            body(&params, None, Some(e.message.es())),
        ),
    }
}

fn page(status: StatusCode, head: Markup, b: Markup) -> Response {
    html_response(status, layout("Duplicados", "/duplicados", head, b))
}
