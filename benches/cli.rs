//! `cargo bench --bench cli`: whole commands of the release binary on a 100,000-key vault
//! (`KEYWARD_BENCH_KEYS` to change), medians of 11 runs and peak memory (`/usr/bin/time`):
//! unlocking alone (`workspace list`), `key list`, `--json key list`, `health`, and importing as
//! many keys with `key import`. `KEYWARD_BENCH_KDBX=FILE` (a KeePass database with the same
//! passphrase and Argon2id settings) adds `keepassxc-cli ls -R` on it, the desktop-vault peer.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use keyward::vault::{KdfParams, NewKey, Preset, Vault};

const PASS: &str = "benchmark passphrase";
const RUNS: usize = 11;

/// Wall time and peak resident memory of one command, from `/usr/bin/time -f '%e %M %U %S'`;
/// and its CPU time (user + system), which moves much less than the wall time on a busy machine.
fn measure(
    program: &str,
    args: &[&str],
    vault: &Path,
    stdin: Option<&str>,
) -> (Duration, u64, Duration) {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%e %M %U %S", program])
        .args(args)
        .env("KEYWARD_VAULT", vault)
        .env("KEYWARD_PASSPHRASE", PASS)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .expect("/usr/bin/time runs (apt-get install time)");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(input.as_bytes()).expect("stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let mut fields = last.split_whitespace();
    let secs: f64 = fields
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let kib: u64 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let cpu: f64 = fields.filter_map(|s| s.parse::<f64>().ok()).sum();
    (
        Duration::from_secs_f64(secs.max(0.0)),
        kib,
        Duration::from_secs_f64(cpu.max(0.0)),
    )
}

/// Median wall time, peak memory over the runs, median CPU time.
type Figures = (Duration, u64, Duration);

fn median_of(
    program: &str,
    args: &[&str],
    vault: &Path,
    stdin: Option<&str>,
    runs: usize,
) -> Figures {
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let (t, kib, cpu) = measure(program, args, vault, stdin);
        times.push(t);
        cpus.push(cpu);
        peak = peak.max(kib);
    }
    times.sort();
    cpus.sort();
    (times[times.len() / 2], peak, cpus[cpus.len() / 2])
}

fn row(what: &str, (t, kib, cpu): Figures, base: Option<Figures>) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let extra = base
        .map(|(bt, bk, bc)| {
            format!(
                " | {:>+8.0} ms | {:>+8.0} ms | {:>+7.1} MiB",
                ms(t) - ms(bt),
                ms(cpu) - ms(bc),
                (kib as f64 - bk as f64) / 1024.0
            )
        })
        .unwrap_or_default();
    println!(
        "{what:<34} | {:>8.0} ms | {:>8.0} ms | {:>7.1} MiB{extra}",
        ms(t),
        ms(cpu),
        kib as f64 / 1024.0
    );
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_keyward");
    let n: usize = std::env::var("KEYWARD_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.keyward");
    let params = KdfParams::default();
    {
        let mut vault = Vault::create(&path, PASS, params).expect("create");
        let ws = vault.add_workspace("bench", Preset::ReadWrite).expect("ws");
        for chunk in 0..n.div_ceil(10_000) {
            let batch: Vec<NewKey> = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
                .map(|i| NewKey::named(format!("key-{i:06}")).scopes(["write"]))
                .collect();
            vault.create_keys(ws.id, batch).expect("bulk create");
        }
    }
    println!("{n} keys, release binary, medians of {RUNS}, peak RSS over the runs");
    println!(
        "{:<34} | {:>11} | {:>11} | {:>11} | {:>11} | {:>11} | {:>11}",
        "command", "wall", "CPU", "peak RSS", "wall − unlock", "CPU − unlock", "RSS − unlock"
    );
    let unlock = median_of(bin, &["workspace", "list"], &path, None, RUNS);
    row("workspace list (unlock alone)", unlock, None);
    let list = median_of(bin, &["key", "list"], &path, None, RUNS);
    row("key list", list, Some(unlock));
    let json = median_of(bin, &["--json", "key", "list"], &path, None, RUNS);
    row("--json key list", json, Some(unlock));
    // Every key here never expires and was never used: 2 findings per key, the worst case.
    let health = median_of(bin, &["health"], &path, None, RUNS);
    row("health", health, Some(unlock));

    let lines: String = (0..n)
        .map(|i| format!("{{\"name\": \"imported-{i:06}\", \"scopes\": [\"write\"], \"expires\": \"90d\", \"owner\": \"bench\", \"tags\": [\"bulk\"]}}\n"))
        .collect();
    let mut imports = Vec::new();
    let mut import_cpu = Vec::new();
    let mut peak = 0;
    for run in 0..3 {
        let target = dir.path().join(format!("import-{run}.keyward"));
        Vault::create(&target, PASS, params)
            .and_then(|mut v| v.add_workspace("bench", Preset::ReadWrite).map(drop))
            .expect("empty vault");
        let secrets = dir.path().join(format!("secrets-{run}.jsonl"));
        let out = secrets.to_str().expect("utf-8");
        let (t, kib, cpu) = measure(
            bin,
            &["key", "import", "bench", "-", "--output", out],
            &target,
            Some(&lines),
        );
        let imported = std::fs::read_to_string(&secrets).map_or(0, |s| s.lines().count());
        assert_eq!(imported, n, "every key's file was written");
        imports.push(t);
        import_cpu.push(cpu);
        peak = peak.max(kib);
    }
    imports.sort();
    import_cpu.sort();
    row(
        &format!("key import ({n} lines)"),
        (imports[1], peak, import_cpu[1]),
        Some(unlock),
    );

    if let Some(kdbx) = std::env::var_os("KEYWARD_BENCH_KDBX") {
        let kdbx = kdbx.to_string_lossy().into_owned();
        let peer = median_of(
            "keepassxc-cli",
            &["ls", "-R", "-q", &kdbx],
            &path,
            Some(&format!("{PASS}\n")),
            RUNS,
        );
        row("keepassxc-cli ls -R", peer, Some(unlock));
        println!(
            "key list / keepassxc-cli ls -R time: {:.2}",
            list.0.as_secs_f64() / peer.0.as_secs_f64()
        );
    }
}
