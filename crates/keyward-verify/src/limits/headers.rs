//! The IETF `RateLimit` and `RateLimit-Policy` headers (draft-ietf-httpapi-ratelimit-headers,
//! structured fields) and `Retry-After`, from a limit and its answer.

use super::{RateLimit, WindowAnswer};
use crate::decision::LimitReport;

/// Header values for one answer; the tightest limit is the one reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `"default";q=100;w=60`
    pub policy: String,
    /// `"default";r=42;t=17`
    pub limit: String,
    /// Whole seconds, rounded up, when refused.
    pub retry_after: Option<u64>,
}

impl RateLimitHeaders {
    /// From each limit's answer: the refusing limit if there is one, else the one with the
    /// least remaining. `None` without limits.
    pub fn of(limits: &[RateLimit], answers: &[WindowAnswer]) -> Option<RateLimitHeaders> {
        let (limit, answer) = limits
            .iter()
            .zip(answers)
            .min_by_key(|(_, a)| (a.allowed, a.remaining))?;
        Some(RateLimitHeaders {
            policy: format!(
                "\"{}\";q={};w={}",
                limit.name,
                limit.limit,
                limit.period_secs()
            ),
            limit: format!(
                "\"{}\";r={};t={}",
                limit.name,
                answer.remaining,
                answer.reset_ms.div_ceil(1_000)
            ),
            retry_after: (!answer.allowed).then(|| {
                answer
                    .retry_after_ms
                    .unwrap_or(limit.period_ms)
                    .div_ceil(1_000)
            }),
        })
    }
}

impl RateLimitHeaders {
    /// From a check's report: the same as [`RateLimitHeaders::of`] its limits and answers.
    pub fn of_report(report: &LimitReport) -> Option<RateLimitHeaders> {
        let tightest = report
            .rate
            .iter()
            .min_by_key(|r| (r.allowed, r.remaining))?;
        Some(RateLimitHeaders {
            policy: format!(
                "\"{}\";q={};w={}",
                tightest.name, tightest.limit, tightest.window
            ),
            limit: format!(
                "\"{}\";r={};t={}",
                tightest.name, tightest.remaining, tightest.reset
            ),
            retry_after: (!tightest.allowed)
                .then(|| tightest.retry_after.unwrap_or(tightest.window)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limiter;

    #[test]
    fn the_tightest_limit_is_reported_in_structured_fields() {
        let limits = [
            RateLimit::new("default", 100, 60_000).unwrap(),
            RateLimit::new("burst", 2, 1_000).unwrap(),
        ];
        let limiter = Limiter::new();
        let first = limiter.take("k", &limits, 1, 0);
        let h = RateLimitHeaders::of(&limits, &first).unwrap();
        assert_eq!(h.policy, "\"burst\";q=2;w=1");
        assert_eq!(h.limit, "\"burst\";r=1;t=1");
        assert_eq!(h.retry_after, None);
        limiter.take("k", &limits, 1, 100);
        let refused = limiter.take("k", &limits, 1, 200);
        let h = RateLimitHeaders::of(&limits, &refused).unwrap();
        assert_eq!(h.limit, "\"burst\";r=0;t=1");
        assert_eq!(h.retry_after, Some(1)); // 800 ms, rounded up
        assert_eq!(RateLimitHeaders::of(&[], &[]), None);
        // The same from a check's report.
        let keyed = crate::limits::KeyLimits {
            rate: limits.to_vec(),
            ..Default::default()
        };
        let answer = crate::limits::LimitAnswer {
            windows: refused.clone(),
            credits: None,
        };
        let report = LimitReport::of(&keyed, &answer);
        assert_eq!(RateLimitHeaders::of_report(&report), Some(h));
    }
}
