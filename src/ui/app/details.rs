//! The details beside the list, as the shell runs them: where they show, Esc, and the
//! commands that open and close them.

use egui::Key;

use super::{KeywardApp, Screen};
use crate::ui::details_panel::{self, DetailsPanel};
use crate::ui::dialogs::KeyDetail;
use crate::ui::state::{Command, Page, Tab, ViewCommand};

impl KeywardApp {
    /// The key shown beside the list, when the panel is on screen.
    pub fn details_key(&self, ctx: &egui::Context) -> Option<&str> {
        self.details_shown(ctx)
            .then(|| self.details.key_id())
            .flatten()
    }

    /// The details panel is on screen: open, with room for it, over the key list.
    pub(super) fn details_shown(&self, ctx: &egui::Context) -> bool {
        self.settings.details_open
            && details_panel::fits(ctx)
            && self.session().is_some_and(|s| {
                s.page == Page::Node && s.tab == Tab::Keys && s.vault_activity.is_none()
            })
    }

    /// Esc leaves the panel's form, or closes the panel, when no dialog, menu or text field
    /// takes it first.
    pub(super) fn details_escape(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let free = self
            .session()
            .is_some_and(|s| s.dialog.is_none() && s.secret.is_none())
            && !ctx.memory(|m| m.top_modal_layer().is_some())
            && !ctx.text_edit_focused()
            && !egui::Popup::is_any_open(ctx);
        if free
            && self.details_shown(ctx)
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Escape))
            && self.details.escape()
        {
            commands.push(Command::View(ViewCommand::CloseDetails));
        }
    }

    /// Shows a key's details beside the list where the window has room, else as a dialog;
    /// or closes the panel.
    pub(super) fn details_command(&mut self, ctx: &egui::Context, command: ViewCommand) {
        let Screen::Unlocked(s) = &mut self.screen else {
            return;
        };
        match command {
            ViewCommand::ShowKey(key_id) if details_panel::fits(ctx) => {
                s.keys.highlight_only(&key_id);
                self.settings.details_open = true;
                self.details.show(key_id);
            }
            ViewCommand::ShowKey(key_id) => {
                s.dialog = Some(Box::new(KeyDetail::new(key_id)));
                s.dialog_error = None;
            }
            ViewCommand::CloseDetails => {
                self.settings.details_open = false;
                self.details = DetailsPanel::default();
                self.forget_typed_text = true;
            }
            _ => {}
        }
    }
}
