//! The banner of a shared vault whose server is out of reach: what is on screen stays, and it
//! says so, until the connection is back.

use egui::RichText;

use super::state::Session;
use super::theme;

pub fn live_banner_ui(ui: &mut egui::Ui, s: &Session) {
    let Some(why) = &s.live.offline else {
        return;
    };
    theme::alert_frame(ui.visuals()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        super::a11y::plain_label(
            ui,
            RichText::new("⚠ The team vault's server is out of reach; reconnecting…")
                .color(theme::DANGER)
                .strong(),
        );
        ui.label(
            RichText::new(format!(
                "What you see is as of the last update. Changes are refused until the \
                     connection is back; nothing is queued. ({why})"
            ))
            .small()
            .color(theme::MUTED),
        );
    });
}
