//! Publish targets: verifier files the vault rewrites after every change under their node, in
//! the same command, so `verify --verifier` (and services reading the file) follow a revoke.

mod common;

use common::Sandbox;

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

crate::on_both_stores! {
    fn a_target_follows_every_change_under_its_node_and_only_those() {
        let s = Sandbox::with_tree();
        s.run(&["workspace", "add", "other"]).ok();
        let key = s.create_key("acme/billing/prod", "ci", &[]);
        let secret = key["key_secret"].as_str().expect("secret");
        let id = key["key_id"].as_str().expect("id");
        let out = s.path("published/prod.verifier.json");
        std::fs::create_dir_all(out.parent().expect("dir")).expect("dir");
        let added = s
            .run(&[
                "--json",
                "publish",
                "add",
                "acme/billing",
                out.to_str().expect("utf-8"),
            ])
            .ok()
            .json();
        assert_eq!(added["last_keys"], 1);
        #[cfg(unix)]
        assert_eq!(mode(&out), 0o644, "a service user must be able to read it");
        assert_eq!(s.verify_with_file(&out, secret), (0, "valid".into()));

        s.run(&["key", "revoke", id]).ok();
        assert_eq!(
            s.verify_with_file(&out, secret),
            (1, "revoked".into()),
            "the revoke reached the file in the same command"
        );
        let later = s.create_key("acme/billing/prod", "later", &[]);
        let later_secret = later["key_secret"].as_str().expect("secret");
        assert_eq!(s.verify_with_file(&out, later_secret), (0, "valid".into()));

        let before = std::fs::read(&out).expect("read");
        s.create_key("other", "elsewhere", &[]);
        assert_eq!(
            std::fs::read(&out).expect("read"),
            before,
            "a change outside the node leaves the file alone"
        );

        let listed = s.run(&["--json", "publish", "list"]).ok().json();
        assert_eq!(listed[0]["node_path"], "acme/billing");
        assert_eq!(listed[0]["last_keys"], 2);
        assert!(listed[0]["last_error"].is_null());
        s.run(&["publish", "add", "acme", out.to_str().expect("utf-8")])
            .refused("already");

        s.run(&["publish", "rm", out.to_str().expect("utf-8")]).ok();
        let last = std::fs::read(&out).expect("read");
        s.create_key("acme/billing/prod", "after-rm", &[]);
        assert_eq!(
            std::fs::read(&out).expect("read"),
            last,
            "no longer rewritten"
        );
    }
}

crate::on_both_stores! {
    fn the_whole_vault_a_mode_and_a_re_key_are_kept() {
        let s = Sandbox::with_tree();
        let key = s.create_key("acme", "top", &[]);
        let secret = key["key_secret"].as_str().expect("secret");
        let out = s.path("all.verifier.json");
        s.run(&[
            "publish",
            "add",
            "/",
            out.to_str().expect("utf-8"),
            "--mode",
            "600",
        ])
        .ok();
        #[cfg(unix)]
        assert_eq!(mode(&out), 0o600);
        s.run_with(
            s.command()
                .env("KEYWARD_NEW_PASSPHRASE", common::PASS)
                .args(["passwd"]),
        )
        .ok();
        s.run(&["key", "revoke", key["key_id"].as_str().expect("id")])
            .ok();
        assert_eq!(s.verify_with_file(&out, secret), (1, "revoked".into()));
        s.run(&["publish", "add", "acme", "x.json", "--mode", "999"])
            .refused("mode");
    }
}

crate::on_both_stores! {
    fn a_target_that_cannot_be_written_warns_and_the_change_still_lands() {
        let s = Sandbox::with_tree();
        let dir = s.path("gone");
        std::fs::create_dir_all(&dir).expect("dir");
        let out = dir.join("v.json");
        s.run(&["publish", "add", "acme", out.to_str().expect("utf-8")])
            .ok();
        std::fs::remove_dir_all(&dir).expect("remove the folder");
        let r = s.run(&["--json", "key", "create", "acme", "--name", "ci"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        // With --json the warning is a JSON object too.
        let warned = r.stderr.lines().any(|l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|w| {
                w["warning"]
                    .as_str()
                    .is_some_and(|w| w.starts_with("could not publish"))
            })
        });
        assert!(warned, "{}", r.stderr);
        let plain = s.run(&["key", "create", "acme", "--name", "cd"]);
        assert!(
            plain.stderr.contains("keyward: warning: could not publish"),
            "{}",
            plain.stderr
        );
        let listed = s.run(&["--json", "publish", "list"]).ok().json();
        assert!(listed[0]["last_error"].is_string(), "{listed}");
        std::fs::create_dir_all(&dir).expect("dir back");
        let now = s.run(&["--json", "publish", "now"]).ok().json();
        assert!(now[0]["last_error"].is_null(), "{now}");
        assert!(out.exists());
    }
}
