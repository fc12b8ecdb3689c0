//! The vault file as hostile input: an attacker with write access to the file (a synced
//! folder, a backup, a shared disk) but without the passphrase rolls rows back, puts deleted
//! rows back, inserts rows from another vault, restores whole tables from an older copy, cuts
//! the log, plants triggers and sets absurd KDF parameters. Each is caught: `verify` is never
//! `valid` for the affected key, `doctor` names the damage, the other keys keep working.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use common::lab::{Lab, fast};
use keyward::vault::{
    Error, Grace, KdfParams, KeyStatus, NewKey, Node, Outcome, Preset, Vault, parse_time,
};
use rusqlite::Connection;

const PASS: &str = "integrity passphrase";
const FILE: &str = "v.keyward";

fn key(name: &str, scopes: &[&str]) -> NewKey {
    NewKey::named(name).scopes(scopes.iter().copied())
}

/// A vault with acme/billing/prod and three keys; returns their secrets and key ids.
fn populated(lab: &Lab) -> (Vault, Node, Vec<(String, String)>) {
    let mut v = lab.create();
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    let mut keys = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let k = v.create_key(env.id, key(name, &["write"])).expect("key");
        keys.push((k.info.key_id.clone(), k.secret.expose().to_owned()));
    }
    (v, env, keys)
}

/// As [`populated`], then closed, copied to `before.keyward` (the copy an attacker keeps) and
/// opened again.
fn copied_before(lab: &Lab) -> (Vault, Node, Vec<(String, String)>, PathBuf) {
    let (v, env, keys) = populated(lab);
    drop(v);
    let old = lab.copy("before.keyward");
    (lab.open(), env, keys, old)
}

fn outcome(v: &mut Vault, secret: &str, scopes: &[&str]) -> Outcome {
    v.verify(secret, scopes).expect("verify runs").result
}

#[track_caller]
fn assert_doctor_names(v: &Vault, needle: &str) {
    let report = v.doctor().expect("doctor runs");
    assert!(
        report.problems.iter().any(|p| p.contains(needle)),
        "doctor should name '{needle}': {:#?}",
        report.problems
    );
}

fn replace_row(table: &str, column: &str, value: &str) -> String {
    format!(
        "DELETE FROM {table} WHERE {column} = '{value}';
         INSERT INTO {table} SELECT * FROM old.{table} WHERE {column} = '{value}';"
    )
}

// What is not about the file itself runs on both stores.
on_both_stores! {
    fn rekey_can_raise_the_kdf_cost_and_refuses_a_wrong_current_passphrase() {
        let lab = Lab::new(FILE, PASS);
        let (mut v, _, _) = populated(&lab);
        assert!(matches!(
            v.change_passphrase("wrong", "new one", None),
            Err(Error::WrongPassphrase)
        ));
        let raised = KdfParams::new(16, 2).expect("params");
        v.change_passphrase(PASS, "new one", Some(raised))
            .expect("change");
        drop(v);
        assert_eq!(Vault::kdf_params(&lab.path).expect("params"), raised);
        assert!(Vault::open(&lab.path, "new one").is_ok());
    }

    fn failed_unlocks_are_counted_and_folded_into_the_chain() {
        let lab = Lab::new(FILE, PASS);
        let (v, _, _) = populated(&lab);
        drop(v);
        for _ in 0..2 {
            assert!(matches!(
                Vault::open(&lab.path, "not it"),
                Err(Error::WrongPassphrase)
            ));
        }
        let v = lab.open();
        let log = v.activity(None, 5).expect("log");
        assert_eq!(log[0].action, "unlock.fail");
        assert!(
            log[0].detail.starts_with("2 failed unlock"),
            "{}",
            log[0].detail
        );
        assert!(!log[0].detail.contains("not it"));
        assert!(v.doctor().expect("doctor").is_healthy());
        drop(v);
        let v = lab.open();
        let folded = v.activity(None, 100).expect("log");
        assert_eq!(
            folded.iter().filter(|e| e.action == "unlock.fail").count(),
            1,
            "folded once"
        );
    }

    fn another_handle_writing_never_makes_good_rows_look_tampered() {
        let lab = Lab::new(FILE, PASS);
        let (mut a, env, keys) = populated(&lab);
        assert_eq!(
            outcome(&mut a, &keys[0].1, &[]),
            Outcome::Valid,
            "warm the cache"
        );
        let mut b = lab.open();
        b.revoke_key(&keys[0].0).expect("revoke elsewhere");
        let fresh = b
            .create_key(env.id, key("fresh", &[]))
            .expect("create elsewhere");
        assert_eq!(outcome(&mut a, &keys[0].1, &[]), Outcome::Revoked);
        assert_eq!(outcome(&mut a, fresh.secret.expose(), &[]), Outcome::Valid);
        let mine = a.create_key(env.id, key("mine", &[])).expect("create here");
        assert_eq!(outcome(&mut b, mine.secret.expose(), &[]), Outcome::Valid);
        for v in [&a, &b] {
            let listed = v.list_keys(None).expect("list");
            assert_eq!(listed.len(), 5);
            assert!(listed.iter().all(|k| k.status != KeyStatus::Tampered));
            assert!(v.doctor().expect("doctor").is_healthy());
        }
    }
}

