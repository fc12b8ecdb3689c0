//! `keyward serve --access-log FILE` (or `-`, standard output): one JSON line per key check,
//! for journald, Vector or a SIEM:
//! `{"at":"…Z","at_unix":…,"route":"/v1/check","status":204,"result":"valid","key_id":"…","client":"…"}`.
//!
//! Never the presented key nor its hash: `key_id` is the id of a key the files know (null
//! when none is found, the key is malformed or missing), `result` the code `/metrics` and the
//! `X-Keyward-Result` header use (null for a request that is no check: a bad body).
//!
//! A check only queues its record (no allocation for a missing key id, no lock, no system
//! call); a thread of its own formats and writes the lines through a buffer, flushed at least
//! once a second and when serve stops, so a slow disk never stalls an answer. When the queue
//! is full the record is counted as lost and the count said on stderr.
//!
//! The file is opened for appending, created 0600, never through a symbolic link and only if
//! it is a regular file (a FIFO or device would block or never end).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::vault::{self, Timestamp};

use super::lock::lock;
use super::metrics::CheckResult;
use super::stderr::log;

/// Records waiting for the writer at most; more are lost (and counted) rather than waited for.
const QUEUE: usize = 64 * 1024;
/// How long a written line may sit in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// The writer's buffer.
const BUFFER: usize = 64 * 1024;

/// What one check answered, as the log has it.
#[derive(Clone, Debug)]
pub struct Check {
    pub at: Timestamp,
    pub route: &'static str,
    pub status: u16,
    /// `None`: the request was no check (a body that is not JSON, or too large).
    pub result: Option<CheckResult>,
    pub key_id: Option<String>,
    /// The client: the peer, or the address a trusted proxy (`--trusted-proxy`) reports.
    pub client: Option<IpAddr>,
}

impl Check {
    /// The line, without its newline.
    pub fn line(&self) -> String {
        json!({
            "at": vault::format_time(self.at),
            "at_unix": self.at,
            "route": self.route,
            "status": self.status,
            "result": self.result.map(CheckResult::as_str),
            "key_id": self.key_id,
            "client": self.client.map(|ip| ip.to_string()),
        })
        .to_string()
    }
}

enum Message {
    Check(Check),
    Close,
}

/// The open access log and its writer thread.
pub struct AccessLog {
    queue: SyncSender<Message>,
    writer: Mutex<Option<JoinHandle<()>>>,
    lost: Arc<AtomicU64>,
}

impl AccessLog {
    /// Opens `target` for appending (`-`: standard output) and starts the writer.
    pub fn open(target: &Path) -> io::Result<AccessLog> {
        let (out, name): (Box<dyn Write + Send>, String) = if target == Path::new("-") {
            (Box::new(io::stdout()), "standard output".into())
        } else {
            (
                Box::new(open_for_append(target)?),
                target.display().to_string(),
            )
        };
        let (queue, records) = std::sync::mpsc::sync_channel(QUEUE);
        let lost = Arc::new(AtomicU64::new(0));
        let writer = {
            let lost = Arc::clone(&lost);
            std::thread::Builder::new()
                .name("keyward-access-log".into())
                .spawn(move || {
                    write_lines(
                        &records,
                        BufWriter::with_capacity(BUFFER, out),
                        &name,
                        &lost,
                    )
                })?
        };
        Ok(AccessLog {
            queue,
            writer: Mutex::new(Some(writer)),
            lost,
        })
    }

