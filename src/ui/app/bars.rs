//! The window's frame around the screens: the top bar (vault path, Lock, the Vault menu,
//! Settings), the status bar (fading messages, errors until dismissed, the clipboard countdown)
//! and the window title.

use egui::RichText;

use super::KeywardApp;
use crate::numbers;
use crate::ui::dialogs::SettingsDialog;
use crate::ui::fonts::name_text;
use crate::ui::shortcuts::UiCommand;
use crate::ui::state::{Command, VaultCommand, ViewCommand};
use crate::ui::theme;

/// How long a status message (not an error) stays.
const STATUS_SECS: u64 = 10;

impl KeywardApp {
    /// The window title: the vault file and whether it is locked.
    pub fn window_title(&self) -> String {
        let path = &self.options.vault_path;
        let file = if crate::vault::Vault::is_server_location(path) {
            crate::vault::display_location(path)
        } else {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string())
        };
        let state = if self.is_locked() {
            "Locked"
        } else {
            "Unlocked"
        };
        format!("{file} ({state}) - Keyward")
    }

    /// Sends the title when it changed, and names the accessibility tree's root (the frame a
    /// screen reader announces) after it: egui leaves that node unnamed.
    pub(super) fn update_title(&mut self, ctx: &egui::Context) {
        let title = self.window_title();
        ctx.accesskit_node_builder(egui::accesskit_root_id(), |root| {
            root.set_label(title.as_str());
        });
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            crate::ui::a11y::plain_label(ui, RichText::new("🔑 Keyward").strong().size(16.0));
            ui.add_space(theme::SPACE);
            // Who is unlocked, where it matters: on a team vault, or as a member other than the
            // only one a file has by default.
            let shared = self.session().is_some_and(|s| s.vault.is_shared());
            if let Some(member) = self.session().map(|s| s.vault.member())
                && (shared || member != crate::vault::DEFAULT_MEMBER)
            {
                let who = if shared {
                    format!("{member} · team vault")
                } else {
                    format!("as {member}")
                };
                ui.label(RichText::new(who).small().strong())
                    .on_hover_text("The member this window is unlocked as");
            }
            // The path gives way to the buttons on the right: cut with … and shown whole on hover.
            let path = crate::vault::display_location(&self.options.vault_path);
            let room = (ui.available_width() - 300.0).max(40.0);
            ui.scope(|ui| {
                ui.set_max_width(room);
                ui.add(
                    egui::Label::new(RichText::new(&path).small().color(theme::MUTED)).truncate(),
                )
                .on_hover_text(&path);
            });
            // Left to right, so Tab runs in reading order: Settings, Vault, Lock.
            if !self.is_locked() {
                crate::ui::widgets::right_aligned_ui(ui, |ui| {
                    if ui
                        .button("⚙ Settings")
                        .accessible_name("Settings")
                        .clicked()
                    {
                        commands.push(Command::open(SettingsDialog::new(&self.settings)));
                    }
                    let recent: Vec<std::path::PathBuf> = self
                        .recent
                        .others(&self.options.vault_path)
                        .cloned()
                        .collect();
                    ui.menu_button("Vault", |ui| {
                        self.open_menu_ui(ui, &recent, commands);
                        ui.separator();
                        if ui.button("Activity of the whole vault").clicked() {
                            commands.push(Command::View(ViewCommand::ShowVaultActivity));
                            ui.close();
                        }
                        if ui
                            .button("Back up now")
                            .on_hover_text(if shared {
                                "Writes an encrypted vault file (same passphrase) to Keyward's \
                                 data folder"
                            } else {
                                "Writes an encrypted copy (same passphrase) beside the vault file"
                            })
                            .clicked()
                        {
                            commands.push(Command::Vault(VaultCommand::Backup));
                            ui.close();
                        }
                        if ui
                            .button("Check the vault (Doctor)")
                            .on_hover_text("Checks the file, every record and the activity chain")
                            .clicked()
                        {
                            commands.push(Command::Vault(VaultCommand::Doctor));
                            ui.close();
                        }
                    });
                    if ui
                        .button("🔒 Lock")
                        .accessible_name(UiCommand::Lock.text_and_tooltip().0)
                        .on_hover_text(UiCommand::Lock.tooltip_with_keys())
                        .clicked()
                    {
                        commands.push(Command::Vault(VaultCommand::Lock));
                    }
                });
            }
        });
    }

    /// Open and the recent vaults in the Vault menu: each locks this vault first.
    fn open_menu_ui(
        &self,
        ui: &mut egui::Ui,
        recent: &[std::path::PathBuf],
        commands: &mut Vec<Command>,
    ) {
        if ui
            .button("Open another vault…")
            .on_hover_text("Locks this vault first")
            .clicked()
        {
            commands.push(Command::Vault(VaultCommand::Open(None)));
            ui.close();
        }
        let now = crate::vault::now();
        ui.add_enabled_ui(!recent.is_empty(), |ui| {
            ui.menu_button("Recent vaults", |ui| {
                for path in recent {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let used = self
                        .recent
                        .last_use(path)
                        .map(|t| format!(" · {}", crate::ui::time::ago(now, t)))
                        .unwrap_or_default();
                    let full = path.display().to_string();
                    if ui
                        .button(format!("{name}{used}"))
                        .on_hover_text(&full)
                        .accessible_name(format!("Switch to vault {full}"))
                        .clicked()
                    {
                        commands.push(Command::Vault(VaultCommand::Open(Some(path.clone()))));
                        ui.close();
                    }
                }
            })
        });
    }

    pub(super) fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        let now = ui.input(|i| i.time);
        let fade = std::time::Duration::from_secs(STATUS_SECS);
        if let Some(status) = &self.status
            && !status.error
        {
            match fade.checked_sub(status.since.elapsed()) {
                Some(left) => ui.ctx().request_repaint_after(left),
                None => self.status = None,
            }
        }
        let mut dismiss = false;
        // Two sides that never overlap: the message gives way and is cut with …, whole on hover.
        egui::Sides::new().shrink_left().truncate().show(
            ui,
            |ui| {
                if let Some(status) = &self.status {
                    let color = if status.error {
                        theme::DANGER
                    } else {
                        ui.visuals().text_color()
                    };
                    if status.error && ui.small_button("Dismiss").clicked() {
                        dismiss = true;
                    }
                    // Messages name keys and nodes ("Revoked 🚀 deploy"): the names family.
                    ui.add(egui::Label::new(name_text(&status.text).color(color)).truncate())
                        .on_hover_text(&status.text);
                }
            },
            |ui| {
                if let Some(clip) = &self.clip {
                    let left = (clip.clear_at - now).max(0.0).ceil();
                    crate::ui::a11y::plain_label(
                        ui,
                        RichText::new(format!("📋 Clipboard clears in {left:.0} s"))
                            .color(theme::WARNING),
                    );
                }
                if let Some(s) = self.session()
                    && let Some(node) = s.selected_node()
                {
                    let text = format!(
                        "{} in {}",
                        numbers::count_of(s.keys.len(), "key", "keys"),
                        node.path
                    );
                    ui.scope(|ui| {
                        ui.set_max_width(ui.ctx().content_rect().width() * 0.4);
                        ui.add(egui::Label::new(name_text(&text).color(theme::MUTED)).truncate())
                            .on_hover_text(&text);
                    });
                }
            },
        );
        if dismiss {
            self.status = None;
        }
    }
}
