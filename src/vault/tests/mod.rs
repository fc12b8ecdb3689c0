//! Tests of the whole core through its public API (plus raw SQL to play the attacker).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::*;
use crate::vault::publishing::signing;

mod errors;
mod planted;
mod tampering;

const PASS: &str = "correct horse battery staple";

fn fast() -> KdfParams {
    KdfParams::new(8, 1).expect("params")
}

struct Fixture {
    _dir: tempfile::TempDir,
    vault: Vault,
    env: Node,
    clock: Arc<AtomicI64>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.keyward");
    let mut vault = Vault::create(&path, PASS, fast()).expect("create");
    let clock = Arc::new(AtomicI64::new(1_800_000_000));
    let c = clock.clone();
    vault.set_clock(Arc::new(move || c.load(Ordering::SeqCst)));
    let ws = vault.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = vault.add_project(ws.id, "billing").expect("project");
    let env = vault
        .add_environment(p.id, "prod", Some("acme"))
        .expect("env");
    Fixture {
        _dir: dir,
        vault,
        env,
        clock,
    }
}

impl Fixture {
    /// What the vault answers for `secret` with `scopes` required.
    fn outcome(&mut self, secret: &str, scopes: &[&str]) -> Outcome {
        self.vault.verify(secret, scopes).expect("verify").result
    }
}

fn new_key(name: &str, scopes: &[&str]) -> NewKey {
    NewKey::named(name).scopes(scopes.iter().copied())
}

#[test]
fn wrong_passphrase_is_refused_and_logged_without_detail() {
    let f = fixture();
    let path = f.vault.path().to_owned();
    drop(f.vault);
    assert!(matches!(
        Vault::open(&path, "nope"),
        Err(Error::WrongPassphrase)
    ));
    let v = Vault::open(&path, PASS).expect("right passphrase opens");
    let log = v.activity(None, 10).expect("log");
    assert_eq!(log[0].action, Action::UnlockFailed.code());
    assert!(log.iter().all(|e| !e.detail.contains("nope")));
    assert!(v.doctor().expect("doctor").is_healthy());
}

#[test]
fn a_file_that_is_not_a_vault_is_named_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello, this is not sqlite at all").expect("write");
    assert!(matches!(Vault::open(&path, PASS), Err(Error::NotAVault(_))));
    assert!(matches!(
        Vault::open(&dir.path().join("missing"), PASS),
        Err(Error::NoVault(_))
    ));
}

#[test]
fn tree_names_are_unique_among_siblings_and_resolve_by_path() {
    let mut f = fixture();
    let ws = f.vault.resolve("acme").expect("ws");
    assert!(matches!(
        f.vault.add_project(ws.id, "BILLING"),
        Err(Error::NameTaken {
            what: crate::vault::Thing::Project,
            ..
        })
    ));
    assert_eq!(
        f.vault.resolve("Acme/Billing/PROD").expect("env").id,
        f.env.id
    );
    assert_eq!(f.env.prefix, "acme");
    assert!(f.vault.add_project(ws.id, "  ").is_err());
    assert!(f.vault.add_project(ws.id, &"x".repeat(65)).is_err());
    let renamed = f.vault.rename_node(ws.id, "globex").expect("rename");
    assert_eq!(renamed.path, "globex");
    assert_eq!(
        f.vault.resolve("globex/billing/prod").expect("moved").id,
        f.env.id
    );
}

#[test]
fn create_adds_required_scopes_and_refuses_bad_input() {
    let mut f = fixture();
    let k = f
        .vault
        .create_key(f.env.id, new_key("ci", &[]))
        .expect("create");
    assert_eq!(k.info.policy.scopes, vec!["read"]);
    assert!(k.secret.expose().starts_with("acme_"));
    assert!(Secret::parse(k.secret.expose()).is_ok());
    assert!(matches!(
        f.vault.create_key(f.env.id, new_key("CI", &[])),
        Err(Error::NameTaken {
            what: crate::vault::Thing::Key,
            ..
        })
    ));
    assert!(
        f.vault
            .create_key(f.env.id, new_key("x", &["delete"]))
            .is_err()
    );
    assert!(f.vault.create_key(f.env.id, new_key("", &[])).is_err());
    let past = new_key("old", &[]).expires_at(Some(f.vault.now() - 1));
    assert!(f.vault.create_key(f.env.id, past).is_err());
    let mut revoked = new_key("revoked", &[]);
    revoked.policy.revoked = true;
    assert!(f.vault.create_key(f.env.id, revoked).is_err());
    assert_eq!(f.vault.list_keys(None).expect("list").len(), 1);
}

