//! The window under egui_kittest: the app on a vault, unlocking it, and the few gestures every
//! UI test makes ([`Drive`]). [`Window`] bundles the app with its temp dir, vault and fake
//! clipboard for tests that look at all of them.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::accesskit::Toggled;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::ui::clipboard::{Clipboard, MemoryClipboard};
use keyward::ui::{AppOptions, KeywardApp};
use keyward::vault::{KdfParams, NewKey, Node, NodeId, Preset, Vault};

use super::PASS;

pub type App = Harness<'static, KeywardApp>;

/// The size most window tests use.
pub const SIZE: egui::Vec2 = egui::vec2(1200.0, 800.0);

/// Fast Argon2id for test vaults.
pub fn fast_kdf() -> KdfParams {
    KdfParams::new(8, 1).expect("kdf")
}

/// The app on `vault` (a file or a server URL), `size` points, its clipboard in memory.
pub fn app(
    vault: PathBuf,
    size: egui::Vec2,
    downloads: Option<PathBuf>,
    clipboard: MemoryClipboard,
) -> App {
    Harness::builder().with_size(size).build_eframe(move |cc| {
        KeywardApp::new(
            cc,
            AppOptions {
                vault_path: vault,
                clipboard: Box::new(clipboard),
                download_dir: downloads,
                new_vault_kdf: fast_kdf(),
            },
        )
    })
}

/// The app on `vault` at `size`, its downloads in `dir/downloads`, its clipboard in memory.
pub fn app_in(dir: &Path, vault: PathBuf, size: egui::Vec2) -> App {
    app(
        vault,
        size,
        Some(dir.join("downloads")),
        MemoryClipboard::default(),
    )
}

/// Types `passphrase` on the unlock screen, presses Unlock and waits for the unlock to finish
/// (whether it worked is the caller's to check).
pub fn unlock(h: &mut App, passphrase: &str) {
    let field = h.get_by_label("Passphrase");
    field.focus();
    field.type_text(passphrase);
    h.run();
    h.get_by_label("Unlock").click();
    settle(h);
}

