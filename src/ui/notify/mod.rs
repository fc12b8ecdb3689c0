//! Told, not only shown: a desktop notification when a key expires within the warning period,
//! an old secret's grace ends, a scan finds a live key, or a publish target fails. Each event is
//! sent once: what was sent is remembered (as digests, in the window's settings storage) so a
//! restart does not repeat it. The notifier is a small trait: this module knows nothing of
//! D-Bus; [`dbus`] is the freedesktop one on Linux.

#[cfg(target_os = "linux")]
pub mod dbus;

use std::collections::{BTreeMap, HashMap};

use crate::vault::{KeyInfo, KeyStatus, PublishTarget, Timestamp};

const DAY: i64 = 86_400;
/// The warning period: Health's "expires within 30 days".
pub const WARNING_DAYS: i64 = 30;
/// A grace that ended longer ago than this is old news, not an event (a first run would
/// otherwise announce every roll the vault ever had).
const GRACE_NEWS_DAYS: i64 = 7;
/// More new events of one kind than this at once are told in one notification.
const SEPARATE_AT_MOST: usize = 3;
/// How many sent events are remembered (the oldest are forgotten first).
const REMEMBERED: usize = 10_000;

/// What a notification is about; each can be turned off in Settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    Expiring,
    GraceEnded,
    LiveKeyFound,
    PublishFailed,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::Expiring,
        EventKind::GraceEnded,
        EventKind::LiveKeyFound,
        EventKind::PublishFailed,
    ];

    fn code(self) -> &'static str {
        match self {
            EventKind::Expiring => "expiring",
            EventKind::GraceEnded => "grace_ended",
            EventKind::LiveKeyFound => "live_key",
            EventKind::PublishFailed => "publish_failed",
        }
    }

    /// The Settings check box.
    pub fn setting_label(self) -> &'static str {
        match self {
            EventKind::Expiring => "Notify when a key expires within 30 days",
            EventKind::GraceEnded => "Notify when an old secret's grace ends",
            EventKind::LiveKeyFound => "Notify when a scan finds a live key",
            EventKind::PublishFailed => "Notify when a verifier file cannot be written",
        }
    }

    /// The title of one notification of several events.
    fn summary_of_many(self, n: usize) -> String {
        match self {
            EventKind::Expiring => format!("{n} keys expire within {WARNING_DAYS} days"),
            EventKind::GraceEnded => format!("{n} old secrets stopped working"),
            EventKind::LiveKeyFound => format!("{n} live keys were found exposed"),
            EventKind::PublishFailed => format!("{n} verifier files could not be written"),
        }
    }
}

/// Which kinds are told (Settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NotifyKinds {
    pub expiring: bool,
    pub grace_ended: bool,
    pub live_key: bool,
    pub publish_failed: bool,
}

impl Default for NotifyKinds {
    fn default() -> NotifyKinds {
        NotifyKinds {
            expiring: true,
            grace_ended: true,
            live_key: true,
            publish_failed: true,
        }
    }
}

impl NotifyKinds {
    pub fn get_mut(&mut self, kind: EventKind) -> &mut bool {
        match kind {
            EventKind::Expiring => &mut self.expiring,
            EventKind::GraceEnded => &mut self.grace_ended,
            EventKind::LiveKeyFound => &mut self.live_key,
            EventKind::PublishFailed => &mut self.publish_failed,
        }
    }

    pub fn get(mut self, kind: EventKind) -> bool {
        *self.get_mut(kind)
    }
}

/// One event: what it is about, and its identity (the kind, the key id or file, and the date
/// that makes it this event and not a later one of the same key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The key id or the publish target's file.
    pub subject: String,
    /// The expiry, the grace's end, the last good publish: a new one is a new event.
    pub at: Option<Timestamp>,
    /// What the notification says (names and dates; never a secret).
    pub title: String,
    pub body: String,
}

