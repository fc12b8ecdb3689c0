//! Usage as a chart (issue 20, item 4): a key's details show its checks of the last 30 days as
//! stacked bars (a bar for exactly the days with checks, allowed and refused by reason), and the
//! Usage view lists the busiest keys, busiest first; a click on one goes to it.

mod common;

use std::path::Path;

use common::PASS;
use common::window::{self, App, Drive as _};
use egui_kittest::kittest::Queryable as _;
use keyward::ui::usage_chart::ChartData;
use keyward::vault::{NewKey, Preset, Vault};

const DAY: i64 = 86_400;
const WIDE: egui::Vec2 = egui::vec2(1180.0, 760.0);

fn today() -> i64 {
    keyward::vault::now().div_euclid(DAY) * DAY
}

/// acme/billing/prod with keys `busy`, `middle`, `quiet` and `idle`, published beside the vault,
/// and a usage file written by hand: busy checked on 3 of the last 30 days (and 40 days ago),
/// middle and quiet on one day each, idle never. Their key ids, in that order.
fn vault_with_usage(dir: &Path) -> (std::path::PathBuf, Vec<String>) {
    let path = dir.join("usage.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    let ids: Vec<String> = ["busy", "middle", "quiet", "idle"]
        .iter()
        .map(|n| {
            v.create_key(env.id, NewKey::named(*n))
                .expect("key")
                .info
                .key_id
        })
        .collect();
    let file = dir.join("published").join("acme.verifier.json");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    v.add_publish_target(Some(ws.id), &file, 0o644)
        .expect("target");
    drop(v);
    let t = today();
    let usage = serde_json::json!({
        "type": "keyward.usage",
        "version": 1,
        "updated_at": t,
        "keys": {
            ids[0].clone(): {"outcomes": [
                [t - 40 * DAY, {"valid": 50}],
                [t - 9 * DAY, {"valid": 30, "revoked": 2}],
                [t - 2 * DAY, {"valid": 12, "insufficient_scope": 1}],
                [t, {"valid": 40, "from_a_newer_serve": 3}]
            ]},
            ids[1].clone(): {"outcomes": [[t - DAY, {"valid": 20, "expired": 20}]]},
            ids[2].clone(): {"outcomes": [[t, {"valid": 1}]]},
            "kid_not_in_this_vault": {"outcomes": [[t, {"valid": 1000}]]}
        }
    });
    std::fs::write(format!("{}.usage.json", file.display()), usage.to_string())
        .expect("write the usage file");
    (path, ids)
}

fn unlocked(dir: &Path) -> (App, Vec<String>) {
    let (path, ids) = vault_with_usage(dir);
    let mut h = window::unlocked_app(dir, path, WIDE, PASS);
    h.click("Environment prod");
    (h, ids)
}

#[test]
fn the_details_chart_has_a_bar_for_exactly_the_days_with_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, ids) = unlocked(dir.path());
    h.get_by_label("busy").click();
    h.run();
    assert_eq!(
        h.state().details_key(&h.ctx),
        Some(ids[0].as_str()),
        "busy's details are shown"
    );
    let s = h.state().session().expect("unlocked");
    let usage = &s.key_views.get(&ids[0]).expect("busy read").usage;
    let chart = ChartData::of(usage);
    let t = today();
    let from = t - 29 * DAY;
    assert_eq!(chart.from, from);
    assert_eq!(
        chart
            .bars
            .iter()
            .map(|b| (b.index, b.day, b.total()))
            .collect::<Vec<_>>(),
        [(20, t - 9 * DAY, 32), (27, t - 2 * DAY, 13), (29, t, 43)],
        "the day 40 days ago is not in the last 30"
    );
    assert_eq!(chart.reasons, ["insufficient_scope", "other", "revoked"]);
    assert_eq!(chart.bars[0].refused, [0, 0, 2]);

    // The plot is drawn: its summary for screen readers and its legend.
    assert!(
        h.query_by_label("Usage chart: 88 checks on 3 of the last 30 days, 6 refused")
            .is_some(),
        "the chart's summary"
    );
    for entry in [
        "Allowed",
        "Refused: insufficient_scope",
        "Refused: other",
        "Refused: revoked",
    ] {
        assert!(h.query_by_label(entry).is_some(), "legend entry {entry}");
    }

    // A key with no checks says so instead.
    h.get_by_label("idle").click();
    h.run();
    assert!(
        h.has_text("No checks through keyward serve in the last 30 days."),
        "the empty state"
    );
    assert!(h.query_by_label("Allowed").is_none());
}

