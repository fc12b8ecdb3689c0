//! Key limits in the window: the Limits section of Add New Key and Edit (collapsed until
//! opened, its header saying what is set), refusing nonsense before Generate, and the
//! details showing what a key carries.

mod common;

use common::window::{Drive as _, Setup, acme};

#[test]
fn add_new_key_sets_limits_and_edit_changes_them() {
    let mut w = Setup::default().unlocked(acme);
    w.select("prod");
    w.click("Add New Key");
    w.type_into("Name", "metered");
    assert!(w.has("Limits: none"), "collapsed, saying nothing is set");
    assert!(!w.has("Rate limits"), "collapsed by default");
    w.click("Limits: none");
    w.type_into("Rate limits", "100");
    assert!(
        w.is_disabled("Generate Key"),
        "a limit that does not read stops Generate"
    );
    assert!(
        w.has_text("[NAME=]LIMIT/WINDOW"),
        "and says the form to use"
    );
    w.clear("Rate limits");
    w.type_into("Rate limits", "100/min, burst=20/s");
    w.type_into("Credits", "500");
    w.type_into("Allowed networks", "10.0.0.0/8");
    assert!(w.has("Limits: 100/min, burst=20/s; 500 credits; from 10.0.0.0/8"));
    w.click("Generate Key");
    w.copy_and_close();

    let v = w.open_vault();
    let key = v
        .list_keys(None)
        .expect("keys")
        .into_iter()
        .find(|k| k.name == "metered")
        .expect("minted");
    let limits = key.policy.limits.as_deref().expect("limits");
    assert_eq!(
        limits.summary(),
        "100/min, burst=20/s; 500 credits; from 10.0.0.0/8"
    );
    drop(v);

    // The details say it; Edit starts from it and saves a change.
    w.row_action("metered", "Details of metered");
    assert!(w.has_text("100/min, burst=20/s; 500 credits; from 10.0.0.0/8"));
    w.press(egui::Modifiers::NONE, egui::Key::Escape);
    w.row_action("metered", "Edit details of metered");
    w.click("Limits: 100/min, burst=20/s; 500 credits; from 10.0.0.0/8");
    w.clear("Credits");
    w.type_into("Credits", "900");
    w.click("Save details");
    w.settle();
    let v = w.open_vault();
    let key = v.key(&key.key_id).expect("key");
    assert_eq!(
        key.policy.limits.as_deref().map(|l| l.summary()).as_deref(),
        Some("100/min, burst=20/s; 900 credits; from 10.0.0.0/8")
    );
}
