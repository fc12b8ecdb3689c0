//! Usage through the library, on both stores: a key's checks per day merged across the usage
//! files beside its publish targets, and the busiest keys of the vault.

mod common;

use common::lab::Lab;
use keyward::vault::{NewKey, Preset, Vault};

const DAY: i64 = 86_400;
const T0: i64 = 1_900_000_000;

fn write_usage(file: &std::path::Path, keys: serde_json::Value) {
    let text = serde_json::json!({
        "type": "keyward.usage", "version": 1, "updated_at": T0, "keys": keys,
    });
    std::fs::write(format!("{}.usage.json", file.display()), text.to_string()).expect("write");
}

/// acme/api/prod and acme/web/live, each published to a file of its own; keys a, b (prod) and
/// c (live). Their ids.
fn published(lab: &Lab, v: &mut Vault) -> (Vec<String>, [std::path::PathBuf; 2]) {
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let api = v.add_project(ws.id, "api").expect("project");
    let prod = v.add_environment(api.id, "prod", None).expect("env");
    let web = v.add_project(ws.id, "web").expect("project");
    let live = v.add_environment(web.id, "live", None).expect("env");
    let mut ids = Vec::new();
    for (node, name) in [(prod.id, "a"), (prod.id, "b"), (live.id, "c")] {
        ids.push(
            v.create_key(node, NewKey::named(name))
                .expect("key")
                .info
                .key_id,
        );
    }
    let files = [
        lab.dir.path().join("prod.verifier.json"),
        lab.dir.path().join("live.verifier.json"),
    ];
    v.add_publish_target(Some(prod.id), &files[0], 0o644)
        .expect("target");
    v.add_publish_target(Some(live.id), &files[1], 0o644)
        .expect("target");
    (ids, files)
}

on_both_stores! {
    fn a_keys_days_merge_across_files_and_the_busiest_come_first() {
        let lab = Lab::new("u.keyward", "usage pass").clocked(T0);
        let mut v = lab.create();
        let (ids, files) = published(&lab, &mut v);
        let today = T0.div_euclid(DAY) * DAY;
        // Key a was checked through both files (a service may read either), b through prod
        // only, c once; a key this vault does not hold is in the file too.
        write_usage(&files[0], serde_json::json!({
            ids[0].clone(): {"outcomes": [[today - DAY, {"valid": 5, "revoked": 1}], [today, {"valid": 2}]]},
            ids[1].clone(): {"outcomes": [[today, {"valid": 3}]]},
            "kid_gone": {"outcomes": [[today, {"valid": 999}]]},
        }));
        write_usage(&files[1], serde_json::json!({
            ids[0].clone(): {"outcomes": [[today, {"valid": 10, "insufficient_scope": 2}]]},
            ids[2].clone(): {"outcomes": [[today - 60 * DAY, {"valid": 50}], [today, {"valid": 1}]]},
        }));

        let s = v.key_usage_days(&ids[0], 30);
        assert_eq!(s.rows.len(), 2);
        assert_eq!((s.rows[1].day, s.rows[1].allowed), (today, 12));
        assert_eq!(s.rows[1].refused.get("insufficient_scope"), Some(&2));
        assert_eq!(s.rows[0].refused.get("revoked"), Some(&1));
        assert_eq!((s.total(), s.refused_total()), (20, 3));

        let busiest = v.busiest_keys(30, 10).expect("busiest");
        let ranked: Vec<(&str, u64, u64)> =
            busiest.iter().map(|k| (k.name.as_str(), k.total, k.refused)).collect();
        assert_eq!(ranked, [("a", 20, 3), ("b", 3, 0), ("c", 1, 0)]);
        assert_eq!(busiest[2].node, "acme/web/live");
        assert_eq!(v.busiest_keys(30, 2).expect("top 2").len(), 2);
        // Over 90 days, c's old day counts and c passes b.
        let ranked: Vec<String> =
            v.busiest_keys(90, 10).expect("90").into_iter().map(|k| k.name).collect();
        assert_eq!(ranked, ["c", "a", "b"]);

        // 100 days on, nothing is left in the window.
        lab.advance(100 * DAY);
        let v = lab.open();
        assert!(v.key_usage_days(&ids[0], 90).is_empty());
        assert!(v.busiest_keys(90, 10).expect("busiest").is_empty());
    }
}
