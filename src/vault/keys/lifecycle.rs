//! API keys: mint, edit scopes, roll, revoke, delete, master keys (reading them: `keys::read`).

use std::cell::RefCell;

use crate::vault::store::Store;

use super::read::{key_row, written_key_row};
use super::record::KeyData;
use crate::vault::commitment::Table;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::tamper;
use crate::vault::model::{
    KeyDetails, KeyInfo, KeyStatus, Node, NodeId, Scope, Timestamp, format_time, status_at,
    validate_name,
};
use crate::vault::nodes::tree::Tree;
use crate::vault::{Action, Grace, Vault, crypto, store};
use keyward_verify::limits::KeyLimits;
use keyward_verify::{Policy, Rolled, Secret, base62};

/// What `create_key` needs.
#[derive(Clone, Debug, Default)]
pub struct NewKey {
    pub name: String,
    /// Every scope of the catalog, now and later.
    pub full_access: bool,
    /// The scopes asked for (the catalog's required ones are added) and the expiry; a new
    /// key cannot be revoked already.
    pub policy: Policy,
    /// Description, owner and tags (empty by default).
    pub details: KeyDetails,
}

impl NewKey {
    /// A key named `name` with no scope asked for, never expiring.
    pub fn named(name: impl Into<String>) -> Self {
        NewKey {
            name: name.into(),
            ..NewKey::default()
        }
    }

    /// The same key asking for `scopes`.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.policy.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The same key expiring at `at` (`None`: never).
    pub fn expires_at(mut self, at: Option<Timestamp>) -> Self {
        self.policy.expires_at = at;
        self
    }

    /// The same key with rate limits, credits or allowed networks.
    pub fn limits(mut self, limits: KeyLimits) -> Self {
        self.policy.limits = limits.boxed();
        self
    }

    /// The same key with every scope of the catalog, now and later (or not).
    pub fn full_access(mut self, full_access: bool) -> Self {
        self.full_access = full_access;
        self
    }
}

/// A key just minted or rolled: the only moment its secret exists.
#[derive(Debug)]
pub struct MintedKey {
    pub info: KeyInfo,
    pub secret: Secret,
    /// Workspace, project and environment names, for the key file.
    pub lineage: [Option<String>; 3],
}

/// What a front end does with a new secret before the transaction commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handover {
    /// Written out (the command line's output, a file, the library's caller): delivered.
    Delivered,
    /// Shown in a dialog that waits for Copy or Download: logged as `key.shown`.
    Shown,
}

/// `key master`: the existing full-access key, or a new one with its secret.
#[derive(Debug)]
pub enum MasterKey {
    Existing(KeyInfo),
    Created(MintedKey),
}

