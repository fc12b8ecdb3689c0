//! Publish targets: verifier files rewritten after every change to the keys under their node,
//! by whichever front end made the change (the command line, the window), so a revoke reaches
//! the services reading those files in the same command.
//!
//! On a team vault a target belongs to the machine that added it ([`this_host`]): its path
//! names a file on that machine, so only that machine writes it, after its own changes and,
//! with `keyward publish follow` running there, after any member's.
//!
//! The list of targets is sealed in `meta` like every record. Publishing never fails the
//! change that caused it (that is committed already): a target that cannot be written keeps
//! its error, shown by `publish list` and the window, and the command prints a warning.

use std::path::{Path, PathBuf};

use crate::vault::store::Store;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::vault::activity::Action;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::keys::keyfile::write_file_atomically;
use crate::vault::maintenance::settings;
use crate::vault::model::{NodeId, Timestamp};
use crate::vault::store;

const TARGETS_META: &str = "publish_targets";
const TARGETS_AAD: &[u8] = b"keyward/v2/meta/publish_targets";
/// A service user must be able to read a verifier file (it holds no secrets).
/// The name of the targets' digest among the committed settings.
pub(in crate::vault) const PUBLISH_TARGETS: &str = "publish_targets";

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
    settings::digest(&defs)
}

/// Seals and stores the targets in a re-key's transaction and returns their digest for the
/// fresh root.
pub(in crate::vault) fn reseal_targets(
    sealer: &crate::vault::crypto::Sealer,
    conn: &dyn Store,
    targets: &[PublishTarget],
) -> Result<String> {
    Vault::seal_targets(sealer, conn, targets)?;
    Ok(targets_digest(targets))
}

pub const DEFAULT_PUBLISH_MODE: u32 = 0o644;

/// One verifier file kept up to date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishTarget {
    /// Absolute path of the verifier file.
    pub file: PathBuf,
    /// The node whose keys (and those below) it carries; `None` for the whole vault.
    pub node: Option<NodeId>,
    /// Unix permissions of the file.
    pub mode: u32,
    #[serde(default)]
    pub last_published_at: Option<Timestamp>,
    /// How many keys the last published file carried.
    #[serde(default)]
    pub last_keys: Option<usize>,
    /// Why the last attempt failed (the folder is gone, the disk is full…); cleared on success.
    #[serde(default)]
    pub last_error: Option<String>,
    /// On a team vault, the machine that writes the file (none: whichever machine changes the
    /// vault, as for a file, which lives on one machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl PublishTarget {
    /// Whether this machine writes the file.
    pub fn is_written_here(&self) -> bool {
        self.host.as_deref().is_none_or(|h| h == this_host())
    }
}

/// The name a team vault keeps this machine's publish targets under: `KEYWARD_HOST`, else the
/// host name.
pub fn this_host() -> String {
    let named = std::env::var("KEYWARD_HOST")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    named.unwrap_or_else(|| "this machine".to_owned())
}

impl Action {
    /// Whether an entry of this kind changes what a verifier file of its node says.
    pub(in crate::vault) fn changes_keys(self) -> bool {
        matches!(
            self,
            Action::KeyCreated
                | Action::KeyScopesChanged
                | Action::KeyRolled
                | Action::KeyRevoked
                | Action::KeyDeleted
                | Action::KeyEdited
                | Action::NodeDeleted
                | Action::NodeRenamed
                | Action::ScopeAdded
                | Action::ScopeUpdated
                | Action::ScopeRemoved
                | Action::SigningKeyRotated
        )
    }
}

