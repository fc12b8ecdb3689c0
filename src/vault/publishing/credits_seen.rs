//! What is left of a key's credits as `keyward serve` last counted them, written into the usage
//! file beside each verifier file (`"credits"` of a key's record), so that the vault shows it:
//!
//! ```json
//! "credits": {"remaining": 9120, "at": 1764089990, "refill_at": 1764547200, "refill_to": 10000}
//! ```
//!
//! `at` is when it was counted; after `refill_at` the key has `refill_to` again whatever was
//! left. Files written before it have none, and readers before it ignore it. Like the rest of a
//! usage file it is outside input: a `credits` that is not in this shape is dropped, not fatal.

use serde::{Deserialize, Deserializer, Serialize};

use crate::vault::model::Timestamp;

/// A key's credits as a service last reported them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditsSeen {
    pub remaining: u64,
    /// When the service counted them.
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill_to: Option<u64>,
}

impl CreditsSeen {
    /// What is left at `now`: what was counted, or the refill once its time has come.
    pub fn left_at(&self, now: Timestamp) -> u64 {
        match (self.refill_at, self.refill_to) {
            (Some(at), Some(to)) if at <= now => to,
            _ => self.remaining,
        }
    }

    /// The newer of two reports (by when they were counted); `b` when both are of the same
    /// second, so a caller passes the one it knows to be later as `b`.
    pub fn newer(a: Option<CreditsSeen>, b: Option<CreditsSeen>) -> Option<CreditsSeen> {
        match (a, b) {
            (Some(x), Some(y)) => Some(if y.at >= x.at { y } else { x }),
            (x, y) => x.or(y),
        }
    }
}

/// Reads a record's `credits` leniently: anything but a well-formed report is `None`.
pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CreditsSeen>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refill_counts_once_its_time_has_come_and_the_newer_report_wins() {
        let seen = CreditsSeen {
            remaining: 3,
            at: 100,
            refill_at: Some(200),
            refill_to: Some(50),
        };
        assert_eq!(seen.left_at(199), 3);
        assert_eq!(seen.left_at(200), 50);
        let plain = CreditsSeen {
            refill_at: None,
            refill_to: None,
            ..seen
        };
        assert_eq!(plain.left_at(10_000), 3);
        let later = CreditsSeen { at: 150, ..plain };
        assert_eq!(CreditsSeen::newer(Some(seen), Some(later)), Some(later));
        assert_eq!(CreditsSeen::newer(Some(later), Some(seen)), Some(later));
        assert_eq!(CreditsSeen::newer(None, Some(seen)), Some(seen));
        let same_second = CreditsSeen {
            remaining: 2,
            ..seen
        };
        assert_eq!(
            CreditsSeen::newer(Some(seen), Some(same_second)),
            Some(same_second),
            "the later report of one second wins"
        );
    }
}
