//! `cargo bench --bench fleet`: checks per second and latency of `FleetLimits::take` (one Lua
//! round trip) against a throwaway `redis-server` on loopback, with N concurrent tasks on one
//! connection, on serve's runtimes (one thread, as serve runs on 2 cores, and two). Two kinds
//! of key: one rate limit, and two rate limits with monthly credits. Every check is allowed
//! (1,000 keys, limits they do not reach), so each one writes.
//! `KEYWARD_BENCH_SECONDS` (default 3) per row.

#[path = "../tests/common/redis.rs"]
#[allow(dead_code)]
mod redis;

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward::serve::{FailMode, FleetLimits};
use keyward_verify::limits::{Credits, RateLimit, Refill, RefillPeriod, now_millis};

const KEYS: usize = 1_000;

struct Policy {
    name: &'static str,
    limits: Vec<RateLimit>,
    credits: Option<Credits>,
}

fn policies() -> Vec<Policy> {
    let limit = |t: &str| t.parse::<RateLimit>().expect("limit");
    vec![
        Policy {
            name: "1 limit",
            limits: vec![limit("100000/min")],
            credits: None,
        },
        Policy {
            name: "2 limits + credits",
            limits: vec![limit("100000/min"), limit("burst=10000/s")],
            credits: Some(Credits {
                initial: 1 << 40,
                refill: Some(Refill {
                    amount: 1 << 40,
                    period: RefillPeriod::Month,
                }),
            }),
        },
    ]
}

/// Checks per second, p50 and p99 (µs) for `tasks` tasks taking in a loop for `run`.
async fn measure(
    fleet: Arc<FleetLimits>,
    policy: Arc<Policy>,
    tasks: usize,
    run: Duration,
) -> (f64, u64, u64) {
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let fleet = Arc::clone(&fleet);
            let policy = Arc::clone(&policy);
            tokio::spawn(async move {
                let mut took = Vec::with_capacity(1 << 16);
                let mut i = t;
                while start.elapsed() < run {
                    let key = format!("bench{}", i % KEYS);
                    i += tasks;
                    let at = Instant::now();
                    let answer = fleet
                        .take(
                            &key,
                            &policy.limits,
                            policy.credits.as_ref(),
                            1,
                            now_millis(),
                        )
                        .await
                        .expect("take");
                    took.push(at.elapsed().as_micros() as u64);
                    assert!(answer.allowed(), "{answer:?}");
                }
                took
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("task"));
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    (all.len() as f64 / secs, pct(0.50), pct(0.99))
}

fn main() {
    let Some(server) = redis::start() else {
        eprintln!("no redis-server: nothing measured");
        return;
    };
    let seconds: u64 = std::env::var("KEYWARD_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let run = Duration::from_secs(seconds);
    println!(
        "{:<8} {:<20} {:>6} {:>12} {:>9} {:>9}",
        "runtime", "policy", "tasks", "checks/s", "p50 µs", "p99 µs"
    );
    for threads in [1, 2] {
        let runtime = if threads == 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .enable_all()
                .build()
        }
        .expect("runtime");
        let fleet = Arc::new(
            runtime
                .block_on(FleetLimits::connect(&server.url(), FailMode::Closed))
                .expect("connect"),
        );
        for policy in policies() {
            let policy = Arc::new(policy);
            for tasks in [1, 16, 64, 256] {
                let (rate, p50, p99) =
                    runtime.block_on(measure(Arc::clone(&fleet), Arc::clone(&policy), tasks, run));
                println!(
                    "{:<8} {:<20} {:>6} {:>12.0} {:>9} {:>9}",
                    format!("{threads} thr"),
                    policy.name,
                    tasks,
                    rate,
                    p50,
                    p99
                );
            }
        }
    }
}
