//! Running `keyward serve` from tests: start it on a free port, talk HTTP/1.1 to it with a
//! plain TCP client, stop it with SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Sandbox;

/// Any non-empty `kwpk_` key: today's verifier files are not signed.
/// A key no vault signs with: what tests pass when the files cannot say whose they are.
pub const TRUST: &str = "kwpk_test";

/// The public key the first verifier file says it is signed with (`public_key`), so a test
/// trusts the vault that published it; [`TRUST`] when there is none.
pub fn trust_of(verifiers: &[&Path]) -> String {
    verifiers
        .first()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["public_key"].as_str().map(str::to_owned))
        .unwrap_or_else(|| TRUST.to_owned())
}

/// The key-file JSON of the keys of [`published`].
pub struct Keys {
    /// read + write
    pub rw: serde_json::Value,
    /// read only
    pub ro: serde_json::Value,
    pub revoked: serde_json::Value,
}

pub fn secret(key: &serde_json::Value) -> &str {
    key["key_secret"].as_str().expect("key_secret")
}

pub fn id(key: &serde_json::Value) -> &str {
    key["key_id"].as_str().expect("key_id")
}

/// The published vault the serve tests share: acme/billing/prod with three keys (`rw` with
/// scope write, `ro`, and `gone`, revoked), acme published to `file` in the sandbox.
pub fn published(file: &str) -> (Sandbox, Keys, PathBuf) {
    let s = Sandbox::with_tree();
    let rw = s.create_key("acme/billing/prod", "rw", &["--scope", "write"]);
    let ro = s.create_key("acme/billing/prod", "ro", &[]);
    let revoked = s.create_key("acme/billing/prod", "gone", &[]);
    s.run(&["key", "revoke", id(&revoked)]).ok();
    let file = publish(&s, "acme", file);
    (s, Keys { rw, ro, revoked }, file)
}

/// Publishes `node` to `file` in the sandbox (its folder made first); the file's path.
pub fn publish(s: &Sandbox, node: &str, file: &str) -> PathBuf {
    let file = s.path(file);
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    s.run(&["publish", "add", node, file.to_str().expect("utf-8")])
        .ok();
    file
}

pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    stderr: Arc<Mutex<String>>,
    /// What serve wrote on stdout after its `listening on` line (`--access-log -`).
    stdout: Arc<Mutex<String>>,
    /// The thread copying serve's stderr into `stderr`; it ends when serve does.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }
}

