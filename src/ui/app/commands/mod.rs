//! The commands drawing collected, run once per frame after drawing: the only place the window
//! changes the vault.

use crate::numbers::count_of;
use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::{KeywardApp, Screen, workspace_of};
use crate::ui::activity_view::{self, VaultActivity};
use crate::ui::clipboard::ClipboardSecret;
use crate::ui::details_panel::DetailsPanel;
use crate::ui::dialogs::GrantScope;
use crate::ui::download;
use crate::ui::save_dialog::{Answer, NativeSaveDialog, SaveDialog, SaveJob};
use crate::ui::state::{
    Command, Page, RekeyJob, SecretDialog, Session, Settings, VaultWork, Waiting,
};
use crate::ui::time::local_time;
use crate::ui::unlock::OpenRequest;
use crate::vault::{Grace, MintedKey};

impl KeywardApp {
    pub(super) fn run_commands(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
        commands: Vec<Command>,
    ) {
        for command in commands {
            if let Err(e) = self.run_command(ctx, frame, command) {
                // A form's error is shown in the form: a dialog's, or the details panel's.
                let in_form = self.details.is_editing();
                match self.session_mut() {
                    Some(s) if s.dialog.is_some() || in_form => s.dialog_error = Some(e),
                    _ => self.complain(e),
                }
            }
        }
    }

