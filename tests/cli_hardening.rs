//! The process protects what it holds in memory: no core dumps (a crash would otherwise write
//! the data key and any secret on screen to disk).

#![cfg(target_os = "linux")]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Sandbox;

/// The soft and hard "Max core file size" of a running process.
fn core_limits(pid: u32) -> Option<(String, String)> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))?;
    let mut fields = line["Max core file size".len()..].split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

crate::on_both_stores! {
    fn core_dumps_are_off_from_the_start() {
        let s = Sandbox::with_tree();
        let inherited = core_limits(std::process::id()).expect("own limits");
        if inherited.1 == "0" {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: the hard core-size limit is already 0 here (ulimit -Hc), so this \
                 test cannot tell keyward's own setting apart ***\n"
            );
            return;
        }
        // `verify` with no key waits for one on stdin: a process alive long enough to look at.
        let mut cmd = s.command();
        // Start it with core dumps allowed up to the hard limit, so that only keyward itself can
        // bring them to 0 (a shell's `ulimit -c 0` would otherwise pass this test on its own).
        // SAFETY: the closure only calls async-signal-safe getrlimit/setrlimit.
        unsafe {
            use std::os::unix::process::CommandExt as _;
            cmd.pre_exec(|| {
                let mut lim = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(libc::RLIMIT_CORE, &mut lim) == 0 {
                    lim.rlim_cur = lim.rlim_max;
                    libc::setrlimit(libc::RLIMIT_CORE, &lim);
                }
                Ok(())
            });
        }
        let mut child = cmd
            .arg("verify")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = None;
        while Instant::now() < deadline {
            seen = core_limits(child.id());
            // The hard limit is inherited as it is here (unlimited) until main lowers it.
            if seen
                .as_ref()
                .is_some_and(|(soft, hard)| soft == "0" && hard == "0")
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(child.stdin.take());
        let _ = child.wait();
        assert_eq!(
            seen,
            Some(("0".to_owned(), "0".to_owned())),
            "core file size limit (soft, hard)"
        );
    }
}

crate::on_both_stores! {
    /// A slot edited to ask for 4,096 MiB × 64 passes (minutes and gigabytes per unlock) is
    /// refused at once with the numbers; `init` and `passwd` hold the user to the same ceiling.
    fn key_derivation_beyond_the_ceiling_is_refused_at_once() {
        let s = Sandbox::new();
        s.run(&["init", "--kdf-memory-mib", "2048"]).refused("2048 MiB");
        s.run_with(
            s.command()
                .env("KEYWARD_NEW_PASSPHRASE", "a new long passphrase 9")
                .args(["passwd", "--kdf-passes", "11"]),
        )
        .refused("at most 1024 MiB \u{d7} 10");
        s.raw_sql(
            "UPDATE meta SET value = CAST(json_set(CAST(value AS TEXT),
               '$.params.memory_kib', 4194304, '$.params.passes', 64) AS BLOB)
             WHERE name LIKE 'member:%'",
            "UPDATE meta SET value = convert_to(jsonb_set(jsonb_set(
               convert_from(value, 'UTF8')::jsonb, '{params,memory_kib}', '4194304'),
               '{params,passes}', '64')::text, 'UTF8')
             WHERE name LIKE 'member:%'",
        );
        let started = Instant::now();
        s.run(&["key", "list"]).refused(
            "the vault asks for 4096 MiB \u{d7} 64 passes of key derivation; this build pays at \
             most 1024 MiB \u{d7} 10",
        );
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }
}
