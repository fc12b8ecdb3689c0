//! The window's sidebar and key table, driven whole through egui_kittest (no display): adding,
//! renaming and deleting nodes, a workspace's scopes, search and sorting, a vault of 100,000
//! keys, and changes made by another process.

mod common;

use common::window::{Drive as _, Setup, Window, acme, add_keys};
use egui_kittest::kittest::Queryable as _;
use keyward::vault::{NewKey, Outcome};

#[test]
fn add_workspace_with_preset_project_and_environment() {
    let mut w = Setup::default().unlocked(|_| {});
    w.click("Add workspace");
    w.type_into("Name", "acme");
    w.click("Read / Write");
    w.click("Add");
    w.click("Add project");
    w.type_into("Name", "billing");
    w.click("Add");
    w.click("Add environment");
    w.type_into("Name", "prod");
    w.type_into("Secret prefix (optional)", "acme");
    w.press(egui::Modifiers::NONE, egui::Key::Enter);

    let v = w.open_vault();
    let env = v
        .resolve("acme/billing/prod")
        .expect("the environment exists");
    assert_eq!(env.prefix, "acme");
    let scopes = v.scopes(env.id).expect("scopes");
    assert_eq!(
        scopes.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["read", "write"]
    );
    assert!(scopes[0].required);
    let selected = w
        .app()
        .session()
        .and_then(|s| s.selected_node())
        .map(|n| n.path.clone());
    assert_eq!(
        selected.as_deref(),
        Some("acme/billing/prod"),
        "the new node is selected"
    );
    assert!(
        w.has("Add New Key"),
        "an empty node shows the big Add New Key button"
    );
}

#[test]
fn deleting_a_node_with_keys_says_how_many_and_asks() {
    let mut w = Setup::default().unlocked(|v| {
        let env = acme(v);
        add_keys(v, env.id, &["a", "b", "c"]);
    });
    w.select("billing");
    w.click("Delete project");
    assert!(w.has_text("3 API keys will be deleted"));
    w.click("Delete");
    let v = w.open_vault();
    assert!(v.resolve("acme/billing").is_err());
    assert_eq!(v.list_keys(None).expect("list").len(), 0);
}

#[test]
fn rename_a_node_and_see_activity_newest_first() {
    let mut w = Setup::default().unlocked(acme);
    w.select("billing");
    w.click("Rename project");
    w.clear("New name");
    w.type_into("New name", "payments");
    w.click("Rename");
    let v = w.open_vault();
    assert!(v.resolve("acme/payments/prod").is_ok());
    assert!(w.has("Project payments"));

    w.click("Activity");
    let activity = &w.app().session().expect("unlocked").activity;
    assert_eq!(
        activity.first().map(|e| e.action.as_str()),
        Some("node.rename"),
        "newest first"
    );
    assert!(w.has_text("node.rename"));
}

#[test]
fn scopes_tab_adds_edits_and_removes_scopes() {
    let mut w = Setup::default().unlocked(acme);
    w.select("acme");
    w.click("Scopes");
    w.click("Add scope");
    w.type_into("Scope id", "admin");
    w.type_into("Scope label", "Admin");
    w.type_into("Scope description", "Everything");
    w.click("Checked by default for new keys");
    w.click("Save scope");
    let v = w.open_vault();
    let ws = v.resolve("acme").expect("ws");
    let admin = v
        .scopes(ws.id)
        .expect("scopes")
        .into_iter()
        .find(|s| s.id == "admin")
        .expect("added");
    assert!(admin.default && !admin.required);

    w.click("Edit scope admin");
    w.click("Required (always on, every key gets it)");
    w.click("Save scope");
    let admin = v
        .scopes(ws.id)
        .expect("scopes")
        .into_iter()
        .find(|s| s.id == "admin")
        .expect("kept");
    assert!(admin.required);

    // The Add New Key form shows the new required scope checked and disabled.
    w.click("API Keys");
    w.click("Add New Key");
    assert!(w.is_checked("Admin (required)") && w.is_disabled("Admin (required)"));
    w.press(egui::Modifiers::NONE, egui::Key::Escape);

    w.click("Scopes");
    w.click("Remove scope admin");
    w.click("Remove scope");
    assert!(
        v.scopes(ws.id)
            .expect("scopes")
            .iter()
            .all(|s| s.id != "admin")
    );
}

