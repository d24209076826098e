//! The JSON endpoints and their OpenAPI description, generated from the code.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use std::time::Duration;

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::OpenApi;

use super::AppState;
use super::duplicates_report::Lookup;
use super::error::{ApiError, ErrorBody};
use super::views::{MonthlyResponse, ProcessResponse, SearchResponse};
use super::web::urlencode;
use crate::query::{SearchParams, relax};

/// The OpenAPI description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "secop-bridge",
        description = "One search over SECOP I and SECOP II, Colombia's public-procurement platforms. Read-only.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        search,
        process,
        monthly,
        transition,
        top,
        duplicates,
        super::export::export,
        super::feed::feed,
        stats,
        healthz,
        openapi_json
    ),
    components(schemas(
        SearchResponse,
        ProcessResponse,
        MonthlyResponse,
        ErrorBody,
        crate::model::Process,
        crate::transition::Transition,
        crate::dedup::Scan,
        crate::query::top::Top
    ))
)]
pub struct ApiDoc;

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/search", get(search))
        .route("/api/processes/{id}", get(process))
        .route("/api/monthly", get(monthly))
        .route("/api/transition", get(transition))
        .route("/api/top", get(top))
        .route("/api/duplicates", get(duplicates))
        .route("/api/export", get(super::export::export))
        .route("/api/feed.atom", get(super::feed::feed))
        .route("/api/stats", get(stats))
        .route("/api/openapi.json", get(openapi_json))
        .route("/healthz", get(healthz))
}

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(flatten)]
    params: SearchParams,
    facets: Option<String>,
}

/// Parses the query string into search parameters, with a JSON 400 on failure.
pub fn params_from(uri: &Uri) -> Result<(SearchParams, bool), ApiError> {
    let q = uri.query().unwrap_or("");
    let parsed: SearchQuery = serde_urlencoded::from_str(q).map_err(unreadable_query)?;
    let facets = match parsed.facets.as_deref().map(str::trim) {
        None | Some("") | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(other) => {
            return Err(ApiError::bad_request(crate::Message::new(
                format!("facets must be true or false; got {other:?}"),
                format!("facets debe ser true o false, no «{other}»"),
            )));
        }
    };
    Ok((parsed.params, facets))
}

/// Search both platforms.
#[utoipa::path(
    get,
    path = "/api/search",
    params(SearchParams, ("facets" = Option<bool>, Query, description = "Compute facet counts (default true)")),
    responses(
        (status = 200, description = "A page of hits, the total, facets and the next cursor", body = SearchResponse),
        (status = 400, description = "A parameter is wrong; the message says how to fix it", body = ErrorBody),
        (status = 503, description = "Too many searches at once; retry after the Retry-After seconds", body = ErrorBody),
    )
)]
pub async fn search(State(st): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    check_names(&uri, &["facets"])?;
    let (params, facets) = params_from(&uri)?;
    let s = params.validate()?;
    // Changes with every commit the reader follows: no stale answers.
    let generation = st.engine.index().contents_id();
    let key = format!("{generation}|{facets}|{s:?}");
    let (page, per_page) = (s.page, s.per_page);
    let engine = st.clone();
    let (body, source) = st
        .cache
        .get_or_compute(key, || async move {
            let (r, wider) = engine
                .with_engine(move |e| relax::search_or_widen(e, &s, &params, facets))
                .await?;
            serde_json::to_vec(&SearchResponse::new(r, page, per_page).with_relaxations(&wider))
                .map(Bytes::from)
                .map_err(|e| ApiError::from(crate::Error::Other(e.to_string())))
        })
        .await?;
    Ok(json_bytes(body, source.as_str()))
}

/// A JSON answer from serialised bytes, saying whether it came from the cache.
fn json_bytes(body: Bytes, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::HeaderName::from_static("x-cache"), cache),
        ],
        body,
    )
        .into_response()
}

