//! `keyward serve`, the real binary: every endpoint's status codes and headers, hot reload of
//! published verifier files (a revoke in the CLI is answered 401 within 2 s), refused bad
//! files, and usage written back so `key list` shows it.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::Sandbox;
use common::serve::{self, Keys, Server, id, request, secret, wait_for};
use keyward::vault::Secret;

/// A vault with three keys and a publish target for acme at `published/acme.verifier.json`.
fn published() -> (Sandbox, Keys, PathBuf) {
    serve::published("published/acme.verifier.json")
}

/// A second verifier file, signed by the same vault, holding one key that expired an hour
/// ago (minted with the vault's clock set back).
fn expired_file(s: &Sandbox) -> (PathBuf, Secret) {
    let now = keyward::vault::now();
    let mut v = keyward::vault::Vault::open(&s.vault, common::PASS).expect("open the vault");
    v.set_clock(std::sync::Arc::new(move || now - 7200));
    let ws = v.resolve("acme").expect("acme");
    let minted = v
        .create_key(
            ws.id,
            keyward::vault::NewKey::named("expired").expires_at(Some(now - 3600)),
        )
        .expect("key");
    let exported = v.export_verifier(Some(ws.id), None).expect("export");
    let path = s.dir.path().join("old.verifier.json");
    std::fs::write(&path, exported.file.to_json()).expect("write");
    (path, minted.secret)
}

