//! The transition tracker over the fixtures: counts checked against the fixture rows
//! themselves, filters, the "no data for that platform" case, and bad parameters.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use common::*;
use serde_json::Value;

fn read_gz(path: &str) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(root().join(path)).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn nit9(s: &str) -> String {
    let head = s.split('-').next().unwrap_or("");
    head.chars()
        .filter(|c| c.is_ascii_digit())
        .take(9)
        .collect()
}

/// SECOP I processes per month, straight from the fixture's JSON array: distinct
/// constancias by the month of their upload date.
fn secop1_months(filter: impl Fn(&Value) -> bool) -> BTreeMap<String, usize> {
    let rows: Vec<Value> =
        serde_json::from_str(&read_gz("fixtures/secop1/procesos.f789-7hwg.json.gz")).unwrap();
    let mut by_month: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows.iter().filter(|r| filter(r)) {
        let month = r["fecha_de_cargue_en_el_secop"].as_str().unwrap()[..7].to_string();
        by_month
            .entry(month)
            .or_default()
            .insert(r["numero_de_constancia"].as_str().unwrap().to_string());
    }
    by_month.into_iter().map(|(m, s)| (m, s.len())).collect()
}

/// SECOP II processes per month from the JSON-lines fixture: distinct portfolios by the
/// publication month of their most recent row.
fn secop2_months(filter: impl Fn(&Value) -> bool) -> BTreeMap<String, usize> {
    let text = read_gz("fixtures/secop2/procesos.p6dx-8zbt.jsonl.gz");
    let mut latest: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        if !filter(&r) {
            continue;
        }
        let bdos = r["id_del_portafolio"].as_str().unwrap().to_string();
        let updated = r["fecha_de_ultima_publicaci"].as_str().unwrap().to_string();
        let published = r["fecha_de_publicacion_del"].as_str().unwrap()[..7].to_string();
        let e = latest
            .entry(bdos)
            .or_insert((updated.clone(), published.clone()));
        if updated > e.0 {
            *e = (updated, published);
        }
    }
    let mut out = BTreeMap::new();
    for (_, (_, m)) in latest {
        *out.entry(m).or_insert(0) += 1;
    }
    out
}

fn months_of(v: &Value, platform: &str) -> BTreeMap<String, usize> {
    v["months"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            let c = m[platform]["count"].as_u64()?;
            (c > 0).then(|| (m["month"].as_str().unwrap().to_string(), c as usize))
        })
        .collect()
}

#[test]
fn counts_per_platform_and_month_match_the_fixture_rows() {
    let d = demo_dir();
    // One entity on both platforms (and only in these two files).
    let nit = "890702015";
    let v = secop_json(d, &["transition", "--nit", nit]);
    let expected1 = secop1_months(|r| nit9(r["nit_de_la_entidad"].as_str().unwrap_or("")) == nit);
    let expected2 = secop2_months(|r| nit9(r["nit_entidad"].as_str().unwrap_or("")) == nit);
    assert!(!expected1.is_empty() && !expected2.is_empty());
    assert_eq!(months_of(&v, "secop1"), expected1);
    assert_eq!(months_of(&v, "secop2"), expected2);
    let e = &v["entities"][0];
    assert_eq!(e["nit"], nit);
    assert_eq!(
        e["secop1"]["count"].as_u64().unwrap() as usize,
        expected1.values().sum::<usize>()
    );
    assert_eq!(e["mostly_secop1"], true);
    // The whole country, SECOP I side: every constancia of the fixture, by month.
    let all = secop_json(d, &["transition", "--limit", "5"]);
    assert_eq!(months_of(&all, "secop1"), secop1_months(|_| true));
    // Shares: SECOP II over both, where both platforms have data.
    for m in all["months"].as_array().unwrap() {
        match (m["secop1"]["count"].as_u64(), m["secop2"]["count"].as_u64()) {
            (Some(a), Some(b)) if a + b > 0 => {
                let s = m["share_secop2"].as_f64().unwrap();
                assert!((s - b as f64 / (a + b) as f64).abs() < 1e-9);
            }
            _ => assert!(m["share_secop2"].is_null()),
        }
    }
    // The totals add up the months both platforms have data for, and say which.
    let both: Vec<&Value> = all["months"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["note"].is_null())
        .collect();
    let label = format!(
        "{}..{}",
        both[0]["month"].as_str().unwrap(),
        both.last().unwrap()["month"].as_str().unwrap()
    );
    assert_eq!(all["totals"]["month"], label.as_str());
    for p in ["secop1", "secop2"] {
        let sum: u64 = both.iter().map(|m| m[p]["count"].as_u64().unwrap()).sum();
        assert_eq!(all["totals"][p]["count"].as_u64().unwrap(), sum, "{p}");
    }
    // Each entity's share is computed from its basis, which its counts bound.
    for e in all["entities"].as_array().unwrap() {
        let b = (
            e["share_basis"][0].as_u64().unwrap(),
            e["share_basis"][1].as_u64().unwrap(),
        );
        assert!(b.0 <= e["secop1"]["count"].as_u64().unwrap());
        assert!(b.1 <= e["secop2"]["count"].as_u64().unwrap());
        match e["share_secop2"].as_f64() {
            Some(s) => assert!((s - b.1 as f64 / (b.0 + b.1) as f64).abs() < 1e-9, "{e}"),
            None => assert_eq!(b, (0, 0), "{e}"),
        }
    }
}

