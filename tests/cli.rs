//! End-to-end runs of the `secop` binary over the bundled fixtures: imports, searches,
//! lookups, idempotence, upserts and quarantine.

mod common;

use common::*;

fn total(dir: &std::path::Path, args: &[&str]) -> u64 {
    let mut a = vec!["search"];
    a.extend_from_slice(args);
    secop_json(dir, &a)["total"].as_u64().expect("total")
}

#[test]
fn specific_queries_find_specific_processes() {
    let d = demo_dir();
    // INCIVA's insurance tender (SECOP II, p6dx-8zbt).
    let v = secop_json(
        d,
        &[
            "search",
            "suministro de pólizas de seguros",
            "--nit",
            "800086201",
        ],
    );
    assert_eq!(keys(&v)[0], "secop2:CO1.BDOS.10558939");
    // Manaure's road works (SECOP I, f789-7hwg), found by words of its object.
    let v = secop_json(d, &["search", "malla vial pavimento rigido manaure"]);
    assert_eq!(keys(&v)[0], "secop1:26-21-53372");
    // A contract known only from jbjy-vk9h makes a partial process.
    let v = secop_json(d, &["search", "almacenes UH-60 BELL aviones"]);
    let hit = &v["hits"][0]["process"];
    assert_eq!(hit["partial"], true);
    assert_eq!(hit["contracts"][0]["id"], "CO1.PCCNTR.2014577");
    // A category name finds processes coded with it (UNSPSC 7214: heavy construction).
    let v = secop_json(
        d,
        &[
            "search",
            "servicios de construcción de autopistas y carreteras",
            "--limit",
            "50",
        ],
    );
    assert!(v["total"].as_u64().unwrap() > 5);
    assert!(keys(&v).contains(&"secop1:26-21-53372".to_string()));
}

