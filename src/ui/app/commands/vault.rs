//! The vault as a whole: lock, open another, publish, back up, check.

use super::{Changed, UiError};
use crate::numbers::count_of;
use crate::ui::app::KeywardApp;
use crate::ui::state::VaultCommand;
use crate::ui::unlock::OpenRequest;

impl KeywardApp {
    pub(super) fn vault_command(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
        command: VaultCommand,
    ) -> Result<(), UiError> {
        match command {
            VaultCommand::Lock => self.request_lock(),
            VaultCommand::Open(path) => {
                // Switching locks first; a secret not handed over holds the lock back (its
                // dialog says why), and the vault is then opened from the unlock screen.
                self.request_lock();
                if self.is_locked() {
                    let open = path.map_or(OpenRequest::Dialog, OpenRequest::File);
                    self.open_other(ctx, frame, open);
                }
            }
            VaultCommand::PublishNow => {
                let Some(s) = self.session_mut() else {
                    return Ok(());
                };
                let targets = s.vault.publish_now()?;
                let failed = targets.iter().filter(|t| t.last_error.is_some()).count();
                s.vault.take_publish_errors();
                let message = if failed == 0 {
                    format!(
                        "Published {}",
                        count_of(targets.len(), "verifier file", "verifier files")
                    )
                } else {
                    format!("{failed} of {} could not be written", targets.len())
                };
                return self.show_change(Some(Changed::say(message)));
            }
            VaultCommand::Backup => {
                let Some(s) = self.session_mut() else {
                    return Ok(());
                };
                let dest = crate::ui::vault_tools::backup_path(s.vault.path(), s.vault.now());
                s.vault.backup(&dest)?;
                let message = format!("Backup written to {}", dest.display());
                return self.show_change(Some(Changed::say(message)));
            }
            VaultCommand::Doctor => {
                if let Some(s) = self.session_mut() {
                    s.doctor = Some(s.vault.doctor()?);
                }
            }
        }
        Ok(())
    }
}
