//! The focus ring: one visible outline around whatever has keyboard focus, drawn the same for
//! every widget (egui's own frameless buttons, labels and custom stops show none).

use super::theme;

/// Outlines the focused widget in its own layer (so a dialog above still covers it) and
/// returns the outline, or `None` when nothing is focused.
pub fn focus_ring_ui(ctx: &egui::Context) -> Option<egui::Rect> {
    let id = ctx.memory(|m| m.focused())?;
    let response = ctx.read_response(id)?;
    // Cut to what is on screen: a stop larger than its scroll area is outlined where it shows.
    let ring = response.interact_rect.expand(2.0);
    if !ring.is_positive() {
        return None;
    }
    ctx.layer_painter(response.layer_id).rect_stroke(
        ring,
        theme::RADIUS,
        egui::Stroke::new(2.0, theme::ACCENT),
        egui::StrokeKind::Outside,
    );
    Some(ring)
}
