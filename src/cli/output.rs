//! Output helpers: tables for terminals, English counts and Colombian pesos.

use std::io::Write;

pub use crate::display::format_cop;

/// A plain text table with aligned columns.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            right: vec![false; header.len()],
        }
    }

    /// Right-aligns a column (numbers).
    pub fn align_right(mut self, col: usize) -> Table {
        if let Some(r) = self.right.get_mut(col) {
            *r = true;
        }
        self
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Writes the table, cutting cells to `max` characters.
    pub fn write(&self, out: &mut impl Write, max: usize) -> std::io::Result<()> {
        let rows: Vec<Vec<String>> = std::iter::once(&self.header)
            .chain(self.rows.iter())
            .map(|r| r.iter().map(|c| shorten(c, max)).collect())
            .collect();
        let n = self.header.len();
        let widths: Vec<usize> = (0..n)
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (ri, r) in rows.iter().enumerate() {
            let mut line = String::new();
            for (i, width) in widths.iter().enumerate() {
                let c = r.get(i).map_or("", String::as_str);
                let pad = width - c.chars().count();
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right[i] {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    if i + 1 < n {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            writeln!(out, "{}", line.trim_end())?;
            if ri == 0 {
                let total: usize = widths.iter().sum::<usize>() + 2 * n.saturating_sub(1);
                writeln!(out, "{}", "─".repeat(total))?;
            }
        }
        Ok(())
    }
}

/// `s` on one line (control characters as spaces), cut to `max` characters with `…`.
pub fn shorten(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > max {
        let mut t: String = one_line.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        one_line
    }
}

/// `n` things, in English: "1 merge", "2 merges", "12,345 rows".
pub fn count(n: usize, thing: &str) -> String {
    format!("{} {thing}{}", int(n as u64), if n == 1 { "" } else { "s" })
}

/// A whole number the English way, with commas between thousands: `12,345`. The CLI
/// speaks English, and `3.719` there would read as a decimal; pesos keep the Colombian
/// `$ 1.234.567` ([`format_cop`]) as a currency's own notation.
pub fn int(n: u64) -> String {
    crate::display::group_thousands(n, ',')
}

/// `N older kept out, ` for a summary line, or nothing when no row was older than the
/// version already stored (the usual case).
pub fn older_part(older: u64) -> String {
    if older == 0 {
        String::new()
    } else {
        format!("{older} older kept out, ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_counts_put_commas_between_thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(3_719), "3,719");
        assert_eq!(int(1_144_236), "1,144,236");
        assert_eq!(count(1, "row"), "1 row");
        assert_eq!(count(12_345, "row"), "12,345 rows");
    }
}
