//! Key rows found by their lookup tag, kept between verifications while the server says
//! nothing changed: a check is then a memory lookup, not a round trip. The cache listens on
//! the vault's channel from a connection of its own and is emptied by every commit any member
//! makes (this connection's included), by a lost listener, and on reconnecting; while the
//! listener is down nothing is served from it.
//!
//! A row served from here can be a few milliseconds older than a commit whose notification is
//! still on its way; the vault then sees a row that does not match the newer commitment it
//! read, and checks again from one snapshot without the cache (see `Vault::decide`).

use std::collections::HashMap;

use super::connect::Target;
use super::decode::key_row_of;
use super::{PgStore, Tx};
use crate::vault::error::Result;
use crate::vault::store::{KeyRow, LiveEvent, LiveFeed};

/// Rows kept at most; past this the cache starts over (a flood of distinct keys costs memory
/// once, not without bound).
const MAX_ROWS: usize = 200_000;

#[derive(Default)]
pub struct LookupCache {
    feed: Option<LiveFeed>,
    /// The listener could not be started: never cache.
    disabled: bool,
    online: bool,
    rows: HashMap<Vec<u8>, KeyRow>,
    /// Last-used stamps this connection wrote since the rows were read, by row id (a check
    /// stamps at most once a minute per key; looking the row up by id would be a scan).
    stamps: HashMap<i64, i64>,
}

impl LookupCache {
    /// Starts listening (once) before the first row is kept, so no commit can slip between.
    pub fn start(&mut self, target: &Target) {
        if self.disabled || self.feed.is_some() {
            return;
        }
        match super::watch::start(target, Box::new(|| {})) {
            Ok(feed) => {
                self.feed = Some(feed);
                self.online = true;
            }
            Err(e) => {
                log::info!("verification without a cache: {e}");
                self.disabled = true;
            }
        }
    }

    /// Reads what the listener reported; whether anything changed since the last look (the
    /// caller then forgets what it read before, too).
    pub fn sync(&mut self) -> bool {
        let events = self.feed.as_ref().map(LiveFeed::poll).unwrap_or_default();
        let changed = !events.is_empty();
        for event in events {
            self.online = match event {
                LiveEvent::Changed => self.online,
                LiveEvent::Lost(_) => false,
                LiveEvent::Reconnected => true,
            };
        }
        if changed {
            self.clear();
        }
        changed
    }

    /// Whether every commit will be heard of (the listener is up).
    pub fn is_listening(&self) -> bool {
        self.feed.is_some() && self.online
    }

    pub fn get(&self, lookup: &[u8]) -> Option<KeyRow> {
        if !self.online {
            return None;
        }
        let mut row = self.rows.get(lookup)?.clone();
        if let Some(at) = self.stamps.get(&row.id) {
            row.last_used_at = Some(*at);
        }
        Some(row)
    }

    pub fn put(&mut self, lookup: &[u8], row: &KeyRow) {
        if !self.online || self.disabled {
            return;
        }
        if self.rows.len() >= MAX_ROWS {
            self.clear();
        }
        self.rows.insert(lookup.to_vec(), row.clone());
    }

    /// A commit from this connection: whatever was kept may be stale.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.stamps.clear();
    }

    /// A row's last-used stamp written by this connection.
    pub fn touched(&mut self, id: i64, at: i64) {
        if !self.rows.is_empty() {
            self.stamps.insert(id, at);
        }
    }
}

impl PgStore {
    /// A key row by its lookup tag. Outside a transaction, a row kept since the last commit
    /// anyone made is still the stored one (in a snapshot, the server is asked).
    pub(super) fn key_by_lookup_cached(&self, lookup: &[u8]) -> Result<Option<KeyRow>> {
        let cacheable = self.tx.get() == Tx::None;
        if cacheable {
            let mut cache = self.lookups.borrow_mut();
            cache.start(&self.target);
            if cache.sync() {
                self.seen_version.set(None);
            }
            if let Some(row) = cache.get(lookup) {
                return Ok(Some(row));
            }
        }
        let row = self.query_opt(
            concat!(
                "SELECT * FROM (SELECT ",
                key_row_columns!(),
                ", FALSE AS previous FROM keys WHERE lookup = $1
                 UNION ALL SELECT ",
                key_row_columns!(),
                ", TRUE FROM keys WHERE prev_lookup = $1) AS found LIMIT 1"
            ),
            &[&lookup],
        )?;
        self.saw_version(row.as_ref(), 7);
        let found = row.as_ref().map(|r| KeyRow {
            matched_previous: r.try_get::<_, bool>(8).unwrap_or(false),
            ..key_row_of(r)
        });
        if let Some(found) = &found
            && cacheable
            && !found.malformed
        {
            self.lookups.borrow_mut().put(lookup, found);
        }
        Ok(found)
    }
}
