//! Settings: auto-lock, clipboard timeout, theme, desktop notifications, the vault passphrase,
//! the members and the publish targets.

use egui::RichText;
use zeroize::Zeroizing;

use crate::ui::modal::{Dismiss, button_row, error_ui, modal_ui, primary_button};
use crate::ui::notify::EventKind;
use crate::ui::state::{
    Command, Dialog, Session, Settings, SettingsCommand, TeamCommand, VaultCommand,
};
use crate::ui::theme::{self, ThemeChoice};
use crate::ui::time::local_time;
use crate::ui::widgets::password_field;
use crate::vault::{Member, PublishTarget};

pub struct SettingsDialog {
    settings: Settings,
    current: Zeroizing<String>,
    new: Zeroizing<String>,
    confirm: Zeroizing<String>,
    member_name: String,
    member_passphrase: Zeroizing<String>,
    /// The members as they were when the session was last re-read.
    members: Vec<Member>,
    /// The publish targets as they were when the session was last re-read.
    publish: Vec<PublishRow>,
    /// The session's reload count the rows were read at.
    publish_read_at: Option<u64>,
    /// A weak new passphrase was refused once; the next click uses it anyway.
    weak_warned: bool,
    /// The new passphrase's strength, measured when it changed.
    strength: Option<crate::vault::PassphraseStrength>,
    /// Auto-lock minutes, clipboard seconds and default expiry days, as typed.
    numbers: [NumberField; 3],
}

/// A whole-number setting typed as text and checked as it is typed: a value that is not one
/// is shown red with the reason, never saved as the old value in silence.
struct NumberField {
    label: &'static str,
    /// The setting's name in the reason.
    name: &'static str,
    unit: &'static str,
    range: std::ops::RangeInclusive<u32>,
    text: String,
}

impl NumberField {
    fn new(
        label: &'static str,
        (name, unit): (&'static str, &'static str),
        range: std::ops::RangeInclusive<u32>,
        value: u32,
    ) -> NumberField {
        NumberField {
            label,
            name,
            unit,
            range,
            text: value.to_string(),
        }
    }

    fn value(&self) -> Result<u32, String> {
        match self.text.trim().parse::<u32>() {
            Ok(n) if self.range.contains(&n) => Ok(n),
            _ => Err(format!(
                "{}: a whole number of {} from {} to {}",
                self.name,
                self.unit,
                self.range.start(),
                self.range.end()
            )),
        }
    }

    /// One grid row: the label, the field, and under it why the text is not a value.
    fn ui(&mut self, ui: &mut egui::Ui) -> Result<u32, String> {
        let label = ui.label(self.label);
        let was_valid = self.value().is_ok();
        ui.vertical(|ui| {
            let mut edit = egui::TextEdit::singleline(&mut self.text).desired_width(80.0);
            if !was_valid {
                edit = edit.text_color(theme::DANGER);
            }
            ui.add(edit).labelled_by(label.id);
            if let Err(e) = self.value() {
                ui.label(RichText::new(e).color(theme::DANGER).small());
            }
        });
        ui.end_row();
        self.value()
    }
}

/// A publish target as Settings shows it.
pub struct PublishRow {
    pub file: String,
    pub node: String,
    pub last: String,
    pub error: Option<String>,
}

impl PublishRow {
    pub fn rows(targets: &[(PublishTarget, String)]) -> Vec<PublishRow> {
        targets
            .iter()
            .map(|(t, path)| PublishRow {
                file: t.file.display().to_string(),
                node: {
                    let node = if t.node.is_none() {
                        "whole vault"
                    } else {
                        path
                    };
                    // On a team vault, the machine that writes it.
                    match &t.host {
                        Some(host) => format!("{node} · on {host}"),
                        None => node.to_owned(),
                    }
                },
                last: match (t.last_published_at, t.last_keys) {
                    (Some(at), Some(keys)) => format!(
                        "{} ({})",
                        local_time(at),
                        crate::numbers::count_of(keys, "key", "keys")
                    ),
                    (Some(at), None) => local_time(at),
                    _ => "never".into(),
                },
                error: t.last_error.clone(),
            })
            .collect()
    }
}

