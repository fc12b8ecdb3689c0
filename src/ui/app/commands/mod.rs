//! The commands drawing collected, run once per frame after drawing: the only place the window
//! changes the vault. One handler per area; each fails with a [`UiError`] the window shows.

pub(super) mod error;
mod export;
mod health;
mod keys;
mod nodes;
mod scan;
mod secrets;
mod settings;
mod team;
mod vault;
mod view;

use error::UiError;

use super::KeywardApp;
use crate::ui::state::{Command, Session, ViewCommand};

/// What an area's handler did: `None` when the vault was not changed (nothing to re-read).
type Outcome = Result<Option<Changed>, UiError>;

/// A change to the vault, to show once the session is re-read.
#[derive(Default)]
struct Changed {
    /// Said in the status bar.
    message: Option<String>,
    /// A message that stays until dismissed: something asked for was refused.
    complaint: Option<String>,
    /// A key just minted, highlighted in the list.
    new_key: Option<String>,
}

impl Changed {
    fn say(message: impl Into<String>) -> Changed {
        Changed {
            message: Some(message.into()),
            ..Changed::default()
        }
    }
}

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
                    Some(s) if s.dialog.is_some() || in_form => {
                        s.dialog_error = Some(e.to_string())
                    }
                    _ => self.complain(e.to_string()),
                }
            }
        }
    }

    fn run_command(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
        command: Command,
    ) -> Result<(), UiError> {
        match command {
            Command::View(ViewCommand::ExportActivityCsv) => self.export_activity(ctx, frame),
            Command::View(c) => self.view_command(ctx, c),
            Command::Vault(c) => self.vault_command(ctx, frame, c),
            Command::Secrets(c) => self.secret_command(ctx, frame, c),
            Command::Settings(c) => {
                self.settings_command(c);
                Ok(())
            }
            Command::Nodes(c) => self.in_session(|s| nodes::run(s, c)),
            Command::Keys(c) => self.in_session(|s| keys::run(s, c)),
            Command::Health(c) => self.in_session(|s| health::run(s, c)),
            Command::Scan(c) => self.in_session(|s| scan::run(ctx, s, c)),
            Command::Team(c) => self.in_session(|s| team::run(ctx, s, c)),
        }
    }

    /// Runs an area's handler on the unlocked session (nothing while locked), then shows what
    /// it changed.
    fn in_session(&mut self, run: impl FnOnce(&mut Session) -> Outcome) -> Result<(), UiError> {
        let Some(s) = self.session_mut() else {
            return Ok(());
        };
        let changed = run(s)?;
        self.show_change(changed)
    }

    /// Re-reads the session after a change and says what changed, and whether the verifier
    /// files could follow.
    fn show_change(&mut self, changed: Option<Changed>) -> Result<(), UiError> {
        let Some(changed) = changed else {
            return Ok(());
        };
        let Some(s) = self.session_mut() else {
            return Ok(());
        };
        let reload = s.reload();
        if let Some(key_id) = changed.new_key {
            s.keys.highlight(&key_id);
        }
        let publish_errors = s.vault.take_publish_errors();
        if let Some(m) = changed.message {
            self.say(m);
        }
        if let Some(c) = changed.complaint {
            self.complain(c);
        }
        if let Some(first) = publish_errors.first() {
            // The change is committed; the verifier file could not follow.
            self.complain(format!("Saved, but {first}"));
        }
        reload.map_err(UiError::Reload)
    }
}
