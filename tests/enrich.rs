//! `secop enrich` end to end, without the internet: a mock SECOP I portal (axum on
//! 127.0.0.1:0) serves the three real detail pages, robots.txt, and synthetic block pages.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use secop_bridge::enrich::{self, BlockKind, Options, Outcome, Politeness, Stop, decode, page};
use secop_bridge::index::SecopIndex;
use secop_bridge::ingest::files::{Silent, import_files};
use secop_bridge::model::{Process, Status};
use secop_bridge::query::{Engine, SearchParams};
use secop_bridge::sources::datasets::Dataset;
use secop_bridge::sources::datasets::secop1_detalle::Secop1Detalle;
use serde_json::{Value, json};

const CMA: &str = "25-15-14581710";
const LIC: &str = "25-1-240855";
const OLD: &str = "11-9-324624";
const SYNTHETIC: [&str; 3] = ["09-1-100001", "09-1-100002", "09-1-100003"];

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn page_file(constancia: &str) -> &'static str {
    match constancia {
        CMA => "fixtures/secop1/pages/detalleProceso.CMA-008-25.html",
        LIC => "fixtures/secop1/pages/detalleProceso.LIC-002-25.html",
        _ => "fixtures/secop1/pages/detalleProceso.2011.html",
    }
}

fn page_bytes(constancia: &str) -> Vec<u8> {
    std::fs::read(repo(page_file(constancia))).unwrap()
}

// ---------------------------------------------------------------------------------------
// The three real pages, parsed.

fn enrichment_of(constancia: &str) -> (Process, Value) {
    let bytes = page_bytes(constancia);
    let (text, _) = decode::decode_html(&bytes, None);
    let p = page::parse(&text);
    assert!(p.is_detail() && p.complete, "{constancia}");
    assert_eq!(p.constancia.as_deref(), Some(constancia));
    let f = Secop1Detalle.normalize(&p.to_row(constancia)).unwrap();
    assert_eq!(
        f.strong_key.as_deref(),
        Some(&*format!("secop1:{constancia}"))
    );
    let mut process = f.process;
    let e = process.enrichment.take().unwrap();
    (process, e)
}

#[test]
fn page_cma_008_25() {
    let (p, e) = enrichment_of(CMA);
    let checks: &[(&str, Value)] = &[
        ("Tipo de proceso", json!("Concurso de Méritos Abierto")),
        ("Estado del proceso", json!("Celebrado")),
        (
            "Régimen de contratación",
            json!("Estatuto General de Contratación"),
        ),
        (
            "Segmento UNSPSC",
            json!(
                "[80] Servicios de Gestion, Servicios Profesionales de Empresa y Servicios Administrativos"
            ),
        ),
        (
            "Familia UNSPSC",
            json!("[8010] Servicios de asesoría de gestión"),
        ),
        (
            "Clase UNSPSC",
            json!("[801015] Servicios de consultoría de negocios y administración corporativa"),
        ),
        ("Cuantía", json!(54_193_734)),
        ("Moneda de pago", json!("Peso Colombiano")),
        ("Tipo de contrato", json!("Prestación de Servicios")),
        ("Tipo de gasto", json!("Inversión")),
        (
            "Fuentes de financiación",
            json!([{"fuente": "Sistema General de Regalías - SGR", "valor": 54_193_734}]),
        ),
        ("BPIN", json!(["2025440350025"])),
        ("CDP", json!([{"número": "9725", "valor": 54_193_734}])),
        ("Departamento de ejecución", json!("La Guajira")),
        ("Municipio de ejecución", json!("Albania")),
        ("DIVIPOLA de ejecución", json!("44035")),
        (
            "Dirección de obtención de documentos",
            json!("Calle 4 No 4-18 Plaza principal"),
        ),
        (
            "Dirección de entrega de documentos",
            json!("Calle 4 No 4-18 Plaza principal"),
        ),
        ("Apertura", json!("2025-12-16T17:00:00")),
        ("Cierre", json!("2025-12-22T08:30:00")),
        (
            "Correo de contacto",
            json!("contratacion@albania-laguajira.gov.co"),
        ),
    ];
    for (k, v) in checks {
        assert_eq!(&e[*k], v, "{k}");
    }
    assert!(
        e["Detalle del objeto"]
            .as_str()
            .unwrap()
            .starts_with("INTERVENTORÍA TÉCNICA, ADMINISTRATIVA")
    );
    let c = &e["contratos"][0];
    assert_eq!(c["número"], "001-25");
    assert_eq!(c["contratista"], "ANGULO SERVICIOS E INGENIERIA S.A.S");
    assert_eq!(c["valor"], 54_193_734);
    assert_eq!(c["estado"], "Celebrado");
    assert_eq!(c["fecha de firma"], "2026-01-05");
    assert_eq!(c["fecha de inicio"], "2026-01-15");
    assert_eq!(c["plazo"], "2 Meses");
    assert_eq!(e["contratos"].as_array().unwrap().len(), 1);
    assert_eq!(
        e["Adjudicación"][0]["proponente"],
        "ANGULO SERVICIOS E INGENIERÍA S.A.S"
    );
    // The record's fields the page can fill.
    assert_eq!(p.status, Status::Contracted);
    assert_eq!(p.status_raw.as_deref(), Some("Celebrado"));
    assert_eq!(p.unspsc, ["80101500"]);
    assert_eq!(p.estimated_value, Some(54_193_734));
    assert_eq!(p.reference.as_deref(), Some("CMA 008-25"));
    assert_eq!(p.offers_due_at.unwrap().to_string(), "2025-12-22 08:30:00");
    for id in [
        "2025440350025",
        "9725",
        "albania-laguajira.gov.co",
        "contratacion@albania-laguajira.gov.co",
        "001-25",
    ] {
        assert!(p.ids.iter().any(|x| x == id), "{id} in {:?}", p.ids);
    }
}

