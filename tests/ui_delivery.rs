//! A secret shown in the window is handed over or its key does not stay live: closing the
//! window, Lock and auto-lock wait for Copy or Download (or "Discard and revoke"); secrets lost
//! anyway are listed at the next unlock; the secret cannot be selected as text.

mod common;

use std::path::PathBuf;

use common::PASS;
use common::window::{self, Drive as _, Setup, Window, acme, add_keys};
use egui::{Event, OutputCommand, ViewportCommand, ViewportEvent, ViewportId};
use egui_kittest::kittest::Queryable as _;
use keyward::vault::{Grace, KeyStatus, NewKey, Outcome, Vault};

const FILE: &str = "delivery.keyward";

/// A vault with acme/billing/prod, prepared through the library.
fn new_vault(dir: &tempfile::TempDir, prepare: impl FnOnce(&mut Vault)) -> PathBuf {
    let path = dir.path().join(FILE);
    window::vault_at(&path, PASS, |v| {
        acme(v);
        prepare(v)
    });
    path
}

/// The whole app on `vault` (made by [`new_vault`] in `dir`), unlocked.
fn window(dir: &tempfile::TempDir, vault: PathBuf) -> Window {
    let w = Setup {
        file: FILE,
        ..Setup::default()
    }
    .unlocked_at(dir.path());
    assert_eq!(w.vault, vault);
    w
}

/// What these tests do beyond the shared gestures.
trait Delivery {
    /// Opens prod and mints a key with the defaults from Add New Key; the secret shown.
    fn mint(&mut self, name: &str) -> String;

    /// The window manager's close button: one frame with a close request. Returns the
    /// viewport commands the app answered with in that frame.
    fn request_close(&mut self) -> Vec<ViewportCommand>;

    fn root_commands(&self) -> Vec<ViewportCommand>;

    fn lock_with_ctrl_l(&mut self);

    fn verify(&self, secret: &str) -> Outcome;
}

impl Delivery for Window {
    fn mint(&mut self, name: &str) -> String {
        self.click("Environment prod");
        self.generate_key(name)
    }

    fn request_close(&mut self) -> Vec<ViewportCommand> {
        self.harness
            .input_mut()
            .viewports
            .entry(ViewportId::ROOT)
            .or_default()
            .events
            .push(ViewportEvent::Close);
        self.harness.step();
        let commands = self.root_commands();
        self.run();
        commands
    }

    fn root_commands(&self) -> Vec<ViewportCommand> {
        self.harness
            .output()
            .viewport_output
            .get(&ViewportId::ROOT)
            .map(|v| v.commands.clone())
            .unwrap_or_default()
    }

    fn lock_with_ctrl_l(&mut self) {
        self.press(egui::Modifiers::COMMAND, egui::Key::L);
    }

    fn verify(&self, secret: &str) -> Outcome {
        self.open_vault()
            .verify(secret, &[])
            .expect("verify")
            .result
    }
}

#[test]
fn closing_the_window_with_an_unsaved_secret_is_cancelled_and_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    let secret = w.mint("ci-deployer");

    let answered = w.request_close();
    assert!(
        answered.contains(&ViewportCommand::CancelClose),
        "the close must be cancelled: {answered:?}"
    );
    assert_eq!(w.secret_shown().as_deref(), Some(secret.as_str()));
    assert!(w.has_text("Keyward stays open"), "the dialog says why");
    assert!(w.has_text("Copy or download it first"));
    assert!(w.has("Discard and revoke"));

    w.click("Copy");
    assert_eq!(w.clipboard.text().as_deref(), Some(secret.as_str()));
    assert!(
        !w.has("Discard and revoke"),
        "nothing to discard after Copy"
    );
    let answered = w.request_close();
    assert!(
        !answered.contains(&ViewportCommand::CancelClose),
        "after Copy the close goes through: {answered:?}"
    );
    assert_eq!(w.verify(&secret), Outcome::Valid);
}

#[test]
fn a_refused_quit_does_not_stay_armed_after_the_secret_is_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    w.mint("ci");
    w.request_close();
    w.click("Download .json");
    assert!(
        w.has_text("Keyward stayed open"),
        "the dialog says the quit was answered"
    );
    w.harness.get_by_label("Close").click();
    let mut asked_to_close = false;
    for _ in 0..4 {
        w.harness.step();
        asked_to_close |= w.root_commands().contains(&ViewportCommand::Close);
    }
    assert!(!asked_to_close, "Close closes the dialog, nothing more");
    assert!(w.secret_shown().is_none());
    assert!(!w.app().is_locked());
}

#[test]
fn close_and_quit_finishes_a_quit_asked_for_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    w.mint("ci");
    w.request_close();
    assert!(!w.has("Close and quit"), "not before the secret is saved");
    w.click("Copy");
    w.harness.get_by_label("Close and quit").click();
    let mut asked_to_close = false;
    for _ in 0..4 {
        w.harness.step();
        asked_to_close |= w.root_commands().contains(&ViewportCommand::Close);
    }
    assert!(asked_to_close, "the user asked to quit again");
}

