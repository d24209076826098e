//! Who buys and who wins: `secop top`, `GET /api/top` and the "Quién compra y quién gana"
//! page over the fixtures, checked against the searches they summarise.

mod common;

use common::*;
use serde_json::Value;

fn top(args: &[&str]) -> Value {
    let mut a = vec!["top"];
    a.extend_from_slice(args);
    secop_json(demo_dir(), &a)
}

fn total(args: &[&str]) -> u64 {
    let mut a = vec!["search", "--limit", "1"];
    a.extend_from_slice(args);
    secop_json(demo_dir(), &a)["total"].as_u64().unwrap()
}

#[test]
fn every_hit_is_counted_once_for_its_buyer() {
    // Vaupés has few buyers: the whole list, so the counts and values add up.
    let t = top(&["--department", "97", "--limit", "100"]);
    let entries = t["entries"].as_array().unwrap();
    assert_eq!(t["by"], "buyer");
    assert_eq!(t["distinct"].as_u64().unwrap(), entries.len() as u64);
    assert!(entries.len() >= 2, "{t}");
    let counts: u64 = entries.iter().map(|e| e["count"].as_u64().unwrap()).sum();
    let values: i64 = entries.iter().map(|e| e["value"].as_i64().unwrap()).sum();
    assert_eq!(
        counts + t["without"].as_u64().unwrap(),
        t["total"].as_u64().unwrap()
    );
    assert_eq!(values, t["total_value"].as_i64().unwrap());
    assert_eq!(t["total"].as_u64().unwrap(), total(&["--department", "97"]));
    // Largest value first; each entry is the search narrowed to that NIT.
    let v: Vec<i64> = entries
        .iter()
        .map(|e| e["value"].as_i64().unwrap())
        .collect();
    assert!(v.windows(2).all(|w| w[0] >= w[1]), "{v:?}");
    for e in entries {
        let nit = e["id"].as_str().unwrap();
        assert_eq!(
            e["count"].as_u64().unwrap(),
            total(&["--department", "97", "--nit", nit]),
            "{e}"
        );
        assert!(!e["name"].as_str().unwrap().is_empty());
    }
}

