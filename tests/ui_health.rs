//! The window's key hygiene, driven through egui_kittest (no display): the edit dialog and the
//! key detail panel, the Health view with its badge, banner, fixes and acknowledgements, and
//! "Scan a folder…" with its progress bar and cancel button; the key table's filters, bulk
//! revoke and fit at the smallest window.

mod common;

use std::path::PathBuf;

use common::window::{Drive as _, Setup, Window};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::vault::{KeyStatus, NewKey, Preset, Vault};

const DAY: i64 = 86_400;

/// The window on a vault prepared through the library, unlocked.
fn unlocked_window(prepare: impl FnOnce(&mut Vault)) -> Window {
    unlocked_window_sized(egui::vec2(1200.0, 800.0), prepare)
}

fn unlocked_window_sized(size: egui::Vec2, prepare: impl FnOnce(&mut Vault)) -> Window {
    Setup {
        size,
        // Scrolling a new key into view animates over a few frames.
        max_steps: Some(32),
        ..Setup::default()
    }
    .unlocked(prepare)
}

/// A workspace `acme` with one key `ci`, expiring in `days` (never when `None`).
fn one_key(days: Option<i64>) -> impl FnOnce(&mut Vault) {
    move |v: &mut Vault| {
        let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
        let now = v.now();
        v.create_key(
            ws.id,
            NewKey::named("ci")
                .scopes(["read"])
                .expires_at(days.map(|d| now + d * DAY)),
        )
        .expect("key");
    }
}

/// What these tests read beside the window.
trait Health {
    fn open_findings(&self) -> usize;

    /// The details of the log's `key.edit` entries, oldest first.
    fn edits(&self) -> Vec<String>;

    /// Waits for the running scan to end; its summary.
    fn scan_result(&mut self) -> String;
}

impl Health for Window {
    fn open_findings(&self) -> usize {
        self.app().session().map_or(0, |s| s.open_findings())
    }

    fn edits(&self) -> Vec<String> {
        let mut edits: Vec<String> = self
            .open_vault()
            .activity(None, 100)
            .expect("log")
            .into_iter()
            .filter(|e| e.action == "key.edit")
            .map(|e| e.detail)
            .collect();
        edits.reverse();
        edits
    }

    fn scan_result(&mut self) -> String {
        self.wait_until("the scan ends", |app| {
            app.session().is_some_and(|s| s.scan.job.is_none())
        });
        self.app()
            .session()
            .and_then(|s| s.scan.result.clone())
            .expect("a result")
    }
}

#[test]
fn every_detail_of_a_key_is_edited_from_the_row_and_the_detail_panel_and_logged() {
    let mut w = unlocked_window(one_key(None));
    w.row_action("ci", "Edit details of ci");
    w.clear("Key name");
    w.type_into("Key name", "ci-deployer");
    w.type_into("Description", "deploys billing");
    w.type_into("Owner", "team-pay");
    w.type_into("Tags", "ci, billing");
    w.click("90 days from now");
    w.click("Save details");
    assert!(!w.has("Save details"), "the dialog closes");

    let key = w.open_vault().list_keys(None).expect("keys").remove(0);
    assert_eq!(key.name, "ci-deployer");
    assert_eq!(key.details.description, "deploys billing");
    assert_eq!(key.details.owner, "team-pay");
    assert_eq!(key.details.tags, ["ci", "billing"]);
    let expires = key.policy.expires_at.expect("an expiry now");
    assert!(
        (expires - (key.created_at + 90 * DAY)).abs() < 120,
        "90 days out"
    );
    let edits = w.edits();
    assert_eq!(edits.len(), 1, "one change, one entry: {edits:?}");
    for part in [
        "renamed 'ci' to 'ci-deployer'",
        "description changed",
        "owner '' to 'team-pay'",
        "tag +ci",
        "tag +billing",
        "expiry never to ",
    ] {
        assert!(edits[0].contains(part), "{part} in {}", edits[0]);
    }
    // The table shows and searches the details.
    assert!(w.has("team-pay"));
    assert!(w.has_text("#ci #billing"));

    // The detail panel: everything known, the key's activity, and Edit from there.
    w.row_action("ci-deployer", "Details of ci-deployer");
    assert!(w.has(&key.key_id), "the key id");
    assert!(w.has("Copy key ID"));
    assert!(w.has("deploys billing"));
    assert!(
        w.has("key.edit") && w.has("key.create"),
        "the key's activity"
    );
    w.click("Edit details…");
    w.clear("Owner");
    w.type_into("Owner", "team-ops");
    w.clear("Tags");
    w.type_into("Tags", "ci");
    w.click("Never (no expiry)");
    w.click("Save details");
    let edits = w.edits();
    assert_eq!(edits.len(), 2);
    for part in [
        "owner 'team-pay' to 'team-ops'",
        "tag -billing",
        "expiry 20",
    ] {
        assert!(edits[1].contains(part), "{part} in {}", edits[1]);
    }
    assert!(edits[1].contains("to never"), "{}", edits[1]);
    let key = w.open_vault().list_keys(None).expect("keys").remove(0);
    assert_eq!(key.details.owner, "team-ops");
    assert_eq!(key.details.tags, ["ci"]);
    assert_eq!(key.policy.expires_at, None);
}

