//! A throwaway `redis-server` for one test: a free loopback port, its own temp dir, nothing
//! saved to disk; stopped when dropped, and stoppable and restartable on the same port
//! mid-test (Redis going away under a running `serve`).
//!
//! Without `redis-server` installed, tests that need it are SKIPPED loudly and pass, unless
//! `KEYWARD_REQUIRE_REDIS=1` (CI), where they fail.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REQUIRE: &str = "KEYWARD_REQUIRE_REDIS";

pub struct Redis {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// A running server, or `None` (after a loud SKIP line) when `redis-server` is not installed
/// and not required.
pub fn start() -> Option<Redis> {
    match try_start() {
        Ok(r) => Some(r),
        Err(why) => {
            if std::env::var(REQUIRE).is_ok_and(|v| v == "1") {
                panic!("{REQUIRE}=1 but no Redis server could be started: {why}");
            }
            eprintln!(
                "SKIPPED: no Redis server for this test ({why}); set {REQUIRE}=1 to fail instead"
            );
            None
        }
    }
}

fn bin() -> Option<PathBuf> {
    let found = Command::new("sh")
        .args(["-c", "command -v redis-server"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    found.or_else(|| {
        let usual = PathBuf::from("/usr/bin/redis-server");
        usual.exists().then_some(usual)
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn try_start() -> Result<Redis, String> {
    let bin = bin().ok_or("redis-server is not installed (apt-get install redis-server)")?;
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let mut redis = Redis {
        port: free_port(),
        bin,
        dir,
        child: None,
    };
    redis.spawn()?;
    Ok(redis)
}

impl Redis {
    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let child = Command::new(&self.bin)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--protected-mode", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.dir.path().join("log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server: {e}"))?;
        watchdog(child.id());
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.ping() {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
                return Err(format!("redis-server exited ({status}): {log}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer PING within 10 s".into())
    }

    /// Whether the server answers PING (a raw RESP exchange, no client library).
    pub fn ping(&self) -> bool {
        use std::io::{Read as _, Write as _};
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 16];
        s.write_all(b"PING\r\n").is_ok()
            && s.read(&mut buf)
                .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
    }

    /// Stops the server (SIGKILL: as a crash or a pulled cable would), keeping the port.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return,
                // The port may linger a moment after the kill.
                Err(e) if Instant::now() > deadline => panic!("redis-server restart: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Pauses every client for `ms` (CLIENT PAUSE): a server that hangs instead of dying.
    pub fn pause(&self, ms: u64) {
        use std::io::{Read as _, Write as _};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        s.write_all(format!("CLIENT PAUSE {ms} ALL\r\n").as_bytes())
            .expect("pause");
        let mut buf = [0u8; 16];
        let n = s.read(&mut buf).expect("pause answer");
        assert!(
            buf[..n].starts_with(b"+OK"),
            "CLIENT PAUSE answered {buf:?}"
        );
    }
}

/// Kills the server once this test process has ended, even if it ends without unwinding.
fn watchdog(server: u32) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; grep -q redis-server /proc/{server}/cmdline 2>/dev/null && kill -9 {server}",
        pid = std::process::id()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
