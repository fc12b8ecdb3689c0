//! Three real `keyward serve` processes sharing one `redis-server` (`--limits`): a 100/min key
//! gets exactly 100 of 1,000 requests spread over them, and with Redis stopped each answers
//! as `--limits-fail` says and reports it in `/healthz`.

mod common;

use std::time::Duration;

use common::Sandbox;
use common::redis;
use common::serve::{Server, publish, secret, wait_for};

#[test]
fn three_instances_on_one_redis_hold_a_limit_exactly() {
    let Some(mut r) = redis::start() else { return };
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "partner", &["--rate-limit", "100/min"]);
    let plain = s.create_key("acme/billing/prod", "plain", &[]);
    let file = publish(&s, "acme", "published/acme.verifier.json");
    let url = r.url();
    let servers: Vec<Server> = (0..3)
        .map(|i| {
            Server::start(
                &[&file],
                &[
                    "--limits",
                    &url,
                    "--state-dir",
                    s.path(&format!("state-{i}")).to_str().expect("utf-8"),
                ],
            )
        })
        .collect();
    let mut allowed = 0;
    let mut limited = 0;
    for n in 0..1_000 {
        let r = servers[n % 3].check(secret(&key), &[]);
        match r.status {
            204 => allowed += 1,
            429 => {
                assert_eq!(r.header("x-keyward-result"), Some("rate_limited"), "{r:?}");
                limited += 1;
            }
            other => panic!("request {n}: {other}: {r:?}"),
        }
    }
    assert_eq!(
        (allowed, limited),
        (100, 900),
        "exactly the limit across three instances"
    );
    let ratelimit = servers[1].check(secret(&key), &[]);
    assert!(
        ratelimit
            .header("ratelimit")
            .is_some_and(|h| h.starts_with(r#""default";r=0;"#)),
        "{ratelimit:?}"
    );

    // Redis stopped: closed (the default) refuses keys with limits, and says so; a key without
    // limits is not counted and goes on working.
    r.stop();
    let closed = &servers[0];
    let refused = closed.check(secret(&key), &[]);
    assert_eq!(refused.status, 429, "{refused:?}");
    assert!(
        refused.body.contains("--limits-fail closed"),
        "{}",
        refused.body
    );
    assert_eq!(closed.check(secret(&plain), &[]).status, 204);
    assert!(
        wait_for(Duration::from_secs(5), || closed
            .get("/healthz", &[])
            .status
            == 503)
        .is_some(),
        "an instance that refuses every limited key tells the load balancer"
    );
    let health = closed.get("/healthz", &[]).json();
    assert_eq!(health["limits"]["reachable"], false, "{health}");
    assert_eq!(closed.metric("keyward_limits_backend_up"), 0.0);
    drop(servers);

    // open lets the limited key through uncounted while Redis is away.
    let open = Server::start(
        &[&file],
        &[
            "--limits",
            &url,
            "--limits-fail",
            "open",
            "--state-dir",
            s.path("state-open").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(open.check(secret(&key), &[]).status, 204);
    assert_eq!(open.get("/healthz", &[]).status, 200);
    // Back (empty: the test's Redis keeps nothing on disk): counted again, 429 after 100.
    r.restart();
    assert!(
        wait_for(Duration::from_secs(5), || open
            .check(secret(&key), &[])
            .status
            == 429)
        .is_some(),
        "counted again once Redis is back"
    );
}