#[test]
fn search_filters_the_table_and_ctrl_f_focuses_it() {
    let mut w = Setup::default().unlocked(|v| {
        let env = acme(v);
        add_keys(
            v,
            env.id,
            &["grafana-reader", "ci-deployer", "grafana-writer"],
        );
    });
    w.select("prod");
    w.press(egui::Modifiers::COMMAND, egui::Key::F);
    assert!(
        w.harness.get_by_label("Search keys").is_focused(),
        "Ctrl+F focuses the search box"
    );
    w.harness.get_by_label("Search keys").type_text("grafana");
    w.run();
    let mut names = w.visible_key_names();
    names.sort();
    assert_eq!(names, ["grafana-reader", "grafana-writer"]);
    assert!(w.has_text("2 of 3 keys"));
    w.click("Name");
    assert_eq!(w.visible_key_names(), ["grafana-reader", "grafana-writer"]);
    w.click("Name");
    assert_eq!(
        w.visible_key_names(),
        ["grafana-writer", "grafana-reader"],
        "sorting toggles"
    );
}

#[test]
fn a_vault_of_100000_keys_opens_and_its_table_renders() {
    let n = 100_000;
    let mut w = Setup::default().unlocked(|v| {
        acme(v);
        let env = v.resolve("acme/billing/prod").expect("env");
        for chunk in 0..10 {
            let batch = (0..n / 10)
                .map(|i| NewKey::named(format!("key-{chunk}-{i:05}")))
                .collect();
            v.create_keys(env.id, batch).expect("bulk");
        }
    });
    w.select("prod");
    assert_eq!(w.app().session().map(|s| s.keys.len()), Some(n));
    assert!(w.has_text("100,000 of 100,000 keys"));
    // Every key never expires: a finding each, counted in the badge with room for it.
    assert!(w.has("100,000 open findings"));
    assert!(w.has_text("100k"), "the badge counts compactly");
    assert!(
        w.has("key-9-09999"),
        "the first rows (newest first) are drawn"
    );
    let drawn = w.harness.query_all_by_label_contains("Delete key-").count();
    assert!(
        drawn > 5 && drawn < 200,
        "only visible rows are drawn (virtualised): {drawn}"
    );
    w.harness.get_by_label("Search keys").focus();
    w.harness
        .get_by_label("Search keys")
        .type_text("key-7-01234");
    w.run();
    assert_eq!(w.visible_key_names(), ["key-7-01234"]);
}

#[test]
fn changes_from_another_process_show_up() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    assert!(w.visible_key_names().is_empty());
    let mut cli = w.open_vault();
    let env = cli.resolve("acme/billing/prod").expect("env");
    cli.create_key(env.id, NewKey::named("from-the-cli"))
        .expect("key");
    // The window polls once a second; a few frames of harness time cover it.
    for _ in 0..4 {
        w.harness.run_steps(4);
    }
    assert_eq!(w.visible_key_names(), ["from-the-cli"]);

    // A service verifying through the vault only stamps last-used: no re-read every second,
    // but the stamp shows up within a minute.
    let reloads = |w: &Window| w.app().session().map(|s| s.reloads).unwrap_or(0);
    let before = reloads(&w);
    let secret = cli
        .create_key(env.id, NewKey::named("used"))
        .expect("key")
        .secret;
    w.harness.run_steps(8);
    let after_create = reloads(&w);
    assert_eq!(
        after_create,
        before + 1,
        "a logged change is re-read at once"
    );
    assert_eq!(
        cli.verify(secret.expose(), &[]).expect("verify").result,
        Outcome::Valid
    );
    w.harness.run_steps(20);
    assert_eq!(
        reloads(&w),
        after_create,
        "a last-used stamp alone does not re-read the node"
    );
    w.harness.run_steps(240);
    assert_eq!(
        reloads(&w),
        after_create + 1,
        "the stamps are picked up within a minute"
    );
    let used = w.app().session().and_then(|s| {
        s.keys
            .visible()
            .find(|k| k.name == "used")
            .map(|k| k.last_used_at)
    });
    assert!(used.flatten().is_some());
}
