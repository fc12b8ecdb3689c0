//! `keyward scan` on large inputs: text is read in windows (memory does not grow with a
//! file's size, a secret across two windows is still found at its right line and column)
//! and files over `--max-file-size` are skipped and counted.

mod common;

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::process::Stdio;

use common::Sandbox;

const GIB: u64 = 1 << 30;
/// The scanner's window (src/scan.rs): a secret is placed across its first boundary.
const WINDOW: u64 = 1 << 20;

/// Runs `keyward args…` to its end; returns its exit code, stdout and peak RSS in KiB, read
/// from `wait4` for that one child (other tests' children do not count).
// The child is reaped by `wait4` (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_measured(s: &Sandbox, args: &[&str]) -> (i32, String, i64) {
    let mut child = s
        .command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).expect("read stdout");
        text
    });
    let pid = i32::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; the pid is our unwaited child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pointers to locals that outlive the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let out = reader.join().expect("stdout thread");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, out, usage.ru_maxrss)
}

#[test]
fn a_sparse_gigabyte_is_read_in_windows_under_64_mib_and_skipped_by_default() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let secret = key["key_secret"].as_str().expect("secret");
    let id = key["key_id"].as_str().expect("id");
    let tree = s.path("tree");
    std::fs::create_dir_all(&tree).expect("dir");
    let big = tree.join("big.log");
    let mut f = std::fs::File::create(&big).expect("create");
    // Text first (the binary probe sees no NUL), one secret across the first window's end,
    // then a hole of zeros up to the last secret a gigabyte in.
    let mut head = String::new();
    let mut lines = 0;
    while head.len() < 16 * 1024 {
        head.push_str("a line of an ordinary log\n");
        lines += 1;
    }
    f.write_all(head.as_bytes()).expect("head");
    let across = WINDOW - 20;
    f.seek(SeekFrom::Start(across - 3)).expect("seek");
    // The hole before is zeros, on the line after the head's last.
    f.write_all(format!("\nk={secret}\n").as_bytes())
        .expect("across");
    f.seek(SeekFrom::Start(GIB - 200)).expect("seek");
    f.write_all(format!(" {secret}\n").as_bytes())
        .expect("tail");
    drop(f);
    let root = tree.to_str().expect("utf-8");

    let (code, out, rss_kib) = run_measured(&s, &["--json", "scan", "--max-file-size", "2G", root]);
    let found: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(code, 1, "{found}");
    let places: Vec<(String, u64)> = found["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            assert_eq!(f["key_id"], id);
            (
                f["place"].as_str().expect("place").to_owned(),
                f["column"].as_u64().expect("column"),
            )
        })
        .collect();
    let file = big.display().to_string();
    assert_eq!(
        places,
        vec![
            (format!("{file}:{}", lines + 2), 3),
            // The last line starts after the first secret's newline, zeros up to its space.
            (
                format!("{file}:{}", lines + 3),
                GIB - 199 - across - secret.len() as u64
            ),
        ],
        "{found}"
    );
    assert_eq!(found["bytes"], GIB - 200 + secret.len() as u64 + 2);
    eprintln!("scan of a 1 GiB sparse file: peak RSS {} KiB", rss_kib);
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");

    // Over the default limit: not read, counted, and said.
    let r = s.run(&["--json", "scan", root]).ok();
    let skipped = r.json();
    assert_eq!(skipped["skipped"], 1, "{skipped}");
    assert_eq!(skipped["findings"].as_array().expect("list").len(), 0);
    let r = s.run(&["scan", root]).ok();
    assert!(
        r.stdout.contains("1 over the size limit skipped"),
        "{}",
        r.stdout
    );
}

#[test]
fn standard_input_is_read_in_windows_too() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let secret = key["key_secret"].as_str().expect("secret");
    // Three windows of text; the secret straddles the second boundary.
    let mut text = "x".repeat(WINDOW as usize * 2 - 10);
    text.push('\n');
    text.push_str(&"y".repeat(5));
    text.push(' ');
    text.push_str(secret);
    text.push('\n');
    text.push_str(&"z".repeat(WINDOW as usize));
    let r = s.run_stdin(&["--json", "scan", "-"], &text);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = r.json();
    assert_eq!(found["findings"][0]["place"], "-:2", "{found}");
    assert_eq!(found["findings"][0]["column"], 7, "{found}");
}

#[test]
fn two_thousand_findings_of_a_key_are_one_transaction_and_one_log_entry() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let secret = key["key_secret"].as_str().expect("secret");
    let id = key["key_id"].as_str().expect("id");
    let file = s.path("leaky.env");
    std::fs::write(&file, format!("API_KEY={secret}\n").repeat(2000)).expect("write");
    let log_entries = || {
        s.run(&["--json", "log", "--limit", "10000"])
            .ok()
            .json()
            .as_array()
            .expect("log")
            .len()
    };
    let before = log_entries();
    let started = std::time::Instant::now();
    let r = s.run(&["--json", "scan", file.to_str().expect("utf-8")]);
    let took = started.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = r.json();
    assert_eq!(found["findings"].as_array().expect("list").len(), 2000);
    assert!(found["findings"][1999]["new_place"] == true);
    eprintln!("scan of 2,000 findings: {took:?}");
    // 2,000 fsynced transactions took about 5 s; one takes well under a second.
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");

    let log = s.run(&["--json", "log", "--limit", "10000"]).ok().json();
    let entries = log.as_array().expect("log");
    assert_eq!(entries.len(), before + 1, "one entry for the whole scan");
    let detail = entries
        .iter()
        .find(|e| e["action"] == "key.exposed")
        .and_then(|e| e["detail"].as_str())
        .expect("the key.exposed entry")
        .to_owned();
    let path = file.display().to_string();
    assert!(
        detail.starts_with(&format!("{id} found in {path}:1, {path}:2,")),
        "{detail}"
    );
    assert!(
        detail.ends_with(&format!("{path}:20 and 1980 more")),
        "{detail}"
    );
    assert_eq!(
        s.run(&["--json", "key", "show", id]).ok().json()["status"],
        "exposed"
    );

    // Found again: nothing new, nothing written or logged.
    let again = s
        .run(&["--json", "scan", file.to_str().expect("utf-8")])
        .json();
    assert_eq!(again["findings"][0]["new_place"], false);
    assert_eq!(log_entries(), before + 1);
}
