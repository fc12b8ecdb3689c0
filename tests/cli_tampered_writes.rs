//! An active attacker: someone who can write the vault again and again puts back part of an
//! older copy, then waits for the owner's next ordinary write. No write may build on such a
//! state (it would take the stored log tail or rows as the new truth and launder the
//! rollback): each is refused with exit 2 naming the integrity check, and afterwards `doctor`
//! still objects and no revoked, rolled or deleted key verifies.

mod common;

use std::path::Path;

use common::{PASS, Sandbox, bin};
use rusqlite::Connection;

const SAVED: &str = "attacker_copy";

/// The attacker keeps a copy of the tables (a file copy; on the server a schema of copies).
fn save_copy(s: &Sandbox) {
    let copy = s.path("copy.keyward");
    s.raw_sql(
        &format!("VACUUM INTO '{}'", copy.display()),
        &format!(
            "CREATE SCHEMA {SAVED};
             CREATE TABLE {SAVED}.keys AS TABLE keys;
             CREATE TABLE {SAVED}.commit_buckets AS TABLE commit_buckets;
             CREATE TABLE {SAVED}.activity AS TABLE activity;
             CREATE TABLE {SAVED}.meta AS TABLE meta;"
        ),
    );
}

/// Puts `tables` (and the commitment's root when `root`) back from the saved copy.
fn put_back(s: &Sandbox, tables: &[&str], root: bool) {
    if s.on_postgres() {
        let mut pg = String::new();
        for t in tables {
            pg.push_str(&format!(
                "DELETE FROM {t}; INSERT INTO {t} SELECT * FROM {SAVED}.{t};"
            ));
        }
        if root {
            pg.push_str(&format!(
                "UPDATE meta SET value = (SELECT value FROM {SAVED}.meta WHERE name = 'commitment')
                 WHERE name = 'commitment';"
            ));
        }
        s.raw_sql("", &pg);
    } else {
        put_back_file(&s.vault, &s.path("copy.keyward"), tables, root);
    }
}

fn put_back_file(vault: &Path, copy: &Path, tables: &[&str], root: bool) {
    let conn = Connection::open(vault).expect("the attacker opens the file");
    conn.execute("ATTACH ?1 AS old", [copy.to_str().expect("utf-8")])
        .expect("attach");
    // The append-only triggers are lifted and put back as they were.
    let triggers: Vec<String> = conn
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
        .expect("triggers")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("sql");
    let mut sql = String::from(
        "DROP TRIGGER IF EXISTS activity_no_update; DROP TRIGGER IF EXISTS activity_no_delete;",
    );
    for t in tables {
        sql.push_str(&format!(
            "DELETE FROM {t}; INSERT INTO {t} SELECT * FROM old.{t};"
        ));
    }
    if root {
        sql.push_str(
            "UPDATE meta SET value = (SELECT value FROM old.meta WHERE name = 'commitment')
             WHERE name = 'commitment';",
        );
    }
    for t in &triggers {
        sql.push_str(t);
        sql.push(';');
    }
    conn.execute_batch(&sql).expect("put back");
}

fn cut_log(vault: &Path) {
    common::cut_activity_log(vault);
}

fn id(v: &serde_json::Value) -> String {
    v["key_id"].as_str().expect("key id").to_owned()
}

fn secret(v: &serde_json::Value) -> String {
    v["key_secret"].as_str().expect("secret").to_owned()
}

