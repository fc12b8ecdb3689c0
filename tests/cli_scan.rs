//! `keyward scan`: the vault's own keys found in files, folders and standard input, marked
//! exposed once per place; exit 1 only for a key that still works.

mod common;

use common::Sandbox;

fn scan(s: &Sandbox, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["--json", "scan"];
    all.extend_from_slice(args);
    let r = s.run(&all);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let json = if r.code == 2 {
        serde_json::Value::Null
    } else {
        r.json()
    };
    (r.code, json)
}

fn places(found: &serde_json::Value, kind: &str) -> Vec<String> {
    found["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| f["place"].as_str().expect("place").to_owned())
        .collect()
}

crate::on_both_stores! {
    fn a_planted_key_is_found_marked_exposed_once_per_place_and_fails_the_hook() {
        let s = Sandbox::with_tree();
        let key = s.create_key("acme/billing/prod", "ci", &[]);
        let secret = key["key_secret"].as_str().expect("secret");
        let id = key["key_id"].as_str().expect("id");
        let repo = s.path("repo");
        std::fs::create_dir_all(repo.join("src/deep")).expect("dirs");
        std::fs::write(repo.join("README.md"), "nothing to see\n").expect("write");
        std::fs::write(
            repo.join("src/deep/config.env"),
            format!("# settings\r\nDEBUG=1\r\nAPI_KEY={secret}\r\n"),
        )
        .expect("write");
        let (code, found) = scan(&s, &[repo.to_str().expect("utf-8")]);
        assert_eq!(code, 1, "{found}");
        let expected = format!("{}:3", repo.join("src/deep/config.env").display());
        assert_eq!(places(&found, "exposed"), vec![expected.clone()]);
        assert_eq!(found["findings"][0]["key_id"], id);
        assert!(
            !found.to_string().contains(secret),
            "the secret itself is never printed"
        );
        assert_eq!(found["findings"][0]["new_place"], true);

        let listed = s.run(&["--json", "key", "show", id]).ok().json();
        assert_eq!(listed["status"], "exposed");
        let (_, again) = scan(&s, &[repo.to_str().expect("utf-8")]);
        assert_eq!(
            again["findings"][0]["new_place"], false,
            "logged once per place"
        );
        let log = s.run(&["--json", "log", "--limit", "100"]).ok().json();
        let exposed: Vec<_> = log
            .as_array()
            .expect("log")
            .iter()
            .filter(|e| e["action"] == "key.exposed")
            .collect();
        assert_eq!(exposed.len(), 1, "{log}");

        // Standard input, for `git log -p | keyward scan -` and hooks.
        let r = s.run_stdin(
            &["--json", "scan", "-"],
            &format!("line one\n+token = \"{secret}\"\n"),
        );
        assert_eq!(r.code, 1);
        assert_eq!(places(&r.json(), "exposed"), vec!["-:2".to_owned()]);

        // Rolling fixes it: the old secret stops at once with no grace, and is no longer live.
        s.run(&["key", "roll", id, "--grace", "0"]).ok();
        let (code, after) = scan(&s, &[repo.to_str().expect("utf-8")]);
        assert_eq!(code, 0, "{after}");
        assert_eq!(places(&after, "inactive").len(), 1);
        let listed = s.run(&["--json", "key", "show", id]).ok().json();
        assert_eq!(listed["status"], "active", "the new secret is not exposed");
    }
}

crate::on_both_stores! {
    fn look_alikes_ignored_files_and_foreign_keys() {
        let s = Sandbox::with_tree();
        let key = s.create_key("acme", "top", &[]);
        let secret = key["key_secret"].as_str().expect("secret").to_owned();
        let repo = s.path("repo");
        std::fs::create_dir_all(repo.join("build")).expect("dirs");
        let mut typo = secret.clone().into_bytes();
        let i = typo.len() - 12;
        typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(typo).expect("ascii");
        std::fs::write(
            repo.join("notes.txt"),
            format!("x{secret}\n{typo}\n{secret}Z\nprefix_{secret}\n"),
        )
        .expect("write");
        std::fs::write(repo.join(".gitignore"), "build/\n").expect("write");
        std::fs::write(repo.join("build/out.log"), format!("key={secret}\n")).expect("write");
        let (code, found) = scan(&s, &[repo.to_str().expect("utf-8")]);
        assert_eq!(code, 0, "{found}");
        assert_eq!(
            found["findings"].as_array().expect("list").len(),
            0,
            "{found}"
        );

        let (code, found) = scan(&s, &["--no-ignore", repo.to_str().expect("utf-8")]);
        assert_eq!(code, 1);
        assert_eq!(places(&found, "exposed").len(), 1);
        assert!(places(&found, "exposed")[0].ends_with("out.log:1"));

        // A well-formed key of another vault with the same prefix is foreign, not live.
        let other = Sandbox::with_tree();
        let theirs = other.create_key("acme", "theirs", &[]);
        let file = s.path("theirs.txt");
        std::fs::write(&file, theirs["key_secret"].as_str().expect("secret")).expect("write");
        let (code, found) = scan(&s, &[file.to_str().expect("utf-8")]);
        assert_eq!(code, 0);
        assert_eq!(places(&found, "foreign").len(), 1);

        s.run(&["scan", "no/such/place"]).refused("no such file");
    }
}

crate::on_both_stores! {
    fn the_gitleaks_and_trufflehog_rules_match_a_planted_key() {
        let s = Sandbox::with_tree();
        let key = s.create_key("acme/billing/prod", "ci", &[]);
        let secret = key["key_secret"].as_str().expect("secret");
        let gitleaks = s.run(&["scan", "--print-rule", "gitleaks"]).ok().stdout;
        let regex = gitleaks
            .lines()
            .find_map(|l| l.strip_prefix("regex = '''")?.strip_suffix("'''"))
            .expect("a regex line");
        let re = regex::Regex::new(regex).expect("the rule is a valid regex");
        assert!(re.is_match(&format!("API_KEY={secret}\n")));
        assert!(
            !re.is_match(&format!("API_KEY=x{secret}")),
            "whole tokens only"
        );
        assert!(
            gitleaks.contains("acme_") && gitleaks.contains("kw_"),
            "{gitleaks}"
        );
        let trufflehog = s.run(&["scan", "--print-rule", "trufflehog"]).ok().stdout;
        let pattern = trufflehog
            .lines()
            .find_map(|l| l.trim().strip_prefix("key: '")?.strip_suffix('\''))
            .expect("a regex line");
        assert!(regex::Regex::new(pattern).expect("valid").is_match(secret));
    }
}

#[test]
fn a_file_name_with_terminal_escapes_prints_escaped() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let secret = key["key_secret"].as_str().expect("secret");
    let repo = s.path("repo");
    std::fs::create_dir_all(&repo).expect("dir");
    // Retitles the terminal, clears it, and forges a line.
    let name = "a\u{1b}]0;owned\u{7}b\u{1b}[2J\nOK: clean.env";
    std::fs::write(repo.join(name), format!("k={secret}\n")).expect("write");
    let r = s.run(&["scan", repo.to_str().expect("utf-8")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
        "{:?}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("a\\x1b]0;owned\\x07b\\x1b[2J\\nOK: clean.env:1: EXPOSED"),
        "{:?}",
        r.stdout
    );
    assert!(
        !r.stdout.lines().any(|l| l.starts_with("OK:")),
        "{:?}",
        r.stdout
    );
    // JSON keeps the real name, escaped as JSON does.
    let r = s.run(&["--json", "scan", repo.to_str().expect("utf-8")]);
    assert!(!r.stdout.contains('\u{1b}'));
    let place = r.json()["findings"][0]["place"]
        .as_str()
        .expect("place")
        .to_owned();
    assert!(place.contains(name), "{place:?}");
}

#[test]
fn a_description_with_control_characters_prints_escaped_in_key_list_and_show() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let id = key["key_id"].as_str().expect("id");
    let edited = s.run(&["key", "edit", id, "--description", "x\u{1b}[2Jy\u{9b}z"]);
    if edited.code != 0 {
        // Refused at the door is as good.
        edited.refused("control");
        return;
    }
    for args in [["key", "list"].as_slice(), &["key", "show", id]] {
        let r = s.run(args);
        assert!(
            !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{9b}'),
            "{args:?}: {:?}",
            r.stdout
        );
    }
    let shown = s.run(&["key", "show", id]).ok().stdout;
    assert!(shown.contains("x\\x1b[2Jy\\u009bz"), "{shown:?}");
    // JSON output stays JSON and keeps the real text.
    let json = s.run(&["--json", "key", "show", id]).ok().json();
    assert_eq!(json["description"], "x\u{1b}[2Jy\u{9b}z", "{json}");
    // A name cannot hold one at all.
    s.run(&["key", "create", "acme/billing/prod", "--name", "a\u{1b}[2J"])
        .refused("control");
}

