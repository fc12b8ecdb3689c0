//! The window for daily use (issue 22): typing lands where it shows, dates mean the local
//! day, one meaning of "expiring soon", an honest scan summary, and a secret dialog that asks
//! before it revokes.

mod common;

use common::PASS;
use common::window::{self, App, Drive as _};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::{NewKey, Vault};

/// A vault with acme/billing/prod prepared through the library, then the window on it,
/// unlocked, at 1200x800.
fn unlocked(dir: &tempfile::TempDir, prepare: impl FnOnce(&mut Vault)) -> App {
    let path = dir.path().join("daily.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    window::acme(&mut v);
    prepare(&mut v);
    drop(v);
    window::unlocked_app(dir.path(), path, window::SIZE, PASS)
}

/// The accessible names of the focused widgets.
fn focused(h: &App) -> Vec<String> {
    h.query_all_by(|n| n.is_focused())
        .map(|n| {
            let n = n.accesskit_node();
            n.label().or_else(|| n.value()).unwrap_or_default()
        })
        .collect()
}

/// A press and release of the primary button at `pos`.
fn click_at(h: &mut App, pos: egui::Pos2) {
    h.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run();
}

/// The plain text label (not the field it names) reading `text`.
fn label_rect(h: &App, text: &str) -> egui::Rect {
    h.query_all_by(|n| n.role() == Role::Label && n.value().as_deref() == Some(text))
        .map(|n| n.rect())
        .next()
        .unwrap_or_else(|| panic!("no label '{text}'"))
}

const AUTO_LOCK: &str = "Auto-lock after (minutes, 0 = never)";

#[test]
fn settings_open_with_nothing_focused_and_stray_typing_lands_nowhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |_| {});
    h.click("Settings");
    assert_eq!(focused(&h), Vec::<String>::new(), "nothing focused on open");
    h.event(egui::Event::Text("half a pass".into()));
    h.run();
    assert_eq!(h.field_value(AUTO_LOCK), "5", "stray typing went nowhere");

    // A click on a label (a near miss of its field) leaves nothing focused either.
    h.type_into("Current passphrase", "x");
    let near_miss = label_rect(&h, "Repeat new passphrase").center();
    click_at(&mut h, near_miss);
    h.event(egui::Event::Text("more".into()));
    h.run();
    assert_eq!(h.field_value(AUTO_LOCK), "5");
    assert!(
        !focused(&h).iter().any(|f| f == AUTO_LOCK),
        "{:?}",
        focused(&h)
    );
}

#[test]
fn settings_numbers_are_checked_as_typed_and_never_saved_silently_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |_| {});
    h.click("Settings");
    h.clear(AUTO_LOCK);
    h.type_into(AUTO_LOCK, "abc");
    assert!(
        h.has_text("Auto-lock: a whole number of minutes from 0 to 240"),
        "the reason is shown as typed"
    );
    assert!(h.is_disabled("Save settings"), "no save while invalid");
    h.click("Save settings");
    assert_eq!(h.state().settings.auto_lock_minutes, 5, "nothing saved");
    assert!(!h.has_text("Settings saved"));

    h.clear("Clear clipboard after (seconds)");
    h.type_into("Clear clipboard after (seconds)", "2");
    assert!(h.has_text("Clipboard: a whole number of seconds from 5 to 600"));

    h.clear(AUTO_LOCK);
    h.type_into(AUTO_LOCK, "15");
    h.clear("Clear clipboard after (seconds)");
    h.type_into("Clear clipboard after (seconds)", "45");
    assert!(!h.is_disabled("Save settings"));
    h.click("Save settings");
    assert_eq!(h.state().settings.auto_lock_minutes, 15);
    assert_eq!(h.state().settings.clipboard_seconds, 45);
}

#[test]
fn settings_passphrase_fields_are_empty_when_reopened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |_| {});
    for close in ["Escape", "Save settings"] {
        h.click("Settings");
        h.type_into("Current passphrase", "typed then left");
        h.type_into("New passphrase", "typed then left");
        if close == "Escape" {
            h.key_press(egui::Key::Escape);
            h.run();
        } else {
            h.click(close);
        }
        h.click("Settings");
        assert_eq!(h.field_value("Current passphrase"), "", "after {close}");
        assert_eq!(h.field_value("New passphrase"), "", "after {close}");
        h.key_press(egui::Key::Escape);
        h.run();
    }
}

#[test]
fn settings_is_one_form_with_one_save_and_the_passphrase_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |_| {});
    h.click("Settings");
    let saves: Vec<String> = h
        .query_all_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Save")))
        .filter_map(|n| n.accesskit_node().label())
        .collect();
    assert_eq!(saves, ["Save settings"], "one Save");
    // The form and its Save come first; the passphrase change is its own section below,
    // with its own button, and the Save does not take its fields.
    let save = h.get_by_label("Save settings").rect();
    let current = h.get_by_label("Current passphrase").rect();
    assert!(save.bottom() < current.top(), "{save:?} {current:?}");
    assert!(h.has_text("Change the vault passphrase"));
    h.type_into("Current passphrase", "not saved with the form");
    h.click("Save settings");
    assert!(h.has_text("Settings saved"));
    assert!(h.state().session().is_some_and(|s| s.dialog.is_none()));
}

/// A key in acme/billing/prod expiring `days` (and an hour) from now, or never.
fn key(v: &mut Vault, name: &str, days: Option<i64>) {
    let env = v.resolve("acme/billing/prod").expect("env");
    let expires_at = days.map(|d| v.now() + d * 86_400 + 3_600);
    v.create_key(env.id, NewKey::named(name).expires_at(expires_at))
        .expect("key");
}

