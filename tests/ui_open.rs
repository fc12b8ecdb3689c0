//! Opening any vault from the window (issue 22, item 2): a typed path with completion where no
//! file dialog answers, every vault opened listed with its last use, Open and Recent in the
//! Vault menu while unlocked.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::PASS;
use common::window::{self, App};
use egui_kittest::kittest::Queryable as _;
use keyward::ui::save_dialog::{Answer, OpenDialog};
use keyward::vault::{Preset, Vault};

/// A vault named `file` with one workspace `workspace`.
fn vault(dir: &Path, file: &str, workspace: &str) -> PathBuf {
    let path = dir.join(file);
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    v.add_workspace(workspace, Preset::ReadWrite).expect("ws");
    path
}

fn app(vault: PathBuf, dir: &Path) -> App {
    window::app_in(dir, vault, egui::vec2(1000.0, 760.0))
}

/// An Open dialog that answers as rfd does with no desktop portal: nothing, at once.
struct NoPortal;

impl OpenDialog for NoPortal {
    fn ask(&self, _dialog: rfd::FileDialog) -> Answer {
        Answer::Unavailable
    }
}

/// An Open dialog that picks a fixed file.
struct PickFile(PathBuf);

impl OpenDialog for PickFile {
    fn ask(&self, _dialog: rfd::FileDialog) -> Answer {
        Answer::File(self.0.clone())
    }
}

/// Steps until `done` holds (the dialog runs on a worker thread), for up to 2 s.
fn wait(h: &mut App, done: impl Fn(&App) -> bool) {
    for _ in 0..400 {
        h.step();
        if done(h) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run();
}

fn click(h: &mut App, label: &str) {
    h.get_by_label(label).click();
    settle(h);
}

/// Runs frames until the UI settles; the list of matches fades in and out over a few frames
/// more than `run` allows.
fn settle(h: &mut App) {
    h.run_steps(10);
}

fn has_text(h: &App, needle: &str) -> bool {
    h.query_all_by(|n| n.value().is_some_and(|v| v.contains(needle)))
        .next()
        .is_some()
}

const FIELD: &str = "Vault path or URL";

/// Replaces the path field's text with `text`.
fn type_path(h: &mut App, text: &str) {
    h.get_by_label(FIELD).focus();
    h.run();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.key_press(egui::Key::Backspace);
    settle(h);
    h.get_by_label(FIELD).type_text(text);
    settle(h);
}

#[test]
fn open_falls_back_to_a_typed_path_with_completion_when_no_dialog_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = vault(dir.path(), "first.keyward", "acme");
    let second = vault(dir.path(), "second.keyward", "globex");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "shopping list").expect("write");
    let mut h = app(first.clone(), dir.path());
    h.state_mut().set_open_dialog(Arc::new(NoPortal));
    click(&mut h, "Open another vault…");
    wait(&mut h, |h| h.query_by_label(FIELD).is_some());
    assert!(
        h.query_by_label(FIELD).is_some(),
        "a path field, not nothing"
    );

    // A missing file, a folder and a file that is not a vault each say so; nothing switches.
    let sep = std::path::MAIN_SEPARATOR;
    let base = dir.path().display().to_string();
    for (typed, says) in [
        (format!("{base}{sep}gone.keyward"), "There is no file at"),
        (base.clone(), "is a folder"),
        (notes.display().to_string(), "is not a Keyward vault"),
    ] {
        type_path(&mut h, &typed);
        click(&mut h, "Open");
        assert!(has_text(&h, says), "{typed}: {says}");
        assert_eq!(h.state().vault_path(), first);
    }

    // A prefix lists its matches; Tab takes the highlighted one.
    type_path(&mut h, &format!("{base}{sep}sec"));
    assert!(
        h.query_by_label("second.keyward").is_some(),
        "the match is listed"
    );
    h.key_press(egui::Key::Tab);
    settle(&mut h);
    assert_eq!(
        h.get_by_label(FIELD).value().unwrap_or_default(),
        second.display().to_string()
    );
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    assert_eq!(h.state().vault_path(), second, "Enter opens it");

    // The vault left, never unlocked here, is one click away with its last use.
    let back = format!("Open recent vault {}", first.display());
    assert!(h.query_by_label(&back).is_some(), "{:?}", h.state().recent);
    assert!(has_text(&h, "Just now"));
    window::unlock(&mut h, PASS);
    assert!(h.query_by_label("Workspace globex").is_some());
}

#[test]
fn a_typed_team_vault_url_is_accepted_and_never_remembered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = vault(dir.path(), "first.keyward", "acme");
    let mut h = app(first.clone(), dir.path());
    h.state_mut().set_open_dialog(Arc::new(NoPortal));
    click(&mut h, "Open another vault…");
    wait(&mut h, |h| h.query_by_label(FIELD).is_some());
    let url = "postgres://kw:hunter2@127.0.0.1:1/keys";
    type_path(&mut h, url);
    click(&mut h, "Open");
    assert_eq!(h.state().vault_path(), Path::new(url));
    assert_eq!(h.state().recent.paths, [first], "the URL is not kept");
}

#[test]
fn recent_vaults_show_their_last_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = vault(dir.path(), "first.keyward", "acme");
    let second = vault(dir.path(), "second.keyward", "globex");
    let mut h = app(first.clone(), dir.path());
    let two_hours_ago = keyward::vault::now() - 2 * 3600 - 60;
    h.state_mut().recent.remember(&second, two_hours_ago);
    h.run();
    assert!(
        h.query_by_label(&format!("Open recent vault {}", second.display()))
            .is_some()
    );
    assert!(has_text(&h, "2 h ago"));
}

#[test]
fn open_and_recent_are_in_the_vault_menu_while_unlocked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = vault(dir.path(), "first.keyward", "acme");
    let second = vault(dir.path(), "second.keyward", "globex");
    let mut h = app(first.clone(), dir.path());
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked());
    h.state_mut()
        .set_open_dialog(Arc::new(PickFile(second.clone())));
    click(&mut h, "Vault");
    click(&mut h, "Open another vault…");
    wait(&mut h, |h| h.state().vault_path() == second);
    assert_eq!(h.state().vault_path(), second);
    assert!(h.state().is_locked(), "switching locked the vault first");

    window::unlock(&mut h, PASS);
    assert!(h.query_by_label("Workspace globex").is_some());
    click(&mut h, "Vault");
    click(&mut h, "Recent vaults");
    click(&mut h, &format!("Switch to vault {}", first.display()));
    assert_eq!(h.state().vault_path(), first);
    assert!(h.state().is_locked());
    window::unlock(&mut h, PASS);
    assert!(h.query_by_label("Workspace acme").is_some());
}