#[test]
fn a_baselined_finding_is_left_out_and_a_new_one_reported() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let secret = key["key_secret"].as_str().expect("secret");
    let repo = s.path("repo");
    std::fs::create_dir_all(&repo).expect("dir");
    std::fs::write(repo.join("old.env"), format!("K={secret}\n")).expect("write");
    let root = repo.to_str().expect("utf-8");
    let baseline = s.path("baseline.json");
    let b = baseline.to_str().expect("utf-8");
    let wrote = s
        .run(&["--json", "scan", "--write-baseline", b, root])
        .ok()
        .json();
    assert_eq!(wrote["fingerprints"], 1, "{wrote}");
    let saved = std::fs::read_to_string(&baseline).expect("baseline");
    assert!(!saved.contains(&secret[secret.len() - 20..]), "{saved}");

    let (code, found) = scan(&s, &["--baseline", b, root]);
    assert_eq!(code, 0, "baselined: as if clean: {found}");
    assert_eq!(found["findings"].as_array().expect("list").len(), 0);
    assert_eq!(found["baselined"], 1);
    let human = s.run(&["scan", "--baseline", b, root]).ok().stdout;
    assert!(human.contains("baselined: 1"), "{human}");

    // A new place of the same key is new.
    std::fs::write(repo.join("new.env"), format!("K={secret}\n")).expect("write");
    let (code, found) = scan(&s, &["--baseline", b, root]);
    assert_eq!(code, 1, "{found}");
    assert_eq!(places(&found, "exposed").len(), 1);
    assert!(
        places(&found, "exposed")[0].ends_with("new.env:1"),
        "{found}"
    );
    assert_eq!(found["baselined"], 1);

    std::fs::write(&baseline, "{\"not\": 1}").expect("write");
    s.run(&["scan", "--baseline", b, root])
        .refused("not a keyward baseline");
    s.run(&["scan", "--baseline", "no/such.json", root])
        .refused("no/such.json");
}

