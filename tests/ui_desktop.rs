//! The window as a desktop app: its app id and icon, plain accessible names, system fonts for
//! other scripts, a save dialog that does not stop the window, locking when the screen locks,
//! and a title that names the vault and says whether it is locked.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::window;
use egui::{ViewportCommand, ViewportId};
use egui_kittest::kittest::Queryable as _;
use egui_kittest::{Harness, kittest::NodeT as _};
use keyward::ui::KeywardApp;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::ui::save_dialog::{Answer, SaveDialog, SaveRequest};
use keyward::ui::screen_lock::{ScreenEvent, ScreenWatch};
use keyward::vault::{KdfParams, Preset, Vault};

const PASS: &str = "harbor quilt 8812 mosaic";

fn kdf() -> KdfParams {
    KdfParams::new(8, 1).expect("kdf")
}

/// A vault named `file` with one workspace named `workspace` (and a project and environment).
fn vault(dir: &Path, file: &str, workspace: &str) -> PathBuf {
    let path = dir.join(file);
    let mut v = Vault::create(&path, PASS, kdf()).expect("create");
    let ws = v.add_workspace(workspace, Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    v.add_environment(p.id, "prod", None).expect("env");
    path
}

/// The whole app on `vault`; `downloads` is `KEYWARD_DOWNLOAD_DIR` (None: ask a save dialog).
fn window(vault: PathBuf, downloads: Option<PathBuf>) -> Harness<'static, KeywardApp> {
    window_clip(vault, downloads, MemoryClipboard::default())
}

fn window_clip(
    vault: PathBuf,
    downloads: Option<PathBuf>,
    clipboard: MemoryClipboard,
) -> Harness<'static, KeywardApp> {
    window::app(vault, egui::vec2(1200.0, 800.0), downloads, clipboard)
}

fn unlock(h: &mut Harness<'static, KeywardApp>) {
    window::unlock(h, PASS);
    assert!(
        !h.state().is_locked(),
        "unlock failed: {:?}",
        h.state().status_text()
    );
}

/// Opens Add New Key on acme/billing/prod and generates a key: the secret dialog is open.
fn generate_key(h: &mut Harness<'static, KeywardApp>) {
    h.get_by_label("Environment prod").click();
    h.run();
    h.get_by_label("Add New Key").click();
    h.run();
    let name = h.get_by_label("Name");
    name.focus();
    name.type_text("deployer");
    h.run();
    h.get_by_label("Generate Key").click();
    h.run();
    assert!(
        h.query_by_label("Copy").is_some(),
        "the secret dialog is open"
    );
}

#[test]
fn the_window_carries_the_app_id_and_the_icon() {
    let options = keyward::ui::native_options();
    assert_eq!(options.viewport.app_id.as_deref(), Some(keyward::APP_ID));
    let icon = options.viewport.icon.expect("a window icon");
    assert_eq!((icon.width, icon.height), (256, 256));
    assert!(
        !options.system_font_fallback,
        "the app brings its own fallback"
    );
}

#[test]
fn controls_are_named_in_plain_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(
        vault(dir.path(), "plain.keyward", "acme"),
        Some(dir.path().into()),
    );
    unlock(&mut h);
    generate_key(&mut h);
    let mut named = 0;
    for node in h.query_all_by(|n| n.label().is_some()) {
        let label = node.accesskit_node().label().unwrap_or_default();
        named += 1;
        assert!(
            !keyward::ui::has_pictogram(&label),
            "{:?} is named {label:?}",
            node.accesskit_node().role()
        );
    }
    assert!(named > 20, "only {named} named controls");
    for plain in [
        "Lock",
        "Settings",
        "Copy",
        "Download .json",
        "New workspace",
    ] {
        assert!(h.query_by_label(plain).is_some(), "{plain}");
    }
    for plain in ["Workspace acme", "Project billing", "Rename environment"] {
        assert!(h.query_by_label(plain).is_some(), "{plain}");
    }
}

