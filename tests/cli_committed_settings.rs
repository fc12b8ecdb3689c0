//! Publish targets and health acknowledgements steer security but are kept outside the sealed
//! tables: deleting one, or putting back an older copy, is `tampered` (doctor names it) and
//! no write builds on it. On the file and on PostgreSQL.

mod common;

use common::Sandbox;

/// The vault with a key and a publish target for acme; returns the key id and the file.
fn published(s: &Sandbox) -> (String, std::path::PathBuf) {
    let key = s.create_key("acme/billing/prod", "svc", &[]);
    let file = s.path("acme.json");
    s.run(&["publish", "add", "acme", file.to_str().expect("utf-8")])
        .ok();
    (key["key_id"].as_str().expect("id").to_owned(), file)
}

fn serial(file: &std::path::Path) -> u64 {
    let outer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("json");
    let payload: serde_json::Value =
        serde_json::from_str(outer["payload"].as_str().expect("payload")).expect("payload json");
    payload["serial"].as_u64().expect("serial")
}

crate::on_both_stores! {
    fn deleted_publish_targets_are_tampered_and_a_revoke_is_not_laundered() {
        let s = Sandbox::with_tree();
        let (key_id, file) = published(&s);
        let before = serial(&file);
        s.run(&["doctor"]).ok();
        // The attacker deletes the list so that revokes are no longer published.
        s.raw_sql(
            "DELETE FROM meta WHERE name = 'publish_targets'",
            "DELETE FROM meta WHERE name = 'publish_targets'",
        );
        s.run(&["publish", "list"]).refused("publish targets");
        let doctor = s.run(&["doctor"]);
        assert_eq!(doctor.code, 1, "{}{}", doctor.stdout, doctor.stderr);
        assert!(doctor.stdout.contains("publish targets"), "{}", doctor.stdout);
        // The revoke is refused rather than committed unpublished: the user is told.
        let revoke = s.run(&["key", "revoke", &key_id]);
        assert_eq!(revoke.code, 2, "{}{}", revoke.stdout, revoke.stderr);
        assert!(revoke.stderr.contains("tampered") || revoke.stderr.contains("integrity"), "{}", revoke.stderr);
        // Nothing was laundered: still tampered after the attempt.
        assert_eq!(s.run(&["doctor"]).code, 1);
        assert_eq!(serial(&file), before);
    }
}

crate::on_both_stores! {
    fn an_older_copy_of_the_targets_or_acknowledgements_put_back_is_tampered() {
        let s = Sandbox::with_tree();
        let (key_id, _file) = published(&s);
        s.run(&["doctor"]).ok();
        // Keep the sealed list with one target, add a second, then put the first back.
        // Kept aside: in a file of its own beside a vault file (a table the vault does not
        // know would make it refuse to open), in a table of its own on the server.
        let aside = s.path("aside.db");
        let attach = format!("ATTACH '{}' AS aside;", aside.display());
        s.raw_sql(
            &format!("{attach} CREATE TABLE aside.saved AS SELECT * FROM meta WHERE name IN ('publish_targets', 'health_acks')"),
            "CREATE TABLE saved AS SELECT * FROM meta WHERE name IN ('publish_targets', 'health_acks')",
        );
        let second = s.path("second.json");
        s.run(&["publish", "add", "acme/billing", second.to_str().expect("utf-8")])
            .ok();
        s.run(&["health", "--ack", &key_id, "--kind", "never_expires", "--until", "2030-01-01", "--reason", "internal"])
            .ok();
        s.run(&["doctor"]).ok();
        s.raw_sql(
            &format!("{attach} UPDATE meta SET value = (SELECT value FROM aside.saved WHERE aside.saved.name = meta.name) WHERE name = 'publish_targets'"),
            "UPDATE meta SET value = (SELECT value FROM saved WHERE saved.name = meta.name) WHERE name = 'publish_targets'; DROP TABLE saved",
        );
        let doctor = s.run(&["doctor"]);
        assert_eq!(doctor.code, 1, "{}", doctor.stdout);
        assert!(doctor.stdout.contains("publish targets"), "{}", doctor.stdout);
        s.run(&["workspace", "add", "other"]).refused("publish targets");
        assert_eq!(s.run(&["doctor"]).code, 1, "a write must not launder it");
    }
}

crate::on_both_stores! {
    fn deleted_acknowledgements_are_tampered() {
        let s = Sandbox::with_tree();
        let (key_id, _file) = published(&s);
        s.run(&["health", "--ack", &key_id, "--kind", "never_expires", "--until", "2030-01-01", "--reason", "internal"])
            .ok();
        s.raw_sql(
            "DELETE FROM meta WHERE name = 'health_acks'",
            "DELETE FROM meta WHERE name = 'health_acks'",
        );
        let doctor = s.run(&["doctor"]);
        assert_eq!(doctor.code, 1, "{}", doctor.stdout);
        assert!(doctor.stdout.contains("acknowledgements"), "{}", doctor.stdout);
        s.run(&["health"]).refused("acknowledgements");
    }
}
