//! `cargo bench --bench team`: a team vault on a local PostgreSQL beside the same vault in a
//! SQLite file, medians at 10k / 100k keys (`KEYWARD_BENCH_SIZES=10000` to limit): unlock,
//! unlock + list all, create one key, verification through the vault, and two writers at full
//! speed (keys per second, and that none was lost). The server is a throwaway cluster with
//! PostgreSQL's durable defaults (fsync on), on a free loopback port; the file keeps
//! `synchronous=FULL`.

#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keyward::vault::{KdfParams, NewKey, Preset, Vault};

const PASS: &str = "benchmark passphrase";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

struct Row {
    unlock: Duration,
    unlock_list: Duration,
    create: Duration,
    verify_rate: f64,
    writers_rate: f64,
}

/// Fills a new vault at `path` with `n` keys; the secrets of every 97th.
fn fill(path: &Path, n: usize) -> (Vec<String>, keyward::vault::NodeId) {
    let mut vault = Vault::create(path, PASS, KdfParams::default()).expect("create");
    let ws = vault.add_workspace("bench", Preset::ReadWrite).expect("ws");
    let mut secrets = Vec::new();
    for chunk in 0..n.div_ceil(10_000) {
        let batch: Vec<NewKey> = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
            .map(|i| NewKey::named(format!("key-{i:06}")).scopes(["write"]))
            .collect();
        let minted = vault.create_keys(ws.id, batch).expect("bulk create");
        secrets.extend(
            minted
                .into_iter()
                .step_by(97)
                .map(|m| m.secret.expose().to_owned()),
        );
    }
    (secrets, ws.id)
}

fn measure(path: &Path, n: usize) -> Row {
    let (secrets, ws) = fill(path, n);
    let unlock = time(5, || Vault::open(path, PASS).expect("open"));
    let unlock_list = time(5, || {
        let v = Vault::open(path, PASS).expect("open");
        v.list_keys(None).expect("list").len()
    });
    let mut vault = Vault::open(path, PASS).expect("open");
    let mut i = 0;
    let create = time(51, || {
        i += 1;
        vault
            .create_key(ws, NewKey::named(format!("extra-{i}")))
            .expect("create")
    });
    for s in &secrets {
        vault.verify(s, &["read"]).expect("verify");
    }
    let checks = 20_000;
    let t = Instant::now();
    for k in 0..checks {
        std::hint::black_box(
            vault
                .verify(&secrets[k % secrets.len()], &["read"])
                .expect("v"),
        );
    }
    let verify_rate = checks as f64 / t.elapsed().as_secs_f64();
    let before = vault.list_keys(None).expect("list").len();
    drop(vault);
    let writers_rate = two_writers(path, ws, before);
    Row {
        unlock,
        unlock_list,
        create,
        verify_rate,
        writers_rate,
    }
}

/// Two processes' worth of writers (each its own connection) minting 200 keys each as fast as
/// they can; keys per second together, after checking all 400 are there and the vault is
/// whole.
fn two_writers(path: &Path, ws: keyward::vault::NodeId, before: usize) -> f64 {
    let per_writer = 200;
    let start = Instant::now();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let path: PathBuf = path.to_owned();
            std::thread::spawn(move || {
                let mut v = Vault::open(&path, PASS).expect("open");
                for i in 0..per_writer {
                    v.create_key(ws, NewKey::named(format!("writer{w}-{i}")))
                        .expect("create");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let rate = (2 * per_writer) as f64 / start.elapsed().as_secs_f64();
    let v = Vault::open(path, PASS).expect("open");
    assert_eq!(
        v.list_keys(None).expect("list").len(),
        before + 2 * per_writer,
        "a writer's key was lost"
    );
    assert!(
        v.doctor().expect("doctor").is_healthy(),
        "the vault is whole"
    );
    rate
}

fn main() {
    let sizes: Vec<usize> = std::env::var("KEYWARD_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let cluster = match pg::durable_cluster() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("no PostgreSQL to benchmark against: {why}");
            std::process::exit(1);
        }
    };
    println!(
        "{:>8} | {:>10} | {:>10} | {:>16} | {:>11} | {:>15} | {:>16}",
        "keys", "store", "unlock", "unlock+list all", "create one", "verify (vault)", "2 writers"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for &n in &sizes {
        let file = dir.path().join(format!("bench-{n}.keyward"));
        let server = PathBuf::from(cluster.new_database());
        let mut rows = Vec::new();
        for (store, path) in [("sqlite", &file), ("postgresql", &server)] {
            let row = measure(path, n);
            println!(
                "{:>8} | {:>10} | {:>10} | {:>16} | {:>11} | {:>13.0}/s | {:>12.0} keys/s",
                n,
                store,
                ms(row.unlock),
                ms(row.unlock_list),
                ms(row.create),
                row.verify_rate,
                row.writers_rate
            );
            rows.push(row);
        }
        println!(
            "{:>8} | {:>10} | {:>9.2}× | {:>15.2}× | {:>10.2}× | {:>14.2}× |",
            n,
            "pg/sqlite",
            rows[1].unlock.as_secs_f64() / rows[0].unlock.as_secs_f64(),
            rows[1].unlock_list.as_secs_f64() / rows[0].unlock_list.as_secs_f64(),
            rows[1].create.as_secs_f64() / rows[0].create.as_secs_f64(),
            rows[1].verify_rate / rows[0].verify_rate,
        );
    }
}
