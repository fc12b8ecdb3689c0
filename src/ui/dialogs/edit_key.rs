//! Edit what people know about a key: name, description, owner, tags, expiry and limits. Every change
//! is logged by the vault (old and new expiry included). The fields are also the first part of
//! a key's details edited in place (`key_form`).

use egui::RichText;

use crate::ui::limits_field::LimitsField;
use crate::ui::modal::{Closing, Dismiss, closing_row, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, KeyCommand, Session};
use crate::ui::theme;
use crate::ui::time::local_time;
use crate::ui::widgets::labelled_field;
use crate::vault::{Expiry, KeyDetails, KeyEdit, KeyInfo, Timestamp, validate_name};

/// What to do with the expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpiryEdit {
    Keep,
    Never,
    Days(u32),
    Custom,
}

pub struct EditKey {
    key_id: String,
    before: KeyInfo,
    name: String,
    description: String,
    owner: String,
    /// Comma- or space-separated.
    tags: String,
    expiry: ExpiryEdit,
    custom_date: String,
    limits: LimitsField,
}

/// The tags typed into the field, normalised as the vault stores them.
fn parse_tags(text: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for t in text.split([',', ' ']).filter(|t| !t.trim().is_empty()) {
        let t = KeyDetails::validate_tag(t).map_err(|e| e.to_string())?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok(tags)
}

impl EditKey {
    pub fn new(key: &KeyInfo) -> EditKey {
        EditKey {
            key_id: key.key_id.clone(),
            before: key.clone(),
            name: key.name.clone(),
            description: key.details.description.clone(),
            owner: key.details.owner.clone(),
            tags: key.details.tags.join(", "),
            expiry: ExpiryEdit::Keep,
            custom_date: String::new(),
            limits: LimitsField::of(key.policy.limits.as_deref()),
        }
    }

    /// The new expiry (`None`: unchanged), or why it cannot be used.
    fn expiry(&self, now: Timestamp) -> Result<Option<Option<Timestamp>>, String> {
        let parsed = match self.expiry {
            ExpiryEdit::Keep => return Ok(None),
            ExpiryEdit::Never => return Ok(Some(None)),
            ExpiryEdit::Days(d) => Expiry::parse(&format!("{d}d")),
            ExpiryEdit::Custom => crate::ui::time::parse_expiry(&self.custom_date),
        };
        parsed
            .and_then(|e| e.resolve(now))
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// The change as the vault takes it; only what differs from the key as it was.
    fn edit(&self, now: Timestamp) -> Result<KeyEdit, String> {
        let name = self.name.trim();
        validate_name("key", name).map_err(|e| e.to_string())?;
        let tags = parse_tags(&self.tags)?;
        let before = &self.before.details;
        let changed = |new: &str, old: &str| (new != old).then(|| new.to_owned());
        Ok(KeyEdit {
            name: changed(name, &self.before.name),
            description: changed(self.description.trim(), &before.description),
            owner: changed(self.owner.trim(), &before.owner),
            add_tags: tags
                .iter()
                .filter(|t| !before.tags.contains(t))
                .cloned()
                .collect(),
            remove_tags: before
                .tags
                .iter()
                .filter(|t| !tags.contains(t))
                .cloned()
                .collect(),
            expires_at: self.expiry(now)?,
            limits: {
                let limits = self.limits.limits()?;
                let before = self
                    .before
                    .policy
                    .limits
                    .as_deref()
                    .cloned()
                    .unwrap_or_default();
                (limits != before).then_some(limits)
            },
        })
    }

    /// The fields, and the change they make (or why it cannot be saved) said below them.
    /// Focuses the name when nothing has focus and `focus` asks for it.
    pub(super) fn fields_ui(
        &mut self,
        ui: &mut egui::Ui,
        now: Timestamp,
        focus: bool,
    ) -> Result<KeyEdit, String> {
        let field = labelled_field(ui, "Key name", &mut self.name, "e.g. ci-deployer");
        if focus && ui.memory(|m| m.focused().is_none()) {
            field.request_focus();
        }
        let l = ui.label("Description");
        ui.add(
            egui::TextEdit::multiline(&mut self.description)
                .hint_text("what the key is for")
                .font(crate::ui::fonts::name_font(ui.style()))
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        labelled_field(ui, "Owner", &mut self.owner, "a team or a person");
        labelled_field(
            ui,
            "Tags",
            &mut self.tags,
            "comma-separated, e.g. ci, billing",
        );
        ui.add_space(theme::SPACE);
        ui.label(RichText::new("Expiration").strong());
        let current = self
            .before
            .policy
            .expires_at
            .map_or_else(|| "never".to_owned(), local_time);
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(
                &mut self.expiry,
                ExpiryEdit::Keep,
                format!("Keep ({current})"),
            );
            ui.radio_value(&mut self.expiry, ExpiryEdit::Never, "Never (no expiry)");
            for days in [30, 90] {
                ui.radio_value(
                    &mut self.expiry,
                    ExpiryEdit::Days(days),
                    format!("{days} days from now"),
                );
            }
            ui.radio_value(&mut self.expiry, ExpiryEdit::Custom, "Custom date");
        });
        if self.expiry == ExpiryEdit::Custom {
            labelled_field(
                ui,
                "New expiry date (YYYY-MM-DD)",
                &mut self.custom_date,
                "2027-01-31",
            );
        }
        // Only a key that still works takes new limits.
        if self.before.status.works() || self.before.policy.limits.is_some() {
            ui.add_space(theme::SPACE);
            ui.add_enabled_ui(self.before.status.works(), |ui| self.limits.ui(ui));
        }
        let edit = self.edit(now);
        match (&edit, self.expiry(now)) {
            (Err(e), _) => ui.label(RichText::new(e).color(theme::DANGER)),
            (Ok(_), Ok(Some(Some(t)))) => {
                ui.label(RichText::new(format!("Expires {}", local_time(t))).color(theme::MUTED))
            }
            (Ok(_), Ok(Some(None))) => ui.label(
                RichText::new("Never expires: a leaked copy would work forever")
                    .color(theme::WARNING),
            ),
            _ => ui.label(""),
        };
        edit
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
        let edit = self.fields_ui(ui, s.vault.now(), true);
        error_ui(ui, s.dialog_error.as_deref());
        let problem = edit.as_ref().err().cloned();
        let closing = closing_row(ui, "Save details", problem.as_deref());
        if closing == Closing::Cancel {
            commands.push(Command::close_dialog());
        } else if closing == Closing::Go
            && let Ok(edit) = edit
        {
            commands.push(Command::Keys(KeyCommand::Edit {
                key_id: self.key_id.clone(),
                edit,
            }));
        }
    }
}

impl Dialog for EditKey {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let title = format!("Edit {}", self.before.name);
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            self.form_ui(ui, s, commands)
        })
        .1
    }
}
