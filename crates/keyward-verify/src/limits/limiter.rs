//! A key's limits enforced in this process: its rate-limit windows and what is left of its
//! credits, kept together per key so that one check charges all of them or none.

use std::collections::HashMap;
use std::sync::Mutex;

use super::window::Window;
use super::{CreditState, Credits, KeyLimits, Millis, RateLimit, WindowAnswer};
use crate::decision::Outcome;
use crate::time::Timestamp;

/// What a key's credits say about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditAnswer {
    pub allowed: bool,
    /// Left after this request (all of it when refused: nothing was spent).
    pub remaining: u64,
    /// When the credits are refilled next, if they are.
    pub next_refill: Option<Timestamp>,
}

/// What a key's limits say about one request: each rate limit's answer in the key's order,
/// and its credits'.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitAnswer {
    pub windows: Vec<WindowAnswer>,
    pub credits: Option<CreditAnswer>,
}

impl LimitAnswer {
    /// Every limit and the credits let the request through (and so it was charged).
    pub fn allowed(&self) -> bool {
        self.refusal().is_none()
    }

    /// The refusal, if any: a rate limit first (come back later), then the credits.
    pub fn refusal(&self) -> Option<Outcome> {
        if self.windows.iter().any(|w| !w.allowed) {
            Some(Outcome::RateLimited)
        } else if self.credits.is_some_and(|c| !c.allowed) {
            Some(Outcome::UsageExceeded)
        } else {
            None
        }
    }
}

/// One key's state: a window per rate limit, and its credits with the policy they follow
/// (a changed policy starts them afresh).
#[derive(Debug, Default)]
struct KeyState {
    windows: Vec<Window>,
    credits: Option<(Credits, CreditState)>,
}

/// Shards, so that threads checking different keys rarely wait for each other.
const SHARDS: usize = 16;

/// The limit state of every key this process has checked.
pub struct Limiter {
    shards: Vec<Mutex<HashMap<String, KeyState>>>,
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl Limiter {
    pub fn new() -> Limiter {
        Limiter::default()
    }

    fn with_key<T>(&self, key_id: &str, f: impl FnOnce(&mut KeyState) -> T) -> T {
        let mut shard = self.shards[shard_of(key_id)]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match shard.get_mut(key_id) {
            Some(state) => f(state),
            None => f(shard.entry(key_id.to_owned()).or_default()),
        }
    }

    /// Spends `cost` against every one of `limits` for `key_id`, all or nothing: when any
    /// limit refuses, none is charged. Returns each limit's answer, in `limits`' order.
    pub fn take(
        &self,
        key_id: &str,
        limits: &[RateLimit],
        cost: u64,
        now: Millis,
    ) -> Vec<WindowAnswer> {
        self.with_key(key_id, |state| {
            let charge = expire_and_fit(&mut state.windows, limits, cost, now);
            answer(&mut state.windows, limits, cost, now, charge)
        })
    }

    /// A check of `cost` against all of a key's limits: its rate limits and its credits
    /// charged together or not at all.
    pub fn spend(&self, key_id: &str, limits: &KeyLimits, cost: u64, now: Millis) -> LimitAnswer {
        let now_secs = Timestamp::try_from(now / 1_000).unwrap_or(Timestamp::MAX);
        self.with_key(key_id, |state| {
            let fits = expire_and_fit(&mut state.windows, &limits.rate, cost, now);
            let credits = limits.credits.map(|policy| {
                let current = match state.credits {
                    Some((was, kept)) if was == policy => kept.refreshed(&policy, now_secs),
                    _ => CreditState::fresh(&policy, now_secs),
                };
                (policy, current)
            });
            let credits_fit = credits.is_none_or(|(_, s)| s.remaining >= cost);
            let charge = fits && credits_fit;
            let windows = answer(&mut state.windows, &limits.rate, cost, now, charge);
            let credits = credits.map(|(policy, mut current)| {
                if charge {
                    current.remaining -= cost;
                }
                state.credits = Some((policy, current));
                CreditAnswer {
                    allowed: credits_fit,
                    remaining: current.remaining,
                    next_refill: current.next_refill(&policy),
                }
            });
            LimitAnswer { windows, credits }
        })
    }

    /// What is left of a key's credits as of `now` (without spending), when this process
    /// has seen the key.
    pub fn credits_left(&self, key_id: &str, credits: &Credits, now: Timestamp) -> Option<u64> {
        let shard = self.shards[shard_of(key_id)]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let (was, kept) = shard.get(key_id)?.credits?;
        (was == *credits).then(|| kept.refreshed(credits, now).remaining)
    }

    /// Every key's credits as they stand, to keep across a restart.
    pub fn credit_states(&self) -> Vec<(String, Credits, CreditState)> {
        let mut out = Vec::new();
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            out.extend(
                shard
                    .iter()
                    .filter_map(|(id, s)| s.credits.map(|(c, st)| (id.clone(), c, st))),
            );
        }
        out
    }

