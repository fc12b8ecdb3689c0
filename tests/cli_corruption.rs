//! The corruption campaign: a populated vault is copied, then for every table and column one
//! mutation at a time is applied to a fresh copy (the row's own id, -1, i64::MAX, a flipped
//! byte, a truncation, a swap with another row, a value of the wrong type), and the real binary
//! runs list, show, verify, export-verifier, log and doctor on it. Every run must end within
//! seconds with exit 0, 1 or 2, and never panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{PASS, Sandbox, bin};
use rusqlite::Connection;

const MUTATIONS: [&str; 7] = [
    "own_id",
    "minus_one",
    "i64_max",
    "flip_byte",
    "truncate",
    "swap",
    "wrong_type",
];

/// The row to mutate: its table, the column that identifies it, and how to pick it.
struct Target {
    table: String,
    column: String,
    /// SQL that selects the rows in play (the first, and a second one to swap with).
    rows: String,
}

fn targets(conn: &Connection) -> Vec<Target> {
    let mut out = Vec::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    for table in tables {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .expect("columns")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names");
        if table == "meta" {
            // Each meta entry is its own record: mutate each one's value (and its name).
            let names: Vec<String> = conn
                .prepare("SELECT name FROM meta ORDER BY name")
                .expect("meta")
                .query_map([], |r| r.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("names");
            for name in names {
                for column in ["name", "value"] {
                    out.push(Target {
                        table: table.clone(),
                        column: column.into(),
                        rows: format!(
                            "SELECT rowid FROM meta WHERE name = '{name}'
                             UNION ALL SELECT rowid FROM meta WHERE name != '{name}'"
                        ),
                    });
                }
            }
            continue;
        }
        for column in columns {
            for pick in ["ORDER BY rowid", "ORDER BY rowid DESC"] {
                out.push(Target {
                    table: table.clone(),
                    column: column.clone(),
                    rows: format!("SELECT rowid FROM {table} {pick}"),
                });
            }
        }
    }
    out
}

/// Applies one mutation; `false` when the file refuses it (a constraint) or it does not apply.
fn mutate(path: &Path, target: &Target, mutation: &str) -> bool {
    let conn = Connection::open(path).expect("open copy");
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS activity_no_update; DROP TRIGGER IF EXISTS activity_no_delete;",
    )
    .expect("lift triggers");
    let rows: Vec<i64> = conn
        .prepare(&target.rows)
        .expect("rows")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rowids");
    let Some(&row) = rows.first() else {
        return false;
    };
    let (t, c) = (&target.table, &target.column);
    let column = || -> String {
        conn.query_row(
            &format!(
                "SELECT group_concat(quote({c}), ',') FROM (SELECT {c} FROM {t} ORDER BY rowid)"
            ),
            [],
            |r| r.get::<_, Option<String>>(0),
        )
        .expect("read column")
        .unwrap_or_default()
    };
    let before = column();
    let applied = apply(&conn, t, c, row, &rows, mutation);
    // A mutation that changed nothing (a value set to itself) is not a mutation.
    applied && column() != before
}

fn apply(conn: &Connection, t: &str, c: &str, row: i64, rows: &[i64], mutation: &str) -> bool {
    let set = |expr: &str| {
        conn.execute(
            &format!("UPDATE {t} SET {c} = {expr} WHERE rowid = ?1"),
            [row],
        )
        .is_ok_and(|n| n == 1)
    };
    match mutation {
        "own_id" => set(&row.to_string()),
        "minus_one" => set("-1"),
        "i64_max" => set(&i64::MAX.to_string()),
        "flip_byte" => set(&format!(
            "CASE WHEN length(CAST({c} AS BLOB)) > 0 THEN
               substr(CAST({c} AS BLOB), 1, length(CAST({c} AS BLOB)) / 2)
               || CAST(char(unicode(substr(CAST({c} AS BLOB), length(CAST({c} AS BLOB)) / 2 + 1, 1)) # 1) AS BLOB)
               || substr(CAST({c} AS BLOB), length(CAST({c} AS BLOB)) / 2 + 2)
             ELSE x'01' END"
        )),
        "truncate" => set(&format!("substr(CAST({c} AS BLOB), 1, length(CAST({c} AS BLOB)) / 2)")),
        "swap" => {
            let Some(&other) = rows.get(1) else {
                return false;
            };
            conn.execute_batch("BEGIN").expect("begin");
            let swapped = conn
                .execute(
                    &format!(
                        "UPDATE {t} SET {c} = CASE rowid
                           WHEN ?1 THEN (SELECT {c} FROM {t} WHERE rowid = ?2)
                           ELSE (SELECT {c} FROM {t} WHERE rowid = ?1) END
                         WHERE rowid IN (?1, ?2)"
                    ),
                    [row, other],
                )
                .is_ok_and(|n| n == 2);
            let _ = conn.execute_batch(if swapped { "COMMIT" } else { "ROLLBACK" });
            swapped
        }
        "wrong_type" => {
            let current: String = conn
                .query_row(&format!("SELECT typeof({c}) FROM {t} WHERE rowid = ?1"), [row], |r| {
                    r.get(0)
                })
                .expect("typeof");
            set(match current.as_str() {
                "integer" => "'not a number'",
                "text" => "x'00ff'",
                "blob" => "2.5",
                _ => "x'00'",
            })
        }
        _ => false,
    }
}

/// Columns that are deliberately not sealed state: last-used stamps (written by verification
/// without a commitment change) and a raised id counter (harmless; a lowered one is caught).
fn unsealed(target: &Target) -> bool {
    (target.table == "keys" && target.column == "last_used_at")
        || (target.table == "sqlite_sequence" && target.column == "seq")
}

struct Case {
    key_id: String,
    secret: String,
}

/// Runs the binary on `vault` with a deadline; returns the exit code and stderr.
fn run(vault: &Path, args: &[&str]) -> (i32, String) {
    let dir = vault.parent().expect("dir");
    let mut child = bin()
        .env("KEYWARD_VAULT", vault)
        .env("KEYWARD_PASSPHRASE", PASS)
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut stderr = String::new();
            use std::io::Read;
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut stderr);
            }
            return (status.code().unwrap_or(-1), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "keyward {args:?} on {} did not finish within 30 s",
                vault.display()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn commands(case: &Case) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&["key", "list"]),
        s(&["--json", "key", "show", &case.key_id]),
        s(&["verify", "--key", &case.secret, "--require-scope", "read"]),
        s(&["export-verifier", "--output", "verifier.json"]),
        s(&["log", "--limit", "500"]),
        s(&["doctor"]),
    ]
}