    fn run_command(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
        command: Command,
    ) -> Result<(), String> {
        match command {
            Command::Lock => {
                self.request_lock();
                return Ok(());
            }
            Command::OpenVault(path) => {
                // Switching locks first; a secret not handed over holds the lock back (its
                // dialog says why), and the vault is then opened from the unlock screen.
                self.request_lock();
                if self.is_locked() {
                    let open = path.map_or(OpenRequest::Dialog, OpenRequest::File);
                    self.open_other(ctx, frame, open);
                }
                return Ok(());
            }
            Command::CloseSecret | Command::CloseSecretAndQuit => {
                // Dropping the dialog drops the only copy of the secret (zeroized).
                let waiting = self
                    .session_mut()
                    .and_then(|s| s.secret.take())
                    .and_then(|d| d.waiting);
                // A refused window close does not stay armed: it quits only when asked again.
                let and_quit = matches!(command, Command::CloseSecretAndQuit);
                let waiting = match (and_quit, waiting) {
                    (true, _) => Some(Waiting::Quit),
                    (_, Some(Waiting::Quit)) => None,
                    (_, waiting) => waiting,
                };
                self.resume(ctx, waiting);
                return Ok(());
            }
            Command::DiscardSecret => return self.discard_secret(ctx),
            Command::ShowKey(_) | Command::CloseDetails => {
                self.details_command(ctx, command);
                return Ok(());
            }
            Command::ApplySettings(settings) => {
                let last = self.settings.last_node_id;
                self.settings = Settings {
                    last_node_id: last,
                    ..settings
                };
                if let Some(s) = self.session_mut() {
                    s.dialog = None;
                }
                // The passphrase fields' text goes with the dialog, undo history and all.
                self.forget_typed_text = true;
                self.say("Settings saved");
                return Ok(());
            }
            Command::CopySecret => return self.copy_secret(ctx, false),
            Command::CopyCurl => return self.copy_secret(ctx, true),
            Command::DownloadSecret => return self.download_secret(ctx, frame),
            _ => {}
        }
        let Screen::Unlocked(s) = &mut self.screen else {
            return Ok(());
        };
        let err = |e: crate::vault::Error| e.to_string();
        let mut message = None;
        // A message that stays until dismissed: something asked for was refused.
        let mut complaint = None;
        let mut new_key = None;
        match command {
            Command::Select(id) => {
                self.details = DetailsPanel::default();
                s.vault_activity = None;
                s.selected = Some(id);
                s.page = Page::Node;
                s.keys.search.clear();
                self.settings.last_node_id = Some(id);
            }
            Command::SetTab(tab) => s.tab = tab,
            Command::ShowHealth => {
                s.page = Page::Health;
                s.vault_activity = None;
                s.banner = false;
                return Ok(());
            }
            Command::FilterHealth(kind) => {
                s.health_filter = kind;
                return Ok(());
            }
            Command::DismissBanner => {
                s.banner = false;
                return Ok(());
            }
            Command::EditKey { key_id, edit } => {
                let info = s.vault.edit_key_details(&key_id, edit).map_err(err)?;
                message = Some(format!("Details of {} saved", info.name));
                s.dialog = None;
            }
            Command::SaveKey {
                key_id,
                edit,
                scopes,
            } => {
                let mut info = s.vault.edit_key_details(&key_id, edit).map_err(err)?;
                if let Some((scopes, full_access)) = scopes {
                    info = s
                        .vault
                        .set_scopes(&key_id, &scopes, full_access)
                        .map_err(err)?;
                }
                message = Some(format!("Details of {} saved", info.name));
            }
            Command::Acknowledge {
                subject,
                kind,
                until,
                reason,
            } => {
                s.vault
                    .acknowledge(&subject, kind, until, &reason)
                    .map_err(err)?;
                message = Some(format!("Acknowledged until {}", local_time(until)));
                s.dialog = None;
            }
            Command::SetScanFolder(folder) => {
                s.scan.folder = folder;
                return Ok(());
            }
            Command::SetScanHidden(hidden) => {
                s.scan.hidden = hidden;
                return Ok(());
            }
            Command::PickScanFolder => {
                if !download::has_display() {
                    return Err("No folder dialog here: type the folder's path".into());
                }
                let (tx, rx) = std::sync::mpsc::channel();
                let ctx = ctx.clone();
                std::thread::spawn(move || {
                    let _ = tx.send(rfd::FileDialog::new().pick_folder());
                    ctx.request_repaint();
                });
                s.scan.picking = Some(rx);
                return Ok(());
            }
            Command::StartScan => {
                super::scan::start_scan(ctx, s)?;
                return Ok(());
            }
            Command::CancelScan => {
                if let Some(job) = &s.scan.job {
                    job.cancel();
                }
                return Ok(());
            }
            Command::Open(dialog) => {
                s.dialog = Some(dialog);
                s.dialog_error = None;
                return Ok(());
            }
            Command::CloseDialog => {
                s.dialog = None;
                self.forget_typed_text = true;
                return Ok(());
            }
            Command::AddNode {
                parent,
                name,
                preset,
                prefix,
            } => {
                let node = match parent {
                    None => s.vault.add_workspace(&name, preset),
                    Some(p) => match s.nodes.iter().find(|n| n.id == p).map(|n| n.kind) {
                        Some(crate::vault::NodeKind::Workspace) => s.vault.add_project(p, &name),
                        _ => s.vault.add_environment(p, &name, prefix.as_deref()),
                    },
                }
                .map_err(err)?;
                message = Some(format!("Added {} {}", node.kind.noun(), node.path));
                s.selected = Some(node.id);
                s.dialog = None;
            }
            Command::RenameNode { id, name } => {
                let node = s.vault.rename_node(id, &name).map_err(err)?;
                message = Some(format!("Renamed to {}", node.path));
                s.dialog = None;
            }
            Command::DeleteNode { id } => {
                let keys = s.vault.delete_node(id, true).map_err(err)?;
                message = Some(format!("Deleted, with {}", count_of(keys, "key", "keys")));
                s.selected = None;
                s.dialog = None;
            }
            Command::CreateKey { node, new } => {
                let minted = s.vault.create_key_shown(node, new).map_err(err)?;
                new_key = Some(minted.info.key_id.clone());
                s.dialog = None;
                s.secret = Some(SecretDialog::new(minted, "Your new API key", None, false));
            }
            Command::SetScopes {
                key_id,
                scopes,
                full_access,
            } => {
                let info = s
                    .vault
                    .set_scopes(&key_id, &scopes, full_access)
                    .map_err(err)?;
                message = Some(format!("Scopes of {} updated", info.name));
                s.dialog = None;
            }
            Command::Roll { key_id, grace } => {
                let minted: MintedKey = s.vault.roll_key_shown(&key_id, grace).map_err(err)?;
                let note = match grace {
                    Grace::None => "The previous secret stopped working.".to_owned(),
                    g => format!("The previous secret keeps working for {}.", g.label()),
                };
                s.dialog = None;
                s.undelivered.retain(|(k, _)| k.key_id != key_id);
                s.secret = Some(SecretDialog::new(
                    minted,
                    "Key rolled: new secret",
                    Some(note),
                    true,
                ));
            }
            Command::Revoke { key_id } => {
                let info = s.vault.revoke_key(&key_id).map_err(err)?;
                s.undelivered.retain(|(k, _)| k.key_id != key_id);
                message = Some(format!("Revoked {}", info.name));
                s.dialog = None;
            }
            Command::EditMany { keys, change } => {
                let outcome = super::bulk::apply(s, &keys, &change);
                let text = outcome.message(&change);
                if outcome.refused.is_empty() {
                    message = Some(text);
                } else {
                    complaint = Some(text);
                }
                s.dialog = None;
            }
            Command::SelectKey {
                key_id,
                on,
                range_to,
            } => {
                match range_to {
                    Some(to) => s.keys.select_range(to, on),
                    None => s.keys.set_selected(&key_id, on),
                }
                return Ok(());
            }
            Command::DeleteKey { key_id } => {
                // Named as the other messages name keys; the id only if it cannot be read.
                let name = s.vault.key(&key_id).map_or(key_id.clone(), |k| k.name);
                s.vault.delete_key(&key_id).map_err(err)?;
                message = Some(format!("Deleted {name}"));
                s.dialog = None;
            }
            Command::SaveScope { original, scope } => {
                let node = s
                    .selected_node()
                    .map(|n| n.id)
                    .ok_or("select a node first")?;
                let ws = workspace_of(&s.nodes, node).ok_or("the workspace is missing")?;
                let was_required = s
                    .scopes
                    .iter()
                    .any(|c| Some(&c.id) == original.as_ref() && c.required);
                let (id, required) = (scope.id.clone(), scope.required);
                match original {
                    None => s.vault.add_scope(ws, scope).map_err(err)?,
                    Some(_) => s.vault.update_scope(ws, scope).map_err(err)?,
                };
                s.dialog = None;
                message = Some("Scopes saved".to_owned());
                if required && !was_required {
                    let keys = s.vault.keys_without_scope(ws, &id).map_err(err)?;
                    if keys > 0 {
                        s.dialog = Some(Box::new(GrantScope { id, keys }));
                    }
                }
            }
            Command::RemoveScope { id } => {
                let node = s
                    .selected_node()
                    .map(|n| n.id)
                    .ok_or("select a node first")?;
                let ws = workspace_of(&s.nodes, node).ok_or("the workspace is missing")?;
                let touched = s.vault.remove_scope(ws, &id).map_err(err)?;
                s.dialog = None;
                message = Some(format!(
                    "Removed scope {id} ({} lost it)",
                    count_of(touched, "key", "keys")
                ));
            }
            Command::SetPrefix { id, prefix } => {
                let node = s.vault.set_prefix(id, Some(&prefix)).map_err(err)?;
                s.dialog = None;
                message = Some(format!(
                    "New secrets in {} start with {}_",
                    node.path, node.prefix
                ));
            }
            Command::GrantScope { id } => {
                let node = s
                    .selected_node()
                    .map(|n| n.id)
                    .ok_or("select a node first")?;
                let ws = workspace_of(&s.nodes, node).ok_or("the workspace is missing")?;
                let keys = s.vault.grant_scope(ws, &id).map_err(err)?;
                s.dialog = None;
                message = Some(format!("Added {id} to {}", count_of(keys, "key", "keys")));
            }
            Command::ShowVaultActivity => {
                s.vault_activity = Some(VaultActivity::load(&s.vault, activity_view::PAGE)?);
                return Ok(());
            }
            Command::MoreActivity => {
                if let Some(view) = &mut s.vault_activity {
                    view.limit += activity_view::PAGE;
                    view.reload(&s.vault)?;
                }
                return Ok(());
            }
            Command::Doctor => {
                s.doctor = Some(s.vault.doctor().map_err(err)?);
                return Ok(());
            }
            Command::Backup => {
                let dest = crate::ui::vault_tools::backup_path(s.vault.path(), s.vault.now());
                s.vault.backup(&dest).map_err(err)?;
                message = Some(format!("Backup written to {}", dest.display()));
            }
            Command::UndeliveredLater => {
                s.undelivered_later = true;
                return Ok(());
            }
            Command::ChangePassphrase { current, new } => {
                start_work(ctx, s, current, VaultWork::ChangePassphrase(new));
                return Ok(());
            }
            Command::AddMember {
                current,
                name,
                passphrase,
            } => {
                start_work(ctx, s, current, VaultWork::AddMember { name, passphrase });
                return Ok(());
            }
            Command::RemoveMember { current, name } => {
                start_work(ctx, s, current, VaultWork::RemoveMember(name));
                return Ok(());
            }
            Command::PublishNow => {
                let targets = s.vault.publish_now().map_err(err)?;
                let failed = targets.iter().filter(|t| t.last_error.is_some()).count();
                s.vault.take_publish_errors();
                message = Some(if failed == 0 {
                    format!(
                        "Published {}",
                        count_of(targets.len(), "verifier file", "verifier files")
                    )
                } else {
                    format!("{failed} of {} could not be written", targets.len())
                });
            }
            Command::Lock
            | Command::OpenVault(_)
            | Command::ApplySettings(_)
            | Command::CopySecret
            | Command::CopyCurl
            | Command::DownloadSecret
            | Command::CloseSecret
            | Command::CloseSecretAndQuit
            | Command::DiscardSecret
            | Command::ShowKey(_)
            | Command::CloseDetails => {}
        }
        let reload = s.reload();
        if let Some(key_id) = new_key {
            s.keys.highlight(&key_id);
        }
        let publish_errors = s.vault.take_publish_errors();
        if let Some(m) = message {
            self.say(m);
        }
        if let Some(c) = complaint {
            self.complain(c);
        }
        if let Some(first) = publish_errors.first() {
            // The change is committed; the verifier file could not follow.
            self.complain(format!("Saved, but {first}"));
        }
        reload
    }

