//! What a screen reader hears (issue 22, "Screen readers"): the window frame carries the
//! window title, the key list is a table of rows and cells under named column headers,
//! pictograms have no accessible text, and every screen names its controls and shows no secret
//! outside the secret dialog's own label.

mod common;

use common::PASS;
use common::window::{self, App};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::{NewKey, Preset, Vault};

/// acme/billing/prod with `names` keys, the window on it (locked) at 1200x800.
fn window_on(dir: &tempfile::TempDir, names: &[&str]) -> App {
    let path = dir.path().join("a11y.keyward");
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
    window::app(
        path,
        egui::vec2(1200.0, 800.0),
        Some(dir.path().join("downloads")),
        MemoryClipboard::default(),
    )
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
