//! Views and dialogs around the key table: the whole vault's Activity, Backup and Doctor,
//! type-the-name deletion, a scope made required, the environment prefix, expiry defaults and
//! the date picker, and the sidebar's bounded width.

mod common;

use std::path::{Path, PathBuf};

use common::window::{self, Drive as _};
use egui_kittest::kittest::Queryable as _;
use egui_kittest::{Harness, kittest::NodeT as _};
use keyward::ui::KeywardApp;
use keyward::vault::{NewKey, Vault};

const PASS: &str = "lichen orbit 6021 sable";

type H = Harness<'static, KeywardApp>;

/// acme/billing/prod, then `prepare`; the window on it, unlocked, `size` points wide and high.
fn window(dir: &Path, size: [f32; 2], prepare: impl FnOnce(&mut Vault)) -> H {
    let path = dir.join("views.keyward");
    window::vault_at(&path, PASS, |v| {
        window::acme(v);
        prepare(v)
    });
    window::unlocked_app(dir, path, egui::vec2(size[0], size[1]), PASS)
}

fn open_vault(dir: &Path) -> Vault {
    Vault::open(&dir.join("views.keyward"), PASS).expect("open")
}

fn keys(v: &mut Vault, path: &str, n: usize) {
    let node = v.resolve(path).expect("node").id;
    let batch = (0..n).map(|i| NewKey::named(format!("key-{i}"))).collect();
    v.create_keys(node, batch).expect("keys");
}

#[test]
fn the_whole_vaults_activity_is_searchable_and_pages_past_500() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |v| {
        let ws = v.resolve("acme").expect("ws").id;
        for i in 0..600 {
            v.add_project(ws, &format!("p{i:03}")).expect("project");
        }
    });
    h.click("Vault");
    h.click("Activity of the whole vault");
    assert!(h.has_text("Activity of the whole vault"));
    assert!(h.has_text("500 of 500+ entries"));
    h.click("Load older entries");
    let total = open_vault(dir.path())
        .activity(None, 10_000)
        .expect("log")
        .len();
    assert!(total > 600);
    let shown: Vec<String> = h
        .query_all_by(|n| n.value().is_some_and(|v| v.ends_with("entries")))
        .filter_map(|n| n.value())
        .collect();
    let expected = format!("{total} of {total} entries");
    assert!(
        !shown.is_empty() && shown.iter().all(|s| *s == expected),
        "all read: {shown:?}"
    );
    assert!(h.query_by_label("Load older entries").is_none());
    h.type_into("Search activity", "acme/p59");
    assert!(h.has_text(&format!("10 of {total} entries")));
    // Selecting a node goes back to it.
    h.click("Environment prod");
    assert!(!h.has_text("Activity of the whole vault"));
}

/// The CSV's rows after its header, split on CRLF.
fn csv_rows(csv: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.pop(), Some(""), "CRLF after the last row");
    assert_eq!(
        lines.first().copied(),
        Some("seq,at,action,member,node,detail,intact")
    );
    lines.split_off(1)
}

#[test]
fn export_csv_writes_the_entries_the_activity_shows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |v| {
        let ws = v.resolve("acme").expect("ws").id;
        for name in ["payments", "payroll", "web"] {
            v.add_project(ws, name).expect("project");
        }
    });
    h.click("Vault");
    h.click("Activity of the whole vault");
    h.type_into("Search activity", "acme/pay");
    assert!(h.has_text("2 of "));
    h.click("Export CSV…");
    let file = dir.path().join("downloads").join(format!(
        "keyward-activity-{}.csv",
        keyward::vault::format_date(keyward::vault::now())
    ));
    let csv = std::fs::read_to_string(&file).expect("the CSV is written");
    let rows = csv_rows(&csv);
    assert_eq!(
        rows.len(),
        2,
        "the two entries shown, not the whole log: {csv}"
    );
    assert!(
        rows[0].contains(",project.add,owner,acme/payroll,"),
        "{csv}"
    );
    assert!(
        rows[1].contains(",project.add,owner,acme/payments,"),
        "{csv}"
    );
    assert!(h.has_text("Exported 2 entries"));

    // Cleared: every entry read; a second export does not overwrite the first.
    h.clear("Search activity");
    h.click("Export CSV…");
    let second = file.with_file_name(format!(
        "keyward-activity-{}-2.csv",
        keyward::vault::format_date(keyward::vault::now())
    ));
    let all = std::fs::read_to_string(&second).expect("a second file");
    let total = open_vault(dir.path())
        .activity(None, 1_000)
        .expect("log")
        .len();
    assert_eq!(csv_rows(&all).len(), total);
    assert_eq!(std::fs::read_to_string(&file).expect("first"), csv);

    // Nothing matches: nothing to export.
    h.type_into("Search activity", "no such thing");
    assert!(h.is_disabled("Export CSV…"));
}

/// A save dialog that answers at once with a file in `dir`.
struct PickIn(PathBuf);

