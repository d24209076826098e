//! Text helpers: folding, placeholders, phase suffixes, identifier keys.

/// Placeholders the platforms write where they mean "unknown" (compared folded).
const PLACEHOLDERS: &[&str] = &[
    "no definido",
    "no definida",
    "no adjudicado",
    "sin adjudicar",
    "n/d",
    "n/a",
    "nd",
    "na",
    "no aplica",
    "no especificado",
    "no d",
    "sin firma",
    "sin definir",
    "null",
    "none",
    "nan",
    "-",
];

/// True when a cell holds no value: empty, blank, or one of the platforms' placeholders
/// (`No Definido`, `No Adjudicado`, `Sin Adjudicar`, `N/D`, `No Aplica`, …).
pub fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return true;
    }
    if t.len() > 16 {
        return false;
    }
    let f = fold(t);
    PLACEHOLDERS.contains(&f.as_str())
}

/// Maps a C1 control character (U+0080..U+009F) to the character windows-1252 puts at that
/// byte. Exports that decoded windows-1252 as Latin-1 leave these behind (`Rama Judicial \u{96}
/// Dirección …` should read `Rama Judicial – Dirección …`).
fn fix_c1(c: char) -> Option<char> {
    const TABLE: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    let u = c as u32;
    if (0x80..0xA0).contains(&u) {
        let m = TABLE[(u - 0x80) as usize];
        if (m as u32) >= 0xA0 { Some(m) } else { None }
    } else {
        None
    }
}