#[test]
fn page_lic_002_25() {
    let (p, e) = enrichment_of(LIC);
    let checks: &[(&str, Value)] = &[
        ("Tipo de proceso", json!("Licitación Pública")),
        ("Estado del proceso", json!("Liquidado")),
        (
            "Régimen de contratación",
            json!("Estatuto General de Contratación"),
        ),
        (
            "Familia UNSPSC",
            json!("[7611] Servicios de aseo y limpieza"),
        ),
        (
            "Clase UNSPSC",
            json!(
                "[761115] Servicios de limpieza y mantenimiento de edificios generales y de oficinas"
            ),
        ),
        ("Cuantía", json!(496_519_569)),
        ("Moneda de pago", json!("Peso Colombiano")),
        ("Tipo de contrato", json!("Prestación de Servicios")),
        ("Tipo de gasto", json!("Funcionamiento")),
        (
            "Fuentes de financiación",
            json!([{"fuente": "Recursos Propios (Alcaldías, Gobernaciones y Resguardos Indígenas)", "valor": 496_519_569}]),
        ),
        (
            "CDP",
            json!([{"número": "2502060001", "valor": 496_519_569}]),
        ),
        ("Lugar de ejecución", json!("La Guajira : Albania")),
        ("DIVIPOLA de ejecución", json!("44035")),
        (
            "Dirección de obtención de documentos",
            json!("Carrera 4 No 4-48"),
        ),
        (
            "Dirección de entrega de documentos",
            json!("Calle 4 No 4-48 Plaza principal"),
        ),
        ("Apertura", json!("2025-02-18T05:00:00")),
        ("Cierre", json!("2025-02-26T08:30:00")),
        (
            "Correo de contacto",
            json!("contratacion@albania-laguajira.gov.co"),
        ),
    ];
    for (k, v) in checks {
        assert_eq!(&e[*k], v, "{k}");
    }
    // This process names no BPIN project.
    assert!(e.get("BPIN").is_none());
    let c = &e["contratos"][0];
    assert_eq!(c["número"], "069-25");
    assert_eq!(
        c["contratista"],
        "SERVICIOS, SUMINISTROS, Y TECNOLOGIA “CORDEA SAS”"
    );
    assert_eq!(c["valor"], 496_510_063);
    assert_eq!(c["estado"], "Liquidado");
    assert_eq!(c["fecha de liquidación"], "2025-11-04");
    assert_eq!(
        c["identificación del contratista"],
        "Nit de Persona Jurídica No. 900228413"
    );
    assert_eq!(p.status, Status::Closed);
    assert_eq!(p.unspsc, ["76111500"]);
    assert!(p.ids.iter().any(|x| x == "069-25"));
    assert!(p.ids.iter().any(|x| x == "2502060001"));
}