#[test]
fn every_endpoint_answers_with_its_status_codes_and_headers() {
    let (s, keys, file) = published();
    let (old_file, old_secret) = expired_file(&s);
    let server = Server::start(&[&file, &old_file], &[]);

    // GET /v1/check: 204 valid, with the answer in headers, for every way to present a key.
    let rw = secret(&keys.rw);
    for (name, value) in [
        ("Authorization", format!("Api-Key {rw}")),
        ("Authorization", format!("Bearer {rw}")),
        ("Authorization", rw.to_owned()),
        ("X-Api-Key", rw.to_owned()),
    ] {
        let r = server.get("/v1/check?scope=write", &[(name, &value)]);
        assert_eq!(r.status, 204, "{name}: {value}: {r:?}");
        assert_eq!(r.header("x-keyward-result"), Some("valid"));
        assert_eq!(r.header("x-keyward-key-id"), Some(id(&keys.rw)));
        assert_eq!(r.header("x-keyward-scopes"), Some("read,write"));
    }
    let r = server.get(
        "/v1/check?scope=read&scope=write",
        &[("Authorization", &format!("Api-Key {rw}"))],
    );
    assert_eq!(r.status, 204, "{r:?}");

    // 403: the key is good but lacks a scope.
    let r = server.check(secret(&keys.ro), &["write"]);
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.header("x-keyward-result"), Some("insufficient_scope"));
    assert_eq!(r.header("x-keyward-key-id"), Some(id(&keys.ro)));
    assert_eq!(r.header("x-keyward-scopes"), Some("read"));
    assert_eq!(server.check(secret(&keys.ro), &["read"]).status, 204);

    // 401 for everything else, saying why.
    let unknown = Secret::generate("acme");
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![(
                "Authorization",
                format!("Api-Key {}", secret(&keys.revoked)),
            )],
            "revoked",
        ),
        (
            vec![("Authorization", format!("Api-Key {}", old_secret.expose()))],
            "expired",
        ),
        (
            vec![("Authorization", format!("Api-Key {}", unknown.expose()))],
            "not_found",
        ),
        (
            vec![("Authorization", "Api-Key acme_nope".to_owned())],
            "malformed",
        ),
        (
            vec![("Authorization", "Basic dXNlcjpwYXNz".to_owned())],
            "malformed",
        ),
        (vec![("X-Api-Key", format!("{rw}x"))], "malformed"),
        (vec![], "missing"),
        (vec![("Authorization", String::new())], "missing"),
    ];
    for (headers, result) in cases {
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = server.get("/v1/check", &h);
        assert_eq!(r.status, 401, "{headers:?}: {r:?}");
        assert_eq!(r.header("x-keyward-result"), Some(result), "{headers:?}");
        assert_eq!(r.header("www-authenticate"), Some("Api-Key"));
        assert_eq!(r.json()["result"], result);
    }
    let r = server.check(old_secret.expose(), &[]);
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(
        r.header("x-keyward-result"),
        Some("expired"),
        "from the second file"
    );

    // POST /v1/verify: the same JSON as `keyward --json verify`.
    for (key, scopes) in [
        (rw.to_owned(), vec!["write"]),
        (secret(&keys.ro).to_owned(), vec!["write"]),
        (secret(&keys.revoked).to_owned(), vec![]),
        (unknown.expose().to_owned(), vec![]),
        ("acme_short".to_owned(), vec![]),
    ] {
        let body = serde_json::json!({ "key": format!("Api-Key {key}"), "scopes": scopes });
        let r = server.post(
            "/v1/verify",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let trust = common::serve::trust_of(&[&file]);
        let cli = s.verify_file(&file, &trust, &key, &scopes).json();
        assert_eq!(r.json(), cli, "serve and the CLI disagree for {key}");
    }
    // No scopes field: none required.
    let r = server.post(
        "/v1/verify",
        &[],
        format!("{{\"key\":\"{rw}\"}}").as_bytes(),
    );
    assert_eq!(r.json()["result"], "valid");

    // 400 for a body that is not the request, 413 over 16 KiB, 405 and 404.
    for body in [
        &b"not json"[..],
        b"{}",
        b"{\"scopes\":[\"write\"]}",
        b"{\"key\": 5}",
        b"[]",
        b"",
        b"\xff\xfe",
    ] {
        let r = server.post("/v1/verify", &[], body);
        assert_eq!(r.status, 400, "{:?}: {r:?}", String::from_utf8_lossy(body));
        assert!(r.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let big = format!("{{\"key\":\"{rw}\",\"pad\":\"{}\"}}", "x".repeat(17 * 1024));
    let r = server.post("/v1/verify", &[], big.as_bytes());
    assert_eq!(r.status, 413, "{r:?}");
    assert!(r.json()["error"].as_str().is_some());
    let just_under = format!("{{\"key\":\"{rw}\",\"pad\":\"{}\"}}", "x".repeat(15 * 1024));
    assert_eq!(
        server.post("/v1/verify", &[], just_under.as_bytes()).status,
        200
    );
    assert_eq!(server.get("/v1/verify", &[]).status, 405);
    assert_eq!(server.post("/v1/check", &[], b"").status, 405);
    assert_eq!(server.get("/nope", &[]).status, 404);

    // GET /healthz: each file's serial, key count and age.
    let r = server.get("/healthz", &[]);
    assert_eq!(r.status, 200);
    let health = r.json();
    assert_eq!(health["status"], "ok");
    let files = health["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    // acme's three keys and the expired one minted for the second file, in both files.
    assert_eq!(files[0]["keys"], 4, "{health}");
    let sum: u64 = files
        .iter()
        .map(|f| f["keys"].as_u64().expect("keys"))
        .sum();
    assert_eq!(health["keys"], sum, "{health}");
    let newest = files
        .iter()
        .map(|f| f["serial"].as_u64().expect("serial"))
        .max();
    assert!(
        newest.is_some_and(|s| s > 0),
        "signed files carry a serial: {health}"
    );
    assert_eq!(health["serial"].as_u64(), newest);
    assert!(files[0]["file_age_seconds"].as_u64().is_some(), "{health}");
    assert!(files[0]["last_error"].is_null());

    // GET /metrics: Prometheus text with the checks by result.
    let r = server.get("/metrics", &[]);
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "{r:?}"
    );
    assert!(r.body.contains("# TYPE keyward_checks_total counter"));
    assert!(server.metric("keyward_checks_total{result=\"valid\"}") >= 7.0);
    assert_eq!(
        server.metric("keyward_checks_total{result=\"missing\"}"),
        2.0
    );
    assert!(server.metric("keyward_checks_total{result=\"insufficient_scope\"}") >= 2.0);
    assert_eq!(server.metric("keyward_reloads_total"), 0.0);
    assert_eq!(server.metric("keyward_reloads_refused_total"), 0.0);
    assert!(r.body.contains("keyward_verifier_serial{file="));

    let (status, stderr) = server.stop();
    assert!(status.success(), "serve exit {status:?}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stderr.contains(rw),
        "a secret appeared in the log:\n{stderr}"
    );
}

#[test]
fn a_revoke_in_the_cli_is_answered_401_within_two_seconds() {
    let (s, keys, file) = published();
    let server = Server::start(&[&file], &[]);
    let rw = secret(&keys.rw);
    assert_eq!(server.check(rw, &[]).status, 204);

    let started = Instant::now();
    s.run(&["key", "revoke", id(&keys.rw)]).ok();
    let command = started.elapsed();
    let delay = wait_for(Duration::from_secs(5), || {
        server.check(rw, &[]).status == 401
    });
    let delay = delay.unwrap_or_else(|| {
        panic!(
            "still not 401 five seconds after the revoke\n{}",
            server.stderr()
        )
    });
    let total = started.elapsed();
    println!(
        "revoke → 401: {} ms after `key revoke` returned ({} ms including the command)",
        delay.as_millis(),
        total.as_millis()
    );
    assert!(
        delay < Duration::from_secs(2),
        "the revoke took {delay:?} to reach serve (command: {command:?})"
    );
    let r = server.check(rw, &[]);
    assert_eq!(r.header("x-keyward-result"), Some("revoked"));
    assert_eq!(server.metric("keyward_reloads_total"), 1.0);
    server.stop();
}

#[test]
fn a_bad_file_is_refused_and_the_old_snapshot_keeps_serving_until_a_good_one() {
    let (s, keys, file) = published();
    let server = Server::start(&[&file], &[]);
    let rw = secret(&keys.rw);
    assert_eq!(server.check(rw, &[]).status, 204);

    let mut refused = 0.0;
    for bad in [
        &b"{ this is not json"[..],
        b"",
        b"{\"type\":\"keyward.verifier\",\"version\":99,\"exported_at\":\"\",\"keys\":[]}",
        b"{\"type\":\"keyward.verifier\",\"version\":1,\"exported_at\":\"\",\"keys\":[{\"key_id\":\"k\",\"sha256\":\"zz\",\"scopes\":[],\"expires_at\":null,\"revoked\":false}]}",
        &[0xff; 300],
    ] {
        // Written the way publish writes: a temporary file renamed over the old one.
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, bad).expect("write");
        std::fs::rename(&tmp, &file).expect("rename");
        refused += 1.0;
        let seen = wait_for(Duration::from_secs(3), || {
            server.metric("keyward_reloads_refused_total") >= refused
        });
        assert!(seen.is_some(), "the bad file was not looked at\n{}", server.stderr());
        assert_eq!(server.check(rw, &["write"]).status, 204, "old snapshot gone");
        assert_eq!(server.check(secret(&keys.revoked), &[]).status, 401);
        let health = server.get("/healthz", &[]).json();
        assert!(
            health["files"][0]["last_error"].as_str().is_some(),
            "{health}"
        );
    }
    // A missing file is refused too; the snapshot stays.
    std::fs::remove_file(&file).expect("rm");
    refused += 1.0;
    assert!(
        wait_for(Duration::from_secs(3), || server
            .metric("keyward_reloads_refused_total")
            >= refused)
        .is_some()
    );
    assert_eq!(server.check(rw, &[]).status, 204);

    // The next good file (the publish target rewritten by a change) is picked up.
    let new = s.create_key("acme/billing/prod", "new", &[]);
    let took = wait_for(Duration::from_secs(2), || {
        server.check(secret(&new), &[]).status == 204
    });
    assert!(
        took.is_some(),
        "the good file was not loaded\n{}",
        server.stderr()
    );
    assert_eq!(server.metric("keyward_reloads_total"), 1.0);
    assert!(server.get("/healthz", &[]).json()["files"][0]["last_error"].is_null());
    let (status, stderr) = server.stop();
    assert!(status.success());
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn row<'a>(list: &'a serde_json::Value, key_id: &str) -> &'a serde_json::Value {
    list.as_array()
        .and_then(|a| a.iter().find(|r| r["key_id"] == key_id))
        .unwrap_or_else(|| panic!("no {key_id} in {list}"))
}