#[test]
fn a_search_that_finds_nothing_says_which_word_or_flag_to_leave_out() {
    let d = demo_dir();
    let out = secop(d, &["search", "cemento hidraulico"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let cemento = total(d, &["cemento"]);
    let hidraulico = total(d, &["hidraulico"]);
    assert!(
        err.contains(&format!("without \"hidraulico\": {cemento} processes")),
        "{err}"
    );
    assert!(
        err.contains(&format!("without \"cemento\": {hidraulico} processes")),
        "{err}"
    );
    // Standard output holds only the count line, not a table header over no rows.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 of 0 hits"));
    // No one word of three is enough: two are left out together.
    let out = secop(d, &["search", "cemento hidraulico quirurgico"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "without \"hidraulico\" and \"quirurgico\": {cemento} processes"
        )),
        "{err}"
    );
    // Nothing but an excluded word left is never offered: it would be nearly everything.
    let out = secop(d, &["search", "--", "cemento -cemento"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("without \"-cemento\": {cemento} processes")),
        "{err}"
    );
    assert!(!err.contains("without \"cemento\""), "{err}");
    // A filter too many names its flag; --json carries the same.
    let args = [
        "search",
        "vigilancia",
        "--department",
        "97",
        "--modality",
        "licitacion",
    ];
    let err = String::from_utf8_lossy(&secop(d, &args).stderr).to_string();
    let without_modality = total(d, &["vigilancia", "--department", "97"]);
    assert!(
        err.contains(&format!("without --modality: {without_modality} processes")),
        "{err}"
    );
    let v = secop_json(d, &args);
    assert!(
        v["relaxations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["without_filter"] == "modality" && r["total"] == without_modality),
        "{v}"
    );
}

#[test]
fn phrases_need_their_words_in_order() {
    let d = demo_dir();
    let words = total(d, &["prestación servicios"]);
    let phrase = total(d, &["\"prestación de servicios\""]);
    let reversed = total(d, &["\"servicios de prestación\""]);
    assert!(phrase > 50, "{phrase}");
    assert!(
        phrase < words && reversed < phrase,
        "{reversed} {phrase} {words}"
    );
    // Accents and plurals still do not matter inside a phrase; the words are highlighted.
    assert_eq!(phrase, total(d, &["\"PRESTACION DE SERVICIO\""]));
    let v = secop_json(d, &["search", "\"prestación de servicios\""]);
    let snippet = v["hits"][0]["snippet"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(snippet.contains("<b>servicios</b>"), "{snippet}");
}

#[test]
fn accents_case_and_plurals_do_not_matter() {
    let d = demo_dir();
    let a = total(d, &["alcaldia"]);
    assert!(a > 100, "{a}");
    assert_eq!(a, total(d, &["ALCALDÍA"]));
    // The live SECOP I dataset lost its accented capitals.
    assert_eq!(a, total(d, &["ALCALDiA"]));
    assert_eq!(total(d, &["contratación"]), total(d, &["contratacion"]));
    assert_eq!(total(d, &["póliza"]), total(d, &["pólizas"]));
    assert_eq!(total(d, &["vía"]), total(d, &["VIAS"]));
    assert_eq!(
        total(d, &["licitación pública"]),
        total(d, &["LICITACIoN PuBLICA"])
    );
    // Shown with its capitals put back (published as `IMPLEMENTACIoN …` by `CoRDOBA -
    // ALCALDiA MUNICIPIO DE MOÑITOS`), and found by either spelling.
    let p = secop_json(d, &["show", "26-1-244706"]);
    let title = p["title"].as_str().unwrap();
    assert!(
        title.starts_with("IMPLEMENTACIÓN DEL PROGRAMA DE ALIMENTACIÓN ESCOLAR"),
        "{title}"
    );
    assert_eq!(
        p["buyer"]["name"],
        "CÓRDOBA - ALCALDÍA MUNICIPIO DE MOÑITOS"
    );
    // The published labels too, in the text view (the record keeps them as published).
    assert_eq!(p["modality_raw"], "LICITACIoN PuBLICA");
    let out = secop(d, &["show", "26-1-244706"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Licitación pública (LICITACIÓN PÚBLICA)"),
        "{text}"
    );
    assert!(text.contains("PRESTACIÓN DE SERVICIOS"), "{text}");
    assert!(!text.contains("LICITACIoN"), "{text}");
    for q in [
        "IMPLEMENTACIoN ALIMENTACIoN MOÑITOS",
        "implementación alimentación moñitos",
    ] {
        let v = secop_json(d, &["search", q]);
        assert_eq!(keys(&v)[0], "secop1:26-1-244706", "{q}");
    }
}

#[test]
fn filters_narrow_the_search() {
    let d = demo_dir();
    let all = total(d, &[""]);
    let s1 = total(d, &["", "--platform", "secop1"]);
    let s2 = total(d, &["", "--platform", "secop2"]);
    assert_eq!(all, s1 + s2);
    assert!(s1 > 1000 && s2 > 1000);
    // Department by name or any spelling, and by code.
    let bog = total(d, &["", "--department", "Bogotá D.C."]);
    assert!(bog > 50);
    assert_eq!(bog, total(d, &["", "--department", "11"]));
    assert_eq!(bog, total(d, &["", "--department", "BOGOTa D.C."]));
    assert_eq!(bog, total(d, &["", "--department", "Bogotá, D.C."]));
    // A bad value is named by its flag, not by the API's parameter.
    for (args, flag) in [
        (["--limit", "1000"], "--limit"),
        (["--min-value", "abc"], "--min-value"),
    ] {
        let out = secop(d, &[&["search", "obra"][..], &args[..]].concat());
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag) && !err.contains('_'), "{err}");
    }
    let open = total(d, &["", "--status", "open", "--platform", "secop2"]);
    assert!(open > 0 && open < s2);
    let big = total(d, &["", "--min-value", "1000000000"]);
    let small = total(d, &["", "--max-value", "999999999"]);
    assert!(big > 0 && small > 0 && big + small <= all);
    let v = secop_json(
        d,
        &[
            "search",
            "",
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-31",
            "--sort",
            "date_asc",
            "--limit",
            "100",
        ],
    );
    for h in v["hits"].as_array().unwrap() {
        let p = h["process"]["published_at"].as_str().unwrap_or("");
        assert!(p.starts_with("2026-08"), "{p}");
    }
    let v = secop_json(d, &["search", "", "--sort", "value", "--limit", "5"]);
    // The value compared is the estimate, else the contracted (or awarded) total.
    let sum = |list: &serde_json::Value| -> i64 {
        list.as_array()
            .map_or(0, |a| a.iter().filter_map(|x| x["value"].as_i64()).sum())
    };
    let vals: Vec<i64> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let p = &h["process"];
            p["estimated_value"].as_i64().unwrap_or_else(|| {
                let c = sum(&p["contracts"]);
                if c > 0 { c } else { sum(&p["awards"]) }
            })
        })
        .collect();
    assert!(vals.windows(2).all(|w| w[0] >= w[1]), "{vals:?}");
}

