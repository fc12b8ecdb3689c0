//! Details beside the list (as KeePassXC and GitHub show them): the key's details in a
//! resizable right panel that follows the table's current row, edited in place, closed with its
//! button or Esc; its width and whether it is open are kept in the settings. In a window too
//! narrow for it and the list, details open as a dialog instead.

use egui::RichText;

use super::dialogs::KeyDetail;
use super::fonts::name_text;
use super::key_table::KeyTable;
use super::state::{Command, Session, Settings, ViewCommand};
use super::theme;

/// What the panel shows, and the row it last followed.
#[derive(Default)]
pub struct DetailsPanel {
    detail: Option<KeyDetail>,
    /// The table's current row as last seen: when it moves, the panel shows its key.
    followed: Option<String>,
}

impl DetailsPanel {
    /// Shows `key_id` (a key already shown keeps its form).
    pub fn show(&mut self, key_id: String) {
        if self.key_id() != Some(key_id.as_str()) {
            self.detail = Some(KeyDetail::new(key_id));
        }
    }

    pub fn key_id(&self) -> Option<&str> {
        self.detail.as_ref().map(KeyDetail::key_id)
    }

    pub fn is_editing(&self) -> bool {
        self.detail.as_ref().is_some_and(KeyDetail::is_editing)
    }

    /// Esc: leaves the form, else closes the panel (returns whether it was closed).
    pub fn escape(&mut self) -> bool {
        match &mut self.detail {
            Some(d) if d.is_editing() => {
                d.cancel_edit();
                false
            }
            _ => true,
        }
    }

    /// Shows the table's current row when it moved; with nothing shown yet (opened after
    /// unlock, or another node chosen), the current row or else the first. (A key deleted
    /// while shown says so in the panel.)
    fn follow(&mut self, table: &KeyTable) {
        let cursor = table.cursor_key().map(|k| k.key_id.to_owned());
        if cursor != self.followed {
            self.followed.clone_from(&cursor);
            if let Some(id) = cursor {
                self.show(id);
            }
        }
        if self.detail.is_none() {
            self.detail = table
                .cursor_key()
                .or_else(|| table.visible().next())
                .map(|k| KeyDetail::new(k.key_id.to_owned()));
        }
    }
}

/// Whether the window has room for the panel beside the list.
pub fn fits(ctx: &egui::Context) -> bool {
    ctx.content_rect().width() >= theme::DETAILS_MIN_WINDOW
}

/// Draws the panel (when open and there is room); call before the central panel.
pub fn details_panel_ui(
    ui: &mut egui::Ui,
    panel: &mut DetailsPanel,
    s: &Session,
    settings: &mut Settings,
    disabled: bool,
    commands: &mut Vec<Command>,
) {
    if !settings.details_open || !fits(ui.ctx()) {
        return;
    }
    panel.follow(&s.keys);
    let shown = egui::Panel::right("details_panel")
        .resizable(true)
        .default_size(settings.details_width)
        .size_range(theme::DETAILS_MIN..=theme::DETAILS_MAX)
        .show(ui, |ui| {
            if disabled {
                ui.disable();
            }
            ui.add_space(theme::SPACE);
            ui.horizontal(|ui| {
                let title = panel
                    .detail
                    .as_ref()
                    .map_or_else(|| "Details".to_owned(), |d| d.title(s));
                // The close button at the right edge, the title in what is left.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button("✖")
                        .accessible_name("Close details")
                        .on_hover_text("Close details (Esc)")
                        .clicked()
                    {
                        commands.push(Command::View(ViewCommand::CloseDetails));
                    }
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        ui.add(egui::Label::new(name_text(title).heading().strong()).truncate());
                    });
                });
            });
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("details_panel_body")
                .auto_shrink([false, false])
                .show(ui, |ui| match &mut panel.detail {
                    Some(detail) => detail.body_ui(ui, s, commands, true),
                    None => {
                        ui.label(
                            RichText::new("No key here: details show the current row's key.")
                                .color(theme::MUTED),
                        );
                    }
                });
        });
    settings.details_width = shown.response.rect.width();
}