/// One process, by any identifier.
#[utoipa::path(
    get,
    path = "/api/processes/{id}",
    params(("id" = String, Path, description = "Any identifier: key, CO1.BDOS/REQ/NTC/PCCNTR, constancia, uid, reference, NIT")),
    responses(
        (status = 200, description = "The record with its awards, contracts and the link back", body = ProcessResponse),
        (status = 404, description = "No process has this identifier", body = ErrorBody),
    )
)]
pub async fn process(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ProcessResponse>, ApiError> {
    if id.len() > 300 {
        return Err(ApiError::bad_request(crate::Message::new(
            "the identifier is too long",
            "el identificador es demasiado largo",
        )));
    }
    let key = id.clone();
    match st.with_engine(move |e| e.find(&key)).await? {
        Some(found) => Ok(Json(ProcessResponse::new(found))),
        None => Err(ApiError::not_found(crate::Message::new(
            format!(
                "no process has the identifier {id:?}; try /api/search?q={}",
                urlencode(&id)
            ),
            format!(
                "ningún proceso tiene el identificador «{id}»; búsquelo con /?q={}",
                urlencode(&id)
            ),
        ))),
    }
}

/// Checks the names of an API request's parameters: each known (the search parameters and
/// `extra`) and given once. A misspelt filter (`deparment=05`) would otherwise be ignored
/// and answer every process; a repeated one would fail with the deserializer's English.
/// (The web page stays lenient: links shared with tracking parameters still open.)
pub fn check_names(uri: &Uri, extra: &[&str]) -> Result<(), ApiError> {
    use utoipa::IntoParams;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).map_err(unreadable_query)?;
    let mut known: Vec<String> = SearchParams::into_params(|| None)
        .into_iter()
        .map(|p| p.name)
        .collect();
    known.extend(extra.iter().map(|s| s.to_string()));
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in &pairs {
        if !known.contains(name) {
            let close = known
                .iter()
                .map(|k| (strsim::damerau_levenshtein(&name.to_lowercase(), k), k))
                .filter(|(d, _)| *d <= 2)
                .min_by_key(|(d, _)| *d)
                .map(|(_, k)| k.as_str());
            let (en, es) = match close {
                Some(k) => (
                    format!("; did you mean {k}?"),
                    format!("; ¿quiso decir {k}?"),
                ),
                None => (
                    "; see /api/openapi.json".to_string(),
                    "; vea /api/openapi.json".to_string(),
                ),
            };
            return Err(ApiError::bad_request(crate::Message::new(
                format!("unknown parameter {name:?}{en}"),
                format!("parámetro desconocido «{name}»{es}"),
            )));
        }
        if seen.contains(&name.as_str()) && name == "q" {
            return Err(ApiError::bad_request(crate::Message::new(
                "q is given twice: put all the words in one q (q=obra vial)",
                "q aparece dos veces: escriba todas las palabras en un solo q (q=obra vial)",
            )));
        }
        if seen.contains(&name.as_str()) {
            return Err(ApiError::bad_request(crate::Message::new(
                format!(
                    "{name} is given twice: give it once, several values joined by commas ({name}=a,b)"
                ),
                format!(
                    "{name} aparece dos veces: escríbalo una vez, con los valores separados por comas ({name}=a,b)"
                ),
            )));
        }
        seen.push(name);
    }
    Ok(())
}

/// Refuses the search parameters an endpoint has no use for (an export's `page` or
/// `sort`), which would otherwise be ignored without a word: `why` says what the endpoint
/// gives instead, in English and Spanish.
pub fn refuse(params: &SearchParams, names: &[&str], why: (&str, &str)) -> Result<(), ApiError> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|x| !x.trim().is_empty());
    let fields = [
        ("page", &params.page),
        ("per_page", &params.per_page),
        ("cursor", &params.cursor),
        ("sort", &params.sort),
    ];
    match fields.iter().find(|(n, v)| names.contains(n) && given(v)) {
        Some((name, _)) => Err(ApiError::bad_request(crate::Message::new(
            format!("{name} does not apply here: {}", why.0),
            format!("{name} no se aplica aquí: {}", why.1),
        ))),
        None => Ok(()),
    }
}

