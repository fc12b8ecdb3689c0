//! What the vault promises when things go wrong: wrong passphrases, foreign or damaged files,
//! tampered records, plaintext on disk, killed writers and concurrent writers.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, contains};

fn sql(s: &Sandbox, statement: &str) {
    let conn = rusqlite::Connection::open(&s.vault).expect("open sqlite");
    conn.execute_batch(statement).expect("sql");
}

crate::on_both_stores! {
    fn a_wrong_passphrase_is_one_clear_line_and_logged() {
        let s = Sandbox::with_tree();
        let r = s.run_with(
            s.command()
                .env("KEYWARD_PASSPHRASE", "not it")
                .args(["key", "list"]),
        );
        r.refused("wrong passphrase");
        assert_eq!(s.run(&["key", "list"]).ok().code, 0);
        let log = s.run(&["--json", "log", "--limit", "1"]).ok().json();
        assert_eq!(log[0]["action"], "unlock.fail");
    }
}

#[test]
fn foreign_missing_truncated_and_newer_files_are_refused_clearly() {
    let s = Sandbox::empty();
    s.run(&["key", "list"]).refused("no vault");
    std::fs::write(&s.vault, b"just some notes, not a database\n").expect("write");
    s.run(&["key", "list"]).refused("not a keyward vault");

    let other = s.path("other.sqlite");
    rusqlite::Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);"))
        .expect("sqlite");
    let r = s.run_with(
        s.command()
            .env("KEYWARD_VAULT", &other)
            .args(["key", "list"]),
    );
    r.refused("not a keyward vault");

    let v = Sandbox::with_tree();
    sql(
        &v,
        "UPDATE meta SET value = CAST('99' AS BLOB) WHERE name = 'schema_version'",
    );
    v.run(&["key", "list"]).refused("newer Keyward");

    let t = Sandbox::with_tree();
    for i in 0..20 {
        t.create_key("acme", &format!("k{i}"), &[]);
    }
    let bytes = std::fs::read(&t.vault).expect("read");
    std::fs::write(&t.vault, &bytes[..bytes.len() / 2]).expect("truncate");
    let r = t.run(&["key", "list"]);
    assert_eq!(r.code, 2, "a truncated file is an error: {}", r.stdout);
    assert!(
        !r.stderr.contains("panicked") && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
}

crate::on_both_stores! {
    fn a_flipped_byte_is_reported_and_the_other_keys_still_list_and_verify() {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme/billing/prod", "alpha", &[]);
        let b = s.create_key("acme/billing/prod", "beta", &[]);
        let a_id = a["key_id"].as_str().unwrap_or_default();
        // Byte 31 of the sealed record gets its lowest bit flipped.
        if s.on_postgres() {
            s.raw_sql(
                "",
                &format!(
                    "UPDATE keys SET sealed = set_byte(sealed, 30, get_byte(sealed, 30) # 1)
                     WHERE key_id = '{a_id}'"
                ),
            );
        } else {
            let conn = rusqlite::Connection::open(&s.vault).expect("open sqlite");
            let mut sealed: Vec<u8> = conn
                .query_row("SELECT sealed FROM keys WHERE key_id = ?1", [a_id], |r| {
                    r.get(0)
                })
                .expect("row");
            sealed[30] ^= 0x01;
            conn.execute(
                "UPDATE keys SET sealed = ?1 WHERE key_id = ?2",
                rusqlite::params![sealed, a_id],
            )
            .expect("flip");
        }
        let list = s.run(&["--json", "key", "list"]).ok().json();
        let status = |id: &serde_json::Value| {
            list.as_array()
                .and_then(|l| l.iter().find(|k| k["key_id"] == *id))
                .map(|k| k["status"].clone())
        };
        assert_eq!(status(&a["key_id"]), Some("tampered".into()));
        assert_eq!(status(&b["key_id"]), Some("active".into()));
        assert_eq!(
            s.verify(b["key_secret"].as_str().unwrap_or_default(), &[])
                .1["result"],
            "valid"
        );
        assert_eq!(
            s.verify(a["key_secret"].as_str().unwrap_or_default(), &[])
                .1["result"],
            "tampered"
        );
        let doctor = s.run(&["--json", "doctor"]);
        assert_eq!(doctor.code, 1);
        assert!(
            doctor.json()["problems"][0]
                .as_str()
                .is_some_and(|p| p.contains(a_id))
        );
        s.run(&["key", "revoke", a_id]).refused("integrity");
    }
}

