//! Exports over HTTP and the CLI: CSV round-trips through the csv crate, NDJSON has one
//! record per hit, every OCDS package validates against the official OCDS 1.1.5 schema,
//! bad input gets a 4xx, and an abandoned export frees its slot.

mod common;

use std::collections::HashSet;
use std::sync::OnceLock;

use common::*;
use secop_bridge::export::csv::{BOM, COLUMNS};
use serde_json::Value;

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| serve(demo_dir(), |_| {}))
}

fn get(path: &str) -> reqwest::blocking::Response {
    http()
        .get(format!("{}{path}", server().url))
        .send()
        .expect("the server answers")
}

fn total(query: &str) -> u64 {
    let v: Value = get(&format!("/api/search?facets=false&{query}"))
        .json()
        .unwrap();
    v["total"].as_u64().unwrap()
}

fn body(path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = get(path);
    assert_eq!(r.status(), 200, "{path}");
    let h = r.headers().clone();
    (h, r.bytes().unwrap().to_vec())
}

fn ndjson_keys(bytes: &[u8]) -> Vec<String> {
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("each line is one JSON record");
            v["key"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn ndjson_has_one_record_per_hit() {
    for q in [
        "",
        "q=seguros",
        "platform=secop1&department=Antioquia",
        "q=obra&min_value=100000000",
        "q=zzzzyyyyxxxx",
    ] {
        let n = total(q);
        let (h, b) = body(&format!("/api/export?format=ndjson&{q}"));
        assert_eq!(h["content-type"], "application/x-ndjson");
        assert_eq!(h["x-total-count"], n.to_string().as_str());
        let keys = ndjson_keys(&b);
        assert_eq!(keys.len() as u64, n, "{q}: lines vs total");
        let unique: HashSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "{q}: a record twice");
    }
    // The whole demo index, and the same from the CLI.
    let cli = secop_ok(demo_dir(), &["export", "", "--format", "ndjson"]);
    assert_eq!(cli.lines().count() as u64, total(""));
    let (_, b) = body("/api/export?format=ndjson");
    assert_eq!(ndjson_keys(&b), ndjson_keys(cli.as_bytes()));
}

#[test]
fn the_csv_gives_secop1_labels_their_accents_back() {
    let (_, b) = body("/api/export?format=csv&platform=secop1");
    let mut r = csv::Reader::from_reader(&b[BOM.len()..]);
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let published: Vec<String> = r
        .records()
        .map(|x| x.unwrap()[col("Modalidad publicada")].to_string())
        .collect();
    assert!(published.len() > 100);
    // The live SECOP I dataset writes `CONTRATACIoN DIRECTA (LEY 1150 DE 2007)`.
    assert!(
        published
            .iter()
            .any(|m| m == "CONTRATACIÓN DIRECTA (LEY 1150 DE 2007)")
    );
    assert!(
        published
            .iter()
            .all(|m| !m.contains("IoN") && !m.contains("ReG")),
        "no lost capital left"
    );
}

#[test]
fn csv_round_trips_through_the_csv_crate() {
    let q = "q=seguros&platform=secop2";
    let (h, b) = body(&format!("/api/export?format=csv&{q}"));
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"secop-")
    );
    assert!(b.starts_with(BOM), "UTF-8 BOM first");
    let mut r = csv::Reader::from_reader(&b[BOM.len()..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, COLUMNS);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len() as u64, total(q));
    // Each row is its record: compare with the NDJSON export of the same search.
    let (_, nd) = body(&format!("/api/export?format=ndjson&{q}"));
    let records: Vec<Value> = std::str::from_utf8(&nd)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    for (row, rec) in rows.iter().zip(&records) {
        assert_eq!(&row[col("Clave")], rec["key"].as_str().unwrap());
        assert_eq!(&row[col("Plataforma")], "SECOP II");
        let est = rec["estimated_value"]
            .as_i64()
            .map(|v| v.to_string())
            .unwrap_or_default();
        assert_eq!(&row[col("Valor estimado (COP)")], est, "plain integers");
        if let Some(d) = rec["published_at"].as_str() {
            // ISO dates: 2026-08-19T00:00:00 → 2026-08-19 00:00:00
            assert_eq!(
                &row[col("Fecha de publicación")],
                d.replace('T', " ").as_str()
            );
        }
        assert!(row[col("Enlace")].starts_with("https://"));
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    // Accents survive (the BOM tells spreadsheets it is UTF-8).
    assert!(
        rows.iter()
            .any(|r| r.iter().any(|c| c.contains('Ó') || c.contains('ó')))
    );
    // The CLI writes the same file.
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("x.csv");
    secop_ok(
        demo_dir(),
        &[
            "export",
            "seguros",
            "--platform",
            "secop2",
            "--format",
            "csv",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let file = std::fs::read(&out).unwrap();
    assert_eq!(
        file.len(),
        b.len(),
        "the CLI and the API write the same CSV"
    );
}

/// A validator for OCDS 1.1.5 release packages that resolves the release schema from
/// fixtures/, never from the network.
fn ocds_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        struct Local(Value);
        impl jsonschema::Retrieve for Local {
            fn retrieve(
                &self,
                uri: &jsonschema::Uri<String>,
            ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
                if uri.as_str()
                    == "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
                {
                    Ok(self.0.clone())
                } else {
                    Err(format!("not available offline: {uri}").into())
                }
            }
        }
        let dir = root().join("fixtures/ocds/schema-1.1.5");
        let read = |n: &str| -> Value {
            serde_json::from_slice(&std::fs::read(dir.join(n)).unwrap()).unwrap()
        };
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .with_retriever(Local(read("release-schema.json")))
            .build(&read("release-package-schema.json"))
            .expect("the OCDS schema compiles")
    })
}

