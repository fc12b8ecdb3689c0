//! Rate limits and credits shared through a real `redis-server` (`serve --limits`): exactly N
//! allowed across instances, the same answers as the in-process limiter, all or nothing across
//! limits and credits, credits refilled at the UTC boundary, and Redis stopped, hung, restarted
//! or answering nonsense: an error and an unhealthy report, never a panic or a hang.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::redis::{self, Redis};
use keyward::serve::{FailMode, FleetError, FleetLimits};
use keyward_verify::limits::{CreditState, Credits, Limiter, RateLimit, Refill, RefillPeriod};

/// 2026-01-31T23:59:59Z, in seconds, and in milliseconds.
const JAN_31_LAST: i64 = 1_769_903_999;
const T0: u64 = 1_769_900_000_000;

fn limit(text: &str) -> RateLimit {
    text.parse().expect("a rate limit")
}

async fn connect(r: &Redis) -> FleetLimits {
    FleetLimits::connect(&r.url(), FailMode::Closed)
        .await
        .expect("connect")
}

/// Waits up to `limit` for `ready`, looking every 50 ms.
async fn eventually(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ready()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_allow_exactly_the_limit_between_them() {
    let Some(r) = redis::start() else { return };
    let instances = Arc::new([connect(&r).await, connect(&r).await, connect(&r).await]);
    let limits = Arc::new([limit("100/min")]);
    let tasks: Vec<_> = (0..1_000u64)
        .map(|i| {
            let instances = Arc::clone(&instances);
            let limits = Arc::clone(&limits);
            tokio::spawn(async move {
                let fleet = &instances[(i % 3) as usize];
                // Spread over 10 s of one minute window, in no particular order.
                let now = T0 + (i * 7_919) % 10_000;
                fleet
                    .take("key1", &limits[..], None, 1, now)
                    .await
                    .expect("take")
                    .allowed()
            })
        })
        .collect();
    let mut allowed = 0;
    for t in tasks {
        allowed += usize::from(t.await.expect("task"));
    }
    assert_eq!(allowed, 100);
    // Another key has a window of its own.
    let other = instances[0]
        .take("key2", &limits[..], None, 1, T0)
        .await
        .unwrap();
    assert!(other.allowed());
}

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn redis_answers_as_the_in_process_limiter_does() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let limiter = Limiter::new();
    let limits = [limit("5/s"), limit("hour=12/10s"), limit("big=40/1min")];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut now = T0;
    for step in 0..1_500 {
        // Bursts in one millisecond, gaps of up to 3 s, costs 0 to 6 (over some limits).
        now += match rng.below(4) {
            0 => 0,
            1 => rng.below(50),
            2 => rng.below(700),
            _ => rng.below(3_000),
        };
        let cost = rng.below(7);
        let key = ["a", "b"][rng.below(2) as usize];
        let expected = limiter.take(key, &limits, cost, now);
        let got = fleet.take(key, &limits, None, cost, now).await.unwrap();
        assert_eq!(
            got.windows, expected,
            "step {step}: key {key}, cost {cost}, at {now}"
        );
    }
}

#[tokio::test]
async fn every_limit_must_allow_and_a_refusal_charges_none() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let limits = [limit("100/min"), limit("burst=2/s")];
    for at in [0, 10] {
        let a = fleet.take("k", &limits, None, 1, T0 + at).await.unwrap();
        assert!(a.allowed(), "{a:?}");
    }
    let third = fleet.take("k", &limits, None, 1, T0 + 20).await.unwrap();
    assert!(!third.allowed());
    assert!(third.windows[0].allowed && !third.windows[1].allowed);
    assert_eq!(
        third.windows[0].remaining, 98,
        "the refusal charged the minute"
    );
    assert_eq!(third.windows[1].retry_after_ms, Some(980));
    let later = fleet.take("k", &limits, None, 1, T0 + 1_000).await.unwrap();
    assert!(later.allowed());
    assert_eq!(later.windows[0].remaining, 97);
    // More than a limit can ever allow: refused, and never worth a retry.
    let never = fleet.take("k", &limits, None, 3, T0 + 5_000).await.unwrap();
    assert_eq!(never.windows[1].retry_after_ms, None);
}