impl SettingsDialog {
    pub fn new(settings: &Settings) -> SettingsDialog {
        SettingsDialog {
            settings: settings.clone(),
            current: Zeroizing::new(String::new()),
            new: Zeroizing::new(String::new()),
            confirm: Zeroizing::new(String::new()),
            member_name: String::new(),
            member_passphrase: Zeroizing::new(String::new()),
            members: Vec::new(),
            publish: Vec::new(),
            publish_read_at: None,
            weak_warned: false,
            strength: None,
            numbers: [
                NumberField::new(
                    "Auto-lock after (minutes, 0 = never)",
                    ("Auto-lock", "minutes"),
                    0..=240,
                    settings.auto_lock_minutes,
                ),
                NumberField::new(
                    "Clear clipboard after (seconds)",
                    ("Clipboard", "seconds"),
                    5..=600,
                    settings.clipboard_seconds,
                ),
                NumberField::new(
                    "New keys expire after (days, 0 = never)",
                    ("Expiry", "days"),
                    0..=3650,
                    settings.default_expiry_days,
                ),
            ],
        }
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
        let rekeying = s.rekey.as_ref().map(|job| job.progress);
        // Nothing is focused when the dialog opens: a field focused unasked takes stray typing
        // (once half a passphrase, in plain text).
        let mut checked = self.settings.clone();
        let mut problems = Vec::new();
        egui::Grid::new("settings_grid")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let targets = [
                    &mut checked.auto_lock_minutes,
                    &mut checked.clipboard_seconds,
                    &mut checked.default_expiry_days,
                ];
                for (field, target) in self.numbers.iter_mut().zip(targets) {
                    match field.ui(ui) {
                        Ok(n) => *target = n,
                        Err(e) => problems.push(e),
                    }
                }
                ui.label("Theme");
                ui.horizontal(|ui| {
                    for t in ThemeChoice::ALL {
                        ui.radio_value(&mut checked.theme, t, t.label());
                    }
                });
                ui.end_row();
                ui.label("Desktop notifications");
                ui.vertical(|ui| {
                    for kind in EventKind::ALL {
                        ui.checkbox(checked.notify.get_mut(kind), kind.setting_label());
                    }
                });
                ui.end_row();
            });
        self.settings.theme = checked.theme;
        self.settings.notify = checked.notify;
        button_row(ui, |ui| {
            if ui.button("Cancel").clicked() {
                commands.push(Command::close_dialog());
            }
            let save = ui
                .add_enabled(problems.is_empty(), primary_button("Save settings"))
                .on_disabled_hover_text(problems.join("\n"));
            if save.clicked() {
                commands.push(Command::Settings(SettingsCommand::Apply(checked)));
            }
        });
        ui.separator();
        ui.label(RichText::new("Change the vault passphrase").strong());
        password_field(ui, "Current passphrase", &mut self.current);
        if password_field(ui, "New passphrase", &mut self.new).changed() {
            self.weak_warned = false;
            self.strength = crate::ui::passphrase::measure(&self.new);
        }
        let weak = crate::ui::passphrase::strength_ui(ui, self.strength.as_ref());
        password_field(ui, "Repeat new passphrase", &mut self.confirm);
        let problem = if self.current.is_empty() || self.new.is_empty() {
            Some("Fill in the current and the new passphrase")
        } else if *self.new != *self.confirm {
            Some("The new passphrases do not match")
        } else {
            None
        };
        if let Some(p) = problem.filter(|_| !self.confirm.is_empty()) {
            ui.label(RichText::new(p).color(theme::DANGER));
        }
        if self.weak_warned {
            ui.label(RichText::new(crate::ui::passphrase::WEAK_WARNING).color(theme::WARNING));
        }
        error_ui(ui, s.dialog_error.as_deref());
        button_row(ui, |ui| {
            let label = if self.weak_warned {
                "Use weak passphrase"
            } else {
                "Change passphrase"
            };
            let clicked = ui
                .add_enabled(
                    problem.is_none() && rekeying.is_none(),
                    egui::Button::new(label),
                )
                .on_disabled_hover_text(problem.unwrap_or("Working…"))
                .clicked();
            if let Some(done) = rekeying {
                ui.add(
                    egui::ProgressBar::new(done)
                        .desired_width(220.0)
                        .show_percentage()
                        .text(format!("Re-keying the vault… {:.0}%", done * 100.0)),
                );
            }
            if clicked && weak && !self.weak_warned {
                self.weak_warned = true;
            } else if clicked {
                commands.push(Command::Team(TeamCommand::ChangePassphrase {
                    current: self.current.clone(),
                    new: self.new.clone(),
                }));
            }
        });
        ui.separator();
        if self.publish_read_at != Some(s.reloads) {
            self.publish = PublishRow::rows(&s.publish_targets);
            self.members.clone_from(&s.members);
            self.publish_read_at = Some(s.reloads);
        }
        self.members_ui(ui, rekeying.is_some(), commands);
        ui.separator();
        publish_targets_ui(ui, &self.publish, commands);
    }
}

