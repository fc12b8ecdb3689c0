//! What a screen reader hears (issue 22, "Screen readers"): the window frame carries the
//! window title, the key list is a table of rows and cells under named column headers,
//! pictograms have no accessible text, and every screen names its controls and shows no secret
//! outside the secret dialog's own label.

mod common;

use common::PASS;
use common::window::{self, App, Drive as _};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::Vault;

/// acme/billing/prod with `names` keys, the window on it (locked) at 1200x800.
fn window_on(dir: &tempfile::TempDir, names: &[&str]) -> App {
    let path = dir.path().join("a11y.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let env = window::acme(&mut v);
    window::add_keys(&mut v, env.id, names);
    drop(v);
    window::app_in(dir.path(), path, egui::vec2(1200.0, 800.0))
}

/// The window unlocked with prod open.
fn unlocked(dir: &tempfile::TempDir, names: &[&str]) -> App {
    let mut h = window_on(dir, names);
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
    h.get_by_label("Environment prod").click();
    h.run();
    h
}

fn frame_name(h: &App) -> Option<String> {
    let root = h.root();
    let node = root.accesskit_node();
    assert_eq!(node.role(), Role::Window);
    node.label()
}

#[test]
fn the_frame_is_named_after_the_window_title() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window_on(&dir, &[]);
    h.run();
    assert_eq!(
        frame_name(&h).as_deref(),
        Some("a11y.keyward (Locked) - Keyward")
    );
    window::unlock(&mut h, PASS);
    assert_eq!(
        frame_name(&h).as_deref(),
        Some("a11y.keyward (Unlocked) - Keyward")
    );
}

type Node<'a> = egui_kittest::Node<'a>;

/// The children a screen reader is given: egui's plain containers (`GenericContainer`) are
/// skipped, as AccessKit's platform adapters skip them, their children taking their place.
fn shown_children<'a>(node: &Node<'a>) -> Vec<Node<'a>> {
    let mut out = Vec::new();
    for child in node.children() {
        if child.accesskit_node().role() == Role::GenericContainer {
            out.extend(shown_children(&child));
        } else {
            out.push(child);
        }
    }
    out
}

/// What a reader says for a node: its name, or a label's text.
fn spoken(node: &Node<'_>) -> String {
    let n = node.accesskit_node();
    n.label().or_else(|| n.value()).unwrap_or_default()
}

