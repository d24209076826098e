//! The HTTP API on port 0 over the fixtures: filters, facets, pagination, identifiers, bad
//! input, limits, reloads and shutdown.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::*;
use serde_json::Value;

fn base() -> &'static str {
    static B: OnceLock<Server> = OnceLock::new();
    &B.get_or_init(|| serve(demo_dir(), |_| {})).url
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn get(path: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{}{path}", base()))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, v)
}

async fn ok(path: &str) -> Value {
    let (s, v) = get(path).await;
    assert_eq!(s, 200, "{path}: {v}");
    v
}

/// The body of a page or answer, as text.
async fn text(url: &str) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn total(path: &str) -> u64 {
    ok(path).await["total"].as_u64().unwrap()
}

fn hit_keys(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn filters_alone_and_combined() {
    let all = total("/api/search?facets=false").await;
    let s1 = total("/api/search?platform=secop1").await;
    let s2 = total("/api/search?platform=secop2").await;
    assert_eq!(all, s1 + s2);
    assert_eq!(total("/api/search?platform=secop1,secop2").await, all);
    let bog2 = total("/api/search?platform=secop2&department=Bogot%C3%A1%20D.C.").await;
    let bog = total("/api/search?department=11").await;
    assert!(bog2 > 0 && bog2 < bog);
    // NIT in any form; entity words; unspsc prefix; a supplier.
    let inciva = total("/api/search?nit=800.086.201-5").await;
    assert_eq!(inciva, total("/api/search?nit=800086201").await);
    assert_eq!(inciva, total("/api/search?entity=inciva").await);
    let roads = ok("/api/search?unspsc=7214&q=manaure&per_page=100").await;
    assert!(hit_keys(&roads).contains(&"secop1:26-21-53372".to_string()));
    let contracted = total("/api/search?supplier=900781282").await;
    assert!(contracted >= 1);
    // Value and date ranges, combined with text.
    let v = ok("/api/search?q=seguros&min_value=100000000&max_value=200000000&from=2026-01-01&to=2026-12-31&per_page=100").await;
    assert!(v["total"].as_u64().unwrap() > 0);
    for h in v["hits"].as_array().unwrap() {
        let val = h["value"].as_i64().unwrap();
        assert!((100_000_000..=200_000_000).contains(&val), "{val}");
        assert!(h["published_at"].as_str().unwrap().starts_with("2026-"));
    }
    // Open for offers: deadline from a date on, status open.
    let v = ok("/api/search?status=open&due_from=2026-08-20&sort=deadline&per_page=50").await;
    let dues: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["offers_due_at"].as_str().unwrap())
        .collect();
    assert!(!dues.is_empty());
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    assert!(dues.iter().all(|d| *d >= "2026-08-20"));
}

#[tokio::test]
async fn facet_counts_add_up() {
    for q in [
        "/api/search",
        "/api/search?q=alcaldia",
        "/api/search?platform=secop2&q=suministro",
    ] {
        let v = ok(q).await;
        let t = v["total"].as_u64().unwrap();
        let f = &v["facets"];
        let sum = |name: &str| -> u64 {
            f[name]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["count"].as_u64().unwrap())
                .sum()
        };
        assert_eq!(sum("platform"), t, "{q}");
        assert_eq!(sum("status"), t, "{q}");
        assert_eq!(sum("modality"), t, "{q}");
        assert_eq!(sum("contract_type"), t, "{q}");
        assert!(sum("department") <= t);
        assert!(sum("year") <= t);
        // Labels are for people.
        let plat = f["platform"].as_array().unwrap();
        assert!(
            plat.iter()
                .all(|b| b["label"].as_str().unwrap().starts_with("SECOP"))
        );
        // A facet value used as a filter gives its count.
        let first = &f["department"][0];
        let n = total(&format!(
            "{}&department={}",
            if q.contains('?') {
                q.to_string()
            } else {
                format!("{q}?")
            },
            first["value"].as_str().unwrap()
        ))
        .await;
        assert_eq!(n, first["count"].as_u64().unwrap());
    }
}

