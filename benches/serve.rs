//! `keyward serve` against nginx on the same machine (SPEC 8: at least 0.9x nginx's `return
//! 204` requests per second, p99 at most 1.5x nginx's, and at most 20% lower while 3,000
//! half-sent connections are held), with a 100,000-key verifier file. Rounds alternate.
//!
//! ```sh
//! cargo bench --bench serve
//! ```
//!
//! Needs `wrk` and `nginx` (Debian: `wrk nginx-light`); without them it says so and stops.
//! `KEYWARD_BENCH_KEYS` (100000), `KEYWARD_BENCH_SECONDS` (5), `KEYWARD_BENCH_THREADS` (serve's
//! worker threads besides the default; a comma list compares several, default "1"),
//! `KEYWARD_BENCH_ROUNDS` (5), `KEYWARD_BENCH_PIN` (1: with two cores or more, wrk runs on the
//! first core and nginx and serve on the last, so the load generator and the server under test
//! never share a core and both servers get the same one; 0 lets the scheduler place them).
//!
//! Also a serve over the same number of keys each carrying a 100/min rate limit, against serve
//! without limits in the same rounds (the policy target is at least 0.8x): every key checked in
//! turn by a wrk script (each within its limit: 204 with the RateLimit headers), against the
//! same over the keys without limits; and one key checked past its limit (every answer a 429
//! with its JSON and headers), against one key without. Ratios are also given round by round
//! (the same round's runs), as their median. Last, `serve --limits redis://…` against a
//! throwaway `redis-server` (when installed): one key with two rate limits and credits it never
//! reaches, every check a round trip that writes (the target: at least 20,000 checks/s with p99
//! under 2 ms).

#[path = "../tests/common/redis.rs"]
#[allow(dead_code)]
mod redis;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keyward::serve::{Config, load_snapshot};
use keyward::vault::{KdfParams, NewKey, Preset, Vault};
use keyward_verify::limits::KeyLimits;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn found(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A verifier file of `n` keys; returns the secret of one in the middle.
/// A signed verifier file of `n` keys from a vault made for the bench; returns one key's
/// secret and the public key to trust.
/// Writes a verifier file of `n` keys (with `limits`, if any); the secret of one key in the
/// middle, every key's secret, and the vault's public key.
fn write_verifier(
    path: &Path,
    n: usize,
    limits: Option<&KeyLimits>,
) -> (String, Vec<String>, String) {
    let mut v = Vault::create(
        &path.with_extension("keyward"),
        "bench passphrase",
        KdfParams::new(8, 1).expect("kdf"),
    )
    .expect("vault");
    let ws = v.add_workspace("bench", Preset::ReadWrite).expect("ws");
    let mut chosen = String::new();
    let mut secrets = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(10_000) {
        let batch: Vec<NewKey> = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
            .map(|i| {
                let key = NewKey::named(format!("key-{i:07}")).scopes(["write"]);
                match limits {
                    Some(l) => key.limits(l.clone()),
                    None => key,
                }
            })
            .collect();
        let minted = v.create_keys(ws.id, batch).expect("keys");
        if chunk == 0 {
            chosen = minted[minted.len() / 2].secret.expose().to_owned();
        }
        secrets.extend(minted.iter().map(|m| m.secret.expose().to_owned()));
    }
    let exported = v.export_verifier(None, None).expect("export");
    std::fs::write(path, exported.file.to_json()).expect("write the verifier file");
    (chosen, secrets, v.verifier_key().expect("kwpk").to_string())
}

/// A wrk script that asks with each secret of `secrets` in turn (one per line of the file
/// given after `--`), its requests built once at the start so that the client does no more
/// work per request than with one `-H`.
const ROTATE_LUA: &str = r#"
local requests = {}
init = function(args)
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format(nil, nil, {["Authorization"] = "Api-Key " .. line})
  end
end
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
end
"#;

/// How wrk asks: with one header, or in turn with every secret of a file (`ROTATE_LUA`).
#[derive(Clone, Copy)]
enum Ask<'a> {
    Plain,
    Header(&'a str),
    Rotate { script: &'a Path, secrets: &'a Path },
}

struct Wrk {
    requests_per_sec: f64,
    p99_ms: f64,
    non_2xx: u64,
}

/// The cores the load generator and the servers run on, when pinned.
#[derive(Clone, Copy)]
struct Cores {
    client: usize,
    server: usize,
}

/// Pins this process (and so every thread and child it starts from now on: serve's threads,
/// nginx) to the server's core. Without two cores, or off, nothing is pinned.
fn pin_servers() -> Option<Cores> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 || env_or("KEYWARD_BENCH_PIN", 1u8) == 0 {
        return None;
    }
    let chosen = Cores {
        client: 0,
        server: cores - 1,
    };
    set_affinity(chosen.server).then_some(chosen)
}

