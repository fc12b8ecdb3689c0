//! `keyward serve --access-log`: a JSON line per key check (time, route, status, result, key
//! id, client address), flushed while serve runs and at its stop, never the key or its hash.

mod common;

use std::time::Duration;

use common::serve::{self, Server, id, secret, trust_of, wait_for};
use serde_json::Value;

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect()
}

#[test]
fn every_check_lands_in_the_log_with_its_fields_and_never_the_key() {
    let (s, keys, file) = serve::published("published/acme.verifier.json");
    let log = s.path("access.jsonl");
    std::fs::write(&log, "").expect("an existing log is appended to");
    let server = Server::start(&[&file], &["--access-log", log.to_str().expect("utf-8")]);
    let (rw, ro, gone) = (secret(&keys.rw), secret(&keys.ro), secret(&keys.revoked));

    assert_eq!(server.check(rw, &["write"]).status, 204);
    assert_eq!(server.check(ro, &["write"]).status, 403);
    assert_eq!(server.check(gone, &[]).status, 401);
    assert_eq!(server.check("kw_not_a_key", &[]).status, 401);
    assert_eq!(server.get("/v1/check", &[]).status, 401);
    assert_eq!(server.get("/v1/check?cost=lots", &[]).status, 400);
    let body = format!(r#"{{"key": "{ro}", "scopes": ["read"]}}"#);
    assert_eq!(server.post("/v1/verify", &[], body.as_bytes()).status, 200);
    assert_eq!(server.post("/v1/verify", &[], b"{not json").status, 400);
    // Not checks: not logged.
    assert_eq!(server.get("/healthz", &[]).status, 200);
    assert_eq!(server.get("/nowhere", &[]).status, 404);

    // Flushed while serve runs (once a second), not only when it stops.
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_for(Duration::from_secs(5), || read().lines().count() == 8).is_some(),
        "eight lines within the flush interval: {}",
        read()
    );
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");

    let text = read();
    for presented in [rw, ro, gone, "kw_not_a_key"] {
        assert!(
            !text.contains(presented),
            "a presented key in the log: {text}"
        );
    }
    // The hashes the file holds (hex, in its signed payload) are nowhere in the log.
    let verifier = std::fs::read_to_string(&file).expect("verifier file");
    let hashes: Vec<&str> = regex::Regex::new("[0-9a-f]{64}")
        .expect("regex")
        .find_iter(&verifier)
        .map(|m| m.as_str())
        .collect();
    assert!(hashes.len() >= 3, "the file's key hashes");
    for hash in hashes {
        assert!(!text.contains(hash), "a key's hash in the log");
    }
    let entries = lines(&text);
    let fields = [
        "at", "at_unix", "route", "status", "result", "key_id", "client",
    ];
    for e in &entries {
        let names: Vec<&str> = e
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, fields, "{e}");
        assert_eq!(e["client"], "127.0.0.1", "{e}");
        let at = keyward::vault::parse_time(e["at"].as_str().expect("at")).expect("RFC 3339");
        assert_eq!(Some(at), e["at_unix"].as_i64());
        assert!((keyward::vault::now() - at).abs() < 120, "{e}");
    }
    let seen: Vec<(&str, u64, Option<&str>, Option<&str>)> = entries
        .iter()
        .map(|e| {
            (
                e["route"].as_str().unwrap_or_default(),
                e["status"].as_u64().unwrap_or_default(),
                e["result"].as_str(),
                e["key_id"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("/v1/check", 204, Some("valid"), Some(id(&keys.rw))),
            (
                "/v1/check",
                403,
                Some("insufficient_scope"),
                Some(id(&keys.ro))
            ),
            ("/v1/check", 401, Some("revoked"), Some(id(&keys.revoked))),
            ("/v1/check", 401, Some("malformed"), None),
            ("/v1/check", 401, Some("missing"), None),
            ("/v1/check", 400, None, None),
            ("/v1/verify", 200, Some("valid"), Some(id(&keys.ro))),
            ("/v1/verify", 400, None, None),
        ]
    );
}

#[test]
fn the_log_on_standard_output_names_the_client_a_trusted_proxy_gives_and_a_link_is_refused() {
    let (s, keys, file) = serve::published("published/acme.verifier.json");
    let server = Server::start(
        &[&file],
        &["--access-log", "-", "--trusted-proxy", "127.0.0.1/32"],
    );
    let auth = format!("Api-Key {}", secret(&keys.rw));
    let r = server.get(
        "/v1/check",
        &[("Authorization", &auth), ("X-Forwarded-For", "203.0.113.9")],
    );
    assert_eq!(r.status, 204);
    assert!(
        wait_for(Duration::from_secs(5), || server
            .stdout()
            .contains(r#""result":"valid""#))
        .is_some(),
        "stdout: {}",
        server.stdout()
    );
    let logged = lines(&server.stdout());
    assert_eq!(logged.len(), 1);
    assert_eq!(
        logged[0]["client"], "203.0.113.9",
        "the client the proxy names"
    );
    let (status, _) = server.stop();
    assert!(status.success());

    // A link planted where the log goes: serve does not start rather than write through it.
    let target = s.path("elsewhere.txt");
    std::fs::write(&target, "").expect("write");
    let link = s.path("planted.jsonl");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&target, &link).expect("link");
        let trust = trust_of(&[&file]);
        let r = s.run_with(common::bin().args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trust",
            &trust,
            "--verifier",
            file.to_str().expect("utf-8"),
            "--access-log",
            link.to_str().expect("utf-8"),
        ]));
        r.refused("symbolic link");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "");
    }
}
