//! Everything known about one key: id (with copy), timestamps, scopes, details, status (exposed
//! places included), roll state and the key's own activity; Edit details from here.

use egui::RichText;

use super::EditKey;
use crate::ui::modal::{Dismiss, button_row, modal_ui};
use crate::ui::state::{Command, Dialog, Session};
use crate::ui::theme;
use crate::ui::time::{local_time, utc_time};
use crate::ui::widgets::chip;
use crate::vault::{ActivityEntry, KeyInfo};

/// How far back the node's log is read for the key's own entries.
const LOG_WINDOW: usize = 5_000;

pub struct KeyDetail {
    key_id: String,
    /// The key and its log entries as of the session's reload count.
    read_at: Option<u64>,
    key: Option<KeyInfo>,
    activity: Vec<ActivityEntry>,
    error: Option<String>,
}

impl KeyDetail {
    pub fn new(key_id: String) -> KeyDetail {
        KeyDetail {
            key_id,
            read_at: None,
            key: None,
            activity: Vec::new(),
            error: None,
        }
    }

    fn refresh(&mut self, s: &Session) {
        if self.read_at == Some(s.reloads) {
            return;
        }
        self.read_at = Some(s.reloads);
        match s.vault.key(&self.key_id) {
            Ok(key) => {
                let needle = self.key_id.as_str();
                self.activity = s
                    .vault
                    .activity(Some(key.node_id), LOG_WINDOW)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| e.detail.contains(needle))
                    .collect();
                self.key = Some(key);
                self.error = None;
            }
            Err(e) => {
                self.key = None;
                self.error = Some(e.to_string());
            }
        }
    }

    fn detail_ui(&self, ui: &mut egui::Ui, k: &KeyInfo, commands: &mut Vec<Command>) {
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
                ui.label(&k.node);
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
                    for scope in &k.scopes {
                        chip(ui, scope);
                    }
                });
                ui.end_row();
                for (label, at) in [
                    ("Created", Some(k.created_at)),
                    ("Expires", k.expires_at),
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
                    "—"
                } else {
                    &k.details.description
                });
                ui.end_row();
                ui.label(muted("Owner"));
                ui.label(if k.details.owner.is_empty() {
                    "—"
                } else {
                    &k.details.owner
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
        ui.label(RichText::new("Activity").strong());
        egui::ScrollArea::vertical()
            .id_salt("key_activity")
            .max_height(180.0)
            .show(ui, |ui| {
                if self.activity.is_empty() {
                    ui.label(muted("No activity recorded for this key."));
                }
                for e in &self.activity {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(muted(&local_time(e.at)))
                            .on_hover_text(utc_time(e.at));
                        ui.label(RichText::new(&e.action).monospace());
                        ui.label(&e.detail);
                    });
                }
            });
        button_row(ui, |ui| {
            if ui.button("Edit details…").clicked() {
                commands.push(Command::open(EditKey::new(k)));
            }
            if ui.button("Close").clicked() {
                commands.push(Command::CloseDialog);
            }
        });
    }
}

/// A full local time (after `prefix`), with the UTC time it was stored as in its tooltip.
fn time_label(ui: &mut egui::Ui, t: i64, prefix: &str) {
    ui.label(format!("{prefix}{}", local_time(t)))
        .on_hover_text(utc_time(t));
}

impl Dialog for KeyDetail {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        self.refresh(s);
        let title = self
            .key
            .as_ref()
            .map_or_else(|| "Key".to_owned(), |k| format!("Key {}", k.name));
        modal_ui(
            ctx,
            &title,
            Dismiss::Easy,
            theme::SECRET_MODAL_WIDTH,
            |ui| match &self.key {
                Some(k) => self.detail_ui(ui, k, commands),
                None => {
                    ui.label(self.error.as_deref().unwrap_or("The key is gone."));
                    if ui.button("Close").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                }
            },
        )
        .1
    }
}
