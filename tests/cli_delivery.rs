//! A secret is delivered or it does not exist: `key create`, `key roll` and `key master` write
//! their output before the commit, so a closed pipe or a full disk mints nothing; a closed pipe
//! on a read-only command ends it quietly.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{PASS, Run, Sandbox};
use keyward::vault::{NewKey, Vault};

/// Runs `cmd` with its stdout a pipe whose read end is closed before anything is written
/// (unlocking takes far longer than closing a descriptor).
fn into_closed_pipe(cmd: &mut Command) -> Run {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cmd` with stdout on /dev/full: every write fails with "no space left on device".
fn into_full_disk(cmd: &mut Command) -> Run {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = cmd
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn key_count(s: &Sandbox) -> usize {
    s.run(&["--json", "key", "list"])
        .ok()
        .json()
        .as_array()
        .map_or(0, Vec::len)
}

fn actions(s: &Sandbox) -> Vec<String> {
    s.run(&["--json", "log"])
        .ok()
        .json()
        .as_array()
        .expect("log array")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

crate::on_both_stores! {
    fn create_into_a_closed_pipe_mints_nothing_and_says_so() {
        let s = Sandbox::with_tree();
        for json in [false, true] {
            let mut cmd = s.command();
            if json {
                cmd.arg("--json");
            }
            cmd.args(["key", "create", "acme/billing/prod", "--name", "lost"]);
            let r = into_closed_pipe(&mut cmd).refused("no key was created");
            assert!(r.stderr.contains("standard output"), "{}", r.stderr);
        }
        assert_eq!(key_count(&s), 0, "a key whose secret nobody has was minted");
        assert!(!actions(&s).iter().any(|a| a == "key.create"));
        // The same name is free: nothing half-made is left behind.
        s.create_key("acme/billing/prod", "lost", &[]);
        assert_eq!(key_count(&s), 1);
    }
}

crate::on_both_stores! {
    fn create_onto_a_full_disk_mints_nothing() {
        let s = Sandbox::with_tree();
        let mut cmd = s.command();
        cmd.args(["key", "create", "acme/billing/prod", "--name", "full"]);
        into_full_disk(&mut cmd).refused("no key was created");
        assert_eq!(key_count(&s), 0);
    }
}

crate::on_both_stores! {
    fn roll_into_a_closed_pipe_keeps_the_old_secret() {
        let s = Sandbox::with_tree();
        let file = s.create_key("acme/billing/prod", "ci", &[]);
        let key_id = file["key_id"].as_str().expect("key_id");
        let secret = file["key_secret"].as_str().expect("secret");
        for json in [false, true] {
            let mut cmd = s.command();
            if json {
                cmd.arg("--json");
            }
            cmd.args(["key", "roll", key_id, "--grace", "none"]);
            into_closed_pipe(&mut cmd).refused("was not rolled");
        }
        let (code, v) = s.verify(secret, &[]);
        assert_eq!((code, v["result"].as_str()), (0, Some("valid")), "{v}");
        assert!(!actions(&s).iter().any(|a| a == "key.roll"));
        // A roll that can write its output does replace the secret.
        s.run(&["key", "roll", key_id, "--grace", "none"]).ok();
        assert_eq!(s.verify(secret, &[]).0, 1);
    }
}

crate::on_both_stores! {
    fn master_into_a_closed_pipe_creates_nothing_then_creates_once() {
        let s = Sandbox::with_tree();
        let mut cmd = s.command();
        cmd.args(["--json", "key", "master", "acme/billing/prod"]);
        into_closed_pipe(&mut cmd).refused("no master key was created");
        assert_eq!(key_count(&s), 0);
        let made = s
            .run(&["--json", "key", "master", "acme/billing/prod"])
            .ok()
            .json();
        assert_eq!(made["created"], true);
        assert!(
            made["key_secret"]
                .as_str()
                .is_some_and(|k| k.starts_with("acme_"))
        );
        assert_eq!(
            s.verify(made["key_secret"].as_str().unwrap_or(""), &[]).0,
            0
        );
        let again = s
            .run(&["--json", "key", "master", "acme/billing/prod"])
            .ok()
            .json();
        assert_eq!(again["created"], false);
        assert!(again.get("key_secret").is_none());
        assert_eq!(key_count(&s), 1);
    }
}

crate::on_both_stores! {
    fn text_output_of_create_and_roll_still_reads_as_before() {
        let s = Sandbox::with_tree();
        let out = s
            .run(&["key", "create", "acme/billing/prod", "--name", "ci"])
            .ok();
        assert!(
            out.stdout.starts_with("Created key 'ci' (kid_"),
            "{}",
            out.stdout
        );
        let secret = out
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("acme_").map(|_| l.trim().to_owned()))
            .expect("the secret line");
        assert_eq!(s.verify(&secret, &[]).0, 0);
        assert!(out.stdout.ends_with("view it again.\n"), "{:?}", out.stdout);
        let key_id = out.stdout.split(['(', ')']).nth(1).expect("key id");
        let rolled = s.run(&["key", "roll", key_id, "--grace", "1h"]).ok();
        assert!(
            rolled
                .stdout
                .ends_with("The previous secret keeps working for 1 hour.\n"),
            "{}",
            rolled.stdout
        );
    }
}

crate::on_both_stores! {
    fn a_closed_pipe_on_read_only_commands_ends_quietly() {
        let s = Sandbox::with_tree();
        s.create_key("acme/billing/prod", "one", &[]);
        for args in [
            &["key", "list"][..],
            &["--json", "key", "list"],
            &["log"],
            &["workspace", "list"],
            &["scope", "list", "acme"],
            &["doctor"],
        ] {
            let mut cmd = s.command();
            cmd.args(args);
            let r = into_closed_pipe(&mut cmd);
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
            assert_eq!(r.stderr, "", "{args:?} said something on stderr");
        }
    }
}

crate::on_both_stores! {
    fn key_list_piped_into_head_1_exits_zero_with_nothing_on_stderr() {
        let s = Sandbox::with_tree();
        {
            // Enough rows that the listing overflows the pipe's buffer after the first line is read.
            let mut v = Vault::open(&s.vault, PASS).expect("open");
            let env = v.resolve("acme/billing/prod").expect("env");
            let batch = (0..1500)
                .map(|i| NewKey::named(format!("bulk-{i:04}")))
                .collect();
            v.create_keys(env.id, batch).expect("bulk");
        }
        let mut child = s
            .command()
            .args(["key", "list"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("read");
        // The reader is gone now, as `head -1` is after its line.
        let out = child.wait_with_output().expect("wait");
        assert!(first.starts_with("KEY ID"), "{first}");
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }
}

crate::on_both_stores! {
    fn a_read_only_command_onto_a_full_disk_is_an_error() {
        let s = Sandbox::with_tree();
        let mut cmd = s.command();
        cmd.args(["workspace", "list"]);
        into_full_disk(&mut cmd).refused("cannot write the output");
    }
}