on_both_stores! {
    /// Attack 1 of the issue: a revoke undone by putting back the keys, the buckets and the
    /// root, then an ordinary write: refused, and `doctor` keeps objecting.
    fn a_partial_rollback_is_not_laundered_by_the_next_write() {
        let s = Sandbox::with_tree();
        let k = s.create_key("acme/billing/prod", "k", &[]);
        save_copy(&s);
        s.run(&["key", "revoke", &id(&k)]).ok();
        put_back(&s, &["keys", "commit_buckets"], true);
        // This machine saw the newer state: its pin refuses the vault outright.
        s.run(&["workspace", "add", "x"]).refused("went back");
        // A machine that never saw it (the pin forgotten) opens it, and the write check
        // still refuses to build on it.
        s.run(&["--accept-vault-change", "workspace", "list"]).ok();
        s.run(&["workspace", "add", "x"]).refused("integrity check");
        let r = s.run(&["workspace", "add", "x"]);
        assert!(r.stderr.contains("keyward doctor"), "{}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert_eq!(s.run(&["doctor"]).code, 1);
        s.run(&["key", "create", "acme/billing/prod", "--name", "n"])
            .refused("integrity check");
        assert_eq!(s.run(&["doctor"]).code, 1);
        let log = s.run(&["log"]).ok().stdout;
        assert!(log.contains("revoked") || log.contains("revoke"), "{log}");
    }

    /// Attack 2: the activity log put back to before a revoke, then `export-verifier` (a
    /// write): refused, so the log's cut stays visible and the file is not written.
    fn an_activity_rollback_is_not_laundered_by_export_verifier() {
        let s = Sandbox::with_tree();
        let k = s.create_key("acme/billing/prod", "k", &[]);
        save_copy(&s);
        s.run(&["key", "revoke", &id(&k)]).ok();
        put_back(&s, &["activity"], false);
        let out = s.path("v.json");
        s.run(&["export-verifier", "--output", out.to_str().expect("utf-8")])
            .refused("activity log");
        assert!(!out.exists());
        assert_eq!(s.run(&["doctor"]).code, 1);
        let (_, v) = s.verify(&secret(&k), &[]);
        assert_ne!(v["result"], "valid");
    }
}

/// The write commands of the campaign; `{keep}` is a key no attack touched.
fn writes(keep: &str) -> Vec<Vec<String>> {
    [
        "key create acme/billing/prod --name fresh",
        "key roll {keep}",
        "key revoke {keep}",
        "key rm {keep}",
        "key edit {keep} --name renamed",
        "workspace add x",
        "project add acme/p2",
        "env add acme/billing/dev",
        "workspace rename acme acme2",
        "project rename acme/billing b2",
        "env rename acme/billing/prod prod2",
        "workspace rm acme --force",
        "project rm acme/billing --force",
        "env rm acme/billing/prod --force",
        "scope add acme extra",
        "scope rm acme write",
        "export-verifier --output v.json",
        "publish add acme/billing/prod pub.json",
        "publish now",
        "member add carol",
        "member rm bob",
        "passwd",
        "health --ack {keep} --kind never_expires --until 30d --reason rotated-by-hand",
        // The scanner's exposure stamp: leak.txt holds the untouched key's secret.
        "scan leak.txt",
    ]
    .iter()
    .map(|c| {
        c.replace("{keep}", keep)
            .split(' ')
            .map(str::to_owned)
            .collect()
    })
    .collect()
}

fn run_in(dir: &Path, args: &[String]) -> common::Run {
    let out = bin()
        .current_dir(dir)
        .env("KEYWARD_VAULT", dir.join("v.keyward"))
        .env("KEYWARD_PASSPHRASE", PASS)
        .env("KEYWARD_NEW_PASSPHRASE", "another long passphrase 42")
        .env("KEYWARD_MEMBER", "owner")
        .args(args)
        .output()
        .expect("run keyward");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Each table of the campaign rolled back or cut, then each write command: refused, and
/// afterwards `doctor` still exits 1 and no revoked, rolled or deleted key verifies.
#[test]
fn no_write_command_builds_on_a_rolled_back_or_cut_table() {
    let s = Sandbox::with_tree();
    let keep = s.create_key("acme/billing/prod", "keep", &["--scope", "write"]);
    let revoked = s.create_key("acme/billing/prod", "revoked", &[]);
    let rolled = s.create_key("acme/billing/prod", "rolled", &[]);
    let deleted = s.create_key("acme/billing/prod", "deleted", &[]);
    s.run_with(
        s.command()
            .env("KEYWARD_NEW_PASSPHRASE", "bob's own passphrase 77")
            .args(["member", "add", "bob"]),
    )
    .ok();
    let published = s.path("published.json");
    s.run(&["publish", "add", "acme", published.to_str().expect("utf-8")])
        .ok();
    save_copy(&s);
    s.run(&["key", "revoke", &id(&revoked)]).ok();
    s.run(&["key", "roll", &id(&rolled)]).ok();
    s.run(&["key", "rm", &id(&deleted)]).ok();
    let gone = [secret(&revoked), secret(&rolled), secret(&deleted)];
    let copy = s.path("copy.keyward");
    // (what, the attack, whether every write must be refused). A table put back alone
    // leaves the root naming the newer rows and buckets: a write that touches them is
    // refused, one that does not cannot launder them (they stay tampered).
    type Attack<'a> = &'a dyn Fn(&Path);
    let scenarios: [(&str, Attack, bool); 6] = [
        // The control: every command works on the file as it is.
        ("nothing", &|_| {}, false),
        (
            "activity rolled back",
            &|v| put_back_file(v, &copy, &["activity"], false),
            true,
        ),
        ("activity cut", &|v| cut_log(v), true),
        (
            "keys, commit_buckets and root rolled back",
            &|v| put_back_file(v, &copy, &["keys", "commit_buckets"], true),
            true,
        ),
        (
            "keys rolled back",
            &|v| put_back_file(v, &copy, &["keys"], false),
            false,
        ),
        (
            "commit_buckets rolled back",
            &|v| put_back_file(v, &copy, &["commit_buckets"], false),
            false,
        ),
    ];
    let mut refusals = 0;
    let mut allowed = Vec::new();
    for (i, (scenario, attack, must_refuse)) in scenarios.iter().enumerate() {
        for (j, args) in writes(&id(&keep)).iter().enumerate() {
            let dir = s.path(&format!("case-{i}-{j}"));
            std::fs::create_dir_all(&dir).expect("dir");
            let vault = dir.join("v.keyward");
            std::fs::copy(&s.vault, &vault).expect("copy");
            attack(&vault);
            std::fs::write(dir.join("leak.txt"), format!("token = {}\n", secret(&keep)))
                .expect("leak");
            let what = format!("{scenario}, then keyward {}", args.join(" "));
            let r = run_in(&dir, args);
            // A scan that finds a working key (and stamps it exposed) exits 1.
            let worked = if args[0] == "scan" { 1 } else { 0 };
            if *scenario == "nothing" {
                assert_eq!(
                    r.code, worked,
                    "{what}: should work\n{}{}",
                    r.stdout, r.stderr
                );
                continue;
            }
            if !must_refuse {
                // Allowed, or refused (a tampered row it needed is not found or refused).
                // (A scan that finds the key tampered reports it and exits 0: nothing stamped.)
                let reported = args[0] == "scan" && r.code == 0;
                assert!(
                    r.code == worked || r.code == 2 || reported,
                    "{what}: {}",
                    r.stderr
                );
                if r.code == worked {
                    allowed.push(what.clone());
                }
            } else if args[0] == "scan" && r.code == 0 {
                // Over a broken commitment no key (nor its environment's prefix) is believed:
                // the scan stamps nothing; doctor and verify below show nothing was laundered.
            } else {
                assert_eq!(r.code, 2, "{what}: should be refused\n{}", r.stderr);
                assert!(
                    r.stderr.contains("integrity check") && r.stderr.contains("keyward doctor"),
                    "{what}: {}",
                    r.stderr
                );
                refusals += 1;
            }
            let doctor = run_in(&dir, &["doctor".to_owned()]);
            assert_eq!(doctor.code, 1, "{what}: doctor\n{}", doctor.stdout);
            {
                for secret in &gone {
                    let v = run_in(&dir, &["verify".into(), "--key".into(), secret.clone()]);
                    assert_ne!(v.code, 0, "{what}: a gone key verifies\n{}", v.stdout);
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    println!("tampered-write campaign: {refusals} writes refused; allowed: {allowed:#?}");
    assert!(refusals >= 3 * 23, "{refusals}");
}
