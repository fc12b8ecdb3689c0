//! Rename a workspace, project or environment.

use egui::Key;

use crate::ui::modal::{Closing, Dismiss, closing_row, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, NodeCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::labelled_field;
use crate::vault::{Node, NodeId, NodeKind, validate_name};

pub struct RenameNode {
    id: NodeId,
    kind: NodeKind,
    name: String,
}

impl RenameNode {
    pub fn new(node: &Node) -> RenameNode {
        RenameNode {
            id: node.id,
            kind: node.kind,
            name: node.name.clone(),
        }
    }
}

impl Dialog for RenameNode {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let title = format!("Rename {}", self.kind.noun());
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            let field = labelled_field(ui, "New name", &mut self.name, "");
            if ui.memory(|m| m.focused().is_none()) {
                field.request_focus();
            }
            let problem = validate_name(self.kind.noun(), &self.name)
                .err()
                .map(|e| e.to_string());
            let valid = problem.is_none();
            error_ui(ui, s.dialog_error.as_deref());
            let closing = closing_row(ui, "Rename", problem.as_deref());
            let enter = valid && ui.input(|i| i.key_pressed(Key::Enter));
            if closing == Closing::Cancel {
                commands.push(Command::close_dialog());
            } else if closing == Closing::Go || enter {
                commands.push(Command::Nodes(NodeCommand::Rename {
                    id: self.id,
                    name: self.name.trim().to_owned(),
                }));
            }
        })
        .1
    }
}
