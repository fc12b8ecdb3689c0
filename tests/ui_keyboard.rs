//! The key list by keyboard (issue 22, item 9 and "Keyboard-first"): Tab runs in reading
//! order with a ring on every stop, the table is one stop whose rows the arrow keys move, and
//! the list's keys never fire while a text field has focus.

mod common;

use common::PASS;
use common::window::{self, App};
use egui::Key;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::{NewKey, Preset, Vault};

/// acme/billing/prod with `names` keys (created in order, so the table lists the last first),
/// the window on it unlocked at 1200x800 with prod open and nothing focused.
fn unlocked(dir: &tempfile::TempDir, names: &[&str]) -> App {
    let path = dir.path().join("keyboard.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    for name in names {
        let new = NewKey {
            name: (*name).into(),
            ..NewKey::default()
        };
        v.create_key(env.id, new).expect("key");
    }
    drop(v);
    let mut h = window::app(
        path,
        egui::vec2(1200.0, 800.0),
        Some(dir.path().join("downloads")),
        MemoryClipboard::default(),
    );
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
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
