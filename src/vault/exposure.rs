//! Secrets found where they should not be: `keyward scan` looks each found secret up by hash
//! and marks the vault's keys exposed, once per place.

use super::error::Result;
use super::model::KeyInfo;
use super::secret::Secret;
use super::{Action, Vault, tamper};

/// What a found secret is to this vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// One of this vault's keys, matched on its current secret (`previous: false`) or on the
    /// old secret of a roll that is still in its grace period or past it (`previous: true`).
    Key { info: Box<KeyInfo>, previous: bool },
    /// Well formed, with one of this vault's prefixes, but no key of this vault has it.
    Foreign,
}

impl Vault {
    /// Looks a secret up by its hash (no other record is decrypted).
    pub fn find_secret(&self, secret: &Secret) -> Result<Found> {
        let sha = secret.sha256();
        let Some(row) = self.conn.key_by_lookup(&self.lookup_tag(&sha))? else {
            return Ok(Found::Foreign);
        };
        let tree = self.tree()?;
        let previous = row.matched_previous;
        let info = self.key_info(&tree, &row, self.now())?;
        Ok(Found::Key {
            info: Box::new(info),
            previous,
        })
    }

    /// Marks a key's current secret as exposed at `place` (`file:line`). Returns false when
    /// that place was known already (nothing is written or logged twice).
    pub fn mark_exposed(&mut self, key_id: &str, place: &str) -> Result<bool> {
        let place = place.chars().take(512).collect::<String>();
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let row = tx
                .key_by_key_id(key_id)?
                .ok_or_else(|| super::Error::NotFound(format!("key '{key_id}'")))?;
            let mut data = v.open_key(&row)?.ok_or_else(|| tamper("key", key_id))?;
            if data.exposed.contains(&place) {
                return Ok(false);
            }
            data.exposed.push(place.clone());
            v.reseal_key(tx, &row, &data, None)?;
            v.log(
                tx,
                Action::KeyExposed,
                Some(row.node_id),
                &tree.path_of(row.node_id),
                &format!("{key_id} found in {place}"),
            )?;
            Ok(true)
        })
    }

    /// Every secret prefix in use (environments' own and the default), for scanners.
    pub fn secret_prefixes(&self) -> Result<Vec<String>> {
        let mut prefixes: Vec<String> = self
            .tree()?
            .nodes
            .values()
            .filter(|n| !n.tampered)
            .map(|n| n.prefix.clone())
            .chain([super::DEFAULT_PREFIX.to_owned()])
            .collect();
        prefixes.sort();
        prefixes.dedup();
        Ok(prefixes)
    }
}