/// Cleans a text cell for storage: trims, collapses runs of whitespace (cells carry
/// newlines and tabs), repairs windows-1252 leftovers, drops other control characters,
/// and maps placeholders to `None`. The text is otherwise kept as published; markup in
/// it is data and is escaped wherever it is shown.
pub fn clean_text(s: &str) -> Option<String> {
    if is_placeholder(s) {
        return None;
    }
    // Most cells are printable ASCII with single spaces between words: nothing to clean.
    let b = s.as_bytes();
    let clean = b.iter().all(|&c| (b' '..=b'~').contains(&c))
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && !b.windows(2).any(|w| w == b"  ");
    if clean {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let c = fix_c1(c).unwrap_or(c);
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control() {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Account-role tags that some SECOP II entity accounts carry after the entity's name
/// (`EDUNA (COMPRADOR)`, `… CORPOGUAVIO (OFICIAL)`): they name the account, not the entity.
const ROLE_TAGS: [&str; 3] = ["(OFICIAL)", "(ENTIDAD)", "(COMPRADOR)"];

/// Tidies an entity's name for display and grouping: drops one pair of parentheses
/// around the whole name (`(Secretaría Distrital de Integración Social)`) and a trailing
/// account-role tag (`(OFICIAL)`, `(Entidad)`, `(COMPRADOR)`). A parenthesis that is part
/// of the name (`MUNICIPIO DE BUENAVISTA (QUINDIO)`, `… (DADIN)`) stays.
pub fn entity_name(name: String) -> String {
    let mut s = name.trim();
    if let Some(inner) = s.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        // Only when the first parenthesis closes at the very end: `(A) B (C)` keeps both.
        let mut depth = 0i32;
        let wraps = inner.chars().all(|c| {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            depth >= 0
        }) && depth == 0;
        if wraps {
            s = inner.trim();
        }
    }
    for tag in ROLE_TAGS {
        if s.len() > tag.len()
            && let Some(head) = s.get(..s.len() - tag.len())
            && s[head.len()..].eq_ignore_ascii_case(tag)
            && head.ends_with(' ')
        {
            s = head.trim_end();
            break;
        }
    }
    if s.is_empty() || s.len() == name.len() {
        name
    } else {
        s.to_string()
    }
}

/// Puts back the accented capitals the live SECOP I dataset lost: each accented capital
/// became its plain lower-case vowel (`ALCALDiA`, `LICITACIoN`, `PuBLICA`, `BOGOTa`,
/// `TeCNICO`, and the conjunction `Ó` as `o`), so its titles read `APOYO TeCNICO;
/// LOGiSTICO`. In a text written in capitals, a word whose only lower-case letter is one
/// vowel gets that vowel back as an acute capital (`ALCALDÍA`, `LICITACIÓN`, `PÚBLICA`,
/// `BOGOTÁ`, `TÉCNICO`): Spanish writes at most one accent a word, and the acute is the
/// only one these texts lost (`Ñ` and `Ü` survived). A text with any other lower case
/// (`Alcaldía de Medellín`, `kVA`, `PyP`) is mixed case and left as it is, and so is a short
/// one (`Si`, `No`: fewer than four capitals, or fewer than two a lower-case letter). The
/// ordinals `ª` and `º` (`4ª`, `Nº`) are not words. An abbreviation with a lower-case vowel
/// among capitals (`SARS-CoV-2`) is taken for a lost accent: rare in these texts. Search is
/// unaffected (it folds accents either way), and the row as published stays in the state.
pub fn restore_lost_capitals(s: String) -> String {
    if !s.bytes().any(|b| b.is_ascii_lowercase()) {
        return s;
    }
    // Byte offsets of the vowels to restore.
    let mut fixes: Vec<usize> = Vec::new();
    let mut capitals = 0;
    // The word being read: its lower-case letters, and the last one's offset.
    let mut lowers = 0;
    let mut lower = 0;
    // A sentinel space ends the last word.
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        if c.is_alphabetic() && !matches!(c, 'ª' | 'º') {
            if c.is_lowercase() {
                lowers += 1;
                lower = i;
            } else if c.is_uppercase() {
                capitals += 1;
            }
            continue;
        }
        if lowers > 0 {
            let vowel = matches!(s.as_bytes()[lower], b'a' | b'e' | b'i' | b'o' | b'u');
            if lowers > 1 || !vowel {
                return s;
            }
            fixes.push(lower);
            lowers = 0;
        }
    }
    if capitals < 4 || capitals < 2 * fixes.len() {
        return s;
    }
    let mut out = String::with_capacity(s.len() + fixes.len());
    let mut from = 0;
    for at in fixes {
        out.push_str(&s[from..at]);
        out.push(match s.as_bytes()[at] {
            b'a' => 'Á',
            b'e' => 'É',
            b'i' => 'Í',
            b'o' => 'Ó',
            _ => 'Ú',
        });
        from = at + 1;
    }
    out.push_str(&s[from..]);
    out
}

/// Folds one character to lower-case ASCII where it has a plain Latin form
/// (`Á`→`a`, `ñ`→`n`, `ü`→`u`), lower-cases anything else.
#[inline]
pub fn fold_char(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        'a'..='z' | '0'..='9' => c,
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

/// Pushes the folded form of a character (see [`fold_char`]); characters whose lower case
/// is several characters push them all.
#[inline]
pub fn fold_into(c: char, out: &mut String) {
    let f = fold_char(c);
    if f != c || c.is_ascii() || !c.is_uppercase() {
        out.push(f);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// Lower-case, accent-free form used to compare names: `ALCALDÍA`, `Alcaldía` and the live
/// SECOP I dataset's `ALCALDiA` all fold to `alcaldia`.
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// Folds and keeps only letters and digits, words separated by one space:
/// `"Bogotá, D.C."` → `"bogota d c"`.
pub fn fold_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let f = fold_char(fix_c1(c).unwrap_or(c));
        if f.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(f);
        } else {
            space = true;
        }
    }
    out
}

/// The key under which an identifier is indexed and looked up: folded, letters and digits
/// only. `CO1.BDOS.10558939`, `co1.bdos.10558939` and `CO1 BDOS 10558939` share one key,
/// and so do `LP-003-2025` and `LP 003 2025`.
pub fn id_norm(s: &str) -> String {
    s.chars()
        .map(fold_char)
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The phases SECOP II appends to names and references, folded. A trailing parenthesised
/// group that starts with one of these is a phase suffix, not part of the name.
const PHASES: &[&str] = &[
    "manifestacion de interes",
    "presentacion de oferta",
    "fase de",
    "proceso de oferta",
    "pre-calificacion",
    "pre calificacion",
    "precalificacion",
    "pre-calificación",
    "borrador",
    "aprobacion",
    "seleccion de contratista",
    "evaluacion",
    "menor cuantia",
];

/// Strips the phase suffixes SECOP II appends, as many as there are:
/// `SAMC-002-2026 (Manifestación de interés (Menor Cuantía))` → `SAMC-002-2026`, and
/// `… (Manifestación de interés (Menor Cuantía)) (Presentación de oferta)` → `…`.
/// A suffix cut short by the platform (no closing parenthesis) is stripped too. Other
/// parentheses, such as `(CONVENIO NO. EPC-CI- 020-2025) FASE I`, are kept.
pub fn strip_phase_suffix(s: &str) -> &str {
    let mut end = s.trim_end().len();
    loop {
        let head = &s[..end];
        // Find the last " (" whose tail (folded) starts with a phase name and that runs to
        // the end of the head.
        let mut cut = None;
        for (i, _) in head.match_indices('(').rev() {
            let tail = fold(&head[i + 1..]);
            // SECOP II cuts names at 200 characters, often inside the suffix:
            // `… (Manifestación de in`, `… (Ma`, `… (`. An unclosed group at the end that
            // is the start of a phase name is that suffix.
            let cut_short =
                !tail.contains(')') && PHASES.iter().any(|p| p.starts_with(tail.trim()));
            if cut_short || PHASES.iter().any(|p| tail.starts_with(p)) {
                // It must be the outermost group that reaches the end: no text after its
                // balanced close other than more closing parentheses.
                let mut depth = 0i32;
                let mut ok = true;
                for c in head[i..].chars() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ if depth <= 0 && !c.is_whitespace() => {
                            ok = false;
                            break;
                        }
                        _ => {}
                    }
                }
                if ok {
                    cut = Some(i);
                }
            }
        }
        match cut {
            Some(i) if i > 0 => {
                let new_end = head[..i].trim_end().len();
                if new_end == 0 || new_end == end {
                    return &s[..end];
                }
                end = new_end;
            }
            _ => return &s[..end],
        }
    }
}

