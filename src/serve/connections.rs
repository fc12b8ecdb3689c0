//! Accepting and holding client connections: a cap on how many are open, a deadline for a
//! request to arrive once its first byte has (and for a new connection's first request), and
//! an idle deadline between keep-alive requests. A client that opens connections and never
//! finishes its headers is closed after the header deadline; one over the cap is closed at once.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

use super::log;

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

/// One open connection in the counts; dropping it closes the slot.
struct Slot(Arc<ConnectionStats>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves `router` on `listener` until `stopping` turns true; then each connection finishes
/// the request it is answering and closes (at most `grace` later, it is dropped).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    stats: Arc<ConnectionStats>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stopping.wait_for(|s| *s) => break,
            accepted = listener.accept() => accepted,
        };
        // Reap finished connections so the set does not grow with every client ever seen.
        while tasks.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
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
        let slot = Slot(Arc::clone(&stats));
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Timed::new(stream, limits, Arc::clone(&stats)));
        let service = TowerToHyperService::new(router.clone());
        let mut stopping = stopping.clone();
        tasks.spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            // The deadlines are the connection's own (below); hyper's header timer is off.
            builder.timer(TokioTimer::new()).header_read_timeout(None);
            let conn = builder.serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stopping.wait_for(|s| *s) => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(grace, conn).await;
        });
    }
    // Let answers under way finish, within the grace period.
    let _ = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
}

/// A connection's socket with its deadlines. Reading the first byte of a request (or opening
/// the connection) starts the request deadline; writing an answer starts the idle deadline.
/// A read or write that would wait past the deadline fails with `TimedOut`, which closes the
/// connection.
pub struct Timed {
    inner: TcpStream,
    limits: Limits,
    stats: Arc<ConnectionStats>,
    /// Waiting for (the rest of) a request; `false`: idle after an answer.
    in_request: bool,
    deadline: Instant,
    /// Wakes the connection at `deadline` or earlier: it is moved only when it fires early.
    timer: Pin<Box<Sleep>>,
}

impl Timed {
    fn new(inner: TcpStream, limits: Limits, stats: Arc<ConnectionStats>) -> Timed {
        let deadline = Instant::now() + limits.header_timeout;
        Timed {
            inner,
            limits,
            stats,
            in_request: true,
            deadline,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    /// `true` when the deadline has passed (the waker is registered otherwise).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            if Instant::now() >= self.deadline {
                self.stats.timed_out.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            // The timer was set for an earlier deadline: move it to the current one.
            let deadline = self.deadline;
            self.timer.as_mut().reset(deadline);
        }
    }

    fn timed_out() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, "the client was too slow")
    }
}

impl AsyncRead for Timed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if !self.in_request && buf.filled().len() > before {
                    self.in_request = true;
                    self.deadline = Instant::now() + self.limits.header_timeout;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(Timed::timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Timed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Ready(Ok(n)) => {
                if self.in_request && n > 0 {
                    self.in_request = false;
                    self.deadline = Instant::now() + self.limits.idle_timeout;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(Timed::timed_out())),
            other => other,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                if self.in_request && n > 0 {
                    self.in_request = false;
                    self.deadline = Instant::now() + self.limits.idle_timeout;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(Timed::timed_out())),
            other => other,
        }
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
