//! A finding's kind in words and colour, as the Health view's cards, its filter chips and the
//! Acknowledge dialog name it.

use super::theme;
use crate::vault::FindingKind;

/// A finding's kind in a few words.
pub fn title(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Exposed => "Exposed",
        FindingKind::ExpiredNotRevoked => "Expired, not revoked",
        FindingKind::ExpiresIn7Days => "Expires within 7 days",
        FindingKind::ExpiresIn30Days => "Expires within 30 days",
        FindingKind::NeverExpires => "Never expires",
        FindingKind::Unused => "Unused",
        FindingKind::OldFullAccess => "Old full-access key",
        FindingKind::OldSecretInGrace => "Old secret still valid",
        FindingKind::PublishFailing => "Verifier file not updated",
        FindingKind::NearLimit => "At its rate limit",
        FindingKind::OutOfCredits => "Out of credits",
    }
}

/// The colour a finding of `kind` is titled in (muted once acknowledged, by the caller).
pub fn kind_color(kind: FindingKind) -> egui::Color32 {
    match kind {
        FindingKind::Exposed | FindingKind::ExpiredNotRevoked | FindingKind::PublishFailing => {
            theme::DANGER
        }
        FindingKind::ExpiresIn7Days
        | FindingKind::OldSecretInGrace
        | FindingKind::NearLimit
        | FindingKind::OutOfCredits => theme::WARNING,
        _ => theme::MUTED,
    }
}
