//! NITs: Colombia's tax identifiers, written many ways.

use super::text::is_placeholder;

/// The DIAN check digit of a NIT body (the digits before the dash).
pub fn check_digit(body: &str) -> Option<u8> {
    const W: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    if body.is_empty() || body.len() > W.len() {
        return None;
    }
    let mut sum = 0u32;
    for (i, b) in body.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        sum += u32::from(b - b'0') * W[i];
    }
    let r = (sum % 11) as u8;
    Some(if r < 2 { r } else { 11 - r })
}

/// Normalises a NIT to its digits, without check digit, dots, commas or a decimal tail.
///
/// `890981195`, `890,981,195`, `800100515- 2`, `890983824-9` and `890.480.184,00` become
/// `890981195`, `890981195`, `800100515`, `890983824` and `890480184`. A ten-digit value
/// whose last digit is the check digit of the first nine (`8999990619`) loses it. Other
/// lengths are kept: a person's cédula is not a NIT and has no check digit to strip.
pub fn normalize_nit(s: &str) -> Option<String> {
    if is_placeholder(s) {
        return None;
    }
    let mut t = s.trim();
    // A decimal tail from a spreadsheet: `890.480.184,00` or `890480184.0`.
    for tail in [",00", ".00", ",0", ".0"] {
        if let Some(stripped) = t.strip_suffix(tail) {
            t = stripped;
            break;
        }
    }
    // The check digit after a dash.
    let body = match t.rsplit_once('-') {
        Some((head, dv)) if dv.trim().len() == 1 && head.chars().any(|c| c.is_ascii_digit()) => {
            head
        }
        _ => t,
    };
    let digits: String = body.chars().filter(|c| c.is_ascii_digit()).collect();
    // Zeros in front are padding from a fixed-width column (`0899999061`): no NIT or
    // cédula starts with one.
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() || digits.len() > 15 || digits.bytes().all(|b| b == b'0') {
        return None;
    }
    if digits.len() == 10 {
        let (nine, last) = digits.split_at(9);
        if check_digit(nine) == Some(last.as_bytes()[0] - b'0') && nine.starts_with(['8', '9']) {
            return Some(nine.to_string());
        }
    }
    Some(digits.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_nits() {
        assert_eq!(normalize_nit("890981195").as_deref(), Some("890981195"));
        assert_eq!(normalize_nit("890,981,195").as_deref(), Some("890981195"));
        assert_eq!(normalize_nit("800100515- 2").as_deref(), Some("800100515"));
        assert_eq!(normalize_nit("890983824-9").as_deref(), Some("890983824"));
        assert_eq!(
            normalize_nit("890.480.184,00").as_deref(),
            Some("890480184")
        );
        assert_eq!(normalize_nit("800.094.776-1").as_deref(), Some("800094776"));
        // Check digit stuck on the end (real p6dx values).
        assert_eq!(normalize_nit("8999990619").as_deref(), Some("899999061"));
        assert_eq!(normalize_nit("9010347905").as_deref(), Some("901034790"));
        // Zero-padded (a real p6dx value of Bogotá's sports secretariat, 899999061-9).
        assert_eq!(normalize_nit("0899999061").as_deref(), Some("899999061"));
        assert_eq!(normalize_nit("00890981195-1").as_deref(), Some("890981195"));
        // A cédula of ten digits keeps all of them.
        assert_eq!(normalize_nit("1035861631").as_deref(), Some("1035861631"));
        assert_eq!(normalize_nit("No Definido"), None);
        assert_eq!(normalize_nit("0"), None);
    }

    #[test]
    fn check_digits() {
        assert_eq!(check_digit("900223270"), Some(4));
        assert_eq!(check_digit("800222498"), Some(9));
        assert_eq!(check_digit("891200916"), Some(2));
    }
}