#[test]
fn every_identifier_finds_its_process() {
    let d = demo_dir();
    let show = |id: &str| -> String {
        let v = secop_json(d, &["show", id]);
        v["key"].as_str().unwrap().to_string()
    };
    let inciva = "secop2:CO1.BDOS.10558939";
    assert_eq!(show("CO1.BDOS.10558939"), inciva);
    assert_eq!(show("co1.bdos.10558939"), inciva);
    assert_eq!(show("CO1.REQ.10877504"), inciva);
    // The notice id appears only inside the URL.
    assert_eq!(show("CO1.NTC.10732827"), inciva);
    assert_eq!(show(inciva), inciva);
    // The entity's reference, with or without the phase suffix.
    let briceno = "secop2:CO1.BDOS.10631874";
    assert_eq!(show("MB-CO-SAMC-009-2026"), briceno);
    assert_eq!(
        show("MB-CO-SAMC-009-2026 (Manifestación de interés (Menor Cuantía))"),
        briceno
    );
    // SECOP II contract.
    assert!(show("CO1.PCCNTR.2014577").starts_with("secop2:CO1.NTC."));
    // SECOP I constancia, uid, process number and contract number.
    assert_eq!(show("26-21-53372"), "secop1:26-21-53372");
    assert_eq!(show("26-4-14703048-13627725"), "secop1:26-4-14703048");
    assert_eq!(show("YC-LP-001-2026"), "secop1:26-1-244584");
    // The buyer's NIT with check digit, dots or commas finds one of its processes.
    for nit in ["800086201", "800.086.201-5", "800,086,201", "8000862015"] {
        let v = secop_json(d, &["search", nit]);
        assert!(keys(&v).contains(&inciva.to_string()), "{nit}");
    }
    // An unknown identifier: a clear error and a non-zero exit.
    let out = secop(d, &["show", "CO1.BDOS.0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no process has the identifier"));
}

