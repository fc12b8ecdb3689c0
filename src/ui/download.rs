//! Where Download .json and the Activity's Export CSV… write: `KEYWARD_DOWNLOAD_DIR`, else a
//! native save dialog (on a worker thread, see `save_dialog`), else the Downloads folder (with
//! no display, or when the dialog cannot open).

use std::path::{Path, PathBuf};

use super::save_dialog::SaveRequest;
use crate::vault::{self, KeyFile};

/// What is saved: how the dialog says it and how a second file of the name is named.
pub struct Kind {
    pub title: &'static str,
    pub filter: &'static str,
    pub extension: &'static str,
    /// The end of the file name kept when a number is added (`name-2.keyward.json`).
    pub suffix: &'static str,
}

/// A key file (Download .json).
pub const KEY_FILE: Kind = Kind {
    title: "Save API key",
    filter: "Keyward key file",
    extension: "json",
    suffix: ".keyward.json",
};

/// The Activity view's entries (Export CSV…).
pub const ACTIVITY_CSV: Kind = Kind {
    title: "Export activity",
    filter: "CSV",
    extension: "csv",
    suffix: ".csv",
};

/// Where a download goes: decided at once, or to be asked in a save dialog.
pub enum Target {
    File(PathBuf),
    Ask(SaveRequest),
}

/// The user's Downloads folder, created if needed (`~/Downloads` where none is configured).
pub fn downloads_dir() -> PathBuf {
    directories::UserDirs::new()
        .and_then(|u| u.download_dir().map(Path::to_path_buf))
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join("Downloads")))
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// A name that does not overwrite an earlier download: `name.keyward.json`, `name-2.keyward.json`...
fn free_path(dir: &Path, file_name: &str, kind: &Kind) -> PathBuf {
    let first = dir.join(file_name);
    if !first.exists() {
        return first;
    }
    let stem = file_name.trim_end_matches(kind.suffix);
    let suffix = kind.suffix;
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}{suffix}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Decides where to save: `fixed_dir` (tests, `KEYWARD_DOWNLOAD_DIR`), a save dialog when one
/// can open (`dialog`), else the Downloads folder. The dialog gets the window as its parent.
pub fn choose(
    kind: &Kind,
    fixed_dir: Option<&Path>,
    file_name: &str,
    dialog: bool,
    parent: Option<&eframe::Frame>,
) -> Target {
    if let Some(dir) = fixed_dir {
        return Target::File(free_path(dir, file_name, kind));
    }
    let downloads = downloads_dir();
    if !dialog {
        return Target::File(free_path(&downloads, file_name, kind));
    }
    let mut native = rfd::FileDialog::new()
        .set_title(kind.title)
        .set_directory(&downloads)
        .set_file_name(file_name)
        .add_filter(kind.filter, &[kind.extension]);
    if let Some(frame) = parent {
        native = native.set_parent(frame);
    }
    Target::Ask(SaveRequest {
        dir: downloads,
        file_name: file_name.to_owned(),
        dialog: native,
    })
}

/// Where the file goes when no dialog could open: a free name in Downloads.
pub fn fallback_path(file_name: &str, kind: &Kind) -> PathBuf {
    free_path(&downloads_dir(), file_name, kind)
}

/// A display server is there for a native dialog to open on.
pub fn can_show_dialog() -> bool {
    has_display()
}

/// Writes the key file atomically with owner-only permissions.
pub fn write(path: &Path, file: &KeyFile) -> vault::Result<()> {
    write_bytes(path, file.to_json().as_bytes())
}

/// Writes `bytes` to `path` atomically with owner-only permissions (its folder made first).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> vault::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| vault::Error::io(dir, e))?;
    }
    vault::write_private_file(path, bytes)
}
