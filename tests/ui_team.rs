//! The window on a team vault on PostgreSQL: another member's key appears through NOTIFY, a
//! lost connection shows a banner and comes back on its own. SKIPPED loudly without
//! PostgreSQL unless `KEYWARD_REQUIRE_POSTGRES=1`.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::window::Drive as _;
use common::{StoreKind, on_store, pg, window};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use keyward::ui::KeywardApp;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::vault::{KdfParams, Vault};

const PASS: &str = "lichen orbit 6021 sable";

type H = Harness<'static, KeywardApp>;

fn kdf() -> KdfParams {
    KdfParams::new(8, 1).expect("kdf")
}

/// A team vault with acme/billing/prod on a new database, and the window on it, unlocked.
fn window() -> (H, PathBuf, tempfile::TempDir) {
    let url = pg::cluster().expect("cluster").new_database();
    let path = PathBuf::from(&url);
    window::vault_at(&path, PASS, window::acme);
    let dir = tempfile::tempdir().expect("tempdir");
    let h = window::unlocked_app(dir.path(), path.clone(), egui::vec2(1100.0, 700.0), PASS);
    (h, path, dir)
}

fn unlock(h: &mut H) {
    window::unlock(h, PASS);
}

/// Steps the window until `needle` shows (or not), for at most `limit`; how long it took.
fn wait_for(h: &mut H, needle: &str, shown: bool, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        h.step();
        if h.has_text(needle) == shown {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn mint_from_another_process(path: &PathBuf, name: &str) {
    let out = common::bin()
        .env("KEYWARD_VAULT", path)
        .env("KEYWARD_PASSPHRASE", PASS)
        .args(["key", "create", "acme/billing/prod", "--name", name])
        .output()
        .expect("run keyward");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_key_minted_by_another_member_appears_through_notify() {
    on_store(StoreKind::Postgres, || {
        let (mut h, path, _dir) = window();
        h.get_by_label("Environment prod").click();
        h.run();
        assert!(!h.has_text("from-elsewhere"));
        mint_from_another_process(&path, "from-elsewhere");
        let took = wait_for(&mut h, "from-elsewhere", true, Duration::from_secs(5))
            .expect("the key minted elsewhere shows in the window");
        eprintln!(
            "another process's key showed {} ms after its commit",
            took.as_millis()
        );
        assert!(took <= Duration::from_secs(2), "took {took:?}");
    });
}

#[test]
fn a_lost_connection_shows_a_banner_keeps_the_screen_and_comes_back() {
    on_store(StoreKind::Postgres, || {
        let (mut h, path, _dir) = window();
        h.get_by_label("Environment prod").click();
        h.run();
        mint_from_another_process(&path, "before-the-cut");
        wait_for(&mut h, "before-the-cut", true, Duration::from_secs(5)).expect("shown");
        // The server drops every connection of this vault's database.
        let db = pg::db_of(&path.to_string_lossy());
        pg::cluster().expect("cluster").psql(
            "postgres",
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = '{db}' AND pid <> pg_backend_pid()"
            ),
        );
        wait_for(&mut h, "out of reach", true, Duration::from_secs(5))
            .expect("the banner says the server is out of reach");
        assert!(h.has_text("before-the-cut"), "what was on screen stays");
        wait_for(&mut h, "out of reach", false, Duration::from_secs(10))
            .expect("the banner goes once the connection is back");
        // Live again: the next change from elsewhere arrives as before.
        mint_from_another_process(&path, "after-the-cut");
        wait_for(&mut h, "after-the-cut", true, Duration::from_secs(5))
            .expect("changes arrive again after reconnecting");
    });
}

#[test]
fn an_unreachable_server_is_a_message_on_the_unlock_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downloads = dir.path().join("downloads");
    let url = PathBuf::from("postgres://kw:hunter2@127.0.0.1:1/team?sslmode=disable");
    let mut h: H = window::app(
        url,
        egui::vec2(900.0, 600.0),
        Some(downloads),
        MemoryClipboard::default(),
    );
    h.run();
    assert!(h.has_text("127.0.0.1:1/team"), "the location is shown");
    assert!(!h.has_text("hunter2"), "without its password");
    unlock(&mut h);
    wait_for(
        &mut h,
        "cannot reach the PostgreSQL server",
        true,
        Duration::from_secs(10),
    )
    .expect("the unlock screen says the server cannot be reached");
    assert!(h.state().is_locked());
    assert!(!h.has_text("hunter2"));
}

#[test]
fn a_re_key_by_another_member_locks_the_window_with_a_reason() {
    on_store(StoreKind::Postgres, || {
        let (mut h, path, _dir) = window();
        let cli = |args: &[&str], new_pass: Option<&str>| {
            let mut cmd = common::bin();
            cmd.env("KEYWARD_VAULT", &path)
                .env("KEYWARD_PASSPHRASE", PASS)
                .args(args);
            if let Some(p) = new_pass {
                cmd.env("KEYWARD_NEW_PASSPHRASE", p);
            }
            let out = cmd.output().expect("run keyward");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        cli(&["member", "add", "bob"], Some("bob passphrase two words"));
        cli(&["member", "rm", "bob"], None);
        wait_for(&mut h, "re-keyed the vault", true, Duration::from_secs(5))
            .expect("the window says why it locked");
        assert!(h.state().is_locked());
        // Unlocking again with the same passphrase works: it opens the new data key.
        unlock(&mut h);
        assert!(!h.state().is_locked());
    });
}

#[test]
fn a_change_made_while_the_server_is_away_is_refused_not_queued() {
    on_store(StoreKind::Postgres, || {
        let (mut h, path, _dir) = window();
        let db = pg::db_of(&path.to_string_lossy());
        let cluster = pg::cluster().expect("cluster");
        // The server stops taking this database's connections and drops the ones it has.
        cluster.psql(
            "postgres",
            &format!(
                "ALTER DATABASE {db} ALLOW_CONNECTIONS false;
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = '{db}' AND pid <> pg_backend_pid()"
            ),
        );
        wait_for(&mut h, "out of reach", true, Duration::from_secs(5)).expect("banner");
        h.get_by_label("New workspace").click();
        h.run();
        let field = h.get_by_label("Name");
        field.focus();
        field.type_text("made-offline");
        h.run();
        h.get_by_label("Add").click();
        wait_for(
            &mut h,
            "not currently accepting connections",
            true,
            Duration::from_secs(15),
        )
        .expect("the window says the server refused the change");
        // Back online: the banner goes, and the change was not kept for later.
        cluster.psql(
            "postgres",
            &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"),
        );
        wait_for(&mut h, "out of reach", false, Duration::from_secs(10))
            .expect("the banner goes once the server is back");
        for _ in 0..20 {
            h.step();
            std::thread::sleep(Duration::from_millis(20));
        }
        let v = Vault::open(&path, PASS).expect("open");
        assert!(
            v.nodes()
                .expect("nodes")
                .iter()
                .all(|n| n.name != "made-offline"),
            "a change refused offline must not land later"
        );
    });
}

#[test]
fn a_team_vault_is_created_from_the_unlock_screen_on_an_empty_database() {
    on_store(StoreKind::Postgres, || {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("mine.keyward");
        Vault::create(&file, PASS, kdf()).expect("a file vault");
        let url = pg::cluster().expect("cluster").new_database();
        let mut h: H = window::app_in(dir.path(), file.clone(), egui::vec2(900.0, 700.0));
        h.run();
        h.get_by_label("Connect to a team vault…").click();
        h.run();
        assert!(
            h.get_by_label("Team vault URL").is_focused(),
            "the field opens focused"
        );
        // Not a server URL: Connect says what it wants.
        h.get_by_label("Team vault URL")
            .type_text("https://db.example/keys");
        h.run();
        assert!(h.get_by_label("Connect").accesskit_node().is_disabled());
        h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
        h.key_press(egui::Key::Backspace);
        h.run();
        h.get_by_label("Team vault URL").type_text(&url);
        h.run();
        assert!(!h.get_by_label("Connect").accesskit_node().is_disabled());
        h.get_by_label("Connect").click();
        h.run();
        assert_eq!(h.state().vault_path(), PathBuf::from(&url).as_path());
        assert!(h.has_text("Unlock your vault"));
        // Unlocking an empty database says so and offers to create the vault there.
        unlock(&mut h);
        wait_for(
            &mut h,
            "no Keyward vault in this database yet",
            true,
            SECS_10,
        )
        .expect("the unlock screen says the database is empty");
        h.get_by_label("Create a team vault here").click();
        h.run();
        assert!(h.has_text("Create a team vault"));
        assert!(
            h.get_by_label("Confirm passphrase").is_focused(),
            "the passphrase typed is kept: its confirmation is next"
        );
        let member = h.get_by_label("Your member name");
        member.focus();
        member.type_text("alice");
        let confirm = h.get_by_label("Confirm passphrase");
        confirm.focus();
        confirm.type_text(PASS);
        h.run();
        h.get_by_label("Create vault").click();
        window::settle(&mut h);
        wait_for(&mut h, "Create a team vault", false, SECS_10).expect("created");
        assert!(!h.state().is_locked(), "the new team vault is open");
        assert!(
            h.has_text("alice · team vault"),
            "the top bar says who is unlocked"
        );
        // It is on the server, with alice as its member, and the URL is not a recent vault.
        let v = Vault::open_as(&PathBuf::from(&url), Some("alice"), PASS).expect("open");
        let names: Vec<String> = v
            .members()
            .expect("members")
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["alice"]);
        assert!(
            h.state().recent.paths.iter().all(|p| p.as_path() == file),
            "{:?}",
            h.state().recent.paths
        );
    });
}

const SECS_10: Duration = Duration::from_secs(10);

/// At the minimum size the create card (the tallest) shows every way to another vault without
/// scrolling: above the status bar, which takes the window's last 20-odd points.
#[test]
fn the_create_card_fits_the_minimum_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h: H = window::app_in(
        dir.path(),
        dir.path().join("new.keyward"),
        egui::vec2(760.0, 480.0),
    );
    h.run();
    assert!(h.has_text("Create a new vault"));
    let bottom = h.get_by_label("Connect to a team vault…").rect().bottom();
    assert!(bottom <= 440.0, "below the fold at {bottom}");
}

