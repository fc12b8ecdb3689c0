//! A secret is delivered or it does not exist: what the window needs to find secrets it showed
//! but never handed over.
//!
//! The command line and the library hand a new secret over before the transaction commits
//! (`create_keys_then`, `roll_key_then`, `master_key_then`), so their keys are delivered by
//! construction. The window cannot: its secret waits in a dialog for Copy or Download. So a
//! window mint or roll (`create_key_shown`, `roll_key_shown`) logs a `key.shown` entry in the
//! same transaction. A key whose newest `key.shown` is not followed by `key.copy`,
//! `key.download`, `key.revoke`, `key.delete` or another create or roll is one whose secret
//! was never handed over ([`Vault::never_delivered`]).

use std::collections::HashSet;

use crate::vault::store::Store;

use crate::vault::activity::Action;
use crate::vault::error::{Error, Result};
use crate::vault::handle::Vault;
use crate::vault::model::{KeyInfo, KeyStatus};

/// The detail of a `key.shown` entry after the key id, for a new key and for a roll.
const SHOWN_NEW: &str = "secret shown in the window, not yet copied or downloaded";
const SHOWN_ROLLED: &str = "new secret of a roll shown in the window, not yet copied or downloaded";

/// How many of the newest activity entries [`Vault::never_delivered`] reads: unlock stays fast
/// however many keys and entries the vault holds.
const DELIVERY_SCAN: usize = 2_000;

impl Vault {
    /// Logs, inside the mint's or roll's transaction, that a window holds the new secret.
    pub(in crate::vault) fn log_shown(
        &self,
        tx: &dyn Store,
        key: &KeyInfo,
        rolled: bool,
    ) -> Result<()> {
        let detail = if rolled { SHOWN_ROLLED } else { SHOWN_NEW };
        self.log(
            tx,
            Action::KeyShown,
            Some(key.node_id),
            &key.node,
            &format!("{} {detail}", key.key_id),
        )
    }

    /// Keys whose secret the window showed but nobody copied or downloaded (the window was
    /// killed, or the secret discarded without revoking), among the newest [`DELIVERY_SCAN`]
    /// activity entries, newest first, each with `true` when the lost secret came from a roll
    /// (the key had a secret before). Revoked, expired, tampered and deleted keys are left out.
    pub fn never_delivered(&self) -> Result<Vec<(KeyInfo, bool)>> {
        let shown = Action::KeyShown.code();
        let settling = [
            Action::KeyCopied.code(),
            Action::KeyDownloaded.code(),
            Action::KeyRevoked.code(),
            Action::KeyDeleted.code(),
            Action::KeyCreated.code(),
            Action::KeyRolled.code(),
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
            } else if action == shown {
                settled.insert(key_id.to_owned());
                match self.key(key_id) {
                    Ok(key)
                        if !matches!(
                            key.status,
                            KeyStatus::Revoked | KeyStatus::Expired | KeyStatus::Tampered
                        ) =>
                    {
                        out.push((key, rest == SHOWN_ROLLED));
                    }
                    Ok(_) | Err(Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(out)
    }
}