// The rest edits the SQLite file behind the vault's back (rows rolled back or put back from
// an older copy, the log cut, triggers planted, KDF parameters set absurd): file only.

#[test]
fn a_key_row_rolled_back_after_revoke_roll_or_scope_edit_is_tampered() {
    for change in ["revoke", "roll", "scopes"] {
        let lab = Lab::file(FILE, PASS);
        let (mut v, _, keys, old) = copied_before(&lab);
        let (kid, secret) = &keys[0];
        match change {
            "revoke" => drop(v.revoke_key(kid).expect("revoke")),
            "roll" => drop(v.roll_key(kid, Grace::None).expect("roll")),
            _ => drop(v.set_scopes(kid, &[], false).expect("narrow")),
        }
        let required: &[&str] = if change == "scopes" { &["write"] } else { &[] };
        assert_ne!(outcome(&mut v, secret, required), Outcome::Valid);
        drop(v);
        lab.attack_from(&old, &replace_row("keys", "key_id", kid));
        let mut v = lab.open();
        assert_eq!(
            outcome(&mut v, secret, required),
            Outcome::Tampered,
            "the {change} was undone by putting the old row back"
        );
        assert_eq!(v.key(kid).expect("listed").status, KeyStatus::Tampered);
        assert_doctor_names(&v, kid);
        assert_eq!(outcome(&mut v, &keys[1].1, &["write"]), Outcome::Valid);
        assert!(
            v.revoke_key(kid).is_err(),
            "nothing is built on a tampered row"
        );
        v.revoke_key(&keys[2].0)
            .expect("the other keys stay usable");
    }
}

#[test]
fn a_sealed_value_put_back_under_the_new_version_is_tampered_too() {
    let lab = Lab::file(FILE, PASS);
    let (mut v, _, keys, old) = copied_before(&lab);
    v.revoke_key(&keys[0].0).expect("revoke");
    drop(v);
    lab.attack_from(
        &old,
        &format!(
            "UPDATE keys SET sealed = (SELECT sealed FROM old.keys WHERE key_id = '{0}')
             WHERE key_id = '{0}';",
            keys[0].0
        ),
    );
    let mut v = lab.open();
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Tampered);
}

#[test]
fn a_deleted_key_put_back_is_tampered() {
    let lab = Lab::file(FILE, PASS);
    let (mut v, _, keys, old) = copied_before(&lab);
    v.delete_key(&keys[1].0).expect("delete");
    assert_eq!(outcome(&mut v, &keys[1].1, &[]), Outcome::NotFound);
    drop(v);
    lab.attack_from(
        &old,
        &format!(
            "INSERT INTO keys SELECT * FROM old.keys WHERE key_id = '{}';",
            keys[1].0
        ),
    );
    let mut v = lab.open();
    assert_eq!(outcome(&mut v, &keys[1].1, &[]), Outcome::Tampered);
    assert_doctor_names(&v, "was deleted and has been put back");
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Valid);
}

