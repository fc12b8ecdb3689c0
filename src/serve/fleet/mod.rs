//! Rate limits and credits shared by several `serve` instances through Redis
//! (`keyward serve --limits redis://HOST[:PORT]/[DB]`): the same sliding windows and credits as
//! the in-process `Limiter` and `CreditState`, checked and charged in one atomic round trip
//! (`take.lua`, by EVALSHA), so a fleet behind a load balancer allows exactly N in any window.
//!
//! `script` owns the keys, arguments and the strict reading of replies; `error` why a round
//! trip failed; `health` what `/healthz` and `/metrics` say about the backend. This file owns
//! the connection: one multiplexed connection per process (every worker's checks are pipelined
//! on it), a deadline on every round trip, and a task that PINGs every second (reconnecting
//! after a failure), so health follows Redis without traffic.

mod error;
mod health;
mod script;

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use keyward_verify::limits::{CreditState, Credits, Millis, RateLimit};
use redis::aio::MultiplexedConnection;

use super::stderr::log;

pub use error::FleetError;
pub use health::with_limits_health;

/// The longest a check waits for Redis: a hung server must not hang the checks.
pub const ROUND_TRIP: Duration = Duration::from_millis(250);

/// How often the backend is PINGed (and, after a failure, connected again).
pub const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Key ids asked for in one `credits_left` round trip.
const CREDITS_BATCH: usize = 512;

/// What a check does when Redis cannot answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailMode {
    /// Allow the request (the key's other checks still apply): availability over limits.
    Open,
    /// Refuse the request: limits over availability.
    #[default]
    Closed,
}

impl FromStr for FailMode {
    type Err = String;

    fn from_str(text: &str) -> Result<FailMode, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(FailMode::Open),
            "closed" => Ok(FailMode::Closed),
            _ => Err(format!("{text:?}: say open or closed")),
        }
    }
}

impl fmt::Display for FailMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailMode::Open => "open",
            FailMode::Closed => "closed",
        })
    }
}

/// What the fleet says about one check: the same answer the in-process limiter gives, so
/// the check path turns both into a verification the same way.
pub type FleetAnswer = keyward_verify::limits::LimitAnswer;
pub use keyward_verify::limits::CreditAnswer;

struct Inner {
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    script: redis::Script,
    healthy: AtomicBool,
    errors: AtomicU64,
    fail: FailMode,
}

/// The shared limits: one per `serve` process, shared by its workers.
pub struct FleetLimits {
    inner: Arc<Inner>,
}

impl FleetLimits {
    /// Reads the URL (a bad one is an error) and connects; a server that cannot be reached
    /// now is not an error: the limits start unhealthy and are tried every second. Must be
    /// called inside a tokio runtime, which then runs the connection and the retries.
    pub async fn connect(url: &str, fail: FailMode) -> Result<FleetLimits, FleetError> {
        let client = client_of(url)?;
        let inner = Arc::new(Inner {
            client,
            connection: Mutex::new(None),
            script: redis::Script::new(script::TAKE),
            healthy: AtomicBool::new(false),
            errors: AtomicU64::new(0),
            fail,
        });
        if let Err(e) = inner.reconnect().await {
            log(&format!(
                "shared limits (Redis) not reachable at the start ({e}); checks are answered --limits-fail {fail} until it is"
            ));
            inner.failed(&e);
        }
        tokio::spawn(keep_trying(Arc::downgrade(&inner)));
        Ok(FleetLimits { inner })
    }

    /// One atomic round trip (EVALSHA, falling back to EVAL on NOSCRIPT): spends `cost`
    /// against every limit and the credits, all or nothing (a refusal by any charges none).
    /// Without limits or credits there is nothing to ask and no round trip.
    pub async fn take(
        &self,
        key_id: &str,
        limits: &[RateLimit],
        credits: Option<&Credits>,
        cost: u64,
        now_ms: Millis,
    ) -> Result<FleetAnswer, FleetError> {
        script::check_request(key_id, limits, credits, cost, now_ms)?;
        if limits.is_empty() && credits.is_none() {
            return Ok(FleetAnswer {
                windows: Vec::new(),
                credits: None,
            });
        }
        let inner = &self.inner;
        let call = script::invocation(&inner.script, key_id, limits, credits, cost, now_ms);
        let reply = inner
            .round_trip(|mut con| async move { call.invoke_async::<redis::Value>(&mut con).await })
            .await
            .and_then(|value| script::read_reply(&value, limits));
        let reply = inner.settle(reply)?;
        Ok(FleetAnswer {
            windows: reply.windows,
            credits: reply
                .credits
                .zip(credits)
                .map(|((allowed, state), c)| CreditAnswer {
                    allowed,
                    remaining: state.remaining,
                    next_refill: state.next_refill(c),
                }),
        })
    }

