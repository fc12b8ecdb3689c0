//! The key list by keyboard: the table's one Tab stop, and the list's shortcuts (the table in
//! `ui::shortcuts`) acting on its current row.

use super::dialogs::Confirm;
use super::shortcuts::{self, Area, UiCommand};
use super::state::{Command, Session, ViewCommand};
use crate::vault::KeyStatus;

/// The table's Tab stop: one id for the whole window, so the shell can give it focus.
pub fn table_stop_id() -> egui::Id {
    egui::Id::unique("keys_table_stop")
}

/// The table's one Tab stop over `rect`; while focused the arrow keys and Esc are the list's,
/// not egui's focus moves.
pub fn table_stop_ui(ui: &mut egui::Ui, rect: egui::Rect) -> egui::Response {
    let id = table_stop_id();
    let response = ui.interact(rect, id, egui::Sense::FOCUSABLE);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Table, true, "Keys table"));
    if response.has_focus() {
        let filter = egui::EventFilter {
            vertical_arrows: true,
            escape: true,
            ..Default::default()
        };
        ui.memory_mut(|m| m.set_focus_lock_filter(id, filter));
    }
    response
}

/// Runs the list's shortcuts when the table has focus or nothing has; never while a text
/// field has focus (`typing`: also the frame the search field gave it up on Esc), a menu or
/// a dialog is open (Esc is theirs).
pub fn list_keys(ctx: &egui::Context, s: &mut Session, typing: bool, commands: &mut Vec<Command>) {
    let busy = typing || ctx.text_edit_focused() || egui::Popup::is_any_open(ctx);
    if busy || s.dialog.is_some() || s.secret.is_some() {
        return;
    }
    let stop = table_stop_id();
    if !ctx.memory(|m| m.focused().is_none_or(|f| f == stop)) {
        return;
    }
    let actions = shortcuts::pressed(ctx, Area::KeyList, false);
    for action in &actions {
        let table = &mut s.keys;
        match action {
            UiCommand::RowDown => table.move_cursor(1),
            UiCommand::RowUp => table.move_cursor(-1),
            UiCommand::FirstRow => table.move_cursor(isize::MIN),
            UiCommand::LastRow => table.move_cursor(isize::MAX),
            UiCommand::SelectAll => table.select_visible(),
            UiCommand::ClearSelection => table.clear_selection(),
            UiCommand::Tick => {
                if let Some(k) = table.cursor_key() {
                    let on = !table.is_selected(k.key_id);
                    let key_id = k.key_id.to_owned();
                    table.set_selected(&key_id, on);
                }
            }
            UiCommand::Details => {
                if let Some(k) = table.cursor_key() {
                    commands.push(Command::View(ViewCommand::ShowKey(k.key_id.to_owned())));
                }
            }
            UiCommand::Revoke => {
                if let Some(k) = table.cursor_key()
                    && !matches!(k.status, KeyStatus::Revoked | KeyStatus::Tampered)
                {
                    commands.push(Command::open(Confirm::revoke(k.key_id.to_owned(), k.name)));
                }
            }
            _ => {}
        }
    }
    // A key on the list puts the focus on the table, so Tab goes on from there.
    if !actions.is_empty() {
        ctx.memory_mut(|m| m.request_focus(stop));
    }
}
