//! `key edit`: name, description, owner, tags and expiry, each change logged with old and new.

mod common;

use common::Sandbox;

#[test]
fn every_detail_can_be_edited_and_each_change_is_logged() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "ci", &["--expires", "30d"]);
    let id = key["key_id"].as_str().expect("id");
    let secret = key["key_secret"].as_str().expect("secret");
    let edited = s
        .run(&[
            "--json",
            "key",
            "edit",
            id,
            "--name",
            "ci-deployer",
            "--description",
            "Deploys billing from CI",
            "--owner",
            "platform team",
            "--tag",
            "ci",
            "--tag",
            "Billing",
            "--expires",
            "2099-01-01",
        ])
        .ok()
        .json();
    assert_eq!(edited["name"], "ci-deployer");
    assert_eq!(edited["description"], "Deploys billing from CI");
    assert_eq!(edited["owner"], "platform team");
    assert_eq!(edited["tags"], serde_json::json!(["ci", "billing"]));
    assert_eq!(edited["expires_at"], "2099-01-01T23:59:59Z");
    let shown = s.run(&["key", "show", id]).ok().stdout;
    assert!(
        shown.contains("platform team") && shown.contains("ci, billing"),
        "{shown}"
    );

    let log = s.run(&["--json", "log", "--limit", "1"]).ok().json();
    assert_eq!(log[0]["action"], "key.edit");
    let detail = log[0]["detail"].as_str().expect("detail");
    assert!(detail.contains("renamed 'ci' to 'ci-deployer'"), "{detail}");
    assert!(
        detail.contains("to 2099-01-01T23:59:59Z"),
        "old and new expiry: {detail}"
    );

    let untagged = s
        .run(&[
            "--json",
            "key",
            "edit",
            id,
            "--untag",
            "ci",
            "--expires",
            "never",
        ])
        .ok()
        .json();
    assert_eq!(untagged["tags"], serde_json::json!(["billing"]));
    assert!(untagged["expires_at"].is_null());
    let (code, v) = s.verify(secret, &[]);
    assert_eq!(
        (code, v["result"].as_str()),
        (0, Some("valid")),
        "the secret is unchanged"
    );

    s.create_key("acme/billing/prod", "other", &[]);
    s.run(&["key", "edit", id, "--name", "OTHER"])
        .refused("already exists");
    s.run(&["key", "edit", id, "--tag", "no spaces"])
        .refused("tag");
    s.run(&["key", "edit", id, "--expires", "2001-01-01"])
        .refused("past");
    s.run(&["key", "edit", id, "--owner", &"x".repeat(200)])
        .refused("owner");
    s.run(&["key", "edit", "kid_nope", "--owner", "x"])
        .refused("not found");
    assert!(s.run(&["doctor"]).ok().stdout.contains("OK"));
}

#[test]
fn health_lists_findings_with_fixes_and_exits_1() {
    let s = Sandbox::with_tree();
    let key = s.create_key("acme/billing/prod", "forever", &[]);
    let id = key["key_id"].as_str().expect("id");
    let r = s.run(&["health"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("never_expires") && r.stdout.contains("fix: keyward key edit"),
        "{}",
        r.stdout
    );
    s.run(&[
        "health",
        "--ack",
        id,
        "--kind",
        "never_expires",
        "--until",
        "30d",
        "--reason",
        "rotated by hand",
    ])
    .ok();
    let after = s.run(&["--json", "health"]);
    assert_eq!(after.code, 0, "{}", after.stdout);
    assert_eq!(after.json()["open"], 0);
    s.run(&[
        "health", "--ack", id, "--kind", "nonsense", "--until", "30d", "--reason", "x",
    ])
    .refused("unknown finding");
}