fn monthly() -> Credits {
    Credits {
        initial: 3,
        refill: Some(Refill {
            amount: 5,
            period: RefillPeriod::Month,
        }),
    }
}

#[tokio::test]
async fn credits_are_spent_refused_and_refilled_at_the_month_boundary() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let credits = monthly();
    let ms = |secs: i64| u64::try_from(secs).unwrap() * 1_000;
    let take = |cost, at| fleet.take("k", &[], Some(&credits), cost, ms(at));
    let a = take(2, JAN_31_LAST - 50).await.unwrap();
    let c = a.credits.expect("credits");
    assert!(c.allowed && a.allowed());
    assert_eq!(c.remaining, 1);
    assert_eq!(c.next_refill, Some(JAN_31_LAST + 1));
    let refused = take(2, JAN_31_LAST).await.unwrap();
    assert!(!refused.allowed());
    assert_eq!(refused.credits.unwrap().remaining, 1);
    // The first second of February refills to the amount (not on top), once in the month.
    let feb = take(2, JAN_31_LAST + 1).await.unwrap();
    assert!(feb.allowed());
    assert_eq!(feb.credits.unwrap().remaining, 3);
    take(3, JAN_31_LAST + 2).await.unwrap();
    let later = take(1, JAN_31_LAST + 20 * 86_400).await.unwrap();
    assert!(!later.allowed());
    let left = fleet.credits_left(&["k", "never-used"]).await.unwrap();
    assert_eq!(
        left,
        [
            Some(CreditState {
                remaining: 0,
                period_start: JAN_31_LAST + 1
            }),
            None
        ]
    );
    // More ids than one round trip asks for: every one answered, in order.
    let ids: Vec<String> = (0..1_100).map(|i| format!("id{i}")).collect();
    let mut asked: Vec<&str> = ids.iter().map(String::as_str).collect();
    asked[700] = "k";
    let left = fleet.credits_left(&asked).await.unwrap();
    assert_eq!(left.len(), 1_100);
    assert!(
        left.iter()
            .enumerate()
            .all(|(i, c)| c.is_some() == (i == 700))
    );
}

#[tokio::test]
async fn credits_and_windows_are_charged_together_or_not_at_all() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let limits = [limit("2/min")];
    let credits = Credits {
        initial: 3,
        refill: None,
    };
    let a = fleet
        .take("k", &limits, Some(&credits), 2, T0)
        .await
        .unwrap();
    assert!(a.allowed());
    assert_eq!(a.credits.unwrap().remaining, 1);
    // The window refuses: the credit is not spent.
    let b = fleet
        .take("k", &limits, Some(&credits), 1, T0 + 1)
        .await
        .unwrap();
    assert!(!b.allowed() && b.credits.unwrap().allowed);
    assert_eq!(b.credits.unwrap().remaining, 1);
    // The credits refuse: the window is not charged.
    let c = fleet
        .take("k", &limits, Some(&credits), 2, T0 + 60_000)
        .await
        .unwrap();
    assert!(!c.allowed() && c.windows[0].allowed);
    assert_eq!(
        c.windows[0].remaining, 2,
        "the first 2 left the window, this 2 was not charged"
    );
    let d = fleet
        .take("k", &limits, Some(&credits), 1, T0 + 60_000)
        .await
        .unwrap();
    assert!(d.allowed());
    assert_eq!(
        (d.windows[0].remaining, d.credits.unwrap().remaining),
        (1, 0)
    );
}

#[tokio::test]
async fn every_key_has_a_ttl_and_one_hash_tag() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let credits = Credits {
        initial: 3,
        refill: None,
    };
    let now = keyward_verify::limits::now_millis();
    fleet
        .take("k9", &[limit("burst=2/s")], Some(&credits), 1, now)
        .await
        .unwrap();
    let keys = redis_cli(&r, &["--scan"]);
    let mut keys: Vec<&str> = keys.lines().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["kw:{k9}:c", "kw:{k9}:w:burst"]);
    for key in keys {
        let ttl: i64 = redis_cli(&r, &["PTTL", key]).trim().parse().unwrap();
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
    }
}

