//! Times as the window shows them: in the user's local time zone (jiff reads the system's),
//! with UTC, as stored and logged, in a tooltip.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::vault::{Error, Expiry, Result, Timestamp, format_time};

/// The zone the user reads and picks days in: the system's.
fn zone() -> TimeZone {
    TimeZone::system()
}

fn zoned(t: Timestamp) -> Option<jiff::Zoned> {
    jiff::Timestamp::from_second(t)
        .ok()
        .map(|ts| ts.to_zoned(zone()))
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

/// How long ago `t` was, as a list shows it: "Just now", "12 min ago", "2 h ago", else the
/// local date.
pub fn ago(now: Timestamp, t: Timestamp) -> String {
    match now - t {
        i64::MIN..60 => "Just now".into(),
        ago @ 60..3600 => format!("{} min ago", ago / 60),
        ago @ 3600..86_400 => format!("{} h ago", ago / 3600),
        _ => local_date(t),
    }
}

/// The stored time, for a tooltip: `2026-11-22T10:00:00Z (UTC)`.
pub fn utc_time(t: Timestamp) -> String {
    format!("{} (UTC)", format_time(t))
}

/// The local calendar day `days` after `now`.
pub fn date_in_days(now: Timestamp, days: u32) -> Date {
    date_in_days_in(now, days, &zone())
}

fn date_in_days_in(now: Timestamp, days: u32, tz: &TimeZone) -> Date {
    let then = now.saturating_add(i64::from(days) * 86_400);
    jiff::Timestamp::from_second(then)
        .map(|ts| ts.to_zoned(tz.clone()).date())
        .unwrap_or(Date::constant(2100, 1, 1))
}

/// The last second of `date` in `tz`: the second before the next day starts there (a day
/// may be 23 or 25 hours long).
fn end_of_day_in(date: Date, tz: &TimeZone) -> Option<Timestamp> {
    let next = date.tomorrow().ok()?.to_zoned(tz.clone()).ok()?;
    Some(next.timestamp().as_second() - 1)
}

/// An expiry as the window takes it: a `YYYY-MM-DD` date is valid through the end of that
/// day where the user is (the day they picked, not UTC's); `30d` and the like as
/// [`Expiry::parse`] reads them.
pub fn parse_expiry(text: &str) -> Result<Expiry> {
    parse_expiry_in(text, &zone())
}

fn parse_expiry_in(text: &str, tz: &TimeZone) -> Result<Expiry> {
    match text.trim().parse::<Date>() {
        Ok(date) => end_of_day_in(date, tz).map(Expiry::At).ok_or_else(|| {
            Error::bad_input(
                "expiry",
                format!("expiry '{}' is out of range", text.trim()),
            )
        }),
        Err(_) => Expiry::parse(text),
    }
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

    fn tokyo() -> TimeZone {
        TimeZone::posix("JST-9").expect("tz")
    }

    fn los_angeles() -> TimeZone {
        TimeZone::posix("PST8PDT,M3.2.0,M11.1.0").expect("tz")
    }

    fn utc(text: &str) -> Timestamp {
        text.parse::<jiff::Timestamp>().expect("time").as_second()
    }

    #[test]
    fn a_picked_day_ends_at_the_end_of_that_day_where_the_user_is() {
        let at = |text, tz| match parse_expiry_in(text, &tz).expect("date") {
            Expiry::At(t) => t,
            other => panic!("{other:?}"),
        };
        // Tokyo is UTC+9: its 2027-02-01 ends at 14:59:59 UTC, not on the 2nd at 08:59 JST.
        assert_eq!(at("2027-02-01", tokyo()), utc("2027-02-01T14:59:59Z"));
        // Los Angeles is UTC-8 in winter: the day does not end during its own afternoon.
        assert_eq!(at("2027-02-01", los_angeles()), utc("2027-02-02T07:59:59Z"));
        // And UTC-7 in summer.
        assert_eq!(
            at(" 2027-07-01 ", los_angeles()),
            utc("2027-07-02T06:59:59Z")
        );
        // The day the clocks go forward has 23 hours: it still ends at local midnight.
        assert_eq!(at("2027-03-14", los_angeles()), utc("2027-03-15T06:59:59Z"));
        assert!(parse_expiry_in("2027-02-30", &tokyo()).is_err());
        assert_eq!(
            parse_expiry_in("30d", &tokyo()).expect("span"),
            Expiry::In {
                seconds: 30 * 86_400
            }
        );
    }

    #[test]
    fn the_days_offered_are_the_local_days() {
        // 2027-01-31T20:00:00Z is already the 1st of February in Tokyo, still the 31st in LA.
        let now = utc("2027-01-31T20:00:00Z");
        assert_eq!(date_in_days_in(now, 0, &tokyo()).to_string(), "2027-02-01");
        assert_eq!(
            date_in_days_in(now, 1, &los_angeles()).to_string(),
            "2027-02-01"
        );
    }
}
