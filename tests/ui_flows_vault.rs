//! The window's vault, driven whole through egui_kittest (no display): creating and unlocking it,
//! locking (Ctrl+L, idle), what is kept across a lock, Settings (passphrase, members) and a
//! member unlocking with their own name.

mod common;

use common::PASS;
use common::window::{self, Drive as _, MemoryStorage, Setup, Window, acme};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::vault::{Preset, Vault};

#[test]
fn create_vault_refuses_a_mismatch_then_creates() {
    let mut w = Setup::default().window();
    assert!(
        w.has("Confirm passphrase"),
        "a new vault asks for confirmation"
    );
    w.type_into("Passphrase", PASS);
    w.type_into("Confirm passphrase", "something else");
    assert!(w.is_disabled("Create vault"));
    assert!(w.has_text("The passphrases do not match"));
    assert!(w.has_text("Strength:"), "a strength hint is shown");
    w.click("Create vault");
    assert!(!w.vault.exists(), "nothing is created on a mismatch");

    // Show toggle, then fix the confirmation.
    w.click("Show passphrase");
    assert!(w.is_checked("Show passphrase"));
    w.clear("Confirm passphrase");
    w.type_into("Confirm passphrase", PASS);
    assert!(!w.is_disabled("Create vault"));
    w.harness.get_by_label("Create vault").click();
    w.settle();
    assert!(!w.app().is_locked());
    assert!(w.vault.exists());
    assert!(
        Vault::open(&w.vault, PASS).is_ok(),
        "the window's vault opens with that passphrase"
    );
    assert!(
        w.has("Add workspace"),
        "an empty vault invites a first workspace"
    );
}

#[test]
fn unlock_with_a_wrong_then_the_right_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ui.keyward");
    Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let mut w = Setup::default().window_in(dir);
    assert!(!w.has("Confirm passphrase"));
    w.unlock("not the passphrase");
    assert!(w.app().is_locked());
    assert!(w.has_text("Wrong passphrase. Try again."));
    w.clear("Passphrase");
    w.unlock(PASS);
    assert!(!w.app().is_locked());
    assert!(!w.has_text("Wrong passphrase"));
}

#[test]
fn ctrl_l_locks_and_clears_the_clipboard() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    let secret = w.generate_key("lock-test");
    w.click("Copy");
    assert_eq!(w.clipboard.text().as_deref(), Some(secret.as_str()));
    w.press(egui::Modifiers::COMMAND, egui::Key::L);
    assert!(w.app().is_locked());
    assert_eq!(
        w.clipboard.text(),
        None,
        "locking clears the secret from the clipboard"
    );
    assert!(!w.has_text(&secret));
    assert!(w.has("Unlock"));
}

#[test]
fn the_window_locks_itself_after_idle_minutes() {
    let mut w = Setup::default().unlocked(acme);
    w.harness.state_mut().settings.auto_lock_minutes = 1;
    w.select("prod");
    assert!(!w.app().is_locked());
    // No input for more than a minute of harness time.
    for _ in 0..30 {
        w.harness.run_steps(20);
        if w.app().is_locked() {
            break;
        }
    }
    assert!(w.app().is_locked(), "idle for a minute locks the vault");
    assert!(
        w.app().session().is_none(),
        "locking drops the decrypted state"
    );
}

#[test]
fn the_last_selected_node_comes_back_after_lock_and_is_saved() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    w.press(egui::Modifiers::COMMAND, egui::Key::L);
    assert!(w.app().is_locked());
    let prod = w
        .open_vault()
        .resolve("acme/billing/prod")
        .expect("prod")
        .id;
    assert_eq!(w.app().settings.last_node_id, Some(prod));
    w.unlock(PASS);
    let selected = w
        .app()
        .session()
        .and_then(|s| s.selected_node())
        .map(|n| n.path.clone());
    assert_eq!(selected.as_deref(), Some("acme/billing/prod"));

    // What eframe stores between runs.
    let mut storage = MemoryStorage::default();
    eframe::App::save(w.harness.state_mut(), &mut storage);
    let saved: keyward::ui::Settings =
        eframe::get_value(&storage, "keyward.settings").expect("settings are saved");
    assert_eq!(saved.last_node_id, Some(prod));
    // Stored as an id: the settings file is plaintext and names stay in the vault.
    let raw = storage.0.get("keyward.settings").expect("raw settings");
    assert!(!raw.contains("prod") && !raw.contains("billing"), "{raw}");
}

