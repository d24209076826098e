//! Money: whole Colombian pesos from the many ways the platforms write them.

use super::ValueError;
use super::text::is_placeholder;

/// Parses an amount into whole pesos (rounded half away from zero).
///
/// Accepted: `208231918`, `2,500,000`, `$ 54,193,734`, `476.446.290,00 COP`,
/// `$ 31.500.000,00`, `78098065.5`, `1.5E9`. `Ok(None)` for empty cells and placeholders.
/// The separator rules: when both `.` and `,` appear, the last one is the decimal mark; a
/// lone separator followed by exactly three digits, or repeated, groups thousands;
/// otherwise it is the decimal mark.
pub fn parse_money(s: &str) -> Result<Option<i64>, ValueError> {
    if is_placeholder(s) {
        return Ok(None);
    }
    let t = s.trim();
    let mut neg = false;
    let mut body = String::with_capacity(t.len());
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // An exponent only between digits (`1.5E9`, `2e+6`); otherwise an `e` belongs to a
        // currency word (`$54,193,734.00 Peso Colombiano`).
        let exponent = || {
            body.ends_with(|p: char| p.is_ascii_digit())
                && match chars.get(i + 1) {
                    Some(d) if d.is_ascii_digit() => true,
                    Some('+' | '-') => chars.get(i + 2).is_some_and(|d| d.is_ascii_digit()),
                    _ => false,
                }
        };
        match c {
            '0'..='9' | '.' | ',' => body.push(c),
            '-' if body.is_empty() => neg = true,
            '-' if body.ends_with('e') => body.push('-'),
            '$' | ' ' | '\u{a0}' | '\'' | '+' => {}
            'e' | 'E' if !body.contains('e') && exponent() => body.push('e'),
            c if c.is_alphabetic() => {
                // Currency words such as COP, USD or "pesos" around the number.
                if body.contains('e') {
                    return Err(ValueError::new("money", s, "letters inside the number"));
                }
            }
            _ => return Err(ValueError::new("money", s, "unexpected character")),
        }
    }
    if body.is_empty() || !body.chars().any(|c| c.is_ascii_digit()) {
        return Err(ValueError::new("money", s, "no digits"));
    }
    if let Some((mantissa, exp)) = body.split_once('e') {
        let m: f64 = mantissa
            .replace(',', "")
            .parse()
            .map_err(|_| ValueError::new("money", s, "bad exponent form"))?;
        let e: i32 = exp
            .parse()
            .map_err(|_| ValueError::new("money", s, "bad exponent"))?;
        return finish(m * 10f64.powi(e), neg, s);
    }
    let last_dot = body.rfind('.');
    let last_comma = body.rfind(',');
    let decimal_at = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(i), None) | (None, Some(i)) => {
            let sep = body.as_bytes()[i];
            let count = body.bytes().filter(|&b| b == sep).count();
            let after = body.len() - i - 1;
            if count > 1 || after == 3 {
                None
            } else {
                Some(i)
            }
        }
        (None, None) => None,
    };
    let (int_part, frac_part) = match decimal_at {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body.as_str(), ""),
    };
    let int_digits: String = int_part.chars().filter(|c| c.is_ascii_digit()).collect();
    if frac_part.contains(['.', ',']) {
        return Err(ValueError::new("money", s, "misplaced separators"));
    }
    if int_digits.len() > 18 {
        return Err(ValueError::new("money", s, "too large"));
    }
    let whole: i64 = if int_digits.is_empty() {
        0
    } else {
        int_digits
            .parse()
            .map_err(|_| ValueError::new("money", s, "not a number"))?
    };
    let round_up = frac_part.as_bytes().first().is_some_and(|&b| b >= b'5');
    let v = whole + i64::from(round_up);
    Ok(Some(if neg { -v } else { v }))
}

fn finish(v: f64, neg: bool, s: &str) -> Result<Option<i64>, ValueError> {
    if !v.is_finite() || v.abs() > 9.0e17 {
        return Err(ValueError::new("money", s, "too large"));
    }
    let v = v.round() as i64;
    Ok(Some(if neg { -v } else { v }))
}

/// Like [`parse_money`], but `0` also means unknown: the platforms write `0` where a value
/// is required and nobody filled it in.
pub fn parse_money_nonzero(s: &str) -> Result<Option<i64>, ValueError> {
    Ok(parse_money(s)?.filter(|&v| v != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_amounts() {
        // Each form as it appears in the corpus.
        assert_eq!(parse_money("208231918"), Ok(Some(208_231_918)));
        assert_eq!(parse_money("2,500,000"), Ok(Some(2_500_000)));
        assert_eq!(parse_money("$ 54,193,734"), Ok(Some(54_193_734)));
        assert_eq!(parse_money("476.446.290,00 COP"), Ok(Some(476_446_290)));
        assert_eq!(parse_money("$ 31.500.000,00"), Ok(Some(31_500_000)));
        assert_eq!(parse_money("10979236356"), Ok(Some(10_979_236_356)));
        assert_eq!(parse_money("30,00"), Ok(Some(30)));
        assert_eq!(parse_money("78098065.5"), Ok(Some(78_098_066)));
        assert_eq!(parse_money("1872.9281429999999"), Ok(Some(1873)));
        assert_eq!(parse_money("2.500"), Ok(Some(2_500)));
        assert_eq!(parse_money("1.5E9"), Ok(Some(1_500_000_000)));
        assert_eq!(parse_money("-63000000"), Ok(Some(-63_000_000)));
        // SECOP I detail pages: the contract's final value, currency spelled out.
        assert_eq!(
            parse_money("$54,193,734.00 Peso Colombiano"),
            Ok(Some(54_193_734))
        );
        assert_eq!(
            parse_money("          $496,510,063.00     Peso Colombiano"),
            Ok(Some(496_510_063))
        );
        assert_eq!(parse_money("$.00"), Ok(Some(0)));
        assert_eq!(parse_money("2e+6"), Ok(Some(2_000_000)));
        assert_eq!(parse_money("1.2e-1"), Ok(Some(0)));
    }

    #[test]
    fn unknowns_and_errors() {
        assert_eq!(parse_money("No Definido"), Ok(None));
        assert_eq!(parse_money(""), Ok(None));
        assert_eq!(parse_money_nonzero("0"), Ok(None));
        assert_eq!(parse_money_nonzero("0.00"), Ok(None));
        assert!(parse_money("abc").is_err());
        assert!(parse_money("12/05/2024").is_err());
        assert!(parse_money("99999999999999999999999").is_err());
    }
}
