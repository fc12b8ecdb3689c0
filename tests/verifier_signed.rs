//! Signed verifier files through the library: what a loader refuses (every one-byte edit of the
//! payload, another vault's key, a flipped `revoked`, an expired file, an older serial), the
//! signing key's life (kept across re-key and reopen, made for upgraded vaults, tampered when
//! altered), and the README's test vector.

mod common;

use std::path::{Path, PathBuf};

use common::lab::Lab;
use keyward::vault::{
    Error, Grace, KdfParams, NewKey, Outcome, Preset, TrustedKey, Vault, Verifier,
};
use rusqlite::Connection;

const PASS: &str = "signed verifier passphrase";
const T0: i64 = 1_800_000_000;

/// A vault with workspace acme, its clock at [`T0`] until the test moves it.
struct Signed {
    lab: Lab,
    vault: Vault,
    ws: keyward::vault::Node,
}

fn lab() -> Signed {
    let lab = Lab::new("v.keyward", PASS).clocked(T0);
    let mut vault = lab.create();
    let ws = vault.add_workspace("acme", Preset::ReadWrite).expect("ws");
    Signed { lab, vault, ws }
}

/// As [`lab`], always a file: for tests that edit the file behind the vault's back.
fn file_lab() -> Signed {
    let lab = Lab::file("v.keyward", PASS).clocked(T0);
    let mut vault = lab.create();
    let ws = vault.add_workspace("acme", Preset::ReadWrite).expect("ws");
    Signed { lab, vault, ws }
}

impl Signed {
    fn key(&mut self, name: &str) -> String {
        let k = self
            .vault
            .create_key(self.ws.id, NewKey::named(name).scopes(["write"]))
            .expect("key");
        k.secret.expose().to_owned()
    }

    fn export(&mut self, valid_for: Option<i64>) -> String {
        self.vault
            .export_verifier(None, valid_for)
            .expect("export")
            .to_json()
    }

    fn trusted(&self) -> TrustedKey {
        self.vault.verifier_key().expect("public key")
    }

