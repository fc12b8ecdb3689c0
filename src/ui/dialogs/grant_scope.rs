//! A scope was just made required: offer to add it to the existing keys that lack it.

use crate::ui::modal::{Dismiss, button_row, error_ui, modal_ui, primary_button};
use crate::ui::state::{Command, Dialog, NodeCommand, Session};
use crate::ui::theme;

pub struct GrantScope {
    pub id: String,
    pub keys: usize,
}

impl Dialog for GrantScope {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let (n, id) = (self.keys, self.id.clone());
        let title = format!("{id} is now required");
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.label(format!(
                "{} not have {id}. New keys always get it; existing keys only if you add \
                 it now.",
                if n == 1 {
                    "1 existing key does".to_owned()
                } else {
                    format!("{} existing keys do", crate::numbers::count(n))
                }
            ));
            error_ui(ui, s.dialog_error.as_deref());
            button_row(ui, |ui| {
                if ui.button("Not now").clicked() {
                    commands.push(Command::close_dialog());
                }

                if ui
                    .add(primary_button(&format!(
                        "Add to {}",
                        crate::numbers::count_of(n, "key", "keys")
                    )))
                    .clicked()
                {
                    commands.push(Command::Nodes(NodeCommand::GrantScope { id: id.clone() }));
                }
            });
        })
        .1
    }
}