#[test]
fn verify_answers_each_outcome() {
    let mut f = fixture();
    let k = f
        .vault
        .create_key(f.env.id, new_key("ci", &["write"]))
        .expect("create");
    let s = k.secret.expose().to_owned();
    let header = format!("Authorization: Api-Key {s}");
    let v = f.vault.verify(&header, &["read", "write"]).expect("verify");
    assert_eq!(v.result, Outcome::Valid);
    assert_eq!(v.key_id.as_deref(), Some(k.info.key_id.as_str()));
    assert_eq!(v.scopes, vec!["read", "write"]);
    assert_eq!(
        f.vault.key(&k.info.key_id).expect("key").last_used_at,
        Some(f.vault.now())
    );

    let mut typo = s.clone();
    typo.pop();
    typo.push(if s.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(f.outcome(&typo, &[]), Outcome::Malformed);
    let other = Secret::generate("acme");
    assert_eq!(f.outcome(other.expose(), &[]), Outcome::NotFound);

    let short = new_key("short", &[]).expires_at(Some(f.vault.now() + 3600));
    let short = f.vault.create_key(f.env.id, short).expect("short");
    assert_eq!(
        f.outcome(short.secret.expose(), &["write"]),
        Outcome::InsufficientScope
    );
    f.clock.fetch_add(3601, Ordering::SeqCst);
    assert_eq!(f.outcome(short.secret.expose(), &[]), Outcome::Expired);

    f.vault.revoke_key(&k.info.key_id).expect("revoke");
    assert_eq!(f.outcome(&s, &[]), Outcome::Revoked);
    assert_eq!(
        f.vault.key(&k.info.key_id).expect("key").status,
        KeyStatus::Revoked
    );
    f.vault.delete_key(&k.info.key_id).expect("delete");
    assert_eq!(f.outcome(&s, &[]), Outcome::NotFound);
}

#[test]
fn roll_keeps_the_old_secret_until_the_grace_ends() {
    let mut f = fixture();
    let k = f
        .vault
        .create_key(f.env.id, new_key("svc", &[]))
        .expect("create");
    let old = k.secret.expose().to_owned();
    let rolled = f
        .vault
        .roll_key(&k.info.key_id, Grace::OneHour)
        .expect("roll");
    assert_eq!(rolled.info.key_id, k.info.key_id);
    assert_ne!(rolled.secret.expose(), old);
    assert_eq!(f.outcome(&old, &[]), Outcome::Valid);
    assert_eq!(f.outcome(rolled.secret.expose(), &[]), Outcome::Valid);
    f.clock.fetch_add(3600, Ordering::SeqCst);
    assert_eq!(f.outcome(&old, &[]), Outcome::Expired);
    assert_eq!(f.outcome(rolled.secret.expose(), &[]), Outcome::Valid);

    let now_roll = f
        .vault
        .roll_key(&k.info.key_id, Grace::None)
        .expect("roll again");
    assert_eq!(f.outcome(rolled.secret.expose(), &[]), Outcome::Expired);
    assert_eq!(f.outcome(now_roll.secret.expose(), &[]), Outcome::Valid);
}

#[test]
fn master_key_is_get_or_create_and_follows_the_catalog() {
    let mut f = fixture();
    let MasterKey::Created(m) = f.vault.master_key(f.env.id).expect("master") else {
        panic!("the first call must create");
    };
    assert_eq!(m.info.name, "master");
    assert!(m.info.full_access);
    let MasterKey::Existing(again) = f.vault.master_key(f.env.id).expect("master") else {
        panic!("the second call must find it");
    };
    assert_eq!(again.key_id, m.info.key_id);
    let ws = f.vault.resolve("acme").expect("ws");
    f.vault
        .add_scope(ws.id, Scope::new("admin", "Admin", "", false, false))
        .expect("scope");
    assert_eq!(
        f.vault.key(&m.info.key_id).expect("key").policy.scopes,
        vec!["read", "write", "admin"]
    );
    assert_eq!(f.outcome(m.secret.expose(), &["admin"]), Outcome::Valid);
}

#[test]
fn scopes_can_be_edited_and_removing_a_scope_strips_it_from_keys() {
    let mut f = fixture();
    let k = f
        .vault
        .create_key(f.env.id, new_key("a", &[]))
        .expect("create");
    let info = f
        .vault
        .set_scopes(&k.info.key_id, &["write".into()], false)
        .expect("set");
    assert_eq!(info.policy.scopes, vec!["read", "write"]);
    let ws = f.vault.resolve("acme").expect("ws");
    assert_eq!(f.vault.remove_scope(ws.id, "write").expect("rm"), 1);
    assert_eq!(
        f.vault.key(&k.info.key_id).expect("key").policy.scopes,
        vec!["read"]
    );
    assert!(
        f.vault
            .set_scopes(&k.info.key_id, &["write".into()], false)
            .is_err()
    );
}

#[test]
fn deleting_a_node_with_keys_needs_force_and_counts_them() {
    let mut f = fixture();
    f.vault.create_key(f.env.id, new_key("a", &[])).expect("a");
    f.vault.create_key(f.env.id, new_key("b", &[])).expect("b");
    let ws = f.vault.resolve("acme").expect("ws");
    assert_eq!(f.vault.key_count(ws.id).expect("count"), 2);
    assert!(matches!(
        f.vault.delete_node(ws.id, false),
        Err(Error::ForceRequired(_))
    ));
    assert_eq!(f.vault.delete_node(ws.id, true).expect("delete"), 2);
    assert!(f.vault.nodes().expect("nodes").is_empty());
    assert!(f.vault.list_keys(None).expect("list").is_empty());
}

#[test]
fn passphrase_change_rewraps_the_data_key() {
    let mut f = fixture();
    let k = f.vault.create_key(f.env.id, new_key("a", &[])).expect("a");
    assert!(matches!(
        f.vault.change_passphrase("wrong", "new one", None),
        Err(Error::WrongPassphrase)
    ));
    f.vault
        .change_passphrase(PASS, "new one", None)
        .expect("change");
    let path = f.vault.path().to_owned();
    drop(f.vault);
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(Error::WrongPassphrase)
    ));
    let mut v = Vault::open(&path, "new one").expect("open with new");
    assert_eq!(
        v.verify(k.secret.expose(), &[]).expect("v").result,
        Outcome::Valid
    );
}