#[test]
fn filters_combine() {
    let d = demo_dir();
    let total = |args: &[&str]| -> u64 {
        let mut a = vec!["transition"];
        a.extend_from_slice(args);
        let v = secop_json(d, &a);
        v["months"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["secop1"]["count"].as_u64().unwrap_or(0)
                    + m["secop2"]["count"].as_u64().unwrap_or(0)
            })
            .sum()
    };
    let country = total(&[]);
    let guajira = total(&["--department", "La Guajira"]);
    let molino = total(&["--department", "44", "--nit", "890702015"]);
    let april = total(&["--department", "44", "--from", "2026-04", "--to", "2026-04"]);
    assert!(country > guajira && guajira > 0);
    assert!(molino > 0 && molino <= guajira);
    assert!(april > 0 && april < guajira);
    // The same as a search with the same filters.
    let searched = secop_json(d, &["search", "", "--department", "44"])["total"]
        .as_u64()
        .unwrap();
    assert_eq!(guajira, searched);
    let v = secop_json(
        d,
        &[
            "transition",
            "--department",
            "44",
            "--from",
            "2026-04",
            "--to",
            "2026-04",
        ],
    );
    assert!(
        v["months"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["month"] == "2026-04")
    );
}

#[test]
fn a_platform_without_data_is_said_so_not_zero() {
    let d = tempfile::tempdir().unwrap();
    let f = root().join("fixtures/secop2/procesos.p6dx-8zbt.jsonl.gz");
    secop_ok(d.path(), &["import", f.to_str().unwrap()]);
    let v = secop_json(d.path(), &["transition"]);
    let months = v["months"].as_array().unwrap();
    assert!(!months.is_empty());
    for m in months {
        assert!(m["secop1"].is_null(), "{m}");
        assert!(m["share_secop2"].is_null(), "{m}");
        assert!(m["note"].as_str().unwrap().contains("sin datos de SECOP I"));
    }
    assert!(v["totals"]["share_secop2"].is_null());
    assert!(v["coverage"]["secop1"].is_null());
    assert!(
        v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["share_secop2"].is_null() && e["mostly_secop1"] == false)
    );
}

#[tokio::test]
async fn bad_parameters_get_a_json_4xx() {
    let srv = serve(demo_dir(), |_| {});
    let url = srv.url.clone();
    let c = reqwest::Client::new();
    let ok: Value = c
        .get(format!(
            "{url}/api/transition?department=Antioquia&sort=count&limit=5"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ok["entities"].as_array().unwrap().len() <= 5);
    for (q, needle) in [
        ("from=2026-13", "invalid month"),
        ("to=ayer", "invalid month"),
        ("from=2026-05&to=2026-01", "swap"),
        ("sort=popular", "unknown sort"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("threshold=2", "threshold"),
        ("department=Narnia", "unknown department"),
        ("nit=abc", "invalid nit"),
    ] {
        let r = c
            .get(format!("{url}/api/transition?{q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{q}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{q}: {v}"
        );
    }
}

#[test]
fn the_transicion_page_shows_months_entities_and_links() {
    let srv = serve(demo_dir(), |_| {});
    let c = http();
    let r = c
        .get(format!("{}/transicion?department=44&sort=count", srv.url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = r.text().unwrap();
    assert!(html.contains("Transición de SECOP I a SECOP II"));
    assert!(html.contains("aria-current=\"page\""));
    // The entity on both platforms, flagged, with links to its processes and duplicates.
    assert!(html.contains("890702015"));
    assert!(html.contains("sobre todo SECOP I"));
    assert!(html.contains("href=\"/?nit=890702015\""));
    assert!(html.contains("href=\"/duplicados?nit=890702015\""));
    assert!(html.contains("data-src=\"/api/transition?department=44&amp;sort=count\""));
    // Bad input: a 400 page that says why, with the text escaped.
    let r = c
        .get(format!("{}/transicion?nit=%3Cscript%3E", srv.url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>alert"));
    assert!(html.contains("NIT no válido"), "{html}");
}