#[test]
fn page_2011_in_windows_1252() {
    let bytes = page_bytes(OLD);
    // Windows-1252, as the meta tag declares: `Número` is one byte 0xFA.
    assert!(std::str::from_utf8(&bytes).is_err());
    let (p, e) = enrichment_of(OLD);
    let checks: &[(&str, Value)] = &[
        ("Tipo de proceso", json!("Subasta")),
        ("Estado del proceso", json!("Convocado")),
        (
            "Régimen de contratación",
            json!("Estatuto General de Contratación"),
        ),
        (
            "Segmento UNSPSC",
            json!("[44] Equipos de Oficina, Accesorios y Suministros"),
        ),
        ("Cuantía", json!(83_668_709)),
        ("Tipo de contrato", json!("Compraventa")),
        ("Lugar de ejecución", json!("Bogotá D.C.")),
        ("DIVIPOLA de ejecución", json!("11001")),
        (
            "Dirección de obtención de documentos",
            json!("AVENIDA CARACAS nO 54-38"),
        ),
        (
            "Dirección de entrega de documentos",
            json!("AVENIDA CARACAS nO 54-38"),
        ),
        ("Cierre", json!("2011-11-22T11:00:00")),
        (
            "Correo de contacto",
            json!("contratacion@secretariadeambiente.gov.co"),
        ),
    ];
    for (k, v) in checks {
        assert_eq!(&e[*k], v, "{k}");
    }
    assert_eq!(
        e["Cronograma"]["Fecha de Inicio de la subasta"],
        "2011-12-02T11:00:00"
    );
    assert!(
        e["Detalle del objeto"]
            .as_str()
            .unwrap()
            .starts_with("Adquirir, instalar y poner en funcionamiento 23 escáneres")
    );
    assert_eq!(p.reference.as_deref(), Some("SDA-SA-038-2011"));
    assert_eq!(p.status, Status::Open);
    assert_eq!(p.modality.code(), "subasta");
    assert_eq!(p.estimated_value, Some(83_668_709));
    assert!(p.ids.iter().any(|x| x == "secretariadeambiente.gov.co"));
    assert!(e.get("contratos").is_none());
}

// ---------------------------------------------------------------------------------------
// The mock portal.

#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    path: String,
    user_agent: String,
}

struct Mock {
    robots: Mutex<(u16, String)>,
    /// constancia → (body, content type)
    pages: Mutex<HashMap<String, (Vec<u8>, &'static str)>>,
    /// Requests for constancias starting with this switch the portal to blocking.
    block_from: Mutex<Option<String>>,
    blocking: AtomicBool,
    /// constancia → Location of a 302.
    redirects: Mutex<HashMap<String, String>>,
    /// Answer every detail request with 429 and `Retry-After: 120`.
    throttle: AtomicBool,
    log: Mutex<Vec<Hit>>,
    inflight: AtomicUsize,
    max_inflight: AtomicUsize,
}

impl Mock {
    fn new() -> Arc<Mock> {
        let mut pages = HashMap::new();
        pages.insert(
            CMA.to_string(),
            (page_bytes(CMA), "text/html;charset=UTF-8"),
        );
        pages.insert(
            LIC.to_string(),
            (page_bytes(LIC), "text/html; charset=utf-8"),
        );
        // No charset in the header: the page's meta tag says windows-1252.
        pages.insert(OLD.to_string(), (page_bytes(OLD), "text/html"));
        Arc::new(Mock {
            robots: Mutex::new((
                200,
                "User-agent: *\nDisallow: /consultas/privado/\n".to_string(),
            )),
            pages: Mutex::new(pages),
            block_from: Mutex::new(None),
            blocking: AtomicBool::new(false),
            redirects: Mutex::new(HashMap::new()),
            throttle: AtomicBool::new(false),
            log: Mutex::new(Vec::new()),
            inflight: AtomicUsize::new(0),
            max_inflight: AtomicUsize::new(0),
        })
    }