impl Event {
    fn identity(&self, vault: &str) -> String {
        let at = self.at.map(|t| t.to_string()).unwrap_or_default();
        let text = format!("{vault}\0{}\0{}\0{at}", self.kind.code(), self.subject);
        // Only a digest is stored: the settings file is plaintext, key ids stay in the vault.
        let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
        digest.as_ref()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The events of one key at `now`.
pub fn key_events(k: &KeyInfo, now: Timestamp, out: &mut Vec<Event>) {
    if matches!(k.status, KeyStatus::Revoked | KeyStatus::Tampered) {
        return;
    }
    let place = format!("{} · {}", k.node, k.name);
    if k.status == KeyStatus::Exposed {
        out.push(Event {
            kind: EventKind::LiveKeyFound,
            subject: k.key_id.clone(),
            at: None,
            title: format!("Live key found: {}", k.name),
            body: format!("{place}: its secret was found outside the vault and still works. Roll or revoke it."),
        });
    }
    if let Some(t) = k.policy.expires_at
        && t > now
        && t - now < WARNING_DAYS * DAY
    {
        out.push(Event {
            kind: EventKind::Expiring,
            subject: k.key_id.clone(),
            at: Some(t),
            title: format!("{} expires {}", k.name, super::time::local_date(t)),
            body: format!("{place}: its clients stop working then. Roll it or extend it."),
        });
    }
}

/// Old secrets seen in their grace. The listing stops showing a grace once it has ended, so
/// its end is known only to a window that saw it running: a grace that ends while the vault
/// is locked is not told.
#[derive(Default)]
pub struct Graces {
    /// Key id → (end of the grace, name, node).
    seen: HashMap<String, (Timestamp, String, String)>,
    /// When ended graces were last looked for.
    checked_at: Timestamp,
}

impl Graces {
    pub fn watch(&mut self, k: &KeyInfo) {
        match k.old_secret_valid_until {
            _ if matches!(k.status, KeyStatus::Revoked | KeyStatus::Tampered) => {
                self.seen.remove(&k.key_id);
            }
            Some(t) => {
                self.seen
                    .insert(k.key_id.clone(), (t, k.name.clone(), k.node.clone()));
            }
            None => {}
        }
    }

    /// The graces that ended by `now` (recently), as events.
    pub fn ended(&mut self, now: Timestamp, out: &mut Vec<Event>) {
        self.checked_at = now;
        self.seen
            .retain(|_, (t, _, _)| now - *t < GRACE_NEWS_DAYS * DAY);
        for (key_id, (t, name, node)) in &self.seen {
            if *t <= now {
                out.push(Event {
                    kind: EventKind::GraceEnded,
                    subject: key_id.clone(),
                    at: Some(*t),
                    title: format!("Old secret of {name} stopped working"),
                    body: format!(
                        "{node} · {name}: the grace after its roll ended; only the new secret \
                         works."
                    ),
                });
            }
        }
    }

    /// A grace ended since the last look.
    pub fn due(&self, now: Timestamp) -> bool {
        self.seen
            .values()
            .any(|(t, _, _)| *t > self.checked_at && *t <= now)
    }

    /// The next grace to end after `now`: the window looks again then.
    pub fn next_end(&self, now: Timestamp) -> Option<Timestamp> {
        self.seen
            .values()
            .map(|(t, _, _)| *t)
            .filter(|t| *t > now)
            .min()
    }
}

/// The events of the publish targets: one per failure since the last good write.
pub fn publish_events(targets: &[(PublishTarget, String)], out: &mut Vec<Event>) {
    for (t, node) in targets {
        if let Some(error) = &t.last_error {
            let file = t.file.display().to_string();
            let name = t
                .file
                .file_name()
                .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
            let node = if t.node.is_none() {
                "whole vault"
            } else {
                node
            };
            out.push(Event {
                kind: EventKind::PublishFailed,
                subject: file,
                at: t.last_published_at,
                title: format!("Could not write {name}"),
                body: format!("{node}: {error}"),
            });
        }
    }
}

/// Shows a desktop notification. Called on the UI thread: an implementation must not block.
pub trait Notifier {
    fn notify(&self, title: &str, body: &str);
}

/// Sends nothing: elsewhere than Linux (no platform notifier yet) and where none is wanted.
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn notify(&self, _title: &str, _body: &str) {}
}

/// The desktop's notifier: freedesktop's service on the session bus on Linux, none elsewhere.
pub fn desktop() -> Box<dyn Notifier> {
    #[cfg(target_os = "linux")]
    {
        Box::new(dbus::DbusNotifier::session())
    }
    #[cfg(not(target_os = "linux"))]
    {
        Box::new(NoNotifier)
    }
}

/// The events already told, by digest, with when (kept across runs).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Told {
    pub sent: BTreeMap<String, Timestamp>,
}