impl Vault {
    /// The publish targets, sealed in `meta` (none yet: empty).
    pub(in crate::vault) fn targets(&self) -> Result<Vec<PublishTarget>> {
        let Some(sealed) = self.conn.meta_get(TARGETS_META)? else {
            // Gone: only right when the committed list is empty too.
            self.check_setting(
                PUBLISH_TARGETS,
                &targets_digest(&[]),
                "the list of publish targets",
            )?;
            return Ok(Vec::new());
        };
        let plain = self
            .sealer
            .open(TARGETS_AAD, &sealed)
            .ok_or_else(|| Error::Tampered("the list of publish targets".into()))?;
        let targets: Vec<PublishTarget> = serde_json::from_slice(&plain)
            .map_err(|_| Error::Tampered("the list of publish targets".into()))?;
        self.check_setting(
            PUBLISH_TARGETS,
            &targets_digest(&targets),
            "the list of publish targets",
        )?;
        Ok(targets)
    }

    /// The targets' setting as stored (name and digest), for a root from before committed
    /// settings.
    pub(in crate::vault) fn targets_setting(&self) -> Result<(&'static str, String)> {
        Ok((PUBLISH_TARGETS, targets_digest(&self.targets()?)))
    }

    pub(in crate::vault) fn seal_targets(
        sealer: &crate::vault::crypto::Sealer,
        conn: &dyn Store,
        targets: &[PublishTarget],
    ) -> Result<()> {
        let plain = Zeroizing::new(
            serde_json::to_vec(targets)
                .map_err(|e| Error::damaged("publish targets", e.to_string()))?,
        );
        conn.meta_set(TARGETS_META, &sealer.seal(TARGETS_AAD, &plain))
    }

    /// Every target, with the path of its node ("" for the whole vault, "(deleted)" when the
    /// node is gone).
    pub fn publish_targets(&self) -> Result<Vec<(PublishTarget, String)>> {
        let targets = self.targets()?;
        let tree = self.tree()?;
        Ok(targets
            .into_iter()
            .map(|t| {
                let path = match t.node {
                    None => String::new(),
                    Some(id) if tree.nodes.contains_key(&id) => tree.path_of(id),
                    Some(_) => "(deleted)".into(),
                };
                (t, path)
            })
            .collect())
    }

    /// The files of the targets this machine writes (no node paths: cheap enough to ask often).
    pub fn publish_files_here(&self) -> Result<Vec<PathBuf>> {
        Ok(self
            .targets()?
            .into_iter()
            .filter(PublishTarget::is_written_here)
            .map(|t| t.file)
            .collect())
    }

    /// Adds a target and publishes it at once. `file` must not be a target already.
    pub fn add_publish_target(
        &mut self,
        node: Option<NodeId>,
        file: &Path,
        mode: u32,
    ) -> Result<PublishTarget> {
        if mode > 0o777 {
            return Err(Error::bad_input(
                "mode",
                format!("file mode {mode:o} is not a permission mode (like 644 or 600)"),
            ));
        }
        let file = absolute(file)?;
        let tree = self.tree()?;
        let subject = match node {
            Some(id) => tree.intact(id)?.path.clone(),
            None => String::new(),
        };
        // On a team vault several machines may each keep a file at the same path.
        let host = self.is_shared().then(this_host);
        self.write(|v, tx| {
            let mut targets = v.targets()?;
            if targets.iter().any(|t| t.file == file && t.host == host) {
                return Err(Error::NameTaken {
                    what: Thing::PublishTarget,
                    name: file.display().to_string(),
                    place: String::new(),
                });
            }
            targets.push(PublishTarget {
                file: file.clone(),
                node,
                mode,
                last_published_at: None,
                last_keys: None,
                last_error: None,
                host: host.clone(),
            });
            Self::seal_targets(&v.sealer, tx, &targets)?;
            v.commit_setting(PUBLISH_TARGETS, targets_digest(&targets))?;
            v.log(
                tx,
                Action::PublishAdded,
                node,
                &subject,
                &file.display().to_string(),
            )
        })?;
        self.publish_where(|t| t.file == file);
        self.targets()?
            .into_iter()
            .find(|t| t.file == file && t.host == host)
            .ok_or_else(|| Error::not_found(Thing::PublishTarget, file.display().to_string()))
    }

