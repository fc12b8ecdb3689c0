//! The health report: each finding produced by a vault built for it, and gone after its fix;
//! acknowledgements that expire.

mod common;

use common::lab::Lab;
use keyward::vault::{FindingKind, Grace, NewKey, Preset, Vault};

const DAY: i64 = 86_400;

/// A vault with acme/api/prod on a clock the test moves.
struct Health {
    lab: Lab,
    v: Vault,
    env: i64,
}

fn lab() -> Health {
    let lab = Lab::new("h.keyward", "health pass").clocked(1_900_000_000);
    let mut v = lab.create();
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "api").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env").id;
    Health { lab, v, env }
}

impl Health {
    fn key(&mut self, name: &str, expires_in_days: Option<i64>, full_access: bool) -> String {
        let now = self.v.now();
        self.v
            .create_key(
                self.env,
                NewKey::named(name)
                    .full_access(full_access)
                    .expires_at(expires_in_days.map(|d| now + d * DAY)),
            )
            .expect("key")
            .info
            .key_id
    }

    fn kinds_of(&self, key_id: &str) -> Vec<FindingKind> {
        self.v
            .health(None)
            .expect("health")
            .into_iter()
            .filter(|f| f.subject == key_id && f.acknowledged.is_none())
            .map(|f| f.kind)
            .collect()
    }

    fn advance(&self, days: i64) {
        self.lab.advance(days * DAY);
    }
}

