//! Edit the scopes of a key (or make it full access).

use crate::ui::modal::{Dismiss, button_row, error_ui, modal_ui, primary_button};
use crate::ui::state::{Command, Dialog, KeyCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::{chosen_scopes, scope_checkboxes_ui};
use crate::vault::Scope;

pub struct EditScopes {
    key_id: String,
    name: String,
    scopes: Vec<(Scope, bool)>,
    full_access: bool,
}

impl EditScopes {
    pub fn new(
        key_id: String,
        name: String,
        current: Vec<String>,
        full_access: bool,
        catalog: &[Scope],
    ) -> EditScopes {
        EditScopes {
            key_id,
            name,
            scopes: catalog
                .iter()
                .map(|s| (s.clone(), s.required || current.contains(&s.id)))
                .collect(),
            full_access,
        }
    }
}

impl Dialog for EditScopes {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let title = format!("Edit scopes of {}", self.name);
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.checkbox(
                &mut self.full_access,
                "Full access (every scope, now and later)",
            );
            ui.add_space(theme::SPACE * 0.5);
            scope_checkboxes_ui(ui, &mut self.scopes, self.full_access);
            error_ui(ui, s.dialog_error.as_deref());
            button_row(ui, |ui| {
                if ui.button("Cancel").clicked() {
                    commands.push(Command::close_dialog());
                }

                if ui.add(primary_button("Save scopes")).clicked() {
                    commands.push(Command::Keys(KeyCommand::SetScopes {
                        key_id: self.key_id.clone(),
                        scopes: chosen_scopes(&self.scopes),
                        full_access: self.full_access,
                    }));
                }
            });
        })
        .1
    }
}
