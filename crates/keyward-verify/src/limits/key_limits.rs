//! The limits one key carries, as the vault seals them and the verifier file signs them:
//! named rate limits, credits, and the networks it may be used from. A key without any has
//! none (`Policy::limits` is `None`), so its record and its verifier entry read as before.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{AllowedAddresses, Credits, RateLimit};
use crate::error::Error;

/// The most rate limits one key may carry.
pub const MAX_RATE_LIMITS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyLimits {
    /// Every one is enforced; a request must fit all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate: Vec<RateLimit>,
    /// Units the key may spend (each check spends its cost), with an optional refill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Credits>,
    /// Networks the key may be used from; empty: any.
    #[serde(default, skip_serializing_if = "AllowedAddresses::is_empty")]
    pub allow_ips: AllowedAddresses,
}

impl KeyLimits {
    pub fn is_empty(&self) -> bool {
        self.rate.is_empty() && self.credits.is_none() && self.allow_ips.is_empty()
    }

    /// `None` for no limits, so that a key without any is written exactly as before.
    pub fn boxed(self) -> Option<Box<KeyLimits>> {
        (!self.is_empty()).then(|| Box::new(self))
    }

    /// Checks limits typed by a user or read from a signed file: each limit valid, their
    /// names unique (the headers name a limit by it), the credits and networks in bounds.
    pub fn validate(&self) -> Result<(), Error> {
        if self.rate.len() > MAX_RATE_LIMITS {
            return Err(Error::Invalid(format!(
                "a key carries at most {MAX_RATE_LIMITS} rate limits"
            )));
        }
        for (i, limit) in self.rate.iter().enumerate() {
            limit.validate()?;
            if self.rate[..i].iter().any(|l| l.name == limit.name) {
                return Err(Error::Invalid(format!(
                    "two rate limits are named '{}': name them apart, e.g. burst=20/s",
                    limit.name
                )));
            }
        }
        if let Some(credits) = &self.credits {
            credits.validate()?;
        }
        self.allow_ips.validate()
    }

    /// One line for lists and details: `100/min, burst=20/s; 9000 credits (+10000/month); from
    /// 10.0.0.0/8`. Empty without limits.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.rate.is_empty() {
            let rates: Vec<String> = self.rate.iter().map(ToString::to_string).collect();
            parts.push(rates.join(", "));
        }
        if let Some(credits) = &self.credits {
            let mut text = format!("{} credits", credits.initial);
            if let Some(refill) = credits.refill {
                let _ = write!(text, " (refilled to {refill})");
            }
            parts.push(text);
        }
        if !self.allow_ips.is_empty() {
            let nets: Vec<String> = self
                .allow_ips
                .networks()
                .iter()
                .map(ToString::to_string)
                .collect();
            parts.push(format!("from {}", nets.join(", ")));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Refill, RefillPeriod};

    fn limits() -> KeyLimits {
        KeyLimits {
            rate: vec!["100/min".parse().unwrap(), "burst=20/s".parse().unwrap()],
            credits: Some(Credits {
                initial: 10_000,
                refill: Some(Refill {
                    amount: 10_000,
                    period: RefillPeriod::Month,
                }),
            }),
            allow_ips: AllowedAddresses::parse(&["10.0.0.0/8", "2001:db8::/32"]).unwrap(),
        }
    }

    #[test]
    fn limits_read_back_and_none_are_written_as_nothing() {
        let text = serde_json::to_string(&limits()).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"rate":[{"name":"default","limit":100,"period_ms":60000},"#,
                r#"{"name":"burst","limit":20,"period_ms":1000}],"#,
                r#""credits":{"initial":10000,"refill":{"amount":10000,"period":"month"}},"#,
                r#""allow_ips":["10.0.0.0/8","2001:db8::/32"]}"#
            )
        );
        assert_eq!(serde_json::from_str::<KeyLimits>(&text).unwrap(), limits());
        assert_eq!(KeyLimits::default().boxed(), None);
        assert!(limits().boxed().is_some());
        assert_eq!(
            limits().summary(),
            "100/min, burst=20/s; 10000 credits (refilled to 10000/month); from 10.0.0.0/8, 2001:db8::/32"
        );
    }

    #[test]
    fn limits_from_a_file_are_checked_like_typed_ones() {
        let mut twice = limits();
        twice.rate.push("100/h".parse().unwrap());
        assert!(
            twice
                .validate()
                .unwrap_err()
                .to_string()
                .contains("named 'default'")
        );
        let zero: KeyLimits =
            serde_json::from_str(r#"{"rate":[{"name":"x","limit":0,"period_ms":1000}]}"#).unwrap();
        assert!(zero.validate().is_err());
        let many: Vec<String> = (0..300)
            .map(|i| format!("10.0.{}.{}/32", i / 256, i % 256))
            .collect();
        let wide: KeyLimits = serde_json::from_str(&format!(
            r#"{{"allow_ips":{}}}"#,
            serde_json::to_string(&many).unwrap()
        ))
        .unwrap();
        assert!(wide.validate().is_err());
        let rich: KeyLimits =
            serde_json::from_str(r#"{"credits":{"initial":9007199254740993}}"#).unwrap();
        assert!(rich.validate().is_err());
        assert!(limits().validate().is_ok());
        let nine = KeyLimits {
            rate: (0..9)
                .map(|i| format!("l{i}=1/s").parse().unwrap())
                .collect(),
            ..KeyLimits::default()
        };
        assert!(nine.validate().is_err());
    }
}