#[test]
fn no_mutation_of_any_column_makes_a_command_panic_or_hang() {
    let s = Sandbox::with_tree();
    let ci = s.create_key("acme/billing/prod", "ci", &["--scope", "write"]);
    let gone = s.create_key("acme/billing/prod", "gone", &[]);
    let rolled = s.create_key("acme", "rolled", &[]);
    s.run(&["key", "revoke", gone["key_id"].as_str().expect("id")])
        .ok();
    s.run(&[
        "key",
        "roll",
        rolled["key_id"].as_str().expect("id"),
        "--grace",
        "1h",
    ])
    .ok();
    s.run(&["key", "master", "acme/billing/prod"]).ok();
    let case = Case {
        key_id: ci["key_id"].as_str().expect("id").to_owned(),
        secret: ci["key_secret"].as_str().expect("secret").to_owned(),
    };
    let base = s.path("base.keyward");
    std::fs::copy(&s.vault, &base).expect("base copy");
    let targets = targets(&Connection::open(&base).expect("open base"));
    assert!(targets.len() > 20, "every table and column is covered");

    let files = AtomicUsize::new(0);
    let runs = AtomicUsize::new(0);
    let caught = AtomicUsize::new(0);
    let missed = std::sync::Mutex::new(Vec::<String>::new());
    let work: Vec<(usize, &Target, &str)> = targets
        .iter()
        .enumerate()
        .flat_map(|(i, t)| MUTATIONS.iter().map(move |m| (i, t, *m)))
        .collect();
    let chunks: Vec<Vec<(usize, &Target, &str)>> = (0..2)
        .map(|k| work.iter().skip(k).step_by(2).cloned().collect())
        .collect();
    std::thread::scope(|scope| {
        for chunk in &chunks {
            let (s, base, case, files, runs, caught, missed) =
                (&s, &base, &case, &files, &runs, &caught, &missed);
            scope.spawn(move || {
                for (i, target, mutation) in chunk {
                    let dir = s.path(&format!("m-{i}-{mutation}"));
                    std::fs::create_dir_all(&dir).expect("dir");
                    let copy: PathBuf = dir.join("v.keyward");
                    std::fs::copy(base, &copy).expect("copy");
                    if !mutate(&copy, target, mutation) {
                        let _ = std::fs::remove_dir_all(&dir);
                        continue;
                    }
                    files.fetch_add(1, Ordering::Relaxed);
                    for args in commands(case) {
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        let (code, stderr) = run(&copy, &args);
                        runs.fetch_add(1, Ordering::Relaxed);
                        let what = format!(
                            "{} {} ({mutation}) then keyward {args:?}",
                            target.table, target.column
                        );
                        assert!(matches!(code, 0..=2), "{what}: exit {code}\n{stderr}");
                        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
                        assert!(stderr.lines().count() <= 2, "{what}: {stderr}");
                        if args[0] == "doctor" && code != 0 {
                            caught.fetch_add(1, Ordering::Relaxed);
                        } else if args[0] == "doctor" && !unsealed(target) {
                            missed.lock().expect("lock").push(what);
                        }
                    }
                    let _ = std::fs::remove_dir_all(&dir);
                }
            });
        }
    });
    let (files, runs, caught) = (files.into_inner(), runs.into_inner(), caught.into_inner());
    println!(
        "corruption campaign: {files} mutated files, {runs} runs; doctor refused {caught} files"
    );
    assert!(files >= 150, "only {files} mutations applied");
    let missed = missed.into_inner().expect("lock");
    assert!(missed.is_empty(), "doctor missed: {missed:#?}");
}