    fn detail_hits(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter_map(|h| h.path.split("numConstancia=").nth(1).map(str::to_string))
            .collect()
    }
}

async fn portal(AxState(m): AxState<Arc<Mock>>, uri: Uri, headers: HeaderMap) -> Response {
    let n = m.inflight.fetch_add(1, Ordering::SeqCst) + 1;
    m.max_inflight.fetch_max(n, Ordering::SeqCst);
    m.log.lock().unwrap().push(Hit {
        at: Instant::now(),
        path: uri.to_string(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    });
    // Long enough that two requests in flight at once would overlap.
    tokio::time::sleep(Duration::from_millis(15)).await;
    let resp = answer(&m, &uri);
    m.inflight.fetch_sub(1, Ordering::SeqCst);
    resp
}

fn answer(m: &Mock, uri: &Uri) -> Response {
    if uri.path() == "/robots.txt" {
        let (status, body) = m.robots.lock().unwrap().clone();
        return (
            StatusCode::from_u16(status).unwrap(),
            [(header::CONTENT_TYPE, "text/plain")],
            body,
        )
            .into_response();
    }
    if uri.path() != "/consultas/detalleProceso.do" && uri.path() != "/consultas/movido.do" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let c = uri
        .query()
        .and_then(|q| q.strip_prefix("numConstancia="))
        .unwrap_or_default()
        .to_string();
    if m.throttle.load(Ordering::SeqCst) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "120")],
            "Too Many Requests",
        )
            .into_response();
    }
    if uri.path() == "/consultas/detalleProceso.do"
        && let Some(to) = m.redirects.lock().unwrap().get(&c)
    {
        return (StatusCode::FOUND, [(header::LOCATION, to.clone())]).into_response();
    }
    if let Some(prefix) = m.block_from.lock().unwrap().as_deref()
        && c.starts_with(prefix)
    {
        m.blocking.store(true, Ordering::SeqCst);
    }
    if m.blocking.load(Ordering::SeqCst) {
        // Like a real firewall: HTTP 200, and from then on every request is refused; the
        // second synthetic process gets the captcha instead.
        let file = if c == SYNTHETIC[1] {
            "tests/data/enrich/captcha.html"
        } else {
            "tests/data/enrich/waf-block.html"
        };
        let body = std::fs::read(repo(file)).unwrap();
        return (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], body).into_response();
    }
    match m.pages.lock().unwrap().get(&c) {
        Some((body, ct)) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, *ct)], body.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn spawn(m: Arc<Mock>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().fallback(portal).with_state(m);
            axum::serve(l, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn options(addr: SocketAddr) -> Options {
    Options {
        base_url: format!("http://{addr}"),
        politeness: Politeness {
            interval: Duration::from_millis(100),
            timeout: Duration::from_secs(10),
            ..Politeness::default()
        },
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_blocks: 2,
        ..Options::default()
    }
}

/// A data directory with the synthetic open-data rows of the pages' processes.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let reports = import_files(
        dir.path(),
        &[repo("tests/data/enrich/secop1-open-data.json")],
        None,
        &Silent,
    )
    .unwrap();
    assert_eq!(reports[0].counts.read, 6, "{reports:?}");
    dir
}

fn find(dir: &Path, id: &str) -> Process {
    let e = Engine::new(SecopIndex::open(dir).unwrap());
    e.find(id)
        .unwrap()
        .unwrap_or_else(|| panic!("{id} not found"))
        .process
}

fn search(dir: &Path, q: &str) -> Vec<String> {
    let e = Engine::new(SecopIndex::open(dir).unwrap());
    let s = SearchParams {
        q: Some(q.to_string()),
        ..SearchParams::default()
    }
    .validate()
    .unwrap();
    e.search(&s, false)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.process.key)
        .collect()
}

fn all_constancias() -> Vec<&'static str> {
    let mut v = vec![CMA, LIC, OLD];
    v.extend(SYNTHETIC);
    v
}