/// Every name and label text at or under `node`.
fn spoken_under(node: &Node<'_>) -> Vec<String> {
    std::iter::once(*node)
        .chain(node.children_recursive())
        .map(|n| spoken(&n))
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn the_key_table_has_rows_of_cells_under_column_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = unlocked(&dir, &["reader", "writer"]);
    let table = h.get_by_role_and_label(Role::Table, "API keys");
    let rows = shown_children(&table);
    let roles: Vec<Role> = rows.iter().map(|r| r.accesskit_node().role()).collect();
    assert_eq!(roles, [Role::Row; 3], "a header row and a row per key");
    let headers = shown_children(&rows[0]);
    let names: Vec<String> = headers.iter().map(spoken).collect();
    assert!(
        headers
            .iter()
            .all(|c| c.accesskit_node().role() == Role::ColumnHeader),
        "{names:?}"
    );
    for want in [
        "Name column",
        "Expires column",
        "Status column",
        "Actions column",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let data = table.accesskit_node().data().clone();
    assert_eq!(data.row_count(), Some(3));
    assert_eq!(data.column_count(), Some(headers.len()));
    // Newest first: writer, then reader.
    for (row, name) in rows[1..].iter().zip(["writer", "reader"]) {
        let cells = shown_children(row);
        assert_eq!(cells.len(), headers.len(), "a cell under each header");
        assert!(
            cells
                .iter()
                .all(|c| c.accesskit_node().role() == Role::Cell)
        );
        let first = spoken_under(&cells[0]);
        assert!(first.contains(&format!("Select {name}")), "{first:?}");
        assert!(first.iter().any(|s| s == name), "{first:?}");
        let status = names
            .iter()
            .position(|n| n == "Status column")
            .expect("status");
        assert!(
            spoken_under(&cells[status])
                .iter()
                .any(|s| s.contains("Active")),
            "{:?}",
            spoken_under(&cells[status])
        );
        let last = spoken_under(cells.last().expect("cells"));
        assert!(last.contains(&format!("Actions for {name}")), "{last:?}");
        assert!(last.contains(&format!("Delete {name}")), "{last:?}");
    }
}

/// What a screen reader would be told wrongly on the current screen: a button, text field or
/// check box with no name, a pictogram read out, or `secret` anywhere but the secret dialog's
/// own label of it (one Label node whose text is the secret and nothing else).
fn faults(h: &App, secret: Option<&str>) -> Vec<String> {
    fn walk(node: &Node<'_>, secret: Option<&str>, shown: &mut usize, out: &mut Vec<String>) {
        let n = node.accesskit_node();
        if n.is_hidden() {
            return;
        }
        let role = n.role();
        let name = n.label().unwrap_or_default();
        let value = n.value().unwrap_or_default();
        let needs_name = matches!(
            role,
            Role::Button
                | Role::TextInput
                | Role::MultilineTextInput
                | Role::PasswordInput
                | Role::SearchInput
                | Role::CheckBox
        );
        if needs_name && name.trim().is_empty() {
            out.push(format!("unnamed {role:?} (value {value:?})"));
        }
        for text in [&name, &value] {
            if keyward::ui::has_pictogram(text) {
                out.push(format!("{role:?} reads out a pictogram: {text:?}"));
            }
        }
        if let Some(secret) = secret {
            if role == Role::Label && value == secret {
                *shown += 1;
            } else if name.contains(secret) || value.contains(secret) {
                out.push(format!("{role:?} {name:?} holds the secret"));
            }
        }
        for child in node.children() {
            walk(&child, secret, shown, out);
        }
    }
    let mut out = Vec::new();
    let mut shown = 0;
    walk(&h.root(), secret, &mut shown, &mut out);
    if shown > 1 {
        out.push(format!("the secret is shown by {shown} labels"));
    }
    out
}

fn assert_heard_right(h: &App, screen: &str, secret: Option<&str>) {
    let faults = faults(h, secret);
    assert!(faults.is_empty(), "{screen}: {faults:#?}");
}

/// Add New Key → a key named `name`: the secret dialog is open; its secret.
fn mint(h: &mut App, name: &str) -> String {
    h.click("Add New Key");
    let field = h.get_by_role_and_label(Role::TextInput, "Name");
    field.focus();
    field.type_text(name);
    h.run();
    h.click("Generate Key");
    h.state()
        .session()
        .and_then(|s| s.secret.as_ref())
        .map(|d| d.minted.secret.expose().to_owned())
        .expect("the secret dialog is open")
}

#[test]
fn pictograms_are_not_read_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, &["reader"]);
    // The status column's "⏺ Active", the search field's "🔍", the top bar's "🔑 Keyward".
    assert!(h.query_by_label("Active").is_some(), "the status in words");
    assert_heard_right(&h, "key list", None);
    let secret = mint(&mut h, "deployer");
    assert_heard_right(&h, "secret dialog", Some(&secret));
    h.click("Copy");
    // The status bar's "📋 Clipboard clears in N s".
    assert!(
        h.query_by(|n| n
            .value()
            .is_some_and(|v| v.starts_with("Clipboard clears in")))
            .is_some()
    );
    assert_heard_right(&h, "copied", Some(&secret));
}

#[test]
fn every_screen_names_its_controls_and_shows_no_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut create = window::app(
        dir.path().join("new.keyward"),
        egui::vec2(1200.0, 800.0),
        None,
        MemoryClipboard::default(),
    );
    create.run();
    assert_heard_right(&create, "create vault", None);

    let mut h = window_on(&dir, &["reader"]);
    h.run();
    assert_heard_right(&h, "unlock", None);
    window::unlock(&mut h, PASS);
    h.click("Environment prod");
    assert_heard_right(&h, "key list", None);
    h.click("Add New Key");
    assert_heard_right(&h, "Add New Key", None);
    h.key_press(egui::Key::Escape);
    h.run();
    let secret = mint(&mut h, "deployer");
    assert_heard_right(&h, "secret dialog", Some(&secret));
    h.click("Copy");
    h.click("Close");
    assert!(h.state().session().is_some_and(|s| s.secret.is_none()));
    let secret = Some(secret.as_str());
    assert_heard_right(&h, "key list after the secret", secret);
    h.click("Actions for deployer");
    h.click("Details of deployer");
    assert_heard_right(&h, "key details", secret);
    h.key_press(egui::Key::Escape);
    h.run();
    h.click("Health");
    assert_heard_right(&h, "Health", secret);
    h.click("Settings");
    assert_heard_right(&h, "Settings", secret);
    h.key_press(egui::Key::Escape);
    h.run();
    h.click("Vault");
    h.click("Activity of the whole vault");
    assert_heard_right(&h, "activity log", secret);
}
