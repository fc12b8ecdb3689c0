//! Add a scope to the workspace's catalog, or edit one.

use crate::ui::modal::{Closing, Dismiss, closing_row, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, NodeCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::labelled_field;
use crate::vault::Scope;

pub struct EditScope {
    /// The id of the scope being edited; `None` adds one.
    original: Option<String>,
    scope: Scope,
}

impl EditScope {
    pub fn new(scope: Option<&Scope>) -> EditScope {
        EditScope {
            original: scope.map(|s| s.id.clone()),
            scope: scope
                .cloned()
                .unwrap_or_else(|| Scope::new("", "", "", false, false)),
        }
    }
}

impl Dialog for EditScope {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let title = if self.original.is_some() {
            "Edit scope"
        } else {
            "Add scope"
        };
        let scope = &mut self.scope;
        let original = &self.original;
        modal_ui(ctx, title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.add_enabled_ui(original.is_none(), |ui| {
                let field = labelled_field(ui, "Scope id", &mut scope.id, "e.g. dataset.read");
                if original.is_none() && ui.memory(|m| m.focused().is_none()) {
                    field.request_focus();
                }
            });
            labelled_field(ui, "Scope label", &mut scope.label, "e.g. Dataset read");
            labelled_field(
                ui,
                "Scope description",
                &mut scope.description,
                "what it allows",
            );
            ui.checkbox(
                &mut scope.required,
                "Required (always on, every key gets it)",
            );
            ui.checkbox(&mut scope.default, "Checked by default for new keys");
            let problem = Scope::validate_id(&scope.id).err().map(|e| e.to_string());
            error_ui(ui, s.dialog_error.as_deref());
            match closing_row(ui, "Save scope", problem.as_deref()) {
                Closing::Cancel => commands.push(Command::close_dialog()),
                Closing::Go => {
                    let mut scope = scope.clone();
                    if scope.label.trim().is_empty() {
                        scope.label = scope.id.clone();
                    }
                    commands.push(Command::Nodes(NodeCommand::SaveScope {
                        original: original.clone(),
                        scope,
                    }));
                }
                Closing::Stay => {}
            }
        })
        .1
    }
}
