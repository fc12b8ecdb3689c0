//! Bulk edits of the ticked keys (issue 22, item 10): a new expiry or one more scope for
//! every ticked key, after a question naming the count and the first keys; each key is
//! changed through the vault's own per-key edit, a refused one is named and the others are
//! still changed.

mod common;

use common::PASS;
use common::window::{self, App, Drive as _};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::vault::{KeyInfo, NewKey, NodeId, Vault};

/// acme/billing/prod prepared by `prepare`, the window on it unlocked at 1200x800 with prod
/// open.
fn unlocked(dir: &tempfile::TempDir, prepare: impl FnOnce(&mut Vault, NodeId)) -> App {
    prepared(dir, prepare);
    window_on(dir)
}

/// acme/billing/prod prepared by `prepare`.
fn prepared(dir: &tempfile::TempDir, prepare: impl FnOnce(&mut Vault, NodeId)) {
    let mut v = Vault::create(&vault_path(dir), PASS, window::fast_kdf()).expect("create");
    let env = window::acme(&mut v);
    prepare(&mut v, env.id);
}

/// The window on the vault, unlocked, prod open.
fn window_on(dir: &tempfile::TempDir) -> App {
    let mut h = window::app_in(dir.path(), vault_path(dir), egui::vec2(1200.0, 800.0));
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
    h.get_by_label("Environment prod").click();
    h.run();
    h
}

fn vault_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("bulk.keyward")
}

fn mint(v: &mut Vault, env: NodeId, name: &str, scopes: &[&str], full_access: bool) -> String {
    let new = NewKey::named(name)
        .scopes(scopes.iter().copied())
        .full_access(full_access);
    v.create_key(env, new).expect("key").info.key_id
}

/// The key named `name`, as the vault has it now.
fn key(dir: &tempfile::TempDir, name: &str) -> KeyInfo {
    let v = Vault::open(&vault_path(dir), PASS).expect("open");
    v.list_keys(None)
        .expect("list")
        .into_iter()
        .find(|k| k.name == name)
        .unwrap_or_else(|| panic!("no key {name}"))
}

/// The last second of the local day `date`: what Add New Key makes of a custom date.
fn end_of_local_day(date: jiff::civil::Date) -> i64 {
    let next = date
        .tomorrow()
        .expect("tomorrow")
        .to_zoned(jiff::tz::TimeZone::system())
        .expect("zoned");
    next.timestamp().as_second() - 1
}

#[test]
fn ticked_keys_get_one_new_expiry_and_a_tampered_one_is_named_while_the_others_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut writer = String::new();
    prepared(&dir, |v, env| {
        for name in ["reader", "ci-bot", "svc-0", "svc-1"] {
            mint(v, env, name, &[], false);
        }
        writer = mint(v, env, "writer", &[], false);
    });
    // Someone rolls writer's row back to before its last edit.
    let old = dir.path().join("old.keyward");
    std::fs::copy(vault_path(&dir), &old).expect("copy");
    let mut v = Vault::open(&vault_path(&dir), PASS).expect("open");
    v.edit_key_details(
        &writer,
        keyward::vault::KeyEdit {
            owner: Some("platform".into()),
            ..Default::default()
        },
    )
    .expect("edit");
    drop(v);
    common::roll_back_key(&vault_path(&dir), &old, &writer);
    let mut h = window_on(&dir);

    h.click("Select all shown");
    h.click("Set expiry…");
    assert!(
        h.has_text("Set the expiry of 5 keys: svc-1, svc-0, ci-bot and 2 more?"),
        "the question names the count and the first keys"
    );
    // The same choices as Add New Key, a custom local day among them.
    for choice in ["7 days", "30 days", "60 days", "90 days", "Custom date"] {
        assert!(h.query_by_label(choice).is_some(), "{choice}");
    }
    h.click("Custom date");
    let day = jiff::Zoned::now().date() + jiff::Span::new().days(120);
    let field = h.get_by_label("Expiry date (YYYY-MM-DD)");
    field.focus();
    field.type_text("2020-01-01");
    h.run();
    assert!(
        h.get_by_label("Set expiry").accesskit_node().is_disabled(),
        "a past day is refused as in Add New Key"
    );
    h.get_by_label("Expiry date (YYYY-MM-DD)").focus();
    h.run();
    for _ in 0..10 {
        h.key_press(egui::Key::Backspace);
    }
    h.run();
    let field = h.get_by_label("Expiry date (YYYY-MM-DD)");
    field.type_text(&day.to_string());
    h.run();
    h.click("Set expiry");
    // The tampered record's name cannot be read: its id names it.
    assert_eq!(
        h.state().status_text(),
        Some(
            format!(
                "Expiry set on 4 of 5 keys; refused 1 key: {writer} \
                 (its record failed its integrity check)"
            )
            .as_str()
        )
    );
    assert!(h.state().status_is_error(), "it stays until dismissed");
    let end = end_of_local_day(day);
    for name in ["reader", "ci-bot", "svc-0", "svc-1"] {
        assert_eq!(key(&dir, name).policy.expires_at, Some(end), "{name}");
    }
    let log = Vault::open(&vault_path(&dir), PASS)
        .expect("open")
        .activity(None, 50)
        .expect("activity");
    let edits = log
        .iter()
        .filter(|e| e.detail.contains("expiry never to "))
        .count();
    assert_eq!(edits, 4, "one logged edit per key");
}

