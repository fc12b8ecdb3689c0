//! The window, driven whole through egui_kittest (no display): every flow of the key page.

mod common;

use std::path::PathBuf;

use egui::accesskit::Toggled;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::{Harness, kittest::NodeT as _};
use keyward::ui::clipboard::MemoryClipboard;
use keyward::ui::{AppOptions, KeywardApp};
use keyward::vault::{KdfParams, NewKey, Outcome, Preset, Vault};

const PASS: &str = "velvet canyon 4417 drift";

struct Window {
    harness: Harness<'static, KeywardApp>,
    clipboard: MemoryClipboard,
    dir: tempfile::TempDir,
}

/// The one harness factory: the whole app on a vault path in a temp dir, with a fake clipboard
/// and downloads going to the temp dir.
fn window_on(dir: tempfile::TempDir, vault: PathBuf) -> Window {
    let clipboard = MemoryClipboard::default();
    window_with(dir, vault, Box::new(clipboard.clone()), clipboard)
}

fn window_with(
    dir: tempfile::TempDir,
    vault: PathBuf,
    fake: Box<dyn keyward::ui::clipboard::Clipboard>,
    clipboard: MemoryClipboard,
) -> Window {
    let downloads = dir.path().join("downloads");
    let harness = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .build_eframe(move |cc| {
            KeywardApp::new(
                cc,
                AppOptions {
                    vault_path: vault,
                    clipboard: fake,
                    download_dir: Some(downloads),
                    new_vault_kdf: KdfParams::new(8, 1).expect("kdf"),
                },
            )
        });
    Window {
        harness,
        clipboard,
        dir,
    }
}

fn vault_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("ui.keyward")
}

/// A window on a fresh, empty temp dir (the Create vault screen).
fn new_window() -> Window {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = vault_path(&dir);
    window_on(dir, path)
}

/// A vault prepared through the library, then the window on it, unlocked.
fn unlocked_window(prepare: impl FnOnce(&mut Vault)) -> Window {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PASS, KdfParams::new(8, 1).expect("kdf")).expect("create");
    prepare(&mut vault);
    drop(vault);
    let mut w = window_on(dir, path);
    w.unlock(PASS);
    assert!(
        !w.app().is_locked(),
        "unlock failed: {:?}",
        w.app().status_text()
    );
    w
}

fn acme(v: &mut Vault) {
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    v.add_environment(p.id, "prod", None).expect("env");
}

impl Window {
    fn app(&self) -> &KeywardApp {
        self.harness.state()
    }

    fn vault_path(&self) -> PathBuf {
        vault_path(&self.dir)
    }

    fn run(&mut self) {
        self.harness.run();
    }

    /// Steps until key derivation finishes (it runs on a worker thread).
    fn settle(&mut self) {
        common::window::settle(&mut self.harness);
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.run();
    }

    /// Opens the row menu of key `key` and clicks one of its entries.
    fn row_action(&mut self, key: &str, label: &str) {
        self.click(&format!("Actions for {key}"));
        self.click(label);
    }

    fn type_into(&mut self, label: &str, text: &str) {
        let field = self.harness.get_by_label(label);
        field.focus();
        field.type_text(text);
        self.run();
    }

    /// Selects all text of a field and deletes it.
    fn clear(&mut self, label: &str) {
        self.harness.get_by_label(label).focus();
        self.run();
        self.harness
            .key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
        self.harness.key_press(egui::Key::Backspace);
        self.run();
    }

    fn is_disabled(&self, label: &str) -> bool {
        self.harness
            .get_by_label(label)
            .accesskit_node()
            .is_disabled()
    }

    fn is_checked(&self, label: &str) -> bool {
        self.harness.get_by_label(label).accesskit_node().toggled() == Some(Toggled::True)
    }

    fn has(&self, label: &str) -> bool {
        self.harness.query_by_label(label).is_some()
    }

