//! Text tables that stream. Columns are measured by display width (a CJK character or an
//! emoji takes two terminal cells), from the header and the first [`LOOKAHEAD`] rows; then the
//! widths are fixed and every later row is written as it comes, so a listing of 100,000 keys
//! holds at most that many rows. When stdout is a terminal the columns are also fitted to its
//! width: the columns that may shrink are cut with an ellipsis, and when even that is not
//! enough the least useful columns are left out. Into a pipe or file nothing is cut: a cell
//! after the look-ahead that is wider than its column pushes the rest of its line right.

use std::borrow::Cow;
use std::io::{self, Write};

use super::printable::printable;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Rows measured before the column widths are fixed.
pub const LOOKAHEAD: usize = 1000;
/// Spaces between columns.
const GAP: usize = 2;
/// A shrinking column keeps at least this many cells (or its header's width).
const MIN_SHRUNK: usize = 8;
const ELLIPSIS: char = '…';

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub header: &'static str,
    /// May be cut with an ellipsis to fit the terminal (names, paths, lists). The others
    /// (ids, dates, statuses) keep their width, or the column is left out.
    pub shrinks: bool,
    /// Order of leaving out on a narrow terminal: the highest goes first; 0 is never left out.
    pub drop_rank: u8,
}

impl Column {
    pub const fn new(header: &'static str, shrinks: bool, drop_rank: u8) -> Column {
        Column {
            header,
            shrinks,
            drop_rank,
        }
    }
}

/// The columns shown and their widths, fixed after the look-ahead.
#[derive(Debug, PartialEq)]
struct Layout {
    /// Indexes into the table's columns, in order.
    shown: Vec<usize>,
    widths: Vec<usize>,
    /// Cut wider cells (a terminal); else write them whole.
    cut: bool,
}

pub struct Table<'c, W: Write> {
    out: W,
    columns: &'c [Column],
    /// The terminal's width when stdout is one.
    fit: Option<usize>,
    pending: Vec<Vec<String>>,
    layout: Option<Layout>,
    line: String,
}

impl<'c, W: Write> Table<'c, W> {
    /// A table written to `out`; `fit` is the terminal's width (None: not a terminal).
    pub fn new(out: W, columns: &'c [Column], fit: Option<usize>) -> Self {
        Table {
            out,
            columns,
            fit,
            pending: Vec::new(),
            layout: None,
            line: String::new(),
        }
    }

    /// Adds a row (one cell per column). Rows are held until the look-ahead is full, then
    /// written as they come.
    pub fn push(&mut self, mut row: Vec<String>) -> io::Result<()> {
        for cell in &mut row {
            if let Cow::Owned(shown) = printable(cell) {
                *cell = shown;
            }
        }
        if self.layout.is_some() {
            return self.write_row(&row);
        }
        self.pending.push(row);
        if self.pending.len() >= LOOKAHEAD {
            self.start()?;
        }
        Ok(())
    }

    /// Writes what is still held; `empty` is written instead of a table with no rows.
    /// Returns the writer (to flush it).
    pub fn finish(mut self, empty: &str) -> io::Result<W> {
        if self.layout.is_none() {
            if self.pending.is_empty() {
                writeln!(self.out, "{empty}")?;
                return Ok(self.out);
            }
            self.start()?;
        }
        Ok(self.out)
    }

    /// Fixes the layout from the rows held, writes the header and those rows.
    fn start(&mut self) -> io::Result<()> {
        let layout = layout(self.columns, &self.pending, self.fit);
        self.layout = Some(layout);
        let headers: Vec<String> = self.columns.iter().map(|c| c.header.to_owned()).collect();
        self.write_row(&headers)?;
        for row in std::mem::take(&mut self.pending) {
            self.write_row(&row)?;
        }
        Ok(())
    }

    fn write_row(&mut self, row: &[String]) -> io::Result<()> {
        let Some(layout) = &self.layout else {
            return Ok(());
        };
        self.line.clear();
        let last = layout.shown.len().saturating_sub(1);
        for (i, (&col, &width)) in layout.shown.iter().zip(&layout.widths).enumerate() {
            if i > 0 {
                self.line.extend(std::iter::repeat_n(' ', GAP));
            }
            let cell = row.get(col).map_or("", String::as_str);
            let used = push_cell(&mut self.line, cell, width, layout.cut);
            if i < last && used < width {
                self.line.extend(std::iter::repeat_n(' ', width - used));
            }
        }
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }
}

/// Display width of a cell as written (its control characters are escaped by `push`).
pub fn cell_width(cell: &str) -> usize {
    if printable_ascii(cell) {
        return cell.len();
    }
    cell.width()
}

/// Most cells: one terminal cell per byte, written as they are.
fn printable_ascii(cell: &str) -> bool {
    cell.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Appends `cell` to `line`, cut to `width` with an ellipsis when `cut`; returns the display
/// width appended.
fn push_cell(line: &mut String, cell: &str, width: usize, cut: bool) -> usize {
    let full = cell_width(cell);
    if !cut || full <= width {
        line.push_str(cell);
        return full;
    }
    if width == 0 {
        return 0;
    }
    // Keep characters while they and the ellipsis fit. Sequences (emoji with a variation
    // selector, ZWJ) can be wider together than their characters: re-measure the result.
    let start = line.len();
    let mut used = 0;
    for c in cell.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        line.push(c);
        used += w;
    }
    while line[start..].width() > width - 1 {
        line.pop();
    }
    line.push(ELLIPSIS);
    line[start..].width()
}