#[test]
fn ticked_keys_get_a_scope_of_the_catalog_and_those_that_have_it_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |v, env| {
        mint(v, env, "reader", &["read"], false);
        mint(v, env, "writer", &["read", "write"], false);
        mint(v, env, "admin", &[], true);
        mint(v, env, "ci", &[], false);
    });
    h.click("Select all shown");
    h.click("Add scope…");
    assert!(h.has_text("Add a scope to 4 keys: ci, admin, writer and 1 more?"));
    assert!(
        h.get_by_label("Add scope to keys")
            .accesskit_node()
            .is_disabled(),
        "nothing chosen yet"
    );
    // The workspace's catalog; the required scope is on every key already.
    assert!(
        h.get_by_label("Read (required: every key has it)")
            .accesskit_node()
            .is_disabled()
    );
    h.click("Write");
    h.click("Add scope to keys");
    assert_eq!(
        h.state().status_text(),
        Some("Added write to 2 keys (2 had it already)")
    );
    assert!(!h.state().status_is_error());
    for (name, scopes) in [
        ("reader", &["read", "write"][..]),
        ("ci", &["read", "write"]),
        ("writer", &["read", "write"]),
    ] {
        let mut got = key(&dir, name).policy.scopes;
        got.sort();
        assert_eq!(got, scopes, "{name}");
    }
    let admin = key(&dir, "admin");
    assert!(admin.full_access, "full access stays full access");
}

fn open_findings(h: &App) -> usize {
    h.state().session().expect("unlocked").open_findings()
}

/// How many finding cards are drawn (each has an Acknowledge button named after it).
fn cards_drawn(h: &App) -> usize {
    h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Acknowledge ")))
        .count()
}

