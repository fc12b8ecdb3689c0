//! The activity log as CSV (RFC 4180), for a spreadsheet or an auditor: a header row, every
//! field quoted when it holds a comma, quote or line break, lines ended by CRLF.
//!
//! Names, nodes and details are whatever members typed: a cell a spreadsheet would take for
//! a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a
//! leading `'`, so opening the file never runs anything ("CSV injection").

use super::activity::ActivityEntry;
use super::model::format_time;

/// The header row's names, in column order.
pub const ACTIVITY_CSV_HEADER: [&str; 7] =
    ["seq", "at", "action", "member", "node", "detail", "intact"];

/// `entries` as a CSV document, in the order given.
pub fn activity_csv<'a>(entries: impl IntoIterator<Item = &'a ActivityEntry>) -> String {
    let mut out = String::new();
    row(&mut out, ACTIVITY_CSV_HEADER.iter().copied());
    for e in entries {
        let seq = e.seq.to_string();
        let at = format_time(e.at);
        let intact = if e.intact { "true" } else { "false" };
        row(
            &mut out,
            [
                seq.as_str(),
                at.as_str(),
                &e.action,
                &e.member,
                &e.node,
                &e.detail,
                intact,
            ],
        );
    }
    out
}

fn row<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell_into(out, cell);
    }
    out.push_str("\r\n");
}

/// One cell: defused when a spreadsheet would read it as a formula, quoted when it must be.
fn cell_into(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = cell.contains([',', '"', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quoted {
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(node: &str, detail: &str) -> ActivityEntry {
        ActivityEntry {
            seq: 3,
            at: 1_796_000_000,
            action: "key.create".into(),
            node: node.into(),
            detail: detail.into(),
            member: "ana".into(),
            intact: true,
        }
    }

    #[test]
    fn a_header_then_a_row_per_entry_with_crlf() {
        let csv = activity_csv(&[entry("acme/prod", "svc kid_1")]);
        let at = format_time(1_796_000_000);
        assert_eq!(
            csv,
            format!(
                "seq,at,action,member,node,detail,intact\r\n3,{at},key.create,ana,acme/prod,svc kid_1,true\r\n"
            )
        );
        assert_eq!(
            activity_csv(&[]),
            "seq,at,action,member,node,detail,intact\r\n"
        );
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        let csv = activity_csv(&[entry("a,b", "say \"hi\"\nthen\r\nbye")]);
        let row = csv.split_once("\r\n").expect("header").1;
        assert_eq!(
            row,
            "3,".to_owned()
                + &format_time(1_796_000_000)
                + ",key.create,ana,\"a,b\",\"say \"\"hi\"\"\nthen\r\nbye\",true\r\n"
        );
    }

    #[test]
    fn formulas_are_defused() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("=1,2", "\"'=1,2\""),
            ("a=1", "a=1"),
        ] {
            let csv = activity_csv(&[entry("n", cell)]);
            let row = csv.lines().nth(1).expect("row");
            assert!(
                row.ends_with(&format!(",{written},true")),
                "{cell:?} → {row:?}"
            );
        }
    }
}
