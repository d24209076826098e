//! Recognising what the portal answered: a detail page, or one of the pages it serves
//! instead (often with HTTP 200): a web-application-firewall challenge, a captcha, an
//! error page, a throttling answer.
//!
//! A block is never parsed as data and never worked around: the run backs off and, past a
//! threshold, stops. The captcha is not solved, not even tried.

use serde::Serialize;

use super::page::DetailPage;
use crate::normalize::text::fold;

/// Why the portal did not give the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// A web application firewall's rejection or challenge page.
    Waf,
    /// A captcha ("no soy un robot").
    Captcha,
    /// An error page of the portal.
    Error,
    /// HTTP 429 or 503: too many requests, come back later.
    Throttled,
    /// A redirect to another site (a challenge or login page elsewhere).
    Redirect,
}

impl BlockKind {
    /// Words for a person.
    pub fn describe(self) -> &'static str {
        match self {
            BlockKind::Waf => "a web application firewall page",
            BlockKind::Captcha => "a captcha page",
            BlockKind::Error => "an error page",
            BlockKind::Throttled => "a 'too many requests' answer",
            BlockKind::Redirect => "a redirect to another site",
        }
    }
}

/// What a response turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A detail page with data.
    Detail,
    /// A block page: back off, never parse.
    Blocked(BlockKind),
    /// The process does not exist there (HTTP 404 or 410).
    NotFound,
    /// A page that is neither detail nor a known block: the layout may have changed.
    Unrecognised,
}

/// Markers of firewall pages (compared folded). F5 BIG-IP ASM is what Colombian state
/// portals commonly run; the others are the usual CDN challenges.
const WAF_MARKERS: &[&str] = &[
    "the requested url was rejected",
    "request rejected",
    "your support id is",
    "support id:",
    "la url solicitada fue rechazada",
    "solicitud rechazada",
    "access denied",
    "acceso denegado",
    "_incapsula_resource",
    "incapsula incident",
    "cf-chl",
    "cf-browser-verification",
    "attention required! | cloudflare",
    "checking your browser",
    "verificando su navegador",
    "web application firewall",
    "awswaf",
    "ddos protection",
    "has been blocked",
    "ha sido bloquead",
    "you have been blocked",
];

/// Markers of captcha pages. The real detail pages load reCAPTCHA v3 for their document
/// links, so these are only read when the page has no data.
const CAPTCHA_MARKERS: &[&str] = &[
    "g-recaptcha",
    "h-captcha",
    "hcaptcha",
    "captcha",
    "no soy un robot",
    "i'm not a robot",
    "i am not a robot",
    "verifique que no es un robot",
    "demuestre que es humano",
    "verify you are human",
];

/// Markers of the portal's error pages.
const ERROR_MARKERS: &[&str] = &[
    "ha ocurrido un error",
    "se ha presentado un error",
    "se presento un error",
    "ocurrio un error",
    "error interno",
    "internal server error",
    "service unavailable",
    "servicio no disponible",
    "servicio temporalmente no disponible",
    "java.lang.",
    "exception",
    "http status 500",
    "error 500",
    "pagina de error",
];

/// Markers of a page that says the process does not exist.
const NOT_FOUND_MARKERS: &[&str] = &[
    "no se encontro",
    "no se encontraron",
    "no existe",
    "no hay resultados",
    "proceso no encontrado",
    "constancia no valida",
    "no se ha encontrado",
];

/// Classifies an answer from its HTTP status, its text and what the parser found in it.
pub fn classify(status: u16, text: &str, page: &DetailPage) -> Verdict {
    if status == 429 || status == 503 {
        return Verdict::Blocked(BlockKind::Throttled);
    }
    if status == 404 || status == 410 {
        return Verdict::NotFound;
    }
    if (300..400).contains(&status) {
        // Same-host redirects were followed: this one leads elsewhere.
        return Verdict::Blocked(BlockKind::Redirect);
    }
    if (200..300).contains(&status) && page.is_detail() {
        return Verdict::Detail;
    }
    // Look at the visible text and the markup of the first part of the page only: block
    // pages are small, and a bound keeps this cheap on anything.
    let head: String = text.chars().take(64 * 1024).collect();
    let f = fold(&head);
    let has = |ms: &[&str]| ms.iter().any(|m| f.contains(m));
    if has(CAPTCHA_MARKERS) {
        Verdict::Blocked(BlockKind::Captcha)
    } else if has(WAF_MARKERS) || status == 403 || status == 401 {
        Verdict::Blocked(BlockKind::Waf)
    } else if has(ERROR_MARKERS) || status >= 500 {
        Verdict::Blocked(BlockKind::Error)
    } else if has(NOT_FOUND_MARKERS) {
        Verdict::NotFound
    } else {
        Verdict::Unrecognised
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::parse;
    use super::*;

    fn verdict(status: u16, html: &str) -> Verdict {
        classify(status, html, &parse(html))
    }

    #[test]
    fn real_pages_are_data_even_with_recaptcha_scripts() {
        let html = String::from_utf8(
            include_bytes!("../../fixtures/secop1/pages/detalleProceso.CMA-008-25.html").to_vec(),
        )
        .unwrap();
        assert!(html.contains("grecaptcha"));
        assert_eq!(verdict(200, &html), Verdict::Detail);
        // The same page with a 503 is a throttle, not data.
        assert_eq!(verdict(503, &html), Verdict::Blocked(BlockKind::Throttled));
    }

    #[test]
    fn block_pages() {
        let waf = "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 1234567890</body></html>";
        assert_eq!(verdict(200, waf), Verdict::Blocked(BlockKind::Waf));
        let cap = "<html><body><form><div class=\"g-recaptcha\" data-sitekey=\"x\"></div></form></body></html>";
        assert_eq!(verdict(200, cap), Verdict::Blocked(BlockKind::Captcha));
        let err = "<html><body><h1>Se ha presentado un error</h1></body></html>";
        assert_eq!(verdict(200, err), Verdict::Blocked(BlockKind::Error));
        assert_eq!(
            verdict(403, "<html></html>"),
            Verdict::Blocked(BlockKind::Waf)
        );
        assert_eq!(
            verdict(500, "<html></html>"),
            Verdict::Blocked(BlockKind::Error)
        );
        assert_eq!(verdict(429, ""), Verdict::Blocked(BlockKind::Throttled));
        assert_eq!(verdict(404, ""), Verdict::NotFound);
        assert_eq!(verdict(302, ""), Verdict::Blocked(BlockKind::Redirect));
        assert_eq!(
            verdict(
                200,
                "<html><body><p>No se encontró el proceso solicitado</p></body></html>"
            ),
            Verdict::NotFound
        );
        assert_eq!(
            verdict(200, "<html><body>Hola</body></html>"),
            Verdict::Unrecognised
        );
    }
}
