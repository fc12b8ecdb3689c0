//! The strength hint under a new passphrase, and the rule that a weak one needs a second
//! confirmation (create a vault, change the passphrase).

use egui::RichText;

use super::theme;
use crate::vault::PassphraseStrength;

const WORDS: [(&str, egui::Color32); 5] = [
    ("Very weak", theme::DANGER),
    ("Weak", theme::DANGER),
    ("Fair", theme::WARNING),
    ("Good", theme::SUCCESS),
    ("Strong", theme::SUCCESS),
];

/// Measures `passphrase` (zxcvbn: milliseconds, so only when the text changed, never per
/// frame); `None` for an empty one.
pub fn measure(passphrase: &str) -> Option<PassphraseStrength> {
    (!passphrase.is_empty()).then(|| PassphraseStrength::of(passphrase))
}

/// Shows "Strength: …" and zxcvbn's hint; returns whether the passphrase is weak.
pub fn strength_ui(ui: &mut egui::Ui, strength: Option<&PassphraseStrength>) -> bool {
    let Some(strength) = strength else {
        return false;
    };
    let (word, color) = WORDS[usize::from(strength.score).min(4)];
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!("Strength: {word}"))
                .color(color)
                .strong(),
        );
        if let Some(hint) = &strength.warning {
            ui.label(RichText::new(hint).small().color(theme::MUTED));
        }
    });
    strength.score < PassphraseStrength::ACCEPTABLE
}

/// The line shown after a first click with a weak passphrase.
pub const WEAK_WARNING: &str = "This passphrase is weak: whoever gets the file can guess it. \
                                Choose a longer one, or use it anyway.";
