//! `keyward serve` against someone who can replace the files it reads or open connections to
//! it: another node's file swapped in, an old file put back across a restart, a FIFO at the
//! verifier path, thousands of half-sent requests, more connections than the cap. And `key
//! list` with a FIFO where a usage file belongs.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::serve::{self, Server, id, secret, wait_for};

/// A vault with a billing key published to `published/billing.json` (node acme/billing).
fn published() -> (Sandbox, serde_json::Value, PathBuf) {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "billing", &[]);
    let file = serve::publish(&s, "acme/billing", "published/billing.json");
    (s, key, file)
}

/// Writes `contents` over `path` the way a publish does: a temporary file renamed over it.
fn replace(path: &Path, contents: &[u8]) {
    let tmp = path.with_extension("swap");
    std::fs::write(&tmp, contents).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn another_nodes_file_swapped_in_is_refused_even_with_a_higher_serial() {
    let (s, billing, file) = published();
    // A full-access key at the workspace: not in the billing file.
    let admin = s.create_key("acme", "admin", &["--full-access"]);
    let server = Server::start(&[&file], &[]);
    assert_eq!(server.check(secret(&billing), &[]).status, 204);
    assert_eq!(server.check(secret(&admin), &[]).status, 401);

    // The workspace's export carries a higher serial, is signed by the same vault: only the
    // node differs.
    let foreign = s.path("admin.json");
    s.run(&[
        "export-verifier",
        "acme",
        "--output",
        foreign.to_str().expect("utf-8"),
    ])
    .ok();
    replace(&file, &std::fs::read(&foreign).expect("read"));
    let seen = wait_for(Duration::from_secs(3), || {
        server.metric("keyward_reloads_refused_by_reason_total{reason=\"foreign\"}") >= 1.0
    });
    assert!(
        seen.is_some(),
        "the swap was not refused\n{}",
        server.stderr()
    );
    assert_eq!(
        server.check(secret(&admin), &[]).status,
        401,
        "the admin key must not be accepted through the billing path"
    );
    assert_eq!(server.check(secret(&billing), &[]).status, 204);
    let health = server.get("/healthz", &[]).json();
    let refusal = &health["files"][0]["last_refusal"];
    assert_eq!(refusal["reason"], "foreign", "{health}");
    assert!(
        refusal["message"]
            .as_str()
            .is_some_and(|m| m.contains("node acme")),
        "{health}"
    );
    assert_eq!(server.metric("keyward_reloads_total"), 0.0);
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn an_older_file_put_back_across_a_restart_is_refused_unless_asked_for() {
    let (s, billing, file) = published();
    let before_revoke = std::fs::read(&file).expect("read");
    let server = Server::start(&[&file], &[]);
    assert_eq!(server.check(secret(&billing), &[]).status, 204);
    s.run(&["key", "revoke", id(&billing)]).ok();
    assert!(
        wait_for(Duration::from_secs(3), || server
            .check(secret(&billing), &[])
            .status
            == 401)
        .is_some(),
        "{}",
        server.stderr()
    );
    server.stop();

    // While serve is down, the file from before the revoke is put back.
    replace(&file, &before_revoke);
    let mut cmd = common::bin();
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--trust"])
        .arg(common::serve::trust_of(&[&file]))
        .arg("--verifier")
        .arg(&file)
        .env(
            "KEYWARD_SERVE_STATE",
            file.parent().expect("dir").join("serve-state"),
        );
    let out = cmd.output().expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "serve must refuse to start: {stderr}"
    );
    assert!(stderr.contains("older file was put back"), "{stderr}");
    assert!(stderr.contains("--accept-older-serial"), "{stderr}");

    // An operator who means to go back says so, and it is remembered.
    let server = Server::start(&[&file], &["--accept-older-serial"]);
    assert_eq!(server.check(secret(&billing), &[]).status, 204);
    assert!(server.logged("as asked"), "{}", server.stderr());
    server.stop();
    let server = Server::start(&[&file], &[]);
    assert_eq!(server.check(secret(&billing), &[]).status, 204);
    server.stop();
}

#[test]
fn a_fifo_swapped_in_neither_wedges_reloads_nor_shutdown() {
    let (s, billing, file) = published();
    let server = Server::start(&[&file], &[]);
    assert_eq!(server.check(secret(&billing), &[]).status, 204);

    let fifo = file.with_extension("fifo");
    mkfifo(&fifo);
    std::fs::rename(&fifo, &file).expect("rename the FIFO over the file");
    let seen = wait_for(Duration::from_secs(3), || {
        server.metric("keyward_reloads_refused_total") >= 1.0
    });
    assert!(
        seen.is_some(),
        "the FIFO was not looked at\n{}",
        server.stderr()
    );
    let health = server.get("/healthz", &[]).json();
    assert!(
        health["files"][0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("FIFO")),
        "{health}"
    );
    assert_eq!(server.check(secret(&billing), &[]).status, 204);

    // A revoke republishes a real file over the FIFO: it is served within two seconds.
    std::fs::remove_file(&file).expect("rm the FIFO");
    s.run(&["key", "revoke", id(&billing)]).ok();
    let took = wait_for(Duration::from_secs(2), || {
        server.check(secret(&billing), &[]).status == 401
    });
    assert!(
        took.is_some(),
        "the revoke was not served\n{}",
        server.stderr()
    );

    // And a FIFO again, then SIGTERM: the process ends within a second.
    mkfifo(&fifo);
    std::fs::rename(&fifo, &file).expect("rename");
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let (status, stderr) = server.stop();
    let took = started.elapsed();
    assert!(status.success(), "{stderr}");
    assert!(
        took < Duration::from_secs(1),
        "SIGTERM took {took:?}\n{stderr}"
    );
}

/// Raises this process's open-file limit (each held connection is a descriptor here too).
fn more_descriptors(want: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointers to an rlimit.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < want {
            limit.rlim_cur = want.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Opens `n` connections that each send half a request and never the rest.
fn half_sent(addr: &str, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut c = TcpStream::connect(addr).expect("connect");
            c.write_all(b"GET /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Api-Ke")
                .expect("write");
            c
        })
        .collect()
}

/// Whether the server closed this connection (reads end or fail) within `limit`.
fn closed_within(c: &mut TcpStream, limit: Duration) -> bool {
    c.set_read_timeout(Some(limit)).expect("timeout");
    let mut buf = [0u8; 512];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return true,
            // A 408 or similar before the close is fine; keep reading to the end.
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn three_thousand_half_sent_requests_do_not_stop_answers_and_are_closed_after_the_deadline() {
    more_descriptors(8192);
    let (_s, billing, file) = published();
    let server = Server::start(&[&file], &["--header-timeout", "5"]);
    let mut held = half_sent(&server.addr, 3000);
    assert!(
        wait_for(Duration::from_secs(15), || server
            .metric("keyward_connections_open")
            >= 3000.0)
        .is_some(),
        "{}",
        server.stderr()
    );
    // Answers go on while they are held (and they are still held after the answers).
    let health = server.get("/healthz", &[]);
    assert_eq!(health.status, 200);
    assert!(
        health.json()["connections"]
            .as_u64()
            .is_some_and(|n| n >= 3000),
        "{health:?}"
    );
    assert_eq!(server.check(secret(&billing), &[]).status, 204);
    assert!(server.metric("keyward_connections_open") >= 3000.0);
    // All of them are closed by the server after the deadline.
    for c in held.iter_mut().step_by(100) {
        assert!(
            closed_within(c, Duration::from_secs(10)),
            "a half-sent request was held"
        );
    }
    assert!(
        wait_for(Duration::from_secs(5), || server
            .metric("keyward_connections_timed_out_total")
            >= 3000.0)
        .is_some()
    );
    assert!(
        wait_for(Duration::from_secs(5), || server
            .metric("keyward_connections_open")
            < 10.0)
        .is_some()
    );
    drop(held);
    server.stop();
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_deadline_not_the_request_one() {
    let (_s, billing, file) = published();
    let server = Server::start(&[&file], &["--header-timeout", "1", "--idle-timeout", "3"]);
    let mut c = TcpStream::connect(&server.addr).expect("connect");
    let request = format!(
        "GET /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Api-Key {}\r\n\r\n",
        secret(&billing)
    );
    c.write_all(request.as_bytes()).expect("write");
    let mut buf = [0u8; 1024];
    c.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let n = c.read(&mut buf).expect("answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 204"));
    // Idle for longer than the request deadline: still open, and answers again.
    std::thread::sleep(Duration::from_millis(1800));
    c.write_all(request.as_bytes()).expect("write again");
    let n = c.read(&mut buf).expect("second answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 204"));
    // Then idle past the idle deadline: closed.
    let idle = Instant::now();
    assert!(closed_within(&mut c, Duration::from_secs(6)));
    let after = idle.elapsed();
    assert!(
        after > Duration::from_secs(2) && after < Duration::from_secs(5),
        "closed after {after:?}"
    );
    server.stop();
}

#[test]
fn connections_over_the_cap_are_closed_at_once_and_counted() {
    let (_s, billing, file) = published();
    let server = Server::start(
        &[&file],
        &["--max-connections", "20", "--metrics-listen", "127.0.0.1:0"],
    );
    let held = half_sent(&server.addr, 20);
    assert!(
        wait_for(Duration::from_secs(5), || server
            .get_metrics_elsewhere("keyward_connections_open")
            >= 20.0)
        .is_some(),
        "{}",
        server.stderr()
    );
    let mut extra = TcpStream::connect(&server.addr).expect("connect");
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        closed_within(&mut extra, Duration::from_secs(2)),
        "over the cap, yet served"
    );
    assert!(server.get_metrics_elsewhere("keyward_connections_refused_total") >= 1.0);
    // The clients' address does not serve /metrics once it has its own.
    drop(held);
    assert!(
        wait_for(Duration::from_secs(5), || server
            .get_metrics_elsewhere("keyward_connections_open")
            == 0.0)
        .is_some()
    );
    assert_eq!(server.check(secret(&billing), &[]).status, 204);
    assert_eq!(server.get("/metrics", &[]).status, 404);
    server.stop();
}

#[test]
fn key_list_returns_with_a_fifo_where_a_usage_file_belongs() {
    let (s, billing, file) = published();
    let usage = keyward::vault::usage_path(&file);
    mkfifo(&usage);
    let mut cmd = s.command();
    cmd.args(["key", "list", "acme/billing/prod"]);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let done = wait_for(Duration::from_secs(20), || {
        child.try_wait().expect("wait").is_some()
    });
    if done.is_none() {
        let _ = child.kill();
        panic!("key list hung on a FIFO at {}", usage.display());
    }
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("billing"));
    let shown = s.run(&["key", "show", id(&billing)]).ok();
    assert!(shown.stdout.contains("billing"));
}
