//! Delete a node and everything below it, saying how many keys go with it.

use egui::RichText;

use crate::ui::modal::{Dismiss, button_row, danger_button, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, Session};
use crate::ui::theme;
use crate::vault::{Node, NodeId, NodeKind};

pub struct DeleteNode {
    id: NodeId,
    path: String,
    kind: NodeKind,
    /// Counted when the dialog is first drawn.
    keys: Option<usize>,
}

impl DeleteNode {
    pub fn new(node: &Node) -> DeleteNode {
        DeleteNode {
            id: node.id,
            path: node.path.clone(),
            kind: node.kind,
            keys: None,
        }
    }
}

impl Dialog for DeleteNode {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let keys = *self
            .keys
            .get_or_insert_with(|| s.vault.key_count(self.id).unwrap_or(0));
        let noun = self.kind.noun();
        let title = format!("Delete {noun}?");
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.label(format!("Delete {noun} '{}' and everything below it?", self.path));
            match keys {
                0 => ui.label("It holds no keys."),
                n => ui.label(
                    RichText::new(format!(
                        "{n} API key(s) will be deleted with it. Services using them will get not_found."
                    ))
                    .color(theme::DANGER)
                    .strong(),
                ),
            };
            error_ui(ui, s.dialog_error.as_deref());
            button_row(ui, |ui| {
                if ui.add(danger_button("Delete")).clicked() {
                    commands.push(Command::DeleteNode { id: self.id });
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::CloseDialog);
                }
            });
        })
        .1
    }
}
