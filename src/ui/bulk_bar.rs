//! The bulk actions beside the filter chips once keys are ticked: revoke, set expiry, add a
//! scope (each asks first, naming the count and the first keys), clear.

use super::dialogs::{BulkEdit, Confirm};
use super::modal::danger_button;
use super::state::{Command, Session};
use crate::numbers::count;
use crate::vault::KeyStatus;

pub fn bulk_actions_ui(ui: &mut egui::Ui, s: &mut Session, commands: &mut Vec<Command>) {
    let ticked = s.keys.selected_len();
    if ticked == 0 {
        return;
    }
    // (id, name) of the ticked keys, in the table's order: what the question names. A
    // tampered record's name cannot be read: its id names it.
    let keys = |s: &Session| -> Vec<(String, String)> {
        s.keys
            .selection()
            .map(|k| {
                let name = match k.status {
                    KeyStatus::Tampered => k.key_id,
                    _ => k.name,
                };
                (k.key_id.to_string(), name.to_string())
            })
            .collect()
    };
    ui.separator();
    ui.label(format!("{} selected", count(ticked)));
    if ui.add(danger_button("Revoke selected")).clicked() {
        commands.push(Command::open(Confirm::revoke_many(keys(s))));
    }
    if ui
        .button("Set expiry…")
        .on_hover_text("A new expiry for every ticked key")
        .clicked()
    {
        commands.push(Command::open(BulkEdit::expiry(keys(s))));
    }
    if ui
        .button("Add scope…")
        .on_hover_text("One more scope for every ticked key")
        .clicked()
    {
        commands.push(Command::open(BulkEdit::add_scope(keys(s), &s.scopes)));
    }
    if ui.button("Clear selection").clicked() {
        s.keys.clear_selection();
    }
}