#[test]
fn a_cjk_name_is_drawn_with_a_system_font() {
    use keyward::ui::fonts::{Script, SystemFallback, font_dirs};
    let required = std::env::var_os("KEYWARD_REQUIRE_FONTS").is_some_and(|v| v == "1");
    if SystemFallback::new(font_dirs())
        .font_file(Script::Cjk)
        .is_none()
    {
        assert!(!required, "no CJK font installed (fonts-wqy-microhei)");
        eprintln!("SKIPPED: no CJK font on this machine (Debian: fonts-wqy-microhei)");
        return;
    }
    const NAME: &str = "研发部 東京";
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(
        vault(dir.path(), "cjk.keyward", NAME),
        Some(dir.path().into()),
    );
    unlock(&mut h);
    h.get_by_label(&format!("Workspace {NAME}")).click();
    h.run();
    let drawn = window::drawn_texts(&h);
    let galley = drawn
        .iter()
        .find(|g| g.text().contains(NAME))
        .expect("the name is drawn");
    // Each glyph of the name comes from a font that has it: no empty box (.notdef), no U+FFFD.
    let font = egui::FontId::proportional(14.0);
    for c in NAME.chars().filter(|c| !c.is_whitespace()) {
        assert!(
            galley
                .rows
                .iter()
                .flat_map(|r| &r.glyphs)
                .any(|g| g.chr == c),
            "{c} was laid out"
        );
        assert!(
            h.ctx.fonts_mut(|f| f.has_glyph(&font, c)),
            "no font has {c}: it shows as an empty box"
        );
    }
    assert!(!galley.text().contains('\u{FFFD}'));
}

/// A save dialog that takes a second to answer, as a user would.
struct SlowDialog {
    answer_in: PathBuf,
}

impl SaveDialog for SlowDialog {
    fn ask(&self, request: SaveRequest) -> Answer {
        std::thread::sleep(Duration::from_secs(1));
        Answer::File(self.answer_in.join(request.file_name))
    }
}

