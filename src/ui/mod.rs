//! The window (eframe/egui). Talks to the vault only through `crate::vault`'s public API.
//!
//! The shell ([`app::KeywardApp`]) draws the screens, which only collect [`state::Command`]s;
//! the commands run once per frame after drawing, so drawing never changes the vault.
//!
//! Layers: `state` (the shared types) and the widgets depend on nothing else of the window;
//! the views (`sidebar`, `node_view`, `dialogs/*`, `unlock`) depend on `state`; the shell
//! (`app`) depends on the views. Nothing depends on the shell.

mod a11y;
pub(crate) mod activity_view;
mod app;
mod bulk_bar;
mod calendar;
pub mod clipboard;
mod details_panel;
mod dialogs;
mod download;
mod expiry_field;
mod finding_kind;
mod focus;
pub mod fonts;
mod health_filter;
mod health_view;
pub mod icon;
mod key_rows;
mod key_table;
mod keys_keyboard;
mod keys_tab;
mod limits_field;
mod live_banner;
mod modal;
mod node_view;
pub mod notify;
mod open_path;
mod passphrase;
mod recent;
pub mod save_dialog;
pub mod screen_lock;
pub mod shortcuts;
mod sidebar;
mod state;
mod table_a11y;
pub mod theme;
mod time;
mod unlock;
pub mod usage_chart;
mod usage_view;
mod vault_tools;
mod widgets;
#[cfg(target_os = "linux")]
mod x11_class;

use std::path::PathBuf;
use std::process::ExitCode;

pub use a11y::has_pictogram;
pub use app::{AppOptions, KeywardApp};
pub use state::Settings;

/// How the window is opened: its title, icon, sizes and the app id that ties it to the desktop
/// entry (X11 `WM_CLASS`, Wayland app id).
pub fn native_options() -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Keyward")
        .with_app_id(crate::APP_ID)
        .with_inner_size([1180.0, 760.0])
        .with_min_inner_size([760.0, 480.0]);
    if let Some(icon) = icon::window_icon() {
        viewport = viewport.with_icon(icon);
    }
    eframe::NativeOptions {
        viewport,
        persist_window: true,
        // The app installs its own fallback (`fonts`), which needs no fontconfig library.
        system_font_fallback: false,
        ..Default::default()
    }
}

/// Opens the window on `vault` (created on first start).
pub fn run(vault: PathBuf) -> ExitCode {
    let options = native_options();
    let result = eframe::run_native(
        "Keyward",
        options,
        Box::new(move |cc| {
            #[cfg(target_os = "linux")]
            x11_class::name_the_instance(cc);
            Ok(Box::new(KeywardApp::new(cc, AppOptions::from_env(vault))))
        }),
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
