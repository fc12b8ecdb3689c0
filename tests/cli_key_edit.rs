//! `key edit`: name, description, owner, tags and expiry, each change logged with old and new.

mod common;

use common::Sandbox;

crate::on_both_stores! {
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
}

crate::on_both_stores! {
    fn health_lists_findings_with_fixes_and_exits_1() {
        let s = Sandbox::with_tree();
        let key = s.create_key("acme/billing/prod", "forever", &[]);
        let id = key["key_id"].as_str().expect("id");
        let other = s.create_key("acme/billing/prod", "forever-too", &[]);
        let other_id = other["key_id"].as_str().expect("id");
        let r = s.run(&["health"]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(
            r.stdout
                .contains("never_expires (2): a leaked copy would work forever")
                && r.stdout.matches("fix: keyward key edit").count() == 1
                && r.stdout.contains(id)
                && r.stdout.contains(other_id)
                && r.stdout.contains("2 findings to fix, 0 acknowledged"),
            "one block per kind, a line per key: {}",
            r.stdout
        );
        s.run(&["key", "revoke", other_id]).ok();
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
        assert_eq!(
            after.json()["findings"][0]["acknowledged"]["reason"],
            "rotated by hand"
        );
        let text = s.run(&["health"]).ok().stdout;
        assert!(
            text.contains("never_expires (1, acknowledged)") && text.contains(": rotated by hand"),
            "{text}"
        );
        s.run(&[
            "health", "--ack", id, "--kind", "nonsense", "--until", "30d", "--reason", "x",
        ])
        .refused("unknown finding");
    }
}

fn ids(listed: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|k| k["key_id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<&str>) -> Vec<String> {
    ids.sort();
    ids.into_iter().map(str::to_owned).collect()
}

crate::on_both_stores! {
    fn key_list_filters_by_owner_tag_status_and_text() {
        let s = Sandbox::with_tree();
        let billing = s.create_key("acme/billing/prod", "billing-sync", &[]);
        let billing_id = billing["key_id"].as_str().expect("id");
        let reports = s.create_key("acme/billing/prod", "reports", &[]);
        let reports_id = reports["key_id"].as_str().expect("id");
        let leaked = s.create_key("acme/billing/prod", "old-ci", &[]);
        let leaked_id = leaked["key_id"].as_str().expect("id");
        s.run(&[
            "key",
            "edit",
            billing_id,
            "--owner",
            "Payments",
            "--tag",
            "batch",
            "--tag",
            "prod",
            "--description",
            "Nightly ledger export",
        ])
        .ok();
        s.run(&[
            "key",
            "edit",
            reports_id,
            "--owner",
            "payments ",
            "--tag",
            "prod",
        ])
        .ok();
        s.run(&["key", "revoke", reports_id]).ok();
        let planted = s.path("planted.env");
        std::fs::write(
            &planted,
            format!("TOKEN={}\n", leaked["key_secret"].as_str().expect("secret")),
        )
        .expect("write");
        s.run(&["scan", planted.to_str().expect("utf-8")]);

        let list = |extra: &[&str]| {
            let mut args = vec!["--json", "key", "list"];
            args.extend_from_slice(extra);
            ids(&s.run(&args).ok().json())
        };
        assert_eq!(list(&[]).len(), 3);
        assert_eq!(
            list(&["--owner", "PAYMENTS"]),
            sorted(vec![billing_id, reports_id])
        );
        assert_eq!(
            list(&["--tag", "prod", "--tag", "batch"]),
            sorted(vec![billing_id])
        );
        assert_eq!(list(&["--status", "revoked"]), sorted(vec![reports_id]));
        assert_eq!(list(&["--status", "exposed"]), sorted(vec![leaked_id]));
        assert_eq!(
            list(&["--status", "exposed", "--status", "active"]),
            sorted(vec![billing_id, leaked_id])
        );
        assert_eq!(list(&["--match", "LEDGER"]), sorted(vec![billing_id]));
        assert_eq!(
            list(&["--owner", "payments", "--status", "active"]),
            sorted(vec![billing_id])
        );
        assert!(list(&["--match", "nothing-like-this"]).is_empty());

        let text = s
            .run(&["key", "list", "--match", "nothing-like-this"])
            .ok()
            .stdout;
        assert!(text.contains("no keys match"), "{text}");
        let table = s.run(&["key", "list", "--tag", "batch"]).ok().stdout;
        assert!(
            table.contains("billing-sync") && !table.contains("reports"),
            "{table}"
        );
        s.run(&["key", "list", "--status", "lost"])
            .refused("invalid value");
    }
}

#[cfg(unix)]
crate::on_both_stores! {
    fn key_create_output_writes_a_private_key_file_and_never_overwrites() {
        use std::os::unix::fs::PermissionsExt;
        let s = Sandbox::with_tree();
        let file = s.path("ci.key.json");
        let path = file.to_str().expect("utf-8");
        let run = s
            .run(&[
                "key",
                "create",
                "acme/billing/prod",
                "--name",
                "ci",
                "--output",
                path,
            ])
            .ok();
        assert!(
            run.stdout.contains(path) && !run.stdout.contains("kw_"),
            "the secret goes to the file only: {}",
            run.stdout
        );
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let written = std::fs::read(&file).expect("read");
        let key: serde_json::Value = serde_json::from_slice(&written).expect("a key file");
        let secret = key["key_secret"].as_str().expect("secret");
        assert_eq!(s.verify(secret, &[]).0, 0, "the key in the file works");

        // An existing file is refused before anything is minted.
        s.run(&[
            "key",
            "create",
            "acme/billing/prod",
            "--name",
            "again",
            "--output",
            path,
        ])
        .refused("exists already");
        let listed = s.run(&["--json", "key", "list"]).ok().json();
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing minted");
        assert_eq!(
            std::fs::read(&file).expect("read"),
            written,
            "the file is untouched"
        );

        // An unwritable place: nothing is minted either.
        s.run(&[
            "key",
            "create",
            "acme/billing/prod",
            "--name",
            "nowhere",
            "--output",
            s.path("missing/dir/k.json").to_str().expect("utf-8"),
        ])
        .refused("k.json");
        let listed = s.run(&["--json", "key", "list"]).ok().json();
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing minted");

        let dash = s
            .run(&[
                "key",
                "create",
                "acme/billing/prod",
                "--name",
                "piped",
                "--output",
                "-",
            ])
            .ok()
            .json();
        assert_eq!(
            s.verify(dash["key_secret"].as_str().expect("secret"), &[])
                .0,
            0
        );
    }
}
