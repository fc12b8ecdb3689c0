//! LISTEN on the vault's channel from a connection of its own, on a thread: every commit by
//! any member wakes the window within moments, with no polling of rows. A lost connection is
//! reported and retried every second until it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use ::postgres::fallible_iterator::FallibleIterator;

use super::connect::Target;
use super::schema;
use crate::vault::error::Result;
use crate::vault::store::live::{LiveEvent, LiveFeed};

/// How often the thread looks at its stop flag while nothing arrives.
const TICK: Duration = Duration::from_millis(250);

pub fn start(target: &Target, wake: Box<dyn Fn() + Send>) -> Result<LiveFeed> {
    // The first connection is made here, so a server that is not there is an error now.
    let mut client = target.connect()?;
    client
        .batch_execute(&format!("LISTEN {}", schema::CHANNEL))
        .map_err(|e| super::server_error(target, &e))?;
    let (tx, rx) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let target = target.clone();
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("keyward-listen".into())
        .spawn(move || run(client, &target, &tx, &flag, &*wake))
        .map_err(|e| crate::vault::Error::Server(format!("cannot start the listener: {e}")))?;
    Ok(LiveFeed { events: rx, stop })
}

fn run(
    mut client: ::postgres::Client,
    target: &Target,
    tx: &Sender<LiveEvent>,
    stop: &AtomicBool,
    wake: &dyn Fn(),
) {
    let send = |event: LiveEvent| {
        let sent = tx.send(event).is_ok();
        wake();
        sent
    };
    loop {
        let lost = listen(&mut client, stop, &send);
        let Some(why) = lost else { return };
        if !send(LiveEvent::Lost(why)) {
            return;
        }
        // Reconnect, once a second, until the server is back or the window has gone.
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
            let again = target.connect().and_then(|mut c| {
                c.batch_execute(&format!("LISTEN {}", schema::CHANNEL))
                    .map_err(|e| super::server_error(target, &e))?;
                Ok(c)
            });
            if let Ok(c) = again {
                client = c;
                if !send(LiveEvent::Reconnected) {
                    return;
                }
                break;
            }
        }
    }
}

/// Waits for notifications until stopped (`None`) or the connection is lost (why).
fn listen(
    client: &mut ::postgres::Client,
    stop: &AtomicBool,
    send: &dyn Fn(LiveEvent) -> bool,
) -> Option<String> {
    let mut idle = Duration::ZERO;
    loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let mut changed = false;
        {
            let mut notifications = client.notifications();
            let first = notifications.timeout_iter(TICK).next();
            match first {
                Ok(Some(_)) => {
                    changed = true;
                    // A burst of commits is one reload.
                    while let Ok(Some(_)) = notifications.iter().next() {}
                }
                Ok(None) => {}
                Err(e) => {
                    return Some(format!(
                        "the connection to the server was lost: {}",
                        super::connect::describe(&e)
                    ));
                }
            }
        }
        if changed {
            idle = Duration::ZERO;
            if !send(LiveEvent::Changed) {
                return None;
            }
        } else {
            idle += TICK;
        }
        if client.is_closed() {
            return Some("the connection to the server was lost".into());
        }
        // A quiet connection is checked now and then: a dead server sends no error of its own.
        if idle >= Duration::from_secs(2) {
            idle = Duration::ZERO;
            if client.is_valid(Duration::from_secs(2)).is_err() {
                return Some("the server does not answer".into());
            }
        }
    }
}
