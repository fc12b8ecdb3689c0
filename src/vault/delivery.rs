//! A secret is delivered or it does not exist: `key master` with its hand-over inside the
//! transaction, and what the window needs to find secrets it showed but never handed over.
//!
//! How window-minted keys are told apart: the command line writes a new secret out before the
//! transaction commits (`create_keys_then`, `roll_key_then`, [`Vault::master_key_then`]), so
//! its keys are delivered by construction. The window cannot: its secret waits in a dialog for
//! Copy or Download. So right after the window mints or rolls, it logs a second `key.create` /
//! `key.roll` entry whose detail is `<key id> ` + [`SHOWN_IN_WINDOW`] ([`Vault::record_shown`]).
//! A key whose newest such marker is not followed by `key.copy`, `key.download`, `key.revoke`,
//! `key.delete` or another (unmarked) create/roll is one whose secret was never handed over
//! ([`Vault::never_delivered`]). Keys minted through the library directly carry no marker and
//! are never listed: their caller holds the secret.
//!
//! Known gap: the marker is its own transaction, written just after the mint commits; a
//! process killed between the two commits leaves a key that is not listed.

use std::collections::HashSet;

use super::{Action, Error, KeyInfo, KeyStatus, MasterKey, MintedKey, NewKey, NodeId, Result};
use super::{Vault, store};

/// The detail of the marker entry, after the key id.
const SHOWN_IN_WINDOW: &str = "secret shown in the window, not yet copied or downloaded";

/// How many of the newest activity entries [`Vault::never_delivered`] reads: unlock stays fast
/// however many keys and entries the vault holds.
const DELIVERY_SCAN: usize = 2_000;

impl Vault {
    /// Like [`Vault::master_key`], but a new master key's secret goes to `deliver` before the
    /// transaction commits: if delivering fails, no master key is created.
    pub fn master_key_then(
        &mut self,
        node: NodeId,
        mut deliver: impl FnMut(&MintedKey) -> Result<()>,
    ) -> Result<MasterKey> {
        let tree = self.tree()?;
        let now = self.now();
        for row in store::master_key_row(&self.conn, node)? {
            let info = self.key_info(&tree, &row, now);
            if matches!(info.status, KeyStatus::Active | KeyStatus::ExpiringSoon) {
                return Ok(MasterKey::Existing(info));
            }
        }
        let mut name = "master".to_owned();
        let mut n = 1;
        loop {
            let new = NewKey {
                name: name.clone(),
                scopes: Vec::new(),
                full_access: true,
                expires_at: None,
            };
            let attempt = self.create_keys_then(node, vec![new], |minted| {
                minted.iter().try_for_each(&mut deliver)
            });
            match attempt {
                Err(Error::Conflict(_)) if n < 100 => {
                    n += 1;
                    name = format!("master-{n}");
                }
                Err(e) => return Err(e),
                Ok(mut minted) => {
                    return minted
                        .pop()
                        .map(MasterKey::Created)
                        .ok_or_else(|| Error::Corrupt("no key was minted".into()));
                }
            }
        }
    }

    /// Logs that the window shows `minted`'s secret and waits for Copy or Download (see the
    /// module note). `rolled`: the secret came from a roll.
    pub fn record_shown(&mut self, minted: &MintedKey, rolled: bool) -> Result<()> {
        let action = if rolled {
            Action::KeyRolled
        } else {
            Action::KeyCreated
        };
        self.record_handover(&minted.info.key_id, action, SHOWN_IN_WINDOW)
    }

    /// Keys whose secret the window showed but nobody copied or downloaded (the window was
    /// killed, or the secret discarded without revoking), among the newest [`DELIVERY_SCAN`]
    /// activity entries, newest first, each with `true` when the lost secret came from a roll
    /// (the key had a secret before). Revoked, expired, tampered and deleted keys are left out.
    pub fn never_delivered(&self) -> Result<Vec<(KeyInfo, bool)>> {
        let created = Action::KeyCreated.code();
        let rolled = Action::KeyRolled.code();
        let settling = [
            Action::KeyCopied.code(),
            Action::KeyDownloaded.code(),
            Action::KeyRevoked.code(),
            Action::KeyDeleted.code(),
        ];
        // Newest first: an entry settles every older secret of its key.
        let mut settled: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for entry in self.activity(None, DELIVERY_SCAN)? {
            if !entry.intact {
                continue;
            }
            let Some((key_id, rest)) = entry.detail.split_once(' ') else {
                continue;
            };
            if !key_id.starts_with("kid_") || settled.contains(key_id) {
                continue;
            }
            let action = entry.action.as_str();
            if settling.contains(&action) {
                settled.insert(key_id.to_owned());
            } else if action == created || action == rolled {
                settled.insert(key_id.to_owned());
                // An unmarked create or roll is the command line's (delivered before commit)
                // or the library's (its caller holds the secret).
                if rest != SHOWN_IN_WINDOW {
                    continue;
                }
                match self.key(key_id) {
                    Ok(key)
                        if !matches!(
                            key.status,
                            KeyStatus::Revoked | KeyStatus::Expired | KeyStatus::Tampered
                        ) =>
                    {
                        out.push((key, action == rolled));
                    }
                    Ok(_) | Err(Error::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(out)
    }
}