#[test]
fn discard_and_revoke_asks_first_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    let secret = w.mint("deploy-bot");
    w.request_close();
    w.click("Discard and revoke");
    assert_eq!(
        w.verify(&secret),
        Outcome::Valid,
        "one click revokes nothing"
    );
    assert!(w.secret_shown().is_some());
    assert!(w.has_text("Revoke deploy-bot?"), "it names the key");
    w.click("Keep the key");
    assert!(w.has("Copy"), "back to the dialog");
    assert_eq!(w.verify(&secret), Outcome::Valid);
    w.click("Discard and revoke");
    w.click("Revoke deploy-bot");
    assert_eq!(w.verify(&secret), Outcome::Revoked);
    assert!(w.secret_shown().is_none());
}

#[test]
fn lock_with_an_unsaved_secret_asks_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    let secret = w.mint("lock-me");
    w.lock_with_ctrl_l();
    assert!(!w.app().is_locked(), "the secret would be lost");
    assert_eq!(w.secret_shown().as_deref(), Some(secret.as_str()));
    assert!(w.has_text("The vault stays unlocked"));
    assert!(w.has("Discard and revoke"));

    w.click("Copy");
    assert!(w.has_text("Close locks the vault, as you asked."));
    assert!(
        w.has_text("Paste the secret where it belongs first"),
        "locking clears the clipboard: the dialog says so"
    );
    w.click("Close");
    assert!(w.app().is_locked(), "Close finishes the lock");
    assert_eq!(w.clipboard.text(), None, "locking clears the clipboard");
    assert_eq!(w.verify(&secret), Outcome::Valid);
}

#[test]
fn lock_goes_through_once_the_secret_was_copied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    w.mint("copied-first");
    w.click("Copy");
    w.lock_with_ctrl_l();
    assert!(w.app().is_locked());
}

#[test]
fn discard_and_revoke_revokes_the_key_and_finishes_the_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    let secret = w.mint("throwaway");
    assert_eq!(w.verify(&secret), Outcome::Valid);
    w.lock_with_ctrl_l();
    w.click("Discard and revoke");
    w.click("Revoke throwaway");
    assert!(w.app().is_locked(), "the lock that waited goes on");
    assert_eq!(w.verify(&secret), Outcome::Revoked);
    let v = w.open_vault();
    let key = v
        .list_keys(None)
        .expect("list")
        .into_iter()
        .find(|k| k.name == "throwaway")
        .expect("the key stays listed");
    assert_eq!(key.status, KeyStatus::Revoked);
    assert!(v.never_delivered().expect("scan").is_empty());
}

#[test]
fn discarding_a_rolled_secret_revokes_the_key_and_says_so_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut old = String::new();
    let path = new_vault(&dir, |v| {
        let env = v.resolve("acme/billing/prod").expect("env");
        let k = v.create_key(env.id, NewKey::named("rolling")).expect("key");
        old = k.secret.expose().to_owned();
    });
    let mut w = window(&dir, path);
    w.click("Environment prod");
    w.row_action("rolling", "Roll rolling");
    w.click("24 hours");
    w.click("Roll key");
    let new = w.secret_shown().expect("the new secret");
    assert_eq!(w.verify(&old), Outcome::Valid, "in its grace period");
    assert!(w.request_close().contains(&ViewportCommand::CancelClose));
    assert!(w.has_text("Revoking also stops the key's previous secret at once."));
    w.click("Discard and revoke");
    w.click("Revoke rolling");
    assert!(w.secret_shown().is_none());
    assert_eq!(w.verify(&new), Outcome::Revoked);
    assert_eq!(w.verify(&old), Outcome::Revoked);
}

#[test]
fn auto_lock_waits_while_an_unsaved_secret_is_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    w.harness.state_mut().settings.auto_lock_minutes = 1;
    let secret = w.mint("idle");
    // 600 steps of 0.25 s: two and a half idle minutes.
    for _ in 0..30 {
        w.harness.run_steps(20);
    }
    assert!(!w.app().is_locked(), "auto-lock would lose the secret");
    assert_eq!(w.secret_shown().as_deref(), Some(secret.as_str()));

    // Once copied, nothing is lost by locking: the next idle minute locks.
    w.click("Copy");
    for _ in 0..30 {
        w.harness.run_steps(20);
        if w.app().is_locked() {
            break;
        }
    }
    assert!(w.app().is_locked());
    assert!(w.secret_shown().is_none());
}