/// Enter in the team vault field connects there: it does not also unlock the vault on screen
/// with the passphrase typed before.
#[test]
fn enter_in_the_team_vault_field_connects_instead_of_unlocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mine.keyward");
    Vault::create(&file, PASS, kdf()).expect("a file vault");
    let mut h: H = window::app_in(dir.path(), file, egui::vec2(760.0, 480.0));
    h.run();
    h.get_by_label("Passphrase").type_text(PASS);
    h.run();
    h.get_by_label("Connect to a team vault…").click();
    h.run();
    let url = "postgres://kw@127.0.0.1:1/team?sslmode=disable";
    h.get_by_label("Team vault URL").type_text(url);
    h.run();
    h.key_press(egui::Key::Enter);
    window::settle(&mut h);
    assert!(h.state().is_locked(), "the file vault was not unlocked");
    assert_eq!(h.state().vault_path(), PathBuf::from(url).as_path());
    assert!(h.has_text("127.0.0.1:1/team"));
}

/// Verification stamps last-used without a commit, so no notification: the window still
/// shows the stamp within a minute, and does not re-read the vault for nothing meanwhile.
#[test]
fn last_used_stamps_on_a_team_vault_show_within_a_minute() {
    on_store(StoreKind::Postgres, || {
        let (mut h, path, _dir) = window();
        h.get_by_label("Environment prod").click();
        h.run();
        let mut other = Vault::open(&path, PASS).expect("open");
        let env = other.resolve("acme/billing/prod").expect("env");
        let secret = other
            .create_key(env.id, keyward::vault::NewKey::named("stamped-key"))
            .expect("key")
            .secret;
        wait_for(&mut h, "stamped-key", true, SECS_10).expect("the new key arrives through NOTIFY");
        let reloads = |h: &H| h.state().session().map_or(0, |s| s.reloads);
        let before = reloads(&h);
        let stamp = |h: &H| {
            h.state().session().and_then(|s| {
                s.keys
                    .visible()
                    .find(|k| k.name == "stamped-key")
                    .and_then(|k| k.last_used_at)
            })
        };
        assert_eq!(stamp(&h), None);
        let checked = other.verify(secret.expose(), &[]).expect("verify");
        assert_eq!(checked.result, keyward::vault::Outcome::Valid);
        drop(other);
        // Harness time advances a fixed step a frame: 280 frames are over a minute.
        h.run_steps(280);
        assert!(stamp(&h).is_some(), "the stamp shows within a minute");
        assert_eq!(reloads(&h), before + 1, "one re-read, for the stamp");
        h.run_steps(280);
        assert_eq!(
            reloads(&h),
            before + 1,
            "no re-read while nothing is stamped"
        );
    });
}

/// A malformed URL typed into the window is a message on the unlock screen, without its
/// password, and nothing is opened.
#[test]
fn a_malformed_team_vault_url_is_a_message_without_its_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h: H = window::app_in(
        dir.path(),
        dir.path().join("mine.keyward"),
        egui::vec2(900.0, 700.0),
    );
    h.run();
    h.get_by_label("Connect to a team vault…").click();
    h.run();
    h.get_by_label("Team vault URL")
        .type_text("postgres://kw:hunter2@db.example/team?sslmode=bogus");
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    unlock(&mut h);
    wait_for(&mut h, "not a usable PostgreSQL URL", true, SECS_10)
        .expect("the unlock screen says what is wrong with the URL");
    assert!(h.state().is_locked());
    assert!(!h.has_text("hunter2"), "the password is never shown");
}
