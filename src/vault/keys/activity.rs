//! One key's own entries in the activity log. Every key entry's detail starts with the key id
//! as a whole word (`kid_… 'name'`, `kid_… found in …`, `kid_… copied …`), as the vault writes
//! it: that word, on a `key.*` entry, is what ties the entry to its key.

use crate::vault::Vault;
use crate::vault::activity::{ActivityEntry, entry_of, open_detail};
use crate::vault::error::Result;
use crate::vault::model::KeyInfo;

/// Entries read from the store at a time while looking back for a key's creation.
const PAGE: usize = 1_000;

impl ActivityEntry {
    /// The key this entry is about, for `key.*` entries.
    pub fn key_id(&self) -> Option<&str> {
        if !self.action.starts_with("key.") {
            return None;
        }
        self.detail.split(' ').next().filter(|id| !id.is_empty())
    }
}

impl Vault {
    /// The key's entries, newest first, at most `limit`. The log is read back to the key's
    /// creation whatever came since (a key imported among 20,000 others still shows its
    /// `key.create`); only the key's node's `key.*` entries are opened. Entries that fail
    /// their integrity check cannot say which key they are about: `doctor` reports them.
    pub fn key_activity(&self, key: &KeyInfo, limit: usize) -> Result<Vec<ActivityEntry>> {
        let mut out = Vec::new();
        let mut before = None;
        loop {
            let page = self.conn.activity_page(before, PAGE)?;
            let Some(last) = page.last() else { break };
            before = Some(last.seq);
            for row in page {
                if row.node_id != Some(key.node_id) || !row.action.starts_with("key.") {
                    continue;
                }
                let Some(detail) = open_detail(self, &row) else {
                    continue;
                };
                let entry = entry_of(row, detail, true);
                if entry.key_id() != Some(key.key_id.as_str()) {
                    continue;
                }
                let created = entry.action == crate::vault::Action::KeyCreated.code();
                out.push(entry);
                if created || out.len() >= limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }
}
