//! Locks the vault when the screen locks or the machine suspends. On Linux, logind says so on
//! the system bus: `PrepareForSleep(true)` on its manager and `Lock` on our login session.
//! Elsewhere (or with no system bus) only the idle timer locks.

use std::sync::mpsc::{Receiver, Sender};

/// Something the desktop told us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenEvent {
    /// The session's screen was locked.
    ScreenLocked,
    /// The machine is about to suspend or hibernate.
    Suspending,
}

impl ScreenEvent {
    pub fn reason(self) -> &'static str {
        match self {
            ScreenEvent::ScreenLocked => "the screen was locked",
            ScreenEvent::Suspending => "the computer went to sleep",
        }
    }
}

/// Where the window hears about screen locks; polled once per frame.
pub struct ScreenWatch {
    rx: Receiver<ScreenEvent>,
}

impl ScreenWatch {
    /// Events from `rx` (tests send their own).
    pub fn from_channel(rx: Receiver<ScreenEvent>) -> ScreenWatch {
        ScreenWatch { rx }
    }

    /// Watches logind on a thread of its own; it ends quietly where there is no system bus.
    pub fn start(ctx: &egui::Context) -> ScreenWatch {
        let (tx, rx) = std::sync::mpsc::channel();
        #[cfg(target_os = "linux")]
        {
            let ctx = ctx.clone();
            let spawned = std::thread::Builder::new()
                .name("keyward-logind".into())
                .spawn(move || {
                    let result = zbus::blocking::Connection::system().and_then(|conn| {
                        let session = logind::session_path(&conn);
                        logind::watch(&conn, session, &tx, &|| ctx.request_repaint())
                    });
                    if let Err(e) = result {
                        log::debug!("no lock on screen lock or suspend: {e}");
                    }
                });
            if let Err(e) = spawned {
                log::debug!("no lock on screen lock or suspend: {e}");
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (ctx, tx);
        }
        ScreenWatch { rx }
    }

    /// The next event, if one came.
    pub fn poll(&self) -> Option<ScreenEvent> {
        self.rx.try_recv().ok()
    }
}

/// A sender for tests and for [`logind::watch`].
pub type ScreenSender = Sender<ScreenEvent>;

#[cfg(target_os = "linux")]
pub mod logind {
    //! logind's signals, read with zbus (pure Rust, no libdbus).

    use zbus::blocking::{Connection, MessageIterator};
    use zbus::message::Type;
    use zbus::zvariant::OwnedObjectPath;

    use super::{ScreenEvent, ScreenSender};

    const SERVICE: &str = "org.freedesktop.login1";
    const PATH: &str = "/org/freedesktop/login1";
    const MANAGER: &str = "org.freedesktop.login1.Manager";
    const SESSION: &str = "org.freedesktop.login1.Session";

    /// The object path of the login session this process runs in, if logind knows it.
    pub fn session_path(conn: &Connection) -> Option<OwnedObjectPath> {
        let reply = conn
            .call_method(
                Some(SERVICE),
                PATH,
                Some(MANAGER),
                "GetSessionByPID",
                &(std::process::id()),
            )
            .map_err(|e| log::debug!("logind knows no session for this process: {e}"))
            .ok()?;
        reply.body().deserialize::<OwnedObjectPath>().ok()
    }

    /// Forwards logind's lock and sleep signals to `tx` (calling `wake` after each) until the
    /// bus connection or the receiver goes away.
    pub fn watch(
        conn: &Connection,
        session: Option<OwnedObjectPath>,
        tx: &ScreenSender,
        wake: &dyn Fn(),
    ) -> zbus::Result<()> {
        let rule = zbus::MatchRule::builder()
            .msg_type(Type::Signal)
            .path_namespace(PATH)?
            .build();
        for message in MessageIterator::for_match_rule(rule, conn, Some(16))? {
            let Ok(message) = message else { continue };
            let header = message.header();
            let (Some(interface), Some(member), Some(path)) =
                (header.interface(), header.member(), header.path())
            else {
                continue;
            };
            let event = match (interface.as_str(), member.as_str()) {
                (MANAGER, "PrepareForSleep") if path.as_str() == PATH => {
                    // `true` before sleeping, `false` after waking up.
                    matches!(message.body().deserialize::<bool>(), Ok(true))
                        .then_some(ScreenEvent::Suspending)
                }
                (SESSION, "Lock")
                    if session
                        .as_ref()
                        .is_some_and(|s| s.as_str() == path.as_str()) =>
                {
                    Some(ScreenEvent::ScreenLocked)
                }
                _ => None,
            };
            if let Some(event) = event {
                if tx.send(event).is_err() {
                    return Ok(());
                }
                wake();
            }
        }
        Ok(())
    }
}
