//! The window (eframe/egui). Talks to the vault only through `crate::vault`'s public API.

use std::path::PathBuf;
use std::process::ExitCode;

/// Opens the window on `vault`.
pub fn run(vault: PathBuf) -> ExitCode {
    eprintln!(
        "keyward: the window is not built yet; vault {}",
        vault.display()
    );
    ExitCode::from(2)
}
