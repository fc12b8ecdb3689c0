//! Members: several passphrases opening one vault, the log saying who did what, and a removed
//! member's passphrase opening nothing, not even with an old copy of their key slot.

mod common;

use std::path::Path;

use common::lab::{Lab, fast};
use keyward::vault::{Error, KdfParams, KeyStatus, NewKey, Outcome, Preset, Vault};
use rusqlite::Connection;

const ALICE: &str = "alice passphrase one";
const BOB: &str = "bob passphrase two";
const FILE: &str = "team.keyward";

fn new_key(name: &str) -> NewKey {
    NewKey::named(name).scopes(["write"])
}

/// alice (creator) and bob, with acme/billing/prod and one key each; returns their secrets.
fn team(lab: &Lab) -> Vec<String> {
    let mut v = lab.create_as("alice", ALICE);
    assert_eq!(v.member(), "alice");
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    let a = v.create_key(env.id, new_key("alice-key")).expect("key");
    v.add_member(ALICE, "bob", BOB, None).expect("add bob");
    drop(v);
    let mut v = lab
        .open_as("bob", BOB)
        .expect("bob opens with his own passphrase");
    assert_eq!(v.member(), "bob");
    let b = v.create_key(env.id, new_key("bob-key")).expect("bob mints");
    vec![a.secret.expose().to_owned(), b.secret.expose().to_owned()]
}

on_both_stores! {
    fn each_member_opens_the_same_vault_and_the_log_says_who_did_what() {
        let lab = Lab::new(FILE, ALICE);
        let secrets = team(&lab);
        let mut v = lab.open_as("alice", ALICE).expect("alice");
        for s in &secrets {
            assert_eq!(v.verify(s, &[]).expect("verify").result, Outcome::Valid);
        }
        let members = v.members().expect("members");
        let names: Vec<(&str, bool)> = members.iter().map(|m| (m.name.as_str(), m.you)).collect();
        assert_eq!(names, [("alice", true), ("bob", false)]);
        let log = v.activity(None, 100).expect("log");
        let who = |action: &str| -> Vec<String> {
            log.iter()
                .filter(|e| e.action == action)
                .map(|e| e.member.clone())
                .collect()
        };
        assert_eq!(who("key.create"), ["bob", "alice"], "newest first");
        assert_eq!(who("member.add"), ["alice"]);
        assert_eq!(who("vault.create"), ["alice"]);
        assert!(v.doctor().expect("doctor").is_healthy());
        drop(v);

        // Each passphrase is its member's only.
        assert!(matches!(
            lab.open_as("bob", ALICE),
            Err(Error::WrongPassphrase)
        ));
        assert!(matches!(
            lab.open_as("alice", BOB),
            Err(Error::WrongPassphrase)
        ));
        assert!(matches!(lab.open_as("carol", ALICE), Err(Error::NotFound { .. })));
        // Names are matched without regard to case; with two members and no owner, say which.
        assert_eq!(lab.open_as("Bob", BOB).expect("case").member(), "bob");
        assert!(matches!(
            Vault::open(&lab.path, ALICE),
            Err(e @ Error::MemberRequired { .. }) if e.to_string().contains("--member")
        ));
        // The member names are sealed: not in the store in plaintext.
        let bytes = lab.stored_bytes();
        for name in [b"alice".as_slice(), b"bob-key"] {
            assert!(!bytes.windows(name.len()).any(|w| w == name));
        }
    }

    fn passwd_changes_your_own_passphrase_and_no_one_elses() {
        let lab = Lab::new(FILE, ALICE);
        let secrets = team(&lab);
        let mut v = lab.open_as("bob", BOB).expect("bob");
        assert!(matches!(
            v.change_passphrase(ALICE, "bob's new one", None),
            Err(Error::WrongPassphrase)
        ));
        v.change_passphrase(
            BOB,
            "bob's new one",
            Some(KdfParams::new(16, 1).expect("params")),
        )
        .expect("change");
        let last = v.activity(None, 1).expect("log");
        assert_eq!(
            (last[0].action.as_str(), last[0].member.as_str()),
            ("passphrase.change", "bob")
        );
        drop(v);
        assert!(matches!(lab.open_as("bob", BOB), Err(Error::WrongPassphrase)));
        assert_eq!(
            Vault::kdf_params_of(&lab.path, Some("bob")).expect("params"),
            KdfParams::new(16, 1).expect("params")
        );
        assert_eq!(
            Vault::kdf_params_of(&lab.path, Some("alice")).expect("params"),
            fast()
        );
        lab.open_as("bob", "bob's new one")
            .expect("bob's new passphrase");
        let mut v = lab.open_as("alice", ALICE).expect("alice's is unchanged");
        for s in &secrets {
            assert_eq!(v.verify(s, &[]).expect("verify").result, Outcome::Valid);
        }
        assert!(matches!(
            v.add_member(ALICE, "BOB", "another", None),
            Err(Error::NameTaken { .. })
        ));
        assert!(v.add_member(ALICE, " ", "another", None).is_err());
        assert!(v.add_member(ALICE, "carol", "", None).is_err());
    }
}

// The rest is about the SQLite file: an old copy of it put back, rows swapped in it, a
// format-2 file.

