//! The key list by keyboard and in bulk (issue 22, items 9 and 10): Tab runs in reading
//! order with a ring on every stop, the table is one stop whose rows the arrow keys move, and
//! the list's keys never fire while a text field has focus; ranges and the shown rows are
//! ticked at once and a bulk question names what it acts on.

mod common;

use common::PASS;
use common::window::{self, App, Drive as _};
use egui::Key;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::Vault;

/// acme/billing/prod with `names` keys (created in order, so the table lists the last first),
/// the window on it unlocked at 1200x800 with prod open and nothing focused.
fn unlocked(dir: &tempfile::TempDir, names: &[&str]) -> App {
    let path = dir.path().join("keyboard.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let env = window::acme(&mut v);
    window::add_keys(&mut v, env.id, names);
    drop(v);
    let mut h = window::unlocked_app(dir.path(), path, window::SIZE, PASS);
    h.get_by_label("Environment prod").click();
    h.run();
    h.key_press(Key::Escape);
    h.run();
    h
}

/// The focused widget's accessible name and rectangle.
fn focused(h: &App) -> Option<(String, egui::Rect)> {
    h.query_all_by(|n| n.is_focused())
        .map(|n| {
            let name = n.accesskit_node().label().unwrap_or_default();
            (name, n.rect())
        })
        .next()
}

fn press(h: &mut App, key: Key) {
    h.key_press(key);
    h.run();
}

/// Presses Tab and gives what has focus then.
fn tab(h: &mut App) -> (String, egui::Rect) {
    press(h, Key::Tab);
    focused(h).expect("Tab focuses something")
}

#[test]
fn tab_runs_in_reading_order_and_every_stop_shows_a_ring() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, &["reader", "writer"]);
    let mut stops: Vec<(String, egui::Rect)> = Vec::new();
    for _ in 0..60 {
        let stop = tab(&mut h);
        if stops.first().is_some_and(|first| first.0 == stop.0) {
            break;
        }
        let ring = h
            .state()
            .focus_ring()
            .expect("a ring around the focused widget");
        assert!(
            ring.contains_rect(stop.1.intersect(ring)) && ring.intersects(stop.1),
            "the ring {ring:?} outlines {} at {:?}",
            stop.0,
            stop.1
        );
        stops.push(stop);
    }
    let names: Vec<&str> = stops.iter().map(|(n, _)| n.as_str()).collect();
    let at = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{name} is no stop: {names:?}"))
    };
    assert!(
        at("Settings") < at("Vault") && at("Vault") < at("Lock"),
        "the top bar reads left to right: {names:?}"
    );
    // Within a line, each next stop is to the right of the last.
    for pair in stops.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let same_line = a.1.y_range().intersection(b.1.y_range()).span() > 4.0;
        assert!(
            !same_line || b.1.center().x > a.1.center().x,
            "{} comes after {} but sits left of it: {names:?}",
            b.0,
            a.0
        );
    }
    // The rows are not stops of their own.
    assert!(!names.iter().any(|n| n.contains("reader")), "{names:?}");
    assert!(names.contains(&"Keys table"), "{names:?}");
}

#[test]
fn tabs_and_chips_are_one_stop_each_moved_by_left_and_right() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, &["reader"]);
    h.get_by_label("API Keys").focus();
    h.run();
    press(&mut h, Key::ArrowRight);
    assert!(
        h.query_by_label("Add scope").is_some(),
        "Right chose the next tab"
    );
    assert_eq!(
        focused(&h).map(|f| f.0).as_deref(),
        Some("Scopes"),
        "and took the focus"
    );
    press(&mut h, Key::ArrowLeft);
    assert!(h.query_by_label("Keys table").is_some());
    assert_eq!(focused(&h).map(|f| f.0).as_deref(), Some("API Keys"));
}

#[test]
fn the_table_is_a_few_tabs_from_the_sidebar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, &["reader", "writer", "ci-bot"]);
    h.get_by_label("Environment prod").focus();
    h.run();
    let mut path = Vec::new();
    while path.len() < 30 {
        let (name, _) = tab(&mut h);
        path.push(name.clone());
        if name == "Keys table" {
            break;
        }
    }
    // The sidebar's resize handle, the findings banner's two buttons, the node's three,
    // the tabs, search, Add New Key, the status chips, the table: 11 (16 when every
    // breadcrumb, tab and chip was a stop, and more with each status shown).
    assert!(
        path.last().map(String::as_str) == Some("Keys table") && path.len() <= 11,
        "{} Tabs from the sidebar to the table: {path:?}",
        path.len()
    );
    for one_stop in ["Scopes", "Activity", "Active 3", "acme", "billing"] {
        assert!(!path.iter().any(|p| p == one_stop), "{one_stop}: {path:?}");
    }
}