/// A query string that does not even parse as `key=value` pairs.
pub(crate) fn unreadable_query(e: serde_urlencoded::de::Error) -> ApiError {
    ApiError::bad_request(crate::Message::new(
        format!("cannot read the query string: {e}"),
        format!("no se pueden leer los parámetros de la dirección ({e})"),
    ))
}

/// Number and value of processes per month for a search (for charts).
#[utoipa::path(
    get,
    path = "/api/monthly",
    params(SearchParams),
    responses(
        (status = 200, description = "Months in order with counts and summed values, per platform", body = MonthlyResponse),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
    )
)]
pub async fn monthly(
    State(st): State<AppState>,
    uri: Uri,
) -> Result<Json<MonthlyResponse>, ApiError> {
    check_names(&uri, &[])?;
    let (params, _) = params_from(&uri)?;
    let s = params.validate()?;
    let months = st.with_engine(move |e| e.monthly(&s)).await?;
    Ok(Json(MonthlyResponse { months }))
}

#[derive(Debug, Default, Deserialize)]
struct TopQuery {
    #[serde(flatten)]
    params: SearchParams,
    #[serde(flatten)]
    top: crate::query::top::TopParams,
}

/// The search and the top parameters of a query string, checked.
pub fn top_from(
    uri: &Uri,
) -> Result<
    (
        SearchParams,
        crate::query::Search,
        crate::query::top::TopParams,
    ),
    ApiError,
> {
    let q: TopQuery =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).map_err(unreadable_query)?;
    let s = q.params.validate()?;
    q.top.validate()?;
    Ok((q.params, s, q.top))
}

/// Who buys and who wins: the buyers or the suppliers of a search's hits.
#[utoipa::path(
    get,
    path = "/api/top",
    params(SearchParams, crate::query::top::TopParams),
    responses(
        (status = 200, description = "The biggest buyers or suppliers of the hits, by value or number of processes, with their shares; counted exactly over every hit", body = crate::query::top::Top),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
        (status = 503, description = "Too many searches at once; retry after the Retry-After seconds", body = ErrorBody),
    )
)]
pub async fn top(State(st): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let (_, s, params) = top_from(&uri)?;
    let (by, order, limit) = params.validate()?;
    let generation = st.engine.index().contents_id();
    let key = format!("top|{generation}|{by:?}|{order:?}|{limit}|{s:?}");
    let engine = st.clone();
    let (body, source) = st
        .cache
        .get_or_compute(key, || async move {
            let t = engine
                .with_engine(move |e| e.top(&s, by, order, limit))
                .await?;
            serde_json::to_vec(&t)
                .map(Bytes::from)
                .map_err(|e| ApiError::from(crate::Error::Other(e.to_string())))
        })
        .await?;
    Ok(json_bytes(body, source.as_str()))
}

/// How far entities have moved from SECOP I to SECOP II.
#[utoipa::path(
    get,
    path = "/api/transition",
    params(crate::transition::TransitionParams),
    responses(
        (status = 200, description = "Processes and value per platform and month, the SECOP II share, and the entities with their share (those still publishing mostly on SECOP I flagged). A share is null when the index has no data for one platform in that period.", body = crate::transition::Transition),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
    )
)]
pub async fn transition(
    State(st): State<AppState>,
    uri: Uri,
) -> Result<Json<crate::transition::Transition>, ApiError> {
    let q = uri.query().unwrap_or("");
    let params: crate::transition::TransitionParams =
        serde_urlencoded::from_str(q).map_err(unreadable_query)?;
    let req = params.validate()?;
    let t = st
        .with_engine(move |e| crate::transition::run(e, &req))
        .await?;
    Ok(Json(t))
}