on_both_stores! {
    fn each_finding_appears_for_its_key_and_goes_after_its_fix() {
        let mut l = lab();
        let healthy = l.key("healthy", Some(60), false);
        let forever = l.key("forever", None, false);
        let soon = l.key("soon", Some(3), false);
        let month = l.key("month", Some(20), false);
        let leaky = l.key("leaky", Some(60), false);
        l.v.mark_exposed(&leaky, "repo/.env:1").expect("mark");
        let rolled = l.key("rolled", Some(60), false);
        l.v.roll_key(&rolled, Grace::SevenDays).expect("roll");

        assert!(l.kinds_of(&healthy).is_empty());
        assert_eq!(l.kinds_of(&forever), vec![FindingKind::NeverExpires]);
        assert_eq!(l.kinds_of(&soon), vec![FindingKind::ExpiresIn7Days]);
        assert_eq!(l.kinds_of(&month), vec![FindingKind::ExpiresIn30Days]);
        assert_eq!(l.kinds_of(&leaky), vec![FindingKind::Exposed]);
        assert_eq!(l.kinds_of(&rolled), vec![FindingKind::OldSecretInGrace]);

        // The fixes.
        l.v.edit_key_details(
            &forever,
            keyward::vault::KeyEdit {
                expires_at: Some(Some(l.v.now() + 90 * DAY)),
                ..Default::default()
            },
        )
        .expect("set an expiry");
        assert!(l.kinds_of(&forever).is_empty());
        l.v.roll_key(&leaky, Grace::None)
            .expect("roll the exposed key");
        assert!(!l.kinds_of(&leaky).contains(&FindingKind::Exposed));
        l.v.roll_key(&soon, Grace::None).expect("roll");
        l.v.edit_key_details(
            &soon,
            keyward::vault::KeyEdit {
                expires_at: Some(Some(l.v.now() + 60 * DAY)),
                ..Default::default()
            },
        )
        .expect("extend");
        assert!(l.kinds_of(&soon).is_empty());
        l.advance(8);
        assert!(
            !l.kinds_of(&rolled).contains(&FindingKind::OldSecretInGrace),
            "grace over"
        );
    }

    fn time_makes_expired_unused_and_old_full_access_findings() {
        let mut l = lab();
        let short = l.key("short", Some(1), false);
        let admin = l.key("admin", Some(365), true);
        let used = l.key("used", Some(365), false);
        l.advance(2);
        assert_eq!(l.kinds_of(&short), vec![FindingKind::ExpiredNotRevoked]);
        l.v.revoke_key(&short).expect("revoke");
        assert!(
            l.kinds_of(&short).is_empty(),
            "a revoked key needs nothing more"
        );

        l.advance(60);
        let secret_of_used = {
            let rolled = l.v.roll_key(&used, Grace::None).expect("roll");
            rolled.secret.expose().to_owned()
        };
        l.advance(30);
        l.v.verify(&secret_of_used, &[]).expect("a use");
        assert_eq!(
            l.kinds_of(&admin),
            vec![FindingKind::Unused, FindingKind::OldFullAccess]
        );
        assert!(l.kinds_of(&used).is_empty(), "used recently");
    }

    fn an_acknowledgement_hides_a_finding_until_its_date_and_is_logged() {
        let mut l = lab();
        let legacy = l.key("legacy", None, false);
        let until = l.v.now() + 10 * DAY;
        assert!(
            l.v.acknowledge(&legacy, FindingKind::Unused, until, "x")
                .is_err(),
            "no such finding"
        );
        assert!(
            l.v.acknowledge(&legacy, FindingKind::NeverExpires, l.v.now() - 1, "old")
                .is_err()
        );
        l.v.acknowledge(
            &legacy,
            FindingKind::NeverExpires,
            until,
            "the partner cannot rotate yet",
        )
        .expect("ack");
        assert!(l.kinds_of(&legacy).is_empty());
        let all = l.v.health(None).expect("health");
        assert_eq!(
            all[0].acknowledged.as_ref().map(|a| a.reason.as_str()),
            Some("the partner cannot rotate yet")
        );
        let log = l.v.activity(None, 1).expect("log");
        assert_eq!(log[0].action, "health.ack");
        assert!(log[0].detail.contains("never_expires"));
        l.advance(11);
        assert_eq!(
            l.kinds_of(&legacy),
            vec![FindingKind::NeverExpires],
            "it came back"
        );
    }

    fn a_failing_publish_target_is_a_finding() {
        let mut l = lab();
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().join("out");
        std::fs::create_dir(&folder).expect("dir");
        l.v.add_publish_target(None, &folder.join("v.json"), 0o644)
            .expect("publish");
        std::fs::remove_dir_all(&folder).expect("remove");
        l.key("triggers-a-publish", Some(60), false);
        let findings = l.v.health(None).expect("health");
        assert!(
            findings
                .iter()
                .any(|f| f.kind == FindingKind::PublishFailing),
            "{findings:?}"
        );
    }

    fn keys_refused_for_their_limits_are_findings_from_the_usage_files() {
        let mut l = lab();
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("acme.verifier.json");
        l.v.add_publish_target(None, &file, 0o644).expect("publish");
        let busy = l.key("busy", Some(60), false);
        let broke = l.key("broke", Some(60), false);
        let calm = l.key("calm", Some(60), false);
        let spent = l.key("spent", Some(60), false);
        let now = l.v.now();
        let today = now - now.rem_euclid(DAY);
        // What serve writes beside the file: per UTC day, each check's outcome.
        let usage = serde_json::json!({
            "type": "keyward.usage", "version": 1, "updated_at": now,
            "keys": {
                busy.as_str(): { "last_used_at": now, "outcomes": [[today - 3 * DAY, {"valid": 90, "rate_limited": 4}]] },
                broke.as_str(): { "last_used_at": now, "outcomes": [[today, {"valid": 10, "usage_exceeded": 2}]] },
                calm.as_str(): { "last_used_at": now, "outcomes": [[today, {"valid": 10, "insufficient_scope": 1}]] },
                // Nothing refused yet, but serve counted the last of its credits.
                spent.as_str(): { "last_used_at": now, "credits": {"remaining": 0, "at": now} },
            }
        });
        let usage_file = dir.path().join("acme.verifier.json.usage.json");
        std::fs::write(&usage_file, usage.to_string()).expect("usage file");
        assert_eq!(l.kinds_of(&busy), vec![FindingKind::NearLimit]);
        assert_eq!(l.kinds_of(&broke), vec![FindingKind::OutOfCredits]);
        assert!(l.kinds_of(&calm).is_empty());
        assert_eq!(l.kinds_of(&spent), vec![FindingKind::OutOfCredits]);
        // The window's reload finds them while it lists the keys: the same findings.
        let pairs = |findings: Vec<keyward::vault::Finding>| {
            let mut p: Vec<(String, FindingKind)> =
                findings.into_iter().map(|f| (f.subject, f.kind)).collect();
            p.sort_by(|a, b| (a.0.as_str(), a.1.code()).cmp(&(b.0.as_str(), b.1.code())));
            p
        };
        assert_eq!(
            pairs(l.v.health_and_keys(None, |_| {}).expect("walked")),
            pairs(l.v.health(None).expect("health"))
        );
        // A week on, the refusals are old news (the file is rewritten as serve prunes it).
        l.advance(5);
        assert!(l.kinds_of(&busy).is_empty(), "refused 8 days ago");
        assert!(l.kinds_of(&broke).is_empty(), "refused 5 days ago");
    }
}
