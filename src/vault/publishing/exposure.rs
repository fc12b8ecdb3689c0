//! Secrets found where they should not be: `keyward scan` looks each found secret up by hash
//! and marks the vault's keys exposed, once per place, all of a scan in one transaction.

use std::collections::BTreeMap;

use crate::vault::activity::Action;
use crate::vault::error::Result;
use crate::vault::handle::Vault;
use crate::vault::model::KeyInfo;
use keyward_verify::Secret;

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
        let marked = self.mark_exposed_at(&[(key_id.to_owned(), place.to_owned())])?;
        Ok(marked.first().copied().unwrap_or(false))
    }

    /// Marks keys exposed at places (`(key id, file:line)`, as one scan found them) in one
    /// transaction, with one log entry per key that lists its new places (the first
    /// [`LOGGED_PLACES`], then how many more). Returns, for each pair, whether its place was
    /// new.
    pub fn mark_exposed_at(&mut self, found: &[(String, String)]) -> Result<Vec<bool>> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, (key_id, _)) in found.iter().enumerate() {
            by_key.entry(key_id).or_default().push(i);
        }
        let mut new = vec![false; found.len()];
        if by_key.is_empty() {
            return Ok(new);
        }
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            for (key_id, pairs) in &by_key {
                let (row, mut data) = v.key_to_change(tx, key_id)?;
                let mut places = Vec::new();
                for &i in pairs {
                    let place = found[i].1.chars().take(512).collect::<String>();
                    if !data.exposed.contains(&place) {
                        data.exposed.push(place.clone());
                        places.push(place);
                        new[i] = true;
                    }
                }
                if places.is_empty() {
                    continue;
                }
                v.reseal_key(tx, &row, &data, None)?;
                v.log(
                    tx,
                    Action::KeyExposed,
                    Some(row.node_id),
                    &tree.path_of(row.node_id),
                    &format!("{key_id} found in {}", listed(&places)),
                )?;
            }
            Ok(())
        })?;
        Ok(new)
    }

    /// Every secret prefix in use (environments' own and the default), for scanners.
    pub fn secret_prefixes(&self) -> Result<Vec<String>> {
        let mut prefixes: Vec<String> = self
            .tree()?
            .nodes
            .values()
            .filter(|n| !n.tampered)
            .map(|n| n.prefix.clone())
            .chain([keyward_verify::DEFAULT_PREFIX.to_owned()])
            .collect();
        prefixes.sort();
        prefixes.dedup();
        Ok(prefixes)
    }
}

/// Places a key.exposed log entry names; more are counted.
pub const LOGGED_PLACES: usize = 20;

/// `a, b, c` or `a, b, … and 5 more`.
fn listed(places: &[String]) -> String {
    let shown = places[..places.len().min(LOGGED_PLACES)].join(", ");
    match places.len().saturating_sub(LOGGED_PLACES) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}