impl SettingsDialog {
    /// The members, each other one with Remove; a new member with their own passphrase. Both
    /// take the current passphrase from the field above.
    fn members_ui(&mut self, ui: &mut egui::Ui, working: bool, commands: &mut Vec<Command>) {
        ui.label(RichText::new("Members").strong());
        let can_act = !self.current.is_empty() && !working;
        egui::Grid::new("members_grid")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for m in &self.members {
                    if m.you {
                        ui.label(format!("{} (you)", m.name));
                        ui.label("");
                    } else {
                        ui.label(&m.name);
                        let remove = ui
                            .add_enabled(can_act, egui::Button::new(format!("Remove {}", m.name)))
                            .on_disabled_hover_text("Fill in the current passphrase above");
                        if remove.clicked() {
                            commands.push(Command::Team(TeamCommand::RemoveMember {
                                current: self.current.clone(),
                                name: m.name.clone(),
                            }));
                        }
                    }
                    ui.end_row();
                }
            });
        let label = ui.label("New member name");
        ui.add(egui::TextEdit::singleline(&mut self.member_name).desired_width(220.0))
            .labelled_by(label.id);
        password_field(ui, "Their passphrase", &mut self.member_passphrase);
        let ready =
            can_act && !self.member_name.trim().is_empty() && !self.member_passphrase.is_empty();
        let add = ui
            .add_enabled(ready, egui::Button::new("Add member"))
            .on_disabled_hover_text("Fill in the current passphrase, a name and their passphrase");
        if add.clicked() {
            commands.push(Command::Team(TeamCommand::AddMember {
                current: self.current.clone(),
                name: self.member_name.trim().to_owned(),
                passphrase: self.member_passphrase.clone(),
            }));
        }
    }
}

impl Dialog for SettingsDialog {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        modal_ui(ctx, "Settings", Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            self.settings_ui(ui, s, commands)
        })
        .1
    }
}

/// Settings' list of publish targets: file, node, last write, any error, and Publish now.
fn publish_targets_ui(ui: &mut egui::Ui, rows: &[PublishRow], commands: &mut Vec<Command>) {
    ui.label(RichText::new("Published verifier files").strong());
    if rows.is_empty() {
        ui.label(
            RichText::new("None. Add one with: keyward publish add NODE FILE").color(theme::MUTED),
        );
        return;
    }
    // Two lines a file, to fit the dialog: its name (full path on hover) and its state, then
    // what it carries and when it was last written.
    for row in rows {
        let name = std::path::Path::new(&row.file)
            .file_name()
            .map_or(row.file.clone(), |n| n.to_string_lossy().into_owned());
        ui.horizontal(|ui| {
            ui.add(egui::Label::new(RichText::new(name).strong()).truncate())
                .on_hover_text(&row.file);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                match &row.error {
                    None => ui.label(RichText::new("Up to date").color(theme::SUCCESS)),
                    Some(e) => ui
                        .label(RichText::new("Failed").color(theme::DANGER))
                        .on_hover_text(e),
                };
            });
        });
        ui.add(
            egui::Label::new(
                RichText::new(format!("{} · last written {}", row.node, row.last))
                    .small()
                    .color(theme::MUTED),
            )
            .truncate(),
        );
        if let Some(e) = &row.error {
            ui.label(RichText::new(e).color(theme::DANGER).small());
        }
        ui.add_space(theme::SPACE * 0.5);
    }
    if ui.button("Publish now").clicked() {
        commands.push(Command::Vault(VaultCommand::PublishNow));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publish_row_names_its_machine_and_counts_its_keys() {
        let target = |host: Option<&str>, keys: usize| PublishTarget {
            file: "/srv/keyward/acme.verifier.json".into(),
            node: Some(1),
            mode: 0o644,
            last_published_at: Some(1_800_000_000),
            last_keys: Some(keys),
            last_error: None,
            host: host.map(str::to_owned),
        };
        let rows = PublishRow::rows(&[
            (target(Some("service-host"), 1), "acme".into()),
            (target(None, 2), "acme".into()),
        ]);
        assert_eq!(rows[0].node, "acme · on service-host");
        assert!(rows[0].last.ends_with("(1 key)"), "{}", rows[0].last);
        assert_eq!(rows[1].node, "acme");
        assert!(rows[1].last.ends_with("(2 keys)"), "{}", rows[1].last);
    }
}