#[test]
fn a_removed_member_opens_nothing_even_with_an_old_copy_of_their_slot() {
    let lab = Lab::file(FILE, ALICE);
    let secrets = team(&lab);
    let before = lab.copy("before-removal.keyward");
    let mut v = lab.open_as("alice", ALICE).expect("alice");
    assert!(matches!(
        v.remove_member("wrong", "bob"),
        Err(Error::WrongPassphrase)
    ));
    assert!(matches!(
        v.remove_member(ALICE, "alice"),
        Err(Error::NotAllowed(_))
    ));
    v.remove_member(ALICE, "bob").expect("remove bob");
    let names: Vec<String> = v
        .members()
        .expect("members")
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["alice"]);
    for s in &secrets {
        assert_eq!(v.verify(s, &[]).expect("verify").result, Outcome::Valid);
    }
    assert!(v.doctor().expect("doctor").is_healthy());
    let removal = v.activity(None, 1).expect("log");
    assert_eq!(removal[0].action, "member.rm");
    assert!(removal[0].detail.contains("bob"));
    drop(v);
    assert!(matches!(
        lab.open_as("bob", BOB),
        Err(Error::NotFound { .. })
    ));

    // Bob kept a copy of the file from before: his old slot put back unwraps the old data
    // key, under which nothing of the re-keyed vault opens.
    lab.attack_from(
        &before,
        "INSERT INTO meta SELECT * FROM old.meta
         WHERE name LIKE 'member:%' AND name NOT IN (SELECT name FROM main.meta);",
    );
    match lab.open_as("bob", BOB) {
        Err(e) => assert!(
            matches!(e, Error::Tampered(_) | Error::WrongPassphrase),
            "{e}"
        ),
        Ok(mut v) => {
            for s in &secrets {
                assert_ne!(v.verify(s, &[]).expect("verify").result, Outcome::Valid);
            }
            let keys = v.list_keys(None).expect("list");
            assert!(keys.iter().all(|k| k.status == KeyStatus::Tampered));
            assert!(v.add_member(BOB, "mallory", "x y z", None).is_err());
        }
    }
    // Alice's vault is untouched by the planted slot, and doctor names it.
    let mut v = lab.open_as("alice", ALICE).expect("alice");
    for s in &secrets {
        assert_eq!(v.verify(s, &[]).expect("verify").result, Outcome::Valid);
    }
    let report = v.doctor().expect("doctor");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("belongs to no member")),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_slot_moved_under_another_members_name_is_refused() {
    let lab = Lab::file(FILE, ALICE);
    team(&lab);
    // Alice's slot and bob's swapped: each passphrase opens a slot, but the commitment names
    // another public key under that member's name.
    let conn = Connection::open(&lab.path).expect("open");
    let slots: Vec<(String, Vec<u8>)> = conn
        .prepare("SELECT name, value FROM meta WHERE name LIKE 'member:%'")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(slots.len(), 2);
    drop(conn);
    let conn = Connection::open(&lab.path).expect("open");
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE name = ?2",
        rusqlite::params![slots[0].1, slots[1].0],
    )
    .expect("swap");
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE name = ?2",
        rusqlite::params![slots[1].1, slots[0].0],
    )
    .expect("swap");
    drop(conn);
    for (member, pass) in [("alice", BOB), ("bob", ALICE)] {
        assert!(
            matches!(lab.open_as(member, pass), Err(Error::Tampered(_))),
            "{member}"
        );
    }
}

#[test]
fn a_format_2_vault_opens_as_owner_and_gains_a_members_list() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("v2.keys.json")).expect("keys"))
            .expect("json");
    let pass = keys["passphrase"].as_str().expect("passphrase");
    let lab = Lab::file(FILE, ALICE);
    std::fs::copy(fixture.join("v2.keyward"), &lab.path).expect("copy");
    assert!(lab.meta_names().iter().any(|n| n == "data_key"));
    assert!(matches!(
        lab.open_as("bob", pass),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        Vault::open(&lab.path, "wrong"),
        Err(Error::WrongPassphrase)
    ));

    let mut v = Vault::open(&lab.path, pass).expect("a format-2 vault opens");
    assert_eq!(v.member(), "owner");
    let active = keys["active"]["key_secret"].as_str().expect("secret");
    let revoked = keys["revoked"]["key_secret"].as_str().expect("secret");
    assert_eq!(
        v.verify(active, &[]).expect("verify").result,
        Outcome::Valid
    );
    assert_eq!(
        v.verify(revoked, &[]).expect("verify").result,
        Outcome::Revoked
    );
    let members = v.members().expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].name, "owner");
    let report = v.doctor().expect("doctor");
    assert!(report.is_healthy(), "{:?}", report.problems);
    let log = v.activity(None, 100).expect("log");
    assert!(
        log.iter()
            .any(|e| e.action == "vault.upgrade" && e.member == "owner")
    );
    assert!(
        log.iter()
            .any(|e| e.action == "key.create" && e.member.is_empty())
    );
    v.add_member(pass, "bob", BOB, None)
        .expect("a second member");
    drop(v);

    let names = lab.meta_names();
    assert!(
        !names.iter().any(|n| n == "kdf" || n == "data_key"),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| n.starts_with("member:")).count(), 2);
    let mut v = lab.open_as("owner", pass).expect("owner by name");
    assert_eq!(
        v.verify(active, &[]).expect("verify").result,
        Outcome::Valid
    );
    let mut v2 = lab.open_as("bob", BOB).expect("bob");
    assert_eq!(
        v2.verify(active, &[]).expect("verify").result,
        Outcome::Valid
    );
}