#[test]
fn settings_change_the_clipboard_timeout_and_the_passphrase() {
    let mut w = Setup::default().unlocked(acme);
    w.click("Settings");
    // Its button rows are right-aligned alike (they once shared one remembered width and took
    // turns, redrawing every frame twice).
    let right = |w: &Window, label: &str| w.harness.get_by_label(label).rect().right();
    let save = right(&w, "Save settings");
    assert!(
        (save - right(&w, "Change passphrase")).abs() < 1.0,
        "{save} vs {}",
        right(&w, "Change passphrase")
    );
    w.click("Dark");
    w.click("Save settings");
    assert_eq!(
        w.app().settings.theme,
        keyward::ui::theme::ThemeChoice::Dark
    );

    w.click("Settings");
    w.type_into("Current passphrase", "not the passphrase");
    w.type_into("New passphrase", "whatever 123 456");
    w.type_into("Repeat new passphrase", "whatever 123 456");
    w.harness.get_by_label("Change passphrase").click();
    w.settle();
    assert!(w.has_text("The current passphrase is wrong."));
    assert!(Vault::open(&w.vault, PASS).is_ok(), "nothing changed");
    w.press(egui::Modifiers::NONE, egui::Key::Escape);

    w.click("Settings");
    w.type_into("Current passphrase", PASS);
    w.type_into("New passphrase", "a brand new passphrase 99");
    w.type_into("Repeat new passphrase", "a brand new passphrase 99");
    w.harness.get_by_label("Change passphrase").click();
    w.settle();
    assert!(
        w.app()
            .status_text()
            .is_some_and(|s| s.contains("Passphrase changed"))
    );
    assert!(Vault::open(&w.vault, "a brand new passphrase 99").is_ok());
    // The window now holds the re-keyed vault (new data key): its reads and writes still work.
    let session = w.app().session().expect("still unlocked");
    let report = session.vault.doctor().expect("doctor");
    assert!(report.is_healthy(), "{:?}", report.problems);
    assert_eq!(
        session.vault.activity(None, 1).expect("log")[0].action,
        "passphrase.change"
    );
}

#[test]
fn a_member_unlocks_the_window_with_their_own_name_and_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ui.keyward");
    let fast = window::fast_kdf();
    let v = Vault::create_as(&path, "alice", PASS, fast).expect("create");
    v.add_member(PASS, "bob", "bob's passphrase 17", None)
        .expect("add bob");
    drop(v);
    let mut w = Setup::default().window_in(dir);
    w.type_into("Member", "carol");
    w.unlock(PASS);
    assert!(w.app().is_locked());
    assert!(w.has_text("member carol not found"));
    w.clear("Member");
    w.type_into("Member", "bob");
    w.clear("Passphrase");
    w.unlock("bob's passphrase 17");
    assert!(
        !w.app().is_locked(),
        "unlock failed: {:?}",
        w.app().status_text()
    );
    assert!(w.has_text("as bob"), "the top bar says who is unlocked");
    // What the window changes is logged as bob's.
    let session = w.harness.state_mut().session_mut().expect("unlocked");
    assert_eq!(session.vault.member(), "bob");
    session
        .vault
        .add_workspace("from-the-window", Preset::Custom)
        .expect("workspace");
    let log = Vault::open_as(&w.vault, Some("alice"), PASS)
        .expect("alice")
        .activity(None, 1)
        .expect("log");
    assert_eq!(
        (log[0].action.as_str(), log[0].member.as_str()),
        ("workspace.add", "bob")
    );
}

#[test]
fn settings_add_and_remove_a_member() {
    let mut w = Setup::default().unlocked(acme);
    w.click("Settings");
    assert!(w.has_text("owner (you)"));
    assert!(w.is_disabled("Add member"), "no current passphrase yet");
    w.type_into("Current passphrase", PASS);
    w.type_into("New member name", "bob");
    w.type_into("Their passphrase", "bob's window passphrase");
    // Below the fold of the dialog at this size: scrolled to, as a user would.
    w.harness.get_by_label("Add member").scroll_to_me();
    w.harness.run();
    w.harness.get_by_label("Add member").click();
    w.settle();
    assert!(
        w.app()
            .status_text()
            .is_some_and(|s| s.contains("Added member bob")),
        "{:?}",
        w.app().status_text()
    );
    let bob = Vault::open_as(&w.vault, Some("bob"), "bob's window passphrase")
        .expect("bob opens with his own passphrase");
    assert_eq!(bob.member(), "bob");
    drop(bob);

    w.click("Settings");
    assert!(w.has_text("bob"));
    w.type_into("Current passphrase", PASS);
    // Below the fold of the dialog at this size: scrolled to, as a user would.
    w.harness.get_by_label("Remove bob").scroll_to_me();
    w.harness.run();
    w.harness.get_by_label("Remove bob").click();
    w.settle();
    assert!(
        w.app()
            .status_text()
            .is_some_and(|s| s.contains("Removed member bob")),
        "{:?}",
        w.app().status_text()
    );
    assert!(matches!(
        Vault::open_as(&w.vault, Some("bob"), "bob's window passphrase"),
        Err(keyward::vault::Error::NotFound { .. })
    ));
    // The window holds the re-keyed vault: it still reads and writes.
    let session = w.app().session().expect("still unlocked");
    let report = session.vault.doctor().expect("doctor");
    assert!(report.is_healthy(), "{:?}", report.problems);
    assert_eq!(
        session.vault.activity(None, 1).expect("log")[0].action,
        "member.rm"
    );
}

