//! A person's visit, in headless Chromium driven over WebDriver (Debian's `chromedriver`):
//! type a query, apply a facet, sort, look at the chart, open a result, check the link to
//! the original platform, go back, and look at the page on a phone. Screenshots go to
//! `target/browser-artifacts/`.
//!
//! Skips with a loud message when chromedriver is not installed, unless
//! `SECOP_REQUIRE_BROWSER` is set (then its absence fails the test). `scripts/test.sh`
//! installs it. Nothing here downloads a browser.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_chromedriver(driver: &Path) -> (Guard, String) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let guard = Guard(child);
    let url = format!("http://127.0.0.1:{port}");
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, url)
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let d = target.join("browser-artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(artifacts().join(name), png).unwrap();
}

/// How far the page scrolls sideways, in CSS pixels (0 or less: it fits the window).
async fn sideways_scroll(c: &Client) -> i64 {
    c.execute(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        vec![],
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap()
}

async fn wait_url(c: &Client, needle: &str) -> String {
    let t0 = Instant::now();
    loop {
        let u = c.current_url().await.unwrap().to_string();
        if u.contains(needle) {
            return u;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "never reached a URL with {needle:?} (at {u})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn texts(c: &Client, css: &str) -> Vec<String> {
    let mut v = Vec::new();
    for e in c.find_all(Locator::Css(css)).await.unwrap() {
        v.push(e.text().await.unwrap().trim().to_string());
    }
    v
}

async fn count_of(c: &Client) -> u64 {
    let t = c
        .find(Locator::Css("h2#resultados"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    t.split_whitespace()
        .next()
        .unwrap()
        .replace('.', "")
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_in_chromium() {
    let Some(driver) = which("chromedriver") else {
        if std::env::var_os("SECOP_REQUIRE_BROWSER").is_some() {
            panic!("SECOP_REQUIRE_BROWSER is set but chromedriver is not installed");
        }
        eprintln!(
            "\n**********************************************************************\n\
             SKIPPED the browser test: chromedriver is not installed.\n\
             Install Debian's chromium and chromium-driver (scripts/test.sh does),\n\
             or set SECOP_REQUIRE_BROWSER=1 to make this a failure.\n\
             **********************************************************************\n"
        );
        return;
    };
    let t0 = Instant::now();
    let (_secop, base, _) = start_secop(demo_dir());
    let (_driver, wd) = start_chromedriver(&driver);
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--lang=es-CO".into(),
        "--window-size=1280,1000".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    args.dedup();
    let mut opts = serde_json::json!({ "args": args });
    if let Some(bin) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    {
        opts["binary"] = bin.into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), opts);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&wd)
        .await
        .expect("a WebDriver session with headless Chromium");

    // The home page: the form, labelled, in Spanish.
    c.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap(),
        Some("es".into())
    );
    let all = count_of(&c).await;
    shot(&c, "01-inicio.png").await;

    // Type a query and search.
    let q = c.find(Locator::Id("q")).await.unwrap();
    q.send_keys("seguros").await.unwrap();
    c.find(Locator::Css("form.search .row button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(&c, "q=seguros").await;
    let found = count_of(&c).await;
    assert!(found > 0 && found < all, "{found} of {all}");

    // Apply a facet: SECOP II only.
    c.find(Locator::Css(".facet a[href*='platform=secop2']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(&c, "platform=secop2").await;
    let narrowed = count_of(&c).await;
    assert!(narrowed > 0 && narrowed < found);
    let badges = texts(&c, "ol.hits .badge").await;
    assert!(!badges.is_empty());
    assert!(badges.iter().all(|b| b.contains("SECOP II")), "{badges:?}");

    // Sort by value, largest first.
    c.find(Locator::Css(".sorts a[href*='sort=value_desc']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(&c, "sort=value_desc").await;
    let values: Vec<i64> = texts(&c, "ol.hits dd.money")
        .await
        .iter()
        .map(|v| v.trim_start_matches("$ ").replace('.', "").parse().unwrap())
        .collect();
    assert!(values.len() > 1);
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");

    // The chart: drawn by uPlot from /api/monthly, with its data table.
    let chart = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#grafico[data-ready] canvas"))
        .await
        .expect("the chart draws");
    drop(chart);
    let months = c
        .find_all(Locator::Css("#grafico-datos tbody tr"))
        .await
        .unwrap()
        .len();
    assert!(months > 0, "the chart's data table has months");
    let failed = c
        .find_all(Locator::Css("#grafico[data-error]"))
        .await
        .unwrap();
    assert!(failed.is_empty(), "the chart failed to load");
    shot(&c, "02-busqueda-faceta-orden-grafico.png").await;

    // Open the first result.
    let first = c.find(Locator::Css("li.hit h3 a")).await.unwrap();
    let title = first.text().await.unwrap();
    first.click().await.unwrap();
    wait_url(&c, "/procesos/").await;
    let h1 = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1.trim(), title.trim());
    let orig = c
        .find(Locator::Css("a.external"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        orig.starts_with("https://community.secop.gov.co/"),
        "link to the original platform: {orig}"
    );
    let fields = texts(&c, "dl.fields dt").await;
    assert!(fields.iter().any(|f| f == "ID del proceso"));
    shot(&c, "03-proceso.png").await;

    // Back to the same search.
    c.find(Locator::Css("p.back a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let back = wait_url(&c, "sort=value_desc").await;
    assert!(back.contains("q=seguros") && back.contains("platform=secop2"));

    // Keyboard: the first Tab reaches the skip link.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Tab.to_string())
        .await
        .unwrap();
    let focused = c
        .execute("return document.activeElement.className", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "skip");

    // On a phone: no sideways scrolling.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/?q=seguros")).await.unwrap();
    let overflow = sideways_scroll(&c).await;
    assert!(overflow <= 0, "sideways scroll on a phone: {overflow}");
    shot(&c, "04-movil.png").await;

    // Who buys and who wins, from the results' link: both lists, and on a phone the tables
    // scroll inside their box, not the page.
    c.find(Locator::LinkText(
        "Quién compra y quién gana en estos resultados",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let url = c.current_url().await.unwrap();
    assert!(url.as_str().contains("/quien?q=seguros"), "{url}");
    for id in ["compradores", "proveedores"] {
        c.find(Locator::Id(id)).await.unwrap();
    }
    let overflow = sideways_scroll(&c).await;
    assert!(
        overflow <= 0,
        "sideways scroll of /quien on a phone: {overflow}"
    );
    shot(&c, "05-quien-movil.png").await;

    c.close().await.unwrap();
    eprintln!(
        "browser test: {:.1} s; screenshots in {}",
        t0.elapsed().as_secs_f64(),
        artifacts().display()
    );
}
