//! Credits: a number of units a key may spend in all (each check spends its cost), refilled to
//! an amount at the start of each UTC day or month when the key says so.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefillPeriod {
    Day,
    Month,
}

/// Back to `amount` at the start of every `period` (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Refill {
    pub amount: u64,
    pub period: RefillPeriod,
}

/// A key's credit policy: what it starts with and how it is refilled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Credits {
    pub initial: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill: Option<Refill>,
}

/// The most credits a key can hold, so that sums of costs cannot overflow.
pub const MAX_CREDITS: u64 = 1 << 53;

impl FromStr for Refill {
    type Err = Error;

    /// `10000/month`, `500/day`.
    fn from_str(text: &str) -> Result<Refill, Error> {
        let bad = || {
            Error::Invalid(format!(
                "refill {text:?}: write it as AMOUNT/day or AMOUNT/month, e.g. 10000/month"
            ))
        };
        let (amount, period) = text.trim().split_once('/').ok_or_else(bad)?;
        let amount: u64 = amount.trim().parse().map_err(|_| bad())?;
        let period = match period.trim().to_ascii_lowercase().as_str() {
            "day" | "d" | "daily" => RefillPeriod::Day,
            "month" | "mo" | "monthly" => RefillPeriod::Month,
            _ => return Err(bad()),
        };
        if amount == 0 || amount > MAX_CREDITS {
            return Err(Error::Invalid(format!(
                "a refill is 1 to {MAX_CREDITS} credits"
            )));
        }
        Ok(Refill { amount, period })
    }
}

impl fmt::Display for Refill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let period = match self.period {
            RefillPeriod::Day => "day",
            RefillPeriod::Month => "month",
        };
        write!(f, "{}/{period}", self.amount)
    }
}

impl Credits {
    pub fn validate(&self) -> Result<(), Error> {
        if self.initial > MAX_CREDITS || self.refill.is_some_and(|r| r.amount > MAX_CREDITS) {
            return Err(Error::Invalid(format!(
                "a key holds at most {MAX_CREDITS} credits"
            )));
        }
        Ok(())
    }
}

impl RefillPeriod {
    /// The start of the period `t` falls in: 00:00 UTC of its day, or of the 1st of its month.
    pub fn start_of(self, t: Timestamp) -> Timestamp {
        let day = t.div_euclid(86_400);
        match self {
            RefillPeriod::Day => day * 86_400,
            RefillPeriod::Month => {
                let (y, m, _) = civil_from_days(day);
                days_from_civil(y, m, 1) * 86_400
            }
        }
    }
}

/// What is left of a key's credits, and the period it was last refilled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditState {
    pub remaining: u64,
    /// The start of the refill period this state belongs to (0 without a refill).
    pub period_start: Timestamp,
}

impl CreditState {
    /// A key's credits before its first use at `now`.
    pub fn fresh(credits: &Credits, now: Timestamp) -> CreditState {
        CreditState {
            remaining: credits.initial,
            period_start: credits.refill.map_or(0, |r| r.period.start_of(now)),
        }
    }

    /// Refills when a period boundary has passed since the state was written.
    pub fn refreshed(self, credits: &Credits, now: Timestamp) -> CreditState {
        match credits.refill {
            Some(refill) => {
                let start = refill.period.start_of(now);
                if start > self.period_start {
                    CreditState {
                        remaining: refill.amount,
                        period_start: start,
                    }
                } else {
                    self
                }
            }
            None => self,
        }
    }

    /// Spends `cost` if there is that much left (after any refill due at `now`); returns
    /// whether it was spent, and the state to keep either way.
    pub fn spend(self, credits: &Credits, cost: u64, now: Timestamp) -> (bool, CreditState) {
        let mut state = self.refreshed(credits, now);
        if state.remaining >= cost {
            state.remaining -= cost;
            (true, state)
        } else {
            (false, state)
        }
    }

    /// When the next refill comes, if any.
    pub fn next_refill(&self, credits: &Credits) -> Option<Timestamp> {
        let refill = credits.refill?;
        Some(match refill.period {
            RefillPeriod::Day => self.period_start + 86_400,
            RefillPeriod::Month => {
                let (y, m, _) = civil_from_days(self.period_start.div_euclid(86_400));
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1) * 86_400
            }
        })
    }
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-31T23:59:59Z and the second after.
    const JAN_31_LAST: Timestamp = 1_769_903_999;

    fn monthly(amount: u64) -> Credits {
        Credits {
            initial: 3,
            refill: Some(Refill {
                amount,
                period: RefillPeriod::Month,
            }),
        }
    }

    #[test]
    fn the_period_starts_are_utc_midnight_and_the_first_of_the_month() {
        assert_eq!(RefillPeriod::Day.start_of(JAN_31_LAST), 1_769_817_600);
        assert_eq!(RefillPeriod::Month.start_of(JAN_31_LAST), 1_767_225_600); // 2026-01-01
        assert_eq!(
            RefillPeriod::Month.start_of(JAN_31_LAST + 1),
            JAN_31_LAST + 1
        );
        // A leap year's February, and a December rolling into January.
        let feb_29_2028 = days_from_civil(2028, 2, 29) * 86_400 + 5;
        assert_eq!(
            RefillPeriod::Month.start_of(feb_29_2028),
            days_from_civil(2028, 2, 1) * 86_400
        );
        for days in [-1, 0, 59, 365, 10_000, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn credits_run_out_and_refill_at_the_boundary_not_before() {
        let credits = monthly(5);
        let state = CreditState::fresh(&credits, JAN_31_LAST - 100);
        let (ok, state) = state.spend(&credits, 2, JAN_31_LAST - 50);
        assert!(ok);
        assert_eq!(state.remaining, 1);
        let (ok, state) = state.spend(&credits, 2, JAN_31_LAST);
        assert!(!ok, "only 1 left");
        assert_eq!(state.remaining, 1);
        assert_eq!(state.next_refill(&credits), Some(JAN_31_LAST + 1));
        // The first second of February refills to the amount (not on top of what is left).
        let (ok, state) = state.spend(&credits, 2, JAN_31_LAST + 1);
        assert!(ok);
        assert_eq!(state.remaining, 3);
        // ...and only once in the month.
        let (_, state) = state.spend(&credits, 3, JAN_31_LAST + 2);
        let (ok, _) = state.spend(&credits, 1, JAN_31_LAST + 20 * 86_400);
        assert!(!ok);
    }

    #[test]
    fn without_a_refill_credits_only_go_down() {
        let credits = Credits {
            initial: 2,
            refill: None,
        };
        let state = CreditState::fresh(&credits, 0);
        let (_, state) = state.spend(&credits, 2, 10);
        let (ok, state) = state.spend(&credits, 1, 10 * 365 * 86_400);
        assert!(!ok);
        assert_eq!(state.next_refill(&credits), None);
    }

    #[test]
    fn refills_are_read_and_written_back() {
        assert_eq!(
            "10000/month".parse::<Refill>().unwrap(),
            Refill {
                amount: 10_000,
                period: RefillPeriod::Month
            }
        );
        assert_eq!("500/day".parse::<Refill>().unwrap().to_string(), "500/day");
        for bad in ["", "10000", "x/month", "0/day", "10/week", "-5/day"] {
            assert!(bad.parse::<Refill>().is_err(), "{bad}");
        }
    }
}