fn ticked(h: &App, name: &str) -> bool {
    h.get_by_label(&format!("Select {name}"))
        .accesskit_node()
        .toggled()
        == Some(egui::accesskit::Toggled::True)
}

fn ticked_count(h: &App) -> usize {
    h.state().session().expect("unlocked").keys.selected_len()
}

/// The current row's key name.
fn current(h: &App) -> Option<String> {
    let keys = &h.state().session().expect("unlocked").keys;
    keys.cursor_key().map(|k| k.name.to_owned())
}

#[test]
fn arrows_move_the_current_row_space_ticks_enter_opens_delete_asks_to_revoke() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Listed newest first: deploy, ci-bot, writer, reader.
    let mut h = unlocked(&dir, &["reader", "writer", "ci-bot", "deploy"]);
    h.get_by_label("Keys table").focus();
    h.run();
    press(&mut h, Key::ArrowDown);
    assert_eq!(
        current(&h).as_deref(),
        Some("deploy"),
        "Down starts at the top"
    );
    press(&mut h, Key::ArrowDown);
    press(&mut h, Key::ArrowDown);
    assert_eq!(current(&h).as_deref(), Some("writer"));
    assert_eq!(
        focused(&h).map(|f| f.0).as_deref(),
        Some("Keys table"),
        "the arrows stay on the table"
    );
    press(&mut h, Key::Space);
    assert!(ticked(&h, "writer") && !ticked(&h, "ci-bot"));
    press(&mut h, Key::ArrowUp);
    press(&mut h, Key::Space);
    assert!(ticked(&h, "ci-bot") && ticked(&h, "writer"));
    press(&mut h, Key::Space);
    assert!(!ticked(&h, "ci-bot"), "Space again unticks");
    press(&mut h, Key::End);
    assert_eq!(current(&h).as_deref(), Some("reader"));
    press(&mut h, Key::Enter);
    assert!(
        h.query_by_label("Key reader").is_some(),
        "Enter opened its details"
    );
    press(&mut h, Key::Escape);
    assert!(h.query_by_label("Key reader").is_none());
    h.get_by_label("Keys table").focus();
    h.run();
    press(&mut h, Key::Delete);
    assert!(
        h.query_by_label("Revoke reader?").is_some(),
        "Delete asks first, with the existing confirmation"
    );
    h.get_by_label("Revoke key").click();
    h.run();
    assert_eq!(h.state().status_text(), Some("Revoked reader"));
    h.get_by_label("Keys table").focus();
    h.run();
    press(&mut h, Key::Escape);
    assert_eq!(ticked_count(&h), 0, "Esc unticks everything");
}

#[test]
fn ctrl_a_ticks_the_rows_shown_and_typing_in_search_ticks_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, &["reader", "writer", "reader-2"]);
    h.get_by_label("Keys table").focus();
    h.run();
    press(&mut h, Key::ArrowDown);
    let search = h.get_by_label("Search keys");
    search.focus();
    search.type_text("reader ");
    h.run();
    press(&mut h, Key::ArrowDown);
    press(&mut h, Key::Space);
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[Key::A]);
    h.run();
    assert_eq!(ticked_count(&h), 0, "keys typed in search are the search's");
    assert_eq!(
        h.get_by_label("Search keys").value().as_deref(),
        Some("reader "),
        "and stayed in it"
    );
    h.get_by_label("Keys table").focus();
    h.run();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[Key::A]);
    h.run();
    assert_eq!(ticked_count(&h), 2, "the two rows the search shows");
    assert!(ticked(&h, "reader") && ticked(&h, "reader-2"));
    let keys = &h.state().session().expect("unlocked").keys;
    assert!(
        !keys.selection().any(|k| k.name == "writer"),
        "the hidden row stays unticked"
    );
}

#[test]
fn f1_or_question_mark_lists_every_shortcut_of_the_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, &["reader"]);
    press(&mut h, Key::F1);
    assert!(h.has_text("Keyboard shortcuts"), "F1 opened the list");
    for s in keyward::ui::shortcuts::SHORTCUTS {
        assert!(h.has_text(s.what), "{} is listed", s.what);
        assert!(
            h.has_text(&s.keys_text()),
            "with its keys {}",
            s.keys_text()
        );
    }
    assert!(h.has_text("Ctrl+A") && h.has_text("F1 or ?"));
    press(&mut h, Key::Escape);
    assert!(!h.has_text("Keyboard shortcuts"));

    // A ? typed in the search field is text, not the shortcut.
    let search = h.get_by_label("Search keys");
    search.focus();
    search.type_text("?");
    h.key_press(Key::Questionmark);
    h.run();
    assert!(!h.has_text("Keyboard shortcuts"));
    h.get_by_label("Keys table").focus();
    h.run();
    press(&mut h, Key::Questionmark);
    assert!(h.has_text("Keyboard shortcuts"), "? on the table opened it");
}

