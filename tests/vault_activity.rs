//! The activity of a node keeps what happened to nodes deleted under it, the delete included;
//! a key's activity is its own entries, back to its creation.

mod common;

use common::lab::Lab;
use keyward::vault::{KeyEdit, NewKey, Preset, Vault};

const PASS: &str = "tundra maple 3390 cobalt";

/// acme/billing/prod in a new vault on this test's store (the lab must outlive the vault).
fn vault(lab: &Lab) -> (Vault, keyward::vault::NodeId) {
    let mut v = lab.create();
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    (v, env.id)
}

fn named(name: &str) -> NewKey {
    NewKey::named(name)
}

on_both_stores! {
    fn a_deleted_project_stays_in_its_workspace_activity() {
        let lab = Lab::new("a.keyward", PASS);
        let mut v = lab.create();
        let acme = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
        let other = v.add_workspace("acmeco", Preset::ReadWrite).expect("ws");
        let billing = v.add_project(acme.id, "billing").expect("project");
        v.add_environment(billing.id, "prod", None).expect("env");
        let elsewhere = v.add_project(other.id, "web").expect("project");
        v.delete_node(billing.id, true).expect("delete");
        v.delete_node(elsewhere.id, true).expect("delete");

        let nodes = |id| -> Vec<String> {
            v.activity(Some(id), 500)
                .expect("activity")
                .into_iter()
                .map(|e| format!("{} {}", e.action, e.node))
                .collect()
        };
        let acme_log = nodes(acme.id);
        assert!(
            acme_log.iter().any(|e| e.contains("acme/billing/prod")),
            "{acme_log:?}"
        );
        let deletes = acme_log
            .iter()
            .filter(|e| e.starts_with("node.delete"))
            .count();
        assert_eq!(deletes, 1, "{acme_log:?}");
        assert!(
            !acme_log.iter().any(|e| e.contains("acmeco")),
            "a sibling with a longer name is not under acme: {acme_log:?}"
        );
        let other_log = nodes(other.id);
        assert!(
            other_log.iter().any(|e| e.contains("acmeco/web")),
            "{other_log:?}"
        );
    }

    fn a_key_activity_is_its_own_entries_not_those_that_mention_its_id() {
        let lab = Lab::new("k.keyward", PASS);
        let (mut v, env) = vault(&lab);
        let a = v.create_key(env, named("reader")).expect("key").info;
        let b = v.create_key(env, named("writer")).expect("key").info;
        // The other key's log entries now carry this key's id in their detail.
        let edit = KeyEdit {
            name: Some(a.key_id.clone()),
            ..KeyEdit::default()
        };
        v.edit_key_details(&b.key_id, edit).expect("rename");
        v.revoke_key(&b.key_id).expect("revoke");
        let actions = |key: &keyward::vault::KeyInfo| -> Vec<String> {
            let key = v.key(&key.key_id).expect("key");
            v.key_activity(&key, 100)
                .expect("activity")
                .into_iter()
                .map(|e| e.action)
                .collect()
        };
        assert_eq!(actions(&a), ["key.create"]);
        assert_eq!(actions(&b), ["key.revoke", "key.edit", "key.create"]);
    }

    fn a_key_imported_among_thousands_still_shows_its_creation() {
        let lab = Lab::new("k.keyward", PASS);
        let (mut v, env) = vault(&lab);
        let batch: Vec<NewKey> = (0..6_000)
            .map(|i| named(&format!("imported-{i}")))
            .collect();
        let minted = v.create_keys(env, batch).expect("import");
        let first = v.key(&minted[0].info.key_id).expect("key");
        let entries = v.key_activity(&first, 100).expect("activity");
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].action, "key.create");
        assert_eq!(entries[0].key_id(), Some(first.key_id.as_str()));
    }

    fn a_scope_change_is_logged_with_what_changed() {
        let lab = Lab::new("k.keyward", PASS);
        let (mut v, env) = vault(&lab);
        // Read / Write: read is required.
        let key = v.create_key(env, named("reader")).expect("key").info;
        v.set_scopes(&key.key_id, &["write".into()], false)
            .expect("write");
        v.set_scopes(&key.key_id, &[], true).expect("full access");
        v.set_scopes(&key.key_id, &[], false).expect("none");
        let key = v.key(&key.key_id).expect("key");
        let details: Vec<String> = v
            .key_activity(&key, 10)
            .expect("activity")
            .into_iter()
            .filter(|e| e.action == "key.scopes")
            .map(|e| e.detail)
            .collect();
        let id = &key.key_id;
        assert_eq!(
            details,
            [
                format!("{id} 'reader': scopes -write, full access off"),
                format!("{id} 'reader': full access on"),
                format!("{id} 'reader': scopes +write"),
            ]
        );
    }
}
