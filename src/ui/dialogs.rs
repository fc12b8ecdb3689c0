//! Every dialog of the window, all drawn through the one modal wrapper.

use egui::{Key, RichText};
use zeroize::Zeroizing;

use super::app::{Command, Session, Settings};
use super::modal::{Dismiss, button_row, danger_button, error_ui, modal_ui, primary_button};
use super::theme::{self, ThemeChoice};
use super::{secret_dialog, undelivered};
use crate::vault::{
    Expiry, Grace, NewKey, Node, NodeId, NodeKind, Preset, PublishTarget, Scope, format_time,
    validate_name, validate_prefix,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryChoice {
    Never,
    Days(u32),
    Custom,
}

pub struct AddKeyForm {
    pub node: NodeId,
    pub name: String,
    pub scopes: Vec<(Scope, bool)>,
    pub full_access: bool,
    pub expiry: ExpiryChoice,
    pub custom_date: String,
}

pub struct SettingsForm {
    pub settings: Settings,
    pub current: Zeroizing<String>,
    pub new: Zeroizing<String>,
    pub confirm: Zeroizing<String>,
    /// The publish targets as they were when the dialog opened (or was last published).
    pub publish: Vec<PublishRow>,
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
                node: if t.node.is_none() {
                    "whole vault".into()
                } else {
                    path.clone()
                },
                last: match (t.last_published_at, t.last_keys) {
                    (Some(at), Some(keys)) => format!("{} ({keys} keys)", format_time(at)),
                    (Some(at), None) => format_time(at),
                    _ => "never".into(),
                },
                error: t.last_error.clone(),
            })
            .collect()
    }
}

pub enum Dialog {
    AddNode {
        parent: Option<NodeId>,
        kind: NodeKind,
        name: String,
        preset: Preset,
        prefix: String,
    },
    RenameNode {
        id: NodeId,
        kind: NodeKind,
        name: String,
    },
    DeleteNode {
        id: NodeId,
        path: String,
        kind: NodeKind,
        keys: Option<usize>,
    },
    AddKey(AddKeyForm),
    EditScopes {
        key_id: String,
        name: String,
        scopes: Vec<(Scope, bool)>,
        full_access: bool,
    },
    Roll {
        key_id: String,
        name: String,
        grace: Grace,
    },
    Revoke {
        key_id: String,
        name: String,
    },
    DeleteKey {
        key_id: String,
        name: String,
    },
    EditScope {
        original: Option<String>,
        scope: Scope,
    },
    RemoveScope {
        id: String,
    },
    Settings(Box<SettingsForm>),
}

impl Dialog {
    pub fn add_node(parent: Option<NodeId>, kind: NodeKind) -> Dialog {
        Dialog::AddNode {
            parent,
            kind,
            name: String::new(),
            preset: Preset::ReadWrite,
            prefix: String::new(),
        }
    }

    pub fn rename(node: &Node) -> Dialog {
        Dialog::RenameNode {
            id: node.id,
            kind: node.kind,
            name: node.name.clone(),
        }
    }

    pub fn add_key(node: NodeId, catalog: &[Scope]) -> Dialog {
        Dialog::AddKey(AddKeyForm {
            node,
            name: String::new(),
            scopes: catalog
                .iter()
                .map(|s| (s.clone(), s.required || s.default))
                .collect(),
            full_access: false,
            expiry: ExpiryChoice::Never,
            custom_date: String::new(),
        })
    }

    pub fn edit_scopes(
        key_id: String,
        name: String,
        current: Vec<String>,
        full_access: bool,
        catalog: &[Scope],
    ) -> Dialog {
        Dialog::EditScopes {
            key_id,
            name,
            scopes: catalog
                .iter()
                .map(|s| (s.clone(), s.required || current.contains(&s.id)))
                .collect(),
            full_access,
        }
    }

    pub fn edit_scope(scope: Option<&Scope>) -> Dialog {
        Dialog::EditScope {
            original: scope.map(|s| s.id.clone()),
            scope: scope
                .cloned()
                .unwrap_or_else(|| Scope::new("", "", "", false, false)),
        }
    }