/// Presses Tab until `label` has focus (at most 40 times).
fn tab_to(h: &mut App, label: &str) {
    let mut seen = Vec::new();
    for _ in 0..40 {
        let (name, _) = tab(h);
        if name == label {
            return;
        }
        seen.push(name);
    }
    panic!("Tab never reached {label}: {seen:?}");
}

/// Types `text` as a keyboard does, into whatever has focus.
fn type_keys(h: &mut App, text: &str) {
    h.event(egui::Event::Text(text.into()));
    h.run();
}

#[test]
fn a_whole_seed_flow_by_keyboard_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys-only.keyward");
    Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let clipboard = MemoryClipboard::default();
    let mut h = window::app(
        path,
        egui::vec2(1200.0, 800.0),
        Some(dir.path().join("downloads")),
        clipboard.clone(),
    );
    h.run();
    // The passphrase field has focus on the unlock screen.
    type_keys(&mut h, PASS);
    h.key_press(Key::Enter);
    window::settle(&mut h);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());

    for (button, name) in [
        ("Add workspace", "acme"),
        ("Add project", "billing"),
        ("Add environment", "prod"),
    ] {
        tab_to(&mut h, button);
        press(&mut h, Key::Enter);
        type_keys(&mut h, name);
        tab_to(&mut h, "Add");
        press(&mut h, Key::Enter);
        assert!(
            h.state().status_text().is_some_and(|s| s.ends_with(name)),
            "{button}: {:?}",
            h.state().status_text()
        );
    }
    tab_to(&mut h, "Add New Key");
    press(&mut h, Key::Enter);
    type_keys(&mut h, "ci-deployer");
    tab_to(&mut h, "Generate Key");
    press(&mut h, Key::Enter);
    assert!(h.state().session().is_some_and(|s| s.secret.is_some()));
    tab_to(&mut h, "Copy");
    press(&mut h, Key::Enter);
    assert!(
        clipboard.text().is_some_and(|t| t.starts_with("kw_")),
        "the secret was copied"
    );
    tab_to(&mut h, "Close");
    press(&mut h, Key::Enter);
    assert!(h.state().session().is_some_and(|s| s.secret.is_none()));

    tab_to(&mut h, "Keys table");
    press(&mut h, Key::ArrowDown);
    press(&mut h, Key::Delete);
    tab_to(&mut h, "Revoke key");
    press(&mut h, Key::Enter);
    assert_eq!(h.state().status_text(), Some("Revoked ci-deployer"));
}

#[test]
fn bulk_ticks_ranges_and_the_shown_rows_and_the_question_names_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Listed newest first: svc-5 … svc-0, ci-bot, writer, reader.
    let mut h = unlocked(
        &dir,
        &[
            "reader", "writer", "ci-bot", "svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5",
        ],
    );
    h.get_by_label("Select svc-4").click();
    h.run();
    h.get_by_label("Select svc-1")
        .click_modifiers(egui::Modifiers::SHIFT);
    h.run();
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    h.run();
    for (name, on) in [
        ("svc-5", false),
        ("svc-4", true),
        ("svc-3", true),
        ("svc-2", true),
        ("svc-1", true),
        ("svc-0", false),
    ] {
        assert_eq!(ticked(&h, name), on, "shift-click ticked the run: {name}");
    }
    h.get_by_label("Select all shown").click();
    h.run();
    assert_eq!(ticked_count(&h), 9);
    h.get_by_label("Select all shown").click();
    h.run();
    assert_eq!(ticked_count(&h), 0, "and unticks them again");

    let search = h.get_by_label("Search keys");
    search.focus();
    search.type_text("svc");
    h.run();
    h.get_by_label("Select all shown").click();
    h.run();
    assert_eq!(ticked_count(&h), 6, "only the rows the search shows");
    h.get_by_label("Revoke selected").click();
    h.run();
    assert!(
        h.has_text("Revoke 6 keys: svc-5, svc-4, svc-3 and 3 more?"),
        "the question names the count and the first keys"
    );
    h.get_by_label("Revoke keys").click();
    h.run();
    assert_eq!(h.state().status_text(), Some("Revoked 6 keys"));
    assert_eq!(ticked_count(&h), 0);
}
