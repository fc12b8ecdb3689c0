//! The window holds still and shows what it opens (issue 22, items 4 and 5): the expiry
//! calendar opens above Add New Key at both window sizes, the secret dialog's buttons are
//! on screen without scrolling, and nothing moves under the cursor.

mod common;

use common::PASS;
use common::window::{self, App, Drive as _};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::vault::{NewKey, Preset, Scope, Vault};

const SMALL: [f32; 2] = [760.0, 480.0];
const LARGE: [f32; 2] = [1180.0, 760.0];

/// acme/billing/prod; the window on it at `size`, unlocked, the environment open.
fn unlocked(dir: &tempfile::TempDir, size: [f32; 2]) -> App {
    unlocked_with(dir, size, Preset::ReadWrite)
}

/// As [`unlocked`], the workspace made from `preset` (a longer scope list, a taller dialog).
fn unlocked_with(dir: &tempfile::TempDir, size: [f32; 2], preset: Preset) -> App {
    unlocked_scoped(dir, size, preset, 0)
}

/// As [`unlocked_with`], with `extra` more scopes: Add New Key taller than a small window.
fn unlocked_scoped(dir: &tempfile::TempDir, size: [f32; 2], preset: Preset, extra: usize) -> App {
    unlocked_keyed(dir, size, preset, extra, 0)
}

/// As [`unlocked_scoped`], with `keys` never-expiring keys in prod (each a health finding).
fn unlocked_keyed(
    dir: &tempfile::TempDir,
    size: [f32; 2],
    preset: Preset,
    extra: usize,
    keys: usize,
) -> App {
    let path = dir.path().join("steady.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("acme", preset).expect("ws");
    for i in 0..extra {
        let id = format!("extra{i}:read");
        v.add_scope(ws.id, Scope::new(&id, &id, "", false, false))
            .expect("scope");
    }
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    for i in 0..keys {
        let new = NewKey::named(format!("key-{i}"));
        v.create_key(env.id, new).expect("key");
    }
    drop(v);
    let mut h = window::unlocked_app(dir.path(), path, egui::vec2(size[0], size[1]), PASS);
    h.click("Environment prod");
    h
}

/// A click as a hand makes it: scrolled to, the pointer moves there, then presses and releases in frames
/// of their own.
fn hand_click(h: &mut App, label: &str) {
    // Scrolled into view first, as a hand would scroll to it.
    h.get_by_label(label).scroll_to_me();
    h.run();
    let pos = h.get_by_label(label).rect().center();
    h.event(egui::Event::PointerMoved(pos));
    h.step();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        });
        h.step();
        h.step();
    }
    h.run();
}

/// The topmost layer that takes a pointer at the centre of `label`.
fn layer_under(h: &App, label: &str) -> Option<egui::LayerId> {
    let at = h.get_by_label(label).rect().center();
    h.ctx.layer_id_at(at)
}

/// Asserts `label` lies wholly inside the window.
fn on_screen(h: &App, label: &str) {
    let window = h.ctx.content_rect();
    let rect = h.get_by_label(label).rect();
    assert!(
        window.contains_rect(rect),
        "{label} at {rect:?} is outside the {window:?} window"
    );
}

fn calendar_opens_above_the_dialog(size: [f32; 2], preset: Preset, extra: usize, keys: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked_keyed(&dir, size, preset, extra, keys);
    // Another dialog shown and closed first (as the one about secrets never handed over).
    hand_click(&mut h, "Settings");
    h.key_press(egui::Key::Escape);
    h.run();
    hand_click(&mut h, "Add New Key");
    hand_click(&mut h, "Custom date");
    // Opened and closed once, then the dialog clicked (it comes to the top): the calendar
    // opened again must still come above it.
    hand_click(&mut h, "Pick expiry date");
    h.key_press(egui::Key::Escape);
    h.run();
    hand_click(&mut h, "Expiry date (YYYY-MM-DD)");
    on_screen(&h, "Pick expiry date");
    let dialog = layer_under(&h, "Pick expiry date");
    hand_click(&mut h, "Pick expiry date");
    assert!(
        h.query_by_label("Next month").is_some(),
        "the calendar opened at {size:?}"
    );
    on_screen(&h, "Next month");
    // What a pointer reaches there is the calendar, not the dialog drawn over it.
    let calendar = layer_under(&h, "Next month");
    assert_ne!(calendar, dialog, "the calendar is drawn behind the dialog");
    // And a day in it is picked by a click.
    let day = h
        .query_all_by(|n| {
            n.role() == egui::accesskit::Role::Button
                && n.label()
                    .is_some_and(|l| l.len() == 10 && l.as_bytes()[4] == b'-')
                && !n.is_disabled()
        })
        .last()
        .map(|n| n.accesskit_node().label().unwrap_or_default())
        .expect("an enabled day");
    on_screen(&h, &day);
    hand_click(&mut h, &day);
    assert_eq!(
        h.get_by_label("Expiry date (YYYY-MM-DD)")
            .value()
            .as_deref(),
        Some(day.as_str()),
        "the click on {day} reached the calendar"
    );
}