#[cfg(target_os = "linux")]
fn set_affinity(core: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes inside it, and
    // sched_setaffinity only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn set_affinity(_core: usize) -> bool {
    false
}

/// Lets this process (and what it starts from now on) run on every core again.
#[cfg(target_os = "linux")]
fn set_affinity_all() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // SAFETY: as in `set_affinity`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for core in 0..cores {
            libc::CPU_SET(core, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

#[cfg(not(target_os = "linux"))]
fn set_affinity_all() {}

fn wrk(url: &str, ask: Ask, seconds: u32, cores: Option<Cores>) -> Wrk {
    let mut cmd = Command::new("wrk");
    #[cfg(target_os = "linux")]
    if let Some(cores) = cores {
        use std::os::unix::process::CommandExt as _;
        let client = cores.client;
        // SAFETY: between fork and exec only sched_setaffinity runs, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                if set_affinity(client) {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cores;
    cmd.args(["-t1", "-c32", &format!("-d{seconds}s"), "--latency"]);
    match ask {
        Ask::Plain => {
            cmd.arg(url);
        }
        Ask::Header(h) => {
            cmd.args(["-H", h]).arg(url);
        }
        Ask::Rotate { script, secrets } => {
            cmd.arg("-s").arg(script).arg(url).arg("--").arg(secrets);
        }
    }
    let out = cmd.output().expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let requests_per_sec = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"));
    let p99_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| millis(v.trim()))
        .unwrap_or_else(|| panic!("no 99% line in wrk's output:\n{text}"));
    let non_2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Wrk {
        requests_per_sec,
        p99_ms,
        non_2xx,
    }
}

/// `1.23ms`, `456.00us`, `1.02s` → milliseconds.
fn millis(text: &str) -> f64 {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.trim().parse::<f64>().unwrap_or(f64::NAN) * factor
}

fn main() {
    if !found("wrk", "--version") || !(found("nginx", "-v") || found("/usr/sbin/nginx", "-v")) {
        println!("serve bench SKIPPED: needs wrk and nginx (apt-get install wrk nginx-light)");
        return;
    }
    let nginx_bin = if found("nginx", "-v") {
        "nginx"
    } else {
        "/usr/sbin/nginx"
    };
    let n: usize = env_or("KEYWARD_BENCH_KEYS", 100_000);
    let seconds: u32 = env_or("KEYWARD_BENCH_SECONDS", 5);
    let threads: Vec<usize> = std::env::var("KEYWARD_BENCH_THREADS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    let cores = pin_servers();
    match cores {
        Some(c) => println!(
            "pinned: wrk on core {}, nginx and serve on core {}",
            c.client, c.server
        ),
        None => println!("not pinned: the scheduler places wrk, nginx and serve"),
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bench.verifier.json");
    let (secret, secrets, trust) = write_verifier(&file, n, None);
    let limited_file = dir.path().join("limited.verifier.json");
    let per_minute = KeyLimits {
        rate: vec!["100/min".parse().expect("a limit")],
        ..KeyLimits::default()
    };
    let (limited_secret, limited_secrets, limited_trust) =
        write_verifier(&limited_file, n, Some(&per_minute));
    // Every key in turn: each is checked a few times a minute, within its 100. The key checked
    // alone (past its limit) is left out.
    let script = dir.path().join("rotate.lua");
    std::fs::write(&script, ROTATE_LUA).expect("the wrk script");
    let all_keys = dir.path().join("secrets.txt");
    std::fs::write(&all_keys, secrets.join("\n")).expect("secrets");
    let all_limited = dir.path().join("limited-secrets.txt");
    let within: Vec<&str> = limited_secrets
        .iter()
        .map(String::as_str)
        .filter(|s| *s != limited_secret)
        .collect();
    std::fs::write(&all_limited, within.join("\n")).expect("secrets");
    let rotate = Ask::Rotate {
        script: &script,
        secrets: &all_keys,
    };
    let rotate_limited = Ask::Rotate {
        script: &script,
        secrets: &all_limited,
    };
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);

    let mut loads: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let snapshot = load_snapshot(&file, &trust, Default::default()).expect("load");
            assert_eq!(snapshot.keys, n);
            t.elapsed()
        })
        .collect();
    loads.sort();
    println!(
        "load a {n}-key verifier file ({:.1} MB): median {:.1} ms",
        size as f64 / 1e6,
        loads[2].as_secs_f64() * 1000.0
    );

    // nginx, one worker, `return 204`.
    let nginx_port = free_port();
    let d = dir.path().display();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "worker_processes 1;\nmaster_process off;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\nhttp {{ access_log off;\n\
             client_body_temp_path {d}/c; proxy_temp_path {d}/p; fastcgi_temp_path {d}/f;\n\
             uwsgi_temp_path {d}/u; scgi_temp_path {d}/s;\n\
             server {{ listen 127.0.0.1:{nginx_port}; location = /x {{ return 204; }} }} }}\n"
        ),
    )
    .expect("nginx.conf");
    let mut nginx = Command::new(nginx_bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .spawn()
        .expect("start nginx");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", nginx_port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let nginx_url = format!("http://127.0.0.1:{nginx_port}/x");

    // One serve per thread setting (`None`: the default), all up before the first round.
    let mut settings: Vec<Option<usize>> = vec![None];
    settings.extend(threads.iter().map(|t| Some(*t)));
    let servers: Vec<(Option<usize>, String)> = settings
        .iter()
        .map(|t| {
            (
                *t,
                start_serve(&file, &trust, *t, &dir.path().join("serve-state")),
            )
        })
        .collect();
    let limited_url = start_serve(
        &limited_file,
        &limited_trust,
        None,
        &dir.path().join("serve-state-limited"),
    );
    let limited_header = format!("Authorization: Api-Key {limited_secret}");
    let header = format!("Authorization: Api-Key {secret}");
    for (_, url) in &servers {
        let _warm = wrk(url, Ask::Header(&header), 1, cores);
    }
    let _warm = wrk(&limited_url, Ask::Header(&limited_header), 1, cores);
    let _warm = wrk(&nginx_url, Ask::Plain, 1, cores);

    // Rounds alternate nginx and each serve (and the default serve under a slow-client flood),
    // so that a busy moment of the machine hits all of them alike; medians are reported.
    let rounds: usize = env_or("KEYWARD_BENCH_ROUNDS", 5);
    let mut nginx_runs = Vec::new();
    let mut serve_runs: Vec<Vec<Wrk>> = servers.iter().map(|_| Vec::new()).collect();
    let mut flood_runs = Vec::new();
    let mut limited_runs = Vec::new();
    let mut rotated_runs = Vec::new();
    let mut rotated_limited_runs = Vec::new();
    for _ in 0..rounds {
        nginx_runs.push(wrk(&nginx_url, Ask::Plain, seconds, cores));
        for (i, (_, url)) in servers.iter().enumerate() {
            let r = wrk(url, Ask::Header(&header), seconds, cores);
            assert_eq!(r.non_2xx, 0, "serve answered something other than 204");
            serve_runs[i].push(r);
        }
        let held = half_sent(&servers[0].1, 3000);
        let r = wrk(&servers[0].1, Ask::Header(&header), seconds, cores);
        assert_eq!(
            r.non_2xx, 0,
            "serve answered something other than 204 under the flood"
        );
        flood_runs.push(r);
        drop(held);
        // Past its first 100 a minute, every answer is a 429 with the RateLimit headers.
        let r = wrk(&limited_url, Ask::Header(&limited_header), seconds, cores);
        assert!(r.non_2xx > 0, "the 100/min limit refused nothing");
        limited_runs.push(r);
    }
    let _ = nginx.kill();
    let _ = nginx.wait();

    // Redis next, while no serve has many keys' usage to write back (that write, every 10 s,
    // takes the servers' core for a moment).
    fleet(
        n.min(1_000),
        seconds,
        rounds,
        cores,
        &dir.path().join("fleet"),
    );

    // Every key in turn, with and without its limit (all 204, the limited ones with their
    // RateLimit headers), on servers of their own, last. These two write their usage back only
    // when they stop: with 100,000 keys seen, each write rewrites a file of 100,000 records
    // every 10 s on the servers' core, and one server's would land in the other's runs.
    let no_write_back = |s: &mut Config| s.usage_every = Duration::from_secs(24 * 3600);
    let rotating = start_serve_with(
        &file,
        &trust,
        &dir.path().join("serve-state-rotating"),
        no_write_back,
    );
    let rotating_limited = start_serve_with(
        &limited_file,
        &limited_trust,
        &dir.path().join("serve-state-rotating-limited"),
        no_write_back,
    );
    let _warm = wrk(&rotating, rotate, 1, cores);
    let _warm = wrk(&rotating_limited, rotate_limited, 1, cores);
    for _ in 0..rounds {
        let r = wrk(&rotating, rotate, seconds, cores);
        assert_eq!(r.non_2xx, 0, "a key of the file without limits was refused");
        rotated_runs.push(r);
        let r = wrk(&rotating_limited, rotate_limited, seconds, cores);
        assert_eq!(r.non_2xx, 0, "a key within its limit was refused");
        rotated_limited_runs.push(r);
    }

    let base = median(&nginx_runs);
    println!(
        "nginx `return 204` (1 worker): median {:.0} req/s, p99 {:.2} ms ({rounds} rounds of {seconds} s, wrk -t1 -c32)",
        base.0, base.1
    );
    let quiet = median(&serve_runs[0]);
    for ((t, _), runs) in servers.iter().zip(&serve_runs) {
        let (rps, p99) = median(runs);
        let label = match t {
            None => "default threads".to_owned(),
            Some(t) => format!("--threads {t}"),
        };
        println!(
            "keyward serve /v1/check ({label}): median {rps:.0} req/s, p99 {p99:.2} ms; \
             to nginx: throughput {:.2}x (target >= 0.9), p99 {:.2}x (target <= 1.5)",
            rps / base.0,
            p99 / base.1
        );
    }
    // The same ratios taken within each round (nginx and serve run back to back), then the
    // median of those: a round where the machine was busy counts against both alike.
    let paired = |runs: &[Wrk]| {
        let mut rps: Vec<f64> = runs
            .iter()
            .zip(&nginx_runs)
            .map(|(s, n)| s.requests_per_sec / n.requests_per_sec)
            .collect();
        let mut p99: Vec<f64> = runs
            .iter()
            .zip(&nginx_runs)
            .map(|(s, n)| s.p99_ms / n.p99_ms)
            .collect();
        rps.sort_by(f64::total_cmp);
        p99.sort_by(f64::total_cmp);
        (rps[rps.len() / 2], p99[p99.len() / 2])
    };
    let (rps_ratio, p99_ratio) = paired(&serve_runs[0]);
    println!(
        "keyward serve (default threads) to nginx, round by round: median throughput \
         {rps_ratio:.2}x (target >= 0.9), median p99 {p99_ratio:.2}x (target <= 1.5)"
    );
    // Limited against unlimited, the two runs of each round side by side.
    let per_round = |limited: &[Wrk], unlimited: &[Wrk]| {
        let mut ratios: Vec<f64> = limited
            .iter()
            .zip(unlimited)
            .map(|(l, s)| l.requests_per_sec / s.requests_per_sec)
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    let (rps, p99) = median(&rotated_limited_runs);
    let (base_rps, base_p99) = median(&rotated_runs);
    println!(
        "keyward serve, every key of {n} checked in turn: without limits median {base_rps:.0} \
         req/s, p99 {base_p99:.2} ms; with a 100/min limit on every key (each within it: 204 \
         with the RateLimit headers) {rps:.0} req/s, p99 {p99:.2} ms; {:.2}x, round by round \
         (target >= 0.8)",
        per_round(&rotated_limited_runs, &rotated_runs)
    );
    let (lrps, lp99) = median(&limited_runs);
    println!(
        "keyward serve, one key checked past its 100/min (every answer a 429 with its JSON and \
         headers): median {lrps:.0} req/s, p99 {lp99:.2} ms; {:.2}x serve answering 204 to one \
         key without limits, round by round",
        per_round(&limited_runs, &serve_runs[0])
    );
    let (rps, p99) = median(&flood_runs);
    println!(
        "keyward serve (default threads) while 3,000 half-sent requests are held: median {rps:.0} req/s, \
         p99 {p99:.2} ms; {:.2}x of itself without them (target >= 0.8)",
        rps / quiet.0
    );
}

/// `serve --limits redis://…` against a throwaway `redis-server`, one
/// key with two rate limits and credits it never reaches checked by wrk: every check is one
/// round trip to Redis that writes (the policy target: at least 20,000 checks/s, p99 under
/// 2 ms).
fn fleet(n: usize, seconds: u32, rounds: usize, cores: Option<Cores>, dir: &Path) {
    // No peer to share a core with fairly here: redis-server, this serve and wrk go where the
    // scheduler puts them, as on a machine that runs them.
    if let Some(c) = cores {
        set_affinity_all();
        fleet_with(redis::start(), n, seconds, rounds, None, dir);
        set_affinity(c.server);
    } else {
        fleet_with(redis::start(), n, seconds, rounds, None, dir);
    }
}

fn fleet_with(
    server: Option<redis::Redis>,
    n: usize,
    seconds: u32,
    rounds: usize,
    cores: Option<Cores>,
    dir: &Path,
) {
    let Some(server) = server else {
        println!("serve --limits redis: SKIPPED (no redis-server)");
        return;
    };
    std::fs::create_dir_all(dir).expect("dir");
    let file = dir.join("fleet.verifier.json");
    let limits = KeyLimits {
        rate: vec![
            "1000000/min".parse().expect("a limit"),
            "burst=100000/s".parse().expect("a limit"),
        ],
        credits: Some(keyward_verify::limits::Credits {
            initial: 1 << 50,
            refill: None,
        }),
        ..KeyLimits::default()
    };
    let (secret, _, trust) = write_verifier(&file, n, Some(&limits));
    let url = start_serve_with(&file, &trust, &dir.join("state"), |c| {
        c.fleet = Some(server.url())
    });
    let header = format!("Authorization: Api-Key {secret}");
    let _warm = wrk(&url, Ask::Header(&header), 1, cores);
    let runs: Vec<Wrk> = (0..rounds)
        .map(|_| {
            let r = wrk(&url, Ask::Header(&header), seconds, cores);
            assert_eq!(r.non_2xx, 0, "a check through Redis was refused");
            r
        })
        .collect();
    let (rps, p99) = median(&runs);
    println!(
        "keyward serve --limits redis (2 rate limits + credits, one key; serve, redis-server \
         and wrk unpinned): median {rps:.0} checks/s, p99 {p99:.2} ms (target >= 20000 checks/s, \
         p99 < 2 ms)"
    );
}

/// Starts a serve over `file` in this process (it runs until the process ends); its
/// `/v1/check?scope=write` URL.
fn start_serve(file: &Path, trust: &str, threads: Option<usize>, state: &Path) -> String {
    start_serve_with(file, trust, state, |c| c.threads = threads)
}

/// [`start_serve`] with the default threads and `set` making other changes to its settings.
fn start_serve_with(
    file: &Path,
    trust: &str,
    state: &Path,
    set: impl FnOnce(&mut Config),
) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut config = Config::new(vec![file.to_owned()], trust.to_owned());
    config.listen = "127.0.0.1:0".into();
    config.state_dir = Some(state.to_owned());
    set(&mut config);
    std::thread::spawn(move || {
        let _ = keyward::serve::run(config, |addr| {
            let _ = tx.send(addr);
        });
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve started");
    format!("http://{addr}/v1/check?scope=write")
}

/// Median requests per second and median p99 of several runs.
fn median(runs: &[Wrk]) -> (f64, f64) {
    let mut rps: Vec<f64> = runs.iter().map(|r| r.requests_per_sec).collect();
    let mut p99: Vec<f64> = runs.iter().map(|r| r.p99_ms).collect();
    rps.sort_by(f64::total_cmp);
    p99.sort_by(f64::total_cmp);
    (rps[rps.len() / 2], p99[p99.len() / 2])
}

/// Connections to `url`'s host that each send half a request and hold it.
fn half_sent(url: &str, n: usize) -> Vec<std::net::TcpStream> {
    use std::io::Write as _;
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port")
        .to_owned();
    (0..n)
        .filter_map(|_| {
            let mut c = std::net::TcpStream::connect(&addr).ok()?;
            c.write_all(b"GET /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Api-Ke")
                .ok()?;
            Some(c)
        })
        .collect()
}
