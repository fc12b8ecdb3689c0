//! A key's details beside the list (issue 22, item 11): Enter, the row's Details or a click on
//! the name shows them in a right panel that follows the current row, is edited in place, is
//! closed by its button or Esc and remembers its width and that it was open; in a narrow
//! window they are the dialog they were. The key's activity is its own, back to its creation.

mod common;

use common::PASS;
use common::window::{self, App};
use egui::Key;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::vault::{KeyInfo, NewKey, Preset, Scope, Vault};

/// acme/billing/prod (scopes `read` and `write`) with `keys` (created in order, so the table
/// lists the last first), the window on it unlocked at `size` with prod open.
fn unlocked(dir: &tempfile::TempDir, size: egui::Vec2, keys: Vec<NewKey>) -> (App, Vec<KeyInfo>) {
    let path = dir.path().join("details.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("acme", Preset::Custom).expect("ws");
    for id in ["read", "write"] {
        v.add_scope(ws.id, Scope::new(id, id, "", false, false))
            .expect("scope");
    }
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    let minted = v.create_keys(env.id, keys).expect("keys");
    drop(v);
    let mut h = window::unlocked_app(dir.path(), path, size, PASS);
    h.get_by_label("Environment prod").click();
    h.run();
    h.key_press(Key::Escape);
    h.run();
    (h, minted.into_iter().map(|m| m.info).collect())
}

fn named(names: &[&str]) -> Vec<NewKey> {
    names
        .iter()
        .map(|n| NewKey::named(*n).scopes(["read"]))
        .collect()
}

const WIDE: egui::Vec2 = egui::vec2(1180.0, 760.0);

fn press(h: &mut App, key: Key) {
    h.key_press(key);
    h.run();
}

fn shown_key(h: &App) -> Option<String> {
    h.state().details_key(&h.ctx).map(str::to_owned)
}

/// The list behind is usable (not disabled by a dialog over it).
fn list_usable(h: &App, name: &str) -> bool {
    !h.get_by_label(&format!("Select {name}"))
        .accesskit_node()
        .is_disabled()
}

#[test]
fn enter_shows_details_beside_the_list_following_the_current_row_and_esc_closes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, keys) = unlocked(&dir, WIDE, named(&["reader", "writer"]));
    let (reader, writer) = (&keys[0], &keys[1]);
    h.get_by_label("Keys table").focus();
    h.run();
    press(&mut h, Key::ArrowDown);
    press(&mut h, Key::Enter);
    assert_eq!(shown_key(&h).as_deref(), Some(writer.key_id.as_str()));
    assert!(
        h.query_by_label(&writer.key_id).is_some(),
        "its key id shown"
    );
    assert!(h.query_by_label("Close details").is_some());
    assert!(list_usable(&h, "reader"), "beside the list, not over it");
    assert!(h.state().settings.details_open, "kept in the settings");

    press(&mut h, Key::ArrowDown);
    assert_eq!(
        shown_key(&h).as_deref(),
        Some(reader.key_id.as_str()),
        "the panel follows the current row"
    );
    assert!(h.query_by_label(&reader.key_id).is_some());
    assert!(h.query_by_label("key.create").is_some(), "its activity");

    press(&mut h, Key::Escape);
    assert!(h.query_by_label("Close details").is_none(), "Esc closed it");
    assert!(!h.state().settings.details_open);
}

#[test]
fn a_click_on_a_name_shows_that_key_and_the_close_button_closes_the_panel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, keys) = unlocked(&dir, WIDE, named(&["reader", "writer"]));
    h.get_by_label("reader").click();
    h.run();
    assert_eq!(shown_key(&h).as_deref(), Some(keys[0].key_id.as_str()));
    h.get_by_label("Actions for writer").click();
    h.run();
    h.get_by_label("Details of writer").click();
    h.run();
    assert_eq!(shown_key(&h).as_deref(), Some(keys[1].key_id.as_str()));
    h.get_by_label("Close details").click();
    h.run();
    assert_eq!(shown_key(&h), None);
    assert!(!h.state().settings.details_open);
}

