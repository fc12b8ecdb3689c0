//! The secret shown once: Copy (the secret or a `curl` line with it), Download .json (through
//! a save dialog on a worker thread), Close, and Discard and revoke; the never-delivered list.

use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::UiError;
use crate::ui::app::{KeywardApp, Screen};
use crate::ui::clipboard::ClipboardSecret;
use crate::ui::download;
use crate::ui::save_dialog::{Answer, NativeSaveDialog, SaveDialog, SaveJob, Saving};
use crate::ui::state::{SecretCommand, Waiting};

impl KeywardApp {
    pub(super) fn secret_command(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
        command: SecretCommand,
    ) -> Result<(), UiError> {
        match command {
            SecretCommand::Close | SecretCommand::CloseAndQuit => {
                // Dropping the dialog drops the only copy of the secret (zeroized).
                let waiting = self
                    .session_mut()
                    .and_then(|s| s.secret.take())
                    .and_then(|d| d.waiting);
                // A refused window close does not stay armed: it quits only when asked again.
                let and_quit = matches!(command, SecretCommand::CloseAndQuit);
                let waiting = match (and_quit, waiting) {
                    (true, _) => Some(Waiting::Quit),
                    (_, Some(Waiting::Quit)) => None,
                    (_, waiting) => waiting,
                };
                self.resume(ctx, waiting);
                Ok(())
            }
            SecretCommand::Discard => self.discard_secret(ctx),
            SecretCommand::Copy => self.copy_secret(ctx, false),
            SecretCommand::CopyCurl => self.copy_secret(ctx, true),
            SecretCommand::Download => self.download_secret(ctx, frame),
            SecretCommand::UndeliveredLater => {
                if let Some(s) = self.session_mut() {
                    s.undelivered_later = true;
                }
                Ok(())
            }
        }
    }

    /// Copies the secret (or the `curl` line with it) with the clipboard timer and the
    /// activity log entry.
    fn copy_secret(&mut self, ctx: &egui::Context, curl: bool) -> Result<(), UiError> {
        let seconds = self.settings.clipboard_seconds;
        let Screen::Unlocked(s) = &mut self.screen else {
            return Ok(());
        };
        let Some(dialog) = &mut s.secret else {
            return Ok(());
        };
        let text = Zeroizing::new(if curl {
            crate::ui::dialogs::secret::curl_line(dialog.minted.secret.expose())
        } else {
            dialog.minted.secret.expose().to_owned()
        });
        let secret = text.as_str();
        if let Err(e) = self.options.clipboard.set_text(secret) {
            dialog.error = Some(format!(
                "No clipboard is available ({e}). Use Download .json instead."
            ));
            return Ok(());
        }
        dialog.copied = true;
        dialog.clipboard_cleared = false;
        dialog.error = None;
        let now = ctx.input(|i| i.time);
        self.clip = Some(ClipboardSecret::new(
            secret,
            now + f64::from(seconds.max(1)),
        ));
        let key_id = dialog.minted.info.key_id.clone();
        let _ = s.vault.record_handover(
            &key_id,
            crate::vault::Action::KeyCopied,
            "copied to the clipboard",
        );
        let what = if curl { "Command" } else { "Secret" };
        self.say(format!(
            "{what} copied; the clipboard clears in {seconds} s"
        ));
        Ok(())
    }

    /// "Discard and revoke" (see [`crate::ui::state::Session::discard_secret`]); a held-back quit or lock goes on.
    fn discard_secret(&mut self, ctx: &egui::Context) -> Result<(), UiError> {
        let Some(s) = self.session_mut() else {
            return Ok(());
        };
        let Some((name, waiting)) = s.discard_secret() else {
            return Ok(());
        };
        let reload = s.reload();
        self.say(format!(
            "Revoked {name}: its secret was discarded without being handed over"
        ));
        self.resume(ctx, waiting);
        reload.map_err(UiError::Reload)
    }

    /// The save dialog to ask through: the one set (tests), else the platform's when it can
    /// be shown, else none (then files go straight to the downloads folder).
    pub(super) fn usable_save_dialog(&self) -> Option<Arc<dyn SaveDialog>> {
        self.save_dialog.clone().or_else(|| {
            download::can_show_dialog().then(|| Arc::new(NativeSaveDialog) as Arc<dyn SaveDialog>)
        })
    }

    /// Download .json: straight to a file, or through a save dialog on a worker thread (the
    /// window keeps drawing; the answer is picked up by [`Self::poll_save`]).
    fn download_secret(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
    ) -> Result<(), UiError> {
        if self.save_job.is_some() {
            return Ok(());
        }
        let fixed = self.options.download_dir.clone();
        let dialog = self.usable_save_dialog();
        let Some(secret) = self.session_mut().and_then(|s| s.secret.as_mut()) else {
            return Ok(());
        };
        let file_name = secret.minted.key_file().default_file_name();
        let key_id = secret.minted.info.key_id.clone();
        let kind = &download::KEY_FILE;
        match download::choose(kind, fixed.as_deref(), &file_name, dialog.is_some(), frame) {
            download::Target::File(path) => self.save_key_file(path),
            download::Target::Ask(request) => {
                if let Some(dialog) = dialog {
                    secret.saving = true;
                    let what = Saving::KeyFile { key_id };
                    self.save_job = Some(SaveJob::start(dialog, request, what, ctx));
                }
            }
        }
        Ok(())
    }

    /// Takes the save dialog's answer, if it came, and writes the file there.
    pub(in crate::ui::app) fn poll_save(&mut self) {
        let Some(answer) = self.save_job.as_ref().and_then(SaveJob::poll) else {
            return;
        };
        let Some(job) = self.save_job.take() else {
            return;
        };
        let key_id = match job.what {
            Saving::KeyFile { key_id } => key_id,
            Saving::ActivityCsv { csv, entries } => {
                self.save_activity_csv(answer, &csv, entries);
                return;
            }
        };
        // The secret may be gone meanwhile (locked): then there is nothing to write.
        let Some(secret) = self
            .session_mut()
            .and_then(|s| s.secret.as_mut())
            .filter(|d| d.minted.info.key_id == key_id)
        else {
            return;
        };
        secret.saving = false;
        let file_name = secret.minted.key_file().default_file_name();
        match answer {
            Answer::File(path) => self.save_key_file(path),
            Answer::Unavailable => {
                self.save_key_file(download::fallback_path(&file_name, &download::KEY_FILE))
            }
            Answer::Cancelled => {}
        }
    }

    /// Writes the shown secret's key file to `path` and records the hand-over.
    fn save_key_file(&mut self, path: PathBuf) {
        let Screen::Unlocked(s) = &mut self.screen else {
            return;
        };
        let Some(dialog) = &mut s.secret else {
            return;
        };
        let file = dialog.minted.key_file();
        match download::write(&path, &file) {
            Ok(()) => {
                dialog.downloaded = Some(path.clone());
                dialog.error = None;
                let key_id = dialog.minted.info.key_id.clone();
                let _ = s.vault.record_handover(
                    &key_id,
                    crate::vault::Action::KeyDownloaded,
                    "saved as a key file",
                );
                self.say(format!("Saved {}", path.display()));
            }
            Err(e) => dialog.error = Some(format!("Could not save the key file: {e}")),
        }
    }
}