impl Server {
    /// Starts `keyward serve` on `127.0.0.1:0` over `verifiers`, with `extra` arguments, and
    /// waits for its `listening on` line.
    pub fn start(verifiers: &[&Path], extra: &[&str]) -> Server {
        let mut cmd = super::bin();
        let trust = trust_of(verifiers);
        cmd.args(["serve", "--trust", &trust, "--listen", "127.0.0.1:0"]);
        for v in verifiers {
            cmd.arg("--verifier").arg(v);
        }
        // The highest serials served are kept beside the first file (a restart on the same
        // files sees them), never in the OS state folder of whoever runs the tests.
        if let Some(dir) = verifiers.first().and_then(|v| v.parent()) {
            cmd.env("KEYWARD_SERVE_STATE", dir.join("serve-state"));
        }
        cmd.args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn keyward serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_reader = {
            let pipe = child.stderr.take().expect("stderr");
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                    s.push_str(&line);
                    s.push('\n');
                }
            })
        };
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let later = Arc::new(Mutex::new(String::new()));
        {
            let sink = Arc::clone(&later);
            std::thread::spawn(move || {
                let mut lines = BufReader::new(stdout).lines();
                let _ = tx.send(lines.next());
                for line in lines.map_while(Result::ok) {
                    let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                    s.push_str(&line);
                    s.push('\n');
                }
            });
        }
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "serve did not say where it listens: {other:?}\nstderr: {}",
                    stderr.lock().map(|s| s.clone()).unwrap_or_default()
                );
            }
        };
        let addr = line
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .trim()
            .to_owned();
        Server {
            child,
            addr,
            stderr,
            stdout: later,
            stderr_reader: Some(stderr_reader),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Serve's standard output after its `listening on` line, as read so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Whether serve's log says `needle` within 5 s: the thread reading its stderr runs
    /// behind what serve has already done.
    pub fn logged(&self, needle: &str) -> bool {
        wait_for(Duration::from_secs(5), || self.stderr().contains(needle)).is_some()
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        request(&self.addr, "GET", path, headers, b"")
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        request(&self.addr, "POST", path, headers, body)
    }

    /// `GET /v1/check` with `Authorization: Api-Key <secret>`.
    pub fn check(&self, secret: &str, scopes: &[&str]) -> Response {
        let query: Vec<String> = scopes.iter().map(|s| format!("scope={s}")).collect();
        let path = format!("/v1/check?{}", query.join("&"));
        self.get(&path, &[("Authorization", &format!("Api-Key {secret}"))])
    }

    /// One value from `/metrics`, e.g. `keyward_reloads_total`.
    pub fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics", &[]).body;
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
    }

    /// One value from `/metrics` on the `--metrics-listen` address (read from the log).
    pub fn get_metrics_elsewhere(&self, name: &str) -> f64 {
        // serve logs the address before it says where it listens, but the thread that reads
        // its stderr may not have got the line yet.
        let find = |log: &str| {
            log.lines()
                .find_map(|l| l.split("metrics on http://").nth(1))
                .and_then(|rest| rest.strip_suffix("/metrics"))
                .map(str::to_owned)
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = loop {
            let log = self.stderr();
            if let Some(addr) = find(&log) {
                break addr;
            }
            if Instant::now() > deadline {
                panic!("serve did not say where /metrics is:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = request(&addr, "GET", "/metrics", &[], b"").body;
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
    }

    /// SIGTERM, then waits (10 s at most) for a clean exit; returns its status and stderr.
    pub fn stop(mut self) -> (ExitStatus, String) {
        terminate(&self.child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // Every line serve wrote, not just those read so far.
                if let Some(reader) = self.stderr_reader.take() {
                    let _ = reader.join();
                }
                return (status, self.stderr());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "serve did not stop within 10 s of SIGTERM\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn terminate(child: &Child) {
    #[cfg(unix)]
    {
        let pid = libc::pid_t::try_from(child.id()).expect("pid");
        // SAFETY: kill takes plain integers; the pid is our own child, not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// One HTTP/1.1 request on a new connection (`Connection: close`).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    // The server may answer (413) and close before reading all of a large body.
    let _ = stream.write_all(&bytes);
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) if !raw.is_empty() => break,
            Err(e) => panic!("reading the response to {method} {path}: {e}"),
        }
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in {head:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        data = &data[end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

/// Waits up to `limit` for `ready`, looking every 20 ms; returns how long it took.
pub fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if ready() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A program the test needs: its path, or `None` after a loud SKIPPED line, or a failure when
/// `require_env` is set to 1.
pub fn program(name: &str, candidates: &[&str], require_env: &str, test: &str) -> Option<String> {
    let found = candidates.iter().map(|c| c.to_string()).find(|c| {
        std::process::Command::new(c)
            .arg(if name == "nginx" { "-v" } else { "--version" })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if found.is_none() {
        if std::env::var(require_env).as_deref() == Ok("1") {
            panic!("{name} is required ({require_env}=1) but was not found");
        }
        eprintln!(
            "\n*** SKIPPED {test}: {name} is not installed (set {require_env}=1 to make this a failure) ***\n"
        );
    }
    found
}

/// The fenced block after `<!-- recipe: NAME -->` in the README.
pub fn readme_recipe(name: &str) -> String {
    let readme = include_str!("../../README.md");
    let marker = format!("<!-- recipe: {name} -->");
    let start = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README has no {marker}"));
    let rest = &readme[start + marker.len()..];
    let open = rest.find("```").expect("a fenced block after the marker");
    let rest = &rest[open + 3..];
    let body_start = rest.find('\n').expect("fence line") + 1;
    let rest = &rest[body_start..];
    let close = rest.find("\n```").expect("closing fence");
    rest[..close + 1].to_owned()
}
