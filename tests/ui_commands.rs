//! The window's commands, asked for while drawing and run after it: what a view shows it was
//! given through a command or the session (re-read when the vault changes), never by reading
//! the vault as it draws.

mod common;

use std::sync::Arc;

use common::PASS;
use common::window::{self, App};
use egui_kittest::kittest::Queryable as _;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::{KeyEdit, NewKey, Preset, Vault};

const DAY: i64 = 86_400;

/// acme/billing/prod with `keys`, the window on it unlocked with prod open; the vault's path.
fn unlocked(
    dir: &tempfile::TempDir,
    prepare: impl FnOnce(&mut Vault, keyward::vault::NodeId),
) -> (App, std::path::PathBuf) {
    let path = dir.path().join("commands.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    prepare(&mut v, env.id);
    drop(v);
    let mut h = window::app(
        path.clone(),
        egui::vec2(1180.0, 760.0),
        Some(dir.path().join("downloads")),
        MemoryClipboard::default(),
    );
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
    h.get_by_label("Environment prod").click();
    h.run();
    (h, path)
}

#[test]
fn narrow_scopes_from_health_opens_the_scope_editor_of_that_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, _) = unlocked(&dir, |v, env| {
        // Full access, made 100 days ago: an old full-access key.
        let then = v.now() - 100 * DAY;
        v.set_clock(Arc::new(move || then));
        v.create_key(env, NewKey::named("root").full_access(true))
            .expect("key");
    });
    h.get_by_label("Health").click();
    h.run();
    h.get_by_label("Narrow scopes of root: Old full-access key")
        .click();
    h.run();
    assert!(
        h.query_by_label("Edit scopes of root").is_some()
            || h.query_by_label_contains("Edit scopes of root").is_some(),
        "the key's scope editor is open"
    );
    assert!(
        !h.state().status_is_error(),
        "{:?}",
        h.state().status_text()
    );
}

#[test]
fn the_details_shown_follow_a_change_made_by_another_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, path) = unlocked(&dir, |v, env| {
        v.create_key(env, NewKey::named("reader")).expect("key");
    });
    h.get_by_label("reader").click();
    h.run();
    assert!(h.query_by_label_contains("Key reader").is_some(), "shown");

    // The CLI renames it meanwhile; the window notices the change and re-reads.
    let mut other = Vault::open(&path, PASS).expect("open");
    let key_id = other.list_keys(None).expect("keys")[0].key_id.clone();
    other
        .edit_key_details(
            &key_id,
            KeyEdit {
                name: Some("renamed".into()),
                ..KeyEdit::default()
            },
        )
        .expect("rename");
    drop(other);
    let before = h.state().session().map(|s| s.reloads);
    for _ in 0..400 {
        h.step();
        if h.state().session().map(|s| s.reloads) != before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.run();
    assert!(
        h.query_by_label_contains("Key renamed").is_some(),
        "the details show the new name"
    );
    assert!(h.query_by_label_contains("Key reader").is_none());
}
