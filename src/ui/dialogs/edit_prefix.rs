//! The secret prefix of an environment.

use egui::RichText;

use crate::ui::modal::{Dismiss, button_row, error_ui, modal_ui, primary_button};
use crate::ui::state::{Command, Dialog, NodeCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::labelled_field;
use crate::vault::{Node, NodeId, validate_prefix};

pub struct EditPrefix {
    id: NodeId,
    prefix: String,
}

impl EditPrefix {
    pub fn new(node: &Node) -> EditPrefix {
        EditPrefix {
            id: node.id,
            prefix: node.prefix.clone(),
        }
    }
}

impl Dialog for EditPrefix {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        modal_ui(
            ctx,
            "Secret prefix",
            Dismiss::Easy,
            theme::MODAL_WIDTH,
            |ui| {
                ui.label(
                    RichText::new(
                        "Secrets minted or rolled here start with it, so a leaked one shows where \
                     it came from. Existing secrets keep theirs.",
                    )
                    .color(theme::MUTED),
                );
                let field = labelled_field(ui, "Prefix", &mut self.prefix, "e.g. acme_prod");
                if ui.memory(|m| m.focused().is_none()) {
                    field.request_focus();
                }
                let problem = validate_prefix(self.prefix.trim())
                    .err()
                    .map(|e| e.to_string());
                if let Some(p) = problem.as_ref().filter(|_| !self.prefix.is_empty()) {
                    ui.label(RichText::new(p).color(theme::DANGER));
                }
                error_ui(ui, s.dialog_error.as_deref());
                button_row(ui, |ui| {
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::close_dialog());
                    }

                    let save = ui
                        .add_enabled(problem.is_none(), primary_button("Save prefix"))
                        .on_disabled_hover_text(
                            problem.as_deref().unwrap_or("2 to 16 of a-z, 0-9 and _"),
                        );
                    if save.clicked() {
                        commands.push(Command::Nodes(NodeCommand::SetPrefix {
                            id: self.id,
                            prefix: self.prefix.trim().to_owned(),
                        }));
                    }
                });
            },
        )
        .1
    }
}