#[tokio::test]
async fn pages_and_cursors_lose_and_repeat_nothing() {
    for sort in [
        "relevance",
        "date",
        "date_asc",
        "value",
        "value_asc",
        "deadline",
        "deadline_desc",
    ] {
        let q = format!("/api/search?q=suministro&sort={sort}&facets=false");
        let t = total(&q).await as usize;
        assert!(t > 40, "{t}");
        // By page.
        let mut seen = Vec::new();
        for page in 1..=t.div_ceil(9) {
            let v = ok(&format!("{q}&per_page=9&page={page}")).await;
            seen.extend(hit_keys(&v));
        }
        let mut uniq = seen.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(seen.len(), t, "{sort}: by page");
        assert_eq!(uniq.len(), t, "{sort}: repeated hits by page");
        // By cursor: the same hits in the same order.
        let mut by_cursor = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{q}&per_page=9&cursor={c}"),
                None => format!("{q}&per_page=9"),
            };
            let v = ok(&path).await;
            by_cursor.extend(hit_keys(&v));
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(by_cursor.len() <= t, "{sort}: cursor runs past the total");
        }
        assert_eq!(by_cursor, seen, "{sort}: cursor and pages differ");
    }
}

#[tokio::test]
async fn every_identifier_kind() {
    let inciva = "secop2:CO1.BDOS.10558939";
    for id in [
        "CO1.BDOS.10558939",
        "CO1.REQ.10877504",
        "CO1.NTC.10732827",
        "secop2:CO1.BDOS.10558939",
        "SAMC-002-2026%20(Manifestaci%C3%B3n%20de%20inter%C3%A9s%20(Menor%20Cuant%C3%ADa))",
    ] {
        let v = ok(&format!("/api/processes/{id}")).await;
        if id.starts_with("SAMC") {
            // A reference many entities share: the answer names the others.
            assert!(!v["also_matches"].as_array().unwrap().is_empty());
            continue;
        }
        assert_eq!(v["process"]["key"], inciva, "{id}");
        assert!(v["url"].as_str().unwrap().contains("CO1.NTC.10732827"));
        assert_eq!(v["categories"][0]["code"], "84131500");
    }
    assert_eq!(
        ok("/api/processes/MB-CO-SAMC-009-2026").await["process"]["key"],
        "secop2:CO1.BDOS.10631874"
    );
    assert_eq!(
        ok("/api/processes/26-21-53372").await["process"]["key"],
        "secop1:26-21-53372"
    );
    assert_eq!(
        ok("/api/processes/26-4-14703048-13627725").await["process"]["key"],
        "secop1:26-4-14703048"
    );
    let c = ok("/api/processes/CO1.PCCNTR.2014577").await;
    assert_eq!(c["process"]["partial"], true);
    let (s, v) = get("/api/processes/CO1.BDOS.1").await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "not_found");
    // Search by identifier ranks it first.
    let v = ok("/api/search?q=CO1.NTC.10732827").await;
    assert_eq!(hit_keys(&v)[0], inciva);
    // A NIT names every process of its entity: the answer lists 49 and counts them all,
    // as many as the NIT filter finds.
    let v = ok("/api/processes/890981195").await;
    let all = ok("/api/search?nit=890981195&per_page=1").await["total"]
        .as_u64()
        .unwrap();
    assert!(all > 300, "{all}");
    assert_eq!(v["also_matches"].as_array().unwrap().len(), 49);
    assert_eq!(v["also_matches_total"].as_u64().unwrap(), all - 1);
}

#[tokio::test]
async fn a_search_with_a_typo_says_what_was_meant() {
    for (typed, meant) in [
        ("vijilancia", "vigilancia"),
        ("servisios%20profesionales", "servicios profesionales"),
        ("suministro%20de%20conbustible", "suministro de combustible"),
        ("interbentoria", "interventoría"),
        ("polisas", "pólizas"),
    ] {
        let v = ok(&format!("/api/search?q={typed}")).await;
        assert_eq!(v["total"], 0, "{typed}");
        assert_eq!(v["suggestion"], meant, "{typed}");
        // The suggestion finds something.
        let again = ok(&format!(
            "/api/search?q={}&per_page=1",
            meant.replace(' ', "%20")
        ))
        .await;
        assert!(again["total"].as_u64().unwrap() > 0, "{meant}");
        assert!(again.get("suggestion").is_none());
    }
    // Nothing close, an identifier, or hits: no suggestion.
    for q in ["xyzqwv", "CO1.BDOS.1", "vigilancia"] {
        let v = ok(&format!("/api/search?q={q}")).await;
        assert!(v.get("suggestion").is_none(), "{q}: {v}");
    }
}

