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
    let html = c
        .get(format!("{}/duplicados?nit=800015991", srv.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
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
}
