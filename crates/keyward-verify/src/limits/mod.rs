//! The policies a key carries beyond scopes and expiry, and how a check applies them: named
//! rate limits over a sliding window (`rate`, `window`), credits with a daily or monthly refill
//! (`credits`), and the client addresses a key may be used from (`addresses`). Each is plain
//! data (what the vault seals and the verifier file carries) plus the in-process state that
//! enforces it; a fleet keeps the same state in Redis instead (`keyward serve --limits`).

mod addresses;
mod credits;
mod headers;
mod key_limits;
mod limiter;
mod rate;
mod window;

pub use addresses::{AllowedAddresses, ClientAddress};
pub use credits::{CreditState, Credits, Refill, RefillPeriod};
pub use headers::RateLimitHeaders;
pub use key_limits::{KeyLimits, MAX_RATE_LIMITS};
pub use limiter::{CreditAnswer, LimitAnswer, Limiter};
pub use rate::{DEFAULT_LIMIT_NAME, MAX_LIMIT, RateLimit};
pub use window::WindowAnswer;

/// Milliseconds since the Unix epoch: rate limits need finer time than the files' seconds.
pub type Millis = u64;

/// Now, in [`Millis`].
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
