//! A named rate limit: at most `limit` units of cost in any `period` (a sliding window), written
//! `100/min`, `burst=20/s` or `5000/1h`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The name of a limit given without one (`100/min`).
pub const DEFAULT_LIMIT_NAME: &str = "default";

/// The most units a window may allow: a window remembers each request in it, so this bounds
/// the memory one key's limit can take.
pub const MAX_LIMIT: u64 = 1_000_000;

/// The longest window, 31 days.
const MAX_PERIOD_MS: u64 = 31 * 86_400_000;

const MAX_NAME_CHARS: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateLimit {
    /// Short and unique among a key's limits: the `RateLimit` headers name the policy by it.
    pub name: String,
    /// Units of cost allowed in any window.
    pub limit: u64,
    /// The window, in milliseconds.
    pub period_ms: u64,
}

impl RateLimit {
    pub fn new(name: &str, limit: u64, period_ms: u64) -> Result<RateLimit, Error> {
        let limit = RateLimit {
            name: name.to_owned(),
            limit,
            period_ms,
        };
        limit.validate()?;
        Ok(limit)
    }

    /// Checks a limit read from a file or typed by a user.
    pub fn validate(&self) -> Result<(), Error> {
        let name_ok = !self.name.is_empty()
            && self.name.chars().count() <= MAX_NAME_CHARS
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(Error::Invalid(format!(
                "a rate limit's name is 1 to {MAX_NAME_CHARS} letters, digits, '-' or '_'"
            )));
        }
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(Error::Invalid(format!(
                "a rate limit allows 1 to {MAX_LIMIT} per window, not {}",
                self.limit
            )));
        }
        if self.period_ms < 1_000 || self.period_ms > MAX_PERIOD_MS {
            return Err(Error::Invalid(
                "a rate limit's window is 1 second to 31 days".into(),
            ));
        }
        Ok(())
    }

    /// The window in whole seconds (what the headers carry), at least 1.
    pub fn period_secs(&self) -> u64 {
        self.period_ms.div_ceil(1_000).max(1)
    }
}

/// Units a window may be written in, longest names first so `min` is not read as `m`+`in`.
const UNITS: &[(&str, u64)] = &[
    ("second", 1_000),
    ("sec", 1_000),
    ("s", 1_000),
    ("minute", 60_000),
    ("min", 60_000),
    ("m", 60_000),
    ("hour", 3_600_000),
    ("h", 3_600_000),
    ("day", 86_400_000),
    ("d", 86_400_000),
];

impl FromStr for RateLimit {
    type Err = Error;

    /// `[NAME=]LIMIT/[N]UNIT`: `100/min`, `burst=20/s`, `1000/10m`, `5000/hour`.
    fn from_str(text: &str) -> Result<RateLimit, Error> {
        let bad = || {
            Error::Invalid(format!(
                "rate limit {text:?}: write it as [NAME=]LIMIT/WINDOW, e.g. 100/min, burst=20/s, 1000/10m"
            ))
        };
        let text = text.trim();
        let (name, rest) = match text.split_once('=') {
            Some((name, rest)) => (name.trim(), rest.trim()),
            None => (DEFAULT_LIMIT_NAME, text),
        };
        let (limit, window) = rest.split_once('/').ok_or_else(bad)?;
        let limit: u64 = limit.trim().parse().map_err(|_| bad())?;
        let window = window.trim().to_ascii_lowercase();
        let digits = window.chars().take_while(char::is_ascii_digit).count();
        let (count, unit) = window.split_at(digits);
        let count: u64 = if count.is_empty() {
            1
        } else {
            count.parse().map_err(|_| bad())?
        };
        let unit = unit.trim();
        let unit = unit
            .strip_suffix('s')
            .filter(|u| u.len() > 2)
            .unwrap_or(unit);
        let per = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, ms)| *ms)
            .ok_or_else(bad)?;
        let period_ms = count.checked_mul(per).ok_or_else(bad)?;
        RateLimit::new(name, limit, period_ms)
    }
}

impl fmt::Display for RateLimit {
    /// The shortest form that reads back the same: `100/min`, `burst=20/s`, `1000/10m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name != DEFAULT_LIMIT_NAME {
            write!(f, "{}=", self.name)?;
        }
        write!(f, "{}/", self.limit)?;
        let (unit, ms) = [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("min", 60_000),
            ("s", 1_000),
        ]
        .into_iter()
        .find(|(_, ms)| self.period_ms.is_multiple_of(*ms))
        .unwrap_or(("s", 1_000));
        let count = self.period_ms / ms;
        if count == 1 {
            write!(f, "{unit}")
        } else if unit == "min" {
            write!(f, "{count}m")
        } else {
            write!(f, "{count}{unit}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_a_user_types_are_read() {
        let read = |t: &str| t.parse::<RateLimit>().unwrap();
        assert_eq!(
            read("100/min"),
            RateLimit::new("default", 100, 60_000).unwrap()
        );
        assert_eq!(
            read("burst=20/s"),
            RateLimit::new("burst", 20, 1_000).unwrap()
        );
        assert_eq!(
            read("1000/10m"),
            RateLimit::new("default", 1000, 600_000).unwrap()
        );
        assert_eq!(
            read("5000/hour"),
            RateLimit::new("default", 5000, 3_600_000).unwrap()
        );
        assert_eq!(
            read("7/2days"),
            RateLimit::new("default", 7, 172_800_000).unwrap()
        );
        assert_eq!(
            read(" daily = 10 / 1d "),
            RateLimit::new("daily", 10, 86_400_000).unwrap()
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_form_to_use() {
        for bad in [
            "",
            "100",
            "/min",
            "x/min",
            "100/",
            "100/fortnight",
            "0/min",
            "-1/min",
            "bad name=1/s",
            "=1/s",
            "1/0s",
            "1/ms",
            "99999999999999999999/s",
            "1/99999999999999999999d",
            "2000000/s",
            "1/32d",
        ] {
            let e = bad.parse::<RateLimit>().expect_err(bad);
            assert!(matches!(e, Error::Invalid(_)), "{bad}: {e}");
        }
        let e = "100/fortnight".parse::<RateLimit>().unwrap_err();
        assert!(e.to_string().contains("e.g. 100/min"), "{e}");
    }

    #[test]
    fn display_reads_back_the_same() {
        for text in ["100/min", "burst=20/s", "1000/10m", "5/h", "3/7d", "9/90s"] {
            let limit: RateLimit = text.parse().unwrap();
            assert_eq!(limit.to_string(), text);
            assert_eq!(limit.to_string().parse::<RateLimit>().unwrap(), limit);
        }
    }
}
