//! The secret dialog: the one moment a secret is on screen. It closes only after the secret
//! was copied or downloaded; quitting or locking before that waits here, with the reason shown
//! and a way out ("Discard and revoke").

use egui::RichText;

use crate::ui::fonts::name_text;
use crate::ui::modal::{
    Dismiss, button_row, danger_button, error_ui, modal_ui, primary_button, scrolling_body_ui,
};
use crate::ui::state::{Command, SecretCommand, SecretDialog, Waiting};
use crate::ui::theme;

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

/// "Discard and revoke", asked once more: it names the key and what revoking it does.
fn discard_confirm_ui(ui: &mut egui::Ui, d: &mut SecretDialog, commands: &mut Vec<Command>) {
    let name = &d.minted.info.name;
    ui.add_space(theme::SPACE * 0.5);
    ui.label(
        RichText::new(format!(
            "Revoke {name}? Its secret is discarded unseen and the key stops working for good."
        ))
        .strong()
        .color(theme::DANGER),
    );
    button_row(ui, |ui| {
        if ui.button("Keep the key").clicked() {
            d.confirm_discard = false;
        }
        if ui.add(danger_button(&format!("Revoke {name}"))).clicked() {
            commands.push(Command::Secrets(SecretCommand::Discard));
        }
    });
}

/// A ready command line that sends `secret` the way `keyward verify` and `serve` expect it.
pub fn curl_line(secret: &str) -> String {
    format!("curl -H 'Authorization: Api-Key {secret}' \"$API_URL\"")
}

pub fn secret_ui(ctx: &egui::Context, d: &mut SecretDialog, commands: &mut Vec<Command>) {
    let title = d.title;
    modal_ui(
        ctx,
        title,
        Dismiss::ButtonsOnly,
        theme::SECRET_MODAL_WIDTH,
        |ui| {
            // The buttons stay in view however small the window: the rest scrolls above them.
            let footer = scrolling_body_ui(ui, |ui| body_ui(ui, d, commands));
            footer.ui(ui, |ui| buttons_ui(ui, d, commands));
        },
    );
}

/// Everything above the buttons: the warning, the key, its secret, and what is waited for.
fn body_ui(ui: &mut egui::Ui, d: &SecretDialog, commands: &mut Vec<Command>) {
    let info = &d.minted.info;
    theme::alert_frame(ui.visuals())
        .inner_margin(10)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            crate::ui::a11y::plain_label(
                ui,
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
            ui.label(name_text(&info.name));
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
    ui.label(RichText::new("Try it").color(theme::MUTED));
    ui.horizontal(|ui| {
        let copy = ui
            .button("Copy command")
            .accessible_name("Copy curl command")
            .on_hover_text("Copies the command with the whole secret in it");
        if copy.clicked() {
            commands.push(Command::Secrets(SecretCommand::CopyCurl));
        }
        // Masked on screen; the whole line leaves only through Copy command.
        let line = curl_line(&d.minted.secret.display());
        ui.add(
            egui::Label::new(RichText::new(&line).monospace())
                .selectable(false)
                .truncate(),
        )
        .on_hover_text(line);
    });
    ui.add_space(theme::SPACE * 0.5);
    let scopes = if info.policy.scopes.is_empty() {
        "none".to_owned()
    } else {
        info.policy.scopes.join(", ")
    };
    let scopes = if info.full_access {
        format!("{scopes} (full access)")
    } else {
        scopes
    };
    ui.label(format!("Scopes: {scopes}"));
    let expires = ui.label(format!(
        "Expires: {}",
        info.policy
            .expires_at
            .map(crate::ui::time::local_time)
            .unwrap_or_else(|| "never".into())
    ));
    if let Some(t) = info.policy.expires_at {
        expires.on_hover_text(crate::ui::time::utc_time(t));
    }
    ui.label(
        RichText::new("Clients send it in the header  Authorization: Api-Key <secret>")
            .color(theme::MUTED),
    );
    if let Some(note) = &d.note {
        ui.label(RichText::new(note).color(theme::MUTED));
    }
    if let Some(path) = &d.downloaded {
        ui.label(RichText::new(format!("Saved to {}", path.display())).color(theme::SUCCESS));
    }
    if d.copied {
        if d.clipboard_cleared {
            ui.label(
                RichText::new(
                    "Copied; the clipboard has been cleared since. Copy again to paste it.",
                )
                .color(theme::MUTED),
            );
        } else {
            ui.label(RichText::new("Copied to the clipboard").color(theme::SUCCESS));
        }
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
            Waiting::Quit => "Keyward stayed open. Close closes this dialog; Close and quit quits.",
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
}

/// The buttons (or the question "Discard and revoke" asks), pinned under the body.
fn buttons_ui(ui: &mut egui::Ui, d: &mut SecretDialog, commands: &mut Vec<Command>) {
    let waiting = d.waiting.filter(|_| !d.is_delivered());
    if waiting.is_some() && d.confirm_discard {
        discard_confirm_ui(ui, d, commands);
        return;
    }
    button_row(ui, |ui| {
        if waiting.is_some()
            && ui
                .add(danger_button("Discard and revoke"))
                .on_hover_text("Revoke the key: nobody will ever have this secret")
                .clicked()
        {
            d.confirm_discard = true;
        }
        if d.is_delivered()
            && d.waiting == Some(Waiting::Quit)
            && ui.button("Close and quit").clicked()
        {
            commands.push(Command::Secrets(SecretCommand::CloseAndQuit));
        }
        let close = ui
            .add_enabled(d.can_close(), egui::Button::new("Close"))
            .on_disabled_hover_text("Copy or download the secret first: it cannot be shown again");
        if close.clicked() {
            commands.push(Command::Secrets(SecretCommand::Close));
        }
        if ui
            .add_enabled(!d.saving, egui::Button::new("💾 Download .json"))
            .accessible_name("Download .json")
            .on_disabled_hover_text("The save dialog is open")
            .clicked()
        {
            commands.push(Command::Secrets(SecretCommand::Download));
        }
        if ui
            .add(primary_button("📋 Copy"))
            .accessible_name("Copy")
            .clicked()
        {
            commands.push(Command::Secrets(SecretCommand::Copy));
        }
    });
}