#[test]
fn enriches_what_it_can_and_stops_cleanly_at_the_block() {
    let dir = data_dir();
    let d = dir.path();
    let before: HashMap<&str, Process> = all_constancias()
        .into_iter()
        .map(|c| (c, find(d, c)))
        .collect();
    assert!(before.values().all(|p| p.enrichment.is_none()));

    let mock = Mock::new();
    *mock.block_from.lock().unwrap() = Some("09-".into());
    let addr = spawn(mock.clone());
    let mut seen: Vec<(String, Outcome)> = Vec::new();
    let report = enrich::run(d, &options(addr), &mut |c, o| {
        seen.push((c.into(), o.clone()))
    })
    .unwrap();

    // Newest first; the three real pages are read, then the firewall answers twice.
    let order: Vec<&str> = seen.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(order, [LIC, CMA, OLD, SYNTHETIC[0], SYNTHETIC[1]]);
    assert!(matches!(seen[0].1, Outcome::Enriched { fields } if fields >= 15));
    assert_eq!(
        seen[3].1,
        Outcome::Blocked {
            kind: BlockKind::Waf,
            http_status: 200
        }
    );
    assert_eq!(
        seen[4].1,
        Outcome::Blocked {
            kind: BlockKind::Captcha,
            http_status: 200
        }
    );
    assert_eq!((report.enriched, report.blocked, report.failed), (3, 2, 0));
    assert_eq!(
        report.stopped,
        Some(Stop::Blocked {
            kind: BlockKind::Captcha,
            pages: 2,
            last: SYNTHETIC[1].into()
        })
    );
    assert_eq!(report.status(), "blocked");
    let msg = report.message().unwrap();
    assert!(
        msg.contains("never solves") && msg.contains("resumes"),
        "{msg}"
    );
    assert_eq!(
        (
            report.queue.done,
            report.queue.blocked,
            report.queue.pending
        ),
        (3, 2, 1)
    );
    // The third synthetic process was never asked for.
    assert_eq!(
        mock.detail_hits(),
        [LIC, CMA, OLD, SYNTHETIC[0], SYNTHETIC[1]]
    );

    // Politeness: robots.txt first, one request at a time, spaced by the interval, and a
    // User-Agent that names the tool.
    let log = mock.log.lock().unwrap().clone();
    assert_eq!(log[0].path, "/robots.txt");
    assert_eq!(mock.max_inflight.load(Ordering::SeqCst), 1);
    for w in log.windows(2) {
        let gap = w[1].at - w[0].at;
        // 100 ms asked; without the limiter they would come ~15 ms apart. The margin
        // absorbs scheduling noise on a loaded machine.
        assert!(gap >= Duration::from_millis(60), "requests {gap:?} apart");
    }
    assert!(
        log.iter()
            .all(|h| h.user_agent.starts_with("secop-bridge/"))
    );

    // The enriched records: the page fills what the open data left empty and changes
    // nothing it had.
    for c in [CMA, LIC, OLD] {
        let (b, a) = (&before[c], find(d, c));
        let e = a
            .enrichment
            .as_ref()
            .unwrap_or_else(|| panic!("{c} not enriched"));
        assert!(e["Tipo de proceso"].is_string());
        assert!(a.sources.contains(&"secop1-detalle".to_string()));
        let (bj, aj) = (
            serde_json::to_value(b).unwrap(),
            serde_json::to_value(&a).unwrap(),
        );
        for (k, v) in bj.as_object().unwrap() {
            match k.as_str() {
                "ids" | "sources" => {
                    for x in v.as_array().unwrap() {
                        assert!(aj[k].as_array().unwrap().contains(x), "{c}: {k} lost {x}");
                    }
                }
                _ if v == "unknown" => {}
                _ => assert_eq!(&aj[k], v, "{c}: {k} changed"),
            }
        }
        assert!(!a.partial);
    }
    // The open data had no status: the page's fills it.
    assert_eq!(find(d, CMA).status_raw.as_deref(), Some("Celebrado"));
    assert_eq!(find(d, LIC).status, Status::Closed);
    assert_eq!(find(d, OLD).status_raw.as_deref(), Some("Convocado"));
    // ... and a contract type the open data lacked; the title stays the open data's.
    assert_eq!(
        find(d, LIC).contract_type_raw.as_deref(),
        Some("Prestación de Servicios")
    );
    assert_eq!(find(d, LIC).title, before[LIC].title);
    assert!(find(d, CMA).offers_due_at.is_some());

    // Block pages wrote nothing: those records are exactly as before.
    for c in SYNTHETIC {
        assert_eq!(find(d, c), before[c], "{c}");
    }

    // Search finds the enriched fields.
    assert_eq!(search(d, "2025440350025"), ["secop1:25-15-14581710"]);
    let mut by_domain = search(d, "albania-laguajira.gov.co");
    by_domain.sort();
    assert_eq!(by_domain, ["secop1:25-1-240855", "secop1:25-15-14581710"]);
    assert_eq!(search(d, "9725"), ["secop1:25-15-14581710"]);
    assert_eq!(find(d, "069-25").key, "secop1:25-1-240855");
    assert!(
        search(d, "Sistema General de Regalías").contains(&"secop1:25-15-14581710".to_string())
    );
    assert!(search(d, "CORDEA").contains(&"secop1:25-1-240855".to_string()));

    // The next run resumes: the blocked and pending ones only; the portal no longer
    // blocks, and has no such processes.
    *mock.block_from.lock().unwrap() = None;
    mock.blocking.store(false, Ordering::SeqCst);
    mock.log.lock().unwrap().clear();
    let report = enrich::run(d, &options(addr), &mut |_, _| {}).unwrap();
    assert_eq!(report.stopped, None);
    assert_eq!(
        (report.requested, report.not_found, report.enriched),
        (3, 3, 0)
    );
    assert_eq!(mock.detail_hits(), SYNTHETIC);
    assert_eq!(
        (report.queue.done, report.queue.failed, report.queue.pending),
        (3, 3, 0)
    );
    let report = enrich::run(d, &options(addr), &mut |_, _| {}).unwrap();
    assert_eq!(report.requested, 0);

    // Refreshing stale details reads them again; unchanged pages change nothing.
    let enriched_before = find(d, CMA);
    let o = Options {
        older_than_days: Some(0),
        ..options(addr)
    };
    let report = enrich::run(d, &o, &mut |_, _| {}).unwrap();
    assert_eq!(
        (report.unchanged, report.not_found, report.enriched),
        (3, 3, 0)
    );
    assert_eq!(report.counts.processes, 0);
    assert_eq!(find(d, CMA), enriched_before);

    // Every run is recorded.
    let state = secop_bridge::state::State::open(d).unwrap();
    let runs = state.runs(10).unwrap();
    let enrich_runs: Vec<&str> = runs
        .iter()
        .filter(|r| r.kind == "enrich")
        .map(|r| r.status.as_str())
        .collect();
    assert_eq!(enrich_runs, ["ok", "ok", "ok", "blocked"]);
}