    /// Puts back a key's credits kept from before a restart (they apply while the key's
    /// credit policy is still `credits`).
    pub fn restore_credits(&self, key_id: &str, credits: Credits, state: CreditState) {
        self.with_key(key_id, |s| s.credits = Some((credits, state)));
    }

    /// Forgets a key (revoked, or its limits changed).
    pub fn forget(&self, key_id: &str) {
        self.shards[shard_of(key_id)]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key_id);
    }
}

/// Lets go of what left each window and says whether `cost` fits them all.
fn expire_and_fit(windows: &mut Vec<Window>, limits: &[RateLimit], cost: u64, now: Millis) -> bool {
    windows.resize_with(limits.len(), Window::default);
    for (limit, w) in limits.iter().zip(windows.iter_mut()) {
        w.expire(limit, now);
    }
    limits
        .iter()
        .zip(windows.iter())
        .all(|(limit, w)| w.fits(limit, cost))
}

fn answer(
    windows: &mut [Window],
    limits: &[RateLimit],
    cost: u64,
    now: Millis,
    charge: bool,
) -> Vec<WindowAnswer> {
    limits
        .iter()
        .zip(windows.iter_mut())
        .map(|(limit, w)| w.answer(limit, cost, now, charge))
        .collect()
}

fn shard_of(key_id: &str) -> usize {
    // FNV-1a: cheap, and key ids are not chosen by clients.
    let hash = key_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % SHARDS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_min(n: u64) -> RateLimit {
        RateLimit::new("default", n, 60_000).unwrap()
    }

    #[test]
    fn exactly_the_limit_is_allowed_in_any_window() {
        let limiter = Limiter::new();
        let limit = [per_min(100)];
        let allowed = (0..1000)
            .filter(|i| limiter.take("k", &limit, 1, 1_000 + i * 10)[0].allowed)
            .count();
        assert_eq!(allowed, 100);
        // The first request (at 1,000 ms) leaves the window at 61,000 ms, not before.
        assert!(!limiter.take("k", &limit, 1, 60_999)[0].allowed);
        assert!(limiter.take("k", &limit, 1, 61_000)[0].allowed);
        assert!(!limiter.take("k", &limit, 1, 61_000)[0].allowed);
    }

    #[test]
    fn a_refusal_says_when_to_come_back_and_what_is_left() {
        let limiter = Limiter::new();
        let limit = [per_min(3)];
        let first = limiter.take("k", &limit, 1, 0)[0];
        assert_eq!(
            (first.allowed, first.remaining, first.reset_ms),
            (true, 2, 60_000)
        );
        limiter.take("k", &limit, 1, 20_000);
        let third = limiter.take("k", &limit, 1, 30_000)[0];
        assert_eq!((third.remaining, third.reset_ms), (0, 60_000));
        let refused = limiter.take("k", &limit, 1, 40_000)[0];
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_ms, Some(20_000)); // the request at 0 leaves at 60 s
        assert_eq!(refused.reset_ms, 50_000); // the one at 30 s leaves at 90 s
        // A weighted call waits for enough to leave: 2 units, the entries at 0 and 20 s.
        let heavy = limiter.take("k", &limit, 2, 40_000)[0];
        assert_eq!(heavy.retry_after_ms, Some(40_000));
        // More than the limit can never pass.
        let never = limiter.take("k", &limit, 4, 40_000)[0];
        assert_eq!((never.allowed, never.retry_after_ms), (false, None));
    }

    #[test]
    fn every_limit_must_allow_and_a_refusal_charges_none() {
        let limiter = Limiter::new();
        let limits = [per_min(100), RateLimit::new("burst", 2, 1_000).unwrap()];
        assert!(limiter.take("k", &limits, 1, 0).iter().all(|a| a.allowed));
        assert!(limiter.take("k", &limits, 1, 10).iter().all(|a| a.allowed));
        let third = limiter.take("k", &limits, 1, 20);
        assert!(third[0].allowed && !third[1].allowed, "{third:?}");
        // The minute limit was not charged for the refused request.
        assert_eq!(third[0].remaining, 98);
        let later = limiter.take("k", &limits, 1, 1_000);
        assert!(later.iter().all(|a| a.allowed));
        assert_eq!(later[0].remaining, 97);
    }

    #[test]
    fn keys_do_not_share_windows_and_forgetting_starts_afresh() {
        let limiter = Limiter::new();
        let limit = [per_min(1)];
        assert!(limiter.take("a", &limit, 1, 0)[0].allowed);
        assert!(limiter.take("b", &limit, 1, 0)[0].allowed);
        assert!(!limiter.take("a", &limit, 1, 1)[0].allowed);
        limiter.forget("a");
        assert!(limiter.take("a", &limit, 1, 2)[0].allowed);
    }

    #[test]
    fn a_burst_in_one_millisecond_takes_one_entry() {
        let limiter = Limiter::new();
        let limit = [per_min(1_000_000)];
        for _ in 0..10_000 {
            limiter.take("k", &limit, 1, 5);
        }
        let shard = limiter.shards[shard_of("k")].lock().unwrap();
        assert_eq!(shard["k"].windows[0].entries.len(), 1);
        assert_eq!(shard["k"].windows[0].used, 10_000);
    }

    #[test]
    fn a_clock_that_goes_back_does_not_panic_or_free_the_window() {
        let limiter = Limiter::new();
        let limit = [per_min(2)];
        limiter.take("k", &limit, 1, 100_000);
        limiter.take("k", &limit, 1, 100_000);
        let back = limiter.take("k", &limit, 1, 0)[0];
        assert!(!back.allowed);
    }

    fn credits(initial: u64) -> Credits {
        Credits {
            initial,
            refill: Some(crate::limits::Refill {
                amount: 5,
                period: crate::limits::RefillPeriod::Day,
            }),
        }
    }

    #[test]
    fn credits_and_rate_limits_are_charged_together_or_not_at_all() {
        let limiter = Limiter::new();
        let limits = KeyLimits {
            rate: vec![per_min(3)],
            credits: Some(credits(4)),
            ..KeyLimits::default()
        };
        let first = limiter.spend("k", &limits, 2, 0);
        assert_eq!(first.refusal(), None);
        assert_eq!(first.credits.unwrap().remaining, 2);
        assert_eq!(first.windows[0].remaining, 1);
        // 2 more credits are there, but the window has room for 1: nothing is spent.
        let too_fast = limiter.spend("k", &limits, 2, 10);
        assert_eq!(too_fast.refusal(), Some(Outcome::RateLimited));
        assert_eq!(too_fast.credits.unwrap().remaining, 2);
        // In the next minute the window is free, the credits are what is left.
        assert_eq!(limiter.spend("k", &limits, 2, 60_000).refusal(), None);
        let broke = limiter.spend("k", &limits, 1, 60_001);
        assert_eq!(broke.refusal(), Some(Outcome::UsageExceeded));
        assert_eq!(
            broke.windows[0].remaining, 1,
            "refused: the window was not charged"
        );
        assert_eq!(limiter.take("k", &limits.rate, 1, 60_002)[0].remaining, 0);
        assert_eq!(broke.credits.unwrap().next_refill, Some(86_400));
    }

    #[test]
    fn credits_refill_at_the_boundary_and_a_new_policy_starts_afresh() {
        let limiter = Limiter::new();
        let limits = KeyLimits {
            credits: Some(credits(1)),
            ..KeyLimits::default()
        };
        let day = 86_400_000;
        assert_eq!(limiter.spend("k", &limits, 1, day - 2_000).refusal(), None);
        assert_eq!(
            limiter.spend("k", &limits, 1, day - 1_000).refusal(),
            Some(Outcome::UsageExceeded)
        );
        let next_day = limiter.spend("k", &limits, 1, day);
        assert_eq!(next_day.refusal(), None);
        assert_eq!(next_day.credits.unwrap().remaining, 4);
        assert_eq!(limiter.credits_left("k", &credits(1), 86_400), Some(4));
        // The vault gave the key other credits: the new amount applies from now.
        let topped = KeyLimits {
            credits: Some(Credits {
                initial: 100,
                refill: None,
            }),
            ..KeyLimits::default()
        };
        assert_eq!(
            limiter
                .spend("k", &topped, 1, day + 1)
                .credits
                .unwrap()
                .remaining,
            99
        );
        // Kept across a restart.
        let kept = limiter.credit_states();
        let again = Limiter::new();
        for (id, c, s) in kept {
            again.restore_credits(&id, c, s);
        }
        assert_eq!(
            again
                .spend("k", &topped, 1, day + 2)
                .credits
                .unwrap()
                .remaining,
            98
        );
    }
}
