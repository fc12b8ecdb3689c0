//! Small widgets the views share: labelled fields, scope checkboxes, row buttons and chips.

use egui::{Margin, RichText};

use super::theme;
use crate::vault::Scope;

/// A text field with a visible label that is also its accessible name.
pub fn labelled_field(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
}

pub fn password_field(ui: &mut egui::Ui, label: &str, text: &mut String) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .password(true)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
}

/// One checkbox per scope of the catalog; required ones (and all, with full access) are
/// checked and disabled.
pub fn scope_checkboxes_ui(ui: &mut egui::Ui, scopes: &mut [(Scope, bool)], full_access: bool) {
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

/// The ids of the checked scopes.
pub fn chosen_scopes(scopes: &[(Scope, bool)]) -> Vec<String> {
    scopes
        .iter()
        .filter(|(_, c)| *c)
        .map(|(s, _)| s.id.clone())
        .collect()
}

/// A small icon button whose accessible name says what it does to which item.
pub fn row_button(ui: &mut egui::Ui, icon: &str, label: String, enabled: bool) -> bool {
    let response = ui
        .add_enabled(enabled, egui::Button::new(icon).small())
        .on_hover_text(&label);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
    response.clicked()
}

/// A button whose accessible name says which item it acts on (the visible text is short).
pub fn labelled_button(ui: &mut egui::Ui, text: &str, label: String, enabled: bool) -> bool {
    let response = ui
        .add_enabled(enabled, egui::Button::new(text))
        .on_hover_text(&label);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
    response.clicked()
}

/// A rounded chip (scopes, tags).
pub fn chip(ui: &mut egui::Ui, text: &str) {
    egui::Frame::new()
        .fill(theme::chip_fill(ui.visuals()))
        .corner_radius(8)
        .inner_margin(Margin::symmetric(6, 1))
        .show(ui, |ui| ui.label(RichText::new(text).small()));
}
