//! Real failures a caller tells apart by variant, not by message.

use super::*;
use crate::vault::Thing;

#[test]
fn a_name_taken_names_what_and_which() {
    let mut f = fixture();
    let ws = f.vault.resolve("acme").expect("ws");
    match f.vault.add_project(ws.id, "Billing") {
        Err(e @ Error::NameTaken { .. }) => {
            assert_eq!(e.kind(), "name_taken");
            assert_eq!(e.exit_code(), 2);
            let Error::NameTaken { what, name, .. } = &e else {
                unreachable!()
            };
            assert_eq!((*what, name.as_str()), (Thing::Project, "Billing"));
            assert_eq!(
                e.to_string(),
                "a project named 'Billing' already exists in acme"
            );
        }
        other => panic!("{other:?}"),
    }
    f.vault
        .add_scope(f.env.id, Scope::new("deploy", "Deploy", "", false, false))
        .expect("scope");
    assert!(matches!(
        f.vault.add_scope(f.env.id, Scope::new("deploy", "Again", "", false, false)),
        Err(Error::NameTaken { what: Thing::Scope, name, .. }) if name == "deploy"
    ));
}

#[test]
fn a_missing_node_scope_or_path_is_not_found_with_its_name() {
    let mut f = fixture();
    match f.vault.node(999_999) {
        Err(e @ Error::NotFound { .. }) => {
            assert_eq!(e.kind(), "not_found");
            assert_eq!(e.to_string(), "node #999999 not found");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        f.vault.resolve("acme/nowhere"),
        Err(Error::NotFound { what: Thing::Path, name }) if name == "acme/nowhere"
    ));
    assert!(matches!(
        f.vault.remove_scope(f.env.id, "no-such-scope"),
        Err(Error::NotFound { what: Thing::Scope, name }) if name == "no-such-scope"
    ));
}

#[test]
fn several_members_and_none_named_is_member_required_yet_the_file_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("team.keyward");
    let v = Vault::create_as(&path, "alice", PASS, fast()).expect("create");
    v.add_member(PASS, "bob", "bob's own passphrase", None)
        .expect("bob");
    match v.add_member(PASS, "BOB", "another", None) {
        Err(Error::NameTaken {
            what: Thing::Member,
            name,
            ..
        }) => assert_eq!(name, "BOB"),
        other => panic!("{other:?}"),
    }
    drop(v);
    match Vault::open(&path, PASS) {
        Err(e @ Error::MemberRequired { members: 2 }) => {
            assert_eq!(e.kind(), "member_required");
            assert!(e.to_string().contains("--member"), "{e}");
        }
        other => panic!("{:?}", other.map(drop)),
    }
    // The window reads the KDF parameters before it knows who unlocks.
    assert!(Vault::kdf_params(&path).is_ok());
    assert!(matches!(
        Vault::open_as(&path, Some("carol"), PASS).map(drop),
        Err(Error::NotFound { what: Thing::Member, name }) if name == "carol"
    ));
}

#[test]
fn bad_input_names_its_field_and_keeps_its_sentence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.keyward");
    match Vault::create_as(&path, " ", PASS, fast()).map(drop) {
        Err(
            e @ Error::BadInput {
                field: "member", ..
            },
        ) => {
            assert_eq!(e.kind(), "bad_input");
            assert_eq!(e.to_string(), "a member name must not be empty");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_key_name_taken_is_name_taken_with_the_old_sentence() {
    let mut f = fixture();
    f.vault
        .create_key(f.env.id, new_key("ci", &[]))
        .expect("ci");
    let other = f
        .vault
        .create_key(f.env.id, new_key("cd", &[]))
        .expect("cd");
    match f.vault.create_key(f.env.id, new_key("ci", &[])).map(drop) {
        Err(
            e @ Error::NameTaken {
                what: Thing::Key, ..
            },
        ) => {
            assert_eq!(e.kind(), "name_taken");
            assert_eq!(
                e.to_string(),
                "a key named 'ci' already exists in acme/billing/prod (revoked keys keep their name)"
            );
        }
        other => panic!("{other:?}"),
    }
    let rename = KeyEdit {
        name: Some("ci".into()),
        ..KeyEdit::default()
    };
    match f
        .vault
        .edit_key_details(&other.info.key_id, rename)
        .map(drop)
    {
        Err(
            e @ Error::NameTaken {
                what: Thing::Key, ..
            },
        ) => {
            assert_eq!(
                e.to_string(),
                "a key named 'ci' already exists in acme/billing/prod"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_step_the_key_refuses_is_not_allowed_and_bad_values_name_their_field() {
    let mut f = fixture();
    let key = f
        .vault
        .create_key(f.env.id, new_key("ci", &[]))
        .expect("ci");
    f.vault.revoke_key(&key.info.key_id).expect("revoke");
    match f.vault.roll_key(&key.info.key_id, Grace::None).map(drop) {
        Err(e @ Error::NotAllowed(_)) => {
            assert_eq!(e.kind(), "not_allowed");
            assert_eq!(e.to_string(), "a revoked key cannot be rolled");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Expiry::parse("soon"),
        Err(Error::BadInput {
            field: "expiry",
            ..
        })
    ));
    assert!(matches!(
        f.vault.create_key(f.env.id, new_key("x", &["delete"])).map(drop),
        Err(Error::BadInput { field: "scope", why }) if why.starts_with("unknown scope 'delete'")
    ));
}

#[test]
fn the_verifier_crates_invalid_is_bad_input_with_the_same_sentence() {
    let e = Error::from(keyward_verify::Error::Invalid(
        "prefix 'X' is not valid".into(),
    ));
    assert!(matches!(e, Error::BadInput { field: "input", .. }), "{e:?}");
    assert_eq!(e.kind(), "bad_input");
    assert_eq!(e.to_string(), "prefix 'X' is not valid");
}
