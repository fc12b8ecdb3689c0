//! Rate limits enforced in this process: a sliding window per key and limit that remembers
//! what each request in the window cost, so "100/min" allows exactly 100 in any 60 seconds
//! (a token bucket would let 100 through at once and then more as it refills).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{Millis, RateLimit};

/// What a window says about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowAnswer {
    pub allowed: bool,
    /// Units left in the window after this request (0 when refused).
    pub remaining: u64,
    /// Milliseconds until the window holds nothing (the quota is whole again).
    pub reset_ms: u64,
    /// When refused: milliseconds until enough has left the window for this request;
    /// `None` when it never will (it costs more than the limit).
    pub retry_after_ms: Option<u64>,
}

/// One key's use of one limit: (when, cost) of each request still in the window.
#[derive(Debug, Default)]
struct Window {
    used: u64,
    entries: VecDeque<(Millis, u64)>,
}

impl Window {
    /// Lets go of the requests that have left the window.
    fn expire(&mut self, limit: &RateLimit, now: Millis) {
        while let Some(&(at, c)) = self.entries.front() {
            if at.saturating_add(limit.period_ms) > now {
                break;
            }
            self.entries.pop_front();
            self.used -= c;
        }
    }

    fn fits(&self, limit: &RateLimit, cost: u64) -> bool {
        self.used.saturating_add(cost) <= limit.limit
    }

    /// The answer for a request of `cost` (after [`Window::expire`]), charging it when
    /// `charge` and it fits.
    fn answer(&mut self, limit: &RateLimit, cost: u64, now: Millis, charge: bool) -> WindowAnswer {
        let allowed = self.fits(limit, cost);
        if allowed && charge && cost > 0 {
            match self.entries.back_mut() {
                // Requests in the same millisecond share an entry: a burst costs one.
                Some((at, c)) if *at == now => *c += cost,
                _ => self.entries.push_back((now, cost)),
            }
            self.used += cost;
        }
        let reset_ms = self
            .entries
            .back()
            .map_or(0, |(at, _)| (at + limit.period_ms).saturating_sub(now));
        let retry_after_ms = (!allowed && cost <= limit.limit).then(|| {
            // The oldest entries leave first: wait until enough of them have.
            let needed = self.used + cost - limit.limit;
            let mut freed = 0;
            self.entries
                .iter()
                .find_map(|(at, c)| {
                    freed += c;
                    (freed >= needed).then(|| (at + limit.period_ms).saturating_sub(now))
                })
                .unwrap_or(limit.period_ms)
        });
        WindowAnswer {
            allowed,
            remaining: if allowed { limit.limit - self.used } else { 0 },
            reset_ms,
            retry_after_ms,
        }
    }
}

/// Shards, so that threads checking different keys rarely wait for each other.
const SHARDS: usize = 16;

/// The rate-limit state of every key this process has checked.
pub struct Limiter {
    shards: Vec<Mutex<HashMap<String, Vec<Window>>>>,
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

    /// Spends `cost` against every one of `limits` for `key_id`, all or nothing: when any
    /// limit refuses, none is charged. Returns each limit's answer, in `limits`' order.
    pub fn take(
        &self,
        key_id: &str,
        limits: &[RateLimit],
        cost: u64,
        now: Millis,
    ) -> Vec<WindowAnswer> {
        let mut shard = self.shards[shard_of(key_id)]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if !shard.contains_key(key_id) {
            shard.insert(key_id.to_owned(), Vec::new());
        }
        let Some(windows) = shard.get_mut(key_id) else {
            return Vec::new();
        };
        windows.resize_with(limits.len(), Window::default);
        for (limit, w) in limits.iter().zip(windows.iter_mut()) {
            w.expire(limit, now);
        }
        // A refusal by any limit charges none.
        let charge = limits
            .iter()
            .zip(windows.iter())
            .all(|(limit, w)| w.fits(limit, cost));
        limits
            .iter()
            .zip(windows.iter_mut())
            .map(|(limit, w)| w.answer(limit, cost, now, charge))
            .collect()
    }

    /// Forgets a key (revoked, or its limits changed).
    pub fn forget(&self, key_id: &str) {
        self.shards[shard_of(key_id)]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key_id);
    }
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
        assert_eq!(shard["k"][0].entries.len(), 1);
        assert_eq!(shard["k"][0].used, 10_000);
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
}