crate::on_both_stores! {
    fn swapped_sealed_fields_between_rows_are_caught() {
        let s = Sandbox::with_tree();
        let a = s.create_key("acme/billing/prod", "alpha", &[]);
        let b = s.create_key("acme/billing/prod", "beta", &["--scope", "write"]);
        // The same SQL on a file and on the server, in one session (the table is temporary).
        let swap_keys = "CREATE TEMP TABLE saved AS SELECT id, sealed FROM keys;
             UPDATE keys SET sealed = (SELECT sealed FROM saved WHERE saved.id != keys.id);";
        s.raw_sql(swap_keys, swap_keys);
        let list = s.run(&["--json", "key", "list"]).ok().json();
        assert!(
            list.as_array()
                .is_some_and(|l| l.len() == 2 && l.iter().all(|k| k["status"] == "tampered"))
        );
        assert_eq!(
            s.verify(a["key_secret"].as_str().unwrap_or_default(), &[])
                .1["result"],
            "tampered"
        );
        assert_eq!(
            s.verify(b["key_secret"].as_str().unwrap_or_default(), &[])
                .1["result"],
            "tampered"
        );

        // Swapping workspace records is caught too: names never move between rows unnoticed.
        s.run(&["workspace", "add", "globex"]).ok();
        let swap_workspaces = "CREATE TEMP TABLE saved AS SELECT id, sealed FROM nodes WHERE parent_id = 0;
             UPDATE nodes SET sealed = (SELECT sealed FROM saved WHERE saved.id != nodes.id) WHERE parent_id = 0;";
        s.raw_sql(swap_workspaces, swap_workspaces);
        let ws = s.run(&["--json", "workspace", "list"]).ok().json();
        assert!(
            ws.as_array()
                .is_some_and(|l| l.iter().all(|n| n["tampered"] == true)),
            "{ws}"
        );
        assert_eq!(s.run(&["doctor"]).code, 1);
    }
}

#[test]
fn no_secret_or_name_is_in_the_vault_file_or_its_wal() {
    let s = Sandbox::new();
    // Holding a connection open keeps the WAL from being checkpointed away, so it is scanned too.
    let keep_wal = rusqlite::Connection::open(&s.vault).expect("open");
    keep_wal
        .query_row("SELECT count(*) FROM meta", [], |r| r.get::<_, i64>(0))
        .expect("read");
    s.run(&[
        "workspace",
        "add",
        "zanzibarcorp",
        "--preset",
        "labels-datasets",
    ])
    .ok();
    s.run(&["project", "add", "zanzibarcorp/quokkaproj"]).ok();
    s.run(&[
        "env",
        "add",
        "zanzibarcorp/quokkaproj/wombatenv",
        "--prefix",
        "zz",
    ])
    .ok();
    s.run(&[
        "scope",
        "add",
        "zanzibarcorp",
        "narwhal.write",
        "--label",
        "Narwhal writer",
    ])
    .ok();
    let mut secrets = Vec::new();
    for name in ["platypus-deployer", "axolotl-reader"] {
        let k = s.create_key(
            "zanzibarcorp/quokkaproj/wombatenv",
            name,
            &["--scope", "narwhal.write"],
        );
        secrets.push(k["key_secret"].as_str().unwrap_or_default().to_owned());
    }
    let list = s.run(&["--json", "key", "list"]).ok().json();
    let first_id = list[0]["key_id"].as_str().unwrap_or_default();
    let rolled = s
        .run(&["--json", "key", "roll", "--grace", "1h", first_id])
        .ok()
        .json();
    secrets.push(rolled["key_secret"].as_str().unwrap_or_default().to_owned());
    s.run(&["workspace", "rename", "zanzibarcorp", "kookaburra"])
        .ok();

    let wal = std::fs::metadata(format!("{}-wal", s.vault.display()))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(wal > 0, "the WAL should hold the recent writes");
    let bytes = s.bytes_on_disk();
    let mut needles: Vec<String> = [
        "zanzibarcorp",
        "quokkaproj",
        "wombatenv",
        "platypus",
        "axolotl",
        "narwhal",
        "Narwhal writer",
        "kookaburra",
        "label.read",
    ]
    .map(String::from)
    .to_vec();
    for secret in &secrets {
        assert!(secret.len() > 40);
        needles.push(secret.clone());
        // The random part alone, and the hex of its SHA-256 are not stored either.
        needles.push(secret[3..].to_owned());
    }
    for needle in &needles {
        assert!(
            !contains(&bytes, needle),
            "'{needle}' is in the vault file or WAL in plaintext"
        );
    }
    drop(keep_wal);
}

