//! A key's life in the window, driven whole through egui_kittest (no display): Add New Key and
//! the secret dialog (copy, download, Esc, a click outside, no clipboard), edit, roll, revoke
//! and delete, a tampered or exposed key, and the published verifier file.

mod common;

use common::PASS;
use common::window::{self, Drive as _, Setup, Window, acme, add_keys};
use egui_kittest::kittest::Queryable as _;
use keyward::vault::{NewKey, Outcome, Vault};

#[test]
fn add_new_key_form_then_the_secret_dialog_and_copy() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    w.click("Add New Key");
    assert!(w.is_disabled("Generate Key"), "no name yet");
    assert!(w.is_checked("Read (required)") && w.is_disabled("Read (required)"));
    assert!(!w.is_checked("Write"));
    w.click("Write");
    assert!(w.is_checked("Write"));
    w.click("30 days");
    w.type_into("Name", "ci-deployer");
    assert!(!w.is_disabled("Generate Key"));
    w.click("Generate Key");

    // The secret dialog.
    let secret = w.shown_secret();
    assert!(w.has_text("Store this secret key securely. You won't be able to view it again."));
    assert!(w.has(&secret), "the secret is shown as it is");
    assert!(w.is_disabled("Close"), "Close waits for a copy or download");
    w.click("Close");
    assert!(
        w.app().session().is_some_and(|s| s.secret.is_some()),
        "a disabled Close does nothing"
    );
    w.click("Copy");
    assert_eq!(w.clipboard.text().as_deref(), Some(secret.as_str()));
    assert!(!w.is_disabled("Close"));

    let mut v = w.open_vault();
    let check = v
        .verify(
            &format!("Authorization: Api-Key {secret}"),
            &["read", "write"],
        )
        .expect("verify");
    assert_eq!(check.result, Outcome::Valid);
    let key = v
        .key(check.key_id.as_deref().unwrap_or_default())
        .expect("key");
    assert_eq!(key.name, "ci-deployer");
    let days = (key.policy.expires_at.unwrap_or(0) - key.created_at) as f64 / 86_400.0;
    assert!((days - 30.0).abs() < 0.01, "30-day expiry, got {days}");

    w.click("Close");
    assert!(w.app().session().is_some_and(|s| s.secret.is_none()));
    assert!(
        !w.has_text(&secret),
        "after Close the secret is nowhere in the UI"
    );
    assert!(!w.has_text(&secret[5..30]));
    assert_eq!(w.visible_key_names(), ["ci-deployer"]);
}