    /// Copies the secret (or the `curl` line with it) with the clipboard timer and the
    /// activity log entry.
    fn copy_secret(&mut self, ctx: &egui::Context, curl: bool) -> Result<(), String> {
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

    /// "Discard and revoke" (see [`Session::discard_secret`]); a held-back quit or lock goes on.
    fn discard_secret(&mut self, ctx: &egui::Context) -> Result<(), String> {
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
        reload
    }

    /// Download .json: straight to a file, or through a save dialog on a worker thread (the
    /// window keeps drawing; the answer is picked up by [`Self::poll_save`]).
    fn download_secret(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
    ) -> Result<(), String> {
        if self.save_job.is_some() {
            return Ok(());
        }
        let fixed = self.options.download_dir.clone();
        let dialog = self.save_dialog.clone().or_else(|| {
            download::can_show_dialog().then(|| Arc::new(NativeSaveDialog) as Arc<dyn SaveDialog>)
        });
        let Some(secret) = self.session_mut().and_then(|s| s.secret.as_mut()) else {
            return Ok(());
        };
        let file_name = secret.minted.key_file().default_file_name();
        let key_id = secret.minted.info.key_id.clone();
        match download::choose(fixed.as_deref(), &file_name, dialog.is_some(), frame) {
            download::Target::File(path) => self.save_key_file(path),
            download::Target::Ask(request) => {
                if let Some(dialog) = dialog {
                    secret.saving = true;
                    self.save_job = Some(SaveJob::start(dialog, request, key_id, ctx));
                }
            }
        }
        Ok(())
    }

    /// Takes the save dialog's answer, if it came, and writes the file there.
    pub(super) fn poll_save(&mut self) {
        let Some(answer) = self.save_job.as_ref().and_then(SaveJob::poll) else {
            return;
        };
        let Some(job) = self.save_job.take() else {
            return;
        };
        // The secret may be gone meanwhile (locked): then there is nothing to write.
        let Some(secret) = self
            .session_mut()
            .and_then(|s| s.secret.as_mut())
            .filter(|d| d.minted.info.key_id == job.key_id)
        else {
            return;
        };
        secret.saving = false;
        let file_name = secret.minted.key_file().default_file_name();
        match answer {
            Answer::File(path) => self.save_key_file(path),
            Answer::Unavailable => self.save_key_file(download::fallback_path(&file_name)),
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

/// Starts work that needs the current passphrase again on a worker thread.
fn start_work(
    ctx: &egui::Context,
    s: &mut Session,
    current: zeroize::Zeroizing<String>,
    work: VaultWork,
) {
    s.dialog_error = None;
    s.rekey = Some(RekeyJob::start(
        ctx,
        s.vault.path().to_owned(),
        s.vault.member().to_owned(),
        current,
        work,
    ));
}