#[tokio::test]
async fn a_search_that_finds_nothing_says_what_to_leave_out() {
    let total = |q: String| async move { ok(&q).await["total"].as_u64().unwrap() };
    // Two known words never together: each alone finds processes.
    let v = ok("/api/search?q=cemento%20hidraulico").await;
    assert_eq!(v["total"], 0);
    let wider = v["relaxations"].as_array().expect("relaxations");
    let words: Vec<&str> = wider
        .iter()
        .map(|r| r["without_word"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["cemento", "hidraulico"], "{v}");
    // Most hits first, and each count is what its search finds.
    for r in wider {
        let n = r["total"].as_u64().unwrap();
        assert!(n > 0);
        assert_eq!(
            total(format!("/api/search?{}", r["query"].as_str().unwrap())).await,
            n
        );
    }
    assert!(wider[0]["total"].as_u64() >= wider[1]["total"].as_u64());
    // Three words never two together: no single one is enough, so pairs are left out,
    // and the one word kept is the whole query.
    let v = ok("/api/search?q=cemento%20hidraulico%20quirurgico").await;
    assert_eq!(v["total"], 0);
    let wider = v["relaxations"].as_array().expect("relaxations");
    assert_eq!(wider.len(), 3, "{v}");
    for r in wider {
        assert!(r.get("without_word").is_none(), "{r}");
        let pair = r["without_words"].as_array().expect("without_words");
        assert_eq!(pair.len(), 2, "{r}");
        let kept = ["cemento", "hidraulico", "quirurgico"]
            .into_iter()
            .find(|w| !pair.iter().any(|p| p == w))
            .unwrap();
        let q = r["query"].as_str().unwrap();
        assert!(q.contains(&format!("q={kept}")), "{q}");
        assert_eq!(
            total(format!("/api/search?{q}")).await,
            r["total"].as_u64().unwrap()
        );
    }
    // A filter too many: the text alone finds processes in Vaupés, none by tender.
    let v = ok("/api/search?q=vigilancia&department=97&modality=licitacion").await;
    assert_eq!(v["total"], 0);
    let wider = v["relaxations"].as_array().expect("relaxations");
    let filters: Vec<&str> = wider
        .iter()
        .map(|r| r["without_filter"].as_str().unwrap())
        .collect();
    assert!(filters.contains(&"modality"), "{v}");
    for r in wider {
        let q = r["query"].as_str().unwrap();
        assert!(q.contains("q=vigilancia"), "{q}");
        assert_eq!(
            total(format!("/api/search?{q}")).await,
            r["total"].as_u64().unwrap()
        );
    }
    // Hits, or nothing to leave out: none.
    for q in ["vigilancia", "xyzqwv"] {
        let v = ok(&format!("/api/search?q={q}")).await;
        assert!(v.get("relaxations").is_none(), "{q}: {v}");
    }
}

#[tokio::test]
async fn an_excluded_identifier_leaves_out_its_processes() {
    let total = |q: &str| {
        let q = q.to_string();
        async move {
            ok(&format!("/api/search?q={q}&per_page=1")).await["total"]
                .as_u64()
                .unwrap()
        }
    };
    let everything = ok("/api/search?per_page=1").await["total"]
        .as_u64()
        .unwrap();
    let of_nit = ok("/api/search?nit=890981195&per_page=1").await["total"]
        .as_u64()
        .unwrap();
    assert_eq!(total("-890981195").await, everything - of_nit);
    let vigilancia = total("vigilancia").await;
    let of_nit_vigilancia = ok("/api/search?q=vigilancia&nit=890981195&per_page=1").await["total"]
        .as_u64()
        .unwrap();
    assert!(of_nit_vigilancia > 0);
    assert_eq!(
        total("vigilancia%20-890981195").await,
        vigilancia - of_nit_vigilancia
    );
    // `NOT` in capitals is the same `-`; at the end it excludes nothing.
    assert_eq!(
        total("vigilancia%20NOT%20890981195").await,
        vigilancia - of_nit_vigilancia
    );
    assert_eq!(total("vigilancia%20NOT").await, vigilancia);
    // A short number is a word, not an identifier: `-2026` leaves out the processes whose
    // text says 2026, not those whose reference is `2026`.
    let year = total("2026").await;
    assert_eq!(total("-2026").await, everything - year);
}

#[tokio::test]
async fn bad_input_gets_a_json_4xx_that_says_why() {
    // Each message in English, and in Spanish (`message_es`, what the web pages show).
    for (path, status, needle, needle_es) in [
        (
            "/api/search?from=2026-02-31",
            400,
            "invalid date",
            "fecha no válida",
        ),
        (
            "/api/search?to=ayer",
            400,
            "invalid date",
            "Publicado hasta",
        ),
        ("/api/search?min_value=-1", 400, "negative", "negativo"),
        (
            "/api/search?max_value=diez",
            400,
            "whole number",
            "número entero",
        ),
        (
            "/api/search?per_page=101",
            400,
            "per_page",
            "Resultados por página",
        ),
        ("/api/search?page=0", 400, "page", "Página"),
        (
            "/api/search?sort=popular",
            400,
            "unknown sort",
            "orden desconocido",
        ),
        (
            "/api/search?platform=secop3",
            400,
            "unknown platform",
            "Plataforma",
        ),
        ("/api/search?q=(obra", 400, "unbalanced", "no se cierra"),
        ("/api/search?q=%22obra", 400, "unbalanced", "comillas"),
        (
            "/api/search?department=Atlantida",
            400,
            "unknown department",
            "departamento desconocido «Atlantida»",
        ),
        (
            "/api/search?modality=rapida",
            400,
            "unknown modality",
            "Modalidad",
        ),
        (
            "/api/search?cursor=zz",
            400,
            "invalid cursor",
            "cursor no válido",
        ),
        ("/api/search?facets=maybe", 400, "facets", "true o false"),
        // A misspelt or repeated parameter is not silently ignored.
        (
            "/api/search?deparment=05",
            400,
            "unknown parameter \"deparment\"; did you mean department?",
            "¿quiso decir department?",
        ),
        (
            "/api/search?Department=05",
            400,
            "did you mean department?",
            "parámetro desconocido «Department»",
        ),
        (
            "/api/monthly?zzz=1",
            400,
            "unknown parameter",
            "vea /api/openapi.json",
        ),
        (
            "/api/export?fromat=csv",
            400,
            "did you mean format?",
            "¿quiso decir format?",
        ),
        (
            "/api/search?department=05&department=11",
            400,
            "department is given twice",
            "separados por comas (department=a,b)",
        ),
        ("/api/nothing", 404, "no such endpoint", "no existe"),
    ] {
        let (s, v) = get(path).await;
        assert_eq!(s, status, "{path}: {v}");
        let msg = v["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: {v}"));
        assert!(msg.contains(needle), "{path}: {msg}");
        let es = v["error"]["message_es"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: {v}"));
        assert!(es.contains(needle_es), "{path}: {es}");
        assert!(v["error"]["code"].is_string());
    }
    // A very long URL.
    let long = format!("/api/search?q={}", "a".repeat(5000));
    assert_eq!(get(&long).await.0, 414);
    // Queries with odd syntax are read leniently: operators that join nothing are dropped
    // without a complaint.
    let obra = total("/api/search?q=obra&facets=false").await;
    assert!(obra > 0);
    for q in [
        "AND%20OR%20obra",
        "AND%20obra",
        "obra%20OR",
        "obra%20-",
        "obra:",
    ] {
        let v = ok(&format!("/api/search?q={q}&facets=false")).await;
        assert_eq!(v["total"], obra, "{q}: {v}");
        assert!(v.get("warnings").is_none(), "{q}: {v}");
    }
    // Only exclusions: every process but those, as asked, without a warning.
    let all = total("/api/search?facets=false").await;
    let v = ok("/api/search?q=-obra&facets=false").await;
    assert_eq!(v["total"], all - obra, "{v}");
    assert!(v.get("warnings").is_none(), "{v}");
    // Only words too common to be indexed: nothing, and a warning that says why (one
    // stop word and two used to give none and every document).
    for (q, word) in [("de%20la", "(de, la)"), ("a", "(a)"), ("%22y%22", "(y)")] {
        let v = ok(&format!("/api/search?q={q}&facets=false")).await;
        assert_eq!(v["total"], 0, "{q}: {v}");
        assert!(
            v["warnings"][0].as_str().unwrap().contains(word),
            "{q}: {v}"
        );
        assert!(
            v["warnings_es"][0]
                .as_str()
                .unwrap()
                .contains("demasiado com"),
            "{q}: {v}"
        );
    }
    // Writing is not offered.
    let r = client()
        .post(format!("{}/api/search", base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
}

#[tokio::test]
async fn openapi_describes_every_endpoint() {
    let v = ok("/api/openapi.json").await;
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    let spec = oas3::from_json(v.to_string()).expect("a valid OpenAPI 3.1 document");
    let paths = spec.paths.clone().unwrap_or_default();
    for path in [
        "/api/search",
        "/api/processes/{id}",
        "/api/monthly",
        "/api/transition",
        "/api/duplicates",
        "/api/top",
        "/api/export",
        "/api/feed.atom",
        "/api/stats",
        "/healthz",
        "/api/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the spec");
        // And the server answers it.
        let real = path.replace("{id}", "CO1.BDOS.10558939");
        assert_eq!(get(&real).await.0, 200, "{real}");
    }
    let params: Vec<String> = v["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    for p in [
        "q",
        "platform",
        "nit",
        "department",
        "municipality",
        "modality",
        "status",
        "unspsc",
        "from",
        "to",
        "due_from",
        "due_to",
        "min_value",
        "max_value",
        "sort",
        "page",
        "per_page",
        "cursor",
    ] {
        assert!(params.contains(&p.to_string()), "{p} not documented");
    }
}

#[tokio::test]
async fn stats_health_and_compression() {
    let v = ok("/api/stats").await;
    assert!(v["documents"].as_u64().unwrap() > 4000);
    assert!(v["by_platform"]["secop1"].as_u64().unwrap() > 1000);
    assert!(v["by_dataset"]["jbjy-vk9h"].as_u64().unwrap() > 500);
    assert!(v["index_bytes"].as_u64().unwrap() > 0);
    assert_eq!(ok("/healthz").await["status"], "ok");
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let r = raw
        .get(format!("{}/api/search?per_page=50", base()))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // A script on another origin can read the export's count and warnings.
    let r = raw
        .get(format!("{}/api/export?format=ndjson&q=de+la", base()))
        .header("origin", "https://example.org")
        .send()
        .await
        .unwrap();
    let exposed = r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for h in ["x-total-count", "x-search-warning", "retry-after"] {
        assert!(exposed.contains(h), "{exposed}");
    }
    let m = ok("/api/monthly?platform=secop1").await;
    let months = m["months"].as_array().unwrap();
    assert!(months.iter().any(|b| b["month"] == "2026-04"));
}

#[tokio::test]
async fn excess_load_gets_503_with_retry_after() {
    let srv = serve(demo_dir(), |c| {
        c.max_concurrent = 1;
        c.max_queued = 0;
    });
    let url = srv.url.clone();
    let c = client();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let c = c.clone();
        let u = format!("{url}/api/search?q=servicios%20{i}&per_page=100");
        tasks.push(tokio::spawn(async move { c.get(u).send().await.unwrap() }));
    }
    let mut rejected = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status().as_u16() {
            200 => {}
            503 => {
                rejected += 1;
                assert_eq!(r.headers()["retry-after"], "1");
                let v: Value = r.json().await.unwrap();
                assert_eq!(v["error"]["code"], "overloaded");
            }
            s => panic!("unexpected status {s}"),
        }
    }
    assert!(
        rejected > 0,
        "64 searches at once with one slot and no queue"
    );
}

