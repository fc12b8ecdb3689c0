//! What scripts and shells expect of a CLI: `--json` errors as one JSON object on stderr,
//! completions and man pages for every command, and a warning when a key is put in argv on a
//! terminal.

mod common;

use std::process::{Command, Stdio};

use clap::CommandFactory;
use common::{PASS, Run, Sandbox, bin};
use keyward::cli::{Cli, command_paths};

/// Every command path in the grammar (`["key", "create"]`), walked from clap itself so the
/// tests keep up with new commands.
fn every_command() -> Vec<Vec<String>> {
    let mut root = Cli::command();
    root.build();
    let paths: Vec<Vec<String>> = command_paths(&root)
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| path.iter().all(|n| n != "help"))
        .collect();
    assert!(
        paths.len() > 30,
        "the walk finds the nested commands: {paths:?}"
    );
    assert!(paths.contains(&vec!["key".to_owned(), "create".to_owned()]));
    paths
}

/// The one JSON object on stderr of a failed `--json` command.
#[track_caller]
fn json_error(r: &Run) -> serde_json::Value {
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "", "nothing on stdout");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(lines[0])
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", r.stderr));
    let obj = v.as_object().expect("an object");
    assert_eq!(obj.len(), 3, "{v}");
    assert_eq!(v["code"], 2, "{v}");
    assert!(v["kind"].as_str().is_some_and(|k| !k.is_empty()), "{v}");
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    v
}

crate::on_both_stores! {
    fn json_errors_are_one_object_on_stderr() {
        let s = Sandbox::with_tree();
        // Vault errors.
        let v = json_error(&s.run(&["--json", "key", "list", "nowhere"]));
        assert!(
            v["error"].as_str().unwrap_or("").contains("not found"),
            "{v}"
        );
        let v = json_error(&s.run(&[
            "key", "create", "acme", "--name", "x", "--scope", "nope", "--json",
        ]));
        assert!(
            v["error"].as_str().unwrap_or("").contains("unknown scope"),
            "{v}"
        );
        let mut wrong = s.command();
        wrong.env("KEYWARD_PASSPHRASE", "not the passphrase");
        let v = json_error(&s.run_with(wrong.args(["--json", "workspace", "list"])));
        assert_eq!(v["error"], "wrong passphrase");
        // Usage errors found by clap, before the command runs.
        let v = json_error(&s.run(&["--json", "key", "frobnicate"]));
        assert!(
            v["error"].as_str().unwrap_or("").contains("frobnicate"),
            "{v}"
        );
        let v = json_error(&s.run(&["key", "create", "acme", "--json"]));
        assert!(v["error"].as_str().unwrap_or("").contains("--name"), "{v}");
        assert!(v["error"].as_str().unwrap_or("").contains("usage: "), "{v}");
        json_error(&s.run(&["--json", "init", "--kdf-memory-mib", "lots"]));
        // Output that cannot be written.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = s
            .command()
            .args(["--json", "workspace", "list"])
            .stdout(Stdio::from(full))
            .output()
            .expect("run");
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let v = json_error(&r);
        assert!(
            v["error"].as_str().unwrap_or("").contains("cannot write"),
            "{v}"
        );
        // Without --json errors stay text, and --help is still help.
        s.run(&["key", "list", "nowhere"])
            .refused("keyward: error: 'nowhere' not found");
        let help = s.run(&["--json", "--help"]).ok();
        assert!(help.stdout.contains("Usage"), "{}", help.stdout);
        // `--json` after `--` is an argument, not the flag.
        let r = s.run(&["key", "list", "--", "--json"]);
        assert!(r.stderr.starts_with("keyward: error:"), "{}", r.stderr);
    }
}

crate::on_both_stores! {
    fn json_errors_carry_the_kind_a_script_can_match() {
        let s = Sandbox::with_tree();
        let v = json_error(&s.run(&["--json", "workspace", "add", "ACME"]));
        assert_eq!(v["kind"], "name_taken", "{v}");
        let v = json_error(&s.run(&["--json", "key", "list", "nowhere"]));
        assert_eq!(v["kind"], "not_found", "{v}");
        let v = json_error(&s.run(&["--json", "key", "frobnicate"]));
        assert_eq!(v["kind"], "usage", "{v}");
        let missing = s.dir.path().join("missing.keyward");
        let r = s.run(&["--json", "--vault", missing.to_str().expect("utf-8"), "workspace", "list"]);
        assert_eq!(json_error(&r)["kind"], "no_vault");
    }
}

