//! The window refuses a vault this machine saw in a newer state (a whole-file rollback) on the
//! unlock screen, says why, and takes it on purpose with Accept this vault.

mod common;

use egui_kittest::kittest::Queryable as _;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::{Preset, Vault};

use common::window::{app, fast_kdf, settle, unlock};

const PASS: &str = "orbit tundra marble 71";

#[test]
fn a_rolled_back_vault_is_refused_on_the_unlock_screen_and_accepted_on_purpose() {
    let dir = tempfile::tempdir().expect("tempdir");
    // SAFETY: the only test of this binary sets it before any thread that reads it starts.
    unsafe { std::env::set_var("KEYWARD_PINS_DIR", dir.path().join("pins")) };
    let path = dir.path().join("v.keyward");
    {
        let mut v = Vault::create(&path, PASS, fast_kdf()).expect("create");
        v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    }
    let old = dir.path().join("old.keyward");
    std::fs::copy(&path, &old).expect("copy");
    {
        let mut v = Vault::open(&path, PASS).expect("open");
        v.add_workspace("newer", Preset::ReadWrite).expect("ws");
    }
    std::fs::copy(&old, &path).expect("put the older copy back");

    let mut h = app(
        path.clone(),
        egui::vec2(1180.0, 760.0),
        None,
        MemoryClipboard::default(),
    );
    unlock(&mut h, PASS);
    assert!(h.state().is_locked(), "a rolled-back vault must not unlock");
    // One message: refused, why, and what to do.
    let _ = h.get_by_label_contains("Refusing this vault");
    let _ = h.get_by_label_contains("went back in time");
    let _ = h.get_by_label_contains("Accept this vault below");

    h.get_by_label("Accept this vault").click();
    h.step();
    settle(&mut h);
    assert!(
        !h.state().is_locked(),
        "Accept this vault unlocks it as it is"
    );
    // Remembered: the same file opens without a word now.
    assert!(Vault::open(&path, PASS).is_ok());
}
