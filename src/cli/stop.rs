//! What ends a command that runs until it is stopped (`log --follow`): Ctrl-C or SIGTERM, and
//! the reader of standard output going away while there is nothing to write.
//!
//! The signals only raise a flag the command's loop looks at, so it stops between two entries,
//! with what it printed flushed, and exits 0 (a service manager stopping it is no failure).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static REQUESTED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    REQUESTED.store(true, Ordering::Relaxed);
}

/// From now on, SIGINT and SIGTERM ask the command to stop instead of killing the process
/// (elsewhere Ctrl-C ends the process as before).
pub(super) fn on_signals() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let handler: extern "C" fn(libc::c_int) = on_signal;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(signal, handler as libc::sighandler_t);
        }
    }
}

/// Whether a signal asked the command to stop.
pub(super) fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Whether standard output is a pipe or terminal nobody reads any more (its reader exited, or
/// the terminal hung up), found without writing to it.
pub(super) fn stdout_gone() -> bool {
    #[cfg(unix)]
    {
        let mut fd = libc::pollfd {
            fd: libc::STDOUT_FILENO,
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no wait.
        let ready = unsafe { libc::poll(&mut fd, 1, 0) };
        ready > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Sleeps `total` in short steps; false as soon as the command should stop.
pub(super) fn sleep(total: Duration) -> bool {
    const STEP: Duration = Duration::from_millis(100);
    let mut left = total;
    while !left.is_zero() {
        if requested() || stdout_gone() {
            return false;
        }
        let step = left.min(STEP);
        std::thread::sleep(step);
        left -= step;
    }
    !(requested() || stdout_gone())
}