    pub fn settings(settings: &Settings, publish: Vec<PublishRow>) -> Dialog {
        Dialog::Settings(Box::new(SettingsForm {
            settings: settings.clone(),
            current: Zeroizing::new(String::new()),
            new: Zeroizing::new(String::new()),
            confirm: Zeroizing::new(String::new()),
            publish,
        }))
    }
}

/// A text field with a visible label that is also its accessible name.
fn labelled_field(ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
}

fn password_field(ui: &mut egui::Ui, label: &str, text: &mut String) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .password(true)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
}

fn scope_checkboxes_ui(ui: &mut egui::Ui, scopes: &mut [(Scope, bool)], full_access: bool) {
    if scopes.is_empty() {
        ui.label(
            RichText::new("This workspace has no scopes yet (add some in the Scopes tab).")
                .color(theme::MUTED),
        );
    }
    for (scope, checked) in scopes.iter_mut() {
        let locked = scope.required || full_access;
        let text = if scope.required {
            format!("{} (required)", scope.label)
        } else {
            scope.label.clone()
        };
        let mut shown = *checked || locked;
        let response = ui.add_enabled(!locked, egui::Checkbox::new(&mut shown, text));
        if !locked {
            *checked = shown;
        }
        if !scope.description.is_empty() {
            response.on_hover_text(format!("{}: {}", scope.id, scope.description));
        }
    }
}

fn chosen_scopes(scopes: &[(Scope, bool)]) -> Vec<String> {
    scopes
        .iter()
        .filter(|(_, c)| *c)
        .map(|(s, _)| s.id.clone())
        .collect()
}

