//! Everything known about one key: id (with copy), timestamps, scopes, details, status (exposed
//! places included), roll state, usage (with its chart of the last 30 days) and the key's own
//! activity; edited in place. Shown beside
//! the list (`ui::details_panel`), or as a dialog where the window is narrow.

use egui::RichText;

use super::key_form::{FormAction, KeyForm};
use crate::ui::fonts::name_text;
use crate::ui::modal::{Dismiss, button_row, modal_ui};
use crate::ui::state::KeyView;
use crate::ui::state::{Command, Dialog, Session, ViewCommand};
use crate::ui::theme;
use crate::ui::time::{local_time, utc_time};
use crate::ui::usage_chart::{ChartData, usage_chart_ui};
use crate::ui::widgets::chip;
use crate::vault::KeyInfo;

pub struct KeyDetail {
    key_id: String,
    /// The details edited in place.
    form: Option<KeyForm>,
    /// The reload count when Save was clicked: a later reload with no error means saved.
    saving: Option<u64>,
}

impl KeyDetail {
    pub fn new(key_id: String) -> KeyDetail {
        KeyDetail {
            key_id,
            form: None,
            saving: None,
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn is_editing(&self) -> bool {
        self.form.is_some()
    }

    pub fn cancel_edit(&mut self) {
        self.form = None;
        self.saving = None;
    }

    /// "Key ci-deployer", once the key is read.
    pub fn title(&self, s: &Session) -> String {
        match s.key_views.get(&self.key_id).map(|v| &v.key) {
            Some(Ok(k)) => format!("Key {}", k.name),
            _ => "Key".to_owned(),
        }
    }

    /// The details, or their form while edited in place; `in_panel` beside the list (closed
    /// by the panel's own button), else in the dialog.
    pub fn body_ui(
        &mut self,
        ui: &mut egui::Ui,
        s: &Session,
        commands: &mut Vec<Command>,
        in_panel: bool,
    ) {
        // The session reads the key when asked and again whenever the vault changes.
        let Some(view) = s.key_views.get(&self.key_id) else {
            commands.push(Command::View(ViewCommand::ReadKey(self.key_id.clone())));
            return;
        };
        if let Some(at) = self.saving {
            if s.reloads != at {
                self.cancel_edit();
            } else if s.dialog_error.is_some() {
                self.saving = None;
            }
        }
        let k = match &view.key {
            Ok(k) => k,
            Err(e) => {
                ui.label(e.as_str());
                if !in_panel && ui.button("Close").clicked() {
                    commands.push(Command::close_dialog());
                }
                return;
            }
        };
        if let Some(form) = &mut self.form {
            match form.ui(ui, s, commands) {
                FormAction::Stay => {}
                FormAction::Cancel => self.cancel_edit(),
                FormAction::Saving => self.saving = Some(s.reloads),
            }
            return;
        }
        let edit = detail_ui(ui, k, view, in_panel, commands);
        if edit {
            self.form = Some(KeyForm::new(k, &s.scopes));
        }
    }
}

/// The key's details, its usage chart and its activity; returns whether Edit was clicked.
fn detail_ui(
    ui: &mut egui::Ui,
    k: &KeyInfo,
    view: &KeyView,
    in_panel: bool,
    commands: &mut Vec<Command>,
) -> bool {
    let activity = &view.activity;
    let muted = |t: &str| RichText::new(t.to_owned()).color(theme::MUTED);
    egui::Grid::new("key_detail_grid")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.label(muted("Key ID"));
            ui.horizontal(|ui| {
                ui.label(RichText::new(&k.key_id).monospace());
                if ui
                    .small_button("Copy key ID")
                    .on_hover_text("The key id is not secret")
                    .clicked()
                {
                    ui.ctx().copy_text(k.key_id.clone());
                }
            });
            ui.end_row();
            ui.label(muted("Secret"));
            ui.label(RichText::new(&k.display).monospace());
            ui.end_row();
            ui.label(muted("Node"));
            ui.label(name_text(&k.node));
            ui.end_row();
            ui.label(muted("Status"));
            ui.label(
                RichText::new(k.status.label())
                    .color(theme::status_color(k.status))
                    .strong(),
            );
            ui.end_row();
            ui.label(muted("Scopes"));
            ui.horizontal_wrapped(|ui| {
                if k.full_access {
                    chip(ui, "full access");
                }
                for scope in &k.policy.scopes {
                    chip(ui, scope);
                }
            });
            ui.end_row();
            for (label, at) in [
                ("Created", Some(k.created_at)),
                ("Expires", k.policy.expires_at),
                ("Last used", k.last_used_at),
            ] {
                ui.label(muted(label));
                match at {
                    Some(t) => time_label(ui, t, ""),
                    None => {
                        ui.label("never");
                    }
                }
                ui.end_row();
            }
            if let (Some(day), Some(month)) = (k.uses_24h, k.uses_30d) {
                ui.label(muted("Usage"));
                ui.label(format!(
                    "{} in 24 hours, {} in 30 days",
                    crate::numbers::count_of(day as usize, "check", "checks"),
                    crate::numbers::count(month as usize)
                ))
                .on_hover_text("Checks through keyward serve, from its usage files");
                ui.end_row();
            }
            ui.label(muted("Limits"));
            match k.policy.limits.as_deref() {
                Some(limits) => ui.add(egui::Label::new(limits.summary()).wrap()),
                None => ui.label("none"),
            };
            ui.end_row();
            if let Some(left) = k.credits_left {
                ui.label(muted("Credits"));
                let text = format!(
                    "{} left",
                    crate::numbers::count(usize::try_from(left).unwrap_or(usize::MAX))
                );
                let label = if left == 0 {
                    ui.label(RichText::new(text).color(theme::DANGER))
                } else {
                    ui.label(text)
                };
                label.on_hover_text("As keyward serve last counted, from its usage files");
                ui.end_row();
            }
            if let Some(at) = k.revoked_at {
                ui.label(muted("Revoked"));
                time_label(ui, at, "");
                ui.end_row();
            }
            if let Some(until) = k.old_secret_valid_until {
                ui.label(muted("Roll"));
                time_label(ui, until, "old secret valid until ");
                ui.end_row();
            }
            ui.label(muted("Description"));
            ui.label(if k.details.description.is_empty() {
                RichText::new("—")
            } else {
                name_text(&k.details.description)
            });
            ui.end_row();
            ui.label(muted("Owner"));
            ui.label(if k.details.owner.is_empty() {
                RichText::new("—")
            } else {
                name_text(&k.details.owner)
            });
            ui.end_row();
            ui.label(muted("Tags"));
            ui.horizontal_wrapped(|ui| {
                if k.details.tags.is_empty() {
                    ui.label("—");
                }
                for tag in &k.details.tags {
                    chip(ui, tag);
                }
            });
            ui.end_row();
        });
    ui.add_space(theme::SPACE);
    ui.label(RichText::new(format!("Checks, last {} days", view.usage.days)).strong())
        .on_hover_text("Checks through keyward serve per day (UTC), from its usage files");
    usage_chart_ui(ui, &ChartData::of(&view.usage));
    ui.add_space(theme::SPACE);
    ui.label(RichText::new("Activity").strong());
    let entries = |ui: &mut egui::Ui| {
        if activity.is_empty() {
            ui.label(muted("No activity recorded for this key."));
        }
        for e in activity {
            ui.horizontal_wrapped(|ui| {
                ui.label(muted(&local_time(e.at)))
                    .on_hover_text(utc_time(e.at));
                ui.label(RichText::new(&e.action).monospace());
                // The entry's own words after the key id it starts with.
                let words = e
                    .detail
                    .strip_prefix(k.key_id.as_str())
                    .unwrap_or(&e.detail);
                // They name the key ("key.create '🚀 deploy'").
                ui.label(name_text(words.trim_start()));
            });
        }
    };
    if in_panel {
        // The panel scrolls as a whole.
        entries(ui);
    } else {
        egui::ScrollArea::vertical()
            .id_salt("key_activity")
            .max_height(180.0)
            .show(ui, entries);
    }
    let mut edit = false;
    button_row(ui, |ui| {
        let intact = k.status != crate::vault::KeyStatus::Tampered;
        edit = ui
            .add_enabled(intact, egui::Button::new("Edit details…"))
            .on_disabled_hover_text("The record failed its integrity check")
            .clicked();
        if !in_panel && ui.button("Close").clicked() {
            commands.push(Command::close_dialog());
        }
    });
    edit
}

/// A full local time (after `prefix`), with the UTC time it was stored as in its tooltip.
fn time_label(ui: &mut egui::Ui, t: i64, prefix: &str) {
    ui.label(format!("{prefix}{}", local_time(t)))
        .on_hover_text(utc_time(t));
}

impl Dialog for KeyDetail {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let title = self.title(s);
        // A form with something typed in it is not dropped by a click beside it.
        let dismiss = if self.is_editing() {
            Dismiss::EscOnly
        } else {
            Dismiss::Easy
        };
        modal_ui(ctx, &title, dismiss, theme::SECRET_MODAL_WIDTH, |ui| {
            self.body_ui(ui, s, commands, false)
        })
        .1
    }
}
