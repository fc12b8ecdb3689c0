//! Key limits through the real `keyward serve`: rate limits answered 429 with `Retry-After`
//! and the IETF `RateLimit` headers, credits spent by `?cost=N` and kept across a restart,
//! addresses outside a key's networks refused 403, and `X-Forwarded-For` believed only from a
//! `--trusted-proxy`.

mod common;

use common::Sandbox;
use common::serve::{Server, id, publish, secret};

/// A vault with keys carrying each limit, published to `published/acme.verifier.json`.
fn limited() -> (
    Sandbox,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
    std::path::PathBuf,
) {
    let s = Sandbox::with_tree();
    let rated = s.create_key("acme/billing/prod", "rated", &["--rate-limit", "3/min"]);
    let paid = s.create_key(
        "acme/billing/prod",
        "paid",
        &["--credits", "5", "--refill", "5/month"],
    );
    let office = s.create_key("acme/billing/prod", "office", &["--allow-ip", "10.0.0.0/8"]);
    let file = publish(&s, "acme", "published/acme.verifier.json");
    (s, rated, paid, office, file)
}

#[test]
fn a_rate_limited_key_gets_exactly_its_limit_then_429_with_the_headers() {
    let (_s, rated, _, _, file) = limited();
    let text = std::fs::read_to_string(&file).expect("published");
    assert!(
        text.contains(r#""version": 3"#),
        "limits make a version 3 file: {text}"
    );
    let server = Server::start(&[&file], &[]);
    for n in 0..3 {
        let r = server.check(secret(&rated), &[]);
        assert_eq!(r.status, 204, "check {n}: {r:?}");
        assert_eq!(r.header("ratelimit-policy"), Some(r#""default";q=3;w=60"#));
        assert_eq!(
            r.header("ratelimit"),
            Some(format!(r#""default";r={};t=60"#, 2 - n).as_str())
        );
    }
    let r = server.check(secret(&rated), &[]);
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.header("x-keyward-result"), Some("rate_limited"));
    assert_eq!(r.header("x-keyward-key-id"), Some(id(&rated)));
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((55..=60).contains(&retry), "{retry}");
    assert!(
        r.header("ratelimit")
            .is_some_and(|h| h.starts_with(r#""default";r=0;"#))
    );
    assert_eq!(r.json()["result"], "rate_limited");
    // /v1/verify says the same, with what is left.
    let body = serde_json::json!({ "key": secret(&rated) }).to_string();
    let r = server.post(
        "/v1/verify",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["result"], "rate_limited");
    assert_eq!(v["limits"]["rate"][0]["remaining"], 0);
    assert_eq!(v["limits"]["rate"][0]["limit"], 3);
    assert!(v["limits"]["rate"][0]["retry_after"].as_u64().is_some());
    assert_eq!(
        server.metric(r#"keyward_checks_total{result="rate_limited"}"#),
        2.0
    );
    assert_eq!(
        server.metric(r#"keyward_checks_total{result="valid"}"#),
        3.0
    );
    // A cost above any limit is refused as a bad request, not charged.
    let r = server.get(
        "/v1/check?cost=abc",
        &[("Authorization", &format!("Api-Key {}", secret(&rated)))],
    );
    assert_eq!(r.status, 400, "{r:?}");
}

#[test]
fn credits_are_spent_by_cost_and_kept_across_a_restart() {
    let (s, _, paid, _, file) = limited();
    let auth = format!("Api-Key {}", secret(&paid));
    let server = Server::start(&[&file], &["--usage-every", "1"]);
    let r = server.get("/v1/check?cost=3", &[("Authorization", &auth)]);
    assert_eq!(r.status, 204, "{r:?}");
    let r = server.get("/v1/check?cost=3", &[("Authorization", &auth)]);
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.header("x-keyward-result"), Some("usage_exceeded"));
    assert_eq!(r.json()["limits"]["credits"]["remaining"], 2);
    let refill_in: u64 = r
        .header("retry-after")
        .expect("until the refill")
        .parse()
        .expect("secs");
    assert!(refill_in > 0 && refill_in <= 31 * 86_400, "{refill_in}");
    assert!(r.header("ratelimit").is_none(), "no rate limit on this key");
    assert_eq!(
        server
            .get("/v1/check?cost=2", &[("Authorization", &auth)])
            .status,
        204
    );
    // Stopped and started again on the same state folder: nothing is left.
    let (status, _) = server.stop();
    assert!(status.success());
    // What is left was written back beside the file: the vault shows it, and Health says the
    // key is out of credits.
    let shown = s.run(&["--json", "key", "show", id(&paid)]).ok().json();
    assert_eq!(shown["credits_left"], 0, "{shown}");
    let text = s.run(&["key", "show", id(&paid)]).ok().stdout;
    assert!(text.contains("Credits:    0 left"), "{text}");
    let health = s.run(&["health"]).stdout;
    let block: Vec<&str> = health
        .lines()
        .skip_while(|l| !l.starts_with("out_of_credits (1)"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(block.iter().any(|l| l.contains("'paid'")), "{health}");
    let again = Server::start(&[&file], &[]);
    let r = again.get("/v1/check", &[("Authorization", &auth)]);
    assert_eq!(r.status, 429, "credits came back after a restart: {r:?}");
    assert_eq!(r.header("x-keyward-result"), Some("usage_exceeded"));
    assert_eq!(
        again
            .get("/v1/check?cost=0", &[("Authorization", &auth)])
            .status,
        204
    );
}

#[test]
fn an_address_outside_the_keys_networks_is_forbidden_and_forwarded_headers_need_trust() {
    let (_s, _, _, office, file) = limited();
    let auth = format!("Api-Key {}", secret(&office));
    let plain = Server::start(&[&file], &[]);
    let r = plain.get("/v1/check", &[("Authorization", &auth)]);
    assert_eq!(r.status, 403, "127.0.0.1 is not in 10.0.0.0/8: {r:?}");
    assert_eq!(r.header("x-keyward-result"), Some("forbidden"));
    // From a peer nobody trusts, a forwarded address is not believed.
    let r = plain.get(
        "/v1/check",
        &[("Authorization", &auth), ("X-Forwarded-For", "10.1.2.3")],
    );
    assert_eq!(r.status, 403, "{r:?}");
    drop(plain);
    let behind = Server::start(&[&file], &["--trusted-proxy", "127.0.0.1/32"]);
    for (header, value, status) in [
        ("X-Forwarded-For", "10.1.2.3", 204),
        ("X-Forwarded-For", "203.0.113.9, 10.1.2.3", 204),
        ("X-Forwarded-For", "10.1.2.3, 203.0.113.9", 403),
        ("X-Real-IP", "10.9.9.9", 204),
        ("X-Forwarded-For", "not an address", 403),
    ] {
        let r = behind.get("/v1/check", &[("Authorization", &auth), (header, value)]);
        assert_eq!(r.status, status, "{header}: {value}: {r:?}");
    }
    let body = serde_json::json!({ "key": secret(&office) }).to_string();
    let r = behind.post(
        "/v1/verify",
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", "10.0.0.1"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.json()["result"], "valid", "{r:?}");
}

#[test]
fn a_bad_trusted_proxy_stops_the_start_with_a_clear_message() {
    let (s, _, _, _, file) = limited();
    let trust = s.run(&["verifier-key"]).ok().stdout.trim().to_owned();
    let r = s.run(&[
        "serve",
        "--trust",
        &trust,
        "--verifier",
        file.to_str().expect("utf-8"),
        "--listen",
        "127.0.0.1:0",
        "--trusted-proxy",
        "nonsense",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--trusted-proxy"), "{}", r.stderr);
}
