//! "Open another vault…" where no file dialog answers (no display, or no desktop portal as under
//! Xvfb, where rfd returns nothing at once): a typed path, or a team vault's `postgres://` URL,
//! with completion of path prefixes (a list of matches under the field; Tab or Enter takes one).

use std::path::{Path, PathBuf};

use egui::RichText;
use zeroize::Zeroizing;

use super::theme;
use crate::vault::Vault;

/// At most this many matches are listed (a folder of thousands is not read into a popup).
const MAX_MATCHES: usize = 40;
/// At most this many directory entries are looked at per prefix.
const MAX_ENTRIES: usize = 5_000;

/// What the field asks of the unlock screen.
#[derive(Debug, PartialEq, Eq)]
pub enum PathAction {
    Open(PathBuf),
    Cancel,
}

#[derive(Default)]
pub struct PathField {
    /// It may be a URL with the server's password: wiped when dropped, never saved.
    text: Zeroizing<String>,
    error: Option<String>,
    focus: bool,
    /// The matches of the text they were listed for (read once per prefix, not per frame).
    matches: Option<(String, Vec<String>)>,
}

impl PathField {
    /// A field focused once shown, starting in `dir` (with its separator, ready to complete).
    pub fn new(dir: Option<&Path>) -> PathField {
        let text = dir
            .filter(|d| d.is_dir())
            .map(|d| {
                let mut s = d.display().to_string();
                if !s.ends_with(std::path::MAIN_SEPARATOR) {
                    s.push(std::path::MAIN_SEPARATOR);
                }
                s
            })
            .unwrap_or_default();
        PathField {
            text: Zeroizing::new(text),
            error: None,
            focus: true,
            matches: None,
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, enabled: bool) -> Option<PathAction> {
        ui.add_space(theme::SPACE);
        let label = ui.label("Vault path or URL");
        let id = ui.make_persistent_id("open_vault_path");
        let matches = self.matches_of_text();
        let output = egui::CompletionPopup::new(id)
            .word_boundary(|_| false)
            .show(
                ui,
                egui::TextEdit::singleline(&mut *self.text)
                    .hint_text("/path/to/vault.keyward or postgres://…")
                    .desired_width(f32::INFINITY),
                |query| {
                    matches
                        .iter()
                        .filter(|m| m.as_str() != query.word)
                        .map(|m| egui::Suggestion::new(m.clone()).content(file_part(m)))
                        .collect()
                },
            );
        let field = output.text_edit.response.response.labelled_by(label.id);
        if std::mem::take(&mut self.focus) {
            field.request_focus();
        }
        if field.changed() || output.accepted.is_some() {
            self.error = None;
        }
        ui.label(
            RichText::new("Tab or Enter takes the highlighted match. A URL is never saved.")
                .small()
                .color(theme::MUTED),
        );
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).color(theme::DANGER).strong());
        }
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let mut action = None;
        ui.horizontal(|ui| {
            let open = ui.add_enabled(enabled, egui::Button::new("Open"));
            if (open.clicked() || entered) && enabled {
                match check(&self.text) {
                    Ok(path) => action = Some(PathAction::Open(path)),
                    Err(e) => {
                        self.error = Some(e);
                        self.focus = true;
                    }
                }
            }
            if ui.button("Cancel").clicked() {
                action = Some(PathAction::Cancel);
            }
        });
        action
    }

    /// The matches of the text as it is, listed again only when it changed.
    fn matches_of_text(&mut self) -> Vec<String> {
        if self.matches.as_ref().is_none_or(|(t, _)| *t != *self.text) {
            self.matches = Some(((*self.text).clone(), completions(&self.text)));
        }
        self.matches
            .as_ref()
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

/// The last part of a match, as the list shows it (folders keep their separator).
fn file_part(m: &str) -> String {
    let trimmed = m.trim_end_matches(std::path::MAIN_SEPARATOR);
    let name = Path::new(trimmed)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| trimmed.to_owned());
    if trimmed.len() < m.len() {
        format!("{name}{}", std::path::MAIN_SEPARATOR)
    } else {
        name
    }
}

