//! Why a changed verifier file was not loaded: counted by `metrics`, shown by `/healthz`.

use crate::vault::Timestamp;

/// Why a changed file was not loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalReason {
    /// Missing, unreadable, badly signed, expired or not a verifier file.
    Unloadable,
    /// Another vault's or node's file.
    Foreign,
    /// A serial below the highest served.
    Older,
    Gone,
}

impl RefusalReason {
    pub const ALL: [RefusalReason; 4] = [
        RefusalReason::Unloadable,
        RefusalReason::Foreign,
        RefusalReason::Older,
        RefusalReason::Gone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::Unloadable => "unloadable",
            RefusalReason::Foreign => "foreign",
            RefusalReason::Older => "older",
            RefusalReason::Gone => "gone",
        }
    }
}

/// A refused reload, as `/healthz` shows it.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub message: String,
    pub at: Timestamp,
}