#[test]
fn the_save_dialog_does_not_stop_the_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(vault(dir.path(), "save.keyward", "acme"), None);
    let picked = dir.path().join("picked");
    std::fs::create_dir_all(&picked).expect("mkdir");
    h.state_mut().set_save_dialog(Arc::new(SlowDialog {
        answer_in: picked.clone(),
    }));
    unlock(&mut h);
    generate_key(&mut h);

    h.get_by_label("Download .json").click();
    let started = Instant::now();
    h.step();
    assert!(h.state().is_saving(), "the dialog is open");
    let mut frames = 0;
    let mut slowest = Duration::ZERO;
    while h.state().is_saving() && started.elapsed() < Duration::from_secs(5) {
        let frame = Instant::now();
        h.step();
        slowest = slowest.max(frame.elapsed());
        frames += 1;
        if h.state().is_saving() {
            assert!(
                h.get_by_label("Download .json")
                    .accesskit_node()
                    .is_disabled(),
                "no second dialog while one is open"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!h.state().is_saving(), "the dialog answered");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(
        frames >= 20,
        "frames kept coming while the dialog was open: {frames}"
    );
    assert!(
        slowest < Duration::from_millis(500),
        "a frame waited {slowest:?}"
    );
    h.run();
    let saved = picked.join("deployer.keyward.json");
    let json = std::fs::read_to_string(&saved).expect("saved where the dialog said");
    assert!(json.contains("\"key_secret\""));
    assert!(!h.get_by_label("Close").accesskit_node().is_disabled());
}

#[test]
fn a_screen_lock_locks_the_vault_but_waits_for_an_unsaved_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(
        vault(dir.path(), "screen.keyward", "acme"),
        Some(dir.path().into()),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    h.state_mut()
        .set_screen_watch(ScreenWatch::from_channel(rx));
    unlock(&mut h);

    tx.send(ScreenEvent::ScreenLocked).expect("send");
    h.run();
    assert!(h.state().is_locked());
    assert_eq!(
        h.state().status_text(),
        Some("Locked: the screen was locked")
    );

    unlock(&mut h);
    generate_key(&mut h);
    tx.send(ScreenEvent::Suspending).expect("send");
    h.run();
    assert!(!h.state().is_locked(), "the secret on screen is not lost");
    h.get_by_label("Copy").click();
    h.run();
    assert!(
        h.state().is_locked(),
        "locked once the secret was handed over"
    );
    assert_eq!(
        h.state().status_text(),
        Some("Locked: the computer went to sleep")
    );
    // Events while locked are dropped, not kept for after the next unlock.
    tx.send(ScreenEvent::ScreenLocked).expect("send");
    h.run();
    unlock(&mut h);
    h.run();
    assert!(!h.state().is_locked());
}

fn title_commands(h: &Harness<'static, KeywardApp>) -> Vec<String> {
    h.output()
        .viewport_output
        .get(&ViewportId::ROOT)
        .map(|v| {
            v.commands
                .iter()
                .filter_map(|c| match c {
                    ViewportCommand::Title(t) => Some(t.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_title_names_the_vault_and_says_whether_it_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(
        vault(dir.path(), "team.keyward", "acme"),
        Some(dir.path().into()),
    );
    assert_eq!(h.state().window_title(), "team.keyward (Locked) - Keyward");
    unlock(&mut h);
    assert_eq!(
        h.state().window_title(),
        "team.keyward (Unlocked) - Keyward"
    );
    h.get_by_label("Lock").click();
    h.step();
    assert_eq!(title_commands(&h), ["team.keyward (Locked) - Keyward"]);
    h.step();
    assert!(title_commands(&h).is_empty(), "sent once per change");
}

/// logind's signals on a private bus (`dbus-daemon`) reach the watcher: sleep and our own
/// session's lock count; waking up and another session's lock do not.
#[cfg(target_os = "linux")]
#[test]
fn logind_signals_are_read_from_the_bus() {
    use keyward::ui::screen_lock::logind;
    use zbus::zvariant::OwnedObjectPath;

    let Some(bus) = common::dbus::start() else {
        return;
    };
    let address = bus.address.clone();
    let connect = || {
        for _ in 0..200 {
            if let Ok(c) = zbus::blocking::connection::Builder::address(address.as_str())
                .and_then(|b| b.build())
            {
                return c;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("cannot connect to the private bus");
    };
    let listener = connect();
    let sender = connect();
    let (tx, rx) = std::sync::mpsc::channel();
    let ours = OwnedObjectPath::try_from("/org/freedesktop/login1/session/_32").expect("path");
    std::thread::spawn(move || logind::watch(&listener, Some(ours), &tx, &|| {}));
    std::thread::sleep(Duration::from_millis(300)); // the match rule is in place
    let emit = |path: &str, interface: &str, member: &str, body: Option<bool>| {
        match body {
            Some(b) => sender.emit_signal(None::<()>, path, interface, member, &(b,)),
            None => sender.emit_signal(None::<()>, path, interface, member, &()),
        }
        .expect("emit")
    };
    let manager = "org.freedesktop.login1.Manager";
    let session = "org.freedesktop.login1.Session";
    emit(
        "/org/freedesktop/login1",
        manager,
        "PrepareForSleep",
        Some(false),
    );
    emit("/org/freedesktop/login1/session/_33", session, "Lock", None);
    emit(
        "/org/freedesktop/login1/session/_32",
        session,
        "Unlock",
        None,
    );
    emit("/org/freedesktop/login1/session/_32", session, "Lock", None);
    emit(
        "/org/freedesktop/login1",
        manager,
        "PrepareForSleep",
        Some(true),
    );
    let got: Vec<ScreenEvent> = (0..2)
        .map(|_| rx.recv_timeout(Duration::from_secs(5)).expect("an event"))
        .collect();
    assert_eq!(got, [ScreenEvent::ScreenLocked, ScreenEvent::Suspending]);
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "nothing else"
    );
    drop(bus);
}

/// An Open dialog that answers with a fixed file.
struct PickFile(PathBuf);

impl keyward::ui::save_dialog::OpenDialog for PickFile {
    fn ask(&self, _dialog: rfd::FileDialog) -> Answer {
        Answer::File(self.0.clone())
    }
}

fn open_with_dialog(h: &mut Harness<'static, KeywardApp>, file: &Path) {
    h.state_mut()
        .set_open_dialog(Arc::new(PickFile(file.to_owned())));
    h.get_by_label("Open another vault…").click();
    for _ in 0..200 {
        h.step();
        if h.state().vault_path() == file {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run();
    assert_eq!(h.state().vault_path(), file);
}

#[test]
fn a_file_that_is_not_a_vault_is_refused_before_the_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "shopping list\n".repeat(200)).expect("write");
    let before = std::fs::read(&notes).expect("read");
    let mut h = window(notes.clone(), Some(dir.path().into()));
    assert!(
        h.query_by_label("Passphrase").is_none(),
        "no passphrase asked"
    );
    assert!(h.get_by_label("Unlock").accesskit_node().is_disabled());
    let shown = h
        .query_all_by(|n| n.value().is_some_and(|v| v.contains("not a Keyward vault")))
        .count();
    assert!(shown >= 1, "the screen says why");
    assert_eq!(
        std::fs::read(&notes).expect("read"),
        before,
        "the file is untouched"
    );

    // Another vault opens from there.
    let real = vault(dir.path(), "real.keyward", "acme");
    open_with_dialog(&mut h, &real);
    assert!(h.query_by_label("Passphrase").is_some());
    unlock(&mut h);
    assert_eq!(
        h.state().window_title(),
        "real.keyward (Unlocked) - Keyward"
    );
}

#[test]
fn recent_vaults_are_offered_on_the_unlock_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = vault(dir.path(), "first.keyward", "acme");
    let second = vault(dir.path(), "second.keyward", "globex");
    let mut h = window(first.clone(), Some(dir.path().into()));
    unlock(&mut h);
    h.get_by_label("Lock").click();
    h.run();
    open_with_dialog(&mut h, &second);
    unlock(&mut h);
    assert!(h.query_by_label("Workspace globex").is_some());
    h.get_by_label("Lock").click();
    h.run();
    assert_eq!(h.state().recent.paths, [second.clone(), first.clone()]);

    let label = format!("Open recent vault {}", first.display());
    assert!(
        h.query_by_label(&format!("Open recent vault {}", second.display()))
            .is_none(),
        "the open vault is not offered again"
    );
    h.get_by_label(&label).click();
    h.run();
    assert_eq!(h.state().vault_path(), first);
    unlock(&mut h);
    assert!(h.query_by_label("Workspace acme").is_some());

    // Kept in the settings storage, not in a vault.
    let stored = ron_value(&mut h, "keyward.recent_vaults");
    assert!(
        stored.contains("first.keyward") && stored.contains("second.keyward"),
        "{stored}"
    );
}

/// What the app saves under `key` in its settings storage.
fn ron_value(h: &mut Harness<'static, KeywardApp>, key: &str) -> String {
    let mut storage = common::window::MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    storage.0.remove(key).unwrap_or_default()
}

#[test]
fn a_weak_passphrase_needs_a_second_confirmation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("weak.keyward");
    let mut h = window(path.clone(), Some(dir.path().into()));
    for label in ["Passphrase", "Confirm passphrase"] {
        let field = h.get_by_label(label);
        field.focus();
        field.type_text("abc");
        h.run();
    }
    h.get_by_label("Create vault").click();
    h.run();
    assert!(!path.exists(), "not created with one click");
    assert!(
        h.query_all_by(|n| n
            .value()
            .is_some_and(|v| v.contains("This passphrase is weak")))
            .count()
            >= 1
    );
    h.get_by_label("Create anyway").click();
    window::settle(&mut h);
    assert!(path.exists(), "created after the second confirmation");
    assert!(!h.state().is_locked());
}

#[test]
fn the_secret_dialog_shows_a_masked_curl_line_that_copies_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clipboard = MemoryClipboard::default();
    let mut h = window_clip(
        vault(dir.path(), "curl.keyward", "acme"),
        Some(dir.path().into()),
        clipboard.clone(),
    );
    unlock(&mut h);
    generate_key(&mut h);
    let secret = h
        .state()
        .session()
        .and_then(|s| s.secret.as_ref())
        .map(|d| d.minted.secret.expose().to_owned())
        .expect("secret");
    let shown: Vec<String> = h
        .query_all_by(|n| n.value().is_some_and(|v| v.starts_with("curl -H")))
        .filter_map(|n| n.value())
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains("Authorization: Api-Key kw_") && shown[0].contains('…'));
    assert!(!shown[0].contains(&secret), "masked on screen");
    assert!(h.get_by_label("Close").accesskit_node().is_disabled());

    h.get_by_label("Copy curl command").click();
    h.run();
    let copied = clipboard.text().expect("copied");
    assert_eq!(
        copied,
        format!("curl -H 'Authorization: Api-Key {secret}' \"$API_URL\"")
    );
    assert!(
        !h.get_by_label("Close").accesskit_node().is_disabled(),
        "handed over"
    );
}