#[test]
fn the_calendar_opens_above_add_new_key_in_a_small_window() {
    for preset in Preset::ALL {
        calendar_opens_above_the_dialog(SMALL, preset, 0, 0);
    }
    // A dialog taller than the window, scrolled down to the date.
    calendar_opens_above_the_dialog(SMALL, Preset::ReadWrite, 12, 0);
    // Keys listed behind the dialog, the findings banner under them.
    calendar_opens_above_the_dialog(SMALL, Preset::ReadWrite, 0, 2);
}

#[test]
fn the_calendar_opens_above_add_new_key_in_a_large_window() {
    for preset in Preset::ALL {
        calendar_opens_above_the_dialog(LARGE, preset, 0, 0);
    }
    calendar_opens_above_the_dialog(LARGE, Preset::ReadWrite, 12, 0);
    calendar_opens_above_the_dialog(LARGE, Preset::ReadWrite, 0, 2);
}

fn secret_buttons_on_screen(size: [f32; 2]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, size);
    h.click("Add New Key");
    let name = h.get_by_label("Name");
    name.focus();
    name.type_text("ci-deployer");
    h.run();
    h.click("Generate Key");
    assert!(
        h.query_by_label("Copy").is_some(),
        "the secret dialog is open"
    );
    for label in ["Copy", "Download .json", "Close"] {
        on_screen(&h, label);
    }
    // Closing the window while the secret is unseen adds the reason and "Discard and
    // revoke": all on screen too.
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.run();
    for label in ["Discard and revoke", "Copy", "Download .json", "Close"] {
        on_screen(&h, label);
    }
    // Drawn is not enough: a click at the button's centre must reach it, not a scrolled-away
    // part of the dialog.
    h.click("Download .json");
    let secret = h
        .state()
        .session()
        .and_then(|s| s.secret.as_ref())
        .expect("secret dialog");
    assert!(
        secret.downloaded.is_some(),
        "Download was reached at {size:?}"
    );
    h.click("Copy");
    h.click("Close");
    assert!(
        h.state().session().is_none_or(|s| s.secret.is_none()),
        "Close was reached at {size:?}"
    );
}

#[test]
fn the_secret_dialogs_buttons_show_without_scrolling_in_a_small_window() {
    secret_buttons_on_screen(SMALL);
}

#[test]
fn the_secret_dialogs_buttons_show_without_scrolling_in_a_large_window() {
    secret_buttons_on_screen(LARGE);
}

/// The table does not move when the findings banner comes or goes: after unlock, after a
/// visit to Health, after Dismiss.
#[test]
fn the_key_table_stays_put_when_the_findings_banner_comes_and_goes() {
    for size in [SMALL, LARGE] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut h = unlocked_keyed(&dir, size, Preset::ReadWrite, 0, 3);
        assert!(
            h.state().session().expect("unlocked").open_findings() > 0,
            "the keys never expire: findings"
        );
        let row = |h: &App| h.get_by_label("Actions for key-0").rect();
        let first = row(&h);
        assert!(
            h.query_by_label("Open Health").is_some(),
            "the banner shows"
        );
        h.click("Health");
        h.click("Environment prod");
        assert_eq!(row(&h), first, "back from Health at {size:?}");

        let dir = tempfile::tempdir().expect("tempdir");
        let mut h = unlocked_keyed(&dir, size, Preset::ReadWrite, 0, 3);
        let first = row(&h);
        h.click("Dismiss");
        assert_eq!(row(&h), first, "after Dismiss at {size:?}");
    }
}

/// Add New Key keeps its place when its content changes (Custom date adds a field, Never a
/// warning): the Name field stays under the cursor.
#[test]
fn add_new_key_keeps_its_place_when_its_content_grows() {
    for size in [SMALL, LARGE] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut h = unlocked(&dir, size);
        hand_click(&mut h, "Add New Key");
        let name = |h: &App| h.get_by_label("Name").rect();
        let first = name(&h);
        for choice in ["Custom date", "Never", "7 days", "Custom date"] {
            hand_click(&mut h, choice);
            assert_eq!(name(&h), first, "after {choice} at {size:?}");
        }
        // Closed and opened again, it is centred again (and stays put as before).
        h.key_press(egui::Key::Escape);
        h.run();
        assert!(h.query_by_label("Name").is_none(), "closed");
        hand_click(&mut h, "Add New Key");
        assert!(h.query_by_label("Name").is_some(), "open again");
    }
}