/// `~/x` means the home folder's `x`.
fn expand(text: &str) -> PathBuf {
    let home = || directories::BaseDirs::new().map(|b| b.home_dir().to_owned());
    match text.strip_prefix("~/") {
        Some(rest) => home().map_or_else(|| PathBuf::from(text), |h| h.join(rest)),
        None if text == "~" => home().unwrap_or_else(|| PathBuf::from(text)),
        None => PathBuf::from(text),
    }
}

/// The paths that complete `text`: the entries of its folder whose names start with its last
/// part, folders first (with a separator, to go on into them), then files; hidden ones only
/// when the part starts with a dot. A URL has none.
pub fn completions(text: &str) -> Vec<String> {
    if text.is_empty() || Vault::is_server_location(Path::new(text.trim())) {
        return Vec::new();
    }
    let sep = std::path::MAIN_SEPARATOR;
    let (typed_dir, prefix) = match text.rfind(sep) {
        Some(i) => text.split_at(i + 1),
        None => ("", text),
    };
    let dir = if typed_dir.is_empty() {
        PathBuf::from(".")
    } else {
        expand(typed_dir)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<(bool, String)> = entries
        .take(MAX_ENTRIES)
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let shown =
                name.starts_with(prefix) && (prefix.starts_with('.') || !name.starts_with('.'));
            // A link to a folder counts as a folder.
            shown.then(|| (!e.path().is_dir(), name))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .take(MAX_MATCHES)
        .map(|(file, name)| {
            let end = if file { String::new() } else { sep.to_string() };
            format!("{typed_dir}{name}{end}")
        })
        .collect()
}

/// The location `text` names, if a vault can be opened there; else why not.
pub fn check(text: &str) -> Result<PathBuf, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter a vault's path or a postgres:// URL".into());
    }
    let path = expand(text);
    if Vault::is_server_location(&path) {
        return Ok(path);
    }
    let shown = path.display();
    if path.is_dir() {
        return Err(format!("{shown} is a folder: choose a vault file in it"));
    }
    if !path.exists() {
        return Err(format!("There is no file at {shown}"));
    }
    match Vault::kdf_params(&path) {
        Ok(_) => Ok(path),
        Err(e) => Err(format!("{shown} is not a Keyward vault ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_complete_to_folders_then_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path();
        std::fs::create_dir(base.join("vaults")).expect("dir");
        std::fs::write(base.join("vault.keyward"), b"x").expect("file");
        std::fs::write(base.join("notes.txt"), b"x").expect("file");
        std::fs::write(base.join(".hidden"), b"x").expect("file");
        let sep = std::path::MAIN_SEPARATOR;
        let typed = format!("{}{sep}vau", base.display());
        assert_eq!(
            completions(&typed),
            [
                format!("{}{sep}vaults{sep}", base.display()),
                format!("{}{sep}vault.keyward", base.display()),
            ]
        );
        let all = completions(&format!("{}{sep}", base.display()));
        assert_eq!(all.len(), 3, "no hidden file unless asked: {all:?}");
        assert_eq!(completions(&format!("{}{sep}.h", base.display())).len(), 1);
        assert!(completions("postgres://kw@db/keys").is_empty());
        assert!(completions(&format!("{}{sep}nothing{sep}x", base.display())).is_empty());
    }

    #[test]
    fn a_missing_file_a_folder_and_a_non_vault_say_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "shopping list").expect("write");
        let missing = check(&dir.path().join("gone.keyward").display().to_string());
        assert!(missing.is_err_and(|e| e.starts_with("There is no file at")));
        let folder = check(&dir.path().display().to_string());
        assert!(folder.is_err_and(|e| e.contains("is a folder")));
        let not_vault = check(&notes.display().to_string());
        assert!(not_vault.is_err_and(|e| e.contains("is not a Keyward vault")));
        assert!(check("  ").is_err());
        assert_eq!(
            check("postgres://kw@db.example/keys"),
            Ok(PathBuf::from("postgres://kw@db.example/keys"))
        );
    }
}
