//! The window's own settings, saved from the Settings dialog.

use crate::ui::app::KeywardApp;
use crate::ui::state::{Settings, SettingsCommand};

impl KeywardApp {
    pub(super) fn settings_command(&mut self, command: SettingsCommand) {
        match command {
            SettingsCommand::Apply(settings) => {
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
            }
        }
    }
}