    /// Each key's credits as Redis holds them (`None`: none stored, the key has not spent
    /// any), for writing back to the usage files. A refill due since the last check has not
    /// been applied: `CreditState::refreshed` gives what the next check will see.
    pub async fn credits_left(
        &self,
        key_ids: &[&str],
    ) -> Result<Vec<Option<CreditState>>, FleetError> {
        let mut out = Vec::with_capacity(key_ids.len());
        for batch in key_ids.chunks(CREDITS_BATCH) {
            let mut pipe = redis::pipe();
            for id in batch {
                pipe.cmd("HMGET")
                    .arg(script::credits_key(id))
                    .arg("r")
                    .arg("p");
            }
            let replies = self
                .inner
                .round_trip(|mut con| async move {
                    pipe.query_async::<Vec<redis::Value>>(&mut con).await
                })
                .await
                .and_then(|values| {
                    if values.len() != batch.len() {
                        return Err(FleetError::Reply(format!(
                            "{} answers to {} questions",
                            values.len(),
                            batch.len()
                        )));
                    }
                    values
                        .iter()
                        .map(script::read_credits)
                        .collect::<Result<Vec<_>, _>>()
                });
            out.extend(self.inner.settle(replies)?);
        }
        Ok(out)
    }

    /// The last round trip succeeded.
    pub fn healthy(&self) -> bool {
        self.inner.healthy.load(Ordering::Relaxed)
    }

    pub fn fail_mode(&self) -> FailMode {
        self.inner.fail
    }

    /// Round trips that failed since the start.
    pub fn errors(&self) -> u64 {
        self.inner.errors.load(Ordering::Relaxed)
    }
}

/// The client for a `redis://` URL. Messages never repeat the URL (it may hold a password).
fn client_of(url: &str) -> Result<redis::Client, FleetError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("redis") => {}
        Some("rediss") => {
            return Err(FleetError::Url(
                "TLS (rediss://) is not built in; reach Redis over a private network or a tunnel"
                    .into(),
            ));
        }
        _ => return Err(FleetError::Url("it does not start with redis://".into())),
    }
    redis::Client::open(url).map_err(|e| {
        FleetError::Url(match e.kind() {
            redis::ErrorKind::InvalidClientConfig => {
                "the host, port or database is not valid".into()
            }
            _ => "it cannot be read".into(),
        })
    })
}

impl Inner {
    /// Runs `call` on the connection within [`ROUND_TRIP`]; no connection is an error at
    /// once (the retry task makes one).
    async fn round_trip<T, F, Fut>(&self, call: F) -> Result<T, FleetError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let con = self
            .connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(con) = con else {
            return Err(FleetError::Unreachable("not connected".into()));
        };
        match tokio::time::timeout(ROUND_TRIP, call(con)).await {
            Ok(result) => result.map_err(FleetError::from),
            Err(_) => Err(FleetError::Unreachable(format!(
                "no answer within {} ms",
                ROUND_TRIP.as_millis()
            ))),
        }
    }

    /// Records how a check's round trip went (counted in `/metrics` when it failed).
    fn settle<T>(&self, result: Result<T, FleetError>) -> Result<T, FleetError> {
        match &result {
            Ok(_) => self.up(),
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                self.failed(e);
            }
        }
        result
    }

    fn up(&self) {
        if !self.healthy.swap(true, Ordering::Relaxed) {
            log("shared limits (Redis) reachable");
        }
    }

    fn failed(&self, e: &FleetError) {
        if self.healthy.swap(false, Ordering::Relaxed) {
            log(&format!("shared limits unhealthy: {e}"));
        }
        if e.is_connection() {
            *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    /// A new connection, checked with a PING.
    async fn reconnect(&self) -> Result<(), FleetError> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(ROUND_TRIP))
            .set_response_timeout(Some(ROUND_TRIP));
        let connect = async {
            let mut con = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("PING").query_async::<()>(&mut con).await?;
            Ok::<_, redis::RedisError>(con)
        };
        let con = match tokio::time::timeout(ROUND_TRIP * 2, connect).await {
            Ok(Ok(con)) => con,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(FleetError::Unreachable("no answer in time".into())),
        };
        *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = Some(con);
        self.up();
        Ok(())
    }

    /// PING on the connection there is, or a new one when there is none.
    async fn probe(&self) -> Result<(), FleetError> {
        let connected = self
            .connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        if !connected {
            return self.reconnect().await;
        }
        let ping = self
            .round_trip(
                |mut con| async move { redis::cmd("PING").query_async::<()>(&mut con).await },
            )
            .await;
        ping.map(|()| self.up())
    }
}

/// While the limits exist: a PING every [`RETRY_EVERY`] (a new connection when there is
/// none), so that health follows Redis without traffic, both ways.
async fn keep_trying(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(RETRY_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if let Err(e) = inner.probe().await {
            inner.failed(&e);
        }
    }
}
