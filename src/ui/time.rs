//! Times as the window shows them: in the user's local time zone (jiff reads the system's),
//! with UTC, as stored and logged, in a tooltip.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::vault::{Timestamp, format_time};

fn zoned(t: Timestamp) -> Option<jiff::Zoned> {
    jiff::Timestamp::from_second(t)
        .ok()
        .map(|ts| ts.to_zoned(TimeZone::system()))
}

/// `2026-11-22 11:00 CET`.
pub fn local_time(t: Timestamp) -> String {
    zoned(t)
        .map(|z| z.strftime("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_else(|| format_time(t))
}

/// `2026-11-22`, the local calendar day.
pub fn local_date(t: Timestamp) -> String {
    zoned(t)
        .map(|z| z.date().to_string())
        .unwrap_or_else(|| format_time(t))
}

/// The stored time, for a tooltip: `2026-11-22T10:00:00Z (UTC)`.
pub fn utc_time(t: Timestamp) -> String {
    format!("{} (UTC)", format_time(t))
}

/// The UTC calendar day `days` after `now` (expiry dates end at 23:59:59 UTC of their day).
pub fn date_in_days(now: Timestamp, days: u32) -> Date {
    let then = now.saturating_add(i64::from(days) * 86_400);
    jiff::Timestamp::from_second(then)
        .map(|ts| ts.to_zoned(TimeZone::UTC).date())
        .unwrap_or(Date::constant(2100, 1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_days() {
        // 2026-11-22T10:00:00Z
        let t = 1_795_341_600;
        assert_eq!(utc_time(t), "2026-11-22T10:00:00Z (UTC)");
        assert_eq!(date_in_days(t, 90).to_string(), "2027-02-20");
        assert!(local_time(t).starts_with("2026-11-2"));
        assert_eq!(local_date(t).len(), 10);
    }
}