    fn has_text(&self, needle: &str) -> bool {
        self.harness
            .query_all_by(|n| {
                n.label().is_some_and(|l| l.contains(needle))
                    || n.value().is_some_and(|v| v.contains(needle))
            })
            .next()
            .is_some()
    }

    fn unlock(&mut self, pass: &str) {
        self.type_into("Passphrase", pass);
        self.harness.get_by_label("Unlock").click();
        self.settle();
    }

    fn press(&mut self, modifiers: egui::Modifiers, key: egui::Key) {
        self.harness.key_press_modifiers(modifiers, key);
        self.run();
    }

    /// Selects a node in the sidebar by name.
    fn select(&mut self, name: &str) {
        let label = ["Workspace", "Project", "Environment"]
            .map(|icon| format!("{icon} {name}"))
            .into_iter()
            .find(|l| self.harness.query_by_label(l).is_some())
            .unwrap_or_else(|| panic!("no node named {name} in the sidebar"));
        self.click(&label);
    }

    /// The secret shown in the open secret dialog.
    fn shown_secret(&self) -> String {
        self.app()
            .session()
            .and_then(|s| s.secret.as_ref())
            .map(|d| d.minted.secret.expose().to_owned())
            .expect("a secret dialog is open")
    }

    fn open_vault(&self) -> Vault {
        Vault::open(&self.vault_path(), PASS).expect("open the vault beside the window")
    }

    /// Fills in and submits the Add New Key form with a name and the defaults.
    fn generate_key(&mut self, name: &str) -> String {
        self.click("Add New Key");
        self.type_into("Name", name);
        self.click("Generate Key");
        self.shown_secret()
    }

