//! Design tokens: every colour, size and spacing the window uses, read through one place.

use egui::{Color32, CornerRadius, Margin, Stroke, Visuals};

use crate::vault::KeyStatus;

/// The user's theme choice (Settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];

    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "System",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }

    fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

pub const SPACE: f32 = 8.0;
pub const SPACE_LARGE: f32 = 16.0;
pub const ROW_HEIGHT: f32 = 26.0;
pub const SIDEBAR_WIDTH: f32 = 210.0;
/// The sidebar can be dragged between these widths (a long name never pushes the view away).
pub const SIDEBAR_MIN: f32 = 160.0;
pub const SIDEBAR_MAX: f32 = 380.0;
pub const MODAL_WIDTH: f32 = 440.0;
/// A key's details beside the list: dragged within these widths, and only in a window at
/// least [`DETAILS_MIN_WINDOW`] wide (narrower, the list would be cramped: details are a
/// dialog there).
pub const DETAILS_WIDTH: f32 = 380.0;
pub const DETAILS_MIN: f32 = 300.0;
pub const DETAILS_MAX: f32 = 640.0;
pub const DETAILS_MIN_WINDOW: f32 = 1000.0;
/// Wide enough for a secret with a 16-character prefix on one line.
pub const SECRET_MODAL_WIDTH: f32 = 600.0;
pub const CARD_WIDTH: f32 = 380.0;
pub const RADIUS: u8 = 6;

pub const ACCENT: Color32 = Color32::from_rgb(0x3b, 0x6e, 0xf5);
pub const DANGER: Color32 = Color32::from_rgb(0xd0, 0x3b, 0x3b);
pub const WARNING: Color32 = Color32::from_rgb(0xd9, 0x8a, 0x0b);
pub const SUCCESS: Color32 = Color32::from_rgb(0x1f, 0x9d, 0x55);
pub const MUTED: Color32 = Color32::from_rgb(0x8a, 0x8f, 0x98);
pub const TAMPERED: Color32 = Color32::from_rgb(0xb0, 0x3c, 0xc8);

pub fn status_color(status: KeyStatus) -> Color32 {
    match status {
        KeyStatus::Active => SUCCESS,
        KeyStatus::ExpiringSoon => WARNING,
        KeyStatus::Expired => MUTED,
        KeyStatus::Revoked | KeyStatus::Exposed => DANGER,
        KeyStatus::Tampered => TAMPERED,
    }
}

/// The colours of refused checks in the usage chart, one per refusal reason in turn.
const REFUSAL_COLORS: [Color32; 5] = [
    DANGER,
    WARNING,
    TAMPERED,
    Color32::from_rgb(0x2a, 0x9d, 0xc8),
    MUTED,
];

/// The colour of the `i`th refusal reason in the usage chart.
pub fn refusal_color(i: usize) -> Color32 {
    REFUSAL_COLORS[i % REFUSAL_COLORS.len()]
}

/// Background of a scope chip, readable in both themes.
pub fn chip_fill(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(0x2a, 0x35, 0x4d)
    } else {
        Color32::from_rgb(0xe3, 0xea, 0xfb)
    }
}

/// The frame of a warning: the banners above the views and the box in the secret dialog.
pub fn alert_frame(visuals: &Visuals) -> egui::Frame {
    egui::Frame::new()
        .fill(alert_fill(visuals))
        .corner_radius(RADIUS)
        .inner_margin(6)
}

/// A warning's amber background.
fn alert_fill(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(0x4a, 0x3a, 0x12)
    } else {
        Color32::from_rgb(0xfd, 0xf3, 0xd8)
    }
}

pub fn card_frame(visuals: &Visuals) -> egui::Frame {
    egui::Frame::new()
        .fill(visuals.panel_fill)
        .stroke(visuals.widgets.noninteractive.bg_stroke)
        .corner_radius(CornerRadius::same(RADIUS))
        .inner_margin(Margin::same(20))
}

pub fn modal_frame(visuals: &Visuals) -> egui::Frame {
    egui::Frame::new()
        .fill(visuals.window_fill)
        .stroke(Stroke::new(
            1.0,
            visuals.widgets.noninteractive.bg_stroke.color,
        ))
        .corner_radius(CornerRadius::same(RADIUS + 2))
        .inner_margin(Margin::same(20))
        .shadow(visuals.window_shadow)
}

/// Applies the theme choice and the shared style once at start (and when Settings change it).
pub fn apply(ctx: &egui::Context, choice: ThemeChoice) {
    ctx.set_theme(choice.preference());
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(SPACE, SPACE * 0.75);
        style.spacing.button_padding = egui::vec2(10.0, 4.0);
        style.spacing.interact_size.y = 24.0;
        style.visuals.hyperlink_color = ACCENT;
    });
}
