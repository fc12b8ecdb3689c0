//! The secret dialog: the one moment a secret is on screen. It closes only after the secret
//! was copied or downloaded; quitting or locking before that waits here, with the reason shown
//! and a way out ("Discard and revoke").

use std::path::PathBuf;

use egui::RichText;

use super::app::{Command, Session};
use super::modal::{Dismiss, button_row, danger_button, error_ui, modal_ui, primary_button};
use super::theme;
use crate::vault::{MintedKey, format_time};

/// What the user asked for while the secret was not handed over yet; it waits for the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// The window was asked to close.
    Quit,
    /// Lock (button or Ctrl+L).
    Lock,
}

pub struct SecretDialog {
    pub minted: MintedKey,
    pub title: &'static str,
    pub note: Option<String>,
    /// The secret replaced an older one of the same key.
    pub rolled: bool,
    pub copied: bool,
    pub downloaded: Option<PathBuf>,
    pub error: Option<String>,
    /// A quit or lock held back until the secret is handed over or discarded.
    pub waiting: Option<Waiting>,
}

impl SecretDialog {
    pub fn new(
        minted: MintedKey,
        title: &'static str,
        note: Option<String>,
        rolled: bool,
    ) -> SecretDialog {
        SecretDialog {
            minted,
            title,
            note,
            rolled,
            copied: false,
            downloaded: None,
            error: None,
            waiting: None,
        }
    }

    /// The secret was copied or downloaded: closing loses nothing.
    pub fn is_delivered(&self) -> bool {
        self.copied || self.downloaded.is_some()
    }

    pub fn can_close(&self) -> bool {
        self.is_delivered()
    }
}

impl Session {
    /// A secret is on screen that was neither copied nor downloaded.
    pub fn holds_undelivered_secret(&self) -> bool {
        self.secret.as_ref().is_some_and(|d| !d.is_delivered())
    }

    /// Holds `what` back when a secret that was not handed over is shown (its dialog then says
    /// why); returns whether it did.
    pub fn hold_back(&mut self, what: Waiting) -> bool {
        match self.secret.as_mut() {
            Some(d) if !d.is_delivered() => {
                d.waiting = Some(what);
                true
            }
            _ => false,
        }
    }

    /// "Discard and revoke": the secret was never handed over, so its key is revoked (nobody
    /// can ever present the secret) and the dialog closes. Returns the key's name and what the
    /// dialog held back; `None` when there was no dialog or revoking failed (the dialog then
    /// shows the error and stays).
    ///
    /// For a roll this revokes the whole key, although its previous secret may still be in
    /// its grace period and in use: keeping the key would leave a current secret that nobody
    /// has, and clients would break silently when the grace ends. Revoking says so now, in the
    /// log and in every check; the dialog warns first ("Revoking also stops the key's previous
    /// secret at once"), with Copy right beside it for whoever wants to keep the key.
    pub fn discard_secret(&mut self) -> Option<(String, Option<Waiting>)> {
        let d = self.secret.as_mut()?;
        match self.vault.revoke_key(&d.minted.info.key_id) {
            Ok(info) => {
                let waiting = self.secret.take().and_then(|d| d.waiting);
                Some((info.name, waiting))
            }
            Err(e) => {
                d.error = Some(format!("Could not revoke the key: {e}"));
                None
            }
        }
    }
}

/// Why the dialog holds a quit or lock back, in words for the user.
fn waiting_text(d: &SecretDialog, waiting: Waiting) -> String {
    let what = match waiting {
        Waiting::Quit => "Keyward stays open",
        Waiting::Lock => "The vault stays unlocked",
    };
    let mut text = format!(
        "{what}: this secret was not copied or downloaded yet, and it cannot be shown again. \
         Copy or download it first, or discard it and revoke the key."
    );
    if d.rolled {
        text.push_str(" Revoking also stops the key's previous secret at once.");
    }
    text
}

