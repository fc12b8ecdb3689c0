//! When a new key stops working, and how long a rolled key's old secret keeps working.

use crate::vault::error::{Error, Result};
use crate::vault::model::{Timestamp, format_time};

/// When a new key stops working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Never,
    In { seconds: i64 },
    At(Timestamp),
}

impl Expiry {
    /// `never`, `30d`, `12h` or `YYYY-MM-DD` (valid through the end of that day, UTC).
    pub fn parse(text: &str) -> Result<Expiry> {
        let t = text.trim();
        let bad = || {
            Error::bad_input(
                "expiry",
                format!("expiry '{text}' is not one of never, <N>d, <N>h or YYYY-MM-DD"),
            )
        };
        if t.eq_ignore_ascii_case("never") {
            return Ok(Expiry::Never);
        }
        if let Some(n) = t.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()) {
            return positive_span(n, 86_400).map(|seconds| Expiry::In { seconds });
        }
        if let Some(n) = t.strip_suffix('h').and_then(|n| n.parse::<i64>().ok()) {
            return positive_span(n, 3_600).map(|seconds| Expiry::In { seconds });
        }
        let date = time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| bad())?;
        let end_of_day = date.with_hms(23, 59, 59).map_err(|_| bad())?.assume_utc();
        Ok(Expiry::At(end_of_day.unix_timestamp()))
    }

    pub fn resolve(self, now: Timestamp) -> Result<Option<Timestamp>> {
        let at = match self {
            Expiry::Never => return Ok(None),
            Expiry::In { seconds } => now
                .checked_add(seconds)
                .ok_or_else(|| Error::bad_input("expiry", "the expiry is out of range"))?,
            Expiry::At(t) => t,
        };
        if at <= now {
            return Err(Error::bad_input(
                "expiry",
                format!("expiry {} is in the past", format_time(at)),
            ));
        }
        Ok(Some(at))
    }
}

fn positive_span(n: i64, unit: i64) -> Result<i64> {
    if n <= 0 || n > 36_500 * 86_400 / unit {
        return Err(Error::bad_input(
            "expiry",
            "expiry must be a positive span of at most 100 years",
        ));
    }
    Ok(n * unit)
}

/// How long a rolled key's old secret keeps working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grace {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl Grace {
    pub const ALL: [Grace; 4] = [Grace::None, Grace::OneHour, Grace::OneDay, Grace::SevenDays];

    pub fn parse(text: &str) -> Result<Grace> {
        match text.trim() {
            "0" | "none" => Ok(Grace::None),
            "1h" => Ok(Grace::OneHour),
            "24h" | "1d" => Ok(Grace::OneDay),
            "7d" => Ok(Grace::SevenDays),
            other => Err(Error::bad_input(
                "grace",
                format!("grace '{other}' is not one of 0, 1h, 24h, 7d"),
            )),
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Grace::None => 0,
            Grace::OneHour => 3_600,
            Grace::OneDay => 86_400,
            Grace::SevenDays => 7 * 86_400,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grace::None => "None",
            Grace::OneHour => "1 hour",
            Grace::OneDay => "24 hours",
            Grace::SevenDays => "7 days",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::model::parse_time;

    #[test]
    fn expiry_forms() {
        assert_eq!(Expiry::parse("never").unwrap(), Expiry::Never);
        assert_eq!(
            Expiry::parse("30d").unwrap(),
            Expiry::In {
                seconds: 30 * 86_400
            }
        );
        assert_eq!(
            Expiry::parse("12h").unwrap(),
            Expiry::In {
                seconds: 12 * 3_600
            }
        );
        let at = Expiry::parse("2030-01-02").unwrap();
        assert_eq!(at, Expiry::At(parse_time("2030-01-02T23:59:59Z").unwrap()));
        for bad in ["", "0d", "-1d", "soon", "2030-13-01", "30x", "2030-02-30"] {
            assert!(Expiry::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn past_expiry_is_refused() {
        let now = parse_time("2026-11-22T10:00:00Z").unwrap();
        assert!(Expiry::parse("2020-01-01").unwrap().resolve(now).is_err());
        assert_eq!(
            Expiry::parse("1d").unwrap().resolve(now).unwrap(),
            Some(now + 86_400)
        );
    }

    #[test]
    fn grace_forms() {
        assert_eq!(Grace::parse("0").unwrap().seconds(), 0);
        assert_eq!(Grace::parse("1h").unwrap().seconds(), 3600);
        assert_eq!(Grace::parse("24h").unwrap().seconds(), 86_400);
        assert_eq!(Grace::parse("7d").unwrap().seconds(), 7 * 86_400);
        assert!(Grace::parse("2h").is_err());
    }
}