    /// Stops keeping `file` up to date (the file itself is left where it is); on a team vault,
    /// this machine's target of that path.
    pub fn remove_publish_target(&mut self, file: &Path) -> Result<()> {
        let file = absolute(file)?;
        self.write(|v, tx| {
            let mut targets = v.targets()?;
            let before = targets.len();
            targets.retain(|t| !(t.file == file && t.is_written_here()));
            if targets.len() == before {
                return Err(Error::not_found(
                    Thing::PublishTarget,
                    file.display().to_string(),
                ));
            }
            Self::seal_targets(&v.sealer, tx, &targets)?;
            v.commit_setting(PUBLISH_TARGETS, targets_digest(&targets))?;
            v.log(
                tx,
                Action::PublishRemoved,
                None,
                "",
                &file.display().to_string(),
            )
        })
    }

    /// Rewrites every target this machine writes now; returns all of them with their status.
    pub fn publish_now(&mut self) -> Result<Vec<PublishTarget>> {
        self.commitment
            .borrow_mut()
            .check_intact(&*self.conn, &self.sealer)?;
        self.publish_where(|_| true);
        self.targets()
    }

    /// Errors of the publishing that the last change caused (for the front end to show).
    pub fn take_publish_errors(&self) -> Vec<String> {
        std::mem::take(&mut *self.publish_errors.borrow_mut())
    }

    /// After a committed change logged at `touched` nodes: rewrites the targets whose files
    /// it changes (a change below a target's node, or above it: a renamed or deleted parent, a
    /// workspace's scope catalog).
    pub(in crate::vault) fn publish_after(&self, touched: &[Option<NodeId>]) {
        if touched.is_empty() {
            return;
        }
        let Ok(tree) = self.tree() else {
            return;
        };
        self.publish_where(|t| match t.node {
            None => true,
            Some(target) => touched.iter().any(|changed| match changed {
                None => true,
                Some(c) => tree.subtree(target).contains(c) || tree.subtree(*c).contains(&target),
            }),
        });
    }

    /// Rewrites every target this machine writes (after the signing key was rotated).
    pub(in crate::vault) fn publish_all(&self) {
        self.publish_where(|_| true);
    }

    fn publish_where(&self, wanted: impl Fn(&PublishTarget) -> bool) {
        let Ok(mut targets) = self.targets() else {
            self.publish_errors
                .borrow_mut()
                .push("the list of publish targets failed its integrity check".into());
            return;
        };
        let mut changed = false;
        for target in targets
            .iter_mut()
            .filter(|t| t.is_written_here() && wanted(t))
        {
            changed = true;
            let now = self.now();
            match self.publish_one(target) {
                Ok(keys) => {
                    target.last_published_at = Some(now);
                    target.last_keys = Some(keys);
                    target.last_error = None;
                }
                Err(e) => {
                    let why = e.to_string();
                    self.publish_errors.borrow_mut().push(format!(
                        "could not publish {}: {why}",
                        target.file.display()
                    ));
                    target.last_error = Some(why);
                }
            }
        }
        if changed {
            // Status only: not sealed state of the vault, so no commitment change and no log.
            let saved = store::in_transaction(&*self.conn, || {
                Self::seal_targets(&self.sealer, &*self.conn, &targets)
            });
            if let Err(e) = saved {
                self.publish_errors
                    .borrow_mut()
                    .push(format!("could not record the publish status: {e}"));
            }
        }
    }

    fn publish_one(&self, target: &PublishTarget) -> Result<usize> {
        let exported = self.build_verifier(target.node)?;
        let keys = exported.payload.keys.len();
        write_file_atomically(
            &target.file,
            exported.file.to_json().as_bytes(),
            target.mode,
        )?;
        Ok(keys)
    }
}

fn absolute(file: &Path) -> Result<PathBuf> {
    std::path::absolute(file).map_err(|e| Error::io(file, e))
}
