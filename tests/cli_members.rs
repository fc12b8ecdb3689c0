//! `member add|list|rm`, `--member`/KEYWARD_MEMBER and `init --member`, through the binary.

mod common;

use common::{PASS, Sandbox, contains};

const BOB: &str = "bob's own passphrase 42";

fn as_member(s: &Sandbox, member: &str, pass: &str, args: &[&str]) -> common::Run {
    s.as_member_at(&s.vault, member, pass, args)
}

fn alice(s: &Sandbox, args: &[&str]) -> common::Run {
    as_member(s, "alice", PASS, args)
}

crate::on_both_stores! {
    fn members_are_added_listed_logged_and_removed() {
        let s = Sandbox::with_member("alice");
        s.run(&["workspace", "add", "acme"]).ok();
        let mut add = s.command();
        add.env("KEYWARD_NEW_PASSPHRASE", BOB)
            .args(["member", "add", "bob"]);
        s.run_with(&mut add).ok();
        // Two members now, neither called owner: who you are must be said.
        s.run(&["key", "list"]).refused("--member");
        let mut again = s.command();
        again
            .env("KEYWARD_NEW_PASSPHRASE", BOB)
            .args(["--member", "alice", "member", "add", "BOB"]);
        s.run_with(&mut again).refused("already exists");

        let list = alice(&s, &["--json", "member", "list"]).ok().json();
        let names: Vec<(&str, bool)> = list
            .as_array()
            .expect("array")
            .iter()
            .map(|m| (m["name"].as_str().expect("name"), m["you"] == true))
            .collect();
        assert_eq!(names, [("alice", true), ("bob", false)]);
        let text = as_member(&s, "bob", BOB, &["member", "list"]).ok().stdout;
        assert!(text.contains("bob") && text.contains("you"), "{text}");

        let key = as_member(
            &s,
            "bob",
            BOB,
            &["--json", "key", "create", "acme", "--name", "by-bob"],
        )
        .ok()
        .json();
        let secret = key["key_secret"].as_str().expect("secret").to_owned();
        let log = alice(&s, &["--json", "log"]).ok().json();
        let created = log
            .as_array()
            .expect("array")
            .iter()
            .find(|e| e["action"] == "key.create")
            .expect("key.create logged");
        assert_eq!(created["member"], "bob");
        assert!(alice(&s, &["log"]).ok().stdout.contains("BY"));
        for name in ["bob", "by-bob", "alice"] {
            assert!(!contains(&s.bytes_on_disk(), name), "{name} in plaintext");
        }

        // Each passphrase is its member's only; an unknown member is named.
        as_member(&s, "bob", PASS, &["key", "list"]).refused("wrong passphrase");
        as_member(&s, "carol", PASS, &["key", "list"]).refused("member carol not found");

        as_member(&s, "alice", PASS, &["member", "rm", "alice"]).refused("yourself");
        as_member(&s, "alice", PASS, &["member", "rm", "bob"]).ok();
        as_member(&s, "bob", BOB, &["key", "list"]).refused("member bob not found");
        let (code, verdict) = s.verify(&secret, &[]);
        assert_eq!((code, verdict["result"].as_str()), (0, Some("valid")));
        // Alice is the only member again: the default.
        let log = s.run(&["--json", "log", "--limit", "1"]).ok().json();
        assert_eq!(log[0]["action"], "member.rm");
        assert_eq!(log[0]["member"], "alice");
        assert_eq!(s.run(&["doctor"]).code, 0);
    }
}

crate::on_both_stores! {
    fn passwd_changes_only_the_members_own_passphrase() {
        let s = Sandbox::new();
        let mut add = s.command();
        add.env("KEYWARD_NEW_PASSPHRASE", BOB)
            .args(["member", "add", "bob"]);
        s.run_with(&mut add).ok();
        let mut passwd = s.command();
        passwd
            .env("KEYWARD_MEMBER", "bob")
            .env("KEYWARD_PASSPHRASE", BOB)
            .env("KEYWARD_NEW_PASSPHRASE", "bob's second passphrase")
            .args(["passwd", "--kdf-passes", "2"]);
        s.run_with(&mut passwd).ok();
        as_member(&s, "bob", BOB, &["key", "list"]).refused("wrong passphrase");
        as_member(&s, "bob", "bob's second passphrase", &["key", "list"]).ok();
        // The owner (the default name of the first member) is unchanged.
        as_member(&s, "owner", PASS, &["key", "list"]).ok();
        let members = s
            .run(&["--json", "--member", "owner", "member", "list"])
            .ok()
            .json();
        assert_eq!(members.as_array().expect("array").len(), 2);
    }
}

#[test]
fn an_unreachable_server_is_one_line_without_the_password() {
    let s = Sandbox::empty();
    let url = "postgres://kw:hunter2@127.0.0.1:1/team?sslmode=disable";
    for args in [
        vec!["--vault", url, "init"],
        vec!["--vault", url, "key", "list"],
        vec!["--vault", url, "--json", "doctor"],
    ] {
        let mut cmd = s.command();
        cmd.current_dir(s.dir.path())
            .env("KEYWARD_LOG", "debug")
            .args(&args);
        let run = s
            .run_with(&mut cmd)
            .refused("cannot reach the PostgreSQL server");
        assert!(run.stderr.contains("127.0.0.1:1/team"), "{}", run.stderr);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
        assert!(!run.stdout.contains("hunter2"));
        assert_eq!(
            run.stderr.lines().filter(|l| l.contains("error")).count(),
            1,
            "{}",
            run.stderr
        );
    }
    // Nothing was created for it: no folder named after the URL.
    let entries: Vec<_> = std::fs::read_dir(s.dir.path()).expect("dir").collect();
    assert!(entries.is_empty(), "{entries:?}");
    // Help shows where the location comes from, not its value.
    let mut help = s.command();
    help.env("KEYWARD_VAULT", url)
        .args(["key", "list", "--help"]);
    let run = s.run_with(&mut help).ok();
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
}

#[test]
fn a_server_that_does_not_answer_is_given_up_after_the_connect_timeout() {
    let s = Sandbox::empty();
    // A listener that accepts and never speaks: the connection opens, the handshake never ends.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let url = format!("postgres://kw:pw@127.0.0.1:{port}/team?sslmode=disable&connect_timeout=2");
    let start = std::time::Instant::now();
    let run = s.run(&["--vault", &url, "key", "list"]);
    let took = start.elapsed();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.stderr.contains("PostgreSQL server"), "{}", run.stderr);
    assert!(took < std::time::Duration::from_secs(8), "took {took:?}");
    drop(silent);
}
