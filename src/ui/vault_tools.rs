//! Backup and Doctor in the window, over the vault's own `backup` and `doctor`.

use std::path::{Path, PathBuf};

use egui::RichText;

use super::modal::{Dismiss, button_row, modal_ui};
use super::state::Session;
use super::theme;
use crate::vault::Timestamp;

/// Where Back up writes: beside the vault, `<name>-backup-<day>.keyward`, never over a file.
pub fn backup_path(vault: &Path, now: Timestamp) -> PathBuf {
    // A team vault's URL is no place for a file: its backup goes to Keyward's data folder,
    // named after the database.
    let server_dir = crate::vault::Vault::is_server_location(vault).then(|| {
        crate::vault::Vault::default_path()
            .and_then(|p| p.parent().map(Path::to_owned))
            .unwrap_or_else(|| PathBuf::from("."))
    });
    let dir = match &server_dir {
        Some(d) => d.as_path(),
        None => vault.parent().unwrap_or(Path::new(".")),
    };
    let stem = if server_dir.is_some() {
        let shown = crate::vault::display_location(vault);
        let db: String = shown
            .rsplit('/')
            .next()
            .and_then(|tail| tail.split('?').next())
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if db.is_empty() { "team".into() } else { db }
    } else {
        vault
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vault".into())
    };
    let day = super::time::date_in_days(now, 0);
    let first = dir.join(format!("{stem}-backup-{day}.keyward"));
    if first.symlink_metadata().is_err() {
        return first;
    }
    (2..10_000)
        .map(|n| dir.join(format!("{stem}-backup-{day}-{n}.keyward")))
        .find(|p| p.symlink_metadata().is_err())
        .unwrap_or(first)
}

/// The Doctor report, while one is shown.
pub fn doctor_ui(ctx: &egui::Context, s: &mut Session) {
    let Some(report) = &s.doctor else {
        return;
    };
    let (close, dismissed) = modal_ui(ctx, "Doctor", Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
        if report.is_healthy() {
            ui.label(
                RichText::new(
                    "The vault is sound: the file, every record and the activity chain check out.",
                )
                .color(theme::SUCCESS)
                .strong(),
            );
        } else {
            ui.label(
                RichText::new(format!(
                    "{} found",
                    crate::numbers::count_of(report.problems.len(), "problem", "problems")
                ))
                .color(theme::DANGER)
                .strong(),
            );
        }
        let n = crate::numbers::count_of;
        ui.label(format!(
            "{}, {}, {}, {} committed",
            n(report.nodes, "node", "nodes"),
            n(report.keys, "key", "keys"),
            n(
                report.activity_entries,
                "activity entry",
                "activity entries"
            ),
            n(
                usize::try_from(report.transactions).unwrap_or(usize::MAX),
                "change",
                "changes"
            ),
        ));
        egui::ScrollArea::vertical()
            .max_height(240.0)
            .show(ui, |ui| {
                for p in &report.problems {
                    ui.label(RichText::new(p).color(theme::DANGER));
                }
                for w in &report.warnings {
                    ui.label(RichText::new(w).color(theme::WARNING));
                }
            });
        let mut close = false;
        button_row(ui, |ui| close = ui.button("Close").clicked());
        close
    });
    if close || dismissed {
        s.doctor = None;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backups_never_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = dir.path().join("team.keyward");
        let now = 1_795_341_600; // 2026-11-22
        let first = super::backup_path(&vault, now);
        assert_eq!(first, dir.path().join("team-backup-2026-11-22.keyward"));
        let server = super::backup_path(
            std::path::Path::new("postgres://kw:secret@db.example/keys_prod?sslmode=require"),
            now,
        );
        assert!(
            server.ends_with("keys_prod-backup-2026-11-22.keyward"),
            "{server:?}"
        );
        assert!(!server.to_string_lossy().contains("secret"));
        assert!(!server.to_string_lossy().contains("postgres:"));
        std::fs::write(&first, b"x").expect("write");
        assert_eq!(
            super::backup_path(&vault, now),
            dir.path().join("team-backup-2026-11-22-2.keyward")
        );
    }
}
