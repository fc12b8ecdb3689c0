//! The one modal wrapper: every dialog has the same frame, title, width and close rules.

use egui::{Id, RichText};

use super::fonts::name_text;
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

/// The height a dialog's frame, title and the gap to the window's edges take.
const MODAL_CHROME: f32 = 130.0;
/// How much shorter than the room a scrolling dialog's body must get before it stops scrolling.
const SCROLL_HYSTERESIS: f32 = 40.0;

/// Shows a modal titled `title` (drawn in the names family). Returns the content's value and whether the user dismissed it
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
    let id = Id::unique(("keyward-modal", title));
    let height_id = id.with("body_height");
    let frame = theme::modal_frame(&ctx.global_style().visuals);
    let margin_top = frame.total_margin().top;
    let place = Placement::of(ctx, id);
    let mut modal = egui::Modal::new(id).frame(frame);
    if let Some(top) = place.top {
        let offset = egui::vec2(0.0, top - ctx.content_rect().top());
        modal = modal.area(egui::Modal::default_area(id).anchor(egui::Align2::CENTER_TOP, offset));
    }
    let response = modal.show(ctx, |ui| {
        place.keep(ui, ui.max_rect().top() - margin_top);
        ui.set_width(width);
        // Titles are words and the names they act on ("Edit 🚀 deploy"), never pictograms.
        ui.heading(name_text(title).strong());
        ui.add_space(theme::SPACE);
        // A dialog taller than the window (settings, a key's details at 760x480) scrolls
        // under its title instead of running off the top and bottom; one that fits is laid
        // out as it is (its height known from the last frame).
        let room = (ctx.content_rect().height() - MODAL_CHROME).max(MODAL_CHROME);
        // (the body's height last frame, whether it scrolled): a body about the room's height
        // measures a little differently scrolling and not, so it stops scrolling only once
        // clearly shorter, or it would flip every frame.
        let (last, scrolled): (f32, bool) =
            ctx.data(|d| d.get_temp(height_id)).unwrap_or((0.0, false));
        let scrolls = if scrolled {
            last > room - SCROLL_HYSTERESIS
        } else {
            last > room
        };
        let (inner, height) = if scrolls {
            let out = egui::ScrollArea::vertical()
                .id_salt("modal_body")
                .max_height(room)
                .auto_shrink([false, true])
                .show(ui, content);
            (out.inner, out.content_size.y)
        } else {
            let out = ui.scope(content);
            (out.inner, out.response.rect.height())
        };
        let next = if scrolls {
            height > room - SCROLL_HYSTERESIS
        } else {
            height > room
        };
        if (height - last).abs() > 0.5 || next != scrolled {
            ctx.data_mut(|d| d.insert_temp(height_id, (height, next)));
            if next != scrolls {
                ctx.request_discard("a dialog began or stopped scrolling");
            }
        }
        inner
    });
    let dismissed = match dismiss {
        Dismiss::Easy => response.should_close(),
        Dismiss::EscOnly => response.should_close() && escape,
        Dismiss::ButtonsOnly => false,
    };
    (response.inner, dismissed)
}

/// A dialog whose buttons must stay in view (the secret dialog at 760x480): its body scrolls
/// in the room the window leaves above the footer, and the footer drawn after it stays at the
/// dialog's bottom. Returns the footer's slot; draw the footer through [`Footer::ui`].
pub fn scrolling_body_ui(ui: &mut egui::Ui, body: impl FnOnce(&mut egui::Ui)) -> Footer {
    let id = ui.make_persistent_id("pinned_footer_height");
    let footer: f32 = ui.ctx().data(|d| d.get_temp(id)).unwrap_or(0.0);
    let room = (ui.ctx().content_rect().height() - MODAL_CHROME - footer).max(MODAL_CHROME * 0.5);
    egui::ScrollArea::vertical()
        .id_salt("modal_pinned_body")
        .max_height(room)
        .auto_shrink([false, true])
        .show(ui, body);
    Footer { id }
}

