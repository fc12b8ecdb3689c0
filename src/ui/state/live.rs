//! A shared (server) vault kept current: the LISTEN feed wakes the window when another member
//! commits, a lost connection is shown until it is back. What is on screen stays as it was
//! meanwhile; changes made while offline fail with the server's message, nothing is queued.

use crate::vault::{LiveEvent, LiveFeed, Vault};

/// The window's side of the live feed.
#[derive(Default)]
pub struct Live {
    feed: Option<LiveFeed>,
    /// Why the feed could not be started (not retried until the next unlock).
    failed: Option<String>,
    /// Set while the connection is lost: why, for the banner.
    pub offline: Option<String>,
}

/// What the window should do after a look at the feed.
#[derive(Debug, PartialEq, Eq)]
pub enum LiveTick {
    Nothing,
    /// Another member changed something: read the vault again.
    Reload,
}

impl Live {
    /// Starts the feed for a shared vault on first use; then drains its events.
    pub fn tick(&mut self, vault: &Vault, ctx: &egui::Context) -> LiveTick {
        if !vault.is_shared() || self.failed.is_some() {
            return LiveTick::Nothing;
        }
        if self.feed.is_none() {
            let ctx = ctx.clone();
            match vault.live_feed(Box::new(move || ctx.request_repaint())) {
                Some(Ok(feed)) => self.feed = Some(feed),
                Some(Err(e)) => {
                    self.failed = Some(e.to_string());
                    self.offline = Some(e.to_string());
                    return LiveTick::Nothing;
                }
                None => return LiveTick::Nothing,
            }
        }
        let events = self.feed.as_ref().map(LiveFeed::poll).unwrap_or_default();
        let mut tick = LiveTick::Nothing;
        for event in events {
            match event {
                LiveEvent::Changed => tick = LiveTick::Reload,
                LiveEvent::Lost(why) => self.offline = Some(why),
                LiveEvent::Reconnected => {
                    self.offline = None;
                    // Whatever happened meanwhile was not announced to us.
                    tick = LiveTick::Reload;
                }
            }
        }
        tick
    }

    /// Whether the vault is watched (a shared vault whose feed is running).
    pub fn is_watching(&self) -> bool {
        self.feed.is_some()
    }
}