#[test]
fn fifteen_hundred_findings_filter_by_kind_and_each_kind_is_fixed_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |v, env| {
        let now = v.now();
        let batch = (0..1_500)
            .map(|i| {
                NewKey::named(if i < 1_200 {
                    format!("never-{i:04}")
                } else {
                    format!("soon-{i:04}")
                })
                .expires_at((i >= 1_200).then_some(now + 20 * 86_400))
            })
            .collect();
        v.create_keys(env, batch).expect("keys");
    });
    assert_eq!(open_findings(&h), 1_500);
    h.click("Health");
    for chip in [
        "All 1,500",
        "Never expires 1,200",
        "Expires within 30 days 300",
    ] {
        assert!(h.query_by_label(chip).is_some(), "{chip}");
    }
    let drawn = cards_drawn(&h);
    assert!(
        (1..=20).contains(&drawn),
        "only the cards in view are laid out: {drawn}"
    );
    // A frame of the view with 1,500 findings (debug build).
    let started = std::time::Instant::now();
    for _ in 0..10 {
        h.step();
    }
    let frame = started.elapsed() / 10;
    eprintln!("Health with 1,500 findings: {frame:?} a frame");
    assert!(frame < std::time::Duration::from_millis(250), "{frame:?}");

    h.click("Never expires 1,200");
    assert!(
        h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Extend soon-")))
            .next()
            .is_none(),
        "only the kind chosen is shown"
    );
    // Most urgent first: the question names the first three shown.
    let first: Vec<String> = h
        .state()
        .session()
        .expect("unlocked")
        .health
        .iter()
        .filter(|f| f.kind == keyward::vault::FindingKind::NeverExpires)
        .take(3)
        .map(|f| f.name.clone())
        .collect();
    assert!(
        h.query_by_label(&format!("Set expiry of {}: Never expires", first[0]))
            .is_some()
    );
    h.click("Set expiry of all 1,200 shown: Never expires");
    assert!(h.has_text(&format!(
        "Set an expiry on 1,200 keys: {}",
        first.join(", ")
    )));
    assert!(
        h.has_text("and 1,197 more?"),
        "the count and the first keys"
    );
    let started = std::time::Instant::now();
    h.click("Set expiry");
    eprintln!("1,200 expiries set in {:?}", started.elapsed());
    assert_eq!(h.state().status_text(), Some("Expiry set on 1,200 keys"));
    assert_eq!(open_findings(&h), 300, "the other kind is left");
    let k = key(&dir, "never-0000");
    assert!(k.policy.expires_at.is_some(), "through the vault: {k:?}");

    h.click("Expires within 30 days 300");
    h.click("Extend all 300 shown: Expires within 30 days");
    assert!(h.has_text("Extend 300 keys: "));
    h.click("Extend keys");
    assert_eq!(h.state().status_text(), Some("Expiry set on 300 keys"));
    assert_eq!(open_findings(&h), 0);
}

#[test]
fn past_two_thousand_of_a_kind_the_rest_is_counted_and_other_kinds_stay_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = unlocked(&dir, |v, env| {
        let now = v.now();
        let batch = (0..2_010)
            .map(|i| {
                NewKey::named(format!("k{i:04}"))
                    .expires_at((i >= 2_005).then_some(now + 20 * 86_400))
            })
            .collect();
        v.create_keys(env, batch).expect("keys");
    });
    h.click("Health");
    h.click("Never expires 2,005");
    assert!(
        h.has_text("…and 5 more, less urgent"),
        "2,000 of a kind are kept, the rest counted"
    );
    assert!(
        h.query_by_label("Set expiry of all 2,000 shown: Never expires")
            .is_some()
    );
    h.click("Expires within 30 days 5");
    assert!(
        !h.has_text("more, less urgent"),
        "every one of this kind is listed"
    );
    assert_eq!(
        h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Acknowledge ")))
            .count(),
        5
    );
}

#[test]
fn at_the_smallest_window_the_kind_filter_bulk_fix_and_a_card_fix_are_in_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    prepared(&dir, |v, env| {
        let now = v.now();
        for i in 0..30 {
            let new = NewKey::named(format!("k{i:02}"))
                .expires_at((i % 2 == 0).then_some(now + 3 * 86_400));
            v.create_key(env, new).expect("key");
        }
    });
    let mut h = window::app_in(dir.path(), vault_path(&dir), egui::vec2(760.0, 480.0));
    window::unlock(&mut h, PASS);
    h.click("Health");
    h.click("Expires within 7 days 15");
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(760.0, 480.0));
    for label in [
        "All 30",
        "Never expires 15",
        "Extend all 15 shown: Expires within 7 days",
        "Extend k00: Expires within 7 days",
        "Roll k00: Expires within 7 days",
        "Acknowledge k00: Expires within 7 days",
    ] {
        let rect = h.get_by_label(label).rect();
        assert!(window.contains_rect(rect), "{label} at {rect:?}");
    }
}