impl keyward::ui::save_dialog::SaveDialog for PickIn {
    fn ask(
        &self,
        request: keyward::ui::save_dialog::SaveRequest,
    ) -> keyward::ui::save_dialog::Answer {
        keyward::ui::save_dialog::Answer::File(self.0.join(request.file_name))
    }
}

#[test]
fn export_csv_goes_through_the_save_dialog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("views.keyward");
    window::vault_at(&path, PASS, |v| {
        window::acme(v);
    });
    // No download folder given: where the file goes is the dialog's to say.
    let mut h = window::app(
        path,
        egui::vec2(1200.0, 800.0),
        None,
        keyward::ui::clipboard::MemoryClipboard::default(),
    );
    let picked = dir.path().join("picked");
    h.state_mut()
        .set_save_dialog(std::sync::Arc::new(PickIn(picked.clone())));
    window::unlock(&mut h, PASS);
    h.click("Vault");
    h.click("Activity of the whole vault");
    h.click("Export CSV…");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while h.state().is_saving() && std::time::Instant::now() < deadline {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    h.run();
    let file = picked.join(format!(
        "keyward-activity-{}.csv",
        keyward::vault::format_date(keyward::vault::now())
    ));
    let csv = std::fs::read_to_string(&file).expect("saved where the dialog said");
    let rows = csv_rows(&csv);
    assert_eq!(
        rows.len(),
        4,
        "vault, workspace, project, environment: {csv}"
    );
    assert!(rows[3].contains(",vault.create,"), "{csv}");
}

#[test]
fn the_whole_vaults_activity_fits_the_smallest_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [760.0, 480.0], |v| {
        let ws = v.resolve("acme").expect("ws").id;
        v.add_project(ws, "payments").expect("project");
    });
    h.click("Vault");
    h.click("Activity of the whole vault");
    assert!(
        h.query_by_label("Detail").is_some(),
        "the detail column is there"
    );
    assert!(
        h.query_by_label("Node").is_none(),
        "no room for a node column at 760x480"
    );
    let with_node = h
        .query_all_by(|n| {
            let text = n.label().or(n.value()).unwrap_or_default();
            text.starts_with("acme") && text.contains(": ")
        })
        .count();
    assert!(with_node > 0, "the node leads the detail instead");
    h.set_size(egui::vec2(1200.0, 800.0));
    h.run();
    assert!(
        h.query_by_label("Node").is_some(),
        "room again for every column"
    );
}

#[test]
fn backup_and_doctor_are_in_the_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |_| {});
    h.click("Vault");
    h.click("Back up now");
    let backups: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("views-backup-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(Vault::open(&backups[0], PASS).is_ok(), "the backup opens");
    assert!(h.has_text("Backup written to"));

    h.click("Vault");
    h.click("Check the vault (Doctor)");
    assert!(h.has_text("The vault is sound"));
    h.click("Close");
    assert!(!h.has_text("The vault is sound"));
}

#[test]
fn deleting_a_node_with_100_keys_asks_for_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |v| {
        keys(v, "acme/billing/prod", 100)
    });
    h.click("Project billing");
    h.click("Delete project");
    assert!(h.has_text("100 API keys will be deleted"));
    assert!(h.is_disabled("Delete"), "one click is not enough");
    h.type_into("Type billing to confirm", "bill");
    assert!(h.is_disabled("Delete"));
    h.type_into("Type billing to confirm", "ing");
    assert!(!h.is_disabled("Delete"));
    h.click("Delete");
    assert!(open_vault(dir.path()).resolve("acme/billing").is_err());
}

#[test]
fn a_scope_made_required_is_offered_to_the_existing_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |v| {
        keys(v, "acme/billing/prod", 3)
    });
    h.click("Workspace acme");
    // The tab (the key table has a "Scopes" column too).
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Scopes")
        .click();
    h.run();
    h.click("Edit scope write");
    h.click("Required (always on, every key gets it)");
    h.click("Save scope");
    assert!(h.has_text("3 existing keys do not have write"));
    h.click("Add to 3 keys");
    let v = open_vault(dir.path());
    let all = v.list_keys(None).expect("keys");
    assert!(
        all.iter()
            .all(|k| k.policy.scopes.iter().any(|s| s == "write"))
    );
    assert_eq!(h.state().status_text(), Some("Added write to 3 keys"));
}

#[test]
fn the_environment_prefix_is_shown_and_can_be_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |_| {});
    h.click("Environment prod");
    h.click("Secret prefix kw_");
    let field = h.get_by_label("Prefix");
    assert!(field.is_focused(), "the first field has the focus");
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.key_press(egui::Key::Backspace);
    h.run();
    h.type_into("Prefix", "Bad-Prefix");
    assert!(h.is_disabled("Save prefix"));
    let why = h.get_by_label("Save prefix");
    why.hover();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.key_press(egui::Key::Backspace);
    h.run();
    h.type_into("Prefix", "acme_prod");
    h.click("Save prefix");
    let v = open_vault(dir.path());
    assert_eq!(
        v.resolve("acme/billing/prod").expect("env").prefix,
        "acme_prod"
    );
    assert!(h.query_by_label("Secret prefix acme_prod_").is_some());
}

