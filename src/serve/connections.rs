//! Accepting and holding client connections: a cap on how many are open, a deadline for a
//! request to arrive once its first byte has (and for a new connection's first request), and
//! an idle deadline between keep-alive requests. A client that opens connections and never
//! finishes its headers is closed after the header deadline; one over the cap is closed at once.
//!
//! Deadlines cost a request two relaxed atomic stores: each connection stamps when its phase
//! began, and one sweeper task, a few times per deadline, closes those past theirs.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::response::Response;
use hyper::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::lock::lock;
use super::stderr::log;

/// The limits a listener enforces.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From a request's first byte (or a connection's start) until it has been answered.
    pub header_timeout: Duration,
    /// Between the end of an answer and the next request's first byte.
    pub idle_timeout: Duration,
    /// Open connections; one more is closed as soon as it is accepted.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// Answers the requests it knows before the router sees them (serve's hot path, `/v1/check`:
/// axum's routing and extractors were a tenth of the instructions of a check), or hands them
/// back (`None`) to the router.
pub type FastPath = Arc<dyn Fn(&Request<Incoming>, Peer) -> Option<Response> + Send + Sync>;

/// An answer from the fast path, or the router's future.
enum Answer<F> {
    Ready(Option<Response>),
    Routed(Pin<Box<F>>),
}

impl<F> std::future::Future for Answer<F>
where
    F: std::future::Future<Output = Result<Response, std::convert::Infallible>>,
{
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Answer::Ready(response) => Poll::Ready(Ok(response
                .take()
                .expect("an answer is polled once it is ready"))),
            Answer::Routed(future) => future.as_mut().poll(cx),
        }
    }
}

/// Connection counts for `/metrics`.
#[derive(Default)]
pub struct ConnectionStats {
    pub open: AtomicUsize,
    pub accepted: AtomicU64,
    /// Closed at once because `max_connections` were open.
    pub refused: AtomicU64,
    /// Closed because a request did not arrive in time or the connection sat idle too long.
    pub timed_out: AtomicU64,
}

/// Milliseconds since the listener started, ticked by the sweeper: a connection stamps its
/// phase changes with it (one atomic load), never with a timer of its own.
struct Clock {
    start: std::time::Instant,
    now_ms: AtomicU64,
}

impl Clock {
    fn now(&self) -> u64 {
        self.now_ms.load(Ordering::Relaxed)
    }

    fn tick(&self) -> u64 {
        let now = self.start.elapsed().as_millis() as u64;
        self.now_ms.store(now, Ordering::Relaxed);
        now
    }
}

/// Set in [`Deadline::state`] while a request is awaited; the rest is when that phase began.
const IN_REQUEST: u64 = 1 << 63;

/// One connection's phase, shared by its socket (which stamps it) and the sweeper (which
/// closes the connection once the phase has lasted too long).
struct Deadline {
    state: AtomicU64,
    /// The connection ended by itself: the sweeper forgets it.
    closed: std::sync::atomic::AtomicBool,
}

struct Live {
    deadline: Arc<Deadline>,
    abort: tokio::task::AbortHandle,
}

type Registry = Arc<std::sync::Mutex<std::collections::HashMap<u64, Live>>>;