#[tokio::test]
async fn the_reader_follows_a_new_import_and_shutdown_is_graceful() {
    let d = tempfile::tempdir().unwrap();
    let f = root().join("fixtures/secop2/web-export/contratos.VAUPES-MITU.csv");
    secop_ok(d.path(), &["import", f.to_str().unwrap()]);
    let srv = serve(d.path(), |_| {});
    let url = srv.url.clone();
    let c = client();
    let count = |c: reqwest::Client, url: String| async move {
        let v: Value = c
            .get(format!("{url}/api/search?facets=false"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["total"].as_u64().unwrap()
    };
    let before = count(c.clone(), url.clone()).await;
    // A repeated search is answered from the cache, byte for byte; the import below changes
    // the index generation, so the cache cannot hide it.
    let fetch = |c: reqwest::Client, url: String| async move {
        let r = c
            .get(format!("{url}/api/search?facets=false"))
            .send()
            .await
            .unwrap();
        let cache = r.headers()["x-cache"].to_str().unwrap().to_string();
        (cache, r.text().await.unwrap())
    };
    let (first, body1) = fetch(c.clone(), url.clone()).await;
    let (second, body2) = fetch(c.clone(), url.clone()).await;
    assert_eq!((first.as_str(), second.as_str()), ("hit", "hit"));
    assert_eq!(body1, body2);
    // The stats say how the cache served: the count above missed, the two fetches hit.
    let st: Value = c
        .get(format!("{url}/api/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sc = &st["search_cache"];
    assert!(sc["hits"].as_u64().unwrap() >= 2, "{sc}");
    assert!(sc["misses"].as_u64().unwrap() >= 1, "{sc}");
    assert!(sc["entries"].as_u64().unwrap() >= 1, "{sc}");
    let g = root().join("fixtures/secop2/web-export/contratos.ANTIOQUIA-ABEJORRAL.csv");
    secop_ok(d.path(), &["import", g.to_str().unwrap()]);
    let mut after = before;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = count(c.clone(), url.clone()).await;
        if after > before {
            break;
        }
    }
    assert!(
        after > before,
        "the server did not see the import ({before} → {after})"
    );
    drop(srv);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        c.get(format!("{url}/healthz")).send().await.is_err(),
        "still serving after shutdown"
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "q",
        "platform",
        "nit",
        "entity",
        "department",
        "municipality",
        "modality",
        "status",
        "contract_type",
        "unspsc",
        "supplier",
        "dataset",
        "from",
        "to",
        "due_from",
        "due_to",
        "open",
        "min_value",
        "max_value",
        "sort",
        "page",
        "per_page",
        "cursor",
        "facets",
    ];

    /// The keys of the other endpoints.
    const MORE_KEYS: &[&str] = &[
        "min_score",
        "window_days",
        "limit",
        "cross_platform",
        "threshold",
        "min_processes",
        "format",
        "id",
        "by",
        "order",
    ];

    const PATHS: &[&str] = &[
        "/api/monthly",
        "/api/transition",
        "/api/duplicates",
        "/api/top",
        "/api/export",
        "/api/feed.atom",
        "/api/processes/{id}",
        "/",
        "/transicion",
        "/duplicados",
        "/quien",
        "/procesos/{id}",
    ];

    proptest! {
        // Bounded for CI; set PROPTEST_CASES for a longer run.
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
            ..ProptestConfig::default()
        })]
        #[test]
        fn no_5xx_for_any_query(
            params in proptest::collection::vec((0..KEYS.len(), any::<String>()), 0..6),
            q in "[\\PC\"'()*:~^+\\-\\[\\]{}!?\\\\/&|<>=.,0-9 ]{0,40}",
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut pairs: Vec<(String, String)> = params.into_iter().map(|(k, v)| (KEYS[k].to_string(), v)).collect();
                pairs.push(("q".into(), q));
                let qs = serde_urlencoded::to_string(&pairs).unwrap();
                let (status, body) = get(&format!("/api/search?{qs}")).await;
                prop_assert!(status < 500, "{qs} → {status} {body}");
                if status >= 400 {
                    prop_assert!(body["error"]["message"].is_string(), "{qs} → {body}");
                }
                Ok(())
            })?;
        }

        /// Every other endpoint and page, with keys of every endpoint: never a 5xx (a
        /// report still computing is the one allowed 503), and a 4xx says why.
        #[test]
        fn no_5xx_on_any_endpoint(
            path in 0..PATHS.len(),
            params in proptest::collection::vec((0..KEYS.len() + MORE_KEYS.len(), any::<String>()), 0..6),
            id in "[\\PC/%.:]{0,30}",
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let pairs: Vec<(String, String)> = params
                    .into_iter()
                    .map(|(k, v)| (KEYS.iter().chain(MORE_KEYS).nth(k).unwrap().to_string(), v))
                    .collect();
                let qs = serde_urlencoded::to_string(&pairs).unwrap();
                let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
                let url = format!("{}?{qs}", PATHS[path].replace("{id}", &id));
                let (status, body) = get(&url).await;
                let pending = status == 503 && body["error"]["code"] == "report_pending";
                prop_assert!(status < 500 || pending, "{url} → {status} {body}");
                if status >= 400 && url.starts_with("/api/") {
                    prop_assert!(body["error"]["message"].is_string(), "{url} → {body}");
                }
                Ok(())
            })?;
        }
    }
}

