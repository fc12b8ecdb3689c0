//! The keys whose details are shown (beside the list, or in a dialog), read when asked for and
//! again when the vault changes: the details never read the vault while drawing.

use crate::vault::{ActivityEntry, KeyInfo, UsageSeries, Vault};

/// The key's newest entries shown (its log is read back to its creation for them).
const ACTIVITY_SHOWN: usize = 200;
/// Days of checks the key's usage chart shows.
pub const USAGE_DAYS: u32 = 30;
/// The details panel and a details dialog: at most two keys are shown at once.
const KEPT: usize = 2;

/// One key as its details show it.
pub struct KeyView {
    pub key_id: String,
    /// The key, or why it cannot be read (gone, tampered).
    pub key: Result<KeyInfo, String>,
    /// The key's own log entries, newest first.
    pub activity: Vec<ActivityEntry>,
    /// Its checks through `keyward serve` per day over the last [`USAGE_DAYS`] days, from
    /// the usage files (what its chart draws).
    pub usage: UsageSeries,
}

impl KeyView {
    fn read(vault: &Vault, key_id: &str) -> KeyView {
        let key = vault.key(key_id).map_err(|e| e.to_string());
        // The vault picks the key's entries by the key id each entry is about.
        let activity = key
            .as_ref()
            .map(|k| vault.key_activity(k, ACTIVITY_SHOWN).unwrap_or_default())
            .unwrap_or_default();
        let usage = match &key {
            Ok(k) => vault.key_usage_days(&k.key_id, USAGE_DAYS),
            Err(_) => UsageSeries::default(),
        };
        KeyView {
            key_id: key_id.to_owned(),
            key,
            activity,
            usage,
        }
    }
}

/// The keys last asked for, newest first.
#[derive(Default)]
pub struct KeyViews {
    views: Vec<KeyView>,
}

impl KeyViews {
    pub fn get(&self, key_id: &str) -> Option<&KeyView> {
        self.views.iter().find(|v| v.key_id == key_id)
    }

    /// Reads `key_id` (again) and keeps it, dropping the oldest beyond what can be shown.
    pub fn read(&mut self, vault: &Vault, key_id: &str) {
        self.views.retain(|v| v.key_id != key_id);
        self.views.insert(0, KeyView::read(vault, key_id));
        self.views.truncate(KEPT);
    }

    /// Re-reads every kept key (the vault changed).
    pub fn reread(&mut self, vault: &Vault) {
        for view in &mut self.views {
            *view = KeyView::read(vault, &view.key_id);
        }
    }
}
