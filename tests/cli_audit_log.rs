//! The audit trail out: `keyward log --since DATE --follow --format jsonl`, on both stores.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::Sandbox;
use keyward::vault::{format_time, parse_time};
use serde_json::Value;

/// The lines of a `--format jsonl` output, each parsed (a line that is not one JSON object
/// fails the test).
fn jsonl(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
            assert!(v.is_object(), "{line}");
            v
        })
        .collect()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect()
}

crate::on_both_stores! {
    fn since_keeps_the_entries_from_then_on() {
        let s = Sandbox::with_tree();
        let all = jsonl(&s.run(&["log", "--format", "jsonl", "--since", "2000-01-01"]).ok().stdout);
        assert_eq!(
            actions(&all),
            ["env.add", "project.add", "workspace.add", "vault.create"],
            "newest first, all of them"
        );
        let newest = all[0]["at_unix"].as_i64().expect("at_unix");
        // The next entry is a second later at least, so a --since between them splits the log.
        while keyward::vault::now() <= newest {
            std::thread::sleep(Duration::from_millis(100));
        }
        s.create_key("acme/billing/prod", "svc", &[]);
        let later = format_time(newest + 1);
        let newer = jsonl(&s.run(&["log", "--format", "jsonl", "--since", &later]).ok().stdout);
        assert_eq!(actions(&newer), ["key.create"]);
        let with_offset = later.replace('Z', "+00:00");
        let r = s.run(&["log", "--format", "jsonl", "--since", &with_offset]).ok();
        assert_eq!(jsonl(&r.stdout).len(), 1, "any RFC 3339 offset");

        let day = jsonl(&s.run(&["log", "--format", "jsonl", "--since", "24h"]).ok().stdout);
        assert_eq!(day.len(), 5);
        let limited = s.run(&["--json", "log", "--since", "7d", "--limit", "2"]).ok().json();
        assert_eq!(limited.as_array().map(Vec::len), Some(2));
        let future = s.run(&["log", "--format", "jsonl", "--since", "2999-01-01"]).ok();
        assert_eq!(future.stdout, "", "nothing since then: no line at all");
        assert!(s.run(&["log", "--since", "2999-01-01"]).ok().stdout.contains("no activity"));
        for bad in ["yesterday", "2026-13-01", "0d", "12:00"] {
            s.run(&["log", "--since", bad]).refused("--since");
        }
    }
}

crate::on_both_stores! {
    fn jsonl_lines_carry_every_field_and_never_a_secret() {
        let s = Sandbox::with_member("ana");
        s.run(&["workspace", "add", "acme"]).ok();
        s.run(&["project", "add", "acme/billing"]).ok();
        s.run(&["env", "add", "acme/billing/prod", "--prefix", "acme"]).ok();
        let key = s.create_key("acme/billing/prod", "svc", &[]);
        let secret = key["key_secret"].as_str().expect("secret");
        let out = s.run(&["log", "--format", "jsonl"]).ok().stdout;
        assert!(!out.contains(secret), "the log never holds a secret");
        let entries = jsonl(&out);
        assert_eq!(entries.len(), 5);
        let fields = ["seq", "at", "at_unix", "action", "member", "node", "detail", "intact"];
        for e in &entries {
            let keys: Vec<&str> = e.as_object().expect("object").keys().map(String::as_str).collect();
            assert_eq!(keys, fields, "{e}");
            let at = parse_time(e["at"].as_str().expect("at")).expect("RFC 3339");
            assert!(e["at"].as_str().is_some_and(|t| t.ends_with('Z')), "UTC: {e}");
            assert_eq!(Some(at), e["at_unix"].as_i64(), "{e}");
            assert_eq!(e["member"], "ana");
            assert_eq!(e["intact"], true);
        }
        let created = &entries[0];
        assert_eq!(created["action"], "key.create");
        assert_eq!(created["node"], "acme/billing/prod");
        assert_eq!(created["seq"], 5);
        let key_id = key["key_id"].as_str().expect("key id");
        assert!(created["detail"].as_str().is_some_and(|d| d.contains(key_id)), "{created}");
        // --json alone is still one array; --format wins over it.
        assert!(s.run(&["--json", "log"]).ok().json().is_array());
        assert_eq!(jsonl(&s.run(&["--json", "log", "--format", "jsonl"]).ok().stdout).len(), 5);
        let text = s.run(&["--json", "log", "--format", "text"]).ok().stdout;
        assert!(text.contains("ACTION") && text.contains("key.create"), "{text}");
    }
}