#[test]
fn secrets_never_handed_over_are_listed_at_the_next_unlock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(&dir, |v| {
        // Minted through the library: its caller holds the secret; never listed.
        let env = v.resolve("acme/billing/prod").expect("env");
        add_keys(v, env.id, &["from-library"]);
    });

    // First run: three keys; one copied, two left on screen when the process "dies".
    let mut first = window(&dir, path.clone());
    first.mint("kept");
    first.click("Copy");
    first.click("Close");
    let lost = first.mint("lost-one");
    first.click("Copy");
    first.click("Close");
    // Roll it, and lose the rolled secret.
    first.row_action("lost-one", "Roll lost-one");
    first.click("Roll key");
    let lost_roll = first.secret_shown().expect("rolled secret");
    assert_ne!(lost, lost_roll);
    drop(first);
    let mut first = window(&dir, path.clone());
    first.click("Later");
    first.mint("lost-two");
    drop(first);

    // Second run: the list is there, with both and nothing else.
    let mut w = window(&dir, path);
    assert!(w.has_text("Secrets never handed over"));
    let listed: Vec<(String, bool)> = w
        .app()
        .session()
        .map(|s| {
            s.undelivered
                .iter()
                .map(|(k, rolled)| (k.name.clone(), *rolled))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        listed,
        [
            ("lost-two".to_owned(), false),
            ("lost-one".to_owned(), true)
        ]
    );

    // Revoke one from the list.
    w.click("Revoke lost-two now");
    w.click("Revoke key");
    assert!(!w.has("Revoke lost-two now"));
    // Roll the other: a new secret, handed over this time.
    w.click("Roll lost-one again");
    w.click("Roll key");
    let fresh = w.secret_shown().expect("a new secret");
    w.click("Copy");
    w.click("Close");
    assert!(!w.has_text("Secrets never handed over"), "the list is done");

    assert_eq!(w.verify(&fresh), Outcome::Valid);
    assert_ne!(w.verify(&lost_roll), Outcome::Valid);
    let v = w.open_vault();
    assert!(v.never_delivered().expect("scan").is_empty());
    let two = v
        .list_keys(None)
        .expect("list")
        .into_iter()
        .find(|k| k.name == "lost-two")
        .expect("lost-two");
    assert_eq!(two.status, KeyStatus::Revoked);
}

#[test]
fn later_hides_the_list_until_the_next_unlock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(&dir, |_| {});
    let mut first = window(&dir, path.clone());
    first.mint("lost");
    drop(first);
    let mut w = window(&dir, path);
    assert!(w.has_text("Secrets never handed over"));
    w.click("Later");
    assert!(!w.has_text("Secrets never handed over"));
    w.lock_with_ctrl_l();
    assert!(w.app().is_locked());
    w.unlock(PASS);
    assert!(w.has_text("Secrets never handed over"), "asked again");
}

#[test]
fn keys_rolled_or_revoked_elsewhere_are_not_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(&dir, |_| {});
    let mut first = window(&dir, path.clone());
    first.mint("rolled-by-cli");
    drop(first);
    let mut first = window(&dir, path.clone());
    first.click("Later");
    first.mint("revoked-by-cli");
    drop(first);
    {
        let mut v = Vault::open(&path, PASS).expect("open");
        let keys = v.list_keys(None).expect("list");
        let id = |name: &str| {
            keys.iter()
                .find(|k| k.name == name)
                .map(|k| k.key_id.clone())
                .expect("key")
        };
        // The command line hands its secret over before committing.
        v.roll_key(&id("rolled-by-cli"), Grace::None).expect("roll");
        v.revoke_key(&id("revoked-by-cli")).expect("revoke");
        assert!(v.never_delivered().expect("scan").is_empty());
    }
    let w = window(&dir, path);
    assert!(!w.has_text("Secrets never handed over"));
}

/// Drags across `rect` and asks for a copy (Ctrl+C arrives as `Event::Copy`); returns the
/// text egui put on the clipboard in that frame, if any.
fn drag_select_and_copy(w: &mut Window, rect: egui::Rect) -> Option<String> {
    let from = rect.left_center() + egui::vec2(1.0, 0.0);
    let to = rect.right_center() - egui::vec2(1.0, 0.0);
    w.harness.hover_at(from);
    w.harness.drag_at(from);
    w.harness.hover_at(egui::pos2((from.x + to.x) / 2.0, to.y));
    w.harness.hover_at(to);
    w.harness.drop_at(to);
    w.harness.run_steps(2);
    w.harness.event(Event::Copy);
    w.harness.step();
    w.harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
}

#[test]
fn the_secret_cannot_be_selected_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = window(&dir, new_vault(&dir, |_| {}));
    let secret = w.mint("no-select");
    let key_id = w
        .app()
        .session()
        .and_then(|s| s.secret.as_ref())
        .map(|d| d.minted.info.key_id.clone())
        .expect("key id");

    // The check works: the key id beside it is ordinary, selectable text.
    let id_rect = w.harness.get_by_label(&key_id).rect();
    let copied = drag_select_and_copy(&mut w, id_rect);
    assert_eq!(
        copied.as_deref(),
        Some(key_id.as_str()),
        "drag-select + copy works on a selectable label"
    );

    let secret_rect = w.harness.get_by_label(&secret).rect();
    let copied = drag_select_and_copy(&mut w, secret_rect);
    assert_eq!(copied, None, "the secret must not be selectable");
    assert_eq!(
        w.clipboard.text(),
        None,
        "and nothing reached the clipboard"
    );
}