impl Vault {
    /// Checks scope ids against the catalog and adds the required ones, in catalog order.
    fn resolve_scopes(
        catalog: &[Scope],
        wanted: &[String],
        full_access: bool,
    ) -> Result<Vec<String>> {
        for w in wanted {
            if !catalog.iter().any(|s| &s.id == w) {
                let known: Vec<&str> = catalog.iter().map(|s| s.id.as_str()).collect();
                return Err(Error::bad_input(
                    "scope",
                    format!(
                        "unknown scope '{w}' (this workspace has: {})",
                        if known.is_empty() {
                            "no scopes".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(catalog
            .iter()
            .filter(|s| full_access || s.required || wanted.contains(&s.id))
            .map(|s| s.id.clone())
            .collect())
    }

    /// Mints a key at `node`. The returned secret is the only copy there will ever be.
    pub fn create_key(&mut self, node: NodeId, new: NewKey) -> Result<MintedKey> {
        self.create_keys(node, vec![new])?
            .pop()
            .ok_or_else(no_key_minted)
    }

    /// Mints several keys at `node` in one transaction (imports, fixtures, benchmarks):
    /// all of them land, or none.
    pub fn create_keys(&mut self, node: NodeId, batch: Vec<NewKey>) -> Result<Vec<MintedKey>> {
        self.create_keys_then(node, batch, |_| Ok(()))
    }

    /// Mints a key whose secret a window shows and holds until Copy or Download: logged as
    /// shown in the same transaction, so [`Vault::never_delivered`] finds it if the secret
    /// never leaves the window.
    pub fn create_key_shown(&mut self, node: NodeId, new: NewKey) -> Result<MintedKey> {
        self.mint_batch(node, vec![new], Handover::Shown, |_| Ok(()))?
            .pop()
            .ok_or_else(no_key_minted)
    }

    /// Like [`Vault::create_keys`], but hands the minted keys to `deliver` before the
    /// transaction commits: if delivering fails (a closed pipe, a full disk), nothing is minted
    /// and its error is returned. A secret is delivered or its key does not exist.
    pub fn create_keys_then(
        &mut self,
        node: NodeId,
        batch: Vec<NewKey>,
        deliver: impl FnOnce(&[MintedKey]) -> Result<()>,
    ) -> Result<Vec<MintedKey>> {
        self.mint_batch(node, batch, Handover::Delivered, deliver)
    }

    fn mint_batch(
        &mut self,
        node: NodeId,
        batch: Vec<NewKey>,
        handover: Handover,
        deliver: impl FnOnce(&[MintedKey]) -> Result<()>,
    ) -> Result<Vec<MintedKey>> {
        let now = self.now();
        let mut checked = Vec::with_capacity(batch.len());
        for new in batch {
            let name = validate_name("key", &new.name)?;
            if new.policy.revoked {
                return Err(Error::bad_input(
                    "revoked",
                    "a new key cannot be revoked already",
                ));
            }
            if let Some(at) = new.policy.expires_at
                && at <= now
            {
                return Err(Error::bad_input(
                    "expiry",
                    format!("expiry {} is in the past", format_time(at)),
                ));
            }
            if let Some(limits) = &new.policy.limits {
                limits.validate()?;
            }
            checked.push((name, new));
        }
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let target = tree.intact(node)?;
            let lineage = tree.lineage(node)?;
            let catalog = tree.catalog(node)?;
            let mut minted = Vec::with_capacity(checked.len());
            for (name, new) in checked {
                let scopes = Self::resolve_scopes(catalog, &new.policy.scopes, new.full_access)?;
                minted.push(v.mint(tx, &tree, target, name, scopes, &new, now, &lineage)?);
            }
            if handover == Handover::Shown {
                for m in &minted {
                    v.log_shown(tx, &m.info, false)?;
                }
            }
            deliver(&minted)?;
            Ok(minted)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn mint(
        &self,
        tx: &dyn Store,
        tree: &Tree,
        target: &Node,
        name: String,
        scopes: Vec<String>,
        new: &NewKey,
        now: Timestamp,
        lineage: &[Option<String>; 3],
    ) -> Result<MintedKey> {
        let node = target.id;
        let secret = Secret::generate(&target.prefix);
        let sha = secret.sha256();
        let key_id = format!("kid_{}", base62::encode(&crypto::random_bytes::<12>(), 17));
        let name_tag = self.name_tag("key", node, &name);
        let id = tx
            .insert_key(&store::NewKeyRow {
                node_id: node,
                key_id: &key_id,
                name_tag: &name_tag,
                lookup: &self.lookup_tag(&sha),
                full_access: new.full_access,
            })
            .map_err(|e| match e {
                Error::Duplicate => Error::name_taken(
                    Thing::Key,
                    name.clone(),
                    format!("in {} (revoked keys keep their name)", target.path),
                ),
                e => e,
            })?;
        let data = KeyData {
            key_id: key_id.clone(),
            node_id: node,
            name: name.clone(),
            scopes,
            full_access: new.full_access,
            created_at: now,
            expires_at: new.policy.expires_at,
            revoked_at: None,
            sha256: crypto::to_hex(&sha),
            display: secret.display(),
            previous: None,
            exposed: Vec::new(),
            description: new.details.description.clone(),
            owner: new.details.owner.clone(),
            tags: new.details.tags.clone(),
            limits: new.policy.limits.clone().and_then(|l| (*l).boxed()),
        };
        let sealed = self.seal_json(Table::Keys, id, 1, &data)?;
        tx.seal_key(id, &sealed)?;
        self.commitment
            .borrow_mut()
            .stage_insert(tx, Table::Keys, id, &sealed)?;
        self.log(
            tx,
            Action::KeyCreated,
            Some(node),
            &target.path,
            &format!("{key_id} '{name}'"),
        )?;
        let row = written_key_row(tx, &key_id)?;
        Ok(MintedKey {
            info: self.key_info(tree, &row, now)?,
            secret,
            lineage: lineage.clone(),
        })
    }

    /// Returns the node's full-access key, creating one named `master` if there is none.
    pub fn master_key(&mut self, node: NodeId) -> Result<MasterKey> {
        self.master_key_then(node, |_| Ok(()))
    }

    /// The node's full-access key that still works, if it has one: the master key
    /// [`Vault::master_key`] hands out instead of minting another.
    pub fn working_master(&self, node: NodeId) -> Result<Option<KeyInfo>> {
        let tree = self.tree()?;
        let now = self.now();
        for row in self.conn.master_key_rows(node)? {
            let info = self.key_info(&tree, &row, now)?;
            if info.status.works() {
                return Ok(Some(info));
            }
        }
        Ok(None)
    }

    /// Like [`Vault::master_key`], but a new master key's secret goes to `deliver` before the
    /// transaction commits: if delivering fails, no master key is created.
    pub fn master_key_then(
        &mut self,
        node: NodeId,
        mut deliver: impl FnMut(&MintedKey) -> Result<()>,
    ) -> Result<MasterKey> {
        if let Some(info) = self.working_master(node)? {
            return Ok(MasterKey::Existing(info));
        }
        let mut name = "master".to_owned();
        let mut n = 1;
        loop {
            let new = NewKey::named(name.clone()).full_access(true);
            let attempt = self.create_keys_then(node, vec![new], |minted| {
                minted.iter().try_for_each(&mut deliver)
            });
            match attempt {
                Err(Error::NameTaken {
                    what: Thing::Key, ..
                }) if n < 100 => {
                    n += 1;
                    name = format!("master-{n}");
                }
                Err(e) => return Err(e),
                Ok(mut minted) => {
                    return minted
                        .pop()
                        .map(MasterKey::Created)
                        .ok_or_else(no_key_minted);
                }
            }
        }
    }

    /// Re-seals a key row under its next version; `lookups` replaces its blind lookups.
    pub(in crate::vault) fn reseal_key(
        &self,
        tx: &dyn Store,
        row: &store::KeyRow,
        data: &KeyData,
        lookups: Option<(&[u8], Option<&[u8]>)>,
    ) -> Result<()> {
        let version = self.commitment.borrow_mut().next_version(
            tx,
            Table::Keys,
            row.id,
            row.version,
            row.checked_seal(),
        )?;
        let sealed = self.seal_json(Table::Keys, row.id, version, data)?;
        tx.update_key(row.id, version, data.full_access, lookups, &sealed)?;
        self.commitment
            .borrow_mut()
            .stage_update(Table::Keys, row.id, version, &sealed);
        Ok(())
    }

    fn edit_key(
        &mut self,
        key_id: &str,
        action: Action,
        edit: impl FnOnce(&Vault, &mut KeyData, &Tree) -> Result<Option<Vec<u8>>>,
    ) -> Result<KeyInfo> {
        self.edit_key_then(key_id, action, edit, &RefCell::default(), |_, _, info| {
            Ok(info)
        })
    }

    /// Edits a key in one transaction; `finish` runs on the result before the commit and can
    /// still undo everything by failing. What `edit` writes to `note` ends the log entry.
    fn edit_key_then<T>(
        &mut self,
        key_id: &str,
        action: Action,
        edit: impl FnOnce(&Vault, &mut KeyData, &Tree) -> Result<Option<Vec<u8>>>,
        note: &RefCell<String>,
        finish: impl FnOnce(&Vault, &dyn Store, KeyInfo) -> Result<T>,
    ) -> Result<T> {
        let now = self.now();
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let (row, mut data) = v.key_to_change(tx, key_id)?;
            let old_sha = data.sha256.clone();
            let new_lookup = edit(v, &mut data, &tree)?;
            let prev_lookup = crypto::from_hex(&old_sha).map(|h| v.lookup_tag(&h));
            let lookups = new_lookup.as_deref().map(|l| (l, prev_lookup.as_deref()));
            v.reseal_key(tx, &row, &data, lookups)?;
            let path = tree.path_of(row.node_id);
            v.log(
                tx,
                action,
                Some(row.node_id),
                &path,
                &format!("{key_id} '{}'{}", data.name, note.borrow()),
            )?;
            finish(
                v,
                tx,
                v.key_info(&tree, &written_key_row(tx, key_id)?, now)?,
            )
        })
    }

    /// Replaces a key's scopes (required ones are always kept); the log says which changed.
    pub fn set_scopes(
        &mut self,
        key_id: &str,
        scopes: &[String],
        full_access: bool,
    ) -> Result<KeyInfo> {
        let note = RefCell::default();
        self.edit_key_then(
            key_id,
            Action::KeyScopesChanged,
            |_, data, tree| {
                let new = Self::resolve_scopes(tree.catalog(data.node_id)?, scopes, full_access)?;
                *note.borrow_mut() = scope_changes(data, &new, full_access);
                data.scopes = new;
                data.full_access = full_access;
                Ok(None)
            },
            &note,
            |_, _, info| Ok(info),
        )
    }

    /// Revokes a key: it stays listed, and verification answers `revoked`.
    pub fn revoke_key(&mut self, key_id: &str) -> Result<KeyInfo> {
        let now = self.now();
        self.edit_key(key_id, Action::KeyRevoked, |_, data, _| {
            if data.revoked_at.is_none() {
                data.revoked_at = Some(now);
            }
            Ok(None)
        })
    }

    /// Replaces a key's secret; the old one keeps working for `grace`, then answers `expired`.
    pub fn roll_key(&mut self, key_id: &str, grace: Grace) -> Result<MintedKey> {
        self.roll_key_then(key_id, grace, |_| Ok(()))
    }

    /// Like [`Vault::roll_key`], but hands the new secret to `deliver` before the transaction
    /// commits: if delivering fails, the key keeps its old secret and the error is returned.
    pub fn roll_key_then(
        &mut self,
        key_id: &str,
        grace: Grace,
        deliver: impl FnOnce(&MintedKey) -> Result<()>,
    ) -> Result<MintedKey> {
        self.roll(key_id, grace, Handover::Delivered, deliver)
    }

    /// Rolls a key whose new secret a window shows and holds until Copy or Download (see
    /// [`Vault::create_key_shown`]).
    pub fn roll_key_shown(&mut self, key_id: &str, grace: Grace) -> Result<MintedKey> {
        self.roll(key_id, grace, Handover::Shown, |_| Ok(()))
    }

    fn roll(
        &mut self,
        key_id: &str,
        grace: Grace,
        handover: Handover,
        deliver: impl FnOnce(&MintedKey) -> Result<()>,
    ) -> Result<MintedKey> {
        let now = self.now();
        let minted = std::cell::RefCell::new(None);
        self.edit_key_then(
            key_id,
            Action::KeyRolled,
            |v, data, tree| {
                match status_at(now, data.revoked_at, data.expires_at) {
                    KeyStatus::Revoked => {
                        return Err(Error::not_allowed("a revoked key cannot be rolled"));
                    }
                    KeyStatus::Expired => {
                        return Err(Error::not_allowed(
                            "an expired key cannot be rolled; create a new key instead",
                        ));
                    }
                    _ => {}
                }
                let node = tree.intact(data.node_id)?;
                let secret = Secret::generate(&node.prefix);
                let sha = secret.sha256();
                data.previous = Some(Rolled {
                    sha256: std::mem::replace(&mut data.sha256, crypto::to_hex(&sha)),
                    valid_until: now.saturating_add(grace.seconds()),
                });
                data.display = secret.display();
                // The exposed secret is the old one now: it stops at the end of the grace.
                data.exposed.clear();
                let lookup = v.lookup_tag(&sha);
                *minted.borrow_mut() = Some((secret, tree.lineage(data.node_id)?));
                Ok(Some(lookup))
            },
            &RefCell::default(),
            |v, tx, info| {
                if handover == Handover::Shown {
                    v.log_shown(tx, &info, true)?;
                }
                let (secret, lineage) = minted
                    .borrow_mut()
                    .take()
                    .ok_or_else(|| tamper("key", key_id))?;
                let key = MintedKey {
                    info,
                    secret,
                    lineage,
                };
                deliver(&key)?;
                Ok(key)
            },
        )
    }

    /// Deletes a key for good: verification then answers `not_found`. A tampered key is
    /// refused (deleting it would erase the evidence `doctor` reports).
    pub fn delete_key(&mut self, key_id: &str) -> Result<()> {
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let row = key_row(tx, key_id)?;
            let name = v.open_key(&row)?.map(|d| d.name).unwrap_or_default();
            tx.delete_key(row.id)?;
            v.commitment.borrow_mut().stage_delete(
                tx,
                Table::Keys,
                row.id,
                row.version,
                row.checked_seal(),
            )?;
            let path = tree.path_of(row.node_id);
            v.log(
                tx,
                Action::KeyDeleted,
                Some(row.node_id),
                &path,
                &format!("{key_id} '{name}'"),
            )
        })
    }

    /// Records that the window copied or downloaded a key's secret (never the secret itself).
    pub fn record_handover(&mut self, key_id: &str, action: Action, detail: &str) -> Result<()> {
        let key = self.key(key_id)?;
        self.write(|v, tx| {
            v.log(
                tx,
                action,
                Some(key.node_id),
                &key.node,
                &format!("{key_id} {detail}"),
            )
        })
    }
}

/// A batch of one that came back empty (never expected).
fn no_key_minted() -> Error {
    Error::damaged("keys", "no key was minted")
}

/// ": scopes +write -read, full access on", for a `key.scopes` entry (empty when nothing changed).
fn scope_changes(before: &KeyData, scopes: &[String], full_access: bool) -> String {
    let added = scopes.iter().filter(|s| !before.scopes.contains(s));
    let removed = before.scopes.iter().filter(|s| !scopes.contains(s));
    let changes: Vec<String> = added
        .map(|s| format!("+{s}"))
        .chain(removed.map(|s| format!("-{s}")))
        .collect();
    let mut parts = Vec::new();
    if !changes.is_empty() {
        parts.push(format!("scopes {}", changes.join(" ")));
    }
    if full_access != before.full_access {
        parts.push(format!(
            "full access {}",
            if full_access { "on" } else { "off" }
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(", "))
    }
}