#[test]
fn the_detail_panel_shows_local_times_with_utc_in_a_tooltip() {
    let mut w = unlocked_window(|v| {
        one_key(Some(40))(v);
        let key = v.list_keys(None).expect("keys").remove(0);
        v.roll_key(&key.key_id, keyward::vault::Grace::OneDay)
            .expect("roll");
    });
    let key = w.open_vault().list_keys(None).expect("keys").remove(0);
    let until = key.old_secret_valid_until.expect("in its grace");
    w.row_action("ci", "Details of ci");
    let utc = |t: i64| format!("{} (UTC)", keyward::vault::format_time(t));
    // Each time is a label of its own: the local time as its text, UTC as its description.
    let described = |w: &Window, t: i64| -> Vec<String> {
        w.harness
            .query_all_by(|n| n.description() == Some(utc(t)))
            .filter_map(|n| n.accesskit_node().value())
            .collect()
    };
    let expires = key.policy.expires_at.expect("an expiry");
    for (what, t) in [
        ("Created", key.created_at),
        ("Expires", expires),
        ("Roll", until),
    ] {
        let shown = described(&w, t);
        assert!(!shown.is_empty(), "{what}: a label with UTC in its tooltip");
        assert!(
            shown.iter().all(|text| !text.contains("(UTC)")),
            "{what}: the label itself is local time: {shown:?}"
        );
    }
    assert!(
        described(&w, until)
            .iter()
            .any(|t| t.starts_with("old secret valid until ")),
        "the roll state"
    );
    assert!(!w.has_text(&utc(expires)), "no tooltip before hovering");
    w.harness
        .get_all_by(|n| n.description() == Some(utc(expires)))
        .next()
        .expect("the expiry label")
        .hover();
    for _ in 0..40 {
        w.harness.step();
    }
    w.run();
    assert!(w.has_text(&utc(expires)), "hovering shows the UTC time");
}

#[test]
fn a_finding_shows_in_the_banner_and_badge_and_is_gone_after_its_one_click_fix() {
    let mut w = unlocked_window(one_key(None));
    assert_eq!(w.open_findings(), 1, "a key that never expires");
    assert!(w.has_text("1 health finding"), "the banner after unlock");
    assert!(w.has("1 open findings"), "the sidebar badge");
    w.click("Open Health");
    assert!(w.has_text("Never expires"));
    assert!(
        w.has_text("a leaked copy would work forever"),
        "why it matters"
    );
    assert!(
        !w.has_text("1 health finding"),
        "no banner in the Health view"
    );
    w.click("Set expiry of ci: Never expires");
    assert_eq!(w.open_findings(), 0);
    assert!(!w.has("Set expiry of ci: Never expires"));
    assert!(!w.has("1 open findings"), "the badge is gone");
    assert!(w.has_text("Nothing needs attention"));
    let edits = w.edits();
    assert!(
        edits.iter().any(|e| e.contains("expiry never to ")),
        "{edits:?}"
    );
}