fn assert_valid(package: &Value, what: &str) {
    let errors: Vec<String> = ocds_validator()
        .iter_errors(package)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn the_validator_accepts_real_releases_and_rejects_broken_ones() {
    let mut releases = Vec::new();
    for name in [
        "secop-release_1.json",
        "secop-release_2.json",
        "secop2-release_1.json",
        "secop2-release_2.json",
        "tvec-release_1.json",
        "tvec-release_2.json",
    ] {
        let r: Value = serde_json::from_slice(
            &std::fs::read(root().join("fixtures/ocds").join(name)).unwrap(),
        )
        .unwrap();
        let package = serde_json::json!({
            "uri": "https://example.org/package.json",
            "publishedDate": "2026-01-01T00:00:00Z",
            "publisher": {"name": "test"},
            "version": "1.1",
            "releases": [r.clone()],
        });
        assert_valid(&package, name);
        releases.push(r);
    }
    let mut broken = serde_json::json!({
        "uri": "https://example.org/package.json",
        "publishedDate": "2026-01-01T00:00:00Z",
        "publisher": {"name": "test"},
        "version": "1.1",
        "releases": [releases[0].clone()],
    });
    broken["releases"][0]["tender"]["status"] = "abierto".into();
    assert!(
        !ocds_validator().is_valid(&broken),
        "a status outside the codelist"
    );
    broken["releases"][0] = releases[0].clone();
    broken["releases"][0]
        .as_object_mut()
        .unwrap()
        .remove("ocid");
    assert!(
        !ocds_validator().is_valid(&broken),
        "a release without ocid"
    );
    broken["releases"][0] = releases[0].clone();
    broken["publishedDate"] = "yesterday".into();
    assert!(
        !ocds_validator().is_valid(&broken),
        "a date that is not a date"
    );
}

#[test]
fn every_ocds_package_validates() {
    for q in [
        "",
        "platform=secop1",
        "platform=secop2&status=contracted",
        "dataset=jbjy-vk9h",
        "q=seguros",
    ] {
        let (h, b) = body(&format!("/api/export?format=ocds&{q}"));
        assert_eq!(h["content-type"], "application/json");
        let package: Value = serde_json::from_slice(&b).expect("one JSON document");
        assert_valid(&package, q);
        assert_eq!(package["version"], "1.1");
        assert!(
            package["uri"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{}/api/export?format=ocds", server().url))
        );
        let releases = package["releases"].as_array().unwrap();
        assert_eq!(releases.len() as u64, total(q), "{q}");
        for r in releases {
            let ocid = r["ocid"].as_str().unwrap();
            let pid = ocid.strip_prefix("ocds-k50g02-").expect("the SECOP prefix");
            assert_eq!(r["tender"]["id"], pid);
            assert_eq!(r["initiationType"], "tender");
            // The buyer is a party with the buyer role.
            let buyer = r["buyer"]["id"].as_str().unwrap();
            let parties = r["parties"].as_array().unwrap();
            let b = parties
                .iter()
                .find(|p| p["id"] == buyer)
                .expect("buyer party");
            assert!(b["roles"].as_array().unwrap().contains(&"buyer".into()));
            // Every contract points at an award of the release; every supplier is a party.
            let awards: Vec<&str> = r["awards"]
                .as_array()
                .map(|a| a.iter().map(|x| x["id"].as_str().unwrap()).collect())
                .unwrap_or_default();
            for c in r["contracts"].as_array().into_iter().flatten() {
                assert!(awards.contains(&c["awardID"].as_str().unwrap()), "{ocid}");
            }
            for a in r["awards"].as_array().into_iter().flatten() {
                for s in a["suppliers"].as_array().into_iter().flatten() {
                    let party = parties
                        .iter()
                        .find(|p| p["id"] == s["id"])
                        .expect("supplier");
                    assert!(
                        party["roles"]
                            .as_array()
                            .unwrap()
                            .contains(&"supplier".into())
                    );
                }
            }
            if let Some(v) = r["tender"]["value"].as_object() {
                assert_eq!(v["currency"], "COP");
            }
        }
    }
    // A known process: its UNSPSC items, link back and mapped codes.
    let (_, b) = body("/api/export?format=ocds&q=CO1.BDOS.10558939");
    let p: Value = serde_json::from_slice(&b).unwrap();
    let r = p["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ocid"] == "ocds-k50g02-CO1.BDOS.10558939")
        .expect("the process");
    let t = &r["tender"];
    assert_eq!(t["status"], "active");
    assert_eq!(t["procurementMethod"], "selective");
    assert_eq!(t["value"]["amount"], 78098065);
    assert_eq!(t["items"][0]["classification"]["scheme"], "UNSPSC");
    assert_eq!(t["items"][0]["classification"]["id"], "84131500");
    assert_eq!(t["tenderPeriod"]["endDate"], "2026-09-02T00:00:00-05:00");
    assert!(
        t["documents"][0]["url"]
            .as_str()
            .unwrap()
            .contains("CO1.NTC.10732827")
    );
    // The CLI's package validates too.
    let cli = secop_ok(
        demo_dir(),
        &["export", "", "--format", "ocds", "--platform", "secop2"],
    );
    let v: Value = serde_json::from_str(&cli).unwrap();
    assert_valid(&v, "cli");
}

#[test]
fn bad_export_requests_get_a_json_4xx() {
    for (q, needle) in [
        ("format=xls", "unknown export format"),
        ("format=csv&department=Narnia", "unknown department"),
        ("format=ndjson&min_value=mucho", "whole number"),
        ("format=ocds&q=%22open", "unbalanced"),
        // Page and order would be ignored without a word: a file sorted by value was
        // expected and one in index order came.
        ("q=seguros&sort=value_desc", "sort does not apply here"),
        ("q=seguros&page=3", "page does not apply here"),
        ("q=seguros&cursor=zzz", "cursor does not apply here"),
    ] {
        let r = get(&format!("/api/export?{q}"));
        assert_eq!(r.status(), 400, "{q}");
        let v: Value = r.json().unwrap();
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{q}: {v}"
        );
    }
    for q in [
        "q=seguros&sort=value_desc",
        "q=seguros&page=2",
        "cursor=abc",
    ] {
        let r = get(&format!("/api/feed.atom?{q}"));
        assert_eq!(r.status(), 400, "{q}");
        let v: Value = r.json().unwrap();
        assert!(
            v["error"]["message_es"]
                .as_str()
                .unwrap_or_default()
                .contains("no se aplica")
                || v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("newest matches first"),
            "{q}: {v}"
        );
    }
    // An empty value, as a form sends it, is no parameter.
    assert_eq!(get("/api/export?q=seguros&sort=").status(), 200);
    let out = secop(demo_dir(), &["export", "x", "--format", "xls"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("csv, ndjson or ocds"));
}

#[test]
fn no_hits_is_an_empty_csv_but_no_ocds_package() {
    // OCDS asks for at least one release: a 404 that says so, and no file from the CLI.
    let nothing = "q=zzqxwv";
    assert_eq!(total(nothing), 0);
    let r = get(&format!("/api/export?format=ocds&{nothing}"));
    assert_eq!(r.status(), 404);
    let v: Value = r.json().unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least one release"),
        "{v}"
    );
    let file = std::env::temp_dir().join(format!("secop-no-hits-{}.json", std::process::id()));
    let out = secop(
        demo_dir(),
        &[
            "export",
            "zzqxwv",
            "--format",
            "ocds",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least one release"));
    assert!(!file.exists());
    // CSV and NDJSON of no hits are 200: the header row, or nothing.
    let (h, b) = body(&format!("/api/export?format=csv&{nothing}"));
    assert_eq!(h["x-total-count"], "0");
    let text = String::from_utf8(b).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let (_, b) = body(&format!("/api/export?format=ndjson&{nothing}"));
    assert!(b.is_empty());
}

#[test]
fn the_csv_says_what_each_supplier_won() {
    // CO1.REQ.600043: three suppliers share the lots of one process.
    let (_, b) = body("/api/export?format=csv&q=CO1.REQ.600043");
    let mut r = csv::Reader::from_reader(&b[BOM.len()..]);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    assert_eq!(
        &rows[0][col("Valor por proveedor (COP)")],
        "NEORENT: 39693082638 | TRANSPORTES ESPECIALES ACAR SA: 17393423438 | ROYAL RENT CORP S.A.S: 17393423438"
    );
    assert_eq!(&rows[0][col("Valor adjudicado (COP)")], "74479929514");
    // A process not awarded yet has the cell empty; every awarded one names its parts,
    // which never add up to more than its awarded value.
    let (_, b) = body("/api/export?format=csv&department=97");
    let mut r = csv::Reader::from_reader(&b[BOM.len()..]);
    let (mut empty, mut named) = (0, 0);
    for row in r.records().map(|x| x.unwrap()) {
        let won = &row[col("Valor por proveedor (COP)")];
        let awarded = &row[col("Valor adjudicado (COP)")];
        if awarded.is_empty() {
            assert!(won.is_empty(), "{row:?}");
            empty += 1;
            continue;
        }
        let parts: i64 = won
            .split(" | ")
            .filter(|p| !p.is_empty())
            .map(|p| p.rsplit(": ").next().unwrap().parse::<i64>().unwrap())
            .sum();
        assert!(parts <= awarded.parse::<i64>().unwrap(), "{row:?}");
        named += usize::from(!won.is_empty());
    }
    assert!(empty > 0 && named > 100, "{empty} {named}");
}

#[test]
fn a_contract_only_process_is_dated_by_its_first_signature() {
    // Processes known only from their contracts (jbjy rows without a p6dx process) have no
    // publication date; the CSV gives the first signature instead of an undated row.
    let (_, b) = body("/api/export?format=csv");
    let mut r = csv::Reader::from_reader(&b[BOM.len()..]);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let (_, nd) = body("/api/export?format=ndjson");
    let records: Vec<Value> = std::str::from_utf8(&nd)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), records.len());
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let (mut signed_only, mut both) = (0, 0);
    for (row, rec) in rows.iter().zip(&records) {
        assert_eq!(&row[col("Clave")], rec["key"].as_str().unwrap());
        let first = rec["contracts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["signed_at"].as_str())
            .min()
            .map(|d| d.replace('T', " "))
            .unwrap_or_default();
        assert_eq!(&row[col("Fecha de firma")], first.as_str(), "{row:?}");
        let published = &row[col("Fecha de publicación")];
        if published.is_empty() && !first.is_empty() {
            assert_eq!(&row[col("Solo contratos")], "sí", "{row:?}");
            signed_only += 1;
        } else if !published.is_empty() && !first.is_empty() {
            both += 1;
        }
    }
    assert!(signed_only > 50 && both > 50, "{signed_only} {both}");
}

#[test]
fn a_text_of_stop_words_says_why_its_export_is_empty() {
    // The file has no room for a warning: a header carries it (one a warning, ASCII).
    let (h, b) = body("/api/export?format=csv&q=de+la&platform=secop2");
    assert_eq!(h["x-total-count"], "0");
    assert_eq!(String::from_utf8(b).unwrap().lines().count(), 1);
    let warned: Vec<&str> = h
        .get_all("x-search-warning")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(warned.len(), 1, "{h:?}");
    assert!(
        warned[0].starts_with("nothing to search in \"de la\": its words (de, la) are too common"),
        "{warned:?}"
    );
    // Accents of the text are folded in the header: "común" reads "comun".
    let (h, _) = body("/api/export?format=ndjson&q=%22para+el%22+%C2%ABde%C2%BB");
    let w = h["x-search-warning"].to_str().unwrap();
    assert!(w.contains("nothing to search") && w.is_ascii(), "{w}");
    // An export that finds something has no warning.
    let (h, _) = body("/api/export?format=csv&q=seguros");
    assert!(!h.contains_key("x-search-warning"));
    // OCDS: the 404 says why, in both languages; the CLI says it on stderr.
    let r = get("/api/export?format=ocds&q=de+la");
    assert_eq!(r.status(), 404);
    let v: Value = r.json().unwrap();
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.starts_with("nothing to search in \"de la\""), "{v}");
    let es = v["error"]["message_es"].as_str().unwrap();
    assert!(es.starts_with("no hay nada que buscar en «de la»"), "{v}");
    let out = secop(demo_dir(), &["export", "de la", "--format", "ndjson"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing to search in \"de la\""), "{err}");
}

#[test]
fn an_abandoned_export_frees_its_slot() {
    let s = serve(demo_dir(), |c| c.max_exports = 1);
    // Start an export and drop it after the first bytes.
    let mut r = http()
        .get(format!("{}/api/export?format=ocds", s.url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut r, &mut first).unwrap();
    // While it streams, a second one is refused with a 503 and Retry-After.
    let busy = http()
        .get(format!("{}/api/export?format=csv", s.url))
        .send()
        .unwrap();
    if busy.status() == 503 {
        assert!(busy.headers().contains_key("retry-after"));
    }
    drop(busy);
    drop(r);
    // Once the client is gone the slot comes back.
    let mut ok = false;
    for _ in 0..100 {
        let r = http()
            .get(format!(
                "{}/api/export?format=ndjson&platform=secop1",
                s.url
            ))
            .send()
            .unwrap();
        if r.status() == 200 {
            let n = r.text().unwrap().lines().count() as u64;
            assert_eq!(n, total("platform=secop1"));
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ok, "the abandoned export never released its slot");
}