/// `keyward log --follow …` running, its stdout read line by line on a thread until a line
/// `last` accepts; then the thread closes its end of the pipe.
struct Follower {
    child: Child,
    lines: Receiver<String>,
}

impl Follower {
    fn start(s: &Sandbox, args: &[&str], last: fn(&str) -> bool) -> Follower {
        let mut child = s
            .command()
            .args(["log", "--follow"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn keyward log --follow");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let done = last(&line);
                if tx.send(line).is_err() || done {
                    break;
                }
            }
        });
        Follower { child, lines }
    }

    #[track_caller]
    fn next_line(&mut self) -> String {
        match self.lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(e) => {
                let _ = self.child.kill();
                let out = self.child.wait_with_output_now();
                panic!("no line from log --follow ({e}); stderr: {out}");
            }
        }
    }

    /// Waits for the process to end by itself; its exit code and stderr.
    #[track_caller]
    fn exit(mut self) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return (
                    status.code().unwrap_or(-1),
                    self.child.wait_with_output_now(),
                );
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "log --follow did not end; stderr: {}",
                    self.child.wait_with_output_now()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

trait Stderr {
    fn wait_with_output_now(&mut self) -> String;
}

impl Stderr for Child {
    /// What the (ended or killed) process wrote on stderr.
    fn wait_with_output_now(&mut self) -> String {
        use std::io::Read;
        let _ = self.wait();
        let mut text = String::new();
        if let Some(mut err) = self.stderr.take() {
            let _ = err.read_to_string(&mut text);
        }
        text
    }
}

crate::on_both_stores! {
    fn follow_prints_what_another_process_commits_and_ends_with_the_pipe() {
        let s = Sandbox::with_tree();
        let mut f = Follower::start(&s, &["--format", "jsonl", "--limit", "2"], |line| {
            line.contains("key.create")
        });
        let backlog = jsonl(&format!("{}\n{}", f.next_line(), f.next_line()));
        assert_eq!(actions(&backlog), ["project.add", "env.add"], "oldest first");
        let key = s.create_key("acme/billing/prod", "svc", &[]);
        let line = f.next_line();
        let new = jsonl(&line);
        assert_eq!(actions(&new), ["key.create"]);
        assert_eq!(new[0]["seq"], backlog[1]["seq"].as_i64().expect("seq") + 1);
        assert!(!line.contains(key["key_secret"].as_str().expect("secret")));
        // The reader thread has closed the pipe: the follower ends on its own, quietly.
        let (code, stderr) = f.exit();
        assert_eq!(code, 0, "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

crate::on_both_stores! {
    fn follow_in_text_since_a_date_keeps_to_its_node() {
        let s = Sandbox::with_tree();
        s.run(&["workspace", "add", "other"]).ok();
        let mut f = Follower::start(
            &s,
            &["acme/billing", "--since", "2000-01-01"],
            |line| line.contains("key.create"),
        );
        assert!(f.next_line().contains("project.add"));
        assert!(f.next_line().contains("env.add"));
        s.run(&["project", "add", "other/web"]).ok();
        s.create_key("acme/billing/prod", "svc", &[]);
        let line = f.next_line();
        assert!(
            line.starts_with('#') && line.contains(" key.create by owner on acme/billing/prod"),
            "{line}"
        );
        let (code, stderr) = f.exit();
        assert_eq!(code, 0, "{stderr}");
    }
}

#[cfg(unix)]
crate::on_both_stores! {
    fn follow_ends_cleanly_on_sigterm_and_sigint() {
        let s = Sandbox::with_tree();
        for signal in [libc::SIGTERM, libc::SIGINT] {
            let mut f = Follower::start(&s, &["--format", "jsonl", "--limit", "1"], |_| false);
            assert!(f.next_line().contains("env.add"));
            let pid = libc::pid_t::try_from(f.child.id()).expect("pid");
            // SAFETY: signals our own child.
            unsafe {
                libc::kill(pid, signal);
            }
            let (code, stderr) = f.exit();
            assert_eq!(code, 0, "signal {signal}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}

#[test]
fn follow_refuses_a_json_array() {
    let s = Sandbox::new();
    s.run(&["log", "--follow", "--format", "json"])
        .refused("jsonl");
}