/// Runs the duplicate detector for the parameters of a request (shared with the page): one
/// entity is scanned at once; every entity is answered from the background report
/// ([`super::duplicates_report`]), or a 503 with `Retry-After` while it is computed.
pub async fn run_duplicates(
    st: &AppState,
    params: crate::dedup::DuplicateParams,
) -> Result<crate::dedup::Scan, ApiError> {
    let opts = params.validate()?;
    if opts.nit.is_some() {
        return st
            .with_engine(move |e| crate::dedup::scan(e.index(), &opts))
            .await;
    }
    let wait = (st.config.request_timeout / 2).min(Duration::from_secs(5));
    match duplicates_report(st, opts.window_days, wait).await {
        Lookup::Ready(report) => Ok(report.select(&opts)?),
        Lookup::Pending {
            running,
            retry_after,
        } => Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "report_pending",
            message: crate::Message::new(
                format!(
                    "the duplicate report of every entity has been computing for {} s; retry in {} s, or give nit= for one entity at once",
                    running.as_secs(),
                    retry_after.as_secs()
                ),
                format!(
                    "el informe de duplicados de todas las entidades lleva {} s calculándose; vuelva en {} s, o escriba el NIT de una entidad para verla ya",
                    running.as_secs(),
                    retry_after.as_secs()
                ),
            ),
            retry_after: Some(retry_after.as_secs()),
        }),
        Lookup::Failed(m) => {
            tracing::error!(error = %m, "duplicate report failed");
            Err(ApiError::from(crate::Error::Other(m)))
        }
    }
}

/// The duplicate report of every entity for the index's current contents and `window`
/// days, started when missing, awaited for at most `wait`. It leaves a core to searches.
pub async fn duplicates_report(st: &AppState, window: u32, wait: Duration) -> Lookup {
    let index = st.engine.index();
    let contents = index.contents_id();
    // ≈ 60,000 documents a second on one thread of this machine's cores.
    let estimate = Duration::from_secs_f64(index.num_docs() as f64 / 60_000.0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .max(1);
    let engine = st.engine.clone();
    st.duplicates
        .obtain(contents, window, wait, estimate, move || {
            crate::dedup::Scan::report(engine.index(), window, threads, contents)
        })
        .await
}

/// Processes that look published on both platforms, or twice on one.
#[utoipa::path(
    get,
    path = "/api/duplicates",
    params(crate::dedup::DuplicateParams),
    responses(
        (status = 200, description = "Pairs best first, each with the score between 0 and 1, the reasons in Spanish and both originals' links; with the run's counts. Without nit, the pairs come from the report of every entity, computed once per index generation (`report` says when)", body = crate::dedup::Scan),
        (status = 400, description = "A parameter is wrong (without nit, min_score must be at least 0.5)", body = ErrorBody),
        (status = 503, description = "Without nit: the report of every entity is being computed; retry after the Retry-After seconds", body = ErrorBody),
    )
)]
pub async fn duplicates(
    State(st): State<AppState>,
    uri: Uri,
) -> Result<Json<crate::dedup::Scan>, ApiError> {
    let params: crate::dedup::DuplicateParams =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).map_err(unreadable_query)?;
    Ok(Json(run_duplicates(&st, params).await?))
}

/// What the index holds.
#[utoipa::path(
    get,
    path = "/api/stats",
    responses((status = 200, description = "Documents per platform and dataset, the last harvest of each source, index size and segments (and how many `secop compact` would merge), runs, quarantine, and the search cache (entries, bytes, hits, misses, shared)", body = Object))
)]
pub async fn stats(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let dir = st.config.data_dir.clone();
    let mut v = st
        .with_engine(move |e| crate::stats::collect(&dir, e))
        .await?;
    if let serde_json::Value::Object(m) = &mut v {
        m.insert(
            "search_cache".into(),
            serde_json::to_value(st.cache.stats()).unwrap_or_default(),
        );
    }
    Ok(Json(v))
}

/// Liveness and the number of documents served.
#[utoipa::path(
    get,
    path = "/healthz",
    responses((status = 200, description = "The server is up", body = Object))
)]
pub async fn healthz(State(st): State<AppState>) -> Response {
    let docs = st.engine.index().num_docs();
    Json(serde_json::json!({"status": "ok", "documents": docs})).into_response()
}

/// This description.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    responses((status = 200, description = "The OpenAPI 3 description of the API", body = Object))
)]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
