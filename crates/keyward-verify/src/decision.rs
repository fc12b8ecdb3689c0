//! The decision: what a presented key is good for, as of a time, and its result codes.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::limits::{KeyLimits, LimitAnswer};
use crate::time::Timestamp;

/// The answer to "is this key good for this request?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Valid,
    Malformed,
    NotFound,
    Revoked,
    Expired,
    InsufficientScope,
    Tampered,
    /// Over one of the key's rate limits: come back after `Retry-After`.
    RateLimited,
    /// Out of credits until they are refilled.
    UsageExceeded,
    /// From an address the key may not be used from.
    Forbidden,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Malformed => "malformed",
            Outcome::NotFound => "not_found",
            Outcome::Revoked => "revoked",
            Outcome::Expired => "expired",
            Outcome::InsufficientScope => "insufficient_scope",
            Outcome::Tampered => "tampered",
            Outcome::RateLimited => "rate_limited",
            Outcome::UsageExceeded => "usage_exceeded",
            Outcome::Forbidden => "forbidden",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub result: Outcome,
    pub key_id: Option<String>,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a key with rate limits or credits: what is left after this check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitReport>,
}

/// What a check asks beyond the key: the scopes it needs, where it comes from, and what it
/// costs against the key's rate limits and credits.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub scopes: &'a [&'a str],
    /// The client's address; a key limited to some networks is `forbidden` without one.
    pub client: Option<IpAddr>,
    /// Units charged to every rate limit and to the credits (1 for a plain call).
    pub cost: u64,
}

impl<'a> Request<'a> {
    /// A call of cost 1 needing `scopes`, from no known address.
    pub fn scopes(scopes: &'a [&'a str]) -> Request<'a> {
        Request {
            scopes,
            client: None,
            cost: 1,
        }
    }
}

/// A rate limit's state after a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RateReport {
    /// Whether this limit let the request through (the outcome says whether all did).
    #[serde(skip)]
    pub allowed: bool,
    pub name: String,
    pub limit: u64,
    /// The window, in seconds.
    pub window: u64,
    pub remaining: u64,
    /// Seconds until the window is whole again.
    pub reset: u64,
    /// When refused: seconds until this request would fit (absent: it never will, it costs
    /// more than the limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// A key's credits after a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditReport {
    pub remaining: u64,
    /// Unix seconds of the next refill, if the credits are refilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refill_at: Option<Timestamp>,
    /// What the refill brings them back to (the policy's, not reported: the caller knows it).
    #[serde(skip)]
    pub refill_to: Option<u64>,
}

/// Every limit's state after a check, as `/v1/verify` and `keyward verify` report it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LimitReport {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rate: Vec<RateReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditReport>,
}

impl LimitReport {
    pub fn of(limits: &KeyLimits, answer: &LimitAnswer) -> LimitReport {
        LimitReport {
            rate: limits
                .rate
                .iter()
                .zip(&answer.windows)
                .map(|(l, a)| RateReport {
                    allowed: a.allowed,
                    name: l.name.clone(),
                    limit: l.limit,
                    window: l.period_secs(),
                    remaining: a.remaining,
                    reset: a.reset_ms.div_ceil(1_000),
                    retry_after: (!a.allowed)
                        .then_some(a.retry_after_ms.map(|ms| ms.div_ceil(1_000).max(1)))
                        .flatten(),
                })
                .collect(),
            credits: answer.credits.map(|c| CreditReport {
                remaining: c.remaining,
                refill_at: c.next_refill,
                refill_to: limits
                    .credits
                    .as_ref()
                    .and_then(|c| c.refill.as_ref())
                    .map(|r| r.amount),
            }),
        }
    }

    /// Seconds a refused request should wait: the refusing rate limit's, or until the
    /// credits' refill.
    pub fn retry_after(&self, now: Timestamp) -> Option<u64> {
        let rate = self
            .rate
            .iter()
            .filter(|r| !r.allowed)
            .map(|r| r.retry_after.unwrap_or(r.window))
            .max();
        rate.or_else(|| {
            let at = self.credits.as_ref()?.refill_at?;
            u64::try_from(at.saturating_sub(now)).ok()
        })
    }
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        self.result == Outcome::Valid
    }

    pub fn of(result: Outcome, key_id: Option<String>, scopes: Vec<String>) -> Verification {
        Verification {
            result,
            key_id,
            scopes,
            reason: None,
            limits: None,
        }
    }

    pub fn malformed(e: &Error) -> Verification {
        Verification {
            result: Outcome::Malformed,
            key_id: None,
            scopes: Vec::new(),
            reason: Some(match e {
                Error::Malformed(why) => why.clone(),
                other => other.to_string(),
            }),
            limits: None,
        }
    }
}