crate::on_both_stores! {
    fn a_writer_killed_mid_run_loses_nothing_it_reported_done() {
        let s = Sandbox::with_tree();
        let mut reported = Vec::new();
        let mut killed = 0;
        // Kill `key create` at moments spread over its whole run (unlock, write, print).
        let started = Instant::now();
        let mut i = 0u64;
        while i < 40 || (killed < 5 && started.elapsed() < Duration::from_secs(60)) {
            let delay = Duration::from_micros((i * 7919) % 60_000);
            let mut child = s
                .command()
                .args([
                    "--json",
                    "key",
                    "create",
                    "acme/billing/prod",
                    "--name",
                    &format!("k{i}"),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            std::thread::sleep(delay);
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            if out.status.success() {
                let json: serde_json::Value =
                    serde_json::from_slice(&out.stdout).expect("a success prints the key");
                reported.push(json);
            } else {
                killed += 1;
            }
            i += 1;
        }
        assert!(
            killed >= 5,
            "the test must actually kill writers (killed {killed} of {i})"
        );
        assert!(
            !reported.is_empty(),
            "some writers must finish (none of {i} did)"
        );

        let doctor = s.run(&["--json", "doctor"]);
        assert_eq!(doctor.code, 0, "{}", doctor.stdout);
        let list = s.run(&["--json", "key", "list"]).ok().json();
        for key in &reported {
            assert!(
                list.as_array().is_some_and(|l| l
                    .iter()
                    .any(|k| k["key_id"] == key["key_id"] && k["status"] == "active")),
                "{} was reported created but is missing",
                key["key_id"]
            );
            assert_eq!(
                s.verify(key["key_secret"].as_str().unwrap_or_default(), &[])
                    .1["result"],
                "valid"
            );
        }
    }
}

crate::on_both_stores! {
    fn two_processes_writing_at_once_never_lose_a_write() {
        let s = Sandbox::with_tree();
        let children: Vec<_> = (0..4)
            .map(|p| {
                let mut cmd = s.command();
                let script = (0..5)
                    .map(|k| format!("\"$0\" key create acme --name p{p}k{k} >/dev/null || exit 1"))
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut sh = std::process::Command::new("sh");
                sh.arg("-c").arg(script).arg(cmd.get_program());
                for (k, v) in cmd.get_envs() {
                    match v {
                        Some(v) => sh.env(k, v),
                        None => sh.env_remove(k),
                    };
                }
                let _ = &mut cmd;
                sh.spawn().expect("spawn")
            })
            .collect();
        for mut c in children {
            assert!(
                c.wait().expect("wait").success(),
                "a concurrent writer failed"
            );
        }
        let list = s.run(&["--json", "key", "list"]).ok().json();
        assert_eq!(list.as_array().map(Vec::len), Some(20));
        assert_eq!(s.run(&["doctor"]).code, 0);
    }
}

#[test]
fn doctor_names_planted_schema_objects_and_commands_refuse_the_file() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    sql(
        &s,
        "CREATE TRIGGER siphon AFTER UPDATE ON keys BEGIN DELETE FROM meta; END;",
    );
    let doctor = s.run(&["doctor"]);
    assert_eq!(doctor.code, 1, "{}{}", doctor.stdout, doctor.stderr);
    assert!(doctor.stdout.contains("siphon"), "{}", doctor.stdout);
    s.run(&["key", "list"]).refused("siphon");
    s.run(&[
        "verify",
        "--key",
        key["key_secret"].as_str().expect("secret"),
    ])
    .refused("did not write");
}

#[test]
fn a_rolled_back_revoke_is_tampered_and_doctor_exits_1() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let other = s.create_key("acme/billing/prod", "other", &[]);
    let id = key["key_id"].as_str().expect("id");
    let before = s.path("before.keyward");
    std::fs::copy(&s.vault, &before).expect("copy");
    s.run(&["key", "revoke", id]).ok();
    sql(
        &s,
        &format!(
            "ATTACH '{}' AS old; DELETE FROM keys WHERE key_id = '{id}';
             INSERT INTO keys SELECT * FROM old.keys WHERE key_id = '{id}';",
            before.display()
        ),
    );
    let (code, v) = s.verify(key["key_secret"].as_str().expect("secret"), &[]);
    assert_eq!((code, v["result"].as_str()), (1, Some("tampered")));
    let (code, _) = s.verify(other["key_secret"].as_str().expect("secret"), &[]);
    assert_eq!(code, 0, "the other key still verifies");
    let doctor = s.run(&["doctor"]);
    assert_eq!(doctor.code, 1);
    assert!(doctor.stdout.contains(id), "{}", doctor.stdout);
}