pub const STORAGE_KEY: &str = "keyward.notified";

impl Told {
    /// Tells `notifier` the events of `vault` not told yet and of a kind turned on, one
    /// notification each (or one for many of a kind), and remembers them. Returns how many
    /// notifications were sent.
    pub fn tell(
        &mut self,
        vault: &str,
        events: &[Event],
        kinds: NotifyKinds,
        now: Timestamp,
        notifier: &dyn Notifier,
    ) -> usize {
        let mut sent = 0;
        for kind in EventKind::ALL {
            if !kinds.get(kind) {
                continue;
            }
            let new: Vec<(&Event, String)> = events
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| (e, e.identity(vault)))
                .filter(|(_, id)| !self.sent.contains_key(id))
                .collect();
            if new.is_empty() {
                continue;
            }
            if new.len() <= SEPARATE_AT_MOST {
                for (e, _) in &new {
                    notifier.notify(&e.title, &e.body);
                }
                sent += new.len();
            } else {
                let first: Vec<&str> = new.iter().take(3).map(|(e, _)| e.title.as_str()).collect();
                notifier.notify(
                    &kind.summary_of_many(new.len()),
                    &format!("{}; and more. See Health.", first.join("; ")),
                );
                sent += 1;
            }
            for (_, id) in new {
                self.sent.insert(id, now);
            }
        }
        self.forget_oldest();
        sent
    }

    fn forget_oldest(&mut self) {
        if self.sent.len() <= REMEMBERED {
            return;
        }
        let mut times: Vec<Timestamp> = self.sent.values().copied().collect();
        times.sort_unstable();
        let cut = times[self.sent.len() - REMEMBERED];
        self.sent.retain(|_, t| *t >= cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Recorder(RefCell<Vec<String>>);

    impl Notifier for Recorder {
        fn notify(&self, title: &str, _body: &str) {
            self.0.borrow_mut().push(title.to_owned());
        }
    }

    fn event(kind: EventKind, subject: &str, at: Option<Timestamp>) -> Event {
        Event {
            kind,
            subject: subject.into(),
            at,
            title: format!("{subject} {kind:?}"),
            body: String::new(),
        }
    }

    #[test]
    fn each_event_is_told_once_and_a_new_date_is_a_new_event() {
        let mut told = Told::default();
        let r = Recorder::default();
        let on = NotifyKinds::default();
        let events = [
            event(EventKind::Expiring, "kw_a", Some(100)),
            event(EventKind::LiveKeyFound, "kw_b", None),
        ];
        assert_eq!(told.tell("v", &events, on, 1, &r), 2);
        assert_eq!(told.tell("v", &events, on, 2, &r), 0, "not twice");
        assert_eq!(told.tell("other", &events, on, 3, &r), 2, "another vault's");
        let moved = [event(EventKind::Expiring, "kw_a", Some(200))];
        assert_eq!(told.tell("v", &moved, on, 4, &r), 1, "a new expiry");
        assert!(told.sent.keys().all(|k| !k.contains("kw_")), "digests only");
    }

    #[test]
    fn a_kind_turned_off_is_not_told_and_many_are_told_as_one() {
        let mut told = Told::default();
        let r = Recorder::default();
        let kinds = NotifyKinds {
            expiring: false,
            ..NotifyKinds::default()
        };
        let many: Vec<Event> = (0..50)
            .map(|i| event(EventKind::Expiring, &format!("k{i}"), Some(9)))
            .chain((0..5).map(|i| event(EventKind::GraceEnded, &format!("g{i}"), Some(9))))
            .collect();
        assert_eq!(told.tell("v", &many, kinds, 1, &r), 1);
        assert_eq!(*r.0.borrow(), ["5 old secrets stopped working"]);
    }
}