#[test]
fn reimport_is_idempotent_and_a_changed_row_replaces_its_version() {
    let d = tempfile::tempdir().unwrap();
    import_fixtures(d.path());
    let before = secop_json(d.path(), &["stats"]);
    let doc_before = secop_json(d.path(), &["show", "CO1.BDOS.10558939"]);
    // The same files again: nothing new, nothing changed, the same documents.
    let files: Vec<String> = fixture_files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    args.push("--json");
    let again: serde_json::Value = serde_json::from_str(&secop_ok(d.path(), &args)).unwrap();
    assert_eq!(again["total"]["new"], 0);
    assert_eq!(again["total"]["changed"], 0);
    assert_eq!(again["total"]["processes"], 0);
    let after = secop_json(d.path(), &["stats"]);
    assert_eq!(before["documents"], after["documents"]);
    assert_eq!(
        doc_before,
        secop_json(d.path(), &["show", "CO1.BDOS.10558939"])
    );

    // The same process row with a new base price and status: an upsert, not a new document.
    let mut row: serde_json::Value =
        serde_json::from_str(include_str!("data/p6dx-row.json")).unwrap();
    row["precio_base"] = "80000000".into();
    row["estado_del_procedimiento"] = "Evaluación".into();
    let f = write(d.path(), "changed.jsonl", &format!("{row}\n"));
    let r = secop_json(d.path(), &["import", f.to_str().unwrap()]);
    assert_eq!(r["total"]["changed"], 1);
    assert_eq!(r["total"]["new"], 0);
    let doc = secop_json(d.path(), &["show", "CO1.BDOS.10558939"]);
    assert_eq!(doc["estimated_value"], 80_000_000);
    assert_eq!(doc["status"], "evaluation");
    assert_eq!(
        secop_json(d.path(), &["stats"])["documents"],
        before["documents"]
    );

    // An older download of the same row (its last publication a week earlier) imported
    // afterwards is kept out: the newer values stay.
    let mut old = row.clone();
    old["precio_base"] = "1000".into();
    old["fecha_de_ultima_publicaci"] = "2026-08-12T00:00:00.000".into();
    let f = write(d.path(), "older.jsonl", &format!("{old}\n"));
    let r = secop_json(d.path(), &["import", f.to_str().unwrap()]);
    assert_eq!(r["total"]["older"], 1, "{r}");
    assert_eq!(r["total"]["changed"], 0);
    assert_eq!(r["total"]["processes"], 0);
    let doc = secop_json(d.path(), &["show", "CO1.BDOS.10558939"]);
    assert_eq!(doc["estimated_value"], 80_000_000);
    let out = secop(d.path(), &["import", f.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("1 row kept out: the last-update date is older"),
        "{said}"
    );
    // A later publication replaces it, and so does a same-day correction.
    for (date, price) in [
        ("2026-08-20T00:00:00.000", "90000000"),
        ("2026-08-20T00:00:00.000", "95000000"),
    ] {
        let mut newer = row.clone();
        newer["precio_base"] = price.into();
        newer["fecha_de_ultima_publicaci"] = date.into();
        let f = write(d.path(), "newer.jsonl", &format!("{newer}\n"));
        let r = secop_json(d.path(), &["import", f.to_str().unwrap()]);
        assert_eq!(r["total"]["changed"], 1, "{r}");
        let doc = secop_json(d.path(), &["show", "CO1.BDOS.10558939"]);
        assert_eq!(doc["estimated_value"], price.parse::<i64>().unwrap());
    }
    // Within one file, the later version wins whatever the order of the lines.
    let (mut a, mut b) = (row.clone(), row.clone());
    a["precio_base"] = "70000000".into();
    a["fecha_de_ultima_publicaci"] = "2026-09-01T00:00:00.000".into();
    b["precio_base"] = "60000000".into();
    b["fecha_de_ultima_publicaci"] = "2026-08-25T00:00:00.000".into();
    let f = write(d.path(), "both.jsonl", &format!("{a}\n{b}\n"));
    let r = secop_json(d.path(), &["import", f.to_str().unwrap()]);
    assert_eq!(
        (r["total"]["changed"].as_u64(), r["total"]["older"].as_u64()),
        (Some(1), Some(1))
    );
    let doc = secop_json(d.path(), &["show", "CO1.BDOS.10558939"]);
    assert_eq!(doc["estimated_value"], 70_000_000);
}

#[test]
fn bad_rows_are_quarantined_and_the_rest_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let good = include_str!("data/p6dx-row.json").trim().to_string();
    let mut second: serde_json::Value = serde_json::from_str(&good).unwrap();
    second["id_del_proceso"] = "CO1.REQ.99".into();
    second["id_del_portafolio"] = "CO1.BDOS.99".into();
    let mut no_key = second.clone();
    no_key.as_object_mut().unwrap().remove("id_del_proceso");
    let mut bad_value = second.clone();
    bad_value["id_del_proceso"] = "CO1.REQ.98".into();
    bad_value["precio_base"] = "ochenta millones".into();
    let content = format!(
        "{good}\n{{\"id_del_proceso\": \"CO1.REQ.1\", broken\n{no_key}\n{bad_value}\n{second}\n"
    );
    let f = write(d.path(), "mixed.jsonl", &content);
    let csv = write(
        d.path(),
        "mixed.csv",
        // CRLF, as the API's CSV downloads end their lines.
        "id_contrato,nombre_entidad,valor_del_contrato\r\nCO1.PCCNTR.1,ALCALDIA X,100\r\nCO1.PCCNTR.2,ALCALDIA Y\r\nCO1.PCCNTR.3,ALCALDIA Z,300\r\n,ALCALDIA W,400\r\n",
    );
    let out = secop(
        d.path(),
        &[
            "import",
            f.to_str().unwrap(),
            csv.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["total"]["read"], 4);
    assert_eq!(r["total"]["quarantined"], 5);
    // The good rows around the bad ones are there.
    assert_eq!(
        secop_json(d.path(), &["show", "CO1.BDOS.99"])["key"],
        "secop2:CO1.BDOS.99"
    );
    assert_eq!(
        secop_json(d.path(), &["show", "CO1.PCCNTR.3"])["contracts"][0]["value"],
        300
    );
    // The quarantine says which file, which line and why.
    let q = secop_json(d.path(), &["stats", "--quarantine"]);
    let reasons: Vec<String> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{}:{} {}",
                x["source"].as_str().unwrap(),
                x["line"],
                x["reason"].as_str().unwrap()
            )
        })
        .collect();
    let all = reasons.join("\n");
    assert!(all.contains("mixed.jsonl:2 malformed JSON"), "{all}");
    assert!(
        all.contains("mixed.jsonl:3 missing key: column id_del_proceso"),
        "{all}"
    );
    assert!(all.contains("mixed.jsonl:4 column precio_base"), "{all}");
    assert!(
        all.contains("mixed.csv:3 wrong column count: expected 3, found 2"),
        "{all}"
    );
    assert!(
        all.contains("mixed.csv:5 missing key: column id_contrato"),
        "{all}"
    );
    // `secop stats` sums the run up in words.
    let out = secop(d.path(), &["stats"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let run = text.lines().find(|l| l.contains(" import ")).unwrap_or("");
    assert!(
        run.contains("rows 9, new ") && run.ends_with("quarantined 5"),
        "{text}"
    );
    // Imported again, the same bad rows are not listed twice.
    let again = secop_json(d.path(), &["import", f.to_str().unwrap()]);
    assert_eq!(again["total"]["quarantined"], 3);
    let q = secop_json(d.path(), &["stats", "--quarantine"]);
    assert_eq!(q.as_array().unwrap().len(), 5, "{q}");
    assert_eq!(secop_json(d.path(), &["stats"])["quarantined"], 5);
}

#[test]
fn unreadable_or_unknown_files_get_one_clear_line() {
    let d = tempfile::tempdir().unwrap();
    let out = secop(d.path(), &["import", "/nonexistent/rows.csv"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/rows.csv: cannot open"), "{err}");
    let f = write(d.path(), "other.csv", "name,age\nana,3\n");
    let out = secop(d.path(), &["import", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("other.csv: unknown format"), "{err}");
    // One good file among bad ones: success, and the bad one is named.
    let good = root().join("fixtures/secop2/web-export/contratos.VAUPES-MITU.csv");
    let out = secop(
        d.path(),
        &["import", f.to_str().unwrap(), good.to_str().unwrap()],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("other.csv: unknown format"));
}

#[test]
fn files_that_are_not_what_they_seem_are_named_for_what_they_are() {
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let csv =
        std::fs::read(root().join("fixtures/secop2/web-export/contratos.VAUPES-MITU.csv")).unwrap();
    let import = |name: &str, bytes: &[u8], extra: &[&str]| {
        let f = d.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        let mut args = vec!["import", f.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = secop(&d.path().join("data"), &args);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // A download cut short: the rows before the cut are imported, and the file is named
    // as cut short (the exit code stays 0: rows were read).
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).unwrap();
    let gz = gz.finish().unwrap();
    let (ok, err) = import("cut.csv.gz", &gz[..gz.len() * 2 / 3], &[]);
    assert!(ok, "{err}");
    assert!(
        err.contains("cut.csv.gz: the file ends early, after line")
            && err.contains("download it again"),
        "{err}"
    );
    // A header and no rows.
    let header = csv.split(|b| *b == b'\n').next().unwrap();
    let (ok, err) = import("header.csv", header, &[]);
    assert!(!ok);
    assert!(
        err.contains("header.csv: no rows after the header row"),
        "{err}"
    );
    // UTF-16, binary, one object over several lines, OCDS.
    let mut utf16 = vec![0xff, 0xfe];
    for u in String::from_utf8_lossy(&csv[..2000]).encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    for (name, bytes, needle) in [
        ("u16.csv", utf16, "UTF-16 text: save the file as UTF-8"),
        (
            "bin.csv",
            (0..4000u32).map(|i| (i * 7 % 256) as u8).collect(),
            "not a text file",
        ),
        (
            "pretty.json",
            b"{\n  \"id_del_proceso\": \"CO1.REQ.1\"\n}\n".to_vec(),
            "one JSON object over several lines",
        ),
        (
            "release.json",
            std::fs::read(root().join("fixtures/ocds/secop-release_1.json")).unwrap(),
            "an OCDS release or package",
        ),
    ] {
        let (ok, err) = import(name, &bytes, &[]);
        assert!(!ok, "{name}");
        assert!(err.contains(&format!("{name}: {needle}")), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // A --dataset that is not the file's.
    let (ok, err) = import("mitu.csv", &csv, &["--dataset", "p6dx-8zbt"]);
    assert!(!ok);
    assert!(
        err.contains("--dataset p6dx-8zbt: the file has no column id_del_proceso")
            && err.contains("its columns are those of jbjy-vk9h"),
        "{err}"
    );
}

#[test]
fn contracts_join_their_process_in_any_order() {
    // A contract that names its process only by the notice in its URL, and the process row
    // with that notice: imported in either order, one process with the contract.
    let process = include_str!("data/p6dx-row.json").trim().to_string();
    let contract = "id_contrato,nombre_entidad,nit_entidad,valor_del_contrato,fecha_de_firma,proveedor_adjudicado,documento_proveedor,urlproceso\n\
        CO1.PCCNTR.777,INCIVA,800086201,75000000,2026-09-20 00:00:00,ASEGURADORA EJEMPLO S.A.,860002400,\"{'url': 'https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID=CO1.NTC.10732827&isFromPublicArea=True'}\"\n";
    let mut docs = Vec::new();
    for order in [["p.jsonl", "c.csv"], ["c.csv", "p.jsonl"]] {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "p.jsonl", &format!("{process}\n"));
        write(d.path(), "c.csv", contract);
        for name in order {
            secop_ok(d.path(), &["import", d.path().join(name).to_str().unwrap()]);
        }
        assert_eq!(secop_json(d.path(), &["stats"])["documents"], 1);
        let doc = secop_json(d.path(), &["show", "CO1.PCCNTR.777"]);
        assert_eq!(doc["key"], "secop2:CO1.BDOS.10558939");
        assert_eq!(doc["partial"], serde_json::Value::Null);
        assert_eq!(doc["status"], "contracted");
        assert_eq!(
            doc["contracts"][0]["supplier"]["name"],
            "ASEGURADORA EJEMPLO S.A."
        );
        docs.push(doc);
    }
    assert_eq!(docs[0], docs[1]);
}

#[test]
fn compact_reclaims_old_row_versions_and_keeps_the_live_ones() {
    let d = tempfile::tempdir().unwrap();
    let mut row: serde_json::Value =
        serde_json::from_str(include_str!("data/p6dx-row.json")).unwrap();
    // Twenty versions of one row: nineteen of them are garbage in the row log.
    for price in 0..20 {
        row["precio_base"] = (80_000_000 + price).to_string().into();
        let f = write(d.path(), "changed.jsonl", &format!("{row}\n"));
        secop_json(d.path(), &["import", f.to_str().unwrap()]);
    }
    let doc = secop_json(d.path(), &["show", "CO1.BDOS.10558939"]);
    assert_eq!(doc["estimated_value"], 80_000_019);
    let c = secop_json(d.path(), &["compact"]);
    assert_eq!(c["files_rewritten"], 1, "{c}");
    assert_eq!(c["rows_moved"], 1, "{c}");
    let (before, after) = (
        c["bytes_before"].as_u64().unwrap(),
        c["bytes_after"].as_u64().unwrap(),
    );
    assert!(after * 10 < before, "{before} → {after}");
    // Twenty imports left segments holding old versions: one segment is left.
    assert_eq!(c["index"]["segments_after"], 1, "{c}");
    // Nothing left to reclaim: a second run copies nothing.
    let again = secop_json(d.path(), &["compact"]);
    assert_eq!(again["rows_moved"], 0, "{again}");
    assert_eq!(again["index"]["merges"], 0, "{again}");
    let stats = secop_json(d.path(), &["stats"]);
    assert_eq!(stats["index_segments"], 1, "{stats}");
    assert_eq!(stats["index_segments_mergeable"], 0, "{stats}");
    assert_eq!(doc, secop_json(d.path(), &["show", "CO1.BDOS.10558939"]));
    // The row is read from its new place: rebuilding the index gives the same record, and
    // a later change still lands.
    secop_ok(d.path(), &["reindex"]);
    assert_eq!(doc, secop_json(d.path(), &["show", "CO1.BDOS.10558939"]));
    row["precio_base"] = "90000000".into();
    let f = write(d.path(), "changed.jsonl", &format!("{row}\n"));
    secop_json(d.path(), &["import", f.to_str().unwrap()]);
    let doc = secop_json(d.path(), &["show", "CO1.BDOS.10558939"]);
    assert_eq!(doc["estimated_value"], 90_000_000);
    // A share outside 0..1 is refused with a clear message.
    let out = secop(d.path(), &["compact", "--min-garbage", "2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 1"));
}

#[test]
fn a_directory_imports_the_data_files_in_it() {
    let d = tempfile::tempdir().unwrap();
    let downloads = d.path().join("downloads");
    std::fs::create_dir_all(downloads.join("2025")).unwrap();
    std::fs::create_dir_all(downloads.join(".cache")).unwrap();
    std::fs::create_dir_all(d.path().join("empty")).unwrap();
    let mut row: serde_json::Value =
        serde_json::from_str(include_str!("data/p6dx-row.json")).unwrap();
    write(&downloads, "a.jsonl", &format!("{row}\n"));
    row["id_del_proceso"] = "CO1.REQ.777".into();
    row["id_del_portafolio"] = "CO1.BDOS.777".into();
    write(&downloads.join("2025"), "b.JSON", &format!("[{row}]"));
    // Not data: left out, not reported.
    write(&downloads, "LEEME.txt", "descargado de datos.gov.co");
    write(&downloads.join(".cache"), "c.jsonl", "not even JSON\n");
    let empty = d.path().join("empty");
    let args = [
        "import",
        downloads.to_str().unwrap(),
        empty.to_str().unwrap(),
    ];
    let r = secop_json(d.path(), &args);
    let files: Vec<String> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = std::path::PathBuf::from(f["path"].as_str().unwrap());
            p.strip_prefix(d.path()).unwrap().display().to_string()
        })
        .collect();
    // In name order, at any depth; the empty directory is reported, not fatal.
    assert_eq!(
        files,
        ["downloads/2025/b.JSON", "downloads/a.jsonl", "empty"],
        "{r}"
    );
    assert_eq!(r["total"]["read"], 2, "{r}");
    assert_eq!(r["total"]["quarantined"], 0, "{r}");
    assert!(
        r["files"][2]["error"]
            .as_str()
            .unwrap()
            .contains("a directory without data files"),
        "{r}"
    );
    assert_eq!(
        secop_json(d.path(), &["show", "CO1.BDOS.777"])["key"],
        "secop2:CO1.BDOS.777"
    );
}

/// Runs `secop --data-dir DIR ARGS…` with `input` on standard input.
fn secop_piped(dir: &std::path::Path, args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_secop"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("SECOP_DATA_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: the child may fill its stdout before reading all of stdin.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

#[test]
fn standard_input_imports_like_a_file() {
    // A gzipped download piped in (`curl … | secop import -`) gives what the file gives.
    let file = root().join("fixtures/secop2/procesos.p6dx-8zbt.jsonl.gz");
    let piped = tempfile::tempdir().unwrap();
    let out = secop_piped(
        piped.path(),
        &["import", "-", "--json"],
        &std::fs::read(&file).unwrap(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["files"][0]["path"], "standard input", "{r}");
    assert_eq!(r["files"][0]["dataset"], "p6dx-8zbt", "{r}");
    let direct = tempfile::tempdir().unwrap();
    let d = secop_json(direct.path(), &["import", file.to_str().unwrap()]);
    assert!(d["total"]["read"].as_u64().unwrap() > 100, "{d}");
    assert_eq!(r["total"], d["total"]);
    let docs = |dir: &std::path::Path| secop_json(dir, &["stats"])["documents"].clone();
    assert_eq!(docs(piped.path()), docs(direct.path()));
    // Piped again: nothing new.
    let again = secop_piped(
        piped.path(),
        &["import", "-", "--json"],
        &std::fs::read(&file).unwrap(),
    );
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["total"]["new"], 0, "{again}");
    assert_eq!(again["total"]["changed"], 0, "{again}");
    // A broken line is quarantined under the name of standard input.
    let row: serde_json::Value = serde_json::from_str(include_str!("data/p6dx-row.json")).unwrap();
    let mixed = format!("{row}\n{{\"id_del_proceso\": \n");
    let out = secop_piped(piped.path(), &["import", "-"], mixed.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let q = secop_json(piped.path(), &["stats", "--quarantine"]);
    assert!(
        q.as_array()
            .unwrap()
            .iter()
            .any(|x| x["source"] == "standard input" && x["line"] == 2),
        "{q}"
    );
    // Nothing piped: a one-line error naming standard input, and a failure.
    let out = secop_piped(piped.path(), &["import", "-"], b"");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("standard input"), "{err}");
}

/// `secop` runs without transparent huge pages: with them, memory the allocator freed and
/// reused was zeroed 2 MiB at a time (a tenth of the import's CPU; BENCHMARKS.md).
#[cfg(target_os = "linux")]
#[test]
fn secop_runs_without_transparent_huge_pages() {
    let d = tempfile::tempdir().unwrap();
    // `import -` waits on its standard input, which stays open until the check is done.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_secop"))
        .arg("--data-dir")
        .arg(d.path())
        .args(["import", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let t0 = std::time::Instant::now();
    let line = loop {
        let s = std::fs::read_to_string(&status).unwrap_or_default();
        // The flag is set first thing in main: wait until the process has run that far
        // (its threads exist once the import has started).
        let threads = s
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(0);
        if threads > 1 || t0.elapsed() > std::time::Duration::from_secs(20) {
            break s
                .lines()
                .find(|l| l.starts_with("THP_enabled:"))
                .map(str::to_string);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(child.stdin.take());
    let _ = child.wait();
    // Kernels before 6.x do not report the flag.
    if let Some(line) = line {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
}

#[test]
fn serve_rebuilds_an_index_of_another_version_or_one_that_missed_writes() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let vaupes = root().join("fixtures/secop2/web-export/contratos.VAUPES-MITU.csv");
    secop_ok(dir, &["import", vaupes.to_str().unwrap()]);
    let docs = |url: &str| -> u64 {
        let v: serde_json::Value = http()
            .get(format!("{url}/healthz"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["documents"].as_u64().unwrap()
    };
    let want = total(dir, &[""]);
    assert!(want > 100, "{want}");
    let hits = total(dir, &["combustible"]);

    // An index another version built (here: another schema): reading commands refuse it
    // with the advice to reindex, and serve rebuilds it from the state.
    let ix = dir.join("tantivy");
    std::fs::remove_dir_all(&ix).unwrap();
    std::fs::create_dir(&ix).unwrap();
    {
        let mut b = tantivy::schema::Schema::builder();
        let title = b.add_text_field("title", tantivy::schema::TEXT);
        let index = tantivy::Index::create_in_dir(&ix, b.build()).unwrap();
        let mut w: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        w.add_document(tantivy::doc!(title => "old")).unwrap();
        w.commit().unwrap();
    }
    let out = secop(dir, &["search", "combustible"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run `secop reindex`"), "{err}");
    let (srv, url, said) = start_secop(dir);
    assert!(
        said.iter()
            .any(|l| l.contains("built by another version of secop; rebuilding it")),
        "{said:?}"
    );
    assert_eq!(docs(&url), want);
    drop(srv);
    assert_eq!(total(dir, &["combustible"]), hits);

    // An index that lost its commits (deleted, or a rebuild killed before committing)
    // beside a state that has them: serve brings it up to date, as the next import would.
    std::fs::remove_dir_all(&ix).unwrap();
    let (srv, url, said) = start_secop(dir);
    assert!(
        said.iter().any(|l| l.contains("brought up to date")),
        "{said:?}"
    );
    assert_eq!(docs(&url), want);
    drop(srv);
    std::fs::remove_dir_all(&ix).unwrap();
    let abejorral = root().join("fixtures/secop2/web-export/contratos.ANTIOQUIA-ABEJORRAL.csv");
    secop_ok(dir, &["import", abejorral.to_str().unwrap()]);
    assert!(total(dir, &[""]) > want);
    assert_eq!(total(dir, &["combustible", "--department", "97"]), hits);

    // Rows normalised by older rules (a state from before rules were versioned): serve
    // rebuilds the documents from the stored rows, once.
    let all = total(dir, &[""]);
    let rules = || {
        secop_bridge::state::State::open(dir)
            .unwrap()
            .rules()
            .unwrap()
    };
    assert_eq!(rules(), secop_bridge::normalize::RULES);
    secop_bridge::state::State::open(dir)
        .unwrap()
        .set_meta("rules", "1")
        .unwrap();
    let (srv, url, said) = start_secop(dir);
    assert!(
        said.iter()
            .any(|l| l.contains("normalised by an older version of secop; rebuilding")),
        "{said:?}"
    );
    assert_eq!(docs(&url), all);
    drop(srv);
    assert_eq!(rules(), secop_bridge::normalize::RULES);
    let (srv, _, said) = start_secop(dir);
    assert!(!said.iter().any(|l| l.contains("rebuilding")), "{said:?}");
    drop(srv);
}
