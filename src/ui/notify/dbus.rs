//! Notifications over freedesktop's service on the session bus
//! (`org.freedesktop.Notifications.Notify`), with zbus. The bus is reached on a thread of its
//! own, so the window never waits on it; with no session bus or no notification service the
//! notifications are dropped (logged at debug level).

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender};

use zbus::zvariant::Value;

use super::Notifier;

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
/// The app's name and icon, as its desktop file names them.
const APP_NAME: &str = "Keyward";
const APP_ICON: &str = "dev.keyward.Keyward";

struct Message {
    title: String,
    body: String,
}

pub struct DbusNotifier {
    tx: Sender<Message>,
}

impl DbusNotifier {
    /// On the user's session bus.
    pub fn session() -> DbusNotifier {
        DbusNotifier::start(None)
    }

    /// On the bus at `address` (tests run their own).
    pub fn at_address(address: &str) -> DbusNotifier {
        DbusNotifier::start(Some(address.to_owned()))
    }

    fn start(address: Option<String>) -> DbusNotifier {
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("keyward-notify".into())
            .spawn(move || serve(address, &rx));
        if let Err(e) = spawned {
            log::debug!("no desktop notifications: {e}");
        }
        DbusNotifier { tx }
    }
}

impl Notifier for DbusNotifier {
    fn notify(&self, title: &str, body: &str) {
        let _ = self.tx.send(Message {
            title: title.to_owned(),
            body: body.to_owned(),
        });
    }
}

/// Sends each message as it comes; connects at the first one (no bus is touched by a window
/// that has nothing to tell).
fn serve(address: Option<String>, rx: &Receiver<Message>) {
    let mut conn: Option<zbus::blocking::Connection> = None;
    for message in rx {
        if conn.is_none() {
            let connected = match &address {
                Some(a) => {
                    zbus::blocking::connection::Builder::address(a.as_str()).and_then(|b| b.build())
                }
                None => zbus::blocking::Connection::session(),
            };
            match connected {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    log::debug!("no desktop notifications: {e}");
                    continue;
                }
            }
        }
        if let Some(c) = &conn
            && let Err(e) = notify(c, &message)
        {
            log::debug!("a desktop notification was not shown: {e}");
        }
    }
}

fn notify(conn: &zbus::blocking::Connection, m: &Message) -> zbus::Result<()> {
    let actions: Vec<&str> = Vec::new();
    let hints: HashMap<&str, Value<'_>> = HashMap::new();
    // Expire as the server sees fit (-1); nothing to replace (0).
    conn.call_method(
        Some(SERVICE),
        PATH,
        Some(SERVICE),
        "Notify",
        &(
            APP_NAME,
            0u32,
            APP_ICON,
            m.title.as_str(),
            m.body.as_str(),
            actions,
            hints,
            -1i32,
        ),
    )?;
    Ok(())
}