#[test]
fn a_key_row_from_another_vault_is_not_accepted() {
    let lab = Lab::file(FILE, PASS);
    let (v, _, keys) = populated(&lab);
    drop(v);
    let other = Lab::file(FILE, PASS);
    let (v2, _, other_keys) = populated(&other);
    drop(v2);
    // Same passphrase, same names: only the data keys differ.
    lab.attack_from(
        &other.path,
        &format!(
            "INSERT INTO keys(id, node_id, key_id, version, name_tag, lookup, prev_lookup,
                              full_access, last_used_at, sealed)
             SELECT 900, node_id, key_id, version, x'01', lookup, prev_lookup, full_access,
                    last_used_at, sealed FROM old.keys WHERE key_id = '{}';",
            other_keys[0].0
        ),
    );
    let mut v = lab.open();
    assert_ne!(outcome(&mut v, &other_keys[0].1, &[]), Outcome::Valid);
    assert_eq!(
        v.key(&other_keys[0].0).expect("listed").status,
        KeyStatus::Tampered
    );
    assert_doctor_names(&v, "not in the state commitment");
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Valid);
}

#[test]
fn whole_tables_restored_from_an_older_copy_are_caught() {
    // keys
    let lab = Lab::file(FILE, PASS);
    let (mut v, env, keys, old) = copied_before(&lab);
    v.revoke_key(&keys[0].0).expect("revoke");
    let late = v.create_key(env.id, key("late", &[])).expect("late");
    drop(v);
    lab.attack_from(
        &old,
        "DELETE FROM keys; INSERT INTO keys SELECT * FROM old.keys;",
    );
    let mut v = lab.open();
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Tampered);
    assert_ne!(outcome(&mut v, late.secret.expose(), &[]), Outcome::Valid);
    assert_eq!(
        outcome(&mut v, &keys[1].1, &["write"]),
        Outcome::Valid,
        "a row that did not change since the copy is still the committed one"
    );
    assert_doctor_names(&v, "was deleted from the file");
    drop(v);

    // nodes: the workspace catalog put back to before a scope was removed
    let lab = Lab::file(FILE, PASS);
    let (mut v, env, _) = populated(&lab);
    let master = v
        .create_key(env.id, key("master", &[]).full_access(true))
        .expect("master");
    drop(v);
    let old = lab.copy("before.keyward");
    v = lab.open();
    v.remove_scope(env.id, "write").expect("remove scope");
    assert_eq!(
        outcome(&mut v, master.secret.expose(), &["write"]),
        Outcome::InsufficientScope
    );
    drop(v);
    lab.attack_from(
        &old,
        "DELETE FROM nodes; INSERT INTO nodes SELECT * FROM old.nodes;",
    );
    let mut v = lab.open();
    assert_eq!(
        outcome(&mut v, master.secret.expose(), &["write"]),
        Outcome::Tampered
    );
    assert_doctor_names(&v, "node #1");
    drop(v);

    // activity
    let lab = Lab::file(FILE, PASS);
    let (mut v, _, keys, old) = copied_before(&lab);
    v.revoke_key(&keys[2].0).expect("revoke");
    drop(v);
    lab.attack_from(
        &old,
        "DROP TRIGGER activity_no_delete; DELETE FROM activity;
         INSERT INTO activity SELECT * FROM old.activity;",
    );
    let v = lab.open();
    let report = v.doctor().expect("doctor");
    assert!(!report.is_healthy());
    assert!(
        report.problems.iter().any(|p| p.contains("activity log")),
        "{:#?}",
        report.problems
    );
}

