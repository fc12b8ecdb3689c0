//! `key list` streams: text columns measured by display width (CJK, emoji) and fitted to the
//! terminal when stdout is one, and `--json` a valid array however many keys there are.

mod common;

use std::process::Command;

use common::{PASS, Run, Sandbox};
use keyward::vault::{NewKey, Vault};
use unicode_width::UnicodeWidthStr;

/// More keys than the table's look-ahead (1,000), so later rows are written as they come.
const MANY: usize = 2_500;

fn with_keys(names: impl IntoIterator<Item = String>) -> Sandbox {
    let s = Sandbox::with_tree();
    let mut v = Vault::open(&s.vault, PASS).expect("open");
    let env = v.resolve("acme/billing/prod").expect("env");
    let batch = names.into_iter().map(NewKey::named).collect();
    v.create_keys(env.id, batch).expect("bulk");
    s
}

fn mixed_names() -> Vec<String> {
    let mut names = vec![
        "東京の本番キー".to_owned(),
        "🔑 deploy".to_owned(),
        "ci".to_owned(),
        "café-naïve".to_owned(),
    ];
    names.extend((0..MANY).map(|i| format!("bulk-{i:05}")));
    names
}

/// Display column at which `needle` starts in `line`.
fn column_of(line: &str, needle: &str) -> usize {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in {line}"));
    line[..at].width()
}

crate::on_both_stores! {
    fn json_list_is_one_valid_array_of_every_key() {
        let s = with_keys(mixed_names());
        let out = s.run(&["--json", "key", "list"]).ok();
        let keys = out.json();
        let keys = keys.as_array().expect("an array");
        assert_eq!(keys.len(), MANY + 4);
        assert_eq!(keys[0]["name"], "東京の本番キー");
        assert_eq!(keys[MANY + 3]["name"], format!("bulk-{:05}", MANY - 1));
        for k in keys {
            for field in ["key_id", "name", "node", "scopes", "status", "display"] {
                assert!(k.get(field).is_some(), "{field} missing in {k}");
            }
            assert!(k.get("key_secret").is_none());
        }
        assert!(out.stdout.ends_with("]\n"), "ends the array and the line");
        // An empty listing is an empty array.
        let empty = Sandbox::with_tree();
        assert_eq!(
            empty.run(&["--json", "key", "list"]).ok().json(),
            serde_json::json!([])
        );
    }
}

crate::on_both_stores! {
    fn text_columns_align_by_display_width_into_a_pipe() {
        let s = with_keys(mixed_names());
        let out = s.run(&["key", "list"]).ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), MANY + 5, "a header and one line per key");
        assert!(lines[0].starts_with("KEY ID"), "{}", lines[0]);
        // Every column after NAME starts at the same display column, CJK and emoji included.
        let node_at = column_of(lines[0], "NODE");
        let status_at = column_of(lines[0], "STATUS");
        for line in &lines[1..] {
            assert_eq!(column_of(line, "acme/billing/prod"), node_at, "{line}");
            assert_eq!(column_of(line, "active"), status_at, "{line}");
        }
        // Into a pipe nothing is cut.
        assert!(out.stdout.contains("東京の本番キー"));
        for name in ["café-naïve", "🔑 deploy", "bulk-02499"] {
            assert!(out.stdout.contains(name), "{name} is cut");
        }
    }
}

/// Runs `keyward key list` with its stdout on a terminal `cols` wide (util-linux `script`).
fn on_a_terminal(s: &Sandbox, cols: u16, args: &str) -> Run {
    let mut cmd = Command::new("script");
    cmd.args([
        "-qec",
        &format!("stty cols {cols} rows 40; exec \"$KW_BIN\" {args}"),
        "/dev/null",
    ])
    .env("KW_BIN", env!("CARGO_BIN_EXE_keyward"))
    .env("KEYWARD_VAULT", &s.vault)
    .env("KEYWARD_PASSPHRASE", PASS)
    .env_remove("COLUMNS");
    let r = s.run_with(&mut cmd);
    Run {
        stdout: r.stdout.replace("\r\n", "\n"),
        ..r
    }
}

crate::on_both_stores! {
    fn on_a_terminal_lines_fit_its_width_and_long_names_end_in_an_ellipsis() {
        let long = "a-rather-long-key-name-for-the-payments-reconciliation-job-东京".to_owned();
        let s = with_keys([long.clone(), "東京の本番キー".into(), "short".into()]);
        for cols in [60u16, 80, 120] {
            let r = on_a_terminal(&s, cols, "key list").ok();
            let lines: Vec<&str> = r.stdout.lines().collect();
            assert_eq!(lines.len(), 4, "{}", r.stdout);
            for line in &lines {
                assert!(
                    line.width() <= usize::from(cols),
                    "{cols} columns: {line} is {} wide",
                    line.width()
                );
                if !line.starts_with("KEY ID") {
                    assert!(line.starts_with("kid_"), "{line}");
                    let id = line.split_whitespace().next().unwrap_or("");
                    assert_eq!(id.len(), 21, "key ids are never cut: {line}");
                }
            }
            assert!(!r.stdout.contains(&long), "{cols}: {}", r.stdout);
            assert!(r.stdout.contains('…'), "{}", r.stdout);
            assert!(r.stdout.contains("short"), "{}", r.stdout);
        }
        // A wide terminal shows everything.
        let r = on_a_terminal(&s, 250, "key list").ok();
        assert!(r.stdout.contains(&long), "{}", r.stdout);
        assert!(r.stdout.contains("LAST USED"), "{}", r.stdout);
        // JSON is never cut.
        let r = on_a_terminal(&s, 40, "--json key list").ok();
        assert!(r.stdout.contains(&long), "{}", r.stdout);
    }
}
