//! Roll a key: a new secret, the old one kept working for a chosen grace period.

use crate::ui::modal::{Dismiss, button_row, error_ui, modal_ui, primary_button};
use crate::ui::state::{Command, Dialog, KeyCommand, Session};
use crate::ui::theme;
use crate::vault::Grace;

pub struct Roll {
    key_id: String,
    name: String,
    grace: Grace,
}

impl Roll {
    pub fn new(key_id: String, name: String, grace: Grace) -> Roll {
        Roll {
            key_id,
            name,
            grace,
        }
    }
}

impl Dialog for Roll {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let title = format!("Roll {}", self.name);
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.label("A new secret replaces the current one. Same key id, name and scopes.");
            ui.add_space(theme::SPACE * 0.5);
            ui.label("Keep the old secret working for");
            ui.horizontal(|ui| {
                for g in Grace::ALL {
                    ui.radio_value(&mut self.grace, g, g.label());
                }
            });
            error_ui(ui, s.dialog_error.as_deref());
            button_row(ui, |ui| {
                if ui.button("Cancel").clicked() {
                    commands.push(Command::close_dialog());
                }

                if ui.add(primary_button("Roll key")).clicked() {
                    commands.push(Command::Keys(KeyCommand::Roll {
                        key_id: self.key_id.clone(),
                        grace: self.grace,
                    }));
                }
            });
        })
        .1
    }
}