#[test]
fn a_finding_acknowledged_with_a_reason_stops_counting_until_its_date() {
    let mut w = unlocked_window(one_key(Some(5)));
    w.click("Health");
    assert!(w.has_text("Expires within 7 days"));
    assert!(w.has("Extend ci: Expires within 7 days"), "a fix");
    w.click("Acknowledge ci: Expires within 7 days");
    assert!(
        w.harness
            .get_by_label("Acknowledge")
            .accesskit_node()
            .is_disabled(),
        "no reason yet"
    );
    w.type_into("Reason", "clients move to the new key on Friday");
    w.clear("Until (30d, 90d or YYYY-MM-DD)");
    w.type_into("Until (30d, 90d or YYYY-MM-DD)", "3d");
    w.click("Acknowledge");
    assert_eq!(w.open_findings(), 0);
    assert!(w.has_text("Acknowledged until"));
    assert!(w.has_text("clients move to the new key on Friday"));
    let log = w.open_vault().activity(None, 50).expect("log");
    assert!(
        log.iter()
            .any(|e| e.action == "health.ack" && e.detail.contains("expires_in_7_days"))
    );
    // Past its date it counts again.
    let mut later = w.open_vault();
    let now = later.now();
    later.set_clock(std::sync::Arc::new(move || now + 4 * DAY));
    let back = later.health(None).expect("health");
    assert!(back.iter().any(|f| f.acknowledged.is_none()), "{back:?}");
}

/// A folder with the key's secret in a nested file, and two files without.
fn plant(w: &Window, secret: &str) -> PathBuf {
    let root = w.dir().join("repo");
    std::fs::create_dir_all(root.join("deploy/env")).expect("dirs");
    std::fs::write(root.join("README.md"), "nothing here\n").expect("write");
    std::fs::write(root.join("deploy/run.sh"), "echo deploy\n").expect("write");
    std::fs::write(
        root.join("deploy/env/prod.env"),
        format!("USER=ci\nKEYWARD_KEY={secret}\n"),
    )
    .expect("write");
    root
}

fn one_key_with_secret(secret: std::rc::Rc<std::cell::RefCell<String>>) -> impl FnOnce(&mut Vault) {
    move |v: &mut Vault| {
        let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
        let now = v.now();
        let k = v
            .create_key(
                ws.id,
                NewKey::named("ci")
                    .scopes(["read"])
                    .expires_at(Some(now + 80 * DAY)),
            )
            .expect("key");
        *secret.borrow_mut() = k.secret.expose().to_owned();
    }
}

#[test]
fn a_scan_finds_a_planted_key_marks_it_exposed_and_rolling_fixes_it() {
    let secret = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let mut w = unlocked_window(one_key_with_secret(secret.clone()));
    assert_eq!(w.open_findings(), 0);
    let root = plant(&w, &secret.borrow());
    w.click("Health");
    w.type_into("Folder", &root.display().to_string());
    w.click("Scan");
    let result = w.scan_result();
    assert!(result.contains("Scanned 3 files"), "{result}");
    assert!(result.contains("marked exposed: ci"), "{result}");
    assert!(
        !result.contains(secret.borrow().as_str()),
        "never the secret"
    );
    let key = w.open_vault().list_keys(None).expect("keys").remove(0);
    assert_eq!(key.status, KeyStatus::Exposed);
    let log = w.open_vault().activity(None, 50).expect("log");
    assert!(
        log.iter()
            .any(|e| e.action == "key.exposed" && e.detail.contains("prod.env:2"))
    );
    assert_eq!(w.open_findings(), 1);
    assert!(w.has_text("Exposed"));
    w.click("Roll ci: Exposed");
    assert!(
        w.app().session().is_some_and(|s| s.secret.is_some()),
        "the new secret is shown"
    );
    assert_eq!(w.open_findings(), 0, "the exposed secret stopped working");
    let key = w.open_vault().list_keys(None).expect("keys").remove(0);
    assert_eq!(key.status, KeyStatus::Active);
}

#[test]
fn a_scan_shows_its_progress_and_can_be_cancelled() {
    let secret = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let mut w = unlocked_window(one_key_with_secret(secret.clone()));
    let root = plant(&w, &secret.borrow());
    // Hold the worker after it counted the files, so Cancel lands before it reads any.
    let (gate, held) = std::sync::mpsc::channel::<()>();
    w.harness
        .state_mut()
        .session_mut()
        .expect("unlocked")
        .scan
        .gate = Some(held);
    w.click("Health");
    w.type_into("Folder", &root.display().to_string());
    w.click("Scan");
    w.wait_until("the files are counted", |app| {
        app.session()
            .and_then(|s| s.scan.job.as_ref())
            .is_some_and(|j| j.progress().1.is_some())
    });
    assert!(w.has_text("Scanning: 0 of 3 files"), "the progress bar");
    assert!(!w.has("Scan"), "no second scan while one runs");
    w.click("Cancel scan");
    drop(gate);
    let result = w.scan_result();
    assert!(
        result.starts_with("Scan cancelled after 0 of 3 files"),
        "{result}"
    );
    let key = w.open_vault().list_keys(None).expect("keys").remove(0);
    assert_eq!(key.status, KeyStatus::Active, "nothing was read");
    assert!(w.has("Scan"), "ready again");
}