/// A filter narrows the hits without reordering them: the hits of `combustible` in two
/// departments are its unfiltered hits in those departments, in the same order and with the
/// same scores (a union of departments used to add each department's own BM25, so the
/// rarer department's processes came first whatever the text said).
#[tokio::test]
async fn filters_do_not_change_the_ranking() {
    let scored = |v: &Value| -> Vec<(String, f64)> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["key"].as_str().unwrap().to_string(),
                    h["score"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let q = "/api/search?q=combustible&per_page=100&facets=false";
    let all = ok(q).await;
    assert!(
        all["total"].as_u64().unwrap() <= 100,
        "the test needs every hit: {all}"
    );
    let mut wanted = std::collections::HashSet::new();
    for dept in ["68", "05"] {
        let one = ok(&format!("{q}&department={dept}")).await;
        assert!(one["total"].as_u64().unwrap() >= 5, "{dept}");
        let keys = hit_keys(&one);
        // One department: the same order as without the filter.
        let expected: Vec<String> = hit_keys(&all)
            .into_iter()
            .filter(|k| keys.contains(k))
            .collect();
        assert_eq!(keys, expected, "department={dept}");
        wanted.extend(keys);
    }
    let both = scored(&ok(&format!("{q}&department=68,05")).await);
    let expected: Vec<(String, f64)> = scored(&all)
        .into_iter()
        .filter(|(k, _)| wanted.contains(k))
        .collect();
    assert_eq!(both.len(), wanted.len());
    for ((k, s), (ek, es)) in both.iter().zip(&expected) {
        assert_eq!(k, ek, "{both:?}\n{expected:?}");
        assert!((s - es).abs() < 1e-4, "{k}: {s} against {es}");
    }
    // A value range and words of the entity's name leave the scores as they are too.
    let ranged = scored(&ok(&format!("{q}&min_value=1&entity=municipio")).await);
    assert!(!ranged.is_empty());
    let unfiltered: std::collections::HashMap<String, f64> = scored(&all).into_iter().collect();
    for (k, s) in &ranged {
        assert!(
            (s - unfiltered[k]).abs() < 1e-4,
            "{k}: {s} against {}",
            unfiltered[k]
        );
    }
}

/// An identifier among other words matches by identifier: `vigilancia 890981195` is the
/// entity's `vigilancia` processes, as with `nit=` (identifiers are not in the searchable
/// text, so such a search used to find nothing).
#[tokio::test]
async fn an_identifier_among_words_matches_by_identifier() {
    let by_filter = total("/api/search?q=vigilancia&nit=890981195&facets=false").await;
    assert!(by_filter > 0);
    for q in [
        "vigilancia%20890981195",
        "890.981.195-1%20vigilancia",
        "vigilancia%20de%20890981195",
    ] {
        assert_eq!(
            total(&format!("/api/search?q={q}&facets=false")).await,
            by_filter,
            "{q}"
        );
    }
    // Stop words beside it ask for nothing more.
    assert_eq!(
        total("/api/search?q=de%20890981195&facets=false").await,
        total("/api/search?q=890981195&facets=false").await
    );
    let v = ok("/api/search?q=seguros%20CO1.BDOS.10558939&facets=false").await;
    assert_eq!(hit_keys(&v), ["secop2:CO1.BDOS.10558939"]);
    // A word with digits that is no identifier stays a word.
    assert!(total("/api/search?q=vigilancia%202025&facets=false").await > 0);
}

#[tokio::test]
async fn place_names_with_a_comma_and_typographic_quotes() {
    // DIVIPOLA's and the facets' own names hold a comma; a list of places still splits.
    let bogota = total("/api/search?department=11").await;
    assert!(bogota > 0);
    assert_eq!(
        total("/api/search?department=Bogot%C3%A1%2C%20D.C.").await,
        bogota
    );
    assert_eq!(
        total("/api/search?municipality=Bogot%C3%A1%2C%20D.C.").await,
        total("/api/search?municipality=11001").await
    );
    assert_eq!(
        total("/api/search?department=Bogot%C3%A1%2C%20D.C.%2C05").await,
        total("/api/search?department=11,05").await
    );
    let san_andres =
        "Archipi%C3%A9lago%20de%20San%20Andr%C3%A9s%2C%20Providencia%20y%20Santa%20Catalina";
    assert_eq!(
        total(&format!("/api/search?department={san_andres}")).await,
        total("/api/search?department=88").await
    );
    let (s, v) = get("/api/search?department=Narnia%2C05").await;
    assert_eq!(s, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("Narnia"),
        "{v}"
    );

    // “…” and «…» make a phrase as "…" does.
    let phrase = total("/api/search?q=%22obra%20p%C3%BAblica%22").await;
    let words = total("/api/search?q=obra%20p%C3%BAblica").await;
    assert!(phrase > 0 && phrase < words, "{phrase} {words}");
    for q in [
        "%E2%80%9Cobra%20p%C3%BAblica%E2%80%9D",
        "%C2%ABobra%20p%C3%BAblica%C2%BB",
    ] {
        assert_eq!(total(&format!("/api/search?q={q}")).await, phrase, "{q}");
    }

    // A lower-case operator is searched as a word, and the answer says so.
    let v = ok("/api/search?q=obra%20or%20agua").await;
    let w = v["warnings"][0].as_str().unwrap_or_default();
    assert!(w.contains("\"or\"") && w.contains("OR"), "{v}");
    assert!(v["warnings_es"][0].as_str().unwrap().contains("mayúsculas"));
    // NOT in capitals is an operator: no warning.
    let v = ok("/api/search?q=obra%20NOT%20agua").await;
    assert!(v["warnings"].is_null(), "{v}");
    assert_eq!(
        v["total"].as_u64().unwrap(),
        total("/api/search?q=obra%20-agua").await
    );
}

#[tokio::test]
async fn a_process_known_only_by_its_contracts_is_dated_by_their_signature() {
    // CO1.NTC.2070630 comes from a contract alone: no publication date.
    let p = ok("/api/processes/CO1.NTC.2070630").await;
    assert!(p["process"]["partial"].as_bool().unwrap());
    assert!(p["process"]["published_at"].is_null());
    let v = ok("/api/search?q=CO1.NTC.2070630").await;
    let h = &v["hits"][0];
    assert_eq!(h["dated_by"], "signed", "{h}");
    assert!(
        h["published_at"]
            .as_str()
            .unwrap()
            .starts_with("2021-09-16")
    );
    let v = ok("/api/search?q=CO1.BDOS.10359298").await;
    assert_eq!(v["hits"][0]["dated_by"], "published");
}

#[tokio::test]
async fn a_link_that_is_only_the_platforms_search_says_so() {
    // CO1.BDOS.10359298 comes from a CSV without its notice URL: SECOP II has no page by
    // process id, so the link is its public search, and the record says so.
    let p = ok("/api/processes/CO1.BDOS.10359298").await;
    assert_eq!(p["url_is_search"], true, "{p}");
    assert!(
        p["url"]
            .as_str()
            .unwrap()
            .starts_with("https://community.secop.gov.co/")
    );
    let v = ok("/api/search?q=CO1.BDOS.10359298").await;
    assert_eq!(v["hits"][0]["url_is_search"], true);
    // With its notice: the process itself, no flag.
    let p = ok("/api/processes/CO1.BDOS.10558939").await;
    assert!(p["url"].as_str().unwrap().contains("CO1.NTC."), "{p}");
    assert!(p["url_is_search"].is_null());
    // SECOP I pages are always direct.
    assert!(ok("/api/processes/26-21-53372").await["url_is_search"].is_null());
    let html = text(&format!("{}/procesos/CO1.BDOS.10359298", base())).await;
    assert!(html.contains("Buscar el proceso en SECOP II"), "{html}");
    assert!(html.contains("busque la referencia «"));
}

#[tokio::test]
async fn a_cursor_belongs_to_its_search() {
    let v = ok("/api/search?q=obra&per_page=5&facets=false").await;
    let c = v["next_cursor"].as_str().unwrap().to_string();
    // The same search (and per_page may change): the next page.
    let next = ok(&format!(
        "/api/search?q=obra&per_page=7&facets=false&cursor={c}"
    ))
    .await;
    assert_eq!(next["hits"].as_array().unwrap().len(), 7);
    // Another text or filter: a 400 that says why, not an empty page.
    for other in ["q=agua", "q=obra&department=05"] {
        let (s, e) = get(&format!("/api/search?{other}&per_page=5&cursor={c}")).await;
        assert_eq!(s, 400, "{other}: {e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("another search"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn an_open_process_past_its_deadline_says_so() {
    // The demo data ends in 2026: every "open" process's deadline has passed by now
    // (the test's clock is the real one), and each such hit says so.
    let v = ok("/api/search?status=open&per_page=100&facets=false").await;
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    let now = chrono::Utc::now().to_rfc3339();
    for h in hits {
        let passed = h["offers_due_at"].as_str().is_some_and(|d| {
            chrono::DateTime::parse_from_rfc3339(d).unwrap()
                < chrono::DateTime::parse_from_rfc3339(&now).unwrap()
        });
        assert_eq!(
            h["deadline_passed"].as_bool().unwrap_or(false),
            passed,
            "{h}"
        );
    }
    assert!(hits.iter().any(|h| h["deadline_passed"] == true));
    // Other statuses never carry the flag.
    let v = ok("/api/search?status=awarded&per_page=50&facets=false").await;
    assert!(
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["deadline_passed"].is_null())
    );
    // The page shows it beside the status.
    let html = text(&format!("{}/?status=open", base())).await;
    assert!(html.contains("Cierre vencido"));
}