    /// Queues a check's line; never waits.
    pub fn record(&self, check: Check) {
        match self.queue.try_send(Message::Check(check)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Writes what is queued, flushes and stops the writer (serve is stopping).
    pub fn close(&self) {
        let _ = self.queue.send(Message::Close);
        if let Some(writer) = lock(&self.writer).take() {
            let _ = writer.join();
        }
    }
}

/// The writer thread: lines through the buffer, a flush once a second at least, and a last
/// one at the end.
fn write_lines(
    records: &Receiver<Message>,
    mut out: BufWriter<Box<dyn Write + Send>>,
    name: &str,
    lost: &AtomicU64,
) {
    let mut failing = false;
    let outcome = |result: io::Result<()>, failing: &mut bool| match result {
        Ok(()) => {
            if std::mem::take(failing) {
                log(&format!("the access log {name} is written again"));
            }
        }
        Err(e) => {
            if !std::mem::replace(failing, true) {
                log(&format!(
                    "cannot write the access log {name} (lines are lost until it can): {e}"
                ));
            }
        }
    };
    let mut flushed = Instant::now();
    let mut lost_said = 0;
    loop {
        let wait = FLUSH_EVERY.saturating_sub(flushed.elapsed());
        let end = match records.recv_timeout(wait) {
            Ok(Message::Check(check)) => {
                let mut line = check.line();
                line.push('\n');
                outcome(out.write_all(line.as_bytes()), &mut failing);
                false
            }
            Ok(Message::Close) | Err(RecvTimeoutError::Disconnected) => true,
            Err(RecvTimeoutError::Timeout) => false,
        };
        if end || flushed.elapsed() >= FLUSH_EVERY {
            outcome(out.flush(), &mut failing);
            flushed = Instant::now();
            let now_lost = lost.load(Ordering::Relaxed);
            if now_lost > lost_said {
                log(&format!(
                    "the access log fell behind: {} checks were not logged",
                    now_lost - lost_said
                ));
                lost_said = now_lost;
            }
        }
        if end {
            return;
        }
    }
}

/// Opens `path` to append to (created 0600): never through a symbolic link, never blocking on
/// a FIFO, and only a regular file.
fn open_for_append(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let refused = |why: &str| io::Error::other(format!("{} {why}", path.display()));
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        match e.raw_os_error() {
            Some(libc::ELOOP) => return refused("is a symbolic link, which is not followed"),
            // Opening a FIFO with no reader for writing, without blocking.
            Some(libc::ENXIO) => return refused("is not a regular file"),
            _ => {}
        }
        io::Error::new(e.kind(), format!("{}: {e}", path.display()))
    })?;
    if !file.metadata()?.is_file() {
        return Err(refused("is not a regular file"));
    }
    #[cfg(unix)]
    keyward_verify::outside::clear_nonblocking(&file);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Outcome;

    #[test]
    fn a_line_has_every_field() {
        let check = Check {
            at: 1_796_000_000,
            route: "/v1/check",
            status: 403,
            result: Some(CheckResult::Answered(Outcome::InsufficientScope)),
            key_id: Some("kid_1".into()),
            client: Some("192.0.2.7".parse().expect("ip")),
        };
        let v: serde_json::Value = serde_json::from_str(&check.line()).expect("json");
        assert_eq!(v["at"], vault::format_time(1_796_000_000));
        assert_eq!(v["at_unix"], 1_796_000_000);
        assert_eq!(v["route"], "/v1/check");
        assert_eq!(v["status"], 403);
        assert_eq!(v["result"], "insufficient_scope");
        assert_eq!(v["key_id"], "kid_1");
        assert_eq!(v["client"], "192.0.2.7");
        let bad_body = Check {
            result: None,
            key_id: None,
            ..check
        };
        let v: serde_json::Value = serde_json::from_str(&bad_body.line()).expect("json");
        assert!(v["result"].is_null() && v["key_id"].is_null());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_or_a_fifo_is_refused_and_a_file_appended_to() {
        let dir = tempfile::tempdir().expect("dir");
        let real = dir.path().join("real.log");
        std::fs::write(&real, "before\n").expect("write");
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&real, &link).expect("link");
        let e = open_for_append(&link).expect_err("a link is refused");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("c");
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = open_for_append(&fifo).expect_err("a FIFO is refused");
        assert!(e.to_string().contains("not a regular file"), "{e}");

        let log = AccessLog::open(&real).expect("open");
        log.record(Check {
            at: 1,
            route: "/v1/verify",
            status: 200,
            result: Some(CheckResult::Missing),
            key_id: None,
            client: None,
        });
        log.close();
        let text = std::fs::read_to_string(&real).expect("read");
        assert!(text.starts_with("before\n{"), "{text}");
        assert_eq!(text.lines().count(), 2);
        use std::os::unix::fs::PermissionsExt as _;
        let created = dir.path().join("new.log");
        AccessLog::open(&created).expect("open").close();
        let mode = std::fs::metadata(&created)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