/// Steps until key derivation (it runs on a worker thread) is done, for up to 10 s.
pub fn settle(h: &mut App) {
    for _ in 0..2000 {
        h.step();
        if !h.state().is_busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run();
}

/// A workspace `acme` (read-write) with project `billing` and environment `prod`; the
/// environment.
pub fn acme(v: &mut Vault) -> Node {
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    v.add_environment(p.id, "prod", None).expect("env")
}

/// Keys with these names and the defaults under `node`, one by one (so the table lists the
/// last first).
pub fn add_keys(v: &mut Vault, node: NodeId, names: &[&str]) {
    for name in names {
        let new = NewKey::named(*name);
        v.create_key(node, new).expect("key");
    }
}

/// A new vault at `path` with `pass`, prepared through the library and closed again.
pub fn vault_at<R>(path: &Path, pass: &str, prepare: impl FnOnce(&mut Vault) -> R) {
    let mut v = Vault::create(path, pass, fast_kdf()).expect("create");
    prepare(&mut v);
}

/// The app on the vault at `path`, `size` points, downloads in `dir/downloads`, unlocked with
/// `pass` (it fails the test when the unlock does not work).
pub fn unlocked_app(dir: &Path, path: PathBuf, size: egui::Vec2, pass: &str) -> App {
    let mut h = app_in(dir, path, size);
    unlock(&mut h, pass);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
    h
}

/// eframe's settings storage in memory: what the app saves between runs.
#[derive(Default)]
pub struct MemoryStorage(pub std::collections::HashMap<String, String>);

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

/// A key named `name` with the defaults under `node`; its key id and secret.
pub fn mint(v: &mut Vault, node: NodeId, name: &str) -> (String, String) {
    let new = NewKey::named(name);
    let k = v.create_key(node, new).expect("key");
    (k.info.key_id.clone(), k.secret.expose().to_owned())
}

/// What UI tests do to the app: click, type, look.
pub trait Drive {
    fn app(&self) -> &KeywardApp;

    fn click(&mut self, label: &str);

    fn type_into(&mut self, label: &str, text: &str);

    /// Selects all text of a field and deletes it.
    fn clear(&mut self, label: &str);

    /// Opens the row menu of key `key` and clicks one of its entries.
    fn row_action(&mut self, key: &str, label: &str) {
        self.click(&format!("Actions for {key}"));
        self.click(label);
    }

    /// Presses `key` with `modifiers` and lets the UI settle.
    fn press(&mut self, modifiers: egui::Modifiers, key: egui::Key);

    fn has(&self, label: &str) -> bool;

    /// Whether any widget's label or value contains `needle`.
    fn has_text(&self, needle: &str) -> bool;

    fn is_disabled(&self, label: &str) -> bool;

    fn is_checked(&self, label: &str) -> bool;

    /// The value of the field labelled `label`.
    fn field_value(&self, label: &str) -> String;
}

impl Drive for App {
    fn app(&self) -> &KeywardApp {
        self.state()
    }

    fn click(&mut self, label: &str) {
        self.get_by_label(label).click();
        self.run();
    }

    fn type_into(&mut self, label: &str, text: &str) {
        let field = self.get_by_label(label);
        field.focus();
        field.type_text(text);
        self.run();
    }

    fn clear(&mut self, label: &str) {
        self.get_by_label(label).focus();
        self.run();
        self.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
        self.key_press(egui::Key::Backspace);
        self.run();
    }

    fn press(&mut self, modifiers: egui::Modifiers, key: egui::Key) {
        self.key_press_modifiers(modifiers, key);
        self.run();
    }

    fn has(&self, label: &str) -> bool {
        self.query_by_label(label).is_some()
    }

    fn has_text(&self, needle: &str) -> bool {
        self.query_all_by(|n| {
            n.label().is_some_and(|l| l.contains(needle))
                || n.value().is_some_and(|v| v.contains(needle))
        })
        .next()
        .is_some()
    }

    fn is_disabled(&self, label: &str) -> bool {
        self.get_by_label(label).accesskit_node().is_disabled()
    }

    fn is_checked(&self, label: &str) -> bool {
        self.get_by_label(label).accesskit_node().toggled() == Some(Toggled::True)
    }

    fn field_value(&self, label: &str) -> String {
        self.get_by_label(label).value().unwrap_or_default()
    }
}

/// How a [`Window`] is made: which file in its temp dir, the passphrase, the size.
pub struct Setup {
    pub file: &'static str,
    pub pass: &'static str,
    pub size: egui::Vec2,
    /// Frames `run` may take before it fails (kittest's default when `None`).
    pub max_steps: Option<u64>,
    /// The clipboard the app gets; the window's in-memory one when `None`.
    pub clipboard: Option<Box<dyn Clipboard>>,
}

/// `ui.keyward` with [`PASS`] at [`SIZE`].
impl Default for Setup {
    fn default() -> Setup {
        Setup {
            file: "ui.keyward",
            pass: PASS,
            size: SIZE,
            max_steps: None,
            clipboard: None,
        }
    }
}

impl Setup {
    /// The window on a fresh, empty temp dir (the Create vault screen).
    pub fn window(self) -> Window {
        self.window_in(tempfile::tempdir().expect("tempdir"))
    }

    /// The window on `dir`'s vault file (there or not), locked; the window keeps `dir`.
    pub fn window_in(self, dir: tempfile::TempDir) -> Window {
        let mut w = self.window_at(dir.path());
        w._dir = Some(dir);
        w
    }

    /// The window on the vault file in `dir` (there or not), locked; downloads go to
    /// `dir/downloads`. Several windows may be made on one dir, one after the other.
    pub fn window_at(self, dir: &Path) -> Window {
        let vault = dir.join(self.file);
        let clipboard = MemoryClipboard::default();
        let fake = self
            .clipboard
            .unwrap_or_else(|| Box::new(clipboard.clone()));
        let downloads = dir.join("downloads");
        let (path, download_dir) = (vault.clone(), downloads.clone());
        let mut builder = Harness::builder().with_size(self.size);
        if let Some(steps) = self.max_steps {
            builder = builder.with_max_steps(steps);
        }
        let harness = builder.build_eframe(move |cc| {
            KeywardApp::new(
                cc,
                AppOptions {
                    vault_path: path,
                    clipboard: fake,
                    download_dir: Some(download_dir),
                    new_vault_kdf: fast_kdf(),
                },
            )
        });
        Window {
            harness,
            clipboard,
            vault,
            downloads,
            pass: self.pass,
            _dir: None,
        }
    }

    /// The window on the vault file in `dir`, unlocked (it fails the test when it does not).
    pub fn unlocked_at(self, dir: &Path) -> Window {
        let pass = self.pass;
        let mut w = self.window_at(dir);
        w.unlock_or_fail(pass);
        w
    }

    /// A vault prepared through the library in a new temp dir, then the window on it,
    /// unlocked.
    pub fn unlocked<R>(self, prepare: impl FnOnce(&mut Vault) -> R) -> Window {
        let dir = tempfile::tempdir().expect("tempdir");
        vault_at(&dir.path().join(self.file), self.pass, prepare);
        let pass = self.pass;
        let mut w = self.window_in(dir);
        w.unlock_or_fail(pass);
        w
    }
}

/// The app with its vault, downloads folder and clipboard.
pub struct Window {
    pub harness: App,
    /// What the app copied (unless [`Setup::clipboard`] gave it another clipboard).
    pub clipboard: MemoryClipboard,
    pub vault: PathBuf,
    pub downloads: PathBuf,
    /// The passphrase the vault was made with.
    pub pass: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl Deref for Window {
    type Target = App;

    fn deref(&self) -> &App {
        &self.harness
    }
}

impl DerefMut for Window {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.harness
    }
}

impl Window {
    /// Steps until key derivation finishes (it runs on a worker thread).
    pub fn settle(&mut self) {
        settle(&mut self.harness);
    }

    /// Types `pass` on the unlock screen and presses Unlock.
    pub fn unlock(&mut self, pass: &str) {
        self.type_into("Passphrase", pass);
        self.harness.get_by_label("Unlock").click();
        self.settle();
    }

    fn unlock_or_fail(&mut self, pass: &str) {
        self.unlock(pass);
        assert!(
            !self.app().is_locked(),
            "unlock failed: {:?}",
            self.app().status_text()
        );
    }

    /// Steps frames until `done` holds (work on worker threads), failing after 10 s.
    pub fn wait_until(&mut self, what: &str, done: impl Fn(&KeywardApp) -> bool) {
        for _ in 0..2000 {
            self.harness.step();
            if done(self.app()) {
                self.harness.run();
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("timed out waiting until {what}");
    }

    /// The folder of the vault file: the test's temp dir.
    pub fn dir(&self) -> &Path {
        self.vault.parent().expect("the vault's folder")
    }

    /// The window's vault, opened beside it with the window's passphrase.
    pub fn open_vault(&self) -> Vault {
        Vault::open(&self.vault, self.pass).expect("open the vault beside the window")
    }

    /// The secret shown in the secret dialog, if one is open.
    pub fn secret_shown(&self) -> Option<String> {
        self.app()
            .session()
            .and_then(|s| s.secret.as_ref())
            .map(|d| d.minted.secret.expose().to_owned())
    }

    /// The secret shown in the open secret dialog.
    pub fn shown_secret(&self) -> String {
        self.secret_shown().expect("a secret dialog is open")
    }

    /// Fills in and submits the Add New Key form with a name and the defaults; the secret.
    pub fn generate_key(&mut self, name: &str) -> String {
        self.click("Add New Key");
        // By role: the key table's column header is called Name too.
        let field = self
            .harness
            .get_by_role_and_label(egui::accesskit::Role::TextInput, "Name");
        field.focus();
        field.type_text(name);
        self.run();
        self.click("Generate Key");
        self.shown_secret()
    }

    pub fn copy_and_close(&mut self) {
        self.click("Copy");
        self.click("Close");
    }

    /// Selects a node in the sidebar by name.
    pub fn select(&mut self, name: &str) {
        let label = ["Workspace", "Project", "Environment"]
            .map(|icon| format!("{icon} {name}"))
            .into_iter()
            .find(|l| self.harness.query_by_label(l).is_some())
            .unwrap_or_else(|| panic!("no node named {name} in the sidebar"));
        self.click(&label);
    }

    /// A click at the bottom-left corner of a window of [`SIZE`], outside any dialog.
    pub fn click_outside(&mut self) {
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

    /// The names of the keys the table shows, in its order.
    pub fn visible_key_names(&self) -> Vec<String> {
        self.app()
            .session()
            .map(|s| s.keys.visible().map(|k| k.name.to_string()).collect())
            .unwrap_or_default()
    }
}

/// Every text laid out in the last frame (for what a glyph was drawn with).
pub fn drawn_texts(h: &App) -> Vec<std::sync::Arc<egui::Galley>> {
    fn walk(shape: &egui::Shape, out: &mut Vec<std::sync::Arc<egui::Galley>>) {
        match shape {
            egui::Shape::Text(t) => out.push(t.galley.clone()),
            egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &h.output().shapes {
        walk(&clipped.shape, &mut out);
    }
    out
}
