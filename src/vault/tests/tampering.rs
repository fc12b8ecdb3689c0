//! Someone with the file edits it behind the vault's back: each edit is caught, and only the
//! records it touched are marked.

use super::*;

#[test]
fn a_flipped_byte_marks_one_record_tampered_and_spares_the_others() {
    let mut f = fixture();
    let a = f.vault.create_key(f.env.id, new_key("a", &[])).expect("a");
    let b = f.vault.create_key(f.env.id, new_key("b", &[])).expect("b");
    raw(&f).execute(
            "UPDATE keys SET sealed = substr(sealed, 1, 20) || X'00' || substr(sealed, 22) WHERE key_id = ?1",
            [&a.info.key_id],
        )
        .expect("flip");
    let list = f.vault.list_keys(None).expect("list");
    let status = |id: &str| list.iter().find(|k| k.key_id == id).map(|k| k.status);
    assert_eq!(status(&a.info.key_id), Some(KeyStatus::Tampered));
    assert_eq!(status(&b.info.key_id), Some(KeyStatus::Active));
    assert_eq!(
        f.vault.verify(a.secret.expose(), &[]).expect("v").result,
        Outcome::Tampered
    );
    assert_eq!(
        f.vault.verify(b.secret.expose(), &[]).expect("v").result,
        Outcome::Valid
    );
    let report = f.vault.doctor().expect("doctor");
    assert!(
        report.problems.iter().any(|p| p.contains(&a.info.key_id)),
        "{:?}",
        report.problems
    );
}

#[test]
fn swapped_sealed_fields_are_caught() {
    let mut f = fixture();
    let a = f.vault.create_key(f.env.id, new_key("a", &[])).expect("a");
    let b = f
        .vault
        .create_key(f.env.id, new_key("b", &["write"]))
        .expect("b");
    raw(&f)
        .execute_batch(
            "CREATE TEMP TABLE saved AS SELECT id, sealed FROM keys;
             UPDATE keys SET sealed = (SELECT sealed FROM saved WHERE saved.id != keys.id);",
        )
        .expect("swap");
    let list = f.vault.list_keys(None).expect("list");
    assert!(list.iter().all(|k| k.status == KeyStatus::Tampered));
    assert_eq!(
        f.vault.verify(b.secret.expose(), &[]).expect("v").result,
        Outcome::Tampered
    );
    assert_eq!(
        f.vault.verify(a.secret.expose(), &[]).expect("v").result,
        Outcome::Tampered
    );
    assert_eq!(f.vault.doctor().expect("doctor").problems.len(), 2);
}

#[test]
fn the_activity_chain_detects_an_edited_entry() {
    let mut f = fixture();
    f.vault.create_key(f.env.id, new_key("a", &[])).expect("a");
    assert!(f.vault.doctor().expect("doctor").is_healthy());
    // The log is append-only by trigger; an attacker with the file drops the trigger first.
    raw(&f).execute_batch(
            "DROP TRIGGER IF EXISTS activity_no_update; UPDATE activity SET at = at + 1 WHERE seq = 2;",
        )
        .expect("edit");
    assert!(!f.vault.doctor().expect("doctor").is_healthy());
}
