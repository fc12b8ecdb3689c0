//! Set the expiry of, or add a scope to, the ticked keys: the choice and the question naming
//! the count and the first keys in one dialog; applied key by key (`KeyCommand::EditMany`).

use egui::RichText;

use super::confirm::bulk_question;
use crate::ui::expiry_field::ExpiryField;
use crate::ui::modal::{Closing, Dismiss, closing_row, error_ui, modal_ui};
use crate::ui::state::{BulkChange, Command, Dialog, KeyCommand, Session};
use crate::ui::theme;
use crate::vault::Scope;

enum Choice {
    /// Preset from the settings on the first frame (`None` until then).
    Expiry(Option<ExpiryField>),
    Scope {
        catalog: Vec<Scope>,
        chosen: Option<String>,
    },
}

pub struct BulkEdit {
    keys: Vec<(String, String)>,
    choice: Choice,
}

impl BulkEdit {
    /// A new expiry for `keys` (id, name), with the same choices as Add New Key.
    pub fn expiry(keys: Vec<(String, String)>) -> BulkEdit {
        BulkEdit {
            keys,
            choice: Choice::Expiry(None),
        }
    }

    /// One more scope of the workspace's `catalog` for `keys` (id, name).
    pub fn add_scope(keys: Vec<(String, String)>, catalog: &[Scope]) -> BulkEdit {
        BulkEdit {
            keys,
            choice: Choice::Scope {
                catalog: catalog.to_vec(),
                chosen: None,
            },
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
        let now = s.vault.now();
        let (change, action) = match &mut self.choice {
            Choice::Expiry(field) => {
                let field =
                    field.get_or_insert_with(|| ExpiryField::preset(s.default_expiry_days, now));
                ui.label(RichText::new("New expiration").strong());
                let change = field
                    .ui(ui, now)
                    .map(BulkChange::Expiry)
                    .map_err(|_| "Choose a valid future date");
                (change, "Set expiry")
            }
            Choice::Scope { catalog, chosen } => {
                ui.label(RichText::new("Scope to add").strong());
                scope_choice_ui(ui, catalog, chosen);
                let change = chosen
                    .clone()
                    .map(BulkChange::AddScope)
                    .ok_or("Choose a scope");
                ui.label(
                    RichText::new("Keys that have it, or full access, stay as they are.")
                        .color(theme::MUTED),
                );
                (change, "Add scope to keys")
            }
        };
        error_ui(ui, s.dialog_error.as_deref());
        let closing = closing_row(ui, action, change.as_ref().err().copied());
        if closing == Closing::Cancel {
            commands.push(Command::close_dialog());
        } else if closing == Closing::Go
            && let Ok(change) = change
        {
            commands.push(Command::Keys(KeyCommand::EditMany {
                keys: self.keys.clone(),
                change,
            }));
        }
    }
}

/// One radio button per scope of the catalog; a required one is on every key already.
fn scope_choice_ui(ui: &mut egui::Ui, catalog: &[Scope], chosen: &mut Option<String>) {
    if catalog.is_empty() {
        ui.label(
            RichText::new("This workspace has no scopes yet (add some in the Scopes tab).")
                .color(theme::MUTED),
        );
    }
    egui::ScrollArea::vertical()
        .max_height(240.0)
        .show(ui, |ui| {
            for scope in catalog {
                let text = if scope.required {
                    format!("{} (required: every key has it)", scope.label)
                } else {
                    scope.label.clone()
                };
                let on = chosen.as_deref() == Some(scope.id.as_str());
                let response = ui.add_enabled(!scope.required, egui::RadioButton::new(on, text));
                if response.clicked() {
                    *chosen = Some(scope.id.clone());
                }
                if !scope.description.is_empty() {
                    response.on_hover_text(format!("{}: {}", scope.id, scope.description));
                }
            }
        });
}

impl Dialog for BulkEdit {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let verb = match self.choice {
            Choice::Expiry(_) => "Set the expiry of",
            Choice::Scope { .. } => "Add a scope to",
        };
        let title = bulk_question(verb, &self.keys);
        modal_ui(ctx, &title, Dismiss::EscOnly, theme::MODAL_WIDTH, |ui| {
            self.form_ui(ui, s, commands)
        })
        .1
    }
}
