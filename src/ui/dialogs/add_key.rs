//! Add New Key: name, scopes, full access, expiry, limits; Generate Key.

use egui::{Key, RichText};

use crate::ui::expiry_field::{ExpiryChoice, ExpiryField};
use crate::ui::limits_field::LimitsField;
use crate::ui::modal::{Closing, Dismiss, closing_row, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, KeyCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::{chosen_scopes, labelled_field, scope_checkboxes_ui};
use crate::vault::{NewKey, NodeId, Scope, validate_name};

pub struct AddKey {
    node: NodeId,
    name: String,
    scopes: Vec<(Scope, bool)>,
    full_access: bool,
    expiry: ExpiryField,
    limits: LimitsField,
    /// The expiry was preset from the settings (on the first frame).
    preset: bool,
    /// The name of the node's working full-access key, read on the first frame.
    master: Option<Option<String>>,
}

impl AddKey {
    pub fn new(node: NodeId, catalog: &[Scope]) -> AddKey {
        AddKey {
            node,
            name: String::new(),
            scopes: catalog
                .iter()
                .map(|s| (s.clone(), s.required || s.default))
                .collect(),
            full_access: false,
            expiry: ExpiryField {
                choice: ExpiryChoice::Never,
                custom_date: String::new(),
            },
            limits: LimitsField::default(),
            preset: false,
            master: None,
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
        let now = s.vault.now();
        if !std::mem::replace(&mut self.preset, true) {
            self.expiry = ExpiryField::preset(s.default_expiry_days, now);
        }
        let field = labelled_field(ui, "Name", &mut self.name, "e.g. ci-deployer");
        if ui.memory(|m| m.focused().is_none()) {
            field.request_focus();
        }
        ui.add_space(theme::SPACE);
        ui.label(RichText::new("Scopes").strong());
        scope_checkboxes_ui(ui, &mut self.scopes, self.full_access);
        // One master key a node, as `keyward key master` keeps it: a second full-access key
        // is refused here, naming the one there is.
        let master = self
            .master
            .get_or_insert_with(|| {
                s.vault
                    .working_master(self.node)
                    .ok()
                    .flatten()
                    .map(|k| k.name)
            })
            .clone();
        ui.checkbox(
            &mut self.full_access,
            "Full access (every scope, now and later)",
        );
        let master_problem = master.filter(|_| self.full_access).map(|name| {
            format!(
                "{name} is already this node's full-access (master) key: roll it for a new \
                 secret, or choose scopes"
            )
        });
        if let Some(p) = &master_problem {
            ui.label(RichText::new(p).color(theme::DANGER));
        }
        ui.add_space(theme::SPACE);
        ui.label(RichText::new("Expiration").strong());
        let expires_at = self.expiry.ui(ui, now);
        let limits = self.limits.ui(ui);
        let name_problem = validate_name("key", &self.name).err().map(|e| {
            if self.name.trim().is_empty() {
                "Give the key a name".to_owned()
            } else {
                e.to_string()
            }
        });
        let problem = if let Some(p) = name_problem.as_ref().or(master_problem.as_ref()) {
            Some(p.as_str())
        } else if expires_at.is_err() {
            Some("Choose a valid future date")
        } else if limits.is_err() {
            Some("Correct the limits")
        } else {
            None
        };
        error_ui(ui, s.dialog_error.as_deref());
        let closing = closing_row(ui, "Generate Key", problem);
        let enter = ui.input(|i| i.key_pressed(Key::Enter));
        if closing == Closing::Cancel {
            commands.push(Command::close_dialog());
        } else if (closing == Closing::Go || enter)
            && problem.is_none()
            && let Ok(expires_at) = expires_at
            && let Ok(limits) = limits
        {
            commands.push(Command::Keys(KeyCommand::Create {
                node: self.node,
                new: NewKey::named(self.name.trim().to_owned())
                    .scopes(chosen_scopes(&self.scopes))
                    .full_access(self.full_access)
                    .expires_at(expires_at)
                    .limits(limits),
            }));
        }
    }
}

impl Dialog for AddKey {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        // Something typed is not lost to a stray click beside the dialog; Esc still cancels.
        let dirty = !self.name.trim().is_empty()
            || self.full_access
            || !self.expiry.custom_date.is_empty()
            || self.limits != LimitsField::default()
            || self
                .scopes
                .iter()
                .any(|(s, on)| *on != (s.required || s.default));
        modal_ui(
            ctx,
            "Add New Key",
            if dirty {
                Dismiss::EscOnly
            } else {
                Dismiss::Easy
            },
            theme::MODAL_WIDTH,
            |ui| self.form_ui(ui, s, commands),
        )
        .1
    }
}
