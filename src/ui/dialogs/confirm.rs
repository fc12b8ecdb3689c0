//! A yes/no question before something that cannot be undone: revoke or delete a key, remove a
//! scope.

use crate::ui::modal::{Dismiss, button_row, danger_button, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, Session};
use crate::ui::theme;

pub struct Confirm {
    title: String,
    message: String,
    action: &'static str,
    confirmed: Box<dyn Fn() -> Command>,
}

impl Confirm {
    pub fn revoke(key_id: String, name: &str) -> Confirm {
        Confirm {
            title: format!("Revoke {name}?"),
            message: "The key stays listed, and every check of it answers revoked from now on. \
                      This cannot be undone."
                .into(),
            action: "Revoke key",
            confirmed: Box::new(move || Command::Revoke {
                key_id: key_id.clone(),
            }),
        }
    }

    pub fn revoke_many(key_ids: Vec<String>) -> Confirm {
        Confirm {
            title: format!("Revoke {} keys?", key_ids.len()),
            message: "They stay listed, and every check of them answers revoked from now on. \
                      This cannot be undone."
                .into(),
            action: "Revoke keys",
            confirmed: Box::new(move || Command::RevokeMany {
                key_ids: key_ids.clone(),
            }),
        }
    }

    pub fn delete_key(key_id: String, name: &str) -> Confirm {
        Confirm {
            title: format!("Delete {name}?"),
            message: format!("{key_id} will be gone for good; checks of it answer not_found."),
            action: "Delete key",
            confirmed: Box::new(move || Command::DeleteKey {
                key_id: key_id.clone(),
            }),
        }
    }

    pub fn remove_scope(id: String) -> Confirm {
        Confirm {
            title: format!("Remove scope {id}?"),
            message: "Every key that has it loses it now.".into(),
            action: "Remove scope",
            confirmed: Box::new(move || Command::RemoveScope { id: id.clone() }),
        }
    }
}

impl Dialog for Confirm {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        modal_ui(ctx, &self.title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.label(&self.message);
            error_ui(ui, s.dialog_error.as_deref());
            button_row(ui, |ui| {
                if ui.button("Cancel").clicked() {
                    commands.push(Command::CloseDialog);
                }

                if ui.add(danger_button(self.action)).clicked() {
                    commands.push((self.confirmed)());
                }
            });
        })
        .1
    }
}
