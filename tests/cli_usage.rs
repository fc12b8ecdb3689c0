//! `keyward key usage KEY [--days N] [--json]`: a key's checks per day from a usage file
//! written by hand beside a published verifier file, as a table and as JSON; old and hostile
//! usage files.

mod common;

use std::path::{Path, PathBuf};

use common::serve::{self, id};

const DAY: i64 = 86_400;

fn today() -> i64 {
    keyward::vault::now().div_euclid(DAY) * DAY
}

fn date(t: i64) -> String {
    keyward::vault::format_date(t)
}

fn write_usage(file: &Path, keys: serde_json::Value) -> PathBuf {
    let usage = PathBuf::from(format!("{}.usage.json", file.display()));
    let text = serde_json::json!({
        "type": "keyward.usage",
        "version": 1,
        "updated_at": keyward::vault::now(),
        "keys": keys,
    });
    std::fs::write(&usage, text.to_string()).expect("write the usage file");
    usage
}

#[test]
fn key_usage_prints_a_row_per_day_with_checks_allowed_and_refused_by_reason() {
    let (s, keys, file) = serve::published("published/acme.verifier.json");
    let rw = id(&keys.rw);
    let t = today();
    write_usage(
        &file,
        serde_json::json!({
            rw: {
                "last_used_at": t,
                "outcomes": [
                    [t - 40 * DAY, {"valid": 9}],
                    [t - 3 * DAY, {"valid": 12, "insufficient_scope": 1}],
                    [t - DAY, {"valid": 1200, "revoked": 2, "from_a_newer_serve": 3}],
                    [t, {"valid": 4}]
                ]
            }
        }),
    );

    let out = s.run(&["key", "usage", rw]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("rw") && lines[0].contains(rw), "{out}");
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "DATE",
            "ALLOWED",
            "insufficient_scope",
            "other",
            "revoked",
            "TOTAL"
        ],
        "{out}"
    );
    let cells =
        |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_owned).collect() };
    // Days in the last 30 only (not the one 40 days ago), oldest first, then the sums.
    assert_eq!(lines.len(), 2 + 3 + 1, "{out}");
    assert_eq!(
        cells(lines[2]),
        [
            date(t - 3 * DAY),
            "12".into(),
            "1".into(),
            "0".into(),
            "0".into(),
            "13".into()
        ]
    );
    assert_eq!(
        cells(lines[3]),
        [
            date(t - DAY),
            "1,200".into(),
            "0".into(),
            "3".into(),
            "2".into(),
            "1,205".into()
        ]
    );
    assert_eq!(cells(lines[4])[0], date(t));
    assert_eq!(
        cells(lines[5]),
        ["all", "1,216", "1", "3", "2", "1,222"],
        "{out}"
    );

    // --days 90 reaches back 40 days; by name as by id.
    let j = s
        .run(&["--json", "key", "usage", "rw", "--days", "90"])
        .ok()
        .json();
    assert_eq!(j["key_id"], rw);
    assert_eq!(j["days"], 90);
    assert_eq!(j["rows"].as_array().expect("rows").len(), 4, "{j}");
    assert_eq!(j["rows"][0]["date"], date(t - 40 * DAY));
    assert_eq!(j["rows"][2]["allowed"], 1200);
    assert_eq!(j["rows"][2]["refused"]["other"], 3);
    assert_eq!(j["rows"][2]["total"], 1205);
    assert_eq!(
        j["reasons"],
        serde_json::json!(["insufficient_scope", "other", "revoked"])
    );
    assert_eq!(
        (
            j["allowed"].clone(),
            j["refused"].clone(),
            j["total"].clone()
        ),
        (1225.into(), 6.into(), 1231.into())
    );

    // A key with no checks says so; more than 90 days, an unknown key: clear errors.
    let ro = s.run(&["key", "usage", id(&keys.ro)]).ok().stdout;
    assert!(ro.contains("No checks in the last 30 days."), "{ro}");
    s.run(&["key", "usage", rw, "--days", "91"]).refused("91");
    s.run(&["key", "usage", "no-such-key"])
        .refused("no-such-key");
}

#[test]
fn old_and_hostile_usage_files_still_list_and_never_panic() {
    let (s, keys, file) = serve::published("published/acme.verifier.json");
    let rw = id(&keys.rw);
    let t = today();
    // Written by a serve from before outcomes: the counts still show, the chart has no days.
    let usage = write_usage(
        &file,
        serde_json::json!({ rw: { "last_used_at": t, "hours": [[t, 3]], "days": [[t, 3]] } }),
    );
    let list = s.run(&["--json", "key", "list"]).ok().json();
    let row = list
        .as_array()
        .and_then(|a| a.iter().find(|r| r["key_id"] == rw))
        .expect("rw listed");
    assert_eq!(row["uses_30d"], 3, "{row}");
    let j = s.run(&["--json", "key", "usage", rw]).ok().json();
    assert_eq!(j["rows"], serde_json::json!([]));

    // Hostile outcomes: a terminal escape for a code, a negative count, huge maps, a string for
    // a day. Dropped; the rest of the file still reads.
    let codes: serde_json::Map<String, serde_json::Value> =
        (0..5000).map(|i| (format!("c{i}"), 1.into())).collect();
    write_usage(
        &file,
        serde_json::json!({ rw: {
            "days": [[t, 3]],
            "outcomes": [
                [t, {"valid": 2, "\u{1b}[31mred": 5, "expired": -1}],
                ["today", {"valid": 1}],
                [t - DAY, codes],
                [-5 * DAY, {"valid": 1}]
            ]
        }}),
    );
    let r = s.run(&["key", "usage", rw]).ok();
    assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout);
    let j = s.run(&["--json", "key", "usage", rw]).ok().json();
    assert_eq!(j["rows"][1]["allowed"], 2, "{j}");
    assert_eq!(j["rows"][1]["total"], 2, "{j}");
    assert_eq!(j["rows"][0]["refused"]["other"], 32, "codes capped: {j}");
    std::fs::write(&usage, "{\"type\":\"keyward.usage\",\"version\":1,").expect("write");
    let j = s.run(&["--json", "key", "usage", rw]).ok().json();
    assert_eq!(j["rows"], serde_json::json!([]));
}