crate::on_both_stores! {
    fn completions_name_every_command_in_every_shell() {
        let commands = every_command();
        for shell in ["bash", "zsh", "fish", "powershell"] {
            let script = bin().args(["completions", shell]).output().expect("run");
            assert_eq!(script.status.code(), Some(0), "{shell}");
            let script = String::from_utf8(script.stdout).expect("utf-8");
            for path in &commands {
                let (leaf, parents) = path.split_last().expect("a name");
                let expected = match shell {
                    // `keyward__subcmd__key,create)`: the case for `keyward key create`.
                    "bash" => {
                        let mut f = "keyward".to_owned();
                        for p in parents {
                            f.push_str("__subcmd__");
                            f.push_str(&p.replace('-', "__subcmd__"));
                        }
                        format!("{f},{leaf})")
                    }
                    "zsh" => format!("_keyward__subcmd__{}_commands", path.join("__subcmd__")),
                    "fish" => format!("-a \"{leaf}\""),
                    _ => format!("'keyward;{}'", path.join(";")),
                };
                assert!(
                    script.contains(&expected),
                    "{shell} completion misses `keyward {}` ({expected})",
                    path.join(" ")
                );
            }
        }
        // An unknown shell is a usage error.
        assert_eq!(
            bin()
                .args(["completions", "tcsh"])
                .output()
                .expect("run")
                .status
                .code(),
            Some(2)
        );
    }
}

/// Roff text with its escapes for `-` undone.
fn unroff(page: &[u8]) -> String {
    String::from_utf8_lossy(page).replace("\\-", "-")
}

crate::on_both_stores! {
    fn the_man_page_names_every_command_and_each_has_its_own() {
        let commands = every_command();
        let page = bin().arg("man").output().expect("run");
        assert_eq!(page.status.code(), Some(0));
        let page = unroff(&page.stdout);
        assert!(
            page.starts_with(".ie") || page.starts_with(".TH"),
            "roff: {page}"
        );
        assert!(page.contains(".TH keyward 1"), "{page}");
        for path in &commands {
            let name = format!("keyward {}", path.join(" "));
            assert!(
                page.contains(&format!("\\fB{name}\\fR")),
                "man page misses {name}"
            );
        }
        // One page per command, as installed into man1/.
        let dir = tempfile::tempdir().expect("tempdir");
        let r = bin()
            .args(["--json", "man", "--dir"])
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(dir.path().join("keyward.1").exists());
        for path in &commands {
            let file = dir.path().join(format!("keyward-{}.1", path.join("-")));
            let text =
                unroff(&std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())));
            assert!(
                text.contains(&format!("keyward-{}", path.join("-"))),
                "{text}"
            );
        }
        // The page of one command, and a clear error for an unknown one.
        let one = bin().args(["man", "key", "create"]).output().expect("run");
        assert_eq!(one.status.code(), Some(0));
        assert!(
            unroff(&one.stdout).contains("\\-\\-full-access")
                || unroff(&one.stdout).contains("--full-access")
        );
        let bad = bin().args(["man", "key", "nosuch"]).output().expect("run");
        assert_eq!(bad.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("no command 'keyward key nosuch'"));
    }
}

/// Runs `keyward ARGS` with stdin, stdout and stderr on a terminal (util-linux `script`).
fn on_a_terminal(s: &Sandbox, args: &str) -> String {
    let out = Command::new("script")
        .args(["-qec", &format!("exec \"$KW_BIN\" {args}"), "/dev/null"])
        .env("KW_BIN", env!("CARGO_BIN_EXE_keyward"))
        .env("KEYWARD_VAULT", &s.vault)
        .env("KEYWARD_PASSPHRASE", PASS)
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

crate::on_both_stores! {
    fn a_key_in_argv_is_warned_about_on_a_terminal_only() {
        let s = Sandbox::with_tree();
        let key = s.create_key("acme/billing/prod", "ci", &[]);
        let secret = key["key_secret"].as_str().expect("secret").to_owned();
        for args in [
            format!("verify --key {secret}"),
            format!("verify --header 'Authorization: Api-Key {secret}'"),
        ] {
            let shown = on_a_terminal(&s, &args);
            assert!(shown.contains("valid"), "{shown}");
            assert!(
                shown.contains("visible to other users"),
                "no warning on a terminal for {args}: {shown}"
            );
        }
        // Scripts (stderr not a terminal) get no warning; stdin gets none anywhere.
        let r = s.run(&["verify", "--key", &secret]).ok();
        assert_eq!(r.stderr, "");
        let r = s.run_stdin(&["verify"], &format!("{secret}\n")).ok();
        assert_eq!(r.stderr, "");
        let file = s.path("key.txt");
        std::fs::write(&file, format!("{secret}\n")).expect("write");
        let shown = on_a_terminal(&s, &format!("verify < '{}'", file.display()));
        assert!(shown.contains("valid"), "{shown}");
        assert!(!shown.contains("visible to other users"), "{shown}");
    }
}