#[test]
fn backup_is_a_working_vault_and_the_verifier_agrees_with_the_vault() {
    let mut f = fixture();
    let k = f
        .vault
        .create_key(f.env.id, new_key("a", &["write"]))
        .expect("a");
    let dest = f._dir.path().join("copy.keyward");
    f.vault.backup(&dest).expect("backup");
    assert!(
        f.vault.backup(&dest).is_err(),
        "an existing file is not overwritten"
    );
    let mut copy = Vault::open(&dest, PASS).expect("open copy");
    assert_eq!(
        copy.verify(k.secret.expose(), &[]).expect("v").result,
        Outcome::Valid
    );

    let trusted = f.vault.verifier_key().expect("public key");
    let file = f.vault.export_verifier(None, None).expect("export");
    let json = file.to_json();
    assert!(!json.contains(k.secret.expose()) && !json.contains("\\\"a\\\""));
    let verifier = Verifier::from_file_contents_at(&json, &trusted, f.vault.now()).expect("load");
    let now = f.vault.now();
    assert_eq!(
        verifier
            .verify_at(now, k.secret.expose(), &["write"])
            .result,
        Outcome::Valid
    );
    f.vault.revoke_key(&k.info.key_id).expect("revoke");
    let json = f
        .vault
        .export_verifier(None, None)
        .expect("export")
        .to_json();
    let verifier = Verifier::from_file_contents_at(&json, &trusted, now).expect("v");
    assert_eq!(
        verifier.verify_at(now, k.secret.expose(), &[]).result,
        Outcome::Revoked
    );
}

#[test]
fn debug_output_never_shows_a_secret() {
    let mut f = fixture();
    let k = f
        .vault
        .create_key(f.env.id, new_key("dbg", &[]))
        .expect("create");
    let text = format!("{k:?} {:?}", k.secret);
    assert!(!text.contains(k.secret.expose()), "{text}");
    assert!(!text.contains(&k.secret.expose()[5..40]));
}

#[test]
fn a_failed_delivery_mints_and_rolls_nothing() {
    let mut f = fixture();
    let broken = |_: &[MintedKey]| -> Result<()> {
        Err(Error::io(
            "standard output",
            std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        ))
    };
    assert!(matches!(
        f.vault
            .create_keys_then(f.env.id, vec![new_key("ci", &[])], broken),
        Err(Error::Io { .. })
    ));
    assert!(f.vault.list_keys(None).expect("list").is_empty());
    let k = f
        .vault
        .create_key(f.env.id, new_key("ci", &[]))
        .expect("create");
    let before = k.secret.expose().to_owned();
    let rolled = f.vault.roll_key_then(&k.info.key_id, Grace::None, |_| {
        Err(Error::io(
            "out.json",
            std::io::Error::from(std::io::ErrorKind::StorageFull),
        ))
    });
    assert!(rolled.is_err());
    assert_eq!(
        f.outcome(&before, &[]),
        Outcome::Valid,
        "the old secret still works: the roll never happened"
    );
}