/// A workspace with keys `ci-1` (oldest) to `ci-4`, all expiring in 60 days.
fn four_keys(v: &mut Vault) {
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let start = v.now();
    for (i, name) in ["ci-1", "ci-2", "ci-3", "ci-4"].into_iter().enumerate() {
        let at = start + i as i64 * 60;
        v.set_clock(std::sync::Arc::new(move || at));
        v.create_key(ws.id, NewKey::named(name).expires_at(Some(at + 60 * DAY)))
            .expect("key");
    }
}

fn visible(w: &Window) -> Vec<String> {
    w.app()
        .session()
        .map(|s| s.keys.visible().map(|k| k.name.to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn ticked_keys_are_revoked_together_and_the_status_chips_filter() {
    let mut w = unlocked_window(four_keys);
    assert_eq!(
        visible(&w),
        ["ci-4", "ci-3", "ci-2", "ci-1"],
        "newest first"
    );
    w.click("Select ci-1");
    w.click("Select ci-3");
    assert!(w.has_text("2 selected"));
    w.click("Revoke selected");
    w.click("Revoke keys");
    let statuses: Vec<(String, KeyStatus)> = w
        .open_vault()
        .list_keys(None)
        .expect("keys")
        .into_iter()
        .map(|k| (k.name, k.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("ci-1".to_owned(), KeyStatus::Revoked),
            ("ci-2".to_owned(), KeyStatus::Active),
            ("ci-3".to_owned(), KeyStatus::Revoked),
            ("ci-4".to_owned(), KeyStatus::Active),
        ]
    );
    assert!(!w.has_text("selected"), "the selection is done");
    w.click("Revoked 2");
    assert_eq!(visible(&w), ["ci-3", "ci-1"]);
    w.click("All 4");
    assert_eq!(visible(&w).len(), 4);

    // Search: a clear button, Esc, and a word when nothing matches.
    w.type_into("Search keys", "nothing-like-this");
    assert!(w.has("No keys match"));
    w.click("Clear search");
    assert_eq!(visible(&w).len(), 4);
    w.type_into("Search keys", "ci-2");
    assert_eq!(visible(&w), ["ci-2"]);
    w.harness.key_press(egui::Key::Escape);
    w.run();
    assert_eq!(visible(&w).len(), 4, "Esc clears the search");
}

#[test]
fn every_action_of_a_row_is_reachable_at_the_smallest_window() {
    let mut w = unlocked_window_sized(egui::vec2(760.0, 480.0), four_keys);
    let inside = |w: &Window, label: &str| {
        let rect = w.harness.get_by_label(label).rect();
        assert!(
            rect.min.x >= 0.0 && rect.max.x <= 760.0 && rect.max.y <= 480.0,
            "{label} is inside the window: {rect:?}"
        );
    };
    // On the row: the tick box, the trash icon and the row's menu.
    for label in ["Select ci-4", "Delete ci-4", "Actions for ci-4"] {
        inside(&w, label);
    }
    assert!(
        !w.has("Roll ci-4"),
        "the other actions wait in the row's menu"
    );
    w.click("Actions for ci-4");
    for label in [
        "Details of ci-4",
        "Edit details of ci-4",
        "Edit scopes of ci-4",
        "Roll ci-4",
        "Revoke ci-4",
    ] {
        inside(&w, label);
        assert!(!w.is_disabled(label), "{label} works on an active key");
    }
    w.click("Revoke ci-4");
    w.click("Revoke key");
    assert!(!w.has("Roll ci-4"), "choosing an entry closes the menu");

    // A revoked key's menu: what no longer applies is off and says why.
    w.click("Actions for ci-4");
    for (label, why) in [
        ("Roll ci-4", "A revoked key stays revoked"),
        ("Edit scopes of ci-4", "A revoked key stays revoked"),
        ("Revoke ci-4", "Already revoked"),
    ] {
        let node = w.harness.get_by_label(label);
        assert!(node.accesskit_node().is_disabled(), "{label} is off");
        assert_eq!(
            node.accesskit_node().description().as_deref(),
            Some(why),
            "{label}"
        );
    }
    assert!(!w.is_disabled("Details of ci-4"));
    w.harness.key_press(egui::Key::Escape);
    w.run();
    assert!(!w.has("Roll ci-4"), "Esc closes the menu");

    w.click("Delete ci-4");
    w.click("Delete key");
    assert_eq!(visible(&w), ["ci-3", "ci-2", "ci-1"]);
}

#[test]
fn a_new_key_is_scrolled_into_view_and_highlighted() {
    let mut w = unlocked_window_sized(egui::vec2(760.0, 480.0), |v| {
        let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
        let now = v.now();
        for i in 0..40 {
            v.create_key(
                ws.id,
                NewKey::named(format!("a{i:02}")).expires_at(Some(now + 60 * DAY)),
            )
            .expect("key");
        }
    });
    w.click("Name");
    assert_eq!(visible(&w)[0], "a00", "A to Z: a new zz key goes last");
    w.click("Add New Key");
    // The dialog's field, not the table's Name header behind it.
    let field = w
        .harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Name");
    field.focus();
    field.type_text("zz-new");
    w.run();
    w.click("90 days");
    w.click("Generate Key");
    let copy = w
        .harness
        .query_all_by(|n| n.label().is_some_and(|l| l.ends_with("Copy")))
        .next()
        .expect("a Copy button");
    copy.click();
    w.run();
    w.click("Close");
    assert_eq!(visible(&w).last().map(String::as_str), Some("zz-new"));
    let rect = w.harness.get_by_label("Select zz-new").rect();
    assert!(rect.max.y <= 480.0, "scrolled into view: {rect:?}");
    assert!(
        w.app()
            .session()
            .is_some_and(|s| s.keys.visible().any(|k| s.keys.is_highlighted(k.key_id)))
    );
}

#[test]
fn thousands_of_findings_are_all_listed_and_only_those_in_view_drawn() {
    let mut w = unlocked_window(|v: &mut Vault| {
        let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
        let batch = (0..700)
            .map(|i| NewKey::named(format!("k{i:03}")).scopes(["read"]))
            .collect();
        v.create_keys(ws.id, batch).expect("keys");
    });
    assert_eq!(w.open_findings(), 700, "every key never expires");
    w.click("Open Health");
    assert!(w.has_text("700 findings need attention"));
    assert!(!w.has_text("more, less urgent"), "all 700 are listed");
    let drawn = |w: &Window| {
        w.harness
            .query_all_by(|n| {
                n.label().is_some_and(|l| {
                    l.starts_with("Set expiry of k") && l.ends_with("Never expires")
                })
            })
            .count()
    };
    let first = drawn(&w);
    assert!(
        (1..=20).contains(&first),
        "the cards in view are drawn, not 700: {first}"
    );
}

/// At the default window size every column of the key table is there (the masked key is how a
/// key seen in a config is found; owner and tags are the details); at the smallest size the
/// optional ones make way, the owner first, the masked key after the creation date.
#[test]
fn the_default_window_shows_every_column_and_the_smallest_the_essential_ones() {
    // (Scopes is also a tab.)
    let headers = ["Key", "Owner / tags", "Created", "Last used"];
    let w = unlocked_window_sized(egui::vec2(1180.0, 760.0), four_keys);
    for header in headers {
        assert!(w.has(header), "{header} at 1180x760");
    }
    let w = unlocked_window_sized(egui::vec2(980.0, 700.0), four_keys);
    assert!(
        !w.has("Owner / tags") && !w.has("Created"),
        "owner and date go first"
    );
    assert!(
        w.has("Key") && w.has("Last used"),
        "the masked key stays longer"
    );
    let w = unlocked_window_sized(egui::vec2(760.0, 480.0), four_keys);
    for header in headers {
        assert!(!w.has(header), "{header} has no room at 760x480");
    }
    assert!(w.has("Name") && w.has("Expires") && w.has("Status"));
}