#[test]
fn suppliers_are_counted_by_the_processes_they_won() {
    let t = top(&[
        "obra", "--by", "supplier", "--order", "count", "--limit", "5",
    ]);
    assert_eq!(t["by"], "supplier");
    assert_eq!(t["order"], "count");
    let entries = t["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5, "{t}");
    let c: Vec<u64> = entries
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .collect();
    assert!(c.windows(2).all(|w| w[0] >= w[1]), "{c:?}");
    // Processes not awarded yet have no supplier.
    assert!(t["without"].as_u64().unwrap() > 0, "{t}");
    for e in entries.iter().filter(|e| e["id"].is_string()) {
        let id = e["id"].as_str().unwrap();
        assert_eq!(
            e["count"].as_u64().unwrap(),
            total(&["obra", "--supplier", id]),
            "{e}"
        );
        // The name is one the records give that supplier.
        let records = secop_ok(
            demo_dir(),
            &["export", "obra", "--supplier", id, "--format", "ndjson"],
        );
        let names: Vec<String> = records
            .lines()
            .flat_map(|l| {
                let p: Value = serde_json::from_str(l).unwrap();
                ["awards", "contracts"]
                    .iter()
                    .flat_map(|k| p[*k].as_array().cloned().unwrap_or_default())
                    .filter_map(|x| x["supplier"]["name"].as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            names.iter().any(|n| n == e["name"].as_str().unwrap()),
            "{e} {names:?}"
        );
    }
}

#[test]
fn suppliers_who_share_a_process_each_have_their_part() {
    // CO1.REQ.600043 (vehicle rental, Medellín) was awarded to three suppliers: 39,693 M,
    // 17,393 M and 17,393 M. Each is credited with its part, not the 74,480 M total.
    let t = top(&["CO1.REQ.600043", "--by", "supplier"]);
    assert_eq!(t["total"].as_u64().unwrap(), 1, "{t}");
    let got: Vec<(String, i64)> = t["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("NEORENT".to_string(), 39_693_082_638),
            ("TRANSPORTES ESPECIALES ACAR SA".to_string(), 17_393_423_438),
            ("ROYAL RENT CORP S.A.S".to_string(), 17_393_423_438),
        ]
    );
    assert_eq!(t["total_value"].as_i64().unwrap(), 74_479_929_514);

    // The parts never add up to more than the hits' total (112 suppliers in Vaupés: the
    // 100 biggest are listed).
    let t = top(&["--department", "97", "--by", "supplier", "--limit", "100"]);
    let entries = t["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 100, "{t}");
    let parts: i64 = entries.iter().map(|e| e["value"].as_i64().unwrap()).sum();
    assert!(
        parts > 0 && parts <= t["total_value"].as_i64().unwrap(),
        "{t}"
    );
}

#[test]
fn a_nit_seated_in_two_municipalities_says_so() {
    // 890981195 is Abejorral's NIT (Antioquia, SECOP II); some SECOP I rows of Ábrego's
    // mayor's office (Norte de Santander) carry it.
    let t = top(&["--nit", "890981195"]);
    let e = &t["entries"][0];
    assert_eq!(e["id"], "890981195");
    assert_eq!(e["municipalities"], 2, "{e}");
    let seats = e["seats"].as_array().unwrap();
    let named: Vec<&str> = seats.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        named,
        ["Abejorral, Antioquia", "Ábrego, Norte de Santander"]
    );
    // Each count is the search narrowed to the NIT and the municipality.
    for s in seats {
        let code = s["code"].as_str().unwrap();
        assert_eq!(
            s["count"].as_u64().unwrap(),
            total(&["--nit", "890981195", "--municipality", code]),
            "{s}"
        );
    }
    let sum: u64 = seats.iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(sum, e["count"].as_u64().unwrap());
    // A NIT seated in one place says nothing.
    let t = top(&["--department", "97", "--limit", "100"]);
    let one = t["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "891900493")
        .expect("Carurú's mayor's office");
    assert!(
        one.get("municipalities").is_none() && one.get("seats").is_none(),
        "{one}"
    );
    // The page and the command say it too.
    let srv = serve(demo_dir(), |_| {});
    let html = srv.text("/quien?nit=890981195");
    assert!(
        html.contains("Sus procesos están en 2 municipios: Abejorral, Antioquia (341); Ábrego, Norte de Santander (9)."),
        "{html}"
    );
    let out = secop_ok(demo_dir(), &["top", "--nit", "890981195"]);
    assert!(
        out.contains("890981195 is seated in 2 municipalities: Abejorral, Antioquia 341; Ábrego, Norte de Santander 9"),
        "{out}"
    );
}

#[test]
fn each_entry_counts_its_processes_by_direct_contracting() {
    for (by, flag) in [("buyer", "--nit"), ("supplier", "--supplier")] {
        let t = top(&["--by", by, "--order", "count", "--limit", "10"]);
        let entries = t["entries"].as_array().unwrap();
        let mut some = 0;
        for e in entries {
            let Some(id) = e["id"].as_str() else { continue };
            let direct = e["direct_count"].as_u64().unwrap();
            // The search narrowed to the entry and to direct contracting.
            assert_eq!(
                direct,
                total(&[flag, id, "--modality", "contratacion_directa"]),
                "{by} {e}"
            );
            assert!(direct <= e["count"].as_u64().unwrap());
            assert_eq!(direct == 0, e["direct_value"].as_i64().unwrap() == 0, "{e}");
            some += direct;
        }
        assert!(some > 0, "{by}: no direct contracting among {t}");
    }
    // ICBF's Vaupés office: 134 of its 178 processes (75.3 %), on the page with a link to them.
    let srv = serve(demo_dir(), |_| {});
    let html = srv.text("/quien?nit=899999239");
    assert!(
        html.contains("134 de 178 procesos por contratación directa"),
        "{html}"
    );
    assert!(html.contains("75,3 %"), "{html}");
    assert!(html.contains("modality=contratacion_directa"), "{html}");
    let out = secop_ok(demo_dir(), &["top", "--nit", "899999239"]);
    assert!(out.contains("75.3 %"), "{out}");
}

#[test]
fn top_over_http_and_on_the_page() {
    let srv = serve(demo_dir(), |_| {});
    let c = http();
    let r = c
        .get(format!(
            "{}/api/top?department=97&by=buyer&limit=2",
            srv.url
        ))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_eq!(
        v,
        top(&["--department", "97", "--limit", "2"])
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.insert("took_ms".into(), v["took_ms"].clone());
                Value::Object(o)
            })
            .unwrap()
    );
    for (q, needle) in [
        ("by=nadie", "by"),
        ("order=x", "order"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
    ] {
        let r = c.get(format!("{}/api/top?{q}", srv.url)).send().unwrap();
        assert_eq!(r.status().as_u16(), 400, "{q}");
        let e: Value = r.json().unwrap();
        assert!(
            e["error"]["message"].as_str().unwrap().contains(needle),
            "{q}: {e}"
        );
    }
    // The page: both lists, each name a link to the search narrowed to it; the search page
    // links to it with its own parameters.
    let html = srv.text("/quien?department=97");
    assert!(
        html.contains("Quién compra</h2>") && html.contains("Quién gana</h2>"),
        "{html}"
    );
    let nit = v["entries"][0]["id"].as_str().unwrap();
    assert!(
        html.contains(&format!("href=\"/?nit={nit}&amp;department=97\"")),
        "{html}"
    );
    let search = srv.text("/?department=97");
    assert!(search.contains("href=\"/quien?department=97\""));
    let by_count = srv.text("/quien?department=97&order=count");
    assert!(by_count.contains("% de los procesos"));
    // A bad parameter: the page says why, with a 400.
    let bad = c
        .get(format!("{}/quien?order=%3Cb%3E", srv.url))
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let bad = bad.text().unwrap();
    assert!(!bad.contains("<b>"));
    assert!(
        bad.contains("order debe ser value (valor) o count (procesos)"),
        "{bad}"
    );
    // A text of stop words alone: nobody, and the reason, on the page and in the API.
    let html = srv.text("/quien?q=de+la");
    assert!(html.contains("no hay nada que buscar en «de la»"), "{html}");
    let v: serde_json::Value =
        serde_json::from_str(&srv.text("/api/top?q=de+la&by=buyer")).unwrap();
    assert_eq!(v["total"], 0);
    assert!(
        v["warnings"][0].as_str().unwrap().contains("too common"),
        "{v}"
    );
}

#[test]
fn a_nit_with_many_units_says_which_names_it_counts() {
    // ICBF (NIT 899999239) publishes under one name per regional office: its one entry is
    // named as most of its hits name it (the Vaupés export is in the fixtures), and says
    // it counts the others too.
    let t = top(&["--nit", "899999239"]);
    let e = &t["entries"][0];
    assert_eq!(e["id"], "899999239", "{t}");
    assert_eq!(e["name"], "ICBF REGIONAL VAUPES");
    let names = e["names"].as_u64().unwrap();
    assert!(names > 10, "{e}");
    let others = e["other_names"].as_array().unwrap();
    assert_eq!(others.len(), 5, "{e}");
    assert!(
        others
            .iter()
            .all(|o| o["name"].as_str().unwrap().contains("BIENESTAR")
                || o["name"].as_str().unwrap().starts_with("ICBF")),
        "{e}"
    );
    let c: Vec<u64> = others
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .collect();
    assert!(c.windows(2).all(|w| w[0] >= w[1]), "{c:?}");
    assert!(c.iter().sum::<u64>() < e["count"].as_u64().unwrap());
    // The table and the page say so.
    let table = secop_ok(demo_dir(), &["top", "--nit", "899999239"]);
    assert!(
        table.contains(&format!(
            "ICBF REGIONAL VAUPES (+{} other names)",
            names - 1
        )),
        "{table}"
    );
    let srv = serve(demo_dir(), |_| {});
    let html = srv.text("/quien?nit=899999239");
    assert!(
        html.contains(&format!("Este NIT publica con {names} nombres; también: ")),
        "{html}"
    );
    // A NIT under one name says nothing more.
    let t = top(&["--department", "97", "--by", "supplier", "--limit", "3"]);
    assert!(t["entries"][0].get("other_names").is_none(), "{t}");
}