#[tokio::test]
async fn a_burst_in_one_millisecond_takes_one_entry() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let limits = [limit("1000000/min")];
    for _ in 0..2_000 {
        fleet.take("k", &limits, None, 1, T0).await.unwrap();
    }
    let last = fleet.take("k", &limits, None, 1, T0).await.unwrap();
    assert_eq!(last.windows[0].remaining, 1_000_000 - 2_001);
    // One request entry (its cost 2,001) and the window's total.
    assert_eq!(redis_cli(&r, &["ZCARD", "kw:{k}:w:default"]).trim(), "2");
}

/// Runs `redis-cli` against the server (the tests' own look behind the library's back).
fn redis_cli(r: &Redis, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &r.port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn nonsense_stored_in_redis_is_an_error_not_a_panic() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let credits = Credits {
        initial: 3,
        refill: None,
    };
    redis_cli(&r, &["HSET", "kw:{k}:c", "r", "lots", "p", "0"]);
    let e = fleet
        .take("k", &[], Some(&credits), 1, T0)
        .await
        .unwrap_err();
    assert!(matches!(e, FleetError::Server(_)), "{e}");
    assert!(fleet.credits_left(&["k"]).await.is_err());
    // A window of the wrong type.
    redis_cli(&r, &["SET", "kw:{k}:w:default", "x"]);
    let e = fleet
        .take("k", &[limit("1/s")], None, 1, T0)
        .await
        .unwrap_err();
    assert!(matches!(e, FleetError::Server(_)), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_is_an_error_and_unhealthy_then_restarted_works_again() {
    let Some(mut r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let limits = [limit("10/min")];
    assert!(
        fleet
            .take("k", &limits, None, 1, T0)
            .await
            .unwrap()
            .allowed()
    );
    assert!(fleet.healthy());
    r.stop();
    let started = Instant::now();
    let e = fleet.take("k", &limits, None, 1, T0 + 1).await.unwrap_err();
    assert!(matches!(e, FleetError::Unreachable(_)), "{e}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!fleet.healthy());
    assert!(fleet.errors() >= 1);
    assert_eq!(fleet.fail_mode(), FailMode::Closed);
    // Without a connection a check fails at once, not after a timeout.
    let started = Instant::now();
    assert!(fleet.take("k", &limits, None, 1, T0 + 2).await.is_err());
    assert!(started.elapsed() < Duration::from_millis(400));
    r.restart();
    // The PINGs bring health back without a single check.
    assert!(eventually(Duration::from_secs(5), || fleet.healthy()).await);
    let a = fleet.take("k", &limits, None, 1, T0 + 3).await.unwrap();
    assert!(a.allowed());
    // Redis restarted empty (no persistence in the test): the script was loaded again.
    assert_eq!(a.windows[0].remaining, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_redis_without_traffic() {
    let Some(mut r) = redis::start() else { return };
    let fleet = connect(&r).await;
    assert!(fleet.healthy());
    r.stop();
    assert!(eventually(Duration::from_secs(5), || !fleet.healthy()).await);
    r.restart();
    assert!(eventually(Duration::from_secs(5), || fleet.healthy()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_is_given_up_on_within_the_round_trip_deadline() {
    let Some(r) = redis::start() else { return };
    let fleet = connect(&r).await;
    let limits = [limit("10/min")];
    fleet.take("k", &limits, None, 1, T0).await.unwrap();
    r.pause(3_000);
    let started = Instant::now();
    let e = fleet.take("k", &limits, None, 1, T0 + 1).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, FleetError::Unreachable(_)), "{e}");
    assert!(took < Duration::from_millis(600), "{took:?}");
    assert!(!fleet.healthy());
    assert!(eventually(Duration::from_secs(8), || fleet.healthy()).await);
}

#[tokio::test]
async fn unreachable_at_the_start_is_not_an_error_and_a_bad_url_is() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let fleet = FleetLimits::connect(&format!("redis://127.0.0.1:{port}/"), FailMode::Open)
        .await
        .expect("an unreachable server is not an error at the start");
    assert!(!fleet.healthy());
    assert_eq!(fleet.fail_mode(), FailMode::Open);
    let e = fleet
        .take("k", &[limit("1/s")], None, 1, T0)
        .await
        .unwrap_err();
    assert!(matches!(e, FleetError::Unreachable(_)));
    for bad in [
        "http://127.0.0.1/",
        "rediss://:hunter2@127.0.0.1/",
        "redis://:hunter2@127.0.0.1:99999/",
        "redis://:hunter2@127.0.0.1/notadb",
        "127.0.0.1:6379",
    ] {
        let Err(e) = FleetLimits::connect(bad, FailMode::Closed).await else {
            panic!("{bad} was taken");
        };
        let text = e.to_string();
        assert!(matches!(e, FleetError::Url(_)), "{bad}: {text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert_eq!("open".parse::<FailMode>().unwrap(), FailMode::Open);
    assert_eq!("Closed".parse::<FailMode>().unwrap().to_string(), "closed");
    assert!("maybe".parse::<FailMode>().is_err());
}

/// A server that speaks enough of Redis's protocol to be connected to, then answers every
/// script with `reply` (or nothing at all, when it is empty).
fn hostile_redis(reply: &'static [u8]) -> u16 {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || {
                let mut out = stream.try_clone().expect("clone");
                let mut input = BufReader::new(stream);
                let mut line = String::new();
                // Commands are arrays of bulk strings: *N, then $LEN and the bytes, N times.
                loop {
                    line.clear();
                    if input.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let n: usize = line.trim().get(1..).unwrap_or("").parse().unwrap_or(0);
                    let mut words = Vec::new();
                    for _ in 0..n {
                        line.clear();
                        input.read_line(&mut line).unwrap_or(0);
                        let len: usize = line.trim().get(1..).unwrap_or("").parse().unwrap_or(0);
                        let mut word = vec![0; len + 2];
                        if input.read_exact(&mut word).is_err() {
                            return;
                        }
                        word.truncate(len);
                        words.push(String::from_utf8_lossy(&word).to_uppercase());
                    }
                    let answer: &[u8] = match words.first().map(String::as_str) {
                        Some("PING") => b"+PONG\r\n",
                        Some("EVALSHA" | "EVAL") => reply,
                        _ => b"+OK\r\n",
                    };
                    if out.write_all(answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_nonsense_is_an_error_not_a_panic_or_a_hang() {
    let limits = [limit("10/min"), limit("burst=2/s")];
    let credits = monthly();
    let replies: [&[u8]; 10] = [
        b"*3\r\n:1\r\n:2\r\n:3\r\n",
        b"$5\r\nhello\r\n",
        b":-1\r\n",
        b"*13\r\n:1\r\n:1\r\n:1\r\n:5\r\n:0\r\n:1\r\n:99\r\n:0\r\n:-1\r\n:1\r\n:1\r\n:0\r\n:-1\r\n",
        b"*13\r\n:1\r\n:1\r\n:1\r\n:5\r\n:0\r\n*1\r\n:1\r\n:9\r\n:0\r\n:-1\r\n:1\r\n:1\r\n:0\r\n:-1\r\n",
        b"*13\r\n:1\r\n:1\r\n:1\r\n:9223372036854775807\r\n:0\r\n:1\r\n:9\r\n:0\r\n:-1\r\n:1\r\n:1\r\n:0\r\n:-1\r\n",
        b"*-1\r\n",
        b"-ERR boom\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
        b"",
    ];
    for reply in replies {
        let port = hostile_redis(reply);
        let fleet = FleetLimits::connect(&format!("redis://127.0.0.1:{port}/"), FailMode::Closed)
            .await
            .expect("connect");
        assert!(fleet.healthy(), "PING answered");
        let started = Instant::now();
        let got = fleet.take("k", &limits, Some(&credits), 1, T0).await;
        let shown = String::from_utf8_lossy(reply);
        assert!(got.is_err(), "{shown:?} was taken: {got:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "{shown:?}");
        assert!(!fleet.healthy(), "{shown:?}");
    }
}

/// `keyward serve --limits` over a published file, and the value of a `/healthz` body.
fn serve_with_limits(url: &str, fail: &str) -> (common::Sandbox, common::serve::Server) {
    let (s, _keys, file) = common::serve::published("published/acme.verifier.json");
    let server = common::serve::Server::start(&[&file], &["--limits", url, "--limits-fail", fail]);
    (s, server)
}

fn limits_health(server: &common::serve::Server) -> (u16, serde_json::Value) {
    let r = server.get("/healthz", &[]);
    let body = r.json();
    (r.status, body)
}

#[test]
fn serve_reports_redis_in_healthz_and_metrics_and_follows_it() {
    let Some(mut r) = redis::start() else { return };
    let (_s, server) = serve_with_limits(&r.url(), "closed");
    let (status, body) = limits_health(&server);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["limits"],
        serde_json::json!({"backend": "redis", "reachable": true, "fail": "closed"})
    );
    assert!(
        body["files"].is_array(),
        "the rest of the report is kept: {body}"
    );
    assert_eq!(server.metric("keyward_limits_backend_up"), 1.0);
    assert_eq!(server.metric("keyward_limits_backend_errors_total"), 0.0);
    // Redis goes away: within the PING interval the instance says so, and a load balancer
    // is told to send the traffic elsewhere (fail closed).
    r.stop();
    let down = common::serve::wait_for(Duration::from_secs(5), || {
        limits_health(&server).1["limits"]["reachable"] == false
    });
    assert!(down.is_some(), "{}", limits_health(&server).1);
    let (status, body) = limits_health(&server);
    assert_eq!((status, &body["status"]), (503, &"unavailable".into()));
    assert_eq!(server.metric("keyward_limits_backend_up"), 0.0);
    assert!(server.logged("shared limits unhealthy"));
    r.restart();
    let up = common::serve::wait_for(Duration::from_secs(5), || limits_health(&server).0 == 200);
    assert!(up.is_some(), "{}", limits_health(&server).1);
    assert_eq!(server.metric("keyward_limits_backend_up"), 1.0);
}

#[test]
fn serve_starts_without_redis_fail_open_says_degraded_and_recovers() {
    let Some(mut r) = redis::start() else { return };
    r.stop();
    let (_s, server) = serve_with_limits(&r.url(), "open");
    let (status, body) = limits_health(&server);
    assert_eq!(status, 200, "fail open still answers every check: {body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["limits"]["reachable"], false);
    assert_eq!(body["limits"]["fail"], "open");
    assert!(server.logged("not reachable at the start"));
    r.restart();
    let up = common::serve::wait_for(Duration::from_secs(5), || {
        limits_health(&server).1["status"] == "ok"
    });
    assert!(up.is_some(), "{}", limits_health(&server).1);
}

#[test]
fn serve_refuses_a_bad_limits_url_without_repeating_it() {
    let (s, _keys, file) = common::serve::published("published/acme.verifier.json");
    let trust = common::serve::trust_of(&[&file]);
    let out = common::bin()
        .args(["serve", "--trust", &trust, "--listen", "127.0.0.1:0"])
        .arg("--verifier")
        .arg(&file)
        .env("KEYWARD_SERVE_STATE", s.dir.path().join("state"))
        .env("KEYWARD_LIMITS", "rediss://:hunter2@10.0.0.1/")
        .output()
        .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--limits must be redis://"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let out = common::bin()
        .args(["serve", "--trust", &trust, "--verifier"])
        .arg(&file)
        .args(["--limits-fail", "maybe"])
        .output()
        .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("say open or closed"), "{stderr}");
}
