//! `cargo bench --bench vault`: medians at 1k / 10k / 100k keys for the SPEC 8 targets.
//! Sizes can be limited with `KEYWARD_BENCH_SIZES=1000,10000`; `KEYWARD_BENCH_KEEP=DIR` keeps
//! the vault files there (passphrase "benchmark passphrase") to time the CLI on them;
//! `KEYWARD_BENCH_CHECKS=N` sets how many verifications are timed (20,000), e.g. for a profile.
//! "load signed" reads a signed verifier file of every key from disk and checks its signature
//! (`Verifier::load`), the SPEC 10 target being under 150 ms at 100,000 keys. "verify
//! (limited)" is the in-process verifier with a 100/min rate limit on every key, one thread
//! (the policy target: at least 1,000,000 checks/s).

use std::time::{Duration, Instant};

use keyward::vault::{KdfParams, NewKey, Preset, Vault, Verifier};

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

fn bare_argon2id(params: KdfParams) -> Duration {
    use argon2::{Algorithm, Argon2, Params, Version};
    let p = Params::new(params.memory_kib, params.passes, params.lanes, Some(32)).expect("params");
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    time(5, || {
        let mut out = [0u8; 32];
        argon
            .hash_password_into(PASS.as_bytes(), b"sixteen byte salt", &mut out)
            .expect("kdf");
        out
    })
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let sizes: Vec<usize> = std::env::var("KEYWARD_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let params = KdfParams::default();
    let argon = bare_argon2id(params);
    println!(
        "Argon2id alone ({} MiB, {} passes): {}",
        params.memory_kib / 1024,
        params.passes,
        ms(argon)
    );
    println!();
    println!(
        "{:>8} | {:>11} | {:>13} | {:>16} | {:>12} | {:>12} | {:>15} | {:>17} | {:>16} | {:>12} | {:>10} | {:>10}",
        "keys",
        "unlock",
        "unlock − KDF",
        "unlock+list all",
        "list all",
        "create one",
        "verify (vault)",
        "verify (verifier)",
        "verify (limited)",
        "load signed",
        "file size",
        "re-key"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = std::env::var_os("KEYWARD_BENCH_KEEP").map(std::path::PathBuf::from);
    for &n in &sizes {
        let folder = keep.clone().unwrap_or_else(|| dir.path().to_owned());
        let path = folder.join(format!("bench-{n}.keyward"));
        let _ = std::fs::remove_file(&path);
        let mut vault = Vault::create(&path, PASS, params).expect("create");
        let ws = vault.add_workspace("bench", Preset::ReadWrite).expect("ws");
        let mut secrets = Vec::new();
        for chunk in 0..n.div_ceil(10_000) {
            let batch: Vec<NewKey> = (chunk * 10_000..((chunk + 1) * 10_000).min(n))
                .map(|i| {
                    NewKey::named(format!("key-{i:06}")).scopes(if i % 2 == 0 {
                        vec!["write"]
                    } else {
                        Vec::new()
                    })
                })
                .collect();
            let minted = vault.create_keys(ws.id, batch).expect("bulk create");
            secrets.extend(minted.into_iter().step_by(97).map(|m| m.secret));
        }
        drop(vault);

        let unlock = time(5, || Vault::open(&path, PASS).expect("open"));
        let unlock_list = time(5, || {
            let v = Vault::open(&path, PASS).expect("open");
            v.list_keys(None).expect("list").len()
        });
        let mut vault = Vault::open(&path, PASS).expect("open");
        let list = time(5, || vault.list_keys(None).expect("list").len());
        let mut i = 0;
        let create = time(51, || {
            i += 1;
            vault
                .create_key(ws.id, NewKey::named(format!("extra-{i}")))
                .expect("create")
        });
        // Warm the last-used stamps so the vault path is the steady state (a read per check).
        for s in &secrets {
            vault.verify(s.expose(), &["read"]).expect("verify");
        }
        let checks: usize = std::env::var("KEYWARD_BENCH_CHECKS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let vault_rate = {
            let t = Instant::now();
            for k in 0..checks {
                let s = &secrets[k % secrets.len()];
                std::hint::black_box(vault.verify(s.expose(), &["read"]).expect("verify"));
            }
            checks as f64 / t.elapsed().as_secs_f64()
        };
        // A signed verifier file of every key, loaded from disk with its signature checked.
        let trusted = vault.verifier_key().expect("public key");
        let file = folder.join(format!("bench-{n}.verifier.json"));
        let text = vault.export_verifier(None, None).expect("export").to_json();
        std::fs::write(&file, &text).expect("write the verifier file");
        let load = time(7, || Verifier::load(&file, &trusted).expect("load"));
        let verifier = Verifier::load(&file, &trusted).expect("load");
        let verifier_rate = {
            let checks = 200_000;
            let t = Instant::now();
            for k in 0..checks {
                let s = &secrets[k % secrets.len()];
                std::hint::black_box(verifier.verify(s.expose(), &["read"]));
            }
            checks as f64 / t.elapsed().as_secs_f64()
        };
        // The same keys each with a 100/min rate limit, in a file signed by a key of the
        // bench's own (the vault signs only what it holds).
        let limited_rate = {
            use keyward_verify::limits::KeyLimits;
            let mut payload = vault.export_verifier(None, None).expect("export").payload;
            for entry in &mut payload.keys {
                entry.policy.limits = KeyLimits {
                    rate: vec!["100/min".parse().expect("a limit")],
                    ..KeyLimits::default()
                }
                .boxed();
            }
            payload.version = keyward_verify::VerifierFile::version_for(&payload.keys);
            let signer = keyward_verify::SigningKey::from_seed(payload.vault_id.clone(), &[7; 32])
                .expect("a signing key");
            let signed = keyward_verify::VerifierFile::sign(&payload, &signer).expect("sign");
            let limited =
                keyward_verify::Verifier::from_file_contents(&signed.to_json(), &signer.public())
                    .expect("load");
            let checks = 200_000;
            let t = Instant::now();
            for k in 0..checks {
                let s = &secrets[k % secrets.len()];
                std::hint::black_box(limited.verify(s.expose(), &["read"]));
            }
            checks as f64 / t.elapsed().as_secs_f64()
        };
        // One re-key (a passphrase change re-seals every record under a new data key); the
        // passphrase stays the same so a kept vault still opens with it.
        let rekey = time(1, || {
            vault.change_passphrase(PASS, PASS, None).expect("rekey")
        });
        println!(
            "{:>8} | {:>11} | {:>13} | {:>16} | {:>12} | {:>12} | {:>13.0}/s | {:>15.0}/s | {:>14.0}/s | {:>12} | {:>7.1} MB | {:>10}",
            n,
            ms(unlock),
            ms(unlock.saturating_sub(argon)),
            ms(unlock_list),
            ms(list),
            ms(create),
            vault_rate,
            verifier_rate,
            limited_rate,
            ms(load),
            text.len() as f64 / 1e6,
            ms(rekey)
        );
    }
}
