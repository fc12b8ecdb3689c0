//! Security settings kept outside the sealed tables — the publish targets and the health
//! acknowledgements — are committed too: the root holds a digest of each (of what steers
//! security: a target's file, node, mode and machine, not its last status), so deleting one or
//! putting back an older copy is `tampered`, named by `doctor`, and never built upon. Each
//! setting's owner (`publishing::targets`, `maintenance::health`) names it and digests it; this
//! file checks and commits the digests.

use serde::Serialize;

use crate::vault::crypto;
use crate::vault::error::{Error, Result};
use crate::vault::handle::Vault;

/// The digest the root holds for a setting (each setting's owner says what of it goes in).
pub(in crate::vault) fn digest<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    crypto::to_hex(&crypto::digest(&bytes))
}

impl Vault {
    /// Whether `digest` is the committed digest of the setting `name` (`what` names it in the
    /// error). A root from before committed settings accepts any (until the next write).
    pub(in crate::vault) fn check_setting(
        &self,
        name: &str,
        digest: &str,
        what: &str,
    ) -> Result<()> {
        if !self.writing.get() {
            self.sync_commitment()?;
        }
        match self.commitment.borrow().setting(name)? {
            Some(committed) if committed != digest => Err(Error::Tampered(format!(
                "{what} (deleted, changed, or an older copy put back; see `keyward doctor`)"
            ))),
            _ => Ok(()),
        }
    }

    /// Inside a write: records the new digest of a setting just changed.
    pub(in crate::vault) fn commit_setting(&self, name: &str, digest: String) -> Result<()> {
        self.commitment.borrow_mut().set_setting(name, digest)
    }

    /// Inside a write, before it commits: the stored settings must be the committed ones (a
    /// write never builds on a deleted or older copy); a root that predates committed settings
    /// records them now, as they are stored.
    pub(in crate::vault) fn adopt_settings(&self) -> Result<()> {
        let settings = [self.targets_setting()?, self.acks_setting()?];
        for (name, digest) in settings {
            let committed = self.commitment.borrow().setting(name)?.is_some();
            if !committed {
                self.commit_setting(name, digest)?;
            }
        }
        Ok(())
    }

    /// For `doctor`: what is wrong with the committed settings, if anything.
    pub(in crate::vault) fn settings_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = self.targets() {
            out.push(e.to_string());
        }
        if let Err(e) = self.acks() {
            out.push(e.to_string());
        }
        out
    }
}
