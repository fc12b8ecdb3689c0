//! `cargo bench --bench scan`: the leak scanner's throughput against ripgrep searching the same
//! regex on the same tree, alternately in the same run, warm cache, medians of 5.
//!
//! The tree is `KEYWARD_SCAN_TREE` (default: the cargo registry sources). Both honour
//! `.gitignore` and skip binary files; throughput is the bytes of text files the scanner read
//! divided by each one's time. `rg` must be on PATH (the Debian package `ripgrep`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keyward::scan::{Matcher, WalkOptions};

/// A vault with three environment prefixes besides the default.
const PREFIXES: [&str; 4] = ["kw", "acme", "acme_eu", "billing"];
const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    let tree = std::env::var_os("KEYWARD_SCAN_TREE")
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
            Some(home.join("registry").join("src"))
        })
        .filter(|p| p.is_dir());
    let Some(tree) = tree else {
        eprintln!("no tree to scan: set KEYWARD_SCAN_TREE to a folder");
        return;
    };
    let prefixes: Vec<String> = PREFIXES.iter().map(|p| p.to_string()).collect();
    let matcher = Matcher::new(&prefixes);
    let regex = matcher
        .rule("gitleaks")
        .and_then(|rule| {
            let start = rule.find("'''")? + 3;
            let end = start + rule[start..].find("'''")?;
            Some(rule[start..end].to_owned())
        })
        .expect("the rule has a regex");
    let rg_found = Command::new("rg")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());

    // Warm the cache, and learn what the scanner reads.
    let first = matcher.scan_path(&tree, WalkOptions::default());
    let bytes = first.bytes;
    println!(
        "tree: {} ({} text files, {:.0} MB of text, {} binary skipped); regex {regex}",
        tree.display(),
        first.files,
        bytes as f64 / 1e6,
        first.binary
    );
    let rg = || {
        let t = Instant::now();
        let status = Command::new("rg")
            .args(["--count-matches", "--no-messages", "-e", &regex])
            .arg(&tree)
            .stdout(Stdio::null())
            .status()
            .expect("rg runs");
        // 1: no match, which is the usual answer on a clean tree.
        assert!(status.code().is_some_and(|c| c <= 1), "rg failed: {status}");
        t.elapsed()
    };
    if rg_found {
        rg();
    }
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let scanned = matcher.scan_path(&tree, WalkOptions::default());
        ours.push(t.elapsed());
        assert_eq!(
            scanned.bytes, bytes,
            "the tree changed during the benchmark"
        );
        if rg_found {
            theirs.push(rg());
        }
    }
    let ours = median(ours);
    println!(
        "keyward scan: {:.0} ms, {:.0} MB/s",
        ours.as_secs_f64() * 1e3,
        mb_per_s(bytes, ours)
    );
    if rg_found {
        let theirs = median(theirs);
        println!(
            "ripgrep:      {:.0} ms, {:.0} MB/s",
            theirs.as_secs_f64() * 1e3,
            mb_per_s(bytes, theirs)
        );
        println!(
            "keyward / ripgrep throughput: {:.2} (SPEC 8 target: at least 1, ripgrep's own)",
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    } else {
        println!("ripgrep: not found on PATH, no comparison (apt-get install ripgrep)");
    }
}
