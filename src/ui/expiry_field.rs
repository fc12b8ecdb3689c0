//! The expiry control of Add New Key and of bulk "Set expiry": Never, a few spans, or a custom
//! local day (typed or picked), with the resulting time or the reason it cannot be used.

use egui::RichText;

use super::theme;
use super::time::{local_time, parse_expiry, utc_time};
use crate::vault::{Expiry, Result, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryChoice {
    Never,
    Days(u32),
    Custom,
}

/// The choice and the custom date typed so far.
pub struct ExpiryField {
    pub choice: ExpiryChoice,
    pub custom_date: String,
}

impl ExpiryField {
    /// Preset from the settings' default expiry (`0`: never); a span not offered as a button
    /// becomes its local day.
    pub fn preset(default_days: u32, now: Timestamp) -> ExpiryField {
        let mut custom_date = String::new();
        let choice = match default_days {
            0 => ExpiryChoice::Never,
            d @ (7 | 30 | 60 | 90) => ExpiryChoice::Days(d),
            d => {
                custom_date = super::time::date_in_days(now, d).to_string();
                ExpiryChoice::Custom
            }
        };
        ExpiryField {
            choice,
            custom_date,
        }
    }

    /// The expiry chosen (`None`: never), or why it cannot be used.
    pub fn resolve(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        match self.choice {
            ExpiryChoice::Never => Ok(None),
            ExpiryChoice::Days(d) => Expiry::parse(&format!("{d}d")).and_then(|e| e.resolve(now)),
            ExpiryChoice::Custom => parse_expiry(&self.custom_date).and_then(|e| e.resolve(now)),
        }
    }

    /// Draws the choices and what they come to; returns [`ExpiryField::resolve`].
    pub fn ui(&mut self, ui: &mut egui::Ui, now: Timestamp) -> Result<Option<Timestamp>> {
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut self.choice, ExpiryChoice::Never, "Never");
            for days in [7, 30, 60, 90] {
                ui.radio_value(
                    &mut self.choice,
                    ExpiryChoice::Days(days),
                    format!("{days} days"),
                );
            }
            ui.radio_value(&mut self.choice, ExpiryChoice::Custom, "Custom date");
        });
        if self.choice == ExpiryChoice::Custom {
            let label = ui.label("Expiry date (YYYY-MM-DD)");
            ui.horizontal(|ui| {
                // Room for the calendar button beside the field, within the dialog's width.
                let width = (ui.available_width() - 120.0).max(120.0);
                ui.add(
                    egui::TextEdit::singleline(&mut self.custom_date)
                        .hint_text("2027-01-31")
                        .desired_width(width),
                )
                .labelled_by(label.id);
                super::calendar::date_picker_ui(ui, &mut self.custom_date, now);
            });
        }
        let expires_at = self.resolve(now);
        if self.choice == ExpiryChoice::Never {
            ui.label(
                RichText::new(
                    "A key that never expires works until someone revokes it. \
                     Prefer an expiry and roll the key before it.",
                )
                .color(theme::WARNING),
            );
        }
        match &expires_at {
            Ok(Some(t)) => ui
                .label(RichText::new(format!("Expires {}", local_time(*t))).color(theme::MUTED))
                .on_hover_text(utc_time(*t)),
            Ok(None) => ui.label(RichText::new("Never expires").color(theme::MUTED)),
            Err(e) if !self.custom_date.is_empty() => {
                ui.label(RichText::new(e.to_string()).color(theme::DANGER))
            }
            Err(_) => ui.label(""),
        };
        expires_at
    }
}
