//! The "Limits" section of Add New Key and Edit (collapsed by default): rate limits, credits
//! with a refill, and the networks a key may be used from, typed as `keyward key create`
//! takes them.

use egui::RichText;

use crate::ui::theme;
use crate::ui::widgets::labelled_field;
use keyward_verify::limits::{AllowedAddresses, Credits, KeyLimits, RateLimit, Refill};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitsField {
    /// `100/min, burst=20/s`
    pub rate: String,
    /// A whole number, or empty for no credits.
    pub credits: String,
    /// `10000/month`, or empty.
    pub refill: String,
    /// `10.0.0.0/8, 2001:db8::/32`
    pub networks: String,
}

fn items(text: &str) -> Vec<&str> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

impl LimitsField {
    /// The fields showing `limits`.
    pub fn of(limits: Option<&KeyLimits>) -> LimitsField {
        let Some(l) = limits else {
            return LimitsField::default();
        };
        let join = |v: Vec<String>| v.join(", ");
        LimitsField {
            rate: join(l.rate.iter().map(ToString::to_string).collect()),
            credits: l.credits.map(|c| c.initial.to_string()).unwrap_or_default(),
            refill: l
                .credits
                .and_then(|c| c.refill)
                .map(|r| r.to_string())
                .unwrap_or_default(),
            networks: join(
                l.allow_ips
                    .networks()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
        }
    }

    /// The limits typed, or what is wrong with them.
    pub fn limits(&self) -> Result<KeyLimits, String> {
        let text = |e: keyward_verify::Error| e.to_string();
        let rate = items(&self.rate)
            .into_iter()
            .map(|r| r.parse::<RateLimit>().map_err(text))
            .collect::<Result<Vec<_>, _>>()?;
        let refill = match self.refill.trim() {
            "" => None,
            r => Some(r.parse::<Refill>().map_err(text)?),
        };
        let credits = match self.credits.trim() {
            "" if refill.is_some() => {
                return Err("A refill needs credits to start with".into());
            }
            "" => None,
            c => Some(Credits {
                initial: c
                    .replace(['_', ','], "")
                    .parse()
                    .map_err(|_| format!("Credits: '{c}' is not a whole number"))?,
                refill,
            }),
        };
        let limits = KeyLimits {
            rate,
            credits,
            allow_ips: AllowedAddresses::parse(&items(&self.networks)).map_err(text)?,
        };
        limits.validate().map_err(text)?;
        Ok(limits)
    }

    /// The section, collapsed unless opened; its header says what is set. Returns the limits
    /// typed (or why they cannot be used).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Result<KeyLimits, String> {
        let now = self.limits();
        let summary = match &now {
            Ok(l) if l.is_empty() => "none".to_owned(),
            Ok(l) => l.summary(),
            Err(_) => "not valid yet".to_owned(),
        };
        egui::CollapsingHeader::new(RichText::new(format!("Limits: {summary}")).strong())
            .id_salt("limits")
            .default_open(false)
            .show(ui, |ui| {
                labelled_field(
                    ui,
                    "Rate limits",
                    &mut self.rate,
                    "e.g. 100/min, burst=20/s (every one applies)",
                );
                ui.horizontal(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width((ui.available_width() / 2.0 - 4.0).max(80.0));
                        labelled_field(ui, "Credits", &mut self.credits, "e.g. 10000");
                    });
                    ui.vertical(|ui| {
                        labelled_field(ui, "Refill", &mut self.refill, "e.g. 10000/month");
                    });
                });
                labelled_field(
                    ui,
                    "Allowed networks",
                    &mut self.networks,
                    "e.g. 10.0.0.0/8, 2001:db8::/32 (empty: any address)",
                );
                ui.label(
                    RichText::new(
                        "Checked by keyward serve and services using the verifier file: over a \
                         limit is rate_limited, out of credits usage_exceeded, another address \
                         forbidden.",
                    )
                    .color(theme::MUTED)
                    .small(),
                );
            });
        let after = self.limits();
        if let Err(e) = &after {
            ui.label(RichText::new(e).color(theme::DANGER));
        }
        after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_limits_read_back_as_shown() {
        let field = LimitsField {
            rate: "100/min, burst=20/s".into(),
            credits: "10_000".into(),
            refill: "10000/month".into(),
            networks: "10.0.0.0/8 2001:db8::/32".into(),
        };
        let limits = field.limits().expect("valid");
        assert_eq!(
            limits.summary(),
            "100/min, burst=20/s; 10000 credits (refilled to 10000/month); from 10.0.0.0/8, 2001:db8::/32"
        );
        let shown = LimitsField::of(Some(&limits));
        assert_eq!(shown.limits().expect("valid"), limits);
        assert_eq!(
            LimitsField::default().limits().expect("none"),
            KeyLimits::default()
        );
        for bad in [
            LimitsField {
                rate: "100".into(),
                ..Default::default()
            },
            LimitsField {
                credits: "ten".into(),
                ..Default::default()
            },
            LimitsField {
                refill: "5/day".into(),
                ..Default::default()
            },
            LimitsField {
                networks: "10.0.0.0/33".into(),
                ..Default::default()
            },
        ] {
            assert!(bad.limits().is_err(), "{bad:?}");
        }
    }
}