/// One open connection in the counts; dropping it closes the slot.
struct Slot {
    stats: Arc<ConnectionStats>,
    deadline: Arc<Deadline>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.deadline.closed.store(true, Ordering::Relaxed);
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves `router` on `listener` until `stopping` turns true; then each connection finishes
/// the request it is answering and closes (at most `grace` later, it is dropped).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    fast: Option<FastPath>,
    limits: Limits,
    stats: Arc<ConnectionStats>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let clock = Arc::new(Clock {
        start: std::time::Instant::now(),
        now_ms: AtomicU64::new(0),
    });
    let live: Registry = Arc::default();
    let sweeper = tokio::spawn(sweep(
        Arc::clone(&clock),
        Arc::clone(&live),
        limits,
        Arc::clone(&stats),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_id = 0u64;
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stopping.wait_for(|s| *s) => break,
            accepted = listener.accept() => accepted,
        };
        // Reap finished connections so the set does not grow with every client ever seen.
        while tasks.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok((stream, peer)) => (stream, Peer(peer.ip())),
            Err(e) => {
                // Out of descriptors (EMFILE) and the like: wait a little rather than spin.
                log(&format!("cannot accept a connection: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        if stats.open.fetch_add(1, Ordering::Relaxed) >= limits.max_connections {
            stats.open.fetch_sub(1, Ordering::Relaxed);
            stats.refused.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        }
        // A new connection owes its first request within the request deadline.
        let deadline = Arc::new(Deadline {
            state: AtomicU64::new(IN_REQUEST | clock.now()),
            closed: std::sync::atomic::AtomicBool::new(false),
        });
        let slot = Slot {
            stats: Arc::clone(&stats),
            deadline: Arc::clone(&deadline),
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Timed {
            inner: stream,
            deadline: Arc::clone(&deadline),
            clock: Arc::clone(&clock),
            in_request: true,
        });
        let routed = TowerToHyperService::new(router.clone());
        let fast = fast.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            match fast.as_ref().and_then(|answer| answer(&request, peer)) {
                Some(response) => Answer::Ready(Some(response)),
                None => {
                    // Only a routed request carries its peer along (an allocation the fast
                    // path does without).
                    request.extensions_mut().insert(peer);
                    Answer::Routed(Box::pin(hyper::service::Service::call(&routed, request)))
                }
            }
        });
        let mut stopping = stopping.clone();
        let abort = tasks.spawn(async move {
            let _slot = slot;
            let conn = hyper::server::conn::http1::Builder::new()
                // The deadlines are the sweeper's; hyper's own header timer stays off.
                .header_read_timeout(None)
                .serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stopping.wait_for(|s| *s) => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(grace, conn).await;
        });
        next_id += 1;
        lock(&live).insert(next_id, Live { deadline, abort });
    }
    sweeper.abort();
    // Let answers under way finish, within the grace period.
    let _ = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
}

/// The address a request's connection comes from (in the request's extensions): the client,
/// or a proxy in front of it (`--trusted-proxy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub std::net::IpAddr);

/// Several times per deadline, closes the connections whose phase lasted too long: a request
/// not received whole in `header_timeout`, or an idle connection past `idle_timeout`.
async fn sweep(clock: Arc<Clock>, live: Registry, limits: Limits, stats: Arc<ConnectionStats>) {
    let header = limits.header_timeout.as_millis() as u64;
    let idle = limits.idle_timeout.as_millis() as u64;
    let every = (limits.header_timeout.min(limits.idle_timeout) / 8)
        .clamp(Duration::from_millis(20), Duration::from_millis(250));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = clock.tick();
        lock(&live).retain(|_, c| {
            if c.deadline.closed.load(Ordering::Relaxed) {
                return false;
            }
            let state = c.deadline.state.load(Ordering::Relaxed);
            let (since, limit) = if state & IN_REQUEST != 0 {
                (state & !IN_REQUEST, header)
            } else {
                (state, idle)
            };
            if now.saturating_sub(since) < limit {
                return true;
            }
            c.abort.abort();
            stats.timed_out.fetch_add(1, Ordering::Relaxed);
            false
        });
    }
}

/// A connection's socket, stamping its phase: reading the first byte of a request starts the
/// request deadline, writing an answer starts the idle deadline.
pub struct Timed {
    inner: TcpStream,
    deadline: Arc<Deadline>,
    clock: Arc<Clock>,
    /// The phase as last stamped (a copy, so that most reads and writes touch no atomic).
    in_request: bool,
}

impl Timed {
    fn stamp(&mut self, in_request: bool) {
        self.in_request = in_request;
        let now = self.clock.now();
        let state = if in_request { IN_REQUEST | now } else { now };
        self.deadline.state.store(state, Ordering::Relaxed);
    }
}

impl AsyncRead for Timed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if !self.in_request && buf.filled().len() > before {
            self.stamp(true);
        }
        polled
    }
}

impl AsyncWrite for Timed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if self.in_request && matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.stamp(false);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if self.in_request && matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.stamp(false);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Raises this process's open-file limit to its hard limit: each connection is a descriptor,
/// and the default soft limit (often 1,024) is far below `max_connections`.
pub fn raise_file_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}
