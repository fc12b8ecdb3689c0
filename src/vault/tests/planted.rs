//! Someone who can write the file (or the team database), but is no member, seals a data key
//! of their own to a member's public key: the member's unlock is refused, so nothing the member
//! would write is readable with the planted key.

use std::path::Path;

use super::*;
use crate::vault::team::grants::Identity;
use crate::vault::team::members;
use crate::vault::team::slot::{self, Slot, slot_name};

const ALICE: &str = "alice's passphrase 1";
const BOB: &str = "bob's passphrase 2";

fn slot_of(path: &Path, member: &str) -> Slot {
    let conn = rusqlite::Connection::open(path).expect("raw");
    let raw: Vec<u8> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = ?1",
            [slot_name(member)],
            |r| r.get(0),
        )
        .expect("slot");
    Slot::parse(&raw).expect("parse")
}

fn put_slot(path: &Path, member: &str, slot: &Slot) {
    let conn = rusqlite::Connection::open(path).expect("raw");
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE name = ?2",
        rusqlite::params![slot.to_bytes().expect("bytes"), slot_name(member)],
    )
    .expect("write");
}

fn refused(path: &Path, needle: &str) {
    match Vault::open_as(path, Some("bob"), BOB) {
        Err(Error::Tampered(why)) => assert!(why.contains(needle), "{why}"),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a planted data key was accepted"),
    }
}

#[test]
fn a_data_key_planted_by_a_non_member_is_refused_at_unlock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.keyward");
    let v = Vault::create_as(&path, "alice", ALICE, fast()).expect("create");
    v.add_member(ALICE, "bob", BOB, None).expect("bob");
    drop(v);
    // Bob unlocks once on this machine, which pins the members' identities.
    drop(Vault::open_as(&path, Some("bob"), BOB).expect("bob unlocks"));
    let genuine = slot_of(&path, "bob");
    assert_eq!(
        genuine.given_by,
        slot_name("bob"),
        "a new member's slot is self-granted"
    );

    // The attacker's key, sealed to Bob's public key (no secret needed), with a grant of an
    // identity of their own that claims to be Alice's.
    let planted = crypto::new_data_key();
    let public: [u8; 32] = crypto::from_hex(&genuine.public)
        .and_then(|p| p.try_into().ok())
        .expect("public");
    let mut slot = genuine.clone();
    slot.data_key = crypto::to_hex(&crypto::seal_to(&public, &planted));
    let mallory = Identity::generate(&slot_name("alice"));
    slot.sign(&slot_name("bob"), &mallory);
    put_slot(&path, "bob", &slot);
    refused(&path, "not given by a member this machine trusts");
    // And Alice's doctor names it.
    let alice = Vault::open_as(&path, Some("alice"), ALICE).expect("alice still opens");
    let report = alice.doctor().expect("doctor");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("member bob") && p.contains("not given by a member")),
        "{:?}",
        report.problems
    );
    drop(alice);

    // Claiming Bob gave it himself needs Bob's identity, wrapped under his passphrase.
    let fake_bob = Identity::generate(&slot_name("bob"));
    slot.sign(&slot_name("bob"), &fake_bob);
    put_slot(&path, "bob", &slot);
    refused(&path, "not given by a member this machine trusts");

    // Stripping the grant, so that the slot looks like one from before grants, is refused
    // here: this machine knows Bob's identity.
    slot.given_by.clear();
    slot.grant.clear();
    put_slot(&path, "bob", &slot);
    refused(&path, "carries no grant");

    // The genuine slot opens again, and a re-key by Alice grants Bob the new key.
    put_slot(&path, "bob", &genuine);
    drop(Vault::open_as(&path, Some("bob"), BOB).expect("genuine slot"));
    let mut alice = Vault::open_as(&path, Some("alice"), ALICE).expect("alice");
    alice
        .rekey(ALICE, "alice's new passphrase 3", None, &mut |_| {})
        .expect("re-key");
    drop(alice);
    let regranted = slot_of(&path, "bob");
    assert_eq!(regranted.given_by, slot_name("alice"));
    assert_ne!(regranted.data_key, genuine.data_key);
    assert_eq!(
        regranted.identity, genuine.identity,
        "identities survive re-keys"
    );
    drop(Vault::open_as(&path, Some("bob"), BOB).expect("granted by a trusted member"));
}

#[test]
fn a_vault_made_with_more_memory_than_the_ceiling_is_taken_only_on_purpose() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.keyward");
    drop(Vault::create(&path, PASS, fast()).expect("create"));
    // As an earlier Keyward could make it: 2 GiB and 12 passes in the slot.
    let mut slot = slot_of(&path, DEFAULT_MEMBER);
    slot.params = KdfParams {
        memory_kib: 2048 * 1024,
        passes: 12,
        lanes: 1,
    };
    put_slot(&path, DEFAULT_MEMBER, &slot);
    let started = std::time::Instant::now();
    let refused = Vault::open(&path, PASS).err().expect("above the ceiling");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert!(
        refused.to_string().contains("--accept-vault-change"),
        "{refused}"
    );
    assert_ne!(
        pins::pin_of(&path)
            .expect("pin")
            .and_then(|p| p.kdf.get(&slot_name(DEFAULT_MEMBER)).copied())
            .as_ref(),
        Some(&slot.params),
        "only the parameters it was made with are pinned"
    );
    Vault::accept_vault_change(&path).expect("take it as it is");
    let pinned = pins::pin_of(&path).expect("pin").expect("pinned").kdf;
    assert_eq!(pinned.get(&slot_name(DEFAULT_MEMBER)), Some(&slot.params));
    let slots = slot::stored_slots(&*store::open(&path).expect("open")).expect("slots");
    let (_, chosen) = members::choose_slot_pinned(&slots, None, &pinned).expect("now paid");
    assert!(chosen.pinned_kdf);
}

fn slot_json(memory_mib: u32, passes: u32) -> Vec<u8> {
    serde_json::json!({
        "params": {"memory_kib": memory_mib * 1024, "passes": passes, "lanes": 1},
        "salt": "00".repeat(16), "secret": "", "public": "", "data_key": "",
    })
    .to_string()
    .into_bytes()
}

#[test]
fn key_derivation_above_the_ceiling_is_paid_only_as_pinned() {
    let big = slot_json(2048, 12);
    let params = KdfParams {
        memory_kib: 2048 * 1024,
        passes: 12,
        lanes: 1,
    };
    let refused = Slot::parse(&big).err().expect("above the ceiling");
    assert!(refused.to_string().contains("2048 MiB"), "{refused}");
    assert!(
        Slot::parse_allowing(&big, Some(params)).is_ok(),
        "pinned exactly"
    );
    let other = KdfParams {
        passes: 11,
        ..params
    };
    assert!(
        Slot::parse_allowing(&big, Some(other)).is_err(),
        "other pinned values"
    );
    let absurd = slot_json(4096 * 16, 64);
    let pinned_absurd = KdfParams {
        memory_kib: 4096 * 16 * 1024,
        passes: 64,
        lanes: 1,
    };
    assert!(
        Slot::parse_allowing(&absurd, Some(pinned_absurd)).is_err(),
        "never beyond what earlier builds allowed"
    );
    assert!(Slot::parse(&slot_json(64, 3)).is_ok());
    assert!(
        Slot::parse_allowing(&big, Some(params)).is_ok_and(|s| s.pinned_kdf),
        "marked, so that only this slot's derivation pays more"
    );
}
