//! After unlock: keys whose secret the window showed but nobody copied or downloaded (the
//! window was killed with the secret dialog open). Each can be rolled (a new secret, shown
//! once more) or revoked; "Later" hides the list until the next unlock.

use egui::RichText;

use super::{Confirm, Roll};
use crate::ui::fonts::name_text;
use crate::ui::modal::{Dismiss, button_row, modal_ui};
use crate::ui::state::{Command, SecretCommand, Session};
use crate::ui::theme;
use crate::ui::widgets::labelled_button;
use crate::vault::{Grace, KeyInfo};

pub const TITLE: &str = "Secrets never handed over";

fn row_ui(ui: &mut egui::Ui, key: &KeyInfo, rolled: bool, commands: &mut Vec<Command>) {
    let what = if rolled { "rolled" } else { "created" };
    ui.label(name_text(&key.name).strong());
    ui.label(RichText::new(&key.key_id).monospace().small());
    ui.label(&key.node);
    ui.label(RichText::new(what).color(theme::MUTED));
    ui.horizontal(|ui| {
        let rollable = key.status.works();
        if labelled_button(ui, "⟳ Roll", format!("Roll {} again", key.name), rollable) {
            // Nobody holds the lost secret: by default it stops at once.
            commands.push(Command::open(Roll::new(
                key.key_id.clone(),
                key.name.clone(),
                Grace::None,
            )));
        }
        if labelled_button(ui, "🚫 Revoke", format!("Revoke {} now", key.name), true) {
            commands.push(Command::open(Confirm::revoke(
                key.key_id.clone(),
                &key.name,
            )));
        }
    });
    ui.end_row();
}

/// The list, when there is one and it was not put off.
pub fn undelivered_ui(ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) {
    if s.undelivered.is_empty() || s.undelivered_later {
        return;
    }
    modal_ui(
        ctx,
        TITLE,
        Dismiss::ButtonsOnly,
        theme::SECRET_MODAL_WIDTH,
        |ui| {
            ui.label(
                "These keys got a secret in this window that was never copied or downloaded \
                 (the window closed with the secret on screen). Nobody has that secret: roll the \
                 key to get a new one, or revoke it.",
            );
            ui.add_space(theme::SPACE);
            egui::ScrollArea::vertical()
                .max_height(320.0)
                .show(ui, |ui| {
                    egui::Grid::new("undelivered_grid")
                        .num_columns(5)
                        .spacing([12.0, 6.0])
                        .show(ui, |ui| {
                            for (key, rolled) in &s.undelivered {
                                row_ui(ui, key, *rolled, commands);
                            }
                        });
                });
            button_row(ui, |ui| {
                if ui
                    .button("Later")
                    .on_hover_text("Ask again at the next unlock")
                    .clicked()
                {
                    commands.push(Command::Secrets(SecretCommand::UndeliveredLater));
                }
            });
        },
    );
}