/// Pulls a URL out of a cell: SODA JSON gives `{"url": …}` (already flattened by the
/// reader), the CSV files give the URL itself or a Python dict string `{'url': '…'}`.
pub fn extract_url(s: &str) -> Option<String> {
    let start = s.find("http")?;
    let rest = &s[start..];
    let end = rest
        .find(|c: char| c == '\'' || c == '"' || c == '}' || c.is_whitespace())
        .unwrap_or(rest.len());
    let url = &rest[..end];
    if url.len() > 10 {
        Some(url.to_string())
    } else {
        None
    }
}

/// Finds the first SECOP II identifier of a kind (`NTC`, `REQ`, `BDOS`, `PCCNTR`, `AWD`) in a
/// text such as a URL: `…?noticeUID=CO1.NTC.10732827&…` → `CO1.NTC.10732827`.
pub fn find_secop2_id(s: &str, kind: &str) -> Option<String> {
    let pat = format!("CO1.{kind}.");
    let i = s.find(&pat)?;
    let digits: String = s[i + pat.len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if digits.is_empty() {
        None
    } else {
        Some(format!("{pat}{digits}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secop1s_lost_capitals_come_back_in_capital_texts_only() {
        // Real titles and names of `f789-7hwg`.
        for (lost, restored) in [
            (
                "APOYO TeCNICO; LOGiSTICO Y ASISTENCIAL OPERATIVO PARA LA REALIZACIoN DE JORNADA",
                "APOYO TÉCNICO; LOGÍSTICO Y ASISTENCIAL OPERATIVO PARA LA REALIZACIÓN DE JORNADA",
            ),
            (
                "BOLiVAR - ALCALDiA MUNICIPIO DE BARRANCO DE LOBA",
                "BOLÍVAR - ALCALDÍA MUNICIPIO DE BARRANCO DE LOBA",
            ),
            ("LICITACIoN OBRA PuBLICA", "LICITACIÓN OBRA PÚBLICA"),
            ("BOGOTa D.C.", "BOGOTÁ D.C."),
            (
                "uNICA ViAS DE SAN ANDReS (CAQUETa)",
                "ÚNICA VÍAS DE SAN ANDRÉS (CAQUETÁ)",
            ),
            (
                "CONSTRUCCIoN DE PLACA HUELLA EN LA VEREDA EL PEÑOL",
                "CONSTRUCCIÓN DE PLACA HUELLA EN LA VEREDA EL PEÑOL",
            ),
            ("M-BLB-019-2026-A", "M-BLB-019-2026-A"),
            (
                "ALCANTARILLADO DE LAS CALLES 3ª Y 4ª; DIESEL o ACPM SEGuN COTIZACIoN Nº 016",
                "ALCANTARILLADO DE LAS CALLES 3ª Y 4ª; DIESEL Ó ACPM SEGÚN COTIZACIÓN Nº 016",
            ),
        ] {
            assert_eq!(restore_lost_capitals(lost.to_string()), restored);
        }
        // Mixed case, or a lower case that is not a lost accent: left as published.
        for kept in [
            "Prestación de servicios profesionales",
            "ALCALDiA de Medellín",
            "SUMINISTRO DE PLANTA DE 150 kVA",
            "PROGRAMA PyP",
            "Si",
            "No",
            "ViA",
            "",
        ] {
            assert_eq!(restore_lost_capitals(kept.to_string()), kept);
        }
    }

    #[test]
    fn placeholders_are_unknown() {
        for p in [
            "No Definido",
            "No definido",
            "No Adjudicado",
            "Sin Adjudicar",
            "N/D",
            "No Aplica",
            "",
            "  ",
            "Sin Firma",
        ] {
            assert!(is_placeholder(p), "{p}");
            assert_eq!(clean_text(p), None);
        }
        assert!(!is_placeholder("No"));
        assert!(!is_placeholder("INCIVA"));
    }

    #[test]
    fn folding_matches_lost_accents() {
        // The live SECOP I dataset lost its accented capitals.
        assert_eq!(fold("ALCALDiA"), "alcaldia");
        assert_eq!(fold("ALCALDÍA"), "alcaldia");
        assert_eq!(fold("alcaldia"), "alcaldia");
        assert_eq!(
            fold("LICITACIoN OBRA PuBLICA"),
            fold("Licitación obra pública")
        );
        assert_eq!(fold_words("BOGOTa D.C."), "bogota d c");
        assert_eq!(fold_words("Bogotá, D.C."), "bogota d c");
    }

    #[test]
    fn entity_names_lose_wrapping_parentheses_and_role_tags() {
        // Real names from the 247k web export of jbjy-vk9h.
        let e = |s: &str| entity_name(s.to_string());
        assert_eq!(
            e("(Secretaría Distrital de Integración Social)"),
            "Secretaría Distrital de Integración Social"
        );
        assert_eq!(
            e("CORPORACION AUTONOMA REGIONAL DEL GUAVIO - CORPOGUAVIO (OFICIAL)"),
            "CORPORACION AUTONOMA REGIONAL DEL GUAVIO - CORPOGUAVIO"
        );
        assert_eq!(
            e("ESE CENTRO DE SALUD JUAN SOLERI (Entidad)"),
            "ESE CENTRO DE SALUD JUAN SOLERI"
        );
        assert_eq!(e("EDUNA (COMPRADOR)"), "EDUNA");
        assert_eq!(e("(OFICIAL)"), "OFICIAL");
        // Parentheses that belong to the name stay.
        for kept in [
            "MUNICIPIO DE BUENAVISTA (QUINDIO)",
            "ARMADA NACIONAL - DIRECCIÓN ADMINISTRATIVA (DADIN)",
            "INSTITUTO DE SERVICIOS VARIOS DE IPIALES (ISERVI E.S.P)",
            "(ESE) HOSPITAL SAN RAFAEL (TUNJA)",
            "()",
            "ALCALDIA DE PASTO",
        ] {
            assert_eq!(e(kept), kept);
        }
    }

    #[test]
    fn clean_text_collapses_and_repairs() {
        assert_eq!(
            clean_text("Rama Judicial \u{96} Dirección\n Seccional").as_deref(),
            Some("Rama Judicial – Dirección Seccional")
        );
        assert_eq!(
            clean_text("  <b>\"OBRA\"</b>\r\n ").as_deref(),
            Some("<b>\"OBRA\"</b>")
        );
        // ASCII cells that look clean but are not: each still goes through the cleaning.
        for (raw, clean) in [
            ("MANTENIMIENTO  VIAL", "MANTENIMIENTO VIAL"),
            (" OBRA CIVIL", "OBRA CIVIL"),
            ("OBRA CIVIL ", "OBRA CIVIL"),
            ("OBRA\tCIVIL", "OBRA CIVIL"),
            ("OBRA\u{7f}CIVIL", "OBRACIVIL"),
            ("SUMINISTRO DE COMBUSTIBLE", "SUMINISTRO DE COMBUSTIBLE"),
        ] {
            assert_eq!(clean_text(raw).as_deref(), Some(clean), "{raw:?}");
        }
    }

    #[test]
    fn phase_suffixes_are_stripped() {
        assert_eq!(
            strip_phase_suffix("SAMC-002-2026 (Manifestación de interés (Menor Cuantía))"),
            "SAMC-002-2026"
        );
        assert_eq!(
            strip_phase_suffix(
                "SASD-191-CENACAVIACION-2025 (Manifestación de interés (Menor Cuantía)) (Presentación de oferta)"
            ),
            "SASD-191-CENACAVIACION-2025"
        );
        // Cut short upstream: the closing parenthesis is missing.
        assert_eq!(
            strip_phase_suffix(
                "MEJORAMIENTO DE LA RED VIAL DEL MUNICIPIO DE BRICEÑO BOYACÁ (Manifestación de interés (Menor Cuantía)"
            ),
            "MEJORAMIENTO DE LA RED VIAL DEL MUNICIPIO DE BRICEÑO BOYACÁ"
        );
        assert_eq!(
            strip_phase_suffix(
                "CARDER SA 012-2026 TOMA DE MUESTRAS  (Manifestación de interés (Menor Cuantía))"
            ),
            "CARDER SA 012-2026 TOMA DE MUESTRAS"
        );
        // Cut at SECOP II's 200 characters inside the suffix (real titles).
        assert_eq!(
            strip_phase_suffix(
                "RECOLECCIÓN Y DISPOSICIÓN FINAL DE RESIDUOS DEL MUNICIPIO DE EL ESPINAL (Manifestación de i"
            ),
            "RECOLECCIÓN Y DISPOSICIÓN FINAL DE RESIDUOS DEL MUNICIPIO DE EL ESPINAL"
        );
        assert_eq!(
            strip_phase_suffix("TALLERES EN LA GERENCIA DEPARTAMENTAL DE CASANARE (Ma"),
            "TALLERES EN LA GERENCIA DEPARTAMENTAL DE CASANARE"
        );
        assert_eq!(
            strip_phase_suffix("EN EL MARCO DEL CONVENIO INTERADMINISTRATIVO ICCU-CTO-13 ("),
            "EN EL MARCO DEL CONVENIO INTERADMINISTRATIVO ICCU-CTO-13"
        );
        // A cut group that is no phase stays.
        let s = "CAPITANÍA DE PUERTO DE URABÁ Y EL DARIÉN (TURBO";
        assert_eq!(strip_phase_suffix(s), s);
        // Parentheses that are part of the name stay.
        let s = "OPTIMIZACIoN DE REDES (CONVENIO NO. EPC-CI- 020-2025) FASE I";
        assert_eq!(strip_phase_suffix(s), s);
        assert_eq!(strip_phase_suffix("IPMC-014-2025"), "IPMC-014-2025");
    }

    #[test]
    fn identifiers_normalise() {
        assert_eq!(id_norm("CO1.BDOS.10558939"), "co1bdos10558939");
        assert_eq!(id_norm("LP-003-2025"), id_norm("lp 003 2025"));
        assert_eq!(id_norm("26-21-53372"), "262153372");
    }

    #[test]
    fn urls_and_ids_come_out_of_cells() {
        let py = "{'url': 'https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID=CO1.NTC.1543717&isFromPublicArea=True&isModal=true&asPopupView=true'}";
        let u = extract_url(py).unwrap();
        assert!(u.ends_with("asPopupView=true"));
        assert_eq!(
            find_secop2_id(&u, "NTC").as_deref(),
            Some("CO1.NTC.1543717")
        );
        assert_eq!(
            find_secop2_id(
                "https://community.secop.gov.co/STS/Users/Login/Index",
                "NTC"
            ),
            None
        );
    }
}