    fn load(&self, text: &str) -> keyward::vault::Result<Verifier> {
        Verifier::from_file_contents_at(text, &self.trusted(), self.lab.now())
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

fn with_payload(file: &str, payload: &str) -> String {
    let mut v = json(file);
    v["payload"] = serde_json::Value::String(payload.to_owned());
    v.to_string()
}

#[track_caller]
fn assert_refused(result: keyward::vault::Result<Verifier>, needle: &str) {
    match result {
        Err(Error::Refused(why)) => assert!(why.contains(needle), "'{why}' lacks '{needle}'"),
        Err(other) => panic!("refused with the wrong error: {other}"),
        Ok(_) => panic!("accepted, should be refused ({needle})"),
    }
}

on_both_stores! {
    fn every_one_byte_edit_of_the_payload_is_refused() {
        let mut l = lab();
        let good = l.key("a");
        let file = l.export(None);
        assert_eq!(
            l.load(&file)
                .expect("the file verifies")
                .verify(&good, &["write"])
                .result,
            Outcome::Valid
        );
        let payload = json(&file)["payload"].as_str().expect("payload").to_owned();
        assert!(payload.len() > 200, "a real payload: {payload}");
        for i in 0..payload.len() {
            let mut bytes = payload.clone().into_bytes();
            // Another printable character, so the text stays JSON and only the signature can tell.
            bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
            let edited = String::from_utf8(bytes).expect("ascii");
            assert_refused(l.load(&with_payload(&file, &edited)), "signature");
        }
        // The outer object is not signed: pretty-printed or compact, the file still verifies.
        assert!(l.load(&json(&file).to_string()).is_ok());
    }

    fn another_vaults_key_is_refused_either_way_round() {
        let mut a = lab();
        let mut b = lab();
        a.key("a");
        b.key("b");
        let (file_a, file_b) = (a.export(None), b.export(None));
        assert_ne!(a.trusted(), b.trusted());
        // B's file, loaded by a service that trusts A.
        assert_refused(a.load(&file_b), "not by the trusted key");
        // A's file with B's public key written in, loaded trusting B: the signature is A's.
        let mut swapped = json(&file_a);
        swapped["public_key"] = b.trusted().to_string().into();
        assert_refused(b.load(&swapped.to_string()), "signature");
        // B's payload and signature under A's name, loaded trusting A.
        let mut posing = json(&file_b);
        posing["public_key"] = a.trusted().to_string().into();
        assert_refused(a.load(&posing.to_string()), "signature");
    }

    fn a_flipped_revoked_flag_is_refused() {
        let mut l = lab();
        let secret = l.key("gone");
        let id = l.vault.list_keys(None).expect("list")[0].key_id.clone();
        l.vault.revoke_key(&id).expect("revoke");
        let file = l.export(None);
        assert_eq!(
            l.load(&file).expect("loads").verify(&secret, &[]).result,
            Outcome::Revoked
        );
        let mut payload = json(json(&file)["payload"].as_str().expect("payload"));
        assert_eq!(payload["keys"][0]["revoked"], true);
        payload["keys"][0]["revoked"] = false.into();
        let forged = with_payload(&file, &payload.to_string());
        assert_refused(l.load(&forged), "signature");
        // Even with the signature field copied along and a valid one from another export.
        let other = l.export(None);
        let mut spliced = json(&forged);
        spliced["signature"] = json(&other)["signature"].clone();
        assert_refused(l.load(&spliced.to_string()), "signature");
    }

    fn an_expired_file_is_refused_and_an_expired_snapshot_answers_expired() {
        let mut l = lab();
        let secret = l.key("a");
        let file = l.export(Some(3_600));
        let p = json(json(&file)["payload"].as_str().expect("payload"));
        assert_eq!(p["valid_until"], T0 + 3_600);
        let loaded = l.load(&file).expect("valid for an hour");
        assert_eq!(loaded.valid_until(), Some(T0 + 3_600));
        l.lab.set_now(T0 + 3_599);
        assert!(l.load(&file).is_ok());
        assert_eq!(
            loaded.verify_at(T0 + 3_599, &secret, &[]).result,
            Outcome::Valid
        );
        l.lab.set_now(T0 + 3_600);
        assert_refused(l.load(&file), "expired");
        let late = loaded.verify_at(T0 + 3_600, &secret, &[]);
        assert_eq!(late.result, Outcome::Expired);
        assert!(
            late.reason
                .is_some_and(|r| r.contains("verifier file expired"))
        );
        // Without --valid-for a file has no end.
        let endless = l.export(None);
        assert!(l.load(&endless).is_ok());
    }

    fn a_replayed_older_serial_is_refused_by_reload_and_the_newer_snapshot_stays() {
        let mut l = lab();
        let secret = l.key("a");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("acme.verifier.json");
        let old = l.export(None);
        let id = l.vault.list_keys(None).expect("list")[0].key_id.clone();
        l.vault.revoke_key(&id).expect("revoke");
        let new = l.export(None);
        std::fs::write(&path, &new).expect("write");
        let mut v = Verifier::load(&path, &l.trusted()).expect("load");
        assert!(v.serial() > l.load(&old).expect("old verifies").serial());
        assert_eq!(v.verify(&secret, &[]).result, Outcome::Revoked);

        std::fs::write(&path, &old).expect("put the old file back");
        match v.reload(&path) {
            Err(Error::Refused(why)) => assert!(why.contains("lower"), "{why}"),
            other => panic!("an older serial must be refused: {:?}", other.map(|_| ())),
        }
        assert_eq!(
            v.verify(&secret, &[]).result,
            Outcome::Revoked,
            "the newer snapshot keeps serving"
        );
        std::fs::write(&path, &new).expect("same file");
        assert!(!v.reload(&path).expect("same serial"), "nothing new");
        let newest = l.export(None);
        std::fs::write(&path, &newest).expect("newer file");
        let before = v.serial();
        assert!(v.reload(&path).expect("newer"));
        assert!(v.serial() > before);
        // A garbled file is refused and the snapshot stays.
        std::fs::write(&path, "{").expect("garbage");
        assert!(matches!(v.reload(&path), Err(Error::Refused(_))));
        assert_eq!(v.key_count(), 1);
        // A file of another node (signed by the same vault) does not replace this one.
        let p = l.vault.add_project(l.ws.id, "billing").expect("project");
        let other_node = l
            .vault
            .export_verifier(Some(p.id), None)
            .expect("export")
            .to_json();
        assert!(matches!(
            v.reload_from_contents(&other_node),
            Err(Error::Refused(why)) if why.contains("node acme/billing")
        ));
    }

    fn serials_grow_with_every_export_and_across_a_rekey() {
        let mut l = lab();
        l.key("a");
        let serial = |text: &str| {
            json(json(text)["payload"].as_str().expect("payload"))["serial"]
                .as_u64()
                .expect("serial")
        };
        let first = serial(&l.export(None));
        let second = serial(&l.export(None));
        assert!(second > first, "an export is itself a committed change");
        let before = l.trusted();
        l.vault
            .change_passphrase(PASS, "a brand new passphrase", None)
            .expect("passwd");
        let third = serial(&l.export(None));
        assert!(
            third > second,
            "{third} after {second}: the re-key kept the counter"
        );
        assert_eq!(l.trusted(), before);
    }

    fn the_public_key_survives_passwd_and_reopen_and_old_files_still_verify() {
        let mut l = lab();
        let secret = l.key("a");
        let key = l.trusted();
        let id = l.vault.vault_id().expect("vault id");
        assert_eq!(id.len(), 32);
        let before = l.export(None);
        l.vault
            .change_passphrase(PASS, "another passphrase entirely", None)
            .expect("passwd");
        assert_eq!(l.trusted(), key, "passwd keeps the signing key");
        drop(l.vault);
        let v = Vault::open(&l.lab.path, "another passphrase entirely").expect("reopen");
        assert_eq!(v.verifier_key().expect("key"), key, "and so does reopening");
        assert_eq!(v.vault_id().expect("id"), id);
        assert!(v.doctor().expect("doctor").is_healthy());
        let mut v = v;
        let after = v.export_verifier(None, None).expect("export").to_json();
        for file in [before, after] {
            let loaded = Verifier::from_file_contents(&file, &key).expect("verifies with the key");
            assert_eq!(loaded.vault_id(), id);
            assert_eq!(loaded.verify(&secret, &["write"]).result, Outcome::Valid);
        }
    }

    fn a_rolled_keys_old_secret_is_in_the_file_until_its_grace_ends() {
        let mut l = lab();
        let old = l.key("a");
        let id = l.vault.list_keys(None).expect("list")[0].key_id.clone();
        let new = l.vault.roll_key(&id, Grace::OneHour).expect("roll");
        let file = l.export(None);
        let v = l.load(&file).expect("load");
        assert_eq!(v.key_count(), 1);
        assert_eq!(v.len(), 2, "two hashes: the new secret and the old one");
        assert_eq!(v.verify_at(T0, &old, &[]).result, Outcome::Valid);
        assert_eq!(v.verify_at(T0 + 3_600, &old, &[]).result, Outcome::Expired);
        assert_eq!(
            v.verify_at(T0 + 3_600, new.secret.expose(), &["write"])
                .result,
            Outcome::Valid
        );
    }
}

// Edits of the file behind the vault's back, and the fixtures: SQLite files.

#[test]
fn an_upgraded_v1_vault_gets_a_signing_key() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let facts = json(&std::fs::read_to_string(fixture.join("v1.json")).expect("facts"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.keyward");
    std::fs::copy(fixture.join("v1.keyward"), &path).expect("copy");
    let pass = facts["passphrase"].as_str().expect("pass");
    let mut v = Vault::open(&path, pass).expect("upgrade");
    let key = v.verifier_key().expect("a signing key");
    let log = v.activity(None, 100).expect("log");
    assert!(
        log.iter()
            .any(|e| e.action == "vault.upgrade" && e.detail.contains(&key.to_string())),
        "the upgrade names the key"
    );
    let file = v.export_verifier(None, None).expect("export").to_json();
    let loaded = Verifier::from_file_contents(&file, &key).expect("verifies");
    let ci = facts["keys"]["ci"]["secret"].as_str().expect("secret");
    assert_eq!(loaded.verify(ci, &[]).result, Outcome::Valid);
    drop(v);
    let v = Vault::open(&path, pass).expect("reopen");
    assert_eq!(v.verifier_key().expect("same key"), key);
    assert!(v.doctor().expect("doctor").is_healthy());
}

#[test]
fn a_deleted_signing_key_is_tampered_not_made_anew() {
    let l = file_lab();
    let path = l.lab.path.clone();
    drop(l.vault);
    // The commitment names the key: deleting it must not make the vault mint a new one (which
    // services would not trust) but be reported.
    let conn = Connection::open(&path).expect("raw");
    conn.execute_batch("DELETE FROM meta WHERE name IN ('signing_key', 'vault_id')")
        .expect("delete");
    drop(conn);
    let mut v = Vault::open(&path, PASS).expect("still opens");
    assert!(matches!(v.verifier_key(), Err(Error::Tampered(_))));
    assert!(matches!(
        v.export_verifier(None, None),
        Err(Error::Tampered(_))
    ));
    let report = v.doctor().expect("doctor");
    assert!(
        report.problems.iter().any(|p| p.contains("signing key")),
        "{:#?}",
        report.problems
    );
}

#[test]
fn an_altered_signing_key_is_tampered_and_everything_else_works() {
    for attack in [
        // The last byte changed: to 00, or to 01 when it already was 00 (1 time in 256).
        "UPDATE meta SET value = substr(value, 1, length(value) - 1) || CASE WHEN substr(value, -1) = x'00' THEN x'01' ELSE x'00' END WHERE name = 'signing_key'",
        "UPDATE meta SET value = CAST('00000000000000000000000000000000' AS BLOB) WHERE name = 'vault_id'",
        "UPDATE meta SET value = x'01' WHERE name = 'signing_key'",
        "DELETE FROM meta WHERE name = 'vault_id'",
    ] {
        let mut l = file_lab();
        let secret = l.key("a");
        let path = l.lab.path.clone();
        drop(l.vault);
        Connection::open(&path)
            .expect("raw")
            .execute_batch(attack)
            .expect("attack");
        // This machine's pin would refuse a changed vault id outright; what follows is what a
        // machine that never saw the vault finds.
        Vault::accept_vault_change(&path).expect("forget the pin");
        let mut v = Vault::open(&path, PASS).expect("the vault still opens");
        match v.verifier_key() {
            Err(e @ Error::Tampered(_)) => assert!(e.to_string().contains("signing key"), "{e}"),
            other => panic!("{attack}: {other:?}"),
        }
        assert!(matches!(
            v.export_verifier(None, None),
            Err(Error::Tampered(_))
        ));
        assert_eq!(
            v.verify(&secret, &[]).expect("verify").result,
            Outcome::Valid
        );
        assert!(!v.doctor().expect("doctor").is_healthy(), "{attack}");
        // A re-key carries the damage over rather than minting a new key behind the user's back.
        v.change_passphrase(PASS, "rekeyed after the attack", None)
            .expect("passwd still works");
        assert!(
            v.verifier_key().is_err(),
            "{attack}: still tampered after passwd"
        );
    }
}

// ---- the test vector in the README ----

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn the_test_vector_verifies_and_a_one_byte_edit_does_not() {
    let facts = json(&std::fs::read_to_string(fixture("verifier-v2.keys.json")).expect("facts"));
    let text = std::fs::read_to_string(fixture("verifier-v2.json")).expect("vector");
    let key = TrustedKey::parse(facts["public_key"].as_str().expect("key")).expect("kwpk");
    let v = Verifier::from_file_contents(&text, &key).expect("the test vector verifies");
    let valid = facts["valid"].as_str().expect("valid");
    let revoked = facts["revoked"].as_str().expect("revoked");
    let r = v.verify(&format!("Authorization: Api-Key {valid}"), &["read"]);
    assert_eq!(r.result, Outcome::Valid);
    assert_eq!(r.key_id.as_deref(), facts["valid_key_id"].as_str());
    assert_eq!(v.verify(revoked, &[]).result, Outcome::Revoked);
    assert_eq!(v.node(), "demo");
    // One byte of the payload changed in the file's own bytes: a digit of the first hash, so
    // the file is still well formed and only the signature can tell.
    let at = text.find("\\\"sha256\\\":\\\"").expect("a hash") + 13;
    let mut bytes = text.clone().into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    let edited = String::from_utf8(bytes).expect("utf-8");
    assert_refused(Verifier::from_file_contents(&edited, &key), "signature");
    // The README shows the same file, key and secrets.
    let readme = std::fs::read_to_string(fixture("../../README.md")).expect("README");
    for needle in [
        facts["public_key"].as_str().expect("key"),
        valid,
        revoked,
        json(&text)["signature"].as_str().expect("sig"),
    ] {
        assert!(readme.contains(needle), "the README lacks {needle}");
    }
    assert!(
        readme.contains(text.trim()),
        "the README shows tests/fixtures/verifier-v2.json as it is"
    );
}

/// Writes the test vector again: `cargo test --test verifier_signed -- --ignored`, then copy
/// the new file, key and secrets into the README.
#[test]
#[ignore]
fn write_the_test_vector() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut v = Vault::create(
        &dir.path().join("demo.keyward"),
        "test vector",
        KdfParams::new(8, 1).expect("kdf"),
    )
    .expect("create");
    let ws = v.add_workspace("demo", Preset::ReadWrite).expect("ws");
    let key = |name: &str| NewKey::named(name).scopes(["write"]);
    let valid = v.create_key(ws.id, key("valid")).expect("valid");
    let revoked = v.create_key(ws.id, key("revoked")).expect("revoked");
    v.revoke_key(&revoked.info.key_id).expect("revoke");
    let text = v
        .export_verifier(Some(ws.id), None)
        .expect("export")
        .to_json();
    std::fs::write(fixture("verifier-v2.json"), format!("{text}\n")).expect("write vector");
    let facts = serde_json::json!({
        "about": "The README's test vector: a verifier file of a tiny vault, its public key, one valid and one revoked secret. Test data only: these secrets open nothing real.",
        "public_key": v.verifier_key().expect("key").to_string(),
        "valid": valid.secret.expose(),
        "valid_key_id": valid.info.key_id,
        "revoked": revoked.secret.expose(),
        "revoked_key_id": revoked.info.key_id,
    });
    std::fs::write(
        fixture("verifier-v2.keys.json"),
        format!("{}\n", serde_json::to_string_pretty(&facts).expect("json")),
    )
    .expect("write facts");
}
