//! The list of keyboard shortcuts (F1 or ?), drawn from the one table the key handling reads.

use egui::RichText;

use crate::ui::modal::{Dismiss, button_row, modal_ui};
use crate::ui::shortcuts::{Area, SHORTCUTS};
use crate::ui::state::{Command, Dialog, Session};
use crate::ui::theme;

pub const TITLE: &str = "Keyboard shortcuts";

pub struct ShortcutList;

impl Dialog for ShortcutList {
    fn ui(&mut self, ctx: &egui::Context, _s: &Session, commands: &mut Vec<Command>) -> bool {
        modal_ui(ctx, TITLE, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            for (area, heading) in [
                (Area::Window, "Anywhere"),
                (Area::KeyList, "In the key list (Tab to the table)"),
            ] {
                ui.label(RichText::new(heading).strong());
                egui::Grid::new(("shortcuts", heading))
                    .num_columns(2)
                    .spacing([theme::SPACE_LARGE, 4.0])
                    .show(ui, |ui| {
                        for s in SHORTCUTS.iter().filter(|s| s.area == area) {
                            ui.label(RichText::new(s.keys_text()).monospace().strong());
                            ui.label(s.what);
                            ui.end_row();
                        }
                    });
                ui.add_space(theme::SPACE);
            }
            ui.label(
                RichText::new(
                    "Tab and Shift+Tab move between controls; Left and Right move between tabs \
                     and filter chips; Space or Enter presses the focused button.",
                )
                .color(theme::MUTED),
            );
            button_row(ui, |ui| {
                if ui.button("Close").clicked() {
                    commands.push(Command::close_dialog());
                }
            });
        })
        .1
    }
}