#[test]
fn details_are_edited_in_place_with_their_scopes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, keys) = unlocked(&dir, WIDE, named(&["reader"]));
    h.get_by_label("reader").click();
    h.run();
    h.get_by_label("Edit details…").click();
    h.run();
    assert_eq!(
        shown_key(&h).as_deref(),
        Some(keys[0].key_id.as_str()),
        "Edit did not replace the details with a dialog"
    );
    assert!(list_usable(&h, "reader"));
    h.get_by_label("Key name").focus();
    h.run();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[Key::A]);
    h.key_press(Key::Backspace);
    h.run();
    h.get_by_label("Key name").type_text("reader-2");
    h.run();
    h.get_by_label("Owner").focus();
    h.get_by_label("Owner").type_text("team-pay");
    h.run();
    h.get_by_label("write").click();
    h.run();
    h.get_by_label("Save details").click();
    h.run();
    h.run();
    let key = h
        .state()
        .session()
        .expect("unlocked")
        .vault
        .key(&keys[0].key_id)
        .expect("key");
    assert_eq!(key.name, "reader-2");
    assert_eq!(key.details.owner, "team-pay");
    assert_eq!(key.policy.scopes, ["read", "write"]);
    assert!(
        h.query_by_label("Key name").is_none(),
        "back to the details"
    );
    assert!(h.query_by_label("Key reader-2").is_some(), "shown as saved");
    assert_eq!(h.state().status_text(), Some("Details of reader-2 saved"));
    assert!(
        h.query_by_label("'reader-2': scopes +write").is_some(),
        "the key.scopes entry says which scopes changed"
    );

    // Cancel leaves everything as it was; Esc leaves the form, a second Esc the panel.
    h.get_by_label("Edit details…").click();
    h.run();
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label("Key name").is_none());
    h.get_by_label("Edit details…").click();
    h.run();
    press(&mut h, Key::Escape);
    assert!(h.query_by_label("Key name").is_none(), "Esc left the form");
    assert!(shown_key(&h).is_some(), "and kept the panel");
}

#[test]
fn a_narrow_window_shows_details_in_a_dialog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, keys) = unlocked(&dir, egui::vec2(900.0, 640.0), named(&["reader"]));
    h.get_by_label("reader").click();
    h.run();
    assert_eq!(shown_key(&h), None, "no panel");
    assert!(h.query_by_label(&keys[0].key_id).is_some(), "the details");
    assert!(!list_usable(&h, "reader"), "in a dialog over the list");
    h.get_by_label("Edit details…").click();
    h.run();
    assert!(h.query_by_label("Key name").is_some(), "edited in place");
    assert!(
        h.query_by_label(&format!("Key {}", keys[0].name)).is_some(),
        "in the same dialog"
    );
}

#[test]
fn the_panel_opens_again_after_unlock_at_its_width() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, keys) = unlocked(&dir, WIDE, named(&["reader"]));
    h.state_mut().settings.details_width = 520.0;
    h.get_by_label("reader").click();
    h.run();
    // The width kept is the panel's own, read back from it every frame.
    let width = h.state().settings.details_width;
    assert!((width - 520.0).abs() < 2.0, "the panel is {width} wide");
    h.state_mut().lock();
    h.run();
    window::unlock(&mut h, PASS);
    assert!(h.state().settings.details_open);
    assert_eq!(
        shown_key(&h).as_deref(),
        Some(keys[0].key_id.as_str()),
        "open again after unlock, on the first row"
    );
}

#[test]
fn a_key_imported_among_thousands_shows_its_creation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let many: Vec<String> = (0..5_200).map(|i| format!("imported-{i}")).collect();
    let names: Vec<&str> = many.iter().map(String::as_str).collect();
    let (mut h, keys) = unlocked(&dir, WIDE, named(&names));
    // The oldest of them: 5,199 key.create entries came after its own.
    let search = h.get_by_label("Search keys");
    search.focus();
    search.type_text("imported-0");
    h.run();
    h.get_by_label("imported-0").click();
    h.run();
    assert_eq!(shown_key(&h).as_deref(), Some(keys[0].key_id.as_str()));
    assert!(
        h.query_by_label("key.create").is_some(),
        "the import is its creation"
    );
    assert!(
        h.query_by_label("No activity recorded for this key.")
            .is_none()
    );
}

#[test]
fn a_refused_save_is_said_in_the_panel_and_the_form_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, _) = unlocked(&dir, WIDE, named(&["reader", "writer"]));
    h.get_by_label("reader").click();
    h.run();
    h.get_by_label("Edit details…").click();
    h.run();
    h.get_by_label("Key name").focus();
    h.run();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[Key::A]);
    h.key_press(Key::Backspace);
    h.run();
    h.get_by_label("Key name").type_text("writer");
    h.run();
    h.get_by_label("Save details").click();
    h.run();
    h.run();
    assert!(
        h.query_all_by(|n| n.value().is_some_and(|v| v.contains("already exists"))
            || n.label().is_some_and(|l| l.contains("already exists")))
            .next()
            .is_some(),
        "the refusal is shown in the form"
    );
    assert!(h.query_by_label("Key name").is_some(), "the form stays");
    assert_eq!(h.state().status_text(), None, "not only in the status bar");
}