/// Column widths from the header and `rows`, fitted to `fit` cells when given.
fn layout(columns: &[Column], rows: &[Vec<String>], fit: Option<usize>) -> Layout {
    let natural: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|cell| cell_width(cell))
                .fold(c.header.width(), usize::max)
        })
        .collect();
    let mut shown: Vec<usize> = (0..columns.len()).collect();
    let Some(total) = fit else {
        return Layout {
            widths: natural,
            shown,
            cut: false,
        };
    };
    loop {
        let mut widths: Vec<usize> = shown.iter().map(|&i| natural[i]).collect();
        let needed = widths.iter().sum::<usize>() + GAP * shown.len().saturating_sub(1);
        let mut excess = needed.saturating_sub(total);
        // Shrink the widest shrinking column, one cell at a time.
        while excess > 0 {
            let widest = shown
                .iter()
                .enumerate()
                .filter(|&(j, &i)| {
                    columns[i].shrinks && widths[j] > MIN_SHRUNK.max(columns[i].header.width())
                })
                .max_by_key(|&(j, _)| widths[j])
                .map(|(j, _)| j);
            let Some(j) = widest else { break };
            widths[j] -= 1;
            excess -= 1;
        }
        if excess == 0 {
            return Layout {
                shown,
                widths,
                cut: true,
            };
        }
        // Still too wide: leave out the least useful column, and measure again.
        let drop = shown
            .iter()
            .enumerate()
            .filter(|&(_, &i)| columns[i].drop_rank > 0)
            .max_by_key(|&(_, &i)| columns[i].drop_rank)
            .map(|(j, _)| j);
        match drop {
            Some(j) => {
                shown.remove(j);
            }
            // Nothing left to leave out: lines wrap.
            None => {
                return Layout {
                    shown,
                    widths,
                    cut: true,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 3] = [
        Column::new("ID", false, 0),
        Column::new("NAME", true, 0),
        Column::new("WHERE", true, 1),
    ];

    fn render(rows: &[[&str; 3]], fit: Option<usize>) -> String {
        let mut t = Table::new(Vec::new(), &COLS, fit);
        for r in rows {
            t.push(r.iter().map(|s| s.to_string()).collect()).unwrap();
        }
        String::from_utf8(t.finish("(none)").unwrap()).unwrap()
    }

    fn widths(text: &str) -> Vec<usize> {
        text.lines().map(UnicodeWidthStr::width).collect()
    }

    #[test]
    fn columns_align_by_display_width() {
        let out = render(
            &[
                ["k1", "東京の鍵", "a"],
                ["k2", "ascii", "b"],
                ["k3", "🔑 key", "c"],
            ],
            None,
        );
        // The last column starts at the same cell on every line.
        let starts: Vec<usize> = out
            .lines()
            .map(|l| l[..l.rfind("  ").unwrap() + 2].width())
            .collect();
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{out}");
        assert!(out.contains("東京の鍵"), "{out}");
    }

    #[test]
    fn fitted_to_a_terminal_cuts_names_with_an_ellipsis() {
        let long = "a-very-long-key-name-that-does-not-fit-in-a-narrow-terminal";
        let out = render(&[["kid_1", long, "acme/billing/prod"]], Some(40));
        assert!(widths(&out).iter().all(|&w| w <= 40), "{out}");
        assert!(out.contains('…'), "{out}");
        assert!(out.contains("kid_1"), "ids are never cut: {out}");
    }

    #[test]
    fn wide_characters_are_cut_on_cell_boundaries() {
        let out = render(&[["k", "東京東京東京東京東京東京東京東京", "w"]], Some(20));
        assert!(widths(&out).iter().all(|&w| w <= 20), "{out}");
        assert!(out.contains("東京…") || out.contains("京…"), "{out}");
    }

    #[test]
    fn a_very_narrow_terminal_leaves_columns_out() {
        let out = render(&[["kid_123456789", "name", "somewhere"]], Some(24));
        assert!(!out.contains("WHERE"), "{out}");
        assert!(out.contains("kid_123456789"), "{out}");
    }

    #[test]
    fn into_a_pipe_nothing_is_cut() {
        let long = "x".repeat(300);
        let out = render(&[["k", &long, "w"]], None);
        assert!(out.contains(&long));
        assert!(!out.contains('…'));
    }

    #[test]
    fn rows_after_the_lookahead_are_written_as_they_come() {
        let mut t = Table::new(Vec::new(), &COLS, Some(30));
        for i in 0..LOOKAHEAD + 5 {
            t.push(vec![format!("k{i}"), "n".into(), "w".into()])
                .unwrap();
        }
        assert!(
            t.pending.is_empty(),
            "rows are not held after the look-ahead"
        );
        // A later, longer name is cut to the column fixed by the look-ahead.
        t.push(vec!["kz".into(), "a-much-longer-name".into(), "w".into()])
            .unwrap();
        let out = String::from_utf8(t.finish("").unwrap()).unwrap();
        let last = out.lines().last().unwrap();
        assert!(last.contains("a-m…  w"), "{last}");
        assert_eq!(out.lines().count(), LOOKAHEAD + 7);
    }

    #[test]
    fn control_characters_are_shown_escaped_and_measured_so() {
        let out = render(&[["k", "bad\u{1b}[31mred\nx", "w"]], None);
        assert!(!out.contains('\u{1b}'), "{out:?}");
        assert!(out.contains("bad\\x1b[31mred\\nx  w"), "{out:?}");
        assert_eq!(out.lines().count(), 2, "{out:?}");
    }

    #[test]
    fn no_rows_prints_the_empty_text() {
        assert_eq!(render(&[], None), "(none)\n");
    }
}
