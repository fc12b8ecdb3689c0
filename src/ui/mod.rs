//! The window (eframe/egui). Talks to the vault only through `crate::vault`'s public API.
//!
//! The shell ([`app::KeywardApp`]) draws the screens, which only collect [`state::Command`]s;
//! the commands run once per frame after drawing, so drawing never changes the vault.
//!
//! Layers: `state` (the shared types) and the widgets depend on nothing else of the window;
//! the views (`sidebar`, `node_view`, `dialogs/*`, `unlock`) depend on `state`; the shell
//! (`app`) depends on the views. Nothing depends on the shell.

mod app;
pub mod clipboard;
mod dialogs;
mod download;
mod key_table;
mod modal;
mod node_view;
mod sidebar;
mod state;
pub mod theme;
mod unlock;
mod widgets;

use std::path::PathBuf;
use std::process::ExitCode;

pub use app::{AppOptions, KeywardApp};
pub use state::Settings;

/// Opens the window on `vault` (created on first start).
pub fn run(vault: PathBuf) -> ExitCode {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Keyward")
            .with_app_id("keyward")
            .with_inner_size([1180.0, 760.0])
            .with_min_inner_size([760.0, 480.0]),
        persist_window: true,
        ..Default::default()
    };
    let result = eframe::run_native(
        "Keyward",
        options,
        Box::new(move |cc| Ok(Box::new(KeywardApp::new(cc, AppOptions::from_env(vault))))),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Not eprintln!: it panics when stderr is closed.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "keyward: error: cannot open the window: {e}\n\
                 keyward: the command line works without a display: keyward --help"
            );
            ExitCode::from(2)
        }
    }
}
