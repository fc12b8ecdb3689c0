//! `keyward scan --format sarif`: SARIF 2.1.0 that validates against the official schema
//! (tests/fixtures/sarif-schema-2.1.0.json, with Python's jsonschema) and holds no secret.
//! The schema check is SKIPPED loudly without python3-jsonschema unless
//! `KEYWARD_REQUIRE_PYTHON=1`.

mod common;

use std::process::{Command, Stdio};

use common::Sandbox;

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sarif-schema-2.1.0.json"
);

/// Validates `sarif` with Draft4Validator; `None` (after a SKIPPED line) without jsonschema.
fn schema_errors(sarif: &str, dir: &std::path::Path) -> Option<String> {
    let have = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        if std::env::var("KEYWARD_REQUIRE_PYTHON").as_deref() == Ok("1") {
            panic!("python3 with jsonschema is required (KEYWARD_REQUIRE_PYTHON=1) but missing");
        }
        eprintln!(
            "\n*** SKIPPED the SARIF schema check: python3-jsonschema is not installed (set KEYWARD_REQUIRE_PYTHON=1 to make this a failure) ***\n"
        );
        return None;
    }
    let file = dir.join("out.sarif");
    std::fs::write(&file, sarif).expect("write");
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  log = json.load(open(sys.argv[2]))\n\
                  v = jsonschema.Draft4Validator(schema)\n\
                  errors = sorted(v.iter_errors(log), key=lambda e: list(e.path))\n\
                  for e in errors: print(list(e.path), e.message)\n\
                  sys.exit(1 if errors else 0)\n";
    let out = Command::new("python3")
        .args(["-c", script, SCHEMA])
        .arg(&file)
        .output()
        .expect("python3");
    Some(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
        .filter(|_| !out.status.success())
        .or(Some(String::new()))
}

#[test]
fn sarif_has_a_rule_per_kind_places_and_fingerprints_validates_and_holds_no_secret() {
    let s = Sandbox::with_tree();
    let live = s.create_key("acme/billing/prod", "ci", &[]);
    let gone = s.create_key("acme/billing/prod", "old", &[]);
    let (live_secret, live_id) = (
        live["key_secret"].as_str().expect("secret"),
        live["key_id"].as_str().expect("id"),
    );
    let gone_secret = gone["key_secret"].as_str().expect("secret");
    s.run(&["key", "revoke", gone["key_id"].as_str().expect("id")])
        .ok();
    let other = Sandbox::with_tree();
    let theirs = other.create_key("acme/billing/prod", "theirs", &[]);
    let foreign_secret = theirs["key_secret"].as_str().expect("secret");

    let repo = s.path("repo");
    std::fs::create_dir_all(repo.join("src/deep")).expect("dirs");
    std::fs::write(
        repo.join("src/deep/config env.txt"),
        format!("# settings\nDEBUG=1\n  API_KEY={live_secret}\n"),
    )
    .expect("write");
    std::fs::write(
        repo.join("notes.md"),
        format!("{gone_secret}\nx {foreign_secret}\n"),
    )
    .expect("write");

    let r = s.run(&["scan", "--format", "sarif", repo.to_str().expect("utf-8")]);
    assert_eq!(
        r.code, 1,
        "a live key fails the run as always: {}",
        r.stderr
    );
    assert!(!r.stdout.contains('…'), "no shortened secret either");
    for secret in [live_secret, gone_secret, foreign_secret] {
        let body = &secret[secret.rfind('_').expect("_") + 1..];
        assert!(!r.stdout.contains(body), "a secret in the SARIF output");
        let sha = hex(&sha256(secret));
        assert!(
            !r.stdout.contains(&sha[..16]),
            "a hash of a secret in the output"
        );
    }
    let log: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "keyward");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules: Vec<&str> = driver["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert!(rules.len() >= 3, "{rules:?}");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "{results:#?}");
    let by_uri = |uri: &str, line: u64| {
        results
            .iter()
            .find(|r| {
                let loc = &r["locations"][0]["physicalLocation"];
                loc["artifactLocation"]["uri"] == uri && loc["region"]["startLine"] == line
            })
            .unwrap_or_else(|| panic!("no result at {uri}:{line}: {results:#?}"))
    };
    let exposed = by_uri("src/deep/config%20env.txt", 3);
    assert_eq!(exposed["ruleId"], "keyward/exposed-key");
    assert_eq!(exposed["level"], "error");
    assert_eq!(
        exposed["locations"][0]["physicalLocation"]["region"]["startColumn"],
        11
    );
    assert!(
        exposed["message"]["text"]
            .as_str()
            .expect("text")
            .contains(live_id),
        "{exposed}"
    );
    let index = exposed["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(rules[index], "keyward/exposed-key");
    let fp = exposed["partialFingerprints"]["keyward/v1"]
        .as_str()
        .expect("a fingerprint");
    assert_eq!(fp.len(), 64);
    assert_eq!(by_uri("notes.md", 1)["ruleId"], "keyward/inactive-key");
    assert_eq!(by_uri("notes.md", 2)["ruleId"], "keyward/unknown-key");

    // The same finding has the same fingerprint next time, though lines moved.
    std::fs::write(
        repo.join("src/deep/config env.txt"),
        format!("# new first line\n# settings\nDEBUG=1\n  API_KEY={live_secret}\n"),
    )
    .expect("write");
    let again = s.run(&["scan", "--format", "sarif", repo.to_str().expect("utf-8")]);
    let again: serde_json::Value = serde_json::from_str(&again.stdout).expect("json");
    assert!(again.to_string().contains(fp), "a stable fingerprint");

    // `--format json` is the `--json` document, fingerprints included.
    let json = s
        .run(&["scan", "--format", "json", repo.to_str().expect("utf-8")])
        .json();
    assert_eq!(json["findings"].as_array().expect("list").len(), 3);
    assert!(json.to_string().contains(fp));

    if let Some(errors) = schema_errors(&r.stdout, s.dir.path()) {
        assert!(
            errors.is_empty(),
            "the SARIF log does not validate:\n{errors}"
        );
        // The check can fail: a log without its version does not validate.
        let mut broken = log.clone();
        broken.as_object_mut().expect("object").remove("version");
        let errors = schema_errors(&broken.to_string(), s.dir.path()).expect("checked");
        assert!(errors.contains("version"), "{errors}");
    }
}

/// SHA-256, as the vault computes a secret's lookup hash.
fn sha256(text: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