#[test]
fn robots_txt_is_obeyed() {
    let dir = data_dir();
    let d = dir.path();
    let mock = Mock::new();
    let addr = spawn(mock.clone());

    // Disallowed: nothing but robots.txt is read.
    *mock.robots.lock().unwrap() = (
        200,
        "User-agent: secop-bridge\nDisallow: /consultas/\n".into(),
    );
    let r = enrich::run(d, &options(addr), &mut |_, _| {}).unwrap();
    assert!(
        matches!(r.stopped, Some(Stop::RobotsDisallow { .. })),
        "{:?}",
        r.stopped
    );
    assert!(r.message().unwrap().contains("robots.txt"));
    assert!(mock.detail_hits().is_empty());

    // Unreachable (5xx): RFC 9309 says assume everything is disallowed.
    *mock.robots.lock().unwrap() = (500, String::new());
    let r = enrich::run(d, &options(addr), &mut |_, _| {}).unwrap();
    assert!(matches!(r.stopped, Some(Stop::RobotsUnreachable { .. })));
    assert!(mock.detail_hits().is_empty());
    assert_eq!(r.queue.pending, 6);

    // A Crawl-delay longer than the interval is honoured; a missing robots.txt (404)
    // allows everything.
    *mock.robots.lock().unwrap() = (200, "User-agent: *\nCrawl-delay: 0.3\nAllow: /\n".into());
    mock.log.lock().unwrap().clear();
    let o = Options {
        limit: Some(2),
        ..options(addr)
    };
    let r = enrich::run(d, &o, &mut |_, _| {}).unwrap();
    assert_eq!(r.interval_ms, 300);
    assert_eq!(r.enriched, 2);
    let log = mock.log.lock().unwrap().clone();
    assert_eq!(log.len(), 3);
    for w in log.windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_millis(250));
    }
    *mock.robots.lock().unwrap() = (404, String::new());
    let o = Options {
        limit: Some(1),
        ..options(addr)
    };
    let r = enrich::run(d, &o, &mut |_, _| {}).unwrap();
    assert_eq!((r.enriched, r.stopped.clone()), (1, None));
}

#[test]
fn cut_and_foreign_pages_are_not_stored() {
    let dir = data_dir();
    let d = dir.path();
    let mock = Mock::new();
    {
        let mut pages = mock.pages.lock().unwrap();
        // A page cut short in transit, and another process's page under this constancia.
        let cma = page_bytes(CMA);
        pages.insert(
            CMA.into(),
            (cma[..cma.len() * 2 / 3].to_vec(), "text/html;charset=UTF-8"),
        );
        pages.insert(LIC.into(), (page_bytes(OLD), "text/html"));
    }
    let addr = spawn(mock.clone());
    let o = Options {
        constancias: vec![CMA.into(), LIC.into()],
        ..options(addr)
    };
    let mut seen = Vec::new();
    let r = enrich::run(d, &o, &mut |c, o| seen.push((c.to_string(), o.clone()))).unwrap();
    assert_eq!(r.failed, 2);
    assert!(
        matches!(&seen[0].1, Outcome::Failed { why, transient: true } if why.contains("cut short"))
    );
    assert!(
        matches!(&seen[1].1, Outcome::Failed { why, transient: false } if why.contains("another process (11-9-324624)"))
    );
    assert!(find(d, CMA).enrichment.is_none());
    assert!(find(d, LIC).enrichment.is_none());
    // The cut page stays queued; the foreign one waits for --retry-failed.
    let state = secop_bridge::state::State::open(d).unwrap();
    assert_eq!(
        enrich::queue::status_of(&state, CMA).unwrap().unwrap().0,
        "pending"
    );
    assert_eq!(
        enrich::queue::status_of(&state, LIC).unwrap().unwrap().0,
        "failed"
    );
    // One run at a time per data directory.
    let lock = enrich::RunLock::acquire(d).unwrap();
    let err = enrich::run(d, &options(addr), &mut |_, _| {}).unwrap_err();
    assert!(
        err.to_string()
            .contains("another `secop enrich` is running"),
        "{err}"
    );
    drop(lock);
    // Unknown constancias are refused before any request.
    let o = Options {
        constancias: vec!["99-9-999".into()],
        ..options(addr)
    };
    assert!(enrich::run(d, &o, &mut |_, _| {}).is_err());
}