#[test]
fn download_writes_the_key_file_owner_only_and_enables_close() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    let secret = w.generate_key("svc-download");
    w.click("Download .json");
    assert!(!w.is_disabled("Close"));
    let path = w.downloads.join("svc-download.keyward.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the file is written"))
            .expect("json");
    assert_eq!(json["type"], "keyward.api_key");
    assert_eq!(json["key_secret"], secret.as_str());
    assert_eq!(json["authorization"], format!("Api-Key {secret}"));
    assert_eq!(
        (
            json["workspace"].as_str(),
            json["project"].as_str(),
            json["environment"].as_str()
        ),
        (Some("acme"), Some("billing"), Some("prod"))
    );
    assert_eq!(json["scopes"], serde_json::json!(["read"]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
    let log = w.open_vault().activity(None, 5).expect("log");
    assert!(log.iter().any(|e| e.action == "key.download"));
    w.click("Close");
    assert!(!w.has_text(&secret));
}

#[test]
fn esc_closes_add_new_key_but_not_the_secret_dialog() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    w.click("Add New Key");
    assert!(w.has("Generate Key"));
    w.press(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(!w.has("Generate Key"), "Esc cancels Add New Key");

    w.generate_key("esc-test");
    w.press(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(w.has("Copy"), "Esc leaves the secret dialog open");
    // A click outside the dialog does not close it either.
    w.harness.get_by_label("Close").hover();
    w.click_outside();
    assert!(
        w.has("Copy"),
        "a click outside leaves the secret dialog open"
    );
}

#[test]
fn a_click_outside_closes_an_empty_add_new_key_but_not_one_with_a_name_typed() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    w.click("Add New Key");
    w.harness.get_by_label("Name").hover();
    w.run();
    w.click_outside();
    assert!(
        !w.has("Generate Key"),
        "nothing typed: a click outside closes it"
    );

    w.click("Add New Key");
    w.type_into("Name", "half-typed");
    w.click_outside();
    assert!(
        w.has("Generate Key"),
        "a name was typed: the click outside is ignored"
    );
    w.press(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(!w.has("Generate Key"), "Esc still cancels");
}

#[test]
fn enter_generates_with_a_custom_expiry_date() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    w.click("Add New Key");
    w.type_into("Name", "dated");
    w.click("Custom date");
    w.type_into("Expiry date (YYYY-MM-DD)", "2020-01-01");
    assert!(w.is_disabled("Generate Key"), "a past date is refused");
    w.clear("Expiry date (YYYY-MM-DD)");
    w.type_into("Expiry date (YYYY-MM-DD)", "2099-06-30");
    assert!(!w.is_disabled("Generate Key"));
    w.press(egui::Modifiers::NONE, egui::Key::Enter);
    let secret = w.shown_secret();
    let mut v = w.open_vault();
    let id = v.verify(&secret, &[]).expect("verify").key_id.expect("id");
    let expires = v
        .key(&id)
        .expect("key")
        .policy
        .expires_at
        .map(keyward::vault::format_time);
    assert_eq!(expires.as_deref(), Some("2099-06-30T23:59:59Z"));
}

#[test]
fn without_a_clipboard_the_dialog_says_so_and_download_still_works() {
    let mut w = Setup {
        clipboard: Some(Box::new(keyward::ui::clipboard::NoClipboard)),
        ..Setup::default()
    }
    .unlocked(acme);
    w.select("prod");
    w.generate_key("no-clipboard");
    w.click("Copy");
    assert!(w.has_text("No clipboard is available"));
    assert!(w.is_disabled("Close"), "a failed copy does not count");
    w.click("Download .json");
    assert!(!w.is_disabled("Close"));
}

#[test]
fn the_clipboard_clears_itself_after_the_timeout_unless_replaced() {
    let mut w = Setup::default().unlocked(acme);
    w.harness.state_mut().settings.clipboard_seconds = 5;
    w.select("prod");
    let secret = w.generate_key("clip-test");
    w.click("Copy");
    assert!(w.has_text("Clipboard clears in"));
    // Time in the harness advances by a fixed step per frame.
    for _ in 0..8 {
        w.harness.run_steps(10);
    }
    assert_eq!(w.clipboard.text(), None, "cleared after the timeout");
    assert!(w.has_text("Clipboard cleared"));
    assert!(w.has_text(&secret), "the dialog itself stays until closed");

    // Something else copied meanwhile is left alone.
    w.click("Copy");
    let mut other = w.clipboard.clone();
    keyward::ui::clipboard::Clipboard::set_text(&mut other, "the user's own text").expect("set");
    for _ in 0..8 {
        w.harness.run_steps(10);
    }
    assert_eq!(w.clipboard.text().as_deref(), Some("the user's own text"));
}

#[test]
fn edit_scopes_roll_revoke_and_delete_a_key() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    let first = w.generate_key("worker");
    w.copy_and_close();

    w.row_action("worker", "Edit scopes of worker");
    assert!(w.is_disabled("Read (required)"));
    w.click("Write");
    w.click("Save scopes");
    let mut v = w.open_vault();
    assert_eq!(
        v.verify(&first, &["write"]).expect("v").result,
        Outcome::Valid
    );

    w.row_action("worker", "Roll worker");
    w.click("None");
    w.click("Roll key");
    let rolled = w.shown_secret();
    assert_ne!(rolled, first, "roll shows a new secret");
    assert!(w.is_disabled("Close"));
    w.copy_and_close();
    assert_eq!(v.verify(&first, &[]).expect("v").result, Outcome::Expired);
    assert_eq!(
        v.verify(&rolled, &["write"]).expect("v").result,
        Outcome::Valid
    );

    w.row_action("worker", "Revoke worker");
    w.click("Revoke key");
    assert_eq!(v.verify(&rolled, &[]).expect("v").result, Outcome::Revoked);
    assert!(w.has_text("Revoked"));

    let r = w.harness.get_by_label("Delete worker").rect();
    w.click("Delete worker");
    assert!(
        w.has("Delete key"),
        "delete asks for confirmation {r:?} {:?}",
        w.app().status_text()
    );
    w.click("Cancel");
    assert_eq!(w.visible_key_names(), ["worker"]);
    w.click("Delete worker");
    w.click("Delete key");
    assert!(w.visible_key_names().is_empty());
    assert_eq!(v.verify(&rolled, &[]).expect("v").result, Outcome::NotFound);
}