#[test]
fn several_paths_are_scanned_as_the_pre_commit_hook_passes_them() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &[]);
    let secret = key["key_secret"].as_str().expect("secret");
    let repo = s.path("repo");
    std::fs::create_dir_all(repo.join("src")).expect("dir");
    std::fs::write(repo.join("a.env"), format!("K={secret}\n")).expect("write");
    std::fs::write(repo.join("src/b.rs"), "fn main() {}\n").expect("write");
    std::fs::write(repo.join("src/c.txt"), format!("\n{secret}\n")).expect("write");
    let mut cmd = s.command();
    cmd.current_dir(&repo)
        .args(["--json", "scan", "a.env", "src/b.rs", "src/c.txt"]);
    let r = s.run_with(&mut cmd);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = r.json();
    assert_eq!(found["files"], 3);
    assert_eq!(
        places(&found, "exposed"),
        vec!["a.env:1".to_owned(), "src/c.txt:2".to_owned()]
    );
}

#[test]
fn the_pre_commit_hook_definition_runs_keyward_scan_on_staged_files() {
    let text = include_str!("../.pre-commit-hooks.yaml");
    // The framework's required keys, checked as lines (no YAML parser in the build) ...
    for line in [
        "- id: keyward-scan",
        "  entry: keyward scan",
        "  language: system",
        "  pass_filenames: true",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?}");
    }
    assert!(text.lines().any(|l| l.starts_with("  name: ")));
    // ... and as YAML by Python when it is there.
    let script = "import sys, yaml\n\
                  hooks = yaml.safe_load(open(sys.argv[1]))\n\
                  assert isinstance(hooks, list) and len(hooks) == 1, hooks\n\
                  h = hooks[0]\n\
                  for k in ('id', 'name', 'entry', 'language'): assert isinstance(h[k], str), k\n\
                  assert h['entry'] == 'keyward scan' and h['language'] == 'system'\n\
                  assert h['pass_filenames'] is True\n";
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml");
    let have = std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        if std::env::var("KEYWARD_REQUIRE_PYTHON").as_deref() == Ok("1") {
            panic!("python3 with yaml is required (KEYWARD_REQUIRE_PYTHON=1) but missing");
        }
        eprintln!(
            "\n*** SKIPPED the YAML parse of .pre-commit-hooks.yaml: python3-yaml is not installed (set KEYWARD_REQUIRE_PYTHON=1 to make this a failure) ***\n"
        );
        return;
    }
    let out = std::process::Command::new("python3")
        .args(["-c", script, file])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