pub fn dialogs_ui(
    ctx: &egui::Context,
    s: &mut Session,
    _settings: &Settings,
    commands: &mut Vec<Command>,
) {
    if let Some(secret) = &s.secret {
        secret_dialog::secret_dialog_ui(ctx, secret, commands);
        return;
    }
    let error = s.dialog_error.clone();
    let now = s.vault.now();
    let rekeying = s.rekey.as_ref().map(|job| job.progress);
    if let Some(Dialog::DeleteNode { id, keys, .. }) = &mut s.dialog
        && keys.is_none()
    {
        *keys = Some(s.vault.key_count(*id).unwrap_or(0));
    }
    if s.dialog.is_none() {
        undelivered::undelivered_ui(ctx, s, commands);
    }
    let Some(dialog) = &mut s.dialog else {
        return;
    };
    let error = error.as_deref();
    let dismissed = match dialog {
        Dialog::AddNode {
            parent,
            kind,
            name,
            preset,
            prefix,
        } => {
            let title = format!("Add {}", kind.noun());
            modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
                let field = labelled_field(ui, "Name", name, "e.g. acme, billing, prod");
                if ui.memory(|m| m.focused().is_none()) {
                    field.request_focus();
                }
                if *kind == NodeKind::Workspace {
                    ui.add_space(theme::SPACE);
                    ui.label("Scope preset");
                    for p in [
                        Preset::ReadWrite,
                        Preset::ProjectInference,
                        Preset::LabelsDatasets,
                        Preset::Custom,
                    ] {
                        let ids: Vec<String> = p.scopes().iter().map(|s| s.id.clone()).collect();
                        ui.radio_value(preset, p, p.title())
                            .on_hover_text(if ids.is_empty() {
                                "No scopes".into()
                            } else {
                                ids.join(", ")
                            });
                    }
                }
                if *kind == NodeKind::Environment {
                    labelled_field(
                        ui,
                        "Secret prefix (optional)",
                        prefix,
                        "inherits the project's, default kw",
                    );
                }
                let valid = validate_name(kind.noun(), name).is_ok()
                    && (prefix.trim().is_empty() || validate_prefix(prefix.trim()).is_ok());
                error_ui(ui, error);
                button_row(ui, |ui| {
                    let add = ui.add_enabled(valid, primary_button("Add")).clicked();
                    let enter = valid && ui.input(|i| i.key_pressed(Key::Enter));
                    if add || enter {
                        commands.push(Command::AddNode {
                            parent: *parent,
                            name: name.trim().to_owned(),
                            preset: *preset,
                            prefix: Some(prefix.trim().to_owned()).filter(|p| !p.is_empty()),
                        });
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            })
            .1
        }
        Dialog::RenameNode { id, kind, name } => {
            let title = format!("Rename {}", kind.noun());
            modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
                labelled_field(ui, "New name", name, "");
                let valid = validate_name(kind.noun(), name).is_ok();
                error_ui(ui, error);
                button_row(ui, |ui| {
                    let go = ui.add_enabled(valid, primary_button("Rename")).clicked()
                        || (valid && ui.input(|i| i.key_pressed(Key::Enter)));
                    if go {
                        commands.push(Command::RenameNode {
                            id: *id,
                            name: name.trim().to_owned(),
                        });
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            })
            .1
        }
        Dialog::DeleteNode {
            id,
            path,
            kind,
            keys,
        } => {
            let title = format!("Delete {}?", kind.noun());
            modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
                ui.label(format!("Delete {} '{path}' and everything below it?", kind.noun()));
                match keys.unwrap_or(0) {
                    0 => ui.label("It holds no keys."),
                    n => ui.label(
                        RichText::new(format!(
                            "{n} API key(s) will be deleted with it. Services using them will get not_found."
                        ))
                        .color(theme::DANGER)
                        .strong(),
                    ),
                };
                error_ui(ui, error);
                button_row(ui, |ui| {
                    if ui.add(danger_button("Delete")).clicked() {
                        commands.push(Command::DeleteNode { id: *id });
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            })
            .1
        }
        Dialog::AddKey(form) => {
            modal_ui(
                ctx,
                "Add New Key",
                Dismiss::Easy,
                theme::MODAL_WIDTH,
                |ui| add_key_ui(ui, form, now, error, commands),
            )
            .1
        }
        Dialog::EditScopes {
            key_id,
            name,
            scopes,
            full_access,
        } => {
            let title = format!("Edit scopes of {name}");
            modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
                ui.checkbox(full_access, "Full access (every scope, now and later)");
                ui.add_space(theme::SPACE * 0.5);
                scope_checkboxes_ui(ui, scopes, *full_access);
                error_ui(ui, error);
                button_row(ui, |ui| {
                    if ui.add(primary_button("Save scopes")).clicked() {
                        commands.push(Command::SetScopes {
                            key_id: key_id.clone(),
                            scopes: chosen_scopes(scopes),
                            full_access: *full_access,
                        });
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            })
            .1
        }
        Dialog::Roll {
            key_id,
            name,
            grace,
        } => {
            let title = format!("Roll {name}");
            modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
                ui.label("A new secret replaces the current one. Same key id, name and scopes.");
                ui.add_space(theme::SPACE * 0.5);
                ui.label("Keep the old secret working for");
                ui.horizontal(|ui| {
                    for g in Grace::ALL {
                        ui.radio_value(grace, g, g.label());
                    }
                });
                error_ui(ui, error);
                button_row(ui, |ui| {
                    if ui.add(primary_button("Roll key")).clicked() {
                        commands.push(Command::Roll {
                            key_id: key_id.clone(),
                            grace: *grace,
                        });
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            })
            .1
        }
        Dialog::Revoke { key_id, name } => confirm_ui(
            ctx,
            &format!("Revoke {name}?"),
            "The key stays listed, and every check of it answers revoked from now on. This cannot be undone.",
            "Revoke key",
            error,
            commands,
            || Command::Revoke {
                key_id: key_id.clone(),
            },
        ),
        Dialog::DeleteKey { key_id, name } => confirm_ui(
            ctx,
            &format!("Delete {name}?"),
            &format!("{key_id} will be gone for good; checks of it answer not_found."),
            "Delete key",
            error,
            commands,
            || Command::DeleteKey {
                key_id: key_id.clone(),
            },
        ),
        Dialog::EditScope { original, scope } => {
            let title = if original.is_some() {
                "Edit scope"
            } else {
                "Add scope"
            };
            modal_ui(ctx, title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
                ui.add_enabled_ui(original.is_none(), |ui| {
                    labelled_field(ui, "Scope id", &mut scope.id, "e.g. dataset.read");
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
                let valid = Scope::validate_id(&scope.id).is_ok();
                error_ui(ui, error);
                button_row(ui, |ui| {
                    if ui
                        .add_enabled(valid, primary_button("Save scope"))
                        .clicked()
                    {
                        let mut scope = scope.clone();
                        if scope.label.trim().is_empty() {
                            scope.label = scope.id.clone();
                        }
                        commands.push(Command::SaveScope {
                            original: original.clone(),
                            scope,
                        });
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CloseDialog);
                    }
                });
            })
            .1
        }
        Dialog::RemoveScope { id } => confirm_ui(
            ctx,
            &format!("Remove scope {id}?"),
            "Every key that has it loses it now.",
            "Remove scope",
            error,
            commands,
            || Command::RemoveScope { id: id.clone() },
        ),
        Dialog::Settings(form) => {
            modal_ui(ctx, "Settings", Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
                settings_ui(ui, form, rekeying, error, commands)
            })
            .1
        }
    };
    if dismissed {
        commands.push(Command::CloseDialog);
    }
}

/// A yes/no question before something that cannot be undone; returns whether it was dismissed.
fn confirm_ui(
    ctx: &egui::Context,
    title: &str,
    message: &str,
    action: &str,
    error: Option<&str>,
    commands: &mut Vec<Command>,
    confirmed: impl FnOnce() -> Command,
) -> bool {
    modal_ui(ctx, title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
        ui.label(message);
        error_ui(ui, error);
        button_row(ui, |ui| {
            if ui.add(danger_button(action)).clicked() {
                commands.push(confirmed());
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::CloseDialog);
            }
        });
    })
    .1
}

fn add_key_ui(
    ui: &mut egui::Ui,
    form: &mut AddKeyForm,
    now: i64,
    error: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let field = labelled_field(ui, "Name", &mut form.name, "e.g. ci-deployer");
    if ui.memory(|m| m.focused().is_none()) {
        field.request_focus();
    }
    ui.add_space(theme::SPACE);
    ui.label(RichText::new("Scopes").strong());
    scope_checkboxes_ui(ui, &mut form.scopes, form.full_access);
    ui.checkbox(
        &mut form.full_access,
        "Full access (every scope, now and later)",
    );
    ui.add_space(theme::SPACE);
    ui.label(RichText::new("Expiration").strong());
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(&mut form.expiry, ExpiryChoice::Never, "Never");
        for days in [7, 30, 60, 90] {
            ui.radio_value(
                &mut form.expiry,
                ExpiryChoice::Days(days),
                format!("{days} days"),
            );
        }
        ui.radio_value(&mut form.expiry, ExpiryChoice::Custom, "Custom date");
    });
    let expires_at = match form.expiry {
        ExpiryChoice::Never => Ok(None),
        ExpiryChoice::Days(d) => Expiry::parse(&format!("{d}d")).and_then(|e| e.resolve(now)),
        ExpiryChoice::Custom => {
            labelled_field(
                ui,
                "Expiry date (YYYY-MM-DD)",
                &mut form.custom_date,
                "2027-01-31",
            );
            Expiry::parse(&form.custom_date).and_then(|e| e.resolve(now))
        }
    };
    match &expires_at {
        Ok(Some(t)) => {
            ui.label(RichText::new(format!("Expires {}", format_time(*t))).color(theme::MUTED))
        }
        Ok(None) => ui.label(RichText::new("Never expires").color(theme::MUTED)),
        Err(e) if !form.custom_date.is_empty() => {
            ui.label(RichText::new(e.to_string()).color(theme::DANGER))
        }
        Err(_) => ui.label(""),
    };
    let name_ok = validate_name("key", &form.name).is_ok();
    let problem = if !name_ok {
        Some("Give the key a name")
    } else if expires_at.is_err() {
        Some("Choose a valid future date")
    } else {
        None
    };
    error_ui(ui, error);
    button_row(ui, |ui| {
        let clicked = ui
            .add_enabled(problem.is_none(), primary_button("Generate Key"))
            .on_disabled_hover_text(problem.unwrap_or_default())
            .clicked();
        let enter = ui.input(|i| i.key_pressed(Key::Enter));
        if (clicked || enter)
            && problem.is_none()
            && let Ok(expires_at) = expires_at
        {
            commands.push(Command::CreateKey {
                node: form.node,
                new: NewKey {
                    name: form.name.trim().to_owned(),
                    scopes: chosen_scopes(&form.scopes),
                    full_access: form.full_access,
                    expires_at,
                    ..NewKey::default()
                },
            });
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
}

fn settings_ui(
    ui: &mut egui::Ui,
    form: &mut SettingsForm,
    rekeying: Option<f32>,
    error: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let s = &mut form.settings;
    egui::Grid::new("settings_grid")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            let l = ui.label("Auto-lock after (minutes, 0 = never)");
            ui.add(egui::DragValue::new(&mut s.auto_lock_minutes).range(0..=240))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Clear clipboard after (seconds)");
            ui.add(egui::DragValue::new(&mut s.clipboard_seconds).range(5..=600))
                .labelled_by(l.id);
            ui.end_row();
            ui.label("Theme");
            ui.horizontal(|ui| {
                for t in ThemeChoice::ALL {
                    ui.radio_value(&mut s.theme, t, t.label());
                }
            });
            ui.end_row();
        });
    button_row(ui, |ui| {
        if ui.add(primary_button("Save settings")).clicked() {
            commands.push(Command::ApplySettings(s.clone()));
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::CloseDialog);
        }
    });
    ui.separator();
    ui.label(RichText::new("Change the vault passphrase").strong());
    password_field(ui, "Current passphrase", &mut form.current);
    password_field(ui, "New passphrase", &mut form.new);
    password_field(ui, "Repeat new passphrase", &mut form.confirm);
    let problem = if form.current.is_empty() || form.new.is_empty() {
        Some("Fill in the current and the new passphrase")
    } else if *form.new != *form.confirm {
        Some("The new passphrases do not match")
    } else {
        None
    };
    if let Some(p) = problem.filter(|_| !form.confirm.is_empty()) {
        ui.label(RichText::new(p).color(theme::DANGER));
    }
    error_ui(ui, error);
    button_row(ui, |ui| {
        let clicked = ui
            .add_enabled(
                problem.is_none() && rekeying.is_none(),
                egui::Button::new("Change passphrase"),
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
        if clicked {
            commands.push(Command::ChangePassphrase {
                current: form.current.clone(),
                new: form.new.clone(),
            });
        }
    });
    ui.separator();
    publish_targets_ui(ui, &form.publish, commands);
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
    egui::Grid::new("publish_grid")
        .num_columns(3)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for row in rows {
                // The file's name, with room; the full path on hover.
                let name = std::path::Path::new(&row.file)
                    .file_name()
                    .map_or(row.file.clone(), |n| n.to_string_lossy().into_owned());
                ui.allocate_ui_with_layout(
                    egui::vec2(180.0, ui.spacing().interact_size.y),
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| {
                        ui.set_min_width(180.0);
                        ui.add(egui::Label::new(name).truncate())
                            .on_hover_text(&row.file);
                    },
                );
                ui.label(&row.node);
                match &row.error {
                    None => ui.label(&row.last),
                    Some(e) => ui
                        .label(RichText::new("Failed").color(theme::DANGER))
                        .on_hover_text(e),
                };
                ui.end_row();
                if let Some(e) = &row.error {
                    ui.label(RichText::new(e).color(theme::DANGER).small());
                    ui.end_row();
                }
            }
        });
    if ui.button("Publish now").clicked() {
        commands.push(Command::PublishNow);
    }
}
