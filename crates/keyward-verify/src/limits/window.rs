//! Rate limits enforced in this process: a sliding window per key and limit that remembers
//! what each request in the window cost, so "100/min" allows exactly 100 in any 60 seconds
//! (a token bucket would let 100 through at once and then more as it refills).

use std::collections::VecDeque;

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
pub(super) struct Window {
    pub(super) used: u64,
    pub(super) entries: VecDeque<(Millis, u64)>,
}

impl Window {
    /// Lets go of the requests that have left the window.
    pub(super) fn expire(&mut self, limit: &RateLimit, now: Millis) {
        while let Some(&(at, c)) = self.entries.front() {
            if at.saturating_add(limit.period_ms) > now {
                break;
            }
            self.entries.pop_front();
            self.used -= c;
        }
    }

    pub(super) fn fits(&self, limit: &RateLimit, cost: u64) -> bool {
        self.used.saturating_add(cost) <= limit.limit
    }

    /// The answer for a request of `cost` (after [`Window::expire`]), charging it when
    /// `charge` and it fits.
    pub(super) fn answer(
        &mut self,
        limit: &RateLimit,
        cost: u64,
        now: Millis,
        charge: bool,
    ) -> WindowAnswer {
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