#[test]
fn usage_through_serve_appears_in_key_list_and_key_show() {
    let (s, keys, file) = published();
    let usage = PathBuf::from(format!("{}.usage.json", file.display()));
    let before = s.run(&["--json", "key", "list"]).ok().json();
    assert!(row(&before, id(&keys.rw))["last_used_at"].is_null());
    assert!(row(&before, id(&keys.rw))["uses_24h"].is_null());

    let server = Server::start(&[&file], &["--usage-every", "1"]);
    let rw = secret(&keys.rw);
    for _ in 0..3 {
        assert_eq!(server.check(rw, &[]).status, 204);
    }
    let body = format!("{{\"key\":\"{rw}\"}}");
    for _ in 0..2 {
        assert_eq!(server.post("/v1/verify", &[], body.as_bytes()).status, 200);
    }
    assert_eq!(server.check(secret(&keys.ro), &["write"]).status, 403);
    // Written every second here (every 10 s by default), without stopping.
    assert!(
        wait_for(Duration::from_secs(5), || usage.exists()).is_some(),
        "no usage file\n{}",
        server.stderr()
    );
    let (status, _) = server.stop();
    assert!(status.success());

    let text = std::fs::read_to_string(&usage).expect("usage file");
    assert!(!text.contains(rw), "a secret in the usage file");
    let file_json: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(file_json["type"], "keyward.usage");
    assert_eq!(file_json["version"], 1);
    // Per day, each check that found the key by its outcome (the same checks as the counts).
    let outcomes = |key: &serde_json::Value| file_json["keys"][id(key)]["outcomes"].clone();
    assert_eq!(outcomes(&keys.rw)[0][1], serde_json::json!({ "valid": 5 }));
    assert_eq!(
        outcomes(&keys.ro)[0][1],
        serde_json::json!({ "insufficient_scope": 1 })
    );

    let list = s.run(&["--json", "key", "list"]).ok().json();
    let r = row(&list, id(&keys.rw));
    assert_eq!(r["uses_24h"], 5, "{r}");
    assert_eq!(r["uses_30d"], 5, "{r}");
    assert!(r["last_used_at"].as_str().is_some(), "{r}");
    assert_eq!(row(&list, id(&keys.ro))["uses_24h"], 1);
    assert!(row(&list, id(&keys.revoked))["uses_24h"].is_null());
    let show = s.run(&["key", "show", id(&keys.rw)]).ok().stdout;
    assert!(show.contains("5 in the last 24 hours"), "{show}");
    assert!(!show.contains("Last used:  never"), "{show}");

    // A restart adds to the counts already written (and flushes at SIGTERM).
    let server = Server::start(&[&file], &[]);
    assert_eq!(server.check(rw, &[]).status, 204);
    server.stop();
    let list = s.run(&["--json", "key", "list"]).ok().json();
    assert_eq!(row(&list, id(&keys.rw))["uses_24h"], 6);

    // A broken or hostile usage file is ignored: the list still works.
    for junk in [
        "{",
        "[1,2,3]",
        "{\"type\":\"keyward.usage\",\"version\":1,\"updated_at\":0,\"keys\":{\"x\":{\"hours\":\"no\"}}}",
    ] {
        std::fs::write(&usage, junk).expect("write");
        let list = s.run(&["--json", "key", "list"]).ok().json();
        assert!(row(&list, id(&keys.rw))["uses_24h"].is_null());
    }
    // And serve starts over from it rather than failing.
    let server = Server::start(&[&file], &[]);
    assert_eq!(server.check(rw, &[]).status, 204);
    server.stop();
    let list = s.run(&["--json", "key", "list"]).ok().json();
    assert_eq!(row(&list, id(&keys.rw))["uses_24h"], 1);
}

