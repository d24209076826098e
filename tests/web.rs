//! The web page and the Atom feed over HTTP: pages render the search with facets, sorting
//! and pagination; the process page shows every field and links back; the feed is valid
//! Atom; text from the data never becomes markup on any page or in the feed.

mod common;

use std::sync::OnceLock;

use common::*;
use scraper::{Html, Selector};

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        serve(demo_dir(), |c| {
            c.public_url = Some("https://secop.example.org".into())
        })
    })
}

fn page(path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = http()
        .get(format!("{}{path}", server().url))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let h = r.headers().clone();
    (status, h, r.text().unwrap())
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn texts(doc: &Html, s: &str) -> Vec<String> {
    doc.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn the_search_page_shows_hits_facets_sorting_and_pages() {
    let (status, h, body) = page("/?q=seguros&platform=secop2&sort=value_desc");
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let doc = Html::parse_document(&body);
    assert_eq!(doc.root_element().value().attr("lang"), Some("es"));
    // No inline script: every script has a src on this origin.
    for s in doc.select(&sel("script")) {
        assert!(s.value().attr("src").unwrap().starts_with("/assets/"));
        assert!(s.text().collect::<String>().trim().is_empty());
    }
    // Every visible control has a label.
    for c in doc.select(&sel("input, select")) {
        if c.value().attr("type") == Some("hidden") {
            continue;
        }
        let id = c.value().attr("id").expect("controls have ids");
        assert_eq!(
            doc.select(&sel(&format!("label[for=\"{id}\"]"))).count(),
            1,
            "no label for #{id}"
        );
    }
    // Hits: SECOP II badges, values in pesos, sorted by value descending, dates dd/mm/aaaa.
    let badges = texts(&doc, "ol.hits .badge");
    assert_eq!(badges.len(), 20);
    assert!(
        badges
            .iter()
            .all(|b| b == "◆ SECOP II" || b.ends_with("SECOP II"))
    );
    let values: Vec<i64> = texts(&doc, "ol.hits dd.money")
        .iter()
        .map(|v| {
            assert!(v.starts_with("$ "), "{v}");
            v.trim_start_matches("$ ").replace('.', "").parse().unwrap()
        })
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    let dates = texts(&doc, "ol.hits dl.facts div:nth-child(2) dd");
    assert!(
        dates
            .iter()
            .all(|d| d.len() == 10 && &d[2..3] == "/" && &d[5..6] == "/"),
        "{dates:?}"
    );
    // Every hit links to its page here and to the original platform.
    for hit in doc.select(&sel("li.hit")) {
        let here = hit
            .select(&sel("h3 a"))
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap();
        assert!(here.starts_with("/procesos/secop2:CO1."), "{here}");
        let orig = hit
            .select(&sel("a.external"))
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap();
        assert!(
            orig.starts_with("https://community.secop.gov.co/"),
            "{orig}"
        );
    }
    // Facets: the applied platform is marked; counts are numbers.
    let on = texts(&doc, ".facet a.on .label");
    assert_eq!(on, vec!["SECOP II"]);
    assert!(!texts(&doc, ".facet .count").is_empty());
    // Pagination, exports and the feed keep the search.
    let next = doc.select(&sel("nav.pages a[rel=next]")).next().unwrap();
    assert!(next.value().attr("href").unwrap().contains("page=2"));
    let exports: Vec<&str> = doc
        .select(&sel(".downloads a"))
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert!(exports.iter().any(
        |h| h.starts_with("/api/export?q=seguros&platform=secop2") && h.ends_with("format=csv")
    ));
    assert!(
        exports
            .iter()
            .any(|h| h.starts_with("/api/feed.atom?q=seguros&platform=secop2"))
    );
    assert!(exports.iter().any(|h| h.ends_with("format=ocds")));
    // No hits: nothing to download (an OCDS package needs a release), only the feed.
    let (status, _, none) = page("/?q=zzqxwv");
    assert_eq!(status, 200);
    let none = Html::parse_document(&none);
    let exports: Vec<&str> = none
        .select(&sel(".downloads a"))
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert_eq!(exports, ["/api/feed.atom?q=zzqxwv"], "{exports:?}");
    // The chart's data source carries the same filters.
    let chart = doc.select(&sel("#grafico")).next().unwrap();
    assert_eq!(
        chart.value().attr("data-src"),
        Some("/api/monthly?q=seguros&platform=secop2")
    );
    // Page 2 continues the list.
    let (status, _, body2) = page("/?q=seguros&platform=secop2&sort=value_desc&page=2");
    assert_eq!(status, 200);
    let doc2 = Html::parse_document(&body2);
    let first_of_2 = doc2
        .select(&sel("ol.hits"))
        .next()
        .unwrap()
        .value()
        .attr("start");
    assert_eq!(first_of_2, Some("21"));
}

#[test]
fn a_page_past_the_last_hit_says_so_and_the_comma_in_a_name_is_kept() {
    // 1,297 matches, 20 a page: page 100 is past them; not "no process matches".
    let (status, _, body) = page("/?q=obra&page=100");
    assert_eq!(status, 200);
    assert!(body.contains("Esta página está más allá de los resultados."));
    assert!(!body.contains("Ningún proceso cumple"));
    let (_, _, body) = page("/?q=zzzqqq");
    assert!(body.contains("Ningún proceso cumple esta búsqueda."));
    // The facet's own name, with its comma: one department, selected in the form and
    // marked in the facet.
    let (status, _, body) = page("/?department=Bogot%C3%A1%2C%20D.C.");
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    let selected: Vec<String> = doc
        .select(&sel("select#department option[selected]"))
        .map(|o| o.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(selected, ["11"]);
    assert!(body.contains("title=\"Quitar el filtro Bogotá, D.C.\""));
}

#[test]
fn bad_parameters_get_a_readable_page_with_400() {
    let (status, h, body) = page("/?department=Narnia&q=obra");
    assert_eq!(status, 400);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert!(body.contains("role=\"alert\""));
    assert!(body.contains("departamento desconocido «Narnia»"), "{body}");
    // The form keeps what the person typed.
    assert!(body.contains("value=\"obra\""));
    // A search of stop words alone says so, in Spanish.
    let (status, _, body) = page("/?q=de+la");
    assert_eq!(status, 200);
    assert!(body.contains("no hay nada que buscar en «de la»"), "{body}");
    assert!(!body.contains("nothing to search"));
    // Every mistake the form allows is explained in Spanish, with the form's own names.
    for (path, want) in [
        (
            "/?q=%22obra",
            "las comillas de la posición 1 de la búsqueda no se cierran",
        ),
        (
            "/?q=v%C3%ADa)",
            "un «)» en la posición 4 que no cierra nada",
        ),
        ("/?q=(obra", "un «(» de la búsqueda no se cierra"),
        (
            "/?min_value=abc",
            "«Valor mínimo» debe ser un número entero de pesos",
        ),
        ("/?max_value=-3", "«Valor máximo» no puede ser negativo"),
        (
            "/?min_value=10&max_value=5",
            "«Valor mínimo» es mayor que «Valor máximo»",
        ),
        (
            "/?from=2026-02-31",
            "fecha no válida en «Publicado desde»: «2026-02-31»",
        ),
        (
            "/?from=2026-03-01&to=2026-01-01",
            "«Publicado desde» es posterior a «Publicado hasta»",
        ),
        ("/?unspsc=721", "código UNSPSC no válido «721»"),
        (
            "/?status=abierto-ya",
            "«abierto-ya» no es un valor de «Estado»",
        ),
        (
            "/?municipality=Springfield",
            "municipio desconocido o ambiguo «Springfield»",
        ),
        ("/?nit=abc", "NIT no válido «abc»"),
        ("/?page=5000", "pasa de los primeros"),
        ("/?sort=popular", "orden desconocido «popular»"),
    ] {
        let (status, _, body) = page(path);
        assert_eq!(status, 400, "{path}");
        let alert = Html::parse_document(&body)
            .select(&sel("[role=alert]"))
            .next()
            .map(|a| a.text().collect::<String>())
            .unwrap_or_default();
        assert!(alert.contains(want), "{path}: {alert}");
        for english in [
            "must",
            "invalid",
            "unbalanced",
            "swap",
            " got ",
            "use one of",
            "give ",
        ] {
            assert!(!alert.contains(english), "{path}: {alert}");
        }
    }
    let (status, _, body) = page("/no/such/page");
    assert_eq!(status, 404);
    assert!(body.contains("Página no encontrada"));
    let (status, _, body) = page("/procesos/CO1.BDOS.0000000");
    assert_eq!(status, 404);
    assert!(body.contains("Proceso no encontrado"));
    // API paths keep answering JSON.
    let (status, _, body) = page("/api/nothing");
    assert_eq!(status, 404);
    assert!(body.starts_with("{\"error\""));
}

#[test]
fn a_typo_gets_the_search_that_was_meant() {
    let (status, _, body) = page("/?q=vijilancia&platform=secop2");
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    let sug = doc
        .select(&sel("p.suggestion a"))
        .next()
        .expect("a suggestion");
    assert_eq!(sug.text().collect::<String>(), "«vigilancia»");
    // The same search with the word corrected, filters kept.
    let href = sug.value().attr("href").unwrap();
    assert!(
        href.contains("q=vigilancia") && href.contains("platform=secop2"),
        "{href}"
    );
}

#[test]
fn a_search_that_finds_nothing_links_the_searches_with_one_condition_less() {
    let (status, _, body) = page("/?q=cemento+hidraulico&platform=secop2");
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    let items: Vec<(String, String)> = doc
        .select(&sel("ul.relaxations li"))
        .map(|li| {
            let a = li.select(&sel("a")).next().expect("a link");
            (
                li.text().collect::<String>(),
                a.value().attr("href").unwrap().to_string(),
            )
        })
        .collect();
    assert!(!items.is_empty(), "{body}");
    for (text, href) in &items {
        assert!(text.contains("proceso"), "{text}");
        assert!(href.starts_with("/?"), "{href}");
    }
    // Each word left out keeps the other and the filter.
    assert!(
        items.iter().any(|(t, h)| t.starts_with("sin «hidraulico»")
            && h.contains("q=cemento")
            && h.contains("platform=secop2")),
        "{items:?}"
    );
    // Two words left out together when no one of them is enough. The page is computed
    // once: the same view again comes from the answer cache, the same page.
    let (_, _, body) = page("/?q=cemento+hidraulico+quirurgico");
    let (_, h, again) = page("/?q=cemento+hidraulico+quirurgico");
    assert_eq!(h["x-cache"], "hit");
    assert_eq!(again, body);
    let labels: Vec<String> = Html::parse_document(&body)
        .select(&sel("ul.relaxations li a"))
        .map(|a| a.text().collect())
        .collect();
    assert!(
        labels.contains(&"sin «hidraulico» ni «quirurgico»".to_string()),
        "{labels:?}"
    );
    // Nothing to order or download, but the feed says when something appears.
    assert!(doc.select(&sel("nav.sorts")).next().is_none());
    assert!(!body.contains("format=csv"), "{body}");
    let feed = doc
        .select(&sel("div.downloads a.feed"))
        .next()
        .expect("the feed");
    assert_eq!(
        feed.text().collect::<String>(),
        "Avisarme cuando aparezcan (Atom)"
    );
    assert!(
        feed.value()
            .attr("href")
            .unwrap()
            .starts_with("/api/feed.atom?q=cemento")
    );
}

#[test]
fn the_process_page_has_every_field_and_the_link_back() {
    // Any identifier finds the page.
    for id in [
        "CO1.BDOS.10558939",
        "CO1.NTC.10732827",
        "secop2:CO1.BDOS.10558939",
        "SAMC-002-2026",
    ] {
        let (status, _, body) = page(&format!("/procesos/{id}"));
        assert_eq!(status, 200, "{id}");
        assert!(body.contains("SUMINISTRO DE POLIZAS DE SEGUROS"), "{id}");
    }
    // A NIT names hundreds of processes: the page lists some and links to them all.
    let (status, _, body) = page("/procesos/890981195");
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    let note = texts(&doc, "section p").join(" ");
    assert!(note.contains("Se muestran 49 de 349."), "{note}");
    assert!(
        body.contains("href=\"/?q=890981195\""),
        "a link to the search"
    );
    let (_, h, body) = page("/procesos/CO1.BDOS.10558939?volver=q%3Dseguros%26platform%3Dsecop2");
    assert!(h.contains_key("content-security-policy"));
    let doc = Html::parse_document(&body);
    let back = doc.select(&sel("p.back a")).next().unwrap();
    assert_eq!(
        back.value().attr("href"),
        Some("/?q=seguros&platform=secop2")
    );
    let orig = doc.select(&sel("a.external")).next().unwrap();
    assert!(
        orig.value()
            .attr("href")
            .unwrap()
            .contains("noticeUID=CO1.NTC.10732827")
    );
    let labels = texts(&doc, "dl.fields dt");
    for l in [
        "ID del proceso",
        "Referencia",
        "Identificadores",
        "Modalidad",
        "Estado",
        "Valor estimado",
        "Publicado",
        "Cierre de ofertas",
        "NIT",
        "Departamento",
    ] {
        assert!(labels.iter().any(|x| x == l), "{l} missing");
    }
    assert!(body.contains("$ 78.098.065"));
    assert!(body.contains("02/09/2026"));
    assert!(body.contains("84131500"));
    assert!(body.contains("Servicios de seguros"), "UNSPSC names");
    assert!(body.contains("Visualizaciones"), "competition figures");
    // A process with contracts shows them with suppliers.
    let v: serde_json::Value = http()
        .get(format!(
            "{}/api/search?dataset=jbjy-vk9h&per_page=1&facets=false",
            server().url
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let key = v["hits"][0]["key"].as_str().unwrap();
    let (status, _, body) = page(&format!("/procesos/{key}"));
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    assert!(
        doc.select(&sel("section table code")).next().is_some(),
        "a contracts table"
    );
    // A back link never leaves the site, whatever `volver` holds.
    let (_, _, body) = page("/procesos/CO1.BDOS.10558939?volver=javascript:alert(1)");
    let doc = Html::parse_document(&body);
    let back = doc
        .select(&sel("p.back a"))
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap();
    assert!(back.starts_with('/'), "{back}");
}

#[test]
fn assets_are_served_with_types_and_the_chart_library_is_vendored() {
    for (path, ct) in [
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        (
            "/assets/uPlot.iife.min.js",
            "text/javascript; charset=utf-8",
        ),
        ("/assets/uPlot.min.css", "text/css; charset=utf-8"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let (status, h, body) = page(path);
        assert_eq!(status, 200, "{path}");
        assert_eq!(h["content-type"], ct, "{path}");
        assert!(!body.is_empty());
    }
    assert!(root().join("src/http/assets/vendor/uPlot.LICENSE").exists());
    assert_eq!(page("/assets/nothing.js").0, 404);
}

fn atom(path: &str) -> (reqwest::header::HeaderMap, String) {
    let r = http()
        .get(format!("{}{path}", server().url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let h = r.headers().clone();
    (h, r.text().unwrap())
}

/// Checks a feed against the rules of RFC 4287 that readers rely on, reading it both with
/// a strict XML parser and with an Atom parser.
fn check_atom(xml: &str) -> atom_syndication::Feed {
    // Well-formed XML.
    let mut r = quick_xml::Reader::from_str(xml);
    let mut depth = 0i32;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML: {e}"),
        }
    }
    assert_eq!(depth, 0);
    let feed: atom_syndication::Feed = xml.parse().expect("an Atom feed");
    assert!(xml.contains("xmlns=\"http://www.w3.org/2005/Atom\""));
    assert!(!feed.id.is_empty());
    assert!(!feed.title.value.is_empty());
    assert!(
        !feed.authors.is_empty(),
        "a feed author (entries have none of their own)"
    );
    let selfl = feed
        .links
        .iter()
        .find(|l| l.rel == "self")
        .expect("a self link");
    assert!(
        selfl
            .href
            .starts_with("https://secop.example.org/api/feed.atom")
    );
    let mut ids = std::collections::HashSet::new();
    let mut last = None;
    for e in &feed.entries {
        assert!(
            e.id.starts_with("tag:secop-bridge.github.io,2026:"),
            "{}",
            e.id
        );
        assert!(ids.insert(e.id.clone()), "duplicate entry id");
        assert!(!e.title.value.is_empty());
        let alt: Vec<_> = e.links.iter().filter(|l| l.rel == "alternate").collect();
        assert_eq!(alt.len(), 1);
        assert!(alt[0].href.starts_with("https://"));
        let rel = e.links.iter().find(|l| l.rel == "related").unwrap();
        assert!(rel.href.starts_with("https://secop.example.org/procesos/"));
        if let Some(p) = e.published {
            if let Some(l) = last {
                assert!(p <= l, "newest first");
            }
            last = Some(p);
        }
    }
    feed
}

#[test]
fn the_feed_is_valid_atom_with_the_newest_matches() {
    let (h, xml) = atom("/api/feed.atom?unspsc=8413&department=Valle%20del%20Cauca");
    assert_eq!(h["content-type"], "application/atom+xml; charset=utf-8");
    let feed = check_atom(&xml);
    assert!(!feed.entries.is_empty());
    assert!(feed.title.value.contains("Valle del Cauca"));
    // The id is the canonical URL of the search: parameters in a fixed order.
    assert_eq!(
        feed.id,
        "https://secop.example.org/api/feed.atom?department=Valle+del+Cauca&unspsc=8413"
    );
    let inciva = feed
        .entries
        .iter()
        .find(|e| e.id == "tag:secop-bridge.github.io,2026:secop2:CO1.BDOS.10558939")
        .expect("the INCIVA insurance process");
    assert_eq!(inciva.updated.to_rfc3339(), "2026-08-19T00:00:00-05:00");
    let summary = &inciva.summary.as_ref().unwrap().value;
    assert!(summary.contains("$ 78.098.065") && summary.contains("02/09/2026"));
    // The same entry keeps its id in another feed.
    let (_, xml) = atom("/api/feed.atom?q=seguros&per_page=100");
    let feed = check_atom(&xml);
    assert!(feed.entries.len() <= 100);
    assert!(
        feed.entries
            .iter()
            .any(|e| e.id == "tag:secop-bridge.github.io,2026:secop2:CO1.BDOS.10558939")
    );
    // 50 entries by default, newest first; an empty search is a valid empty feed.
    let (_, xml) = atom("/api/feed.atom");
    assert_eq!(check_atom(&xml).entries.len(), 50);
    let (_, xml) = atom("/api/feed.atom?q=zzzzqqqqxxxx");
    assert!(check_atom(&xml).entries.is_empty());
    // A feed of stop words alone says why it stays empty.
    let (_, xml) = atom("/api/feed.atom?q=de+la");
    let feed = check_atom(&xml);
    assert!(feed.entries.is_empty());
    let sub = &feed.subtitle.as_ref().unwrap().value;
    assert!(
        sub.contains("Aviso: no hay nada que buscar en «de la»"),
        "{sub}"
    );
    let r = http()
        .get(format!("{}/api/feed.atom?per_page=1000", server().url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// A SECOP II row whose text fields carry markup.
fn hostile_dir() -> tempfile::TempDir {
    let mut row: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/p6dx-row.json")).unwrap(),
    )
    .unwrap();
    let evil = "<script>alert('xss')</script> \"><img src=x onerror=alert(1)> & 'comillas'";
    row["id_del_portafolio"] = "CO1.BDOS.99999991".into();
    row["id_del_proceso"] = "CO1.REQ.99999991".into();
    row["referencia_del_proceso"] = format!("REF-1 {evil}").into();
    row["nombre_del_procedimiento"] = format!("Seguros hostiles {evil}").into();
    row["descripci_n_del_procedimiento"] = format!("Descripción con seguros {evil}").into();
    row["entidad"] = format!("Entidad {evil}").into();
    row["nombre_de_la_unidad_de"] = evil.into();
    row["urlproceso"] = serde_json::json!({"url": "https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID=CO1.NTC.99999991\"><script>alert(2)</script>"});
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("hostile.p6dx-8zbt.jsonl");
    std::fs::write(&f, format!("{row}\n")).unwrap();
    secop_ok(d.path(), &["import", f.to_str().unwrap()]);
    d
}

#[test]
fn text_from_the_data_never_becomes_markup() {
    let d = hostile_dir();
    let s = serve(d.path(), |_| {});
    let get = |p: &str| {
        let r = http().get(format!("{}{p}", s.url)).send().unwrap();
        assert_eq!(r.status(), 200, "{p}");
        r.text().unwrap()
    };
    let pages = [
        get("/?q=hostiles"),
        get("/?q=seguros"),
        get("/?q=alert"),
        get("/"),
        get("/procesos/CO1.BDOS.99999991"),
        get("/procesos/CO1.BDOS.99999991?volver=q%3D%3Cscript%3E"),
        get("/?q=%3Cscript%3Ealert(1)%3C/script%3E"),
    ];
    for (i, body) in pages.iter().enumerate() {
        assert!(
            !body.contains("<script>alert"),
            "page {i} runs the data's script"
        );
        assert!(!body.contains("<img src=x"), "page {i} has the data's img");
        assert!(
            !body.contains("\"><img"),
            "page {i} lets the data close an attribute"
        );
        let doc = Html::parse_document(body);
        assert_eq!(doc.select(&sel("img")).count(), 0, "page {i}");
        for s in doc.select(&sel("script")) {
            assert!(
                s.value().attr("src").is_some(),
                "page {i}: an inline script"
            );
        }
        for e in doc.select(&sel("*")) {
            assert!(
                e.value().attrs().all(|(k, _)| !k.starts_with("on")),
                "page {i}: an event handler attribute"
            );
        }
    }
    // The text is shown as text.
    let doc = Html::parse_document(&pages[4]);
    let title = doc
        .select(&sel("h1"))
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert!(title.contains("<script>alert('xss')</script>"), "{title}");
    assert!(pages[0].contains("&lt;script&gt;"));
    // The highlighted snippet keeps only <b>.
    let doc = Html::parse_document(&pages[0]);
    let snippet = doc.select(&sel(".snippet")).next().expect("a snippet");
    assert!(snippet.select(&sel("b")).next().is_some());
    assert!(snippet.text().collect::<String>().contains("<script>"));
    // The link back is an attribute value, never markup.
    let doc = Html::parse_document(&pages[4]);
    let href = doc
        .select(&sel("a.external"))
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap();
    assert!(href.starts_with("https://community.secop.gov.co/"));
    // The feed carries it as escaped text.
    let xml = get("/api/feed.atom?q=hostiles");
    assert!(!xml.contains("<script>") && !xml.contains("<img"));
    assert!(xml.contains("&lt;script&gt;"));
    let feed: atom_syndication::Feed = xml.parse().unwrap();
    let e = &feed.entries[0];
    assert!(e.title.value.contains("<script>alert('xss')</script>"));
    assert_eq!(e.title.r#type, atom_syndication::TextType::Text);
    assert_eq!(
        e.summary.as_ref().unwrap().r#type,
        atom_syndication::TextType::Text
    );
    // And the JSON API returns the text unchanged (it is data, escaped where shown).
    let v: serde_json::Value = http()
        .get(format!("{}/api/processes/CO1.BDOS.99999991", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(v["process"]["title"].as_str().unwrap().contains("<script>"));
}
