//! A key's details edited in place, where they are shown (beside the list or in their
//! dialog): what Edit details offers (name, description, owner, tags, expiry) and the scopes,
//! saved together with one Save.

use egui::RichText;

use super::EditKey;
use crate::ui::modal::{Closing, closing_row, error_ui};
use crate::ui::state::{Command, KeyCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::{chosen_scopes, scope_checkboxes_ui};
use crate::vault::{KeyInfo, Scope};

/// What the form asks of the details it sits in.
pub(super) enum FormAction {
    Stay,
    Cancel,
    /// Save was clicked (the command is pushed); the details go back to showing once the
    /// session reloads without an error.
    Saving,
}

pub(super) struct KeyForm {
    key_id: String,
    fields: EditKey,
    /// `None` for a key whose scopes cannot change (revoked, expired or tampered).
    scopes: Option<Vec<(Scope, bool)>>,
    full_access: bool,
    before: (Vec<String>, bool),
}

impl KeyForm {
    pub(super) fn new(key: &KeyInfo, catalog: &[Scope]) -> KeyForm {
        let scopes = key.status.works().then(|| {
            catalog
                .iter()
                .map(|s| (s.clone(), s.required || key.policy.scopes.contains(&s.id)))
                .collect()
        });
        let before = scopes.as_deref().map(chosen_scopes).unwrap_or_default();
        KeyForm {
            key_id: key.key_id.clone(),
            fields: EditKey::new(key),
            scopes,
            full_access: key.full_access,
            before: (before, key.full_access),
        }
    }

    /// The scopes to set, when they differ from what the form started with.
    fn scope_change(&self) -> Option<(Vec<String>, bool)> {
        let scopes = chosen_scopes(self.scopes.as_deref()?);
        (scopes != self.before.0 || self.full_access != self.before.1)
            .then_some((scopes, self.full_access))
    }

    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        s: &Session,
        commands: &mut Vec<Command>,
    ) -> FormAction {
        let edit = self.fields.fields_ui(ui, s.vault.now(), false);
        if let Some(scopes) = &mut self.scopes {
            ui.add_space(theme::SPACE);
            ui.label(RichText::new("Scopes").strong());
            ui.checkbox(
                &mut self.full_access,
                "Full access (every scope, now and later)",
            );
            scope_checkboxes_ui(ui, scopes, self.full_access);
        }
        error_ui(ui, s.dialog_error.as_deref());
        let problem = edit.as_ref().err().cloned();
        match (closing_row(ui, "Save details", problem.as_deref()), edit) {
            (Closing::Cancel, _) => FormAction::Cancel,
            (Closing::Go, Ok(edit)) => {
                commands.push(Command::Keys(KeyCommand::Save {
                    key_id: self.key_id.clone(),
                    edit,
                    scopes: self.scope_change(),
                }));
                FormAction::Saving
            }
            _ => FormAction::Stay,
        }
    }
}
