//! `KEYWARD_LOG`: commands, unlocking and timings on stderr, and never a secret, a
//! passphrase or a name, at any level.

mod common;

use common::{PASS, Run, Sandbox};

const NEW_PASS: &str = "heron lantern quartz 58";
/// Names that must not be logged (a key's, a workspace's, a project's, an environment's).
const KEY_NAME: &str = "zebra-payroll-key";
const WORKSPACE: &str = "quokkaworks";

fn logged(s: &Sandbox, pass: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = s.command();
    cmd.env("KEYWARD_LOG", "trace")
        .env("KEYWARD_PASSPHRASE", pass)
        .env("KEYWARD_NEW_PASSPHRASE", NEW_PASS)
        .args(args);
    match stdin {
        None => s.run_with(&mut cmd),
        Some(input) => s.run_with_stdin(&mut cmd, input),
    }
}

crate::on_both_stores! {
    fn trace_logging_shows_commands_and_timings_but_no_secret_passphrase_or_name() {
        let s = Sandbox::empty();
        let mut stderr = String::new();
        let mut run = |pass: &str, args: &[&str], stdin: Option<&str>| {
            let r = logged(&s, pass, args, stdin);
            stderr.push_str(&r.stderr);
            r
        };
        run(
            PASS,
            &["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"],
            None,
        )
        .ok();
        run(PASS, &["workspace", "add", WORKSPACE], None).ok();
        run(
            PASS,
            &["project", "add", &format!("{WORKSPACE}/ledgerproj")],
            None,
        )
        .ok();
        run(
            PASS,
            &["env", "add", &format!("{WORKSPACE}/ledgerproj/stagingenv")],
            None,
        )
        .ok();
        let node = format!("{WORKSPACE}/ledgerproj/stagingenv");
        let created = run(
            PASS,
            &["--json", "key", "create", &node, "--name", KEY_NAME],
            None,
        )
        .ok();
        let created = created.json();
        let secret = created["key_secret"].as_str().expect("secret").to_owned();
        let key_id = created["key_id"].as_str().expect("id").to_owned();
        let text = run(
            PASS,
            &["key", "create", &node, "--name", "otter-second-key"],
            None,
        )
        .ok();
        let second = text
            .stdout
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("kw_"))
            .expect("the secret line")
            .to_owned();
        run(PASS, &["key", "list"], None).ok();
        run(PASS, &["--json", "key", "list", WORKSPACE], None).ok();
        run(PASS, &["key", "show", &key_id], None).ok();
        run(PASS, &["verify"], Some(&format!("{secret}\n"))).ok();
        run(PASS, &["verify", "--key", &secret], None).ok();
        run(
            PASS,
            &[
                "verify",
                "--header",
                &format!("Authorization: Api-Key {second}"),
            ],
            None,
        )
        .ok();
        let rolled = run(
            PASS,
            &["--json", "key", "roll", &key_id, "--grace", "1h"],
            None,
        )
        .ok();
        let rolled = rolled.json()["key_secret"]
            .as_str()
            .expect("rolled")
            .to_owned();
        run(PASS, &["key", "master", WORKSPACE], None).ok();
        run(
            PASS,
            &["key", "scopes", &key_id, "--set", "read,write"],
            None,
        )
        .ok();
        run(
            PASS,
            &[
                "key",
                "edit",
                &key_id,
                "--owner",
                "walrus-team",
                "--tag",
                "narwhaltag",
            ],
            None,
        )
        .ok();
        // The leak scanner finds the second secret in a file (exit 1: a live key is exposed).
        let leaked = s.path("leaked.env");
        std::fs::write(&leaked, format!("TOKEN={second}\n")).expect("write");
        let scanned = run(PASS, &["scan", leaked.to_str().expect("utf-8")], None);
        assert_eq!(scanned.code, 1, "{}", scanned.stderr);
        run(PASS, &["log"], None).ok();
        run(PASS, &["doctor"], None).ok();
        let backup = s.path("copy.keyward");
        run(PASS, &["backup", backup.to_str().expect("utf-8")], None).ok();
        run(PASS, &["passwd"], None).ok();
        // A wrong passphrase is logged as such, without the passphrase tried.
        run("the wrong one entirely", &["key", "list"], None);
        run(NEW_PASS, &["key", "revoke", &key_id], None).ok();
        run(NEW_PASS, &["key", "rm", &key_id], None).ok();

        // Logging is on: commands, unlocking and timings are there.
        for expected in [
            "command: key create",
            "command: verify",
            "unlocked",
            "Argon2id (8 MiB, 1 passes",
            "key list: 2 key(s) decrypted and written in",
            "unlock refused: wrong passphrase",
            "key list: done in",
        ] {
            assert!(
                stderr.contains(expected),
                "no '{expected}' in the log:\n{stderr}"
            );
        }
        let random = |k: &str| {
            k.split_once('_')
                .map(|(_, r)| r.to_owned())
                .unwrap_or_default()
        };
        for (what, hidden) in [
            ("the passphrase", PASS.to_owned()),
            ("the new passphrase", NEW_PASS.to_owned()),
            ("the wrong passphrase", "the wrong one entirely".to_owned()),
            ("a secret", secret.clone()),
            ("a secret's random part", random(&secret)[..12].to_owned()),
            ("the second secret", random(&second)[..12].to_owned()),
            ("the rolled secret", random(&rolled)[..12].to_owned()),
            ("a key name", KEY_NAME.to_owned()),
            ("a key name", "otter-second-key".to_owned()),
            ("a workspace name", WORKSPACE.to_owned()),
            ("a project name", "ledgerproj".to_owned()),
            ("an environment name", "stagingenv".to_owned()),
            ("a key's owner", "walrus-team".to_owned()),
            ("a key's tag", "narwhaltag".to_owned()),
        ] {
            assert!(!stderr.contains(&hidden), "the log shows {what}:\n{stderr}");
        }
    }
}