#[test]
fn every_key_health_lists_as_expiring_is_marked_in_the_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |v| {
        key(v, "ten-days", Some(10));
        key(v, "five-days", Some(5));
        key(v, "sixty-days", Some(60));
    });
    h.click("Environment prod");
    // The status keeps the spec's 7 days; the expiry cell says how soon within Health's 30.
    assert!(h.has_text("in 10 days"), "the 10-day key is marked");
    assert!(h.has_text("in 5 days"));
    assert!(!h.has_text("in 60 days"), "beyond the warning window");
    // The chip fits its column: it ends before the next column's header begins (beside the
    // date it ran under Last used).
    let chip = h.get_by_label("in 10 days").rect();
    let expires = h.get_by_label("Expires").rect();
    let next = h.get_by_label("Last used").rect();
    assert!(
        chip.left() >= expires.left() - 1.0 && chip.right() <= next.left(),
        "the chip {chip:?} runs out of its column ({expires:?} .. {next:?})"
    );
    h.click("Health");
    assert!(h.has_text("Expires within 30 days"));
    assert!(h.has_text("Expires within 7 days"));
}

/// Scans `root` from the Health view and returns the summary.
fn scan(h: &mut App, root: &std::path::Path) -> String {
    h.click("Health");
    h.type_into("Folder", &root.display().to_string());
    h.click("Scan");
    for _ in 0..2000 {
        h.step();
        if h.state().session().is_some_and(|s| s.scan.job.is_none()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.run();
    h.state()
        .session()
        .and_then(|s| s.scan.result.clone())
        .expect("a result")
}

#[test]
fn a_scan_counts_places_and_does_not_call_a_deleted_key_another_vaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut revoked, mut deleted) = (String::new(), String::new());
    let mut h = unlocked(&dir, |v| {
        let env = v.resolve("acme/billing/prod").expect("env");
        let (old, secret) = window::mint(v, env.id, "old");
        revoked = secret;
        let (gone, secret) = window::mint(v, env.id, "gone");
        deleted = secret;
        v.revoke_key(&old).expect("revoke");
        v.delete_key(&gone).expect("delete");
    });
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&root).expect("dir");
    std::fs::write(
        root.join("app.env"),
        format!("A={revoked} B={revoked}\nC={deleted},{deleted}\n"),
    )
    .expect("plant");
    let result = scan(&mut h, &root);
    assert!(
        result.contains("1 secret that no longer works"),
        "twice on one line is one place: {result}"
    );
    assert!(
        result.contains("1 key not in this vault (deleted, or another vault's)"),
        "{result}"
    );
    assert!(!result.contains("of another vault"), "{result}");
}

#[test]
fn a_single_member_vault_asks_for_no_member_name_and_a_wrong_passphrase_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("one.keyward");
    Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let mut h = window::app(
        path,
        egui::vec2(1200.0, 800.0),
        None,
        MemoryClipboard::default(),
    );
    h.run();
    assert!(
        h.query_by_label("Member").is_none(),
        "one member: no Member field"
    );
    window::unlock(&mut h, "not the passphrase");
    assert!(h.state().is_locked());
    assert!(h.has_text("Wrong passphrase"));
    assert_eq!(h.field_value("Passphrase"), "", "the wrong one is gone");
    h.get_by_label("Passphrase").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run();
    assert_eq!(
        h.field_value("Passphrase"),
        "",
        "and not kept in the field's undo history"
    );
    // Retyped at once, with nothing cleared by hand.
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
}

#[test]
fn deleting_a_key_names_it_and_an_idle_lock_says_why_on_the_unlock_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |v| key(v, "worker", Some(60)));
    h.click("Environment prod");
    h.click("Delete worker");
    h.click("Delete key");
    let status = h.state().status_text().unwrap_or_default();
    assert_eq!(
        status, "Deleted worker",
        "named as the other messages name keys"
    );

    h.state_mut().settings.auto_lock_minutes = 1;
    for _ in 0..30 {
        h.run_steps(20);
        if h.state().is_locked() {
            break;
        }
    }
    assert!(h.state().is_locked());
    assert!(
        h.has_text("Locked after 1 minute idle"),
        "the unlock screen says why"
    );
}

#[test]
fn after_unlock_the_key_list_keeps_its_sort() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |v| {
        for name in ["beta", "alpha", "gamma"] {
            key(v, name, None);
        }
    });
    h.click("Environment prod");
    let sort = |h: &App| {
        let keys = &h.state().session().expect("unlocked").keys;
        let first = keys.visible_row(0).name.to_owned();
        (format!("{:?}", keys.sort()), first)
    };
    assert_eq!(sort(&h).0, "(Created, true)", "newest first");
    h.click("Name");
    assert_eq!(sort(&h), ("(Name, false)".to_owned(), "alpha".to_owned()));
    h.state_mut().lock();
    h.run();
    window::unlock(&mut h, PASS);
    assert_eq!(
        sort(&h),
        ("(Name, false)".to_owned(), "alpha".to_owned()),
        "still by name after unlock"
    );
}

#[test]
fn a_second_full_access_key_is_refused_naming_the_master() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |v| {
        let env = v.resolve("acme/billing/prod").expect("env");
        v.master_key(env.id).expect("master");
    });
    h.click("Environment prod");
    h.click("Add New Key");
    // The field, not the table's Name header.
    let name = h.get_by(|n| n.role() == Role::TextInput && n.label().as_deref() == Some("Name"));
    name.focus();
    name.type_text("deployer");
    h.run();
    assert!(!h.is_disabled("Generate Key"));
    h.click("Full access (every scope, now and later)");
    assert!(h.is_disabled("Generate Key"), "a second master is refused");
    assert!(h.has_text("master is already this node's full-access (master) key"));
    h.click("Full access (every scope, now and later)");
    assert!(!h.is_disabled("Generate Key"), "scoped keys are fine");
}