#[test]
fn a_rolled_back_key_shows_as_tampered_and_the_others_stay_usable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ui.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let env = acme(&mut v);
    let (bad_id, bad) = window::mint(&mut v, env.id, "rolled-back");
    let (_, good) = window::mint(&mut v, env.id, "healthy");
    drop(v);
    let old = dir.path().join("old.keyward");
    std::fs::copy(&path, &old).expect("copy");
    let mut v = Vault::open(&path, PASS).expect("open");
    v.revoke_key(&bad_id).expect("revoke");
    drop(v);
    // Someone with the file puts the row from before the revoke back.
    common::roll_back_key(&path, &old, &bad_id);

    let mut w = Setup::default().window_in(dir);
    w.unlock(PASS);
    w.select("prod");
    assert!(w.has_text("Tampered"), "the rolled-back row is marked");
    assert!(w.has_text("healthy"));
    w.row_action("healthy", "Revoke healthy");
    w.click("Revoke key");
    let mut v = w.open_vault();
    assert_eq!(v.verify(&good, &[]).expect("v").result, Outcome::Revoked);
    assert_eq!(v.verify(&bad, &[]).expect("v").result, Outcome::Tampered);
}

#[test]
fn a_revoke_in_the_window_rewrites_the_published_verifier_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ui.keyward");
    let out = dir.path().join("prod.verifier.json");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let env = acme(&mut v);
    let k = v.create_key(env.id, NewKey::named("worker")).expect("key");
    let secret = k.secret.expose().to_owned();
    v.add_publish_target(Some(env.id), &out, 0o644)
        .expect("publish");
    let trusted = v.verifier_key().expect("kwpk");
    drop(v);
    let load = || {
        keyward::vault::Verifier::load(&out, &trusted)
            .expect("a signed verifier file")
            .verify(&secret, &[])
            .result
    };
    assert_eq!(load(), Outcome::Valid);

    let mut w = Setup::default().window_in(dir);
    w.unlock(PASS);
    w.select("prod");
    w.row_action("worker", "Revoke worker");
    w.click("Revoke key");
    assert_eq!(
        load(),
        Outcome::Revoked,
        "the window's revoke was published"
    );
}

#[test]
fn an_exposed_key_is_marked_and_can_still_be_rolled() {
    let mut w = Setup::default().unlocked(|v| {
        acme(v);
        let env = v.resolve("acme/billing/prod").expect("env");
        let k = v.create_key(env.id, NewKey::named("leaky")).expect("key");
        assert!(v.mark_exposed(&k.info.key_id, "repo/.env:3").expect("mark"));
    });
    w.select("prod");
    assert!(w.has_text("Exposed"));
    w.click("Actions for leaky");
    assert!(
        !w.is_disabled("Roll leaky"),
        "rolling is the fix for an exposed key"
    );
    w.click("Roll leaky");
    w.click("Roll key");
    assert!(
        w.app().session().is_some_and(|s| s.secret.is_some()),
        "a new secret is shown"
    );
}

#[test]
fn a_tooltip_behind_a_dialog_does_not_stay_over_it() {
    let mut w = Setup::default().unlocked(|v| {
        let env = acme(v);
        add_keys(v, env.id, &["grafana"]);
    });
    w.select("prod");
    let tips = |w: &Window| w.harness.query_all_by_label("Actions for grafana").count();
    // The pointer rests on the row's menu button: its tooltip shows beside the button.
    w.harness.get_by_label("Actions for grafana").hover();
    w.run();
    assert_eq!(tips(&w), 2, "the button and its tooltip");
    // A dialog opens over the table without the pointer moving.
    w.press(egui::Modifiers::COMMAND, egui::Key::N);
    assert!(w.has("Generate Key"));
    assert_eq!(
        tips(&w),
        1,
        "the tooltip of a widget behind the dialog is gone"
    );
}