#[test]
fn new_keys_expire_in_90_days_and_never_warns_and_a_date_can_be_picked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |_| {});
    h.click("Environment prod");
    h.click("Add New Key");
    assert!(h.get_by_label("Name").is_focused());
    assert!(
        h.get_by_label("90 days").accesskit_node().toggled()
            == Some(egui::accesskit::Toggled::True)
    );
    assert!(!h.has_text("never expires works until"));
    h.click("Never");
    assert!(h.has_text("never expires works until someone revokes it"));

    h.click("Custom date");
    h.click("Pick expiry date");
    // The calendar opens at the month of the suggested day (90 days on), titled with it.
    let now = open_vault(dir.path()).now();
    let day_90 = jiff::Timestamp::from_second(now + 90 * 86_400)
        .expect("time")
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let title = |d: jiff::civil::Date| d.strftime("%B %Y").to_string();
    assert!(h.has_text(&title(day_90)), "titled {}", title(day_90));
    h.click("Next month");
    let next = day_90
        .first_of_month()
        .checked_add(jiff::ToSpan::month(1))
        .expect("next month");
    assert!(h.has_text(&title(next)), "then {}", title(next));
    let picked = next.with().day(15).build().expect("the 15th");
    h.click(&picked.to_string());
    assert_eq!(
        h.get_by_label("Expiry date (YYYY-MM-DD)")
            .value()
            .as_deref(),
        Some(picked.to_string().as_str())
    );
    assert!(
        !h.has_text(&title(next)),
        "the calendar closes once a day is picked"
    );
    h.type_into("Name", "dated");
    h.click("Generate Key");
    let info = &h
        .state()
        .session()
        .and_then(|s| s.secret.as_ref())
        .expect("secret dialog")
        .minted
        .info;
    let expires = keyward::vault::format_time(info.policy.expires_at.expect("expires"));
    assert!(expires.starts_with(&picked.to_string()), "{expires}");
}

#[test]
fn a_long_name_keeps_the_sidebar_bounded_and_the_header_buttons_on_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = "x".repeat(64);
    let name = long.clone();
    let mut h = window(dir.path(), [760.0, 480.0], move |v| {
        let ws = v.resolve("acme").expect("ws").id;
        v.add_project(ws, &name).expect("project");
    });
    h.click(&format!("Project {long}"));
    let width = h.ctx.content_rect().width();
    for label in [
        "Delete project",
        "Rename project",
        "Add environment",
        "Lock",
        "Settings",
        &format!("Project {long}"),
    ] {
        let rect = h.get_by_label(label).rect();
        assert!(
            rect.max.x <= width + 0.5 && rect.min.x >= 0.0,
            "{label} at {rect:?} is cut off in a {width} px window"
        );
    }
    let sidebar = h.get_by_label(&format!("Project {long}")).rect();
    assert!(
        sidebar.max.x < 400.0,
        "the sidebar stays narrow: {sidebar:?}"
    );
}

#[test]
fn the_calendar_offers_no_day_before_tomorrow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |_| {});
    h.click("Environment prod");
    h.click("Add New Key");
    h.click("Custom date");
    h.click("Pick expiry date");
    let now = open_vault(dir.path()).now();
    let utc_day = |t: i64| {
        jiff::Timestamp::from_second(t)
            .expect("time")
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    };
    let (today, in_90) = (utc_day(now), utc_day(now + 90 * 86_400));
    let months = |d: jiff::civil::Date| i32::from(d.year()) * 12 + i32::from(d.month());
    for _ in 0..months(in_90) - months(today) {
        h.click("Previous month");
    }
    assert!(h.is_disabled(&today.to_string()), "today is not an expiry");
    let tomorrow = utc_day(now + 86_400);
    if tomorrow.month() == today.month() {
        assert!(!h.is_disabled(&tomorrow.to_string()), "tomorrow is");
    }
}

/// Someone cuts the activity log behind the open window; the next change made in the window
/// (a revoke) is refused with the tampering named, and nothing changes in the vault.
#[test]
fn a_write_over_a_tampered_vault_shows_why_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = window(dir.path(), [1200.0, 800.0], |v| {
        keys(v, "acme/billing/prod", 1)
    });
    h.click("Environment prod");
    common::cut_activity_log(&dir.path().join("views.keyward"));
    h.click("Actions for key-0");
    h.click("Revoke key-0");
    h.click("Revoke key");
    assert!(
        h.has_text("failed its integrity check") && h.has_text("keyward doctor"),
        "the refusal is shown: {:?}",
        h.state().status_text()
    );
    let v = open_vault(dir.path());
    let all = v.list_keys(None).expect("keys");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, keyward::vault::KeyStatus::Active);
}
