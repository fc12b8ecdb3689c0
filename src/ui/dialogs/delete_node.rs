//! Delete a node and everything below it, saying how many keys go with it.

use egui::RichText;

use crate::ui::modal::{Dismiss, button_row, danger_button, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, NodeCommand, Session};
use crate::ui::theme;
use crate::vault::{Node, NodeId, NodeKind};

/// Deleting a node with this many keys or more asks for its name to be typed.
pub const TYPE_TO_DELETE: usize = 100;

pub struct DeleteNode {
    id: NodeId,
    path: String,
    kind: NodeKind,
    /// The node's keys, counted when the dialog was asked for.
    keys: usize,
    /// The name typed to confirm (from [`TYPE_TO_DELETE`] keys).
    typed: String,
}

impl DeleteNode {
    /// The question for `node`, which holds `keys` keys (`NodeCommand::AskDelete` counts
    /// them; the dialog does not read the vault).
    pub fn new(node: &Node, keys: usize) -> DeleteNode {
        DeleteNode {
            id: node.id,
            path: node.path.clone(),
            kind: node.kind,
            keys,
            typed: String::new(),
        }
    }
}

impl Dialog for DeleteNode {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let keys = self.keys;
        let noun = self.kind.noun();
        let title = format!("Delete {noun}?");
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.label(crate::ui::fonts::name_text(format!(
                "Delete {noun} '{}' and everything below it?",
                self.path
            )));
            match keys {
                0 => ui.label("It holds no keys."),
                n => ui.label(
                    RichText::new(format!(
                        "{} will be deleted with it. Services using them will get not_found.",
                        crate::numbers::count_of(n, "API key", "API keys")
                    ))
                    .color(theme::DANGER)
                    .strong(),
                ),
            };
            // Many keys: the name is typed, not one click away (as GitHub asks for a repo).
            let name = self
                .path
                .rsplit('/')
                .next()
                .unwrap_or(self.path.as_str())
                .to_owned();
            let must_type = keys >= TYPE_TO_DELETE;
            if must_type {
                ui.add_space(theme::SPACE);
                let field = crate::ui::widgets::labelled_field(
                    ui,
                    &format!("Type {name} to confirm"),
                    &mut self.typed,
                    "",
                );
                if ui.memory(|m| m.focused().is_none()) {
                    field.request_focus();
                }
            }
            let confirmed = !must_type || self.typed.trim() == name;
            error_ui(ui, s.dialog_error.as_deref());
            button_row(ui, |ui| {
                if ui.button("Cancel").clicked() {
                    commands.push(Command::close_dialog());
                }

                let delete = ui
                    .add_enabled(confirmed, danger_button("Delete"))
                    .on_disabled_hover_text(format!("Type {name} above to confirm"));
                if delete.clicked() {
                    commands.push(Command::Nodes(NodeCommand::Delete { id: self.id }));
                }
            });
        })
        .1
    }
}