#[test]
fn cutting_the_activity_log_is_caught() {
    let lab = Lab::file(FILE, PASS);
    let (v, _, keys) = populated(&lab);
    assert!(v.doctor().expect("doctor").is_healthy());
    drop(v);
    lab.attack(
        "DROP TRIGGER activity_no_delete;
         DELETE FROM activity WHERE seq = (SELECT MAX(seq) FROM activity);",
    );
    let mut v = lab.open();
    assert_doctor_names(&v, "activity log: cut after entry");
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Valid);
}

#[test]
fn an_edited_activity_entry_breaks_the_keyed_chain() {
    let lab = Lab::file(FILE, PASS);
    let (v, _, _) = populated(&lab);
    drop(v);
    lab.attack("DROP TRIGGER activity_no_update; UPDATE activity SET at = at + 60 WHERE seq = 3;");
    let v = lab.open();
    assert_doctor_names(&v, "entry 3 was altered");
}

#[test]
fn only_a_whole_file_rollback_goes_unnoticed() {
    // The documented limit: an older copy of the entire file is a consistent vault. A machine
    // that saw the newer state refuses it (its pin); one that did not cannot tell.
    let lab = Lab::file(FILE, PASS);
    let (mut v, _, keys, old) = copied_before(&lab);
    v.revoke_key(&keys[0].0).expect("revoke");
    drop(v);
    std::fs::copy(&old, &lab.path).expect("roll the whole file back");
    assert!(matches!(
        Vault::open(&lab.path, PASS),
        Err(keyward::vault::Error::VaultChanged(_))
    ));
    Vault::accept_vault_change(&lab.path).expect("a machine that never saw it");
    let mut v = lab.open();
    assert!(v.doctor().expect("doctor").is_healthy());
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Valid);
}

#[test]
fn rekeying_leaves_an_old_copy_and_the_old_passphrase_powerless() {
    let lab = Lab::file(FILE, PASS);
    let (mut v, _, keys, old) = copied_before(&lab);
    let mut seen = Vec::new();
    v.rekey(PASS, "the new passphrase", None, &mut |p| seen.push(p))
        .expect("rekey");
    assert_eq!(seen.last().map(|p| p.done), seen.last().map(|p| p.total));
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Valid);
    assert!(v.doctor().expect("doctor").is_healthy());
    drop(v);
    assert!(matches!(
        Vault::open(&lab.path, PASS),
        Err(Error::WrongPassphrase)
    ));
    let wal = PathBuf::from(format!("{}-wal", lab.path.display()));
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the WAL keeps no copy of the old wrap"
    );

    // A record sealed under the old data key, put into the new file, is tampered.
    lab.attack_from(&old, &replace_row("keys", "key_id", &keys[1].0));
    let mut v = Vault::open(&lab.path, "the new passphrase").expect("new passphrase");
    assert_ne!(outcome(&mut v, &keys[1].1, &[]), Outcome::Valid);
    assert_eq!(
        v.key(&keys[1].0).expect("listed").status,
        KeyStatus::Tampered
    );
    assert_eq!(outcome(&mut v, &keys[0].1, &[]), Outcome::Valid);
    drop(v);

    // The old wrap (old passphrase → old data key) put back opens nothing of the new file.
    lab.attack_from(
        &old,
        "DELETE FROM meta WHERE name LIKE 'member:%';
         INSERT INTO meta SELECT * FROM old.meta WHERE name LIKE 'member:%';",
    );
    let mut v = Vault::open(&lab.path, PASS).expect("the old wrap unwraps the old key");
    for (_, secret) in &keys {
        assert_ne!(outcome(&mut v, secret, &[]), Outcome::Valid);
    }
    assert!(
        v.list_keys(None)
            .expect("list")
            .iter()
            .all(|k| k.status == KeyStatus::Tampered)
    );
    assert!(!v.doctor().expect("doctor").is_healthy());
}

/// Runs `f` on another thread and fails the test if it does not finish within 20 s.
fn within_seconds<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(out) => out,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} did not finish within 20 s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

