//! Told, not only shown (issue 22): desktop notifications over freedesktop's service on a
//! private session bus (`dbus-daemon`), served by a fake notification server written here that
//! records each Notify call. One notification per event, none twice (not after a restart
//! either), none of a kind turned off.

#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::PASS;
use common::dbus::{self, PrivateBus};
use common::window::{self, App};
use egui_kittest::kittest::Queryable as _;
use keyward::ui::clipboard::MemoryClipboard;
use keyward::ui::notify::Told;
use keyward::ui::notify::dbus::DbusNotifier;
use keyward::vault::{Grace, NewKey, Preset, Vault};
use zbus::zvariant::OwnedValue;

/// The notifications received: (app name, summary, body).
type Calls = Arc<Mutex<Vec<(String, String, String)>>>;

struct FakeNotifications {
    calls: Calls,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: std::collections::HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut calls = self.calls.lock().expect("lock");
        calls.push((app_name, summary, body));
        u32::try_from(calls.len()).unwrap_or(u32::MAX)
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "keyward-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }
}

/// A private bus with the fake server on it; both end when dropped.
struct Bus {
    calls: Calls,
    _server: zbus::blocking::Connection,
    private: PrivateBus,
}

/// The bus, or `None` (skipped) where there is no `dbus-daemon` and it is not required.
fn bus() -> Option<Bus> {
    let private = dbus::start()?;
    let address = private.address.clone();
    let calls = Calls::default();
    let started = Instant::now();
    let server = loop {
        let built = zbus::blocking::connection::Builder::address(address.as_str())
            .and_then(|b| b.name("org.freedesktop.Notifications"))
            .and_then(|b| {
                b.serve_at(
                    "/org/freedesktop/Notifications",
                    FakeNotifications {
                        calls: calls.clone(),
                    },
                )
            })
            .and_then(|b| b.build());
        match built {
            Ok(c) => break c,
            Err(e) if started.elapsed() > Duration::from_secs(5) => {
                panic!("cannot serve on the private bus: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    Some(Bus {
        calls,
        _server: server,
        private,
    })
}

impl Bus {
    /// The summaries received, once `n` came (or after 3 s), and a moment more for strays.
    fn summaries_after(&self, n: usize) -> Vec<String> {
        let started = Instant::now();
        while self.calls.lock().expect("lock").len() < n
            && started.elapsed() < Duration::from_secs(3)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        let calls = self.calls.lock().expect("lock");
        assert!(calls.iter().all(|(app, _, _)| app == "Keyward"));
        calls.iter().map(|(_, s, _)| s.clone()).collect()
    }

    /// Nothing came within half a second.
    fn quiet(&self) -> bool {
        std::thread::sleep(Duration::from_millis(500));
        self.calls.lock().expect("lock").is_empty()
    }

    fn clear(&self) {
        self.calls.lock().expect("lock").clear();
    }
}

/// A vault with an event of three kinds: a key expiring in 10 days, a live key found exposed,
/// and a publish target that fails; a key rolled with an hour of grace (an event when the
/// hour is over) and a quiet key (no event).
/// Returns the vault, the leaked key's id and when the expiring key expires.
fn eventful_vault(dir: &Path) -> (PathBuf, String, i64) {
    let path = dir.join("told.keyward");
    let mut v = Vault::create(&path, PASS, window::fast_kdf()).expect("create");
    let ws = v.add_workspace("acme", Preset::ReadWrite).expect("ws");
    let p = v.add_project(ws.id, "billing").expect("project");
    let env = v.add_environment(p.id, "prod", None).expect("env").id;
    let key = |v: &mut Vault, name: &str, days: i64| {
        let expires_at = Some(v.now() + days * 86_400 + 3_600);
        v.create_key(env, NewKey::named(name).expires_at(expires_at))
            .expect("key")
            .info
            .key_id
    };
    let expiring = key(&mut v, "expiring-soon", 10);
    let expires_at = v
        .key(&expiring)
        .expect("key")
        .policy
        .expires_at
        .expect("expiry");
    key(&mut v, "quiet", 200);
    let leaked = key(&mut v, "leaked", 200);
    v.mark_exposed(&leaked, "src/config.rs:12")
        .expect("exposed");
    let rolled = key(&mut v, "rolled", 200);
    v.roll_key(&rolled, Grace::OneHour).expect("roll");
    let out = dir.join("out");
    std::fs::create_dir(&out).expect("dir");
    v.add_publish_target(None, &out.join("acme.verifier.json"), 0o644)
        .expect("publish");
    std::fs::remove_dir_all(&out).expect("remove");
    key(&mut v, "triggers-a-failed-publish", 200);
    (path, leaked, expires_at)
}

fn window_on(path: &Path, bus: &Bus, told: Told) -> App {
    let mut h = window::app(
        path.to_owned(),
        egui::vec2(1100.0, 760.0),
        None,
        MemoryClipboard::default(),
    );
    h.state_mut()
        .set_notifier(Box::new(DbusNotifier::at_address(&bus.private.address)));
    h.state_mut().told = told;
    window::unlock(&mut h, PASS);
    assert!(!h.state().is_locked(), "{:?}", h.state().status_text());
    h
}

#[test]
fn each_event_is_told_once_over_the_session_bus() {
    let Some(bus) = bus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, leaked, expires_at) = eventful_vault(dir.path());

    let mut h = window_on(&path, &bus, Told::default());
    let mut got = bus.summaries_after(3);
    got.sort();
    assert_eq!(
        got,
        [
            "Could not write acme.verifier.json".to_owned(),
            "Live key found: leaked".to_owned(),
            format!("expiring-soon expires {}", local_day(expires_at)),
        ],
        "one per event"
    );
    // The hour of grace passes with the window open: told when it ends, once.
    bus.clear();
    pass_hours(&mut h, 2);
    assert_eq!(
        bus.summaries_after(1),
        ["Old secret of rolled stopped working"]
    );
    let bodies = bus.calls.lock().expect("lock").clone();
    assert!(
        bodies
            .iter()
            .all(|(_, s, b)| !s.contains(&leaked) && !b.contains(&leaked)),
        "names, not key ids: {bodies:?}"
    );

    // Reloads, a lock and an unlock: nothing is told twice.
    bus.clear();
    h.get_by_label("Environment prod").click();
    h.run();
    h.get_by_label("Lock").click();
    h.run();
    window::unlock(&mut h, PASS);
    assert!(bus.quiet(), "not twice");

    // A restart with what was remembered: still nothing.
    let told = h.state().told.clone();
    drop(h);
    let _h = window_on(&path, &bus, told);
    assert!(bus.quiet(), "not after a restart");
}

#[test]
fn a_kind_turned_off_in_settings_is_not_told() {
    let Some(bus) = bus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _, _) = eventful_vault(dir.path());
    let mut h = window::app(
        path.clone(),
        egui::vec2(1100.0, 760.0),
        None,
        MemoryClipboard::default(),
    );
    h.state_mut()
        .set_notifier(Box::new(DbusNotifier::at_address(&bus.private.address)));
    // Turned off before the first unlock: through Settings, after an unlock with a notifier
    // that tells nobody, then locked again with nothing remembered.
    h.state_mut()
        .set_notifier(Box::new(keyward::ui::notify::NoNotifier));
    window::unlock(&mut h, PASS);
    h.get_by_label("Settings").click();
    h.run();
    for label in [
        "Notify when a key expires within 30 days",
        "Notify when a scan finds a live key",
    ] {
        h.get_by_label(label).click();
        h.run();
    }
    h.get_by_label("Save settings").click();
    h.run();
    assert!(!h.state().settings.notify.expiring);
    assert!(!h.state().settings.notify.live_key);
    h.get_by_label("Lock").click();
    h.run();
    h.state_mut().told = Told::default();
    h.state_mut()
        .set_notifier(Box::new(DbusNotifier::at_address(&bus.private.address)));
    window::unlock(&mut h, PASS);
    assert_eq!(
        bus.summaries_after(1),
        ["Could not write acme.verifier.json"]
    );
    // Turned off: the old secret's grace ending.
    h.get_by_label("Settings").click();
    h.run();
    h.get_by_label("Notify when an old secret's grace ends")
        .click();
    h.run();
    h.get_by_label("Save settings").click();
    h.run();
    bus.clear();
    pass_hours(&mut h, 2);
    assert!(bus.quiet(), "a kind turned off");
}

/// Moves the open vault's clock `hours` ahead and lets the window notice.
fn pass_hours(h: &mut App, hours: i64) {
    let later = keyward::vault::now() + hours * 3600;
    h.state_mut()
        .session_mut()
        .expect("unlocked")
        .vault
        .set_clock(Arc::new(move || later));
    h.run();
}

/// The local day `t` falls on, as the notification says it.
fn local_day(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .expect("time")
        .to_zoned(jiff::tz::TimeZone::system())
        .date()
        .to_string()
}