#[test]
fn serve_refuses_to_start_without_what_it_needs() {
    let (s, _keys, file) = published();
    let f = file.to_str().expect("utf-8");
    let run = |args: &[&str]| {
        let mut cmd = common::bin();
        cmd.env_remove("KEYWARD_TRUST").arg("serve").args(args);
        s.run_with(&mut cmd)
    };
    run(&["--verifier", f]).refused("--trust");
    run(&["--verifier", f, "--trust", "nope"]).refused("kwpk_");
    run(&["--trust", "kwpk_x"]).refused("--verifier");
    run(&["--verifier", "/no/such/file.json", "--trust", "kwpk_x"]).refused("cannot load");
    let bad = s.path("bad.json");
    std::fs::write(&bad, "{").expect("write");
    let trust = common::serve::trust_of(&[&file]);
    run(&[
        "--verifier",
        bad.to_str().expect("utf-8"),
        "--trust",
        &trust,
    ])
    .refused("not a Keyward verifier file");
    run(&[
        "--verifier",
        f,
        "--trust",
        &trust,
        "--listen",
        "256.0.0.1:1",
    ])
    .refused("cannot listen");
    // The trusted key may come from the environment.
    let mut cmd = common::bin();
    cmd.env("KEYWARD_TRUST", &trust)
        .args(["serve", "--listen", "127.0.0.1:0", "--verifier", f])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("read");
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let addr = line.trim().trim_start_matches("listening on http://");
    assert_eq!(request(addr, "GET", "/healthz", &[], b"").status, 200);
    common::serve::terminate(&child);
    assert!(child.wait().expect("wait").success());
}
