//! Small widgets the views share: labelled fields, scope checkboxes, row buttons and chips.

use egui::{Margin, RichText};

use super::fonts::{name_font, name_text};
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
            .font(name_font(ui.style()))
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
        .on_hover_text(name_text(&label));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
    response.clicked()
}

/// A button whose accessible name says which item it acts on (the visible text is short).
pub fn labelled_button(ui: &mut egui::Ui, text: &str, label: String, enabled: bool) -> bool {
    let response = ui
        .add_enabled(enabled, egui::Button::new(text))
        .on_hover_text(name_text(&label));
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

/// Lays out `add_contents` against the right edge, left to right: Tab then runs in reading
/// order (a right-to-left layout registers its rightmost widget first). The width is last
/// frame's, so the first frame may sit a little off.
pub fn right_aligned_ui(ui: &mut egui::Ui, add_contents: impl FnOnce(&mut egui::Ui)) {
    let id = ui.scope_id().with("right_aligned_width");
    let width: f32 = ui.data(|d| d.get_temp(id)).unwrap_or(0.0);
    ui.add_space((ui.available_width() - width).max(0.0));
    let used = ui.horizontal(add_contents).response.rect.width();
    if (used - width).abs() > 0.5 {
        ui.data_mut(|d| d.insert_temp(id, used));
        ui.ctx().request_discard("right-aligned width changed");
    }
}

/// A check box a click ticks but Tab passes by (a table is one stop, its rows moved by the
/// arrow keys); `label` is its accessible name.
pub fn tick_box(ui: &mut egui::Ui, ticked: &mut bool, label: &str) -> egui::Response {
    let size = egui::vec2(ui.spacing().interact_size.y, ui.spacing().interact_size.y);
    let (rect, mut response) = ui.allocate_exact_size(size, egui::Sense::CLICK);
    if response.clicked() {
        *ticked = !*ticked;
        response.mark_changed();
    }
    let on = *ticked;
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, label));
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&response, on);
        let side = ui.spacing().icon_width;
        let icon = egui::Rect::from_center_size(rect.center(), egui::vec2(side, side));
        ui.painter().rect(
            icon.expand(visuals.expansion),
            visuals.corner_radius,
            visuals.weak_bg_fill,
            visuals.bg_stroke,
            egui::StrokeKind::Inside,
        );
        if on {
            let r = icon.shrink(3.0);
            ui.painter().line(
                vec![
                    egui::pos2(r.left(), r.center().y),
                    egui::pos2(r.center().x, r.bottom()),
                    egui::pos2(r.right(), r.top()),
                ],
                visuals.fg_stroke,
            );
        }
    }
    response
}

/// A small icon button in a table row: clicked, never a Tab stop (see [`tick_box`]).
pub fn table_button(ui: &mut egui::Ui, icon: &str, label: String) -> bool {
    let response = ui
        .add(egui::Button::new(icon).small().sense(egui::Sense::CLICK))
        .on_hover_text(name_text(&label));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    response.clicked()
}

/// A row of choices (the tabs, the filter chips) that is one Tab stop, as a tab list is: only
/// the chosen item takes focus, and Left/Right on it choose its neighbour.
pub struct ChoiceRow {
    id: egui::Id,
    step: i32,
    refocus: bool,
}

impl ChoiceRow {
    pub fn new(ui: &mut egui::Ui, salt: &str) -> ChoiceRow {
        let id = ui.scope_id().with(salt);
        // An arrow chose a new item last frame: it takes the focus its neighbour had.
        let refocus = ui.data_mut(|d| d.remove_temp::<bool>(id)).unwrap_or(false);
        ChoiceRow {
            id,
            step: 0,
            refocus,
        }
    }

    /// One item; whether it was clicked.
    pub fn item(
        &mut self,
        ui: &mut egui::Ui,
        selected: bool,
        text: impl Into<egui::WidgetText>,
    ) -> bool {
        let sense = if selected {
            egui::Sense::click()
        } else {
            egui::Sense::CLICK
        };
        let response = ui.add(egui::Button::selectable(selected, text).sense(sense));
        if selected {
            if self.refocus {
                response.request_focus();
            }
            if response.has_focus() {
                let arrows = egui::EventFilter {
                    horizontal_arrows: true,
                    ..Default::default()
                };
                ui.memory_mut(|m| m.set_focus_lock_filter(response.id, arrows));
                if ui.input(|i| i.key_pressed(egui::Key::ArrowLeft)) {
                    self.step = -1;
                } else if ui.input(|i| i.key_pressed(egui::Key::ArrowRight)) {
                    self.step = 1;
                }
            }
        }
        response.clicked()
    }

    /// The arrow pressed on the chosen item (-1 left, +1 right, 0 none); the item chosen by
    /// it takes the focus next frame.
    pub fn step(&self, ui: &egui::Ui) -> i32 {
        if self.step != 0 {
            ui.data_mut(|d| d.insert_temp(self.id, true));
        }
        self.step
    }

    /// The item the arrow keys moved to from `current`, among `shown` in their order (None
    /// when no arrow was pressed or it ran past either end).
    pub fn stepped<'a, T: PartialEq>(
        &self,
        ui: &egui::Ui,
        shown: &'a [T],
        current: &T,
    ) -> Option<&'a T> {
        let step = self.step(ui);
        let at = shown.iter().position(|c| c == current).unwrap_or(0);
        (step != 0)
            .then(|| at.checked_add_signed(step as isize))
            .flatten()
            .and_then(|i| shown.get(i))
    }
}
