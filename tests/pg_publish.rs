//! Publish targets on a team vault: a verifier file belongs to the machine that added it, is
//! written only there, and `publish follow` running there keeps it current after any member's
//! change. SKIPPED loudly without PostgreSQL unless `KEYWARD_REQUIRE_POSTGRES=1`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{Run, Sandbox, StoreKind, on_store};

/// Runs `args` as if on the machine named `host`.
fn on(s: &Sandbox, host: &str, args: &[&str]) -> Run {
    s.run_with(s.command().env("KEYWARD_HOST", host).args(args))
}

fn secret_of(key: &serde_json::Value) -> String {
    key["key_secret"].as_str().expect("secret").to_owned()
}

/// `keyward publish follow` running as if on `host`, killed when the test ends whatever
/// happens. Its lines arrive through a thread, so a follower that says nothing fails the test
/// after a while instead of hanging it.
struct Follower {
    child: Child,
    lines: Receiver<String>,
}

impl Follower {
    fn start(s: &Sandbox, host: &str, args: &[&str]) -> Follower {
        let mut child = s
            .command()
            .env("KEYWARD_HOST", host)
            .args(args)
            .args(["publish", "follow"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn follow");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Follower { child, lines }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the follower prints a line")
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_team_target_is_written_by_its_machine_and_kept_current_by_follow() {
    on_store(StoreKind::Postgres, || {
        let s = Sandbox::with_tree();
        let key = s.create_key("acme/billing/prod", "ci", &[]);
        let id = key["key_id"].as_str().expect("id").to_owned();
        let out = s.path("verifiers/acme.verifier.json");
        std::fs::create_dir_all(out.parent().expect("dir")).expect("dir");
        let file = out.to_str().expect("utf-8");
        on(&s, "service-host", &["publish", "add", "acme", file]).ok();
        assert_eq!(s.verify_with_file(&out, &secret_of(&key)).1, "valid");

        // A change from another machine leaves the file alone (its path names a file on the
        // service host) and records no error against it.
        let before = std::fs::read(&out).expect("read");
        on(&s, "laptop", &["key", "revoke", &id]).ok();
        assert_eq!(std::fs::read(&out).expect("read"), before);
        let listed = on(&s, "laptop", &["--json", "publish", "list"]).ok().json();
        assert_eq!(listed[0]["host"], "service-host");
        assert!(listed[0]["last_error"].is_null(), "{listed}");
        let text = on(&s, "laptop", &["publish", "list"]).ok().stdout;
        assert!(
            text.contains("MACHINE") && text.contains("service-host"),
            "{text}"
        );
        // `publish now` on the laptop does not write it either.
        on(&s, "laptop", &["publish", "now"]).ok();
        assert_eq!(std::fs::read(&out).expect("read"), before);

        // The follower on the service host rewrites it at once, then after every change.
        let follower = Follower::start(&s, "service-host", &[]);
        let first = follower.next_line();
        assert!(first.contains("started: rewrote 1 target"), "{first}");
        assert_eq!(s.verify_with_file(&out, &secret_of(&key)).1, "revoked");

        let later = on(
            &s,
            "laptop",
            &[
                "--json",
                "key",
                "create",
                "acme/billing/prod",
                "--name",
                "later",
            ],
        )
        .ok()
        .json();
        let start = Instant::now();
        let next = follower.next_line();
        assert!(next.contains("after a change: rewrote 1 target"), "{next}");
        assert_eq!(s.verify_with_file(&out, &secret_of(&later)).1, "valid");
        eprintln!(
            "a key minted on another machine was in the service host's file after {} ms",
            start.elapsed().as_millis()
        );
        assert!(start.elapsed() < Duration::from_secs(5));

        // The last use a service on the host wrote beside the file reaches the other machines
        // through the vault (the usage file exists only on the host).
        let later_id = later["key_id"].as_str().expect("id");
        let show = |id: &str| on(&s, "laptop", &["--json", "key", "show", id]).ok().json();
        assert!(show(later_id)["last_used_at"].is_null());
        let used_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64
            - 5;
        let mut usage = keyward::vault::UsageFile::default();
        usage.add(later_id, used_at, &[(used_at / 3600 * 3600, 3)]);
        std::fs::write(keyward::vault::usage_path(&out), usage.to_json()).expect("usage");
        let start = Instant::now();
        loop {
            let shown = show(later_id);
            if !shown["last_used_at"].is_null() {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the service's last use never reached the vault: {shown}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    });
}

crate::on_both_stores! {
    /// Nothing to follow, or a bad interval: one clear line, exit 2, before any waiting.
    fn follow_refuses_to_wait_for_nothing() {
        let s = Sandbox::with_tree();
        s.run(&["publish", "follow"]).refused("no publish target is written on this machine");
        let out = s.path("acme.verifier.json");
        s.run(&["publish", "add", "acme", out.to_str().expect("utf-8")]).ok();
        s.run(&["publish", "follow", "--every", "0"]).refused("--every takes 1 to 3600 seconds");
    }

    /// With `--json` the follower prints one JSON object a line.
    fn follow_prints_json_lines() {
        let s = Sandbox::with_tree();
        s.create_key("acme/billing/prod", "ci", &[]);
        let out = s.path("acme.verifier.json");
        on(&s, "this-machine", &["publish", "add", "acme", out.to_str().expect("utf-8")]).ok();
        let follower = Follower::start(&s, "this-machine", &["--json"]);
        let line = follower.next_line();
        let v: serde_json::Value = serde_json::from_str(&line).expect("one JSON object a line");
        assert_eq!(v["why"], "started");
        assert_eq!(v["rewritten"], 1);
        assert_eq!(v["failed"], 0);
    }
}

/// A target that failed on its machine shows in every member's health report, saying which
/// machine can mend it (Publish now elsewhere does not touch the file).
#[test]
fn a_failing_team_target_names_the_machine_that_writes_it() {
    on_store(StoreKind::Postgres, || {
        let s = Sandbox::with_tree();
        s.create_key("acme/billing/prod", "ci", &[]);
        let missing = s.path("no-such-folder/acme.verifier.json");
        let file = missing.to_str().expect("utf-8");
        on(&s, "service-host", &["publish", "add", "acme", file]).ok();
        let report = on(&s, "laptop", &["--json", "health"]).json();
        let text = report.to_string();
        assert!(
            text.contains("the file is written on service-host"),
            "{text}"
        );
        let own = on(&s, "service-host", &["--json", "health"])
            .json()
            .to_string();
        assert!(!own.contains("the file is written on"), "{own}");
    });
}