#[test]
fn a_node_that_is_its_own_parent_never_hangs_anything() {
    let lab = Lab::file(FILE, PASS);
    let (mut v, env, keys) = populated(&lab);
    v.create_key(env.id, key("master", &[]).full_access(true))
        .expect("master");
    drop(v);
    for sql in [
        format!("UPDATE nodes SET parent_id = id WHERE id = {}", env.id),
        "UPDATE nodes SET parent_id = 3 WHERE id = 1".to_owned(),
    ] {
        // A copy of its own for each cycle (one path would be one vault seen twice).
        let copy = lab.copy(&format!("cycle-{}.keyward", sql.len()));
        let conn = Connection::open(&copy).expect("open");
        conn.execute_batch(&sql).expect("plant a cycle");
        drop(conn);
        let secret = keys[0].1.clone();
        within_seconds("list, verify, export and doctor", move || {
            let mut v = Vault::open(&copy, PASS).expect("open");
            let listed = v.list_keys(None).expect("list");
            assert_eq!(listed.len(), 4);
            let _ = v.nodes().expect("nodes");
            let _ = v.export_verifier(None, None);
            let _ = v.verify(&secret, &[]).expect("verify");
            assert!(!v.doctor().expect("doctor").is_healthy());
        });
    }
}

#[test]
fn absurd_kdf_parameters_are_refused_before_any_allocation() {
    let lab = Lab::file(FILE, PASS);
    let (v, _, _) = populated(&lab);
    drop(v);
    for params in [
        r#"{"memory_kib":4000000000,"passes":3,"lanes":1}"#,
        r#"{"memory_kib":65536,"passes":4000000000,"lanes":1}"#,
        r#"{"memory_kib":65536,"passes":3,"lanes":4000}"#,
        r#"{"memory_kib":1,"passes":1,"lanes":1}"#,
    ] {
        let conn = Connection::open(&lab.path).expect("open");
        let kdf: Vec<u8> = conn
            .query_row(
                "SELECT value FROM meta WHERE name LIKE 'member:%'",
                [],
                |r| r.get(0),
            )
            .expect("the member's slot");
        let mut kdf: serde_json::Value = serde_json::from_slice(&kdf).expect("json");
        kdf["params"] = serde_json::from_str(params).expect("params");
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE name LIKE 'member:%'",
            [serde_json::to_vec(&kdf).expect("json")],
        )
        .expect("plant");
        drop(conn);
        let path = lab.path.clone();
        let result = within_seconds("open with hostile KDF parameters", move || {
            Vault::open(&path, PASS).map(drop)
        });
        match result {
            Err(Error::Damaged { why: msg, .. }) => {
                assert!(msg.contains("key derivation"), "{msg}")
            }
            other => panic!("expected a clear refusal for {params}, got {other:?}"),
        }
    }
    assert!(
        Vault::create(
            &lab.dir.path().join("big"),
            PASS,
            KdfParams {
                memory_kib: 8 * 1024 * 1024,
                passes: 1,
                lanes: 1
            }
        )
        .is_err()
    );
}

