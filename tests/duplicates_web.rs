//! `GET /api/duplicates` and the "Duplicados" page over the fixtures.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn duplicates_over_http_and_on_the_page() {
    let srv = serve(demo_dir(), |_| {});
    let c = http();
    // A real re-publication in the fixtures: the same reference with a suffix.
    let v: Value = c
        .get(format!("{}/api/duplicates?nit=800.015.991-1", srv.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let pairs = v["pairs"].as_array().unwrap();
    assert!(!pairs.is_empty(), "{v}");
    let p = &pairs[0];
    assert!(p["score"].as_f64().unwrap() >= 0.8);
    assert_eq!(p["entity"]["nit"], "800015991");
    for side in ["a", "b"] {
        assert!(
            p[side]["link"]
                .as_str()
                .unwrap()
                .starts_with("https://www.contratos.gov.co/")
        );
    }
    assert!(
        p["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("referencia"))
    );
    // The entity by its name, as its processes write it (accents and case aside): the
    // same pairs as by its NIT. A name or NIT the index does not hold is a 404 that says
    // so, not an empty answer that reads as "no duplicates".
    let get = |q: &str| {
        let r = c
            .get(format!("{}/api/duplicates?{q}", srv.url))
            .send()
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().unwrap())
    };
    let (s, by_name) =
        get("nit=bol%C3%ADvar%20-%20alcaldia%20municipio%20de%20barranco%20de%20loba");
    assert_eq!(s, 200, "{by_name}");
    assert_eq!(by_name["pairs"], v["pairs"]);
    for (q, needle) in [
        (
            "nit=alcaldia%20municipio%20de%20barranco",
            "BARRANCO DE LOBA (NIT 800015991)",
        ),
        ("nit=abc", "no entity named \"abc\""),
        ("nit=999", "no process of an entity with NIT 999"),
    ] {
        let (s, e) = get(q);
        assert_eq!(s, 404, "{q}: {e}");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{q}: {e}");
    }
    // Bad parameters: a JSON 400 that says why.
    for (q, needle) in [
        ("min_score=dos", "min_score"),
        ("limit=0", "limit"),
        ("cross_platform=tal%20vez", "cross_platform"),
    ] {
        let r = c
            .get(format!("{}/api/duplicates?{q}", srv.url))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{q}");
        let e: Value = r.json().unwrap();
        assert!(
            e["error"]["message"].as_str().unwrap().contains(needle),
            "{q}: {e}"
        );
    }
    // The page: both originals, our process pages, the reasons; data escaped.
    let html = srv.text("/duplicados?nit=800015991");
    assert!(html.contains("aria-current=\"page\""));
    assert!(html.contains("href=\"/procesos/secop1:26-13-14706571\""));
    assert!(html.contains(
        "https://www.contratos.gov.co/consultas/detalleProceso.do?numConstancia=26-13-14706571"
    ));
    assert!(html.contains("referencias compatibles"));
    let bad = c
        .get(format!(
            "{}/duplicados?nit=%3Cimg%20src=x%20onerror=alert(1)%3E",
            srv.url
        ))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!bad.contains("<img src=x"));
    assert!(bad.contains("no es un NIT: escriba sus dígitos"), "{bad}");
}

/// Without `nit`: the report of every entity, computed once per index contents, filtered
/// per request, and computed again after a commit.
#[test]
fn every_entity_is_answered_from_the_report() {
    let srv = serve(demo_dir(), |_| {});
    let c = http();
    let get = |q: &str| -> (u16, Value) {
        let r = c
            .get(format!("{}/api/duplicates?{q}", srv.url))
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap())
    };
    let (status, all) = get("");
    assert_eq!(status, 200, "{all}");
    let report = &all["report"];
    assert_eq!(report["min_score"], 0.5);
    assert_eq!(report["window_days"], 90);
    assert_eq!(report["truncated"], false);
    let version = report["index_version"].as_str().unwrap().to_string();
    assert_eq!(version.len(), 16);
    let pairs = all["pairs"].as_array().unwrap();
    assert!(
        pairs.iter().any(|p| p["entity"]["nit"] == "800015991"),
        "{all}"
    );
    assert_eq!(all["stats"]["found"].as_u64().unwrap(), pairs.len() as u64);
    assert!(pairs.iter().all(|p| p["score"].as_f64().unwrap() >= 0.8));
    // The same report answers the filters: a lower score finds more (or as many), a limit
    // keeps the best, cross-platform keeps its kind.
    let (_, low) = get("min_score=0.5");
    assert_eq!(low["report"]["index_version"], version.as_str());
    let found_low = low["stats"]["found"].as_u64().unwrap();
    assert!(found_low >= pairs.len() as u64);
    let (_, one) = get("min_score=0.5&limit=1");
    assert_eq!(
        one["pairs"].as_array().unwrap().len(),
        1.min(found_low as usize)
    );
    assert_eq!(one["stats"]["found"].as_u64().unwrap(), found_low);
    assert_eq!(one["pairs"][0], low["pairs"][0]);
    let (_, cross) = get("min_score=0.5&cross_platform=true");
    assert!(
        cross["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["kind"] == "cross_platform")
    );
    // Below the report's floor, one entity must be named; with it, the scan runs.
    let (status, e) = get("min_score=0.3");
    assert_eq!(status, 400);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("nit="),
        "{e}"
    );
    let (status, one_entity) = get("min_score=0.3&nit=800015991");
    assert_eq!(status, 200, "{one_entity}");
    assert!(one_entity.get("report").is_none());
    // The page shows the report.
    let html = srv.text("/duplicados");
    assert!(html.contains("Informe de todas las entidades"), "{html}");
    assert!(html.contains("href=\"/procesos/secop1:26-13-14706571\""));
}

#[test]
fn the_report_follows_a_new_import() {
    let d = tempfile::tempdir().unwrap();
    let f = root().join("fixtures/secop2/web-export/contratos.VAUPES-MITU.csv");
    secop_ok(d.path(), &["import", f.to_str().unwrap()]);
    let srv = serve(d.path(), |_| {});
    let c = http();
    let version = || -> String {
        let v: Value = c
            .get(format!("{}/api/duplicates", srv.url))
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["report"]["index_version"].as_str().unwrap().to_string()
    };
    let before = version();
    assert_eq!(version(), before);
    let g = root().join("fixtures/secop2/web-export/contratos.ANTIOQUIA-ABEJORRAL.csv");
    secop_ok(d.path(), &["import", g.to_str().unwrap()]);
    let mut after = before.clone();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = version();
        if after != before {
            break;
        }
    }
    assert_ne!(after, before, "the report did not follow the import");
}