#[test]
fn a_vault_from_before_signing_keys_gets_one_on_first_open() {
    let f = fixture();
    let path = f.vault.path().to_owned();
    let strip = |v: &Vault, keep_key: bool| {
        v.write(|v, tx| {
            if !keep_key {
                tx.meta_delete(signing::VAULT_ID_META)?;
                tx.meta_delete(signing::SIGNING_KEY_META)?;
            }
            v.commitment.borrow_mut().set_signing_key(String::new())
        })
        .expect("make it look older");
    };
    // As written before signed verifier files: no key, none committed.
    strip(&f.vault, false);
    drop(f.vault);
    let v = Vault::open(&path, PASS).expect("open");
    let key = v.verifier_key().expect("made on first open");
    let log = v.activity(None, 3).expect("log");
    assert_eq!(log[0].action, Action::SigningKeyCreated.code());
    assert!(log[0].detail.contains(&key.to_string()));
    assert!(v.doctor().expect("doctor").is_healthy());
    // A key stored by an older Keyward's write that dropped the commitment's field: adopted.
    strip(&v, true);
    drop(v);
    let v = Vault::open(&path, PASS).expect("reopen");
    assert_eq!(v.verifier_key().expect("kept"), key);
    let log = v.activity(None, 10).expect("log");
    assert_eq!(
        log.iter()
            .filter(|e| e.action == Action::SigningKeyCreated.code())
            .count(),
        1,
        "made once"
    );
    assert!(v.doctor().expect("doctor").is_healthy());
}

#[test]
fn a_walk_over_many_batches_keeps_creation_order_and_stops_when_asked() {
    let mut f = fixture();
    // More rows than several batches of the decrypting threads, so batches alternate between
    // them; one key in grace and one expired, so the health report has more than one kind.
    let n = 1_300;
    let batch: Vec<NewKey> = (0..n)
        .map(|i| {
            NewKey::named(format!("k{i:04}"))
                .expires_at((i % 2 == 0).then_some(1_800_000_000 + 200 * DAY_SECS))
        })
        .collect();
    let minted = f.vault.create_keys(f.env.id, batch).expect("keys");
    let want: Vec<String> = (0..n).map(|i| format!("k{i:04}")).collect();
    let mut seen = Vec::new();
    f.vault.each_key(None, |k| seen.push(k.name)).expect("walk");
    assert_eq!(seen, want, "every key, in creation order");

    let mut first = Vec::new();
    f.vault
        .each_key_while(None, |k| {
            first.push(k.name);
            if first.len() == 300 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        })
        .expect("a walk that stops is not an error");
    assert_eq!(first, want[..300], "stopped after exactly 300, in order");

    // The health report reads the same keys through its own decoder: one "never expires"
    // finding per odd key, in creation order.
    let findings = f.vault.health(None).expect("health");
    let never: Vec<&str> = findings
        .iter()
        .filter(|x| x.kind == FindingKind::NeverExpires)
        .map(|x| x.name.as_str())
        .collect();
    let odd: Vec<&str> = want.iter().skip(1).step_by(2).map(String::as_str).collect();
    assert_eq!(never, odd);
    assert!(findings.iter().all(|x| x.node == "acme/billing/prod"));
    let revoked = &minted[1].info.key_id;
    f.vault.revoke_key(revoked).expect("revoke");
    assert!(
        !f.vault
            .health(None)
            .expect("health")
            .iter()
            .any(|x| &x.subject == revoked),
        "a revoked key has no findings"
    );
}

/// A second connection to the fixture's file, as someone editing it would have.
fn raw(f: &Fixture) -> rusqlite::Connection {
    rusqlite::Connection::open(f.vault.path()).expect("open the file directly")
}

#[test]
fn service_use_is_copied_into_the_stamps_once_and_never_from_the_future() {
    let mut f = fixture();
    let a = f.vault.create_key(f.env.id, new_key("a", &[])).expect("a");
    let b = f.vault.create_key(f.env.id, new_key("b", &[])).expect("b");
    let file = f.vault.path().with_file_name("acme.verifier.json");
    f.vault
        .add_publish_target(Some(f.env.id), &file, DEFAULT_PUBLISH_MODE)
        .expect("target");
    let now = f.clock.load(Ordering::SeqCst);
    let mut usage = UsageFile::default();
    usage.add(&a.info.key_id, now - 30, &[]);
    usage.add(&b.info.key_id, now + 86_400, &[]);
    std::fs::write(usage_path(&file), usage.to_json()).expect("usage");
    let mut seen = std::collections::HashMap::new();
    assert_eq!(f.vault.stamp_service_use(&mut seen).expect("stamp"), 1);
    let stamp = |id: &str| {
        f.vault
            .conn
            .key_by_key_id(id)
            .expect("row")
            .expect("key")
            .last_used_at
    };
    assert_eq!(stamp(&a.info.key_id), Some(now - 30));
    assert_eq!(
        stamp(&b.info.key_id),
        None,
        "a use a day ahead is not recorded"
    );
    assert_eq!(
        f.vault.stamp_service_use(&mut seen).expect("again"),
        0,
        "nothing new"
    );
}