/// The footer under a [`scrolling_body_ui`]; its height is kept for the next frame's room.
#[must_use = "draw the footer with Footer::ui"]
pub struct Footer {
    id: Id,
}

impl Footer {
    pub fn ui(self, ui: &mut egui::Ui, footer: impl FnOnce(&mut egui::Ui)) {
        let height = ui.scope(footer).response.rect.height();
        let known: f32 = ui.ctx().data(|d| d.get_temp(self.id)).unwrap_or(0.0);
        if (height - known).abs() > 0.5 {
            ui.ctx().data_mut(|d| d.insert_temp(self.id, height));
            ui.ctx().request_discard("a dialog's footer changed height");
        }
    }
}

/// Where a shown dialog stays: it opens centred, then keeps its top while its content grows or
/// shrinks (a field appearing must not move the one under the cursor).
#[derive(Clone, Copy)]
struct Placement {
    id: Id,
    /// The frame's top, kept from the dialog's second frame (the first one only sizes it).
    top: Option<f32>,
    /// The frame it was last shown in: a dialog closed and opened again is centred again.
    seen: u64,
}

impl Placement {
    fn of(ctx: &egui::Context, dialog: Id) -> Placement {
        let id = dialog.with("placement");
        let now = ctx.cumulative_frame_nr();
        let kept: Option<(Option<f32>, u64)> = ctx.data(|d| d.get_temp(id));
        match kept {
            Some((top, seen)) if seen + 1 >= now => Placement { id, top, seen },
            _ => Placement {
                id,
                top: None,
                seen: now,
            },
        }
    }

    fn keep(self, ui: &egui::Ui, top: f32) {
        let ctx = ui.ctx();
        let now = ctx.cumulative_frame_nr();
        // Shown in an earlier frame: its centred place is settled; keep it from now on.
        let top = self.top.or((self.seen < now).then_some(top));
        ctx.data_mut(|d| d.insert_temp(self.id, (top, now)));
    }
}

/// An error line under a dialog's fields, when there is one.
pub fn error_ui(ui: &mut egui::Ui, error: Option<&str>) {
    if let Some(e) = error {
        ui.add_space(theme::SPACE * 0.5);
        ui.label(RichText::new(e).color(theme::DANGER));
    }
}

/// What a dialog's closing row was asked this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Stay,
    Cancel,
    /// The primary button was clicked.
    Go,
}

/// A dialog's closing row: Cancel, then `go` as the primary button, enabled only when there is
/// no `problem` (its hover text then says what is wrong).
pub fn closing_row(ui: &mut egui::Ui, go: &str, problem: Option<&str>) -> Closing {
    let mut closing = Closing::Stay;
    button_row(ui, |ui| {
        if ui.button("Cancel").clicked() {
            closing = Closing::Cancel;
        }
        let clicked = ui
            .add_enabled(problem.is_none(), primary_button(go))
            .on_disabled_hover_text(problem.unwrap_or_default())
            .clicked();
        if clicked {
            closing = Closing::Go;
        }
    });
    closing
}

/// A row of buttons aligned right, primary last (as platform dialogs do).
pub fn button_row(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui)) {
    ui.add_space(theme::SPACE);
    // Buttons are added left to right, the primary one last, so Tab reaches them in the order
    // they are seen; the row is pushed right by the width it had last frame (a frame whose
    // width changed is redrawn before it is shown).
    // One id a row: a dialog with several rows (Settings) must not share one remembered width,
    // or the rows take turns and every frame is drawn twice.
    let id = ui.next_auto_id().with("button_row_width");
    let known: f32 = ui.ctx().data(|d| d.get_temp(id)).unwrap_or(0.0);
    // A fixed-height row: a bare layout would take all the height a modal offers.
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(
        size,
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            // Not pushed at all while the width is unknown: a row wider than its place would
            // widen a side panel for good (the frame is redrawn anyway).
            if known > 0.0 {
                ui.add_space((ui.available_width() - known).max(0.0));
            }
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