#[test]
fn planted_triggers_and_views_make_the_vault_refuse_to_open() {
    let lab = Lab::file(FILE, PASS);
    let (v, _, _) = populated(&lab);
    drop(v);
    lab.attack(
        "CREATE TRIGGER exfil AFTER UPDATE ON keys BEGIN DELETE FROM meta; END;
         CREATE VIEW peek AS SELECT * FROM keys;",
    );
    match Vault::open(&lab.path, PASS) {
        Err(Error::UnexpectedSchema(objects)) => {
            let all = objects.join(" ");
            assert!(all.contains("exfil") && all.contains("peek"), "{all}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(drop)),
    }
    let conn = Connection::open(&lab.path).expect("open");
    let meta: i64 = conn
        .query_row("SELECT COUNT(*) FROM meta", [], |r| r.get(0))
        .expect("count");
    assert!(meta >= 4, "the planted trigger never ran");
}

#[cfg(unix)]
#[test]
fn files_are_private_from_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("data/keyward/v.keyward");
    let mut v = Vault::create(&path, PASS, fast()).expect("create");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);
    let backup = dir.path().join("b.keyward");
    v.backup(&backup).expect("backup");
    assert_eq!(mode(&backup), 0o600);
    assert!(v.backup(&backup).is_err(), "never overwritten");
    assert_eq!(
        v.activity(None, 1).expect("log")[0].action,
        "backup",
        "logged after it was written"
    );
    let link = dir.path().join("link.keyward");
    std::os::unix::fs::symlink(&path, &link).expect("symlink");
    assert!(Vault::open(&link, PASS).is_err(), "a link is not followed");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let report = v.doctor().expect("doctor");
    assert!(
        report.warnings.iter().any(|w| w.contains("other users")),
        "{report:?}"
    );
}

#[test]
fn a_v1_vault_is_upgraded_in_place_after_a_backup() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let facts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture.join("v1.json")).expect("fixture facts"))
            .expect("json");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.keyward");
    std::fs::copy(fixture.join("v1.keyward"), &path).expect("copy fixture");
    let pass = facts["passphrase"].as_str().expect("passphrase");
    assert!(matches!(
        Vault::open(&path, "wrong"),
        Err(Error::WrongPassphrase)
    ));

    let mut v = Vault::open(&path, pass).expect("a v1 vault opens");
    let created = parse_time(facts["created_at"].as_str().expect("time")).expect("time");
    v.set_clock(std::sync::Arc::new(move || created + 3600));
    for (name, k) in facts["keys"].as_object().expect("keys") {
        let secret = k["secret"].as_str().expect("secret");
        let got = outcome(&mut v, secret, &[]);
        let want = match k["expect"].as_str().expect("expect") {
            "revoked" => Outcome::Revoked,
            _ => Outcome::Valid,
        };
        assert_eq!(got, want, "{name}");
    }
    let report = v.doctor().expect("doctor");
    assert!(report.is_healthy(), "{:#?}", report.problems);
    assert_eq!(report.keys, 5);
    let log = v.activity(None, 100).expect("log");
    assert_eq!(
        log[0].action, "unlock.fail",
        "the wrong passphrase above, folded in"
    );
    assert!(
        log[0].detail.starts_with("1 failed unlock"),
        "{}",
        log[0].detail
    );
    assert_eq!(log[1].action, "vault.upgrade");
    assert!(log[1].detail.contains("member owner"), "{}", log[1].detail);
    assert_eq!(log[2].action, "vault.upgrade");
    assert!(!log[2].detail.contains("problem"), "{}", log[2].detail);
    assert_eq!(
        log.len(),
        16,
        "13 v1 entries, the upgrade, the members list and the failed unlock"
    );
    assert!(log.iter().all(|e| e.intact));
    assert!(log.iter().any(|e| e.action == "unlock.fail"));
    drop(v);

    let backup = dir.path().join("old.keyward.v1-backup");
    let conn = Connection::open(&backup).expect("backup");
    let version: Vec<u8> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .expect("version");
    assert_eq!(version, b"1", "the backup is the untouched v1 file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Opened again it is a v2 vault with nothing left to upgrade.
    let v = Vault::open(&path, pass).expect("reopen");
    assert_eq!(
        v.activity(None, 100).expect("log").len(),
        16,
        "nothing upgraded twice"
    );
    assert!(!dir.path().join("old.keyward.v1-backup.2").exists());
    let rolled_old = facts["keys"]["rolled_old"]["secret"].as_str().expect("old");
    let mut v = v;
    v.set_clock(std::sync::Arc::new(move || created + 8 * 24 * 3600));
    assert_eq!(
        outcome(&mut v, rolled_old, &[]),
        Outcome::Expired,
        "the roll's grace period survived the upgrade"
    );
}
