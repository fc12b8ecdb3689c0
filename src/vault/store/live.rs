//! Live changes of a shared vault: what a watcher reports to the window.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

/// What happened on the server since the last look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveEvent {
    /// Another connection (or this one) committed a change.
    Changed,
    /// The watching connection was lost; the text says why. Reconnecting goes on.
    Lost(String),
    /// Connected again after a loss (changes may have been missed: reload).
    Reconnected,
}

/// A running watcher; dropping it stops the watching thread.
pub struct LiveFeed {
    pub(crate) events: Receiver<LiveEvent>,
    pub(crate) stop: Arc<AtomicBool>,
}

impl LiveFeed {
    /// Events since the last call, oldest first (never blocks).
    pub fn poll(&self) -> Vec<LiveEvent> {
        self.events.try_iter().collect()
    }
}

impl Drop for LiveFeed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
