//! The flags that set a key's limits (`key create`, `key edit`): rate limits, credits with
//! their refill, and the networks a key may be used from.

use clap::Args;

use crate::vault::{Error, Result};
use keyward_verify::limits::{AllowedAddresses, Credits, KeyLimits, RateLimit, Refill};

#[derive(Args, Debug, Clone, Default)]
pub struct LimitArgs {
    /// A rate limit, [NAME=]N/WINDOW: 100/min, burst=20/s, 1000/10m (repeatable; a request
    /// must fit every one). With `key edit`, the key's rate limits become the ones given
    #[arg(long = "rate-limit", value_name = "[NAME=]N/WINDOW")]
    pub rate_limits: Vec<String>,
    /// Credits the key may spend: each check spends its cost (1 unless the service asks
    /// more); out of credits, checks answer usage_exceeded
    #[arg(long, value_name = "N")]
    pub credits: Option<u64>,
    /// Refill the credits to AMOUNT at the start of every UTC day or month: 10000/month
    #[arg(long, value_name = "AMOUNT/day|month")]
    pub refill: Option<String>,
    /// A network the key may be used from: 10.0.0.0/8, 2001:db8::/32, 192.0.2.7 (repeatable;
    /// other addresses get forbidden). With `key edit`, these replace the key's networks
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allow_ips: Vec<String>,
    /// `key edit`: remove every limit (rate limits, credits, networks)
    #[arg(long, conflicts_with_all = ["rate_limits", "credits", "refill", "allow_ips"])]
    pub no_limits: bool,
}

impl LimitArgs {
    /// Whether any limit flag was given.
    pub fn given(&self) -> bool {
        !self.rate_limits.is_empty()
            || self.credits.is_some()
            || self.refill.is_some()
            || !self.allow_ips.is_empty()
            || self.no_limits
    }

    /// `current` with what the flags say changed: each kind given replaces that kind.
    pub fn apply(&self, current: KeyLimits) -> Result<KeyLimits> {
        if self.no_limits {
            return Ok(KeyLimits::default());
        }
        let mut limits = current;
        if !self.rate_limits.is_empty() {
            limits.rate = self
                .rate_limits
                .iter()
                .map(|r| r.parse::<RateLimit>())
                .collect::<std::result::Result<_, _>>()?;
        }
        let refill = self
            .refill
            .as_deref()
            .map(str::parse::<Refill>)
            .transpose()?;
        match (self.credits, refill, limits.credits) {
            (Some(initial), refill, _) => limits.credits = Some(Credits { initial, refill }),
            (None, Some(refill), Some(was)) => {
                limits.credits = Some(Credits {
                    refill: Some(refill),
                    ..was
                })
            }
            (None, Some(_), None) => {
                return Err(Error::BadInput {
                    field: "refill",
                    why: "--refill needs --credits (how many the key starts with)".into(),
                });
            }
            (None, None, _) => {}
        }
        if !self.allow_ips.is_empty() {
            limits.allow_ips = AllowedAddresses::parse(&self.allow_ips)?;
        }
        limits.validate()?;
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(rate: &[&str], credits: Option<u64>, refill: Option<&str>, ips: &[&str]) -> LimitArgs {
        LimitArgs {
            rate_limits: rate.iter().map(|s| s.to_string()).collect(),
            credits,
            refill: refill.map(Into::into),
            allow_ips: ips.iter().map(|s| s.to_string()).collect(),
            no_limits: false,
        }
    }

    #[test]
    fn each_kind_given_replaces_that_kind_only() {
        let set = args(
            &["100/min", "burst=20/s"],
            Some(10_000),
            Some("10000/month"),
            &["10.0.0.0/8"],
        )
        .apply(KeyLimits::default())
        .unwrap();
        assert_eq!(
            set.summary(),
            "100/min, burst=20/s; 10000 credits (refilled to 10000/month); from 10.0.0.0/8"
        );
        let refill_only = args(&[], None, Some("50/day"), &[])
            .apply(set.clone())
            .unwrap();
        assert_eq!(
            refill_only.summary(),
            "100/min, burst=20/s; 10000 credits (refilled to 50/day); from 10.0.0.0/8"
        );
        let rates = args(&["5/s"], None, None, &[]).apply(set.clone()).unwrap();
        assert_eq!(
            rates.summary(),
            "5/s; 10000 credits (refilled to 10000/month); from 10.0.0.0/8"
        );
        let none = LimitArgs {
            no_limits: true,
            ..LimitArgs::default()
        };
        assert!(none.given());
        assert!(none.apply(set).unwrap().is_empty());
        assert!(!LimitArgs::default().given());
    }

    #[test]
    fn nonsense_is_refused_with_the_form_to_use() {
        let refused = |a: LimitArgs| a.apply(KeyLimits::default()).unwrap_err().to_string();
        assert!(refused(args(&["100"], None, None, &[])).contains("[NAME=]LIMIT/WINDOW"));
        assert!(refused(args(&["100/min", "200/h"], None, None, &[])).contains("named 'default'"));
        assert!(refused(args(&[], None, Some("10/week"), &[])).contains("AMOUNT/day"));
        assert!(refused(args(&[], None, Some("10/day"), &[])).contains("--refill needs --credits"));
        assert!(refused(args(&[], None, None, &["10.0.0.0/33"])).contains("not an address"));
    }
}
