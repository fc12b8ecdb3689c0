//! Key limits from the command line: set by `key create`, changed by `key edit` (logged),
//! imported by `key import`, shown by `key show` and `key list --json`, carried into the
//! verifier file, and checked by `verify` (`--from`, `--cost`).

mod common;

use common::Sandbox;

crate::on_both_stores! {
    fn limits_are_set_shown_edited_and_logged() {
        let s = Sandbox::with_tree();
        let key = s.create_key(
            "acme/billing/prod",
            "metered",
            &[
                "--rate-limit", "100/min", "--rate-limit", "burst=20/s", "--credits", "10000",
                "--refill", "10000/month", "--allow-ip", "10.0.0.0/8", "--allow-ip", "2001:db8::/32",
            ],
        );
        let id = key["key_id"].as_str().expect("id");
        let shown = s.run(&["key", "show", id]).ok().stdout;
        assert!(
            shown.contains("Limits:     100/min, burst=20/s; 10000 credits (refilled to 10000/month); from 10.0.0.0/8, 2001:db8::/32"),
            "{shown}"
        );
        let listed = s.run(&["--json", "key", "list"]).ok().json();
        let limits = &listed.as_array().expect("a list").iter().find(|k| k["key_id"] == id).expect("listed")["limits"];
        assert_eq!(limits["rate"][1], serde_json::json!({"name": "burst", "limit": 20, "period_ms": 1000}));
        assert_eq!(limits["credits"]["refill"], serde_json::json!({"amount": 10000, "period": "month"}));
        assert_eq!(limits["allow_ips"], serde_json::json!(["10.0.0.0/8", "2001:db8::/32"]));
        // A key without limits lists no `limits` at all.
        let plain = s.create_key("acme/billing/prod", "plain", &[]);
        let listed = s.run(&["--json", "key", "show", plain["key_id"].as_str().expect("id")]).ok().json();
        assert!(listed.get("limits").is_none(), "{listed}");

        // Each kind given replaces that kind only; the change is logged with old and new.
        let edited = s.run(&["--json", "key", "edit", id, "--rate-limit", "5/s"]).ok().json();
        assert_eq!(edited["limits"]["rate"], serde_json::json!([{"name": "default", "limit": 5, "period_ms": 1000}]));
        assert_eq!(edited["limits"]["credits"]["initial"], 10000);
        let log = s.run(&["--json", "log", "--limit", "1"]).ok().json();
        let detail = log[0]["detail"].as_str().expect("detail");
        assert!(detail.contains("limits 100/min, burst=20/s;") && detail.contains("to 5/s;"), "{detail}");
        let cleared = s.run(&["--json", "key", "edit", id, "--no-limits"]).ok().json();
        assert!(cleared.get("limits").is_none(), "{cleared}");

        // Nonsense is refused before anything is written, saying the form to use.
        for (flag, value, says) in [
            ("--rate-limit", "100", "[NAME=]LIMIT/WINDOW"),
            ("--refill", "10/week", "AMOUNT/day"),
            ("--allow-ip", "10.0.0.0/33", "not an address"),
        ] {
            let r = s.run(&["key", "create", "acme/billing/prod", "--name", "bad", flag, value]);
            assert_eq!(r.code, 2, "{flag} {value}");
            assert!(r.stderr.contains(says), "{flag} {value}: {}", r.stderr);
        }
        let r = s.run(&["key", "create", "acme/billing/prod", "--name", "bad", "--refill", "5/day"]);
        assert!(r.stderr.contains("--refill needs --credits"), "{}", r.stderr);
        assert!(s.run(&["key", "show", "bad"]).code != 0, "nothing was created");
    }
}

#[test]
fn import_takes_limits_and_verify_checks_address_and_cost() {
    let s = Sandbox::with_tree();
    let lines = concat!(
        r#"{"name": "office", "allow_ips": ["10.0.0.0/8"]}"#,
        "\n",
        r#"{"name": "paid", "credits": 3, "rate_limits": ["5/min"]}"#,
        "\n",
    );
    let out = s.dir.path().join("keys.jsonl");
    s.run_stdin(
        &[
            "key",
            "import",
            "acme/billing/prod",
            "-",
            "--output",
            out.to_str().expect("utf-8"),
        ],
        lines,
    )
    .ok();
    let minted: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .expect("key files")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let secret = |i: usize| minted[i]["key_secret"].as_str().expect("secret").to_owned();
    let verify = |extra: &[&str], key: &str| {
        let mut args = vec!["--json", "verify", "--key", key];
        args.extend_from_slice(extra);
        let r = s.run(&args);
        (r.code, r.json())
    };
    let office = secret(0);
    let (code, v) = verify(&[], &office);
    assert_eq!(
        (code, v["result"].as_str()),
        (1, Some("forbidden")),
        "no address given"
    );
    assert_eq!(
        verify(&["--from", "10.2.3.4"], &office).1["result"],
        "valid"
    );
    assert_eq!(
        verify(&["--from", "192.0.2.1"], &office).1["result"],
        "forbidden"
    );
    let paid = secret(1);
    let (code, v) = verify(&["--cost", "2"], &paid);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["limits"]["credits"]["remaining"], 1);
    assert_eq!(v["limits"]["rate"][0]["remaining"], 3);
    // Each `verify` counts on its own: more than the credits, or than the limit allows.
    assert_eq!(
        verify(&["--cost", "4"], &paid).1["result"],
        "usage_exceeded"
    );
    assert_eq!(verify(&["--cost", "6"], &paid).1["result"], "rate_limited");

    // The same through a signed verifier file, which is version 3 for these keys.
    let file = s.dir.path().join("acme.verifier.json");
    s.run(&[
        "export-verifier",
        "acme",
        "--output",
        file.to_str().expect("utf-8"),
    ])
    .ok();
    let text = std::fs::read_to_string(&file).expect("file");
    assert!(text.contains(r#""version": 3"#), "{text}");
    let trust = s.run(&["verifier-key"]).ok().stdout.trim().to_owned();
    let f = file.to_str().expect("utf-8");
    assert_eq!(
        verify(
            &["--verifier", f, "--trust", &trust, "--from", "10.0.0.1"],
            &office
        )
        .1["result"],
        "valid"
    );
    assert_eq!(
        verify(&["--verifier", f, "--trust", &trust], &office).1["result"],
        "forbidden"
    );
    // A bad line names itself, and nothing is minted.
    let r = s.run_stdin(
        &["key", "import", "acme/billing/prod", "-", "--output", "-"],
        r#"{"name": "x", "rate_limits": ["fast"]}"#,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("line 1") && r.stderr.contains("LIMIT/WINDOW"),
        "{}",
        r.stderr
    );
}
