//! Add a workspace (with a scope preset), a project or an environment (with a secret prefix).

use egui::Key;

use crate::ui::modal::{Closing, Dismiss, closing_row, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, NodeCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::labelled_field;
use crate::vault::{NodeId, NodeKind, Preset, validate_name, validate_prefix};

pub struct AddNode {
    parent: Option<NodeId>,
    kind: NodeKind,
    name: String,
    preset: Preset,
    prefix: String,
}

impl AddNode {
    pub fn new(parent: Option<NodeId>, kind: NodeKind) -> AddNode {
        AddNode {
            parent,
            kind,
            name: String::new(),
            preset: Preset::ReadWrite,
            prefix: String::new(),
        }
    }
}

impl Dialog for AddNode {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let title = format!("Add {}", self.kind.noun());
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            let field = labelled_field(ui, "Name", &mut self.name, "e.g. acme, billing, prod");
            if ui.memory(|m| m.focused().is_none()) {
                field.request_focus();
            }
            if self.kind == NodeKind::Workspace {
                ui.add_space(theme::SPACE);
                ui.label("Scope preset");
                for p in [
                    Preset::ReadWrite,
                    Preset::ProjectInference,
                    Preset::LabelsDatasets,
                    Preset::Custom,
                ] {
                    let ids: Vec<String> = p.scopes().iter().map(|s| s.id.clone()).collect();
                    ui.radio_value(&mut self.preset, p, p.title())
                        .on_hover_text(if ids.is_empty() {
                            "No scopes".into()
                        } else {
                            ids.join(", ")
                        });
                }
            }
            if self.kind == NodeKind::Environment {
                labelled_field(
                    ui,
                    "Secret prefix (optional)",
                    &mut self.prefix,
                    "inherits the project's, default kw",
                );
            }
            let prefix = self.prefix.trim();
            // A disabled button says why.
            let problem = validate_name(self.kind.noun(), &self.name)
                .err()
                .or_else(|| {
                    Some(prefix)
                        .filter(|p| !p.is_empty())
                        .and_then(|p| validate_prefix(p).err())
                })
                .map(|e| e.to_string());
            let valid = problem.is_none();
            error_ui(ui, s.dialog_error.as_deref());
            let closing = closing_row(ui, "Add", problem.as_deref());
            let enter = valid && ui.input(|i| i.key_pressed(Key::Enter));
            if closing == Closing::Cancel {
                commands.push(Command::close_dialog());
            } else if closing == Closing::Go || enter {
                commands.push(Command::Nodes(NodeCommand::Add {
                    parent: self.parent,
                    name: self.name.trim().to_owned(),
                    preset: self.preset,
                    prefix: Some(prefix.to_owned()).filter(|p| !p.is_empty()),
                }));
            }
        })
        .1
    }
}
