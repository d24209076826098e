//! Bytes to text: the charset a page declares, as a browser would pick it.
//!
//! SECOP I serves old pages in windows-1252 and newer ones in UTF-8, and says so in the
//! `Content-Type` header, in a `<meta>` tag, or both. The order follows the HTML
//! standard's sniffing: a byte-order mark, then the HTTP header, then a `<meta>` in the
//! first bytes, then UTF-8 when the bytes are valid UTF-8, else windows-1252 (what
//! `ISO-8859-1` means on the web anyway).

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How far into a page a `<meta charset>` is looked for.
const META_SCAN: usize = 4096;

/// Decodes a page. Returns the text and the encoding used; malformed sequences become
/// U+FFFD rather than an error.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    let enc = pick_encoding(bytes, content_type);
    // `decode` also honours (and strips) a byte-order mark.
    let (text, used, _had_errors) = enc.decode(bytes);
    (text.into_owned(), used)
}

/// The encoding a page should be read with (see the module documentation).
pub fn pick_encoding(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    if let Some(enc) = content_type.and_then(charset_param) {
        return enc;
    }
    if let Some(enc) = meta_charset(&bytes[..bytes.len().min(META_SCAN)]) {
        return enc;
    }
    if std::str::from_utf8(bytes).is_ok() {
        UTF_8
    } else {
        WINDOWS_1252
    }
}

/// The `charset=` parameter of a `Content-Type` value, when it names a known encoding.
fn charset_param(ct: &str) -> Option<&'static Encoding> {
    let lower = ct.to_ascii_lowercase();
    let i = lower.find("charset")?;
    let rest = lower[i + "charset".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(['"', '\'', ';', ' ', '>', '/'])
        .unwrap_or(rest.len());
    let label = &rest[..end];
    let enc = Encoding::for_label(label.as_bytes())?;
    // A page cannot really be UTF-16 once it was found to be ASCII-compatible text.
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    Some(enc)
}

/// The charset of a `<meta charset=…>` or `<meta http-equiv="Content-Type" content=…>`
/// in the first bytes of a page.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    // The head is ASCII for every charset SECOP uses; a lossy view is enough to search it.
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = text[from..].find("<meta") {
        let start = from + i;
        let end = text[start..].find('>').map_or(text.len(), |j| start + j);
        if let Some(enc) = charset_param(&text[start..end]) {
            return Some(enc);
        }
        from = end.min(text.len());
        if from >= text.len() {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_meta_and_fallbacks() {
        let cp = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"/></head><body>N\xfamero</body></html>";
        let (t, e) = decode_html(cp, None);
        assert_eq!(e, WINDOWS_1252);
        assert!(t.contains("Número"), "{t}");
        // The header wins over the meta tag.
        let (_, e) = decode_html(cp, Some("text/html; charset=UTF-8"));
        assert_eq!(e, UTF_8);
        // ISO-8859-1 means windows-1252 on the web.
        let (t, e) = decode_html(b"Cuant\xeda", Some("text/html;charset=ISO-8859-1"));
        assert_eq!(e, WINDOWS_1252);
        assert_eq!(t, "Cuantía");
        let (t, e) = decode_html("<meta charset=\"utf-8\">Cuantía".as_bytes(), None);
        assert_eq!(e, UTF_8);
        assert!(t.ends_with("Cuantía"));
        // Nothing declared: UTF-8 when valid, else windows-1252.
        assert_eq!(decode_html("Régimen".as_bytes(), None).1, UTF_8);
        assert_eq!(decode_html(b"R\xe9gimen", None).0, "Régimen");
        // Unknown labels are ignored.
        assert_eq!(
            decode_html(b"R\xe9gimen", Some("text/html; charset=klingon")).0,
            "Régimen"
        );
    }

    #[test]
    fn the_real_pages_declare_their_charsets() {
        let old = include_bytes!("../../fixtures/secop1/pages/detalleProceso.2011.html");
        let (t, e) = decode_html(old, None);
        assert_eq!(e, WINDOWS_1252);
        assert!(t.contains("Detalle del Proceso Número SDA-SA-038-2011"));
        let new = include_bytes!("../../fixtures/secop1/pages/detalleProceso.CMA-008-25.html");
        let (t, e) = decode_html(new, None);
        assert_eq!(e, UTF_8);
        assert!(t.contains("Régimen de Contratación"));
    }
}