#[test]
fn redirects_within_the_portal_are_followed_others_are_blocks() {
    let dir = data_dir();
    let d = dir.path();
    let mock = Mock::new();
    {
        let mut r = mock.redirects.lock().unwrap();
        r.insert(
            OLD.into(),
            format!("/consultas/movido.do?numConstancia={OLD}"),
        );
        // Another host (`localhost` is not `127.0.0.1`): a challenge page elsewhere.
        r.insert(CMA.into(), "http://localhost:9/challenge".into());
    }
    let addr = spawn(mock.clone());
    let o = Options {
        constancias: vec![OLD.into(), CMA.into()],
        ..options(addr)
    };
    let mut seen = Vec::new();
    let r = enrich::run(d, &o, &mut |c, o| seen.push((c.to_string(), o.clone()))).unwrap();
    assert!(matches!(seen[0].1, Outcome::Enriched { .. }), "{seen:?}");
    assert_eq!(
        seen[1].1,
        Outcome::Blocked {
            kind: BlockKind::Redirect,
            http_status: 302
        }
    );
    assert_eq!((r.enriched, r.blocked), (1, 1));
    assert!(find(d, OLD).enrichment.is_some());
    assert!(find(d, CMA).enrichment.is_none());
    // Nothing went to the other host.
    assert!(
        mock.log
            .lock()
            .unwrap()
            .iter()
            .all(|h| !h.path.contains("challenge"))
    );
}

#[test]
fn another_writer_does_not_stop_the_reading() {
    let mock = Mock::new();
    let addr = spawn(mock.clone());
    let o = Options {
        limit: Some(3),
        commit_every: 1,
        busy_retry: Duration::from_millis(50),
        ..options(addr)
    };

    // Another writer (an import, a harvest) holds the index for a while: the pages read
    // meanwhile wait in memory and are stored when it is done.
    let dir = data_dir();
    let d = dir.path();
    let w = SecopIndex::open(d).unwrap().writer().unwrap();
    let holder = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        w.finish().unwrap();
    });
    let r = enrich::run(d, &o, &mut |_, _| {}).unwrap();
    holder.join().unwrap();
    assert_eq!((r.enriched, r.unsaved, r.queue.done), (3, 0, 3));
    for c in [CMA, LIC, OLD] {
        assert!(find(d, c).enrichment.is_some(), "{c}");
    }

    // Held to the end: nothing is stored, and the pages stay queued.
    let dir = data_dir();
    let d = dir.path();
    let w = SecopIndex::open(d).unwrap().writer().unwrap();
    let r = enrich::run(d, &o, &mut |_, _| {}).unwrap();
    assert_eq!((r.unsaved, r.queue.done, r.queue.pending), (3, 0, 6));
    w.finish().unwrap();
    assert!(find(d, CMA).enrichment.is_none());
    let r = enrich::run(d, &o, &mut |_, _| {}).unwrap();
    assert_eq!((r.enriched, r.unsaved, r.queue.done), (3, 0, 3));
    assert!(find(d, CMA).enrichment.is_some());
}

#[test]
fn a_long_retry_after_ends_the_run() {
    let dir = data_dir();
    let d = dir.path();
    let mock = Mock::new();
    mock.throttle.store(true, Ordering::SeqCst);
    let addr = spawn(mock.clone());
    let t0 = Instant::now();
    let r = enrich::run(d, &options(addr), &mut |_, _| {}).unwrap();
    // Asked to come back in two minutes, longer than the longest wait: it stops at once.
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(
        r.stopped,
        Some(Stop::Blocked {
            kind: BlockKind::Throttled,
            pages: 1,
            last: LIC.into()
        })
    );
    assert_eq!(mock.detail_hits().len(), 1);
    assert_eq!(r.queue.blocked, 1);
}

