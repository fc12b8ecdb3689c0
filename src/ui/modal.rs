//! The one modal wrapper: every dialog has the same frame, title, width and close rules.

use egui::{Id, RichText};

use super::theme;

/// How a dialog may be dismissed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dismiss {
    /// Esc and a click outside close it.
    Easy,
    /// Esc closes it, a click outside does not: a form with something typed in it.
    EscOnly,
    /// Only its own buttons close it (the secret dialog).
    ButtonsOnly,
}

/// Shows a modal titled `title`. Returns the content's value and whether the user dismissed it
/// (Esc or click outside, for [`Dismiss::Easy`] dialogs).
pub fn modal_ui<R>(
    ctx: &egui::Context,
    title: &str,
    dismiss: Dismiss,
    width: f32,
    content: impl FnOnce(&mut egui::Ui) -> R,
) -> (R, bool) {
    // Read before the content runs: a focused text field consumes Esc.
    let escape = ctx.input(|i| i.key_pressed(egui::Key::Escape));
    let response = egui::Modal::new(Id::unique(("keyward-modal", title)))
        .frame(theme::modal_frame(&ctx.global_style().visuals))
        .show(ctx, |ui| {
            ui.set_width(width);
            ui.heading(RichText::new(title).strong());
            ui.add_space(theme::SPACE);
            content(ui)
        });
    let dismissed = match dismiss {
        Dismiss::Easy => response.should_close(),
        Dismiss::EscOnly => response.should_close() && escape,
        Dismiss::ButtonsOnly => false,
    };
    (response.inner, dismissed)
}

/// An error line under a dialog's fields, when there is one.
pub fn error_ui(ui: &mut egui::Ui, error: Option<&str>) {
    if let Some(e) = error {
        ui.add_space(theme::SPACE * 0.5);
        ui.label(RichText::new(e).color(theme::DANGER));
    }
}

/// A row of buttons aligned right, primary last (as platform dialogs do).
pub fn button_row(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui)) {
    ui.add_space(theme::SPACE);
    // Buttons are added left to right, the primary one last, so Tab reaches them in the order
    // they are seen; the row is pushed right by the width it had last frame (a frame whose
    // width changed is redrawn before it is shown).
    let id = ui.unique_id().with("button_row_width");
    let known: f32 = ui.ctx().data(|d| d.get_temp(id)).unwrap_or(0.0);
    // A fixed-height row: a bare layout would take all the height a modal offers.
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(
        size,
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.add_space((ui.available_width() - known).max(0.0));
            let start = ui.cursor().min.x;
            add(ui);
            let width = (ui.cursor().min.x - start - ui.spacing().item_spacing.x).max(0.0);
            if (width - known).abs() > 0.5 {
                ui.ctx().data_mut(|d| d.insert_temp(id, width));
                ui.ctx().request_discard("the button row changed width");
            }
        },
    );
}

/// A primary (accent-filled) button.
pub fn primary_button(text: &str) -> egui::Button<'static> {
    egui::Button::new(
        RichText::new(text.to_owned())
            .color(egui::Color32::WHITE)
            .strong(),
    )
    .fill(theme::ACCENT)
}

/// A destructive (red) button.
pub fn danger_button(text: &str) -> egui::Button<'static> {
    egui::Button::new(
        RichText::new(text.to_owned())
            .color(egui::Color32::WHITE)
            .strong(),
    )
    .fill(theme::DANGER)
}