#[test]
fn the_usage_view_lists_the_busiest_keys_in_order_and_a_click_goes_to_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, ids) = unlocked(dir.path());
    h.click("Usage");
    let s = h.state().session().expect("unlocked");
    // busy 88, middle 40, quiet 1; idle never checked, the key not in the vault left out.
    let order: Vec<(&str, u64, u64)> = s
        .busiest
        .iter()
        .map(|k| (k.name.as_str(), k.total, k.refused))
        .collect();
    assert_eq!(
        order,
        [("busy", 88, 6), ("middle", 40, 20), ("quiet", 1, 0)]
    );
    // Drawn in that order, top to bottom, with their refused share.
    let ys: Vec<f32> = ["busy", "middle", "quiet"]
        .iter()
        .map(|n| h.get_by_label(n).rect().min.y)
        .collect();
    assert!(ys[0] < ys[1] && ys[1] < ys[2], "{ys:?}");
    assert!(h.query_by_label("idle").is_none());
    assert!(h.has_text("50 %"), "middle's refused share");
    assert!(h.has_text("acme/billing/prod"), "the node");

    h.get_by_label("middle").click();
    h.run();
    // The key's node and its details (shown only over the node's key list).
    assert_eq!(h.state().details_key(&h.ctx), Some(ids[1].as_str()));
    assert!(
        h.query_by_label("Usage chart: 40 checks on 1 of the last 30 days, 20 refused")
            .is_some()
    );
    let highlighted = |h: &App, id: &str| {
        h.state()
            .session()
            .expect("unlocked")
            .keys
            .is_highlighted(id)
    };
    assert!(highlighted(&h, &ids[1]), "the key gone to is marked");
    // Another key's details: the mark does not stay on a row the details no longer show.
    h.get_by_label("busy").click();
    h.run();
    assert_eq!(h.state().details_key(&h.ctx), Some(ids[0].as_str()));
    assert!(!highlighted(&h, &ids[1]));
}

#[test]
fn the_usage_view_says_so_when_no_key_was_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("quiet.keyward");
    window::vault_at(&path, PASS, |v| {
        let env = window::acme(v);
        window::add_keys(v, env.id, &["never-checked"]);
    });
    let mut h = window::unlocked_app(dir.path(), path, WIDE, PASS);
    h.click("Usage");
    assert!(
        h.has_text("No checks in the last 30 days."),
        "the empty state"
    );
    assert!(h.query_by_label("never-checked").is_none());
}

/// Keys at their limits: `throttled` refused for its rate limit today, `spent` with no credits
/// left; `calm` has credits to spare and is not listed. The busiest list shows their limits.
#[test]
fn the_usage_view_lists_the_keys_at_their_limits_with_their_credits_left() {
    use keyward_verify::limits::{Credits, KeyLimits};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("limits.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env");
    let credits = KeyLimits {
        credits: Some(Credits {
            initial: 100,
            refill: None,
        }),
        ..KeyLimits::default()
    };
    let rated = KeyLimits {
        rate: vec!["10/min".parse().expect("a rate limit")],
        ..KeyLimits::default()
    };
    let ids: Vec<String> = [
        ("throttled", rated),
        ("spent", credits.clone()),
        ("calm", credits),
    ]
    .into_iter()
    .map(|(name, limits)| {
        let mut key = NewKey::named(name);
        key.policy.limits = limits.boxed();
        v.create_key(env.id, key).expect("key").info.key_id
    })
    .collect();
    let file = dir.path().join("published").join("acme.verifier.json");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
    v.add_publish_target(Some(ws.id), &file, 0o644)
        .expect("target");
    drop(v);
    let t = today();
    let now = keyward::vault::now();
    let usage = serde_json::json!({
        "type": "keyward.usage",
        "version": 1,
        "updated_at": now,
        "keys": {
            ids[0].clone(): {"outcomes": [[t, {"valid": 10, "rate_limited": 7}]]},
            ids[1].clone(): {
                "outcomes": [[t - 5 * DAY, {"valid": 100}]],
                "credits": {"remaining": 0, "at": now - 60}
            },
            ids[2].clone(): {
                "outcomes": [[t, {"valid": 60}]],
                "credits": {"remaining": 40, "at": now - 60}
            }
        }
    });
    std::fs::write(format!("{}.usage.json", file.display()), usage.to_string())
        .expect("write the usage file");

    let mut h = window::unlocked_app(dir.path(), path, WIDE, PASS);
    h.click("Usage");
    let s = h.state().session().expect("unlocked");
    let listed: Vec<(&str, u64, Option<u64>)> = s
        .at_limits
        .iter()
        .map(|k| (k.name.as_str(), k.rate_limited_7d, k.credits_left))
        .collect();
    assert_eq!(
        listed,
        [("throttled", 7, None), ("spent", 0, Some(0))],
        "most refusals first; calm is not at its limits"
    );
    let calm = s
        .busiest
        .iter()
        .find(|k| k.name == "calm")
        .expect("calm is among the busiest");
    assert_eq!(calm.credits_left, Some(40));
    assert!(h.has_text("At their limits (2)"), "the list's title");
    assert!(h.has_text("Credits left"), "its column");
    assert!(h.has_text("Busiest (30 days)"), "the busiest list's title");
    assert!(h.has_text("10/min"), "throttled's limit in words");
    // Keys at their limits are in both lists, the list of them first.
    let ys =
        |name: &str| -> Vec<f32> { h.query_all_by_label(name).map(|n| n.rect().min.y).collect() };
    assert_eq!(ys("throttled").len(), 2, "in both lists");
    assert_eq!(ys("calm").len(), 1, "among the busiest only");
    assert!(ys("throttled").iter().any(|&y| y < ys("calm")[0]));

    // A click on a key at its limits goes to it; its details say what is left.
    h.query_all_by_label("spent")
        .next()
        .expect("spent is listed")
        .click();
    h.run();
    assert_eq!(h.state().details_key(&h.ctx), Some(ids[1].as_str()));
    assert!(h.has_text("0 left"), "the detail panel's credits");
}