#[test]
fn the_command_line() {
    let dir = data_dir();
    let d = dir.path().to_str().unwrap();
    let mock = Mock::new();
    *mock.block_from.lock().unwrap() = Some("09-".into());
    let addr = spawn(mock.clone());
    let secop = env!("CARGO_BIN_EXE_secop");
    let out = std::process::Command::new(secop)
        .args([
            "--data-dir",
            d,
            "enrich",
            "--base-url",
            &format!("http://{addr}"),
        ])
        .args([
            "--interval",
            "0.05",
            "--backoff",
            "0.01",
            "--max-blocks",
            "2",
            "--json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("captcha"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["enriched"], 3);
    assert_eq!(report["stopped"]["reason"], "blocked");

    let out = std::process::Command::new(secop)
        .args(["--data-dir", d, "show", CMA])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for s in [
        "detail page (secop enrich)",
        "2025440350025",
        "contratacion@albania-laguajira.gov.co",
        "Sistema General de Regalías - SGR",
        "linked contract 001-25: ANGULO SERVICIOS E INGENIERIA S.A.S $ 54.193.734",
        "Cierre                                 2025-12-22 08:30",
    ] {
        assert!(shown.contains(s), "{s:?} not in\n{shown}");
    }

    let out = std::process::Command::new(secop)
        .args(["--data-dir", d, "enrich", "--status"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "SECOP I detail pages: 1 pending, 3 done, 2 blocked, 0 failed"
    );

    // The real portal gets at least 2 s between requests; nothing is sent.
    let out = std::process::Command::new(secop)
        .args([
            "--data-dir",
            d,
            "enrich",
            "--interval",
            "0.5",
            "--base-url",
            "https://www.contratos.gov.co",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 2 seconds"));
}

// ---------------------------------------------------------------------------------------
// Malformed, truncated and mutated pages never panic.

mod mutations {
    use super::*;
    use proptest::prelude::*;

    fn pages() -> Vec<Vec<u8>> {
        [CMA, LIC, OLD].iter().map(|c| page_bytes(c)).collect()
    }

    /// Everything a fetched answer goes through.
    fn read_all(bytes: &[u8]) {
        let (text, _) = decode::decode_html(bytes, Some("text/html"));
        let p = page::parse(&text);
        let _ = enrich::block::classify(200, &text, &p);
        let row = p.to_row("25-15-14581710");
        let f = Secop1Detalle
            .normalize(&row)
            .expect("a row with a constancia normalises");
        let _ = serde_json::to_string(&f.process).unwrap();
    }

    proptest! {
        // 256 cases each, 768 in all: seconds, not minutes.
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn truncated(which in 0usize..3, at in 0.0f64..1.0) {
            let p = &pages()[which];
            read_all(&p[..(p.len() as f64 * at) as usize]);
        }

        #[test]
        fn tags_deleted_or_duplicated(which in 0usize..3, cuts in proptest::collection::vec((0.0f64..1.0, 1usize..400, any::<bool>()), 1..12)) {
            let mut p = pages()[which].clone();
            for (at, len, dup) in cuts {
                let i = (p.len() as f64 * at) as usize;
                let j = (i + len).min(p.len());
                if dup {
                    let piece = p[i..j].to_vec();
                    p.splice(i..i, piece);
                } else {
                    p.drain(i..j);
                }
            }
            read_all(&p);
        }

        #[test]
        fn bytes_shuffled(which in 0usize..3, seed in any::<u64>(), at in 0.0f64..1.0, len in 1usize..4000) {
            let mut p = pages()[which].clone();
            let i = (p.len() as f64 * at) as usize;
            let j = (i + len).min(p.len());
            // A cheap deterministic shuffle of one window (xorshift).
            let mut s = seed | 1;
            for k in (i + 1..j).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                let r = i + (s as usize) % (k - i + 1);
                p.swap(k, r);
            }
            read_all(&p);
        }
    }

    #[test]
    fn hand_made_malformations() {
        for s in [
            "<table><tr><td class=tttablas>Información General del Proceso<tr><td class=tablaslistEven>Tipo de Proceso<td class=tablaslistOdd>",
            "<table><tr><td class=tablaslistEven>Fuentes de Financiación</td><td class=tablaslistOdd><table><tr><td class=tttablas>Fuente</td></tr><tr><td class=tablaslistEven>$ 1</td></tr>",
            "<table><tr><td class=tttablas>Información de los Contratos Asociados al Proceso</td></tr><tr><td class=tablaslistEven>Número del Contrato</td><td class=tablaslistEven><table><tr><td></td></tr></table></td></tr></table>",
            "<table><tr><td class=tttablas>Cronograma</td></tr><tr><td class=tablaslistEven>Fecha de Cierre</td><td class=tablaslistOdd>99-99-9999 99:99 p.m.</td></tr></table>",
            "<table><tr><td class=tttablas>x</td></tr><tr><td class=tablaslistEven>Códigos BPIN</td><td class=tablaslistOdd>[{]</td></tr><tr><td class=tablaslistEven>Respaldos Presupuestales</td><td class=tablaslistOdd>[1,2,{\"a\":3}]</td></tr></table>",
            &"<table>".repeat(5000),
            &"<td class=tttablas>".repeat(5000),
        ] {
            read_all(s.as_bytes());
        }
    }
}