#[test]
fn a_dialog_taller_than_the_window_scrolls_under_its_title() {
    let mut w = Setup::default().unlocked(acme);
    w.harness.set_size(egui::vec2(760.0, 480.0));
    w.run();
    w.click("Settings");
    let title = |w: &Window| {
        w.harness
            .query_all_by(|n| {
                n.role() == egui::accesskit::Role::Label && n.value().as_deref() == Some("Settings")
            })
            .map(|n| n.rect())
            .next()
            .expect("the dialog's title")
    };
    let on_screen = |r: egui::Rect| r.min.y >= 0.0 && r.max.y <= 480.0;
    assert!(
        on_screen(title(&w)),
        "the title is in the window: {:?}",
        title(&w)
    );
    let add = w.harness.get_by_label("Add member").rect();
    assert!(
        !on_screen(add),
        "the members' part is below the fold: {add:?}"
    );
    w.harness.get_by_label("Add member").scroll_to_me();
    w.run();
    let add = w.harness.get_by_label("Add member").rect();
    assert!(on_screen(add), "scrolled into the window: {add:?}");
    assert!(on_screen(title(&w)), "the title stays: {:?}", title(&w));
}

/// The accessible name of the focused widget after each of `n` presses of Tab.
fn tab_order(w: &mut Window, n: usize) -> Vec<String> {
    let mut order = Vec::new();
    for _ in 0..n {
        w.press(egui::Modifiers::NONE, egui::Key::Tab);
        let focused: Vec<String> = w
            .harness
            .query_all_by(|node| node.is_focused())
            .map(|node| {
                let n = node.accesskit_node();
                n.label().or_else(|| n.value()).unwrap_or_default()
            })
            .collect();
        order.push(focused.join("|"));
    }
    order
}

#[test]
fn tab_walks_the_unlock_screen_and_add_new_key_top_to_bottom() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ui.keyward");
    window::vault_at(&path, PASS, acme);
    let mut w = Setup::default().window_in(dir);
    // Typed, so Unlock is enabled (a disabled button takes no focus).
    w.type_into("Passphrase", PASS);
    assert_eq!(
        tab_order(&mut w, 5),
        [
            "Show passphrase",
            "Unlock",
            "Open another vault…",
            "Connect to a team vault…",
            "Passphrase"
        ],
        "from the passphrase: its toggle, Unlock, the other vaults below, then round to the top \
         (a vault of one member asks for no member name)"
    );
    w.harness.get_by_label("Unlock").click();
    w.settle();
    w.select("prod");
    w.click("Add New Key");
    assert!(w.harness.get_by_label("Name").is_focused(), "Name first");
    w.type_into("Name", "tabbing");
    let order = tab_order(&mut w, 12);
    assert_eq!(
        order[..8],
        [
            "Write",
            "Full access (every scope, now and later)",
            "Never",
            "7 days",
            "30 days",
            "60 days",
            "90 days",
            "Custom date",
        ],
        "scopes (the required one is disabled and skipped), then the expiry, left to right"
    );
    assert_eq!(
        order[8], "Limits: none",
        "then the Limits section, collapsed"
    );
    assert_eq!(
        order[9..11],
        ["Cancel", "Generate Key"],
        "the buttons after every field, left to right: the primary one last"
    );
    let cancel = w.harness.get_by_label("Cancel").rect();
    let generate = w.harness.get_by_label("Generate Key").rect();
    assert!(
        cancel.right() < generate.left(),
        "Cancel left of Generate Key: {cancel:?} {generate:?}"
    );
    let dialog_right = w.harness.get_by_label("Name").rect().right();
    assert!(
        (generate.right() - dialog_right).abs() < 2.0,
        "the row is aligned right, with the Name field: {generate:?} {dialog_right}"
    );
    assert_eq!(order[11], "Name", "and round to the top");
}
