//! The window under egui_kittest: the app on a vault, and unlocking it.

use std::path::PathBuf;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::ui::{AppOptions, KeywardApp};
use keyward::vault::KdfParams;

pub type App = Harness<'static, KeywardApp>;

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
