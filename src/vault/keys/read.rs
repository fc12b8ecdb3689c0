//! Reading keys: one key, every key at a node, and what a listing shows of a key row (a record
//! that fails its checks is listed as `Tampered`, never hidden).

use std::collections::HashMap;
use std::ops::ControlFlow;

use super::record::KeyData;
use crate::vault::commitment::Table;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::tamper;
use crate::vault::model::{KeyDetails, KeyInfo, KeyStatus, NodeId, Timestamp};
use crate::vault::nodes::tree::Tree;
use crate::vault::publishing::usage::{self, KeyUsage};
use crate::vault::store::Store;
use crate::vault::{Vault, crypto, store};

impl Vault {
    /// A key row decrypted, if it is the committed one and consistent with its plain columns.
    pub(in crate::vault) fn open_key(&self, row: &store::KeyRow) -> Result<Option<KeyData>> {
        let committed =
            self.committed(Table::Keys, row.id, row.version, &row.sealed, row.malformed)?;
        Ok(decrypt_key(&self.sealer, row, committed))
    }

    /// A key's row and its record, to change them: `NotFound`, or tampered (a write never
    /// builds on a record that is not the committed one).
    pub(in crate::vault) fn key_to_change(
        &self,
        tx: &dyn Store,
        key_id: &str,
    ) -> Result<(store::KeyRow, KeyData)> {
        let row = key_row(tx, key_id)?;
        let data = self.open_key(&row)?.ok_or_else(|| tamper("key", key_id))?;
        Ok((row, data))
    }

    pub(in crate::vault) fn key_info(
        &self,
        tree: &Tree,
        row: &store::KeyRow,
        now: Timestamp,
    ) -> Result<KeyInfo> {
        let committed =
            self.committed(Table::Keys, row.id, row.version, &row.sealed, row.malformed)?;
        Ok(key_info_of(&self.sealer, tree, row, committed, now))
    }

    /// Keys at `node` and below (every key when `None`), oldest first. A record that fails
    /// its integrity check is listed with status `Tampered`; the others are unaffected.
    pub fn list_keys(&self, node: Option<NodeId>) -> Result<Vec<KeyInfo>> {
        let mut keys = Vec::new();
        self.each_key(node, |k| keys.push(k))?;
        Ok(keys)
    }

    /// Like [`Vault::list_keys`], one key at a time, so a caller keeping its own compact rows
    /// never holds every decoded key at once.
    pub fn each_key(&self, node: Option<NodeId>, mut f: impl FnMut(KeyInfo)) -> Result<()> {
        self.each_key_while(node, |k| {
            f(k);
            ControlFlow::Continue(())
        })
    }

    pub fn key(&self, key_id: &str) -> Result<KeyInfo> {
        let tree = self.tree()?;
        let row = key_row(&*self.conn, key_id)?;
        let now = self.now();
        let mut info = self.key_info(&tree, &row, now)?;
        usage::apply(&self.service_usage(now), &mut info, now);
        Ok(info)
    }

    /// What `keyward serve` wrote beside the publish targets this machine writes (another
    /// machine's target names a file over there): key id → usage. Unreadable targets or usage
    /// files count as no usage.
    pub(in crate::vault) fn service_usage(&self, now: Timestamp) -> HashMap<String, KeyUsage> {
        let Ok(files) = self.publish_files_here() else {
            return HashMap::new();
        };
        usage::collect(&files, now)
    }
}

/// A key's row, or `NotFound`.
pub(in crate::vault) fn key_row(db: &dyn Store, key_id: &str) -> Result<store::KeyRow> {
    db.key_by_key_id(key_id)?
        .ok_or_else(|| Error::not_found(Thing::Key, key_id.to_owned()))
}

/// A key's row as a write in `tx` just left it (gone would mean the write was tampered with).
pub(in crate::vault) fn written_key_row(tx: &dyn Store, key_id: &str) -> Result<store::KeyRow> {
    tx.key_by_key_id(key_id)?
        .ok_or_else(|| tamper("key", key_id))
}

/// A key row's record, if `committed` (checked against the state commitment by the caller),
/// it opens, and it agrees with the row's plain columns.
pub(in crate::vault) fn decrypt_key(
    sealer: &crypto::Sealer,
    row: &store::KeyRow,
    committed: bool,
) -> Option<KeyData> {
    if !committed {
        return None;
    }
    let data: KeyData =
        crate::vault::handle::open_sealed(sealer, Table::Keys, row.id, row.version, &row.sealed)?;
    (data.key_id == row.key_id
        && data.node_id == row.node_id
        && data.full_access == row.full_access)
        .then_some(data)
}

/// What a listing shows of a key row; a record that fails its checks is `Tampered`.
pub(in crate::vault) fn key_info_of(
    sealer: &crypto::Sealer,
    tree: &Tree,
    row: &store::KeyRow,
    committed: bool,
    now: Timestamp,
) -> KeyInfo {
    let node = tree.path_of(row.node_id);
    let listed = committed
        .then(|| {
            crate::vault::handle::open_sealed::<KeyData<serde::de::IgnoredAny>>(
                sealer,
                Table::Keys,
                row.id,
                row.version,
                &row.sealed,
            )
        })
        .flatten()
        .filter(|d| {
            d.key_id == row.key_id && d.node_id == row.node_id && d.full_access == row.full_access
        });
    match listed {
        Some(d) => {
            let scopes = d.scopes_in(tree);
            d.into_info(scopes, node, row.last_used_at, now)
        }
        None => KeyInfo {
            key_id: row.key_id.clone(),
            name: "(tampered record)".into(),
            node,
            node_id: row.node_id,
            policy: keyward_verify::Policy::default(),
            full_access: false,
            created_at: 0,
            last_used_at: row.last_used_at,
            uses_24h: None,
            uses_30d: None,
            credits_left: None,
            revoked_at: None,
            status: KeyStatus::Tampered,
            display: String::new(),
            details: KeyDetails::default(),
            old_secret_valid_until: None,
        },
    }
}