    /// A click at the window's bottom-left corner, outside any dialog.
    fn click_outside(&mut self) {
        for pressed in [true, false] {
            self.harness.event(egui::Event::PointerButton {
                pos: egui::pos2(5.0, 790.0),
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        self.run();
    }

    fn copy_and_close(&mut self) {
        self.click("Copy");
        self.click("Close");
    }

    fn visible_key_names(&self) -> Vec<String> {
        self.app()
            .session()
            .map(|s| s.keys.visible().map(|k| k.name.to_string()).collect())
            .unwrap_or_default()
    }
}

#[test]
fn create_vault_refuses_a_mismatch_then_creates() {
    let mut w = new_window();
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
    assert!(!w.vault_path().exists(), "nothing is created on a mismatch");

    // Show toggle, then fix the confirmation.
    w.click("Show passphrase");
    assert!(w.is_checked("Show passphrase"));
    w.clear("Confirm passphrase");
    w.type_into("Confirm passphrase", PASS);
    assert!(!w.is_disabled("Create vault"));
    w.harness.get_by_label("Create vault").click();
    w.settle();
    assert!(!w.app().is_locked());
    assert!(w.vault_path().exists());
    assert!(
        Vault::open(&w.vault_path(), PASS).is_ok(),
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
    let path = vault_path(&dir);
    Vault::create(&path, PASS, KdfParams::new(8, 1).expect("kdf")).expect("create");
    let mut w = window_on(dir, path);
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
fn add_workspace_with_preset_project_and_environment() {
    let mut w = unlocked_window(|_| {});
    w.click("Add workspace");
    w.type_into("Name", "acme");
    w.click("Read / Write");
    w.click("Add");
    w.click("Add project");
    w.type_into("Name", "billing");
    w.click("Add");
    w.click("Add environment");
    w.type_into("Name", "prod");
    w.type_into("Secret prefix (optional)", "acme");
    w.press(egui::Modifiers::NONE, egui::Key::Enter);

    let v = w.open_vault();
    let env = v
        .resolve("acme/billing/prod")
        .expect("the environment exists");
    assert_eq!(env.prefix, "acme");
    let scopes = v.scopes(env.id).expect("scopes");
    assert_eq!(
        scopes.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["read", "write"]
    );
    assert!(scopes[0].required);
    let selected = w
        .app()
        .session()
        .and_then(|s| s.selected_node())
        .map(|n| n.path.clone());
    assert_eq!(
        selected.as_deref(),
        Some("acme/billing/prod"),
        "the new node is selected"
    );
    assert!(
        w.has("Add New Key"),
        "an empty node shows the big Add New Key button"
    );
}

#[test]
fn add_new_key_form_then_the_secret_dialog_and_copy() {
    let mut w = unlocked_window(acme);
    w.select("prod");
    w.click("Add New Key");
    assert!(w.is_disabled("Generate Key"), "no name yet");
    assert!(w.is_checked("Read (required)") && w.is_disabled("Read (required)"));
    assert!(!w.is_checked("Write"));
    w.click("Write");
    assert!(w.is_checked("Write"));
    w.click("30 days");
    w.type_into("Name", "ci-deployer");
    assert!(!w.is_disabled("Generate Key"));
    w.click("Generate Key");

    // The secret dialog.
    let secret = w.shown_secret();
    assert!(w.has_text("Store this secret key securely. You won't be able to view it again."));
    assert!(w.has(&secret), "the secret is shown as it is");
    assert!(w.is_disabled("Close"), "Close waits for a copy or download");
    w.click("Close");
    assert!(
        w.app().session().is_some_and(|s| s.secret.is_some()),
        "a disabled Close does nothing"
    );
    w.click("Copy");
    assert_eq!(w.clipboard.text().as_deref(), Some(secret.as_str()));
    assert!(!w.is_disabled("Close"));

    let mut v = w.open_vault();
    let check = v
        .verify(
            &format!("Authorization: Api-Key {secret}"),
            &["read", "write"],
        )
        .expect("verify");
    assert_eq!(check.result, Outcome::Valid);
    let key = v
        .key(check.key_id.as_deref().unwrap_or_default())
        .expect("key");
    assert_eq!(key.name, "ci-deployer");
    let days = (key.expires_at.unwrap_or(0) - key.created_at) as f64 / 86_400.0;
    assert!((days - 30.0).abs() < 0.01, "30-day expiry, got {days}");

    w.click("Close");
    assert!(w.app().session().is_some_and(|s| s.secret.is_none()));
    assert!(
        !w.has_text(&secret),
        "after Close the secret is nowhere in the UI"
    );
    assert!(!w.has_text(&secret[5..30]));
    assert_eq!(w.visible_key_names(), ["ci-deployer"]);
}

#[test]
fn download_writes_the_key_file_owner_only_and_enables_close() {
    let mut w = unlocked_window(acme);
    w.select("prod");
    let secret = w.generate_key("svc-download");
    w.click("Download .json");
    assert!(!w.is_disabled("Close"));
    let path = w
        .dir
        .path()
        .join("downloads")
        .join("svc-download.keyward.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the file is written"))
            .expect("json");
    assert_eq!(json["type"], "keyward.api_key");
    assert_eq!(json["key_secret"], secret.as_str());
    assert_eq!(json["authorization"], format!("Api-Key {secret}"));
    assert_eq!(
        (
            json["workspace"].as_str(),
            json["project"].as_str(),
            json["environment"].as_str()
        ),
        (Some("acme"), Some("billing"), Some("prod"))
    );
    assert_eq!(json["scopes"], serde_json::json!(["read"]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
    let log = w.open_vault().activity(None, 5).expect("log");
    assert!(log.iter().any(|e| e.action == "key.download"));
    w.click("Close");
    assert!(!w.has_text(&secret));
}

#[test]
fn esc_closes_add_new_key_but_not_the_secret_dialog() {
    let mut w = unlocked_window(acme);
    w.select("prod");
    w.click("Add New Key");
    assert!(w.has("Generate Key"));
    w.press(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(!w.has("Generate Key"), "Esc cancels Add New Key");

    w.generate_key("esc-test");
    w.press(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(w.has("Copy"), "Esc leaves the secret dialog open");
    // A click outside the dialog does not close it either.
    w.harness.get_by_label("Close").hover();
    w.harness.event(egui::Event::PointerButton {
        pos: egui::pos2(5.0, 790.0),
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    w.harness.event(egui::Event::PointerButton {
        pos: egui::pos2(5.0, 790.0),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    w.run();
    assert!(
        w.has("Copy"),
        "a click outside leaves the secret dialog open"
    );
}

#[test]
fn a_click_outside_closes_an_empty_add_new_key_but_not_one_with_a_name_typed() {
    let mut w = unlocked_window(acme);
    w.select("prod");
    w.click("Add New Key");
    w.harness.get_by_label("Name").hover();
    w.run();
    w.click_outside();
    assert!(
        !w.has("Generate Key"),
        "nothing typed: a click outside closes it"
    );

    w.click("Add New Key");
    w.type_into("Name", "half-typed");
    w.click_outside();
    assert!(
        w.has("Generate Key"),
        "a name was typed: the click outside is ignored"
    );
    w.press(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(!w.has("Generate Key"), "Esc still cancels");
}

#[test]
fn edit_scopes_roll_revoke_and_delete_a_key() {
    let mut w = unlocked_window(acme);
    w.select("prod");
    let first = w.generate_key("worker");
    w.copy_and_close();

    w.row_action("worker", "Edit scopes of worker");
    assert!(w.is_disabled("Read (required)"));
    w.click("Write");
    w.click("Save scopes");
    let mut v = w.open_vault();
    assert_eq!(
        v.verify(&first, &["write"]).expect("v").result,
        Outcome::Valid
    );

    w.row_action("worker", "Roll worker");
    w.click("None");
    w.click("Roll key");
    let rolled = w.shown_secret();
    assert_ne!(rolled, first, "roll shows a new secret");
    assert!(w.is_disabled("Close"));
    w.copy_and_close();
    assert_eq!(v.verify(&first, &[]).expect("v").result, Outcome::Expired);
    assert_eq!(
        v.verify(&rolled, &["write"]).expect("v").result,
        Outcome::Valid
    );

    w.row_action("worker", "Revoke worker");
    w.click("Revoke key");
    assert_eq!(v.verify(&rolled, &[]).expect("v").result, Outcome::Revoked);
    assert!(w.has_text("Revoked"));

    let r = w.harness.get_by_label("Delete worker").rect();
    w.click("Delete worker");
    assert!(
        w.has("Delete key"),
        "delete asks for confirmation {r:?} {:?}",
        w.app().status_text()
    );
    w.click("Cancel");
    assert_eq!(w.visible_key_names(), ["worker"]);
    w.click("Delete worker");
    w.click("Delete key");
    assert!(w.visible_key_names().is_empty());
    assert_eq!(v.verify(&rolled, &[]).expect("v").result, Outcome::NotFound);
}

#[test]
fn deleting_a_node_with_keys_says_how_many_and_asks() {
    let mut w = unlocked_window(|v| {
        acme(v);
        let env = v.resolve("acme/billing/prod").expect("env");
        for name in ["a", "b", "c"] {
            v.create_key(
                env.id,
                NewKey {
                    name: name.into(),
                    ..NewKey::default()
                },
            )
            .expect("key");
        }
    });
    w.select("billing");
    w.click("Delete project");
    assert!(w.has_text("3 API keys will be deleted"));
    w.click("Delete");
    let v = w.open_vault();
    assert!(v.resolve("acme/billing").is_err());
    assert_eq!(v.list_keys(None).expect("list").len(), 0);
}

#[test]
fn search_filters_the_table_and_ctrl_f_focuses_it() {
    let mut w = unlocked_window(|v| {
        acme(v);
        let env = v.resolve("acme/billing/prod").expect("env");
        for name in ["grafana-reader", "ci-deployer", "grafana-writer"] {
            v.create_key(
                env.id,
                NewKey {
                    name: name.into(),
                    ..NewKey::default()
                },
            )
            .expect("key");
        }
    });
    w.select("prod");
    w.press(egui::Modifiers::COMMAND, egui::Key::F);
    assert!(
        w.harness.get_by_label("Search keys").is_focused(),
        "Ctrl+F focuses the search box"
    );
    w.harness.get_by_label("Search keys").type_text("grafana");
    w.run();
    let mut names = w.visible_key_names();
    names.sort();
    assert_eq!(names, ["grafana-reader", "grafana-writer"]);
    assert!(w.has_text("2 of 3 keys"));
    w.click("Name");
    assert_eq!(w.visible_key_names(), ["grafana-reader", "grafana-writer"]);
    w.click("Name");
    assert_eq!(
        w.visible_key_names(),
        ["grafana-writer", "grafana-reader"],
        "sorting toggles"
    );
}

#[test]
fn ctrl_l_locks_and_clears_the_clipboard() {
    let mut w = unlocked_window(acme);
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
fn the_clipboard_clears_itself_after_the_timeout_unless_replaced() {
    let mut w = unlocked_window(acme);
    w.harness.state_mut().settings.clipboard_seconds = 5;
    w.select("prod");
    let secret = w.generate_key("clip-test");
    w.click("Copy");
    assert!(w.has_text("Clipboard clears in"));
    // Time in the harness advances by a fixed step per frame.
    for _ in 0..8 {
        w.harness.run_steps(10);
    }
    assert_eq!(w.clipboard.text(), None, "cleared after the timeout");
    assert!(w.has_text("Clipboard cleared"));
    assert!(w.has_text(&secret), "the dialog itself stays until closed");

    // Something else copied meanwhile is left alone.
    w.click("Copy");
    let mut other = w.clipboard.clone();
    keyward::ui::clipboard::Clipboard::set_text(&mut other, "the user's own text").expect("set");
    for _ in 0..8 {
        w.harness.run_steps(10);
    }
    assert_eq!(w.clipboard.text().as_deref(), Some("the user's own text"));
}

#[test]
fn changes_from_another_process_show_up() {
    let mut w = unlocked_window(acme);
    w.select("prod");
    assert!(w.visible_key_names().is_empty());
    let mut cli = w.open_vault();
    let env = cli.resolve("acme/billing/prod").expect("env");
    cli.create_key(
        env.id,
        NewKey {
            name: "from-the-cli".into(),
            ..NewKey::default()
        },
    )
    .expect("key");
    // The window polls once a second; a few frames of harness time cover it.
    for _ in 0..4 {
        w.harness.run_steps(4);
    }
    assert_eq!(w.visible_key_names(), ["from-the-cli"]);

    // A service verifying through the vault only stamps last-used: no re-read every second,
    // but the stamp shows up within a minute.
    let reloads = |w: &Window| w.app().session().map(|s| s.reloads).unwrap_or(0);
    let before = reloads(&w);
    let secret = cli
        .create_key(
            env.id,
            NewKey {
                name: "used".into(),
                ..NewKey::default()
            },
        )
        .expect("key")
        .secret;
    w.harness.run_steps(8);
    let after_create = reloads(&w);
    assert_eq!(
        after_create,
        before + 1,
        "a logged change is re-read at once"
    );
    assert_eq!(
        cli.verify(secret.expose(), &[]).expect("verify").result,
        Outcome::Valid
    );
    w.harness.run_steps(20);
    assert_eq!(
        reloads(&w),
        after_create,
        "a last-used stamp alone does not re-read the node"
    );
    w.harness.run_steps(240);
    assert_eq!(
        reloads(&w),
        after_create + 1,
        "the stamps are picked up within a minute"
    );
    let used = w.app().session().and_then(|s| {
        s.keys
            .visible()
            .find(|k| k.name == "used")
            .map(|k| k.last_used_at)
    });
    assert!(used.flatten().is_some());
}

#[test]
fn a_vault_of_100000_keys_opens_and_its_table_renders() {
    let n = 100_000;
    let mut w = unlocked_window(|v| {
        acme(v);
        let env = v.resolve("acme/billing/prod").expect("env");
        for chunk in 0..10 {
            let batch = (0..n / 10)
                .map(|i| NewKey {
                    name: format!("key-{chunk}-{i:05}"),
                    ..NewKey::default()
                })
                .collect();
            v.create_keys(env.id, batch).expect("bulk");
        }
    });
    w.select("prod");
    assert_eq!(w.app().session().map(|s| s.keys.len()), Some(n));
    assert!(w.has_text("100,000 of 100,000 keys"));
    // Every key never expires: a finding each, counted in the badge with room for it.
    assert!(w.has("100,000 open findings"));
    assert!(w.has_text("100k"), "the badge counts compactly");
    assert!(
        w.has("key-9-09999"),
        "the first rows (newest first) are drawn"
    );
    let drawn = w.harness.query_all_by_label_contains("Delete key-").count();
    assert!(
        drawn > 5 && drawn < 200,
        "only visible rows are drawn (virtualised): {drawn}"
    );
    w.harness.get_by_label("Search keys").focus();
    w.harness
        .get_by_label("Search keys")
        .type_text("key-7-01234");
    w.run();
    assert_eq!(w.visible_key_names(), ["key-7-01234"]);
}

#[test]
fn settings_change_the_clipboard_timeout_and_the_passphrase() {
    let mut w = unlocked_window(acme);
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
    assert!(
        Vault::open(&w.vault_path(), PASS).is_ok(),
        "nothing changed"
    );
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
    assert!(Vault::open(&w.vault_path(), "a brand new passphrase 99").is_ok());
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
fn rename_a_node_and_see_activity_newest_first() {
    let mut w = unlocked_window(acme);
    w.select("billing");
    w.click("Rename project");
    w.clear("New name");
    w.type_into("New name", "payments");
    w.click("Rename");
    let v = w.open_vault();
    assert!(v.resolve("acme/payments/prod").is_ok());
    assert!(w.has("Project payments"));

    w.click("Activity");
    let activity = &w.app().session().expect("unlocked").activity;
    assert_eq!(
        activity.first().map(|e| e.action.as_str()),
        Some("node.rename"),
        "newest first"
    );
    assert!(w.has_text("node.rename"));
}

#[test]
fn scopes_tab_adds_edits_and_removes_scopes() {
    let mut w = unlocked_window(acme);
    w.select("acme");
    w.click("Scopes");
    w.click("Add scope");
    w.type_into("Scope id", "admin");
    w.type_into("Scope label", "Admin");
    w.type_into("Scope description", "Everything");
    w.click("Checked by default for new keys");
    w.click("Save scope");
    let v = w.open_vault();
    let ws = v.resolve("acme").expect("ws");
    let admin = v
        .scopes(ws.id)
        .expect("scopes")
        .into_iter()
        .find(|s| s.id == "admin")
        .expect("added");
    assert!(admin.default && !admin.required);

    w.click("Edit scope admin");
    w.click("Required (always on, every key gets it)");
    w.click("Save scope");
    let admin = v
        .scopes(ws.id)
        .expect("scopes")
        .into_iter()
        .find(|s| s.id == "admin")
        .expect("kept");
    assert!(admin.required);

    // The Add New Key form shows the new required scope checked and disabled.
    w.click("API Keys");
    w.click("Add New Key");
    assert!(w.is_checked("Admin (required)") && w.is_disabled("Admin (required)"));
    w.press(egui::Modifiers::NONE, egui::Key::Escape);

    w.click("Scopes");
    w.click("Remove scope admin");
    w.click("Remove scope");
    assert!(
        v.scopes(ws.id)
            .expect("scopes")
            .iter()
            .all(|s| s.id != "admin")
    );
}

#[test]
fn enter_generates_with_a_custom_expiry_date() {
    let mut w = unlocked_window(acme);
    w.select("prod");
    w.click("Add New Key");
    w.type_into("Name", "dated");
    w.click("Custom date");
    w.type_into("Expiry date (YYYY-MM-DD)", "2020-01-01");
    assert!(w.is_disabled("Generate Key"), "a past date is refused");
    w.clear("Expiry date (YYYY-MM-DD)");
    w.type_into("Expiry date (YYYY-MM-DD)", "2099-06-30");
    assert!(!w.is_disabled("Generate Key"));
    w.press(egui::Modifiers::NONE, egui::Key::Enter);
    let secret = w.shown_secret();
    let mut v = w.open_vault();
    let id = v.verify(&secret, &[]).expect("verify").key_id.expect("id");
    let expires = v
        .key(&id)
        .expect("key")
        .expires_at
        .map(keyward::vault::format_time);
    assert_eq!(expires.as_deref(), Some("2099-06-30T23:59:59Z"));
}

#[test]
fn without_a_clipboard_the_dialog_says_so_and_download_still_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = vault_path(&dir);
    let mut v = Vault::create(&path, PASS, KdfParams::new(8, 1).expect("kdf")).expect("create");
    acme(&mut v);
    drop(v);
    let mut w = window_with(
        dir,
        path,
        Box::new(keyward::ui::clipboard::NoClipboard),
        MemoryClipboard::default(),
    );
    w.unlock(PASS);
    w.select("prod");
    w.generate_key("no-clipboard");
    w.click("Copy");
    assert!(w.has_text("No clipboard is available"));
    assert!(w.is_disabled("Close"), "a failed copy does not count");
    w.click("Download .json");
    assert!(!w.is_disabled("Close"));
}

#[test]
fn the_window_locks_itself_after_idle_minutes() {
    let mut w = unlocked_window(acme);
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
    let mut w = unlocked_window(acme);
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

#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn a_rolled_back_key_shows_as_tampered_and_the_others_stay_usable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = vault_path(&dir);
    let mut v = Vault::create(&path, PASS, KdfParams::new(8, 1).expect("kdf")).expect("create");
    acme(&mut v);
    let env = v.resolve("acme/billing/prod").expect("env");
    let mint = |v: &mut Vault, name: &str| {
        let k = v
            .create_key(
                env.id,
                NewKey {
                    name: name.into(),
                    ..NewKey::default()
                },
            )
            .expect("key");
        (k.info.key_id.clone(), k.secret.expose().to_owned())
    };
    let (bad_id, bad) = mint(&mut v, "rolled-back");
    let (_, good) = mint(&mut v, "healthy");
    drop(v);
    let old = dir.path().join("old.keyward");
    std::fs::copy(&path, &old).expect("copy");
    let mut v = Vault::open(&path, PASS).expect("open");
    v.revoke_key(&bad_id).expect("revoke");
    drop(v);
    // Someone with the file puts the row from before the revoke back.
    let conn = rusqlite::Connection::open(&path).expect("open file");
    conn.execute("ATTACH ?1 AS old", [old.to_str().expect("utf-8")])
        .expect("attach");
    conn.execute_batch(&format!(
        "DELETE FROM keys WHERE key_id = '{bad_id}';
         INSERT INTO keys SELECT * FROM old.keys WHERE key_id = '{bad_id}';"
    ))
    .expect("roll back");
    drop(conn);

    let mut w = window_on(dir, path);
    w.unlock(PASS);
    w.select("prod");
    assert!(w.has_text("Tampered"), "the rolled-back row is marked");
    assert!(w.has_text("healthy"));
    w.row_action("healthy", "Revoke healthy");
    w.click("Revoke key");
    let mut v = w.open_vault();
    assert_eq!(v.verify(&good, &[]).expect("v").result, Outcome::Revoked);
    assert_eq!(v.verify(&bad, &[]).expect("v").result, Outcome::Tampered);
}

#[test]
fn a_revoke_in_the_window_rewrites_the_published_verifier_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = vault_path(&dir);
    let out = dir.path().join("prod.verifier.json");
    let mut v = Vault::create(&path, PASS, KdfParams::new(8, 1).expect("kdf")).expect("create");
    acme(&mut v);
    let env = v.resolve("acme/billing/prod").expect("env");
    let k = v
        .create_key(
            env.id,
            NewKey {
                name: "worker".into(),
                ..NewKey::default()
            },
        )
        .expect("key");
    let secret = k.secret.expose().to_owned();
    v.add_publish_target(Some(env.id), &out, 0o644)
        .expect("publish");
    let trusted = v.verifier_key().expect("kwpk");
    drop(v);
    let load = || {
        keyward::vault::Verifier::load(&out, &trusted)
            .expect("a signed verifier file")
            .verify(&secret, &[])
            .result
    };
    assert_eq!(load(), Outcome::Valid);

    let mut w = window_on(dir, path);
    w.unlock(PASS);
    w.select("prod");
    w.row_action("worker", "Revoke worker");
    w.click("Revoke key");
    assert_eq!(
        load(),
        Outcome::Revoked,
        "the window's revoke was published"
    );
}

#[test]
fn an_exposed_key_is_marked_and_can_still_be_rolled() {
    let mut w = unlocked_window(|v| {
        acme(v);
        let env = v.resolve("acme/billing/prod").expect("env");
        let k = v
            .create_key(
                env.id,
                NewKey {
                    name: "leaky".into(),
                    ..NewKey::default()
                },
            )
            .expect("key");
        assert!(v.mark_exposed(&k.info.key_id, "repo/.env:3").expect("mark"));
    });
    w.select("prod");
    assert!(w.has_text("Exposed"));
    w.click("Actions for leaky");
    assert!(
        !w.is_disabled("Roll leaky"),
        "rolling is the fix for an exposed key"
    );
    w.click("Roll leaky");
    w.click("Roll key");
    assert!(
        w.app().session().is_some_and(|s| s.secret.is_some()),
        "a new secret is shown"
    );
}

#[test]
fn a_member_unlocks_the_window_with_their_own_name_and_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = vault_path(&dir);
    let fast = KdfParams::new(8, 1).expect("kdf");
    let v = Vault::create_as(&path, "alice", PASS, fast).expect("create");
    v.add_member(PASS, "bob", "bob's passphrase 17", None)
        .expect("add bob");
    drop(v);
    let mut w = window_on(dir, path);
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
    let log = Vault::open_as(&w.vault_path(), Some("alice"), PASS)
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
    let mut w = unlocked_window(acme);
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
    let bob = Vault::open_as(&w.vault_path(), Some("bob"), "bob's window passphrase")
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
        Vault::open_as(&w.vault_path(), Some("bob"), "bob's window passphrase"),
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
    let path = vault_path(&dir);
    let mut vault = Vault::create(&path, PASS, KdfParams::new(8, 1).expect("kdf")).expect("create");
    acme(&mut vault);
    drop(vault);
    let mut w = window_on(dir, path);
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
    let order = tab_order(&mut w, 11);
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
        order[8..10],
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
    assert_eq!(order[10], "Name", "and round to the top");
}

#[test]
fn a_tooltip_behind_a_dialog_does_not_stay_over_it() {
    let mut w = unlocked_window(|v| {
        acme(v);
        let env = v.resolve("acme/billing/prod").expect("env");
        v.create_key(
            env.id,
            NewKey {
                name: "grafana".into(),
                ..NewKey::default()
            },
        )
        .expect("key");
    });
    w.select("prod");
    let tips = |w: &Window| w.harness.query_all_by_label("Actions for grafana").count();
    // The pointer rests on the row's menu button: its tooltip shows beside the button.
    w.harness.get_by_label("Actions for grafana").hover();
    w.run();
    assert_eq!(tips(&w), 2, "the button and its tooltip");
    // A dialog opens over the table without the pointer moving.
    w.press(egui::Modifiers::COMMAND, egui::Key::N);
    assert!(w.has("Generate Key"));
    assert_eq!(
        tips(&w),
        1,
        "the tooltip of a widget behind the dialog is gone"
    );
}

#[test]
fn a_dialog_taller_than_the_window_scrolls_under_its_title() {
    let mut w = unlocked_window(acme);
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
