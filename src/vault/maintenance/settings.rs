//! Security settings kept outside the sealed tables — the publish targets and the health
//! acknowledgements — are committed too: the root holds a digest of each (of what steers
//! security: a target's file, node, mode and machine, not its last status), so deleting one or
//! putting back an older copy is `tampered`, named by `doctor`, and never built upon.

use serde::Serialize;

use crate::vault::crypto;
use crate::vault::error::{Error, Result};
use crate::vault::handle::Vault;
use crate::vault::maintenance::health::Ack;
use crate::vault::publishing::targets::PublishTarget;
use crate::vault::store::Store;

pub(in crate::vault) const PUBLISH_TARGETS: &str = "publish_targets";
pub(in crate::vault) const HEALTH_ACKS: &str = "health_acks";

/// What of a publish target is committed: where it goes and what it carries, not how the
/// last attempt went (recorded after each publish, outside any write).
#[derive(Serialize)]
struct TargetDefinition<'a> {
    file: &'a std::path::Path,
    node: Option<i64>,
    mode: u32,
    host: Option<&'a str>,
}

pub(in crate::vault) fn targets_digest(targets: &[PublishTarget]) -> String {
    let defs: Vec<TargetDefinition> = targets
        .iter()
        .map(|t| TargetDefinition {
            file: &t.file,
            node: t.node,
            mode: t.mode,
            host: t.host.as_deref(),
        })
        .collect();
    digest(&defs)
}

pub(in crate::vault) fn acks_digest(acks: &[Ack]) -> String {
    digest(&acks)
}

fn digest<T: Serialize + ?Sized>(value: &T) -> String {
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
        let targets = self.targets()?;
        let acks = self.acks()?;
        let (has_targets, has_acks) = {
            let c = self.commitment.borrow();
            (
                c.setting(PUBLISH_TARGETS)?.is_some(),
                c.setting(HEALTH_ACKS)?.is_some(),
            )
        };
        if !has_targets {
            self.commit_setting(PUBLISH_TARGETS, targets_digest(&targets))?;
        }
        if !has_acks {
            self.commit_setting(HEALTH_ACKS, acks_digest(&acks))?;
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

/// Seals and stores a setting in a re-key's transaction and returns its digest for the fresh
/// root.
pub(in crate::vault) fn reseal_targets(
    sealer: &crypto::Sealer,
    conn: &dyn Store,
    targets: &[PublishTarget],
) -> Result<String> {
    Vault::seal_targets(sealer, conn, targets)?;
    Ok(targets_digest(targets))
}

pub(in crate::vault) fn reseal_acks(
    sealer: &crypto::Sealer,
    conn: &dyn Store,
    acks: &[Ack],
) -> Result<String> {
    Vault::seal_acks(sealer, conn, acks)?;
    Ok(acks_digest(acks))
}