pub fn secret_dialog_ui(ctx: &egui::Context, d: &SecretDialog, commands: &mut Vec<Command>) {
    let info = &d.minted.info;
    modal_ui(
        ctx,
        d.title,
        Dismiss::ButtonsOnly,
        theme::SECRET_MODAL_WIDTH,
        |ui| {
            egui::Frame::new()
                .fill(theme::alert_fill(ui.visuals()))
                .corner_radius(theme::RADIUS)
                .inner_margin(10)
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.label(
                        RichText::new(
                            "⚠ Store this secret key securely. You won't be able to view it again.",
                        )
                        .strong()
                        .color(theme::WARNING),
                    );
                });
            ui.add_space(theme::SPACE);
            egui::Grid::new("secret_grid")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    ui.label(RichText::new("Name").color(theme::MUTED));
                    ui.label(&info.name);
                    ui.end_row();
                    ui.label(RichText::new("Key ID").color(theme::MUTED));
                    ui.label(RichText::new(&info.key_id).monospace());
                    ui.end_row();
                });
            ui.add_space(theme::SPACE * 0.5);
            ui.label(RichText::new("Secret key").color(theme::MUTED));
            egui::Frame::new()
                .fill(ui.visuals().extreme_bg_color)
                .corner_radius(theme::RADIUS)
                .inner_margin(10)
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    // Not selectable: the secret leaves only through Copy, so the clipboard
                    // timer, the history exclusion and the activity log always apply.
                    ui.add(
                        egui::Label::new(
                            RichText::new(d.minted.secret.expose())
                                .monospace()
                                .size(14.0),
                        )
                        .selectable(false)
                        .wrap(),
                    );
                });
            ui.add_space(theme::SPACE * 0.5);
            let scopes = if info.scopes.is_empty() {
                "none".to_owned()
            } else {
                info.scopes.join(", ")
            };
            let scopes = if info.full_access {
                format!("{scopes} (full access)")
            } else {
                scopes
            };
            ui.label(format!("Scopes: {scopes}"));
            ui.label(format!(
                "Expires: {}",
                info.expires_at
                    .map(format_time)
                    .unwrap_or_else(|| "never".into())
            ));
            ui.label(
                RichText::new("Clients send it in the header  Authorization: Api-Key <secret>")
                    .color(theme::MUTED),
            );
            if let Some(note) = &d.note {
                ui.label(RichText::new(note).color(theme::MUTED));
            }
            if let Some(path) = &d.downloaded {
                ui.label(
                    RichText::new(format!("Saved to {}", path.display())).color(theme::SUCCESS),
                );
            }
            if d.copied {
                ui.label(RichText::new("Copied to the clipboard").color(theme::SUCCESS));
            }
            let waiting = d.waiting.filter(|_| !d.is_delivered());
            if let Some(w) = waiting {
                ui.add_space(theme::SPACE * 0.5);
                ui.label(
                    RichText::new(waiting_text(d, w))
                        .strong()
                        .color(theme::DANGER),
                );
            } else if let Some(w) = d.waiting {
                let then = match w {
                    Waiting::Quit => "Close quits Keyward, as you asked.",
                    Waiting::Lock => "Close locks the vault, as you asked.",
                };
                ui.label(RichText::new(then).color(theme::MUTED));
                if d.copied && d.downloaded.is_none() {
                    ui.label(
                        RichText::new(
                            "Paste the secret where it belongs first: this also clears the clipboard.",
                        )
                        .color(theme::WARNING),
                    );
                }
            }
            error_ui(ui, d.error.as_deref());
            button_row(ui, |ui| {
                let close = ui
                    .add_enabled(d.can_close(), egui::Button::new("Close"))
                    .on_disabled_hover_text(
                        "Copy or download the secret first: it cannot be shown again",
                    );
                if close.clicked() {
                    commands.push(Command::CloseSecret);
                }
                if ui.button("💾 Download .json").clicked() {
                    commands.push(Command::DownloadSecret);
                }
                if ui.add(primary_button("📋 Copy")).clicked() {
                    commands.push(Command::CopySecret);
                }
                if waiting.is_some()
                    && ui
                        .add(danger_button("Discard and revoke"))
                        .on_hover_text("Revoke the key: nobody will ever have this secret")
                        .clicked()
                {
                    commands.push(Command::DiscardSecret);
                }
            });
        },
    );
}
