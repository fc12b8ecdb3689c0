//! The vault core: model, storage, crypto, secret format, verification and the activity log.
//! Knows nothing of any user interface; the window and the command line both call this API.

mod activity;
mod crypto;
mod delivery;
mod error;
mod keyfile;
mod model;
mod secret;
mod store;
mod verify;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use activity::{Action, ActivityEntry};
pub use crypto::KdfParams;
pub use error::{Error, Result};
pub use keyfile::{KeyFile, write_private_file};
pub use model::{
    EXPIRING_SOON_SECS, Expiry, Grace, KeyInfo, KeyStatus, MAX_NAME_CHARS, Node, NodeId, NodeKind,
    PassphraseStrength, Preset, Scope, Timestamp, format_date, format_time, now, parse_time,
    status_at, validate_name,
};
pub use secret::{DEFAULT_PREFIX, Secret, validate_prefix};
pub use verify::{Outcome, Verification, Verifier, VerifierFile, extract_key};

use crypto::Sealer;

/// Last-used times are coarse (like the big key pages'): at most one write per key per minute,
/// so verification stays a read.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// An unlocked vault. Dropping it drops every decrypted value and the data key.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    sealer: Sealer,
    clock: Clock,
}

/// What `create_key` needs.
#[derive(Clone, Debug, Default)]
pub struct NewKey {
    pub name: String,
    pub scopes: Vec<String>,
    /// Every scope of the catalog, now and later.
    pub full_access: bool,
    pub expires_at: Option<Timestamp>,
}

/// A key just minted or rolled: the only moment its secret exists.
#[derive(Debug)]
pub struct MintedKey {
    pub info: KeyInfo,
    pub secret: Secret,
    /// Workspace, project and environment names, for the key file.
    pub lineage: [Option<String>; 3],
}

impl MintedKey {
    /// The `.json` key file (SPEC 5) for this key.
    pub fn key_file(&self) -> KeyFile {
        KeyFile::new(self)
    }
}

/// `key master`: the existing full-access key, or a new one with its secret.
#[derive(Debug)]
pub enum MasterKey {
    Existing(KeyInfo),
    Created(MintedKey),
}

/// The stored KDF settings and wrapped data key, taken from an unlocked vault.
pub struct PassphraseChangeInputs {
    params: KdfParams,
    salt: Vec<u8>,
    wrapped: Vec<u8>,
}

/// A data key re-wrapped under a new passphrase, ready for [`Vault::finish_passphrase_change`].
pub struct PassphraseChange {
    old_wrapped: Vec<u8>,
    kdf: Vec<u8>,
    wrapped: Vec<u8>,
}

impl PassphraseChangeInputs {
    /// The two Argon2id runs: unwrap with `current`, re-wrap with `new` (and new settings).
    pub fn derive(
        self,
        current: &str,
        new: &str,
        params: Option<KdfParams>,
    ) -> Result<PassphraseChange> {
        if new.is_empty() {
            return Err(Error::Invalid(
                "the new passphrase must not be empty".into(),
            ));
        }
        let kek = crypto::derive_kek(current.as_bytes(), &self.salt, self.params)?;
        let data_key = Sealer::new(&kek)
            .open(b"keyward/v1/data-key", &self.wrapped)
            .ok_or(Error::WrongPassphrase)?;
        let params = params.unwrap_or(self.params);
        let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>();
        let kek = crypto::derive_kek(new.as_bytes(), &salt, params)?;
        let wrapped = Sealer::new(&kek).seal(b"keyward/v1/data-key", &data_key);
        let kdf = serde_json::to_vec(&KdfMeta {
            params,
            salt: crypto::to_hex(&salt),
        })
        .map_err(|e| Error::Corrupt(e.to_string()))?;
        Ok(PassphraseChange {
            old_wrapped: self.wrapped,
            kdf,
            wrapped,
        })
    }
}

/// What `doctor` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DoctorReport {
    pub nodes: usize,
    pub keys: usize,
    pub activity_entries: usize,
    pub problems: Vec<String>,
}

impl DoctorReport {
    pub fn is_healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Serialize, Deserialize)]
struct KdfMeta {
    params: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct NodeData {
    kind: NodeKind,
    parent: NodeId,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<Scope>>,
}

#[derive(Serialize, Deserialize)]
struct PreviousSecret {
    sha256: String,
    valid_until: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct KeyData {
    key_id: String,
    node_id: NodeId,
    name: String,
    scopes: Vec<String>,
    full_access: bool,
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    sha256: String,
    display: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<PreviousSecret>,
}

/// The decrypted tree, indexed by id.
struct Tree {
    nodes: HashMap<NodeId, Node>,
    scopes: HashMap<NodeId, Vec<Scope>>,
}

impl Tree {
    fn get(&self, id: NodeId) -> Result<&Node> {
        self.nodes
            .get(&id)
            .ok_or_else(|| Error::NotFound(format!("node #{id}")))
    }

    fn workspace_of(&self, id: NodeId) -> Result<&Node> {
        let mut node = self.get(id)?;
        while node.kind != NodeKind::Workspace {
            node = self.get(node.parent)?;
        }
        Ok(node)
    }

    fn catalog(&self, id: NodeId) -> Result<&[Scope]> {
        let ws = self.workspace_of(id)?;
        Ok(self.scopes.get(&ws.id).map(Vec::as_slice).unwrap_or(&[]))
    }

    fn lineage(&self, id: NodeId) -> Result<[Option<String>; 3]> {
        let mut out = [None, None, None];
        let mut node = Some(self.get(id)?);
        while let Some(n) = node {
            let slot = match n.kind {
                NodeKind::Workspace => 0,
                NodeKind::Project => 1,
                NodeKind::Environment => 2,
            };
            out[slot] = Some(n.name.clone());
            node = if n.parent == 0 {
                None
            } else {
                Some(self.get(n.parent)?)
            };
        }
        Ok(out)
    }

    /// The node and everything below it.
    fn subtree(&self, root: NodeId) -> Vec<NodeId> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(
                self.nodes
                    .values()
                    .filter(|n| n.parent == parent)
                    .map(|n| n.id),
            );
            i += 1;
        }
        out
    }
}

fn aad(table: &str, id: i64) -> Vec<u8> {
    format!("keyward/v1/{table}/{id}").into_bytes()
}

fn tamper(what: &str, id: impl std::fmt::Display) -> Error {
    Error::Tampered(format!("{what} {id}"))
}

impl Vault {
    /// The default vault path: the OS data directory for Keyward.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "Keyward")
            .map(|d| d.data_dir().join("vault.keyward"))
    }

    pub fn exists(path: &Path) -> bool {
        path.is_file()
    }

    /// Creates a new vault protected by `passphrase`.
    pub fn create(path: &Path, passphrase: &str, params: KdfParams) -> Result<Vault> {
        if passphrase.is_empty() {
            return Err(Error::Invalid("the passphrase must not be empty".into()));
        }
        let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>();
        let kek = crypto::derive_kek(passphrase.as_bytes(), &salt, params)?;
        let data_key = Zeroizing::new(crypto::random_bytes::<32>());
        let wrapped = Sealer::new(&kek).seal(b"keyward/v1/data-key", data_key.as_ref());
        let kdf = serde_json::to_vec(&KdfMeta {
            params,
            salt: crypto::to_hex(&salt),
        })
        .map_err(|e| Error::Corrupt(e.to_string()))?;
        let conn = store::create(path, &[("kdf", &kdf), ("data_key", &wrapped)])?;
        let vault = Vault {
            conn,
            path: path.to_owned(),
            sealer: Sealer::new(&data_key),
            clock: Arc::new(model::now),
        };
        vault.write(|v, tx| v.log(tx, Action::VaultCreated, None, "", ""))?;
        Ok(vault)
    }

    /// Unlocks an existing vault. A wrong passphrase is logged (without any detail) and refused.
    pub fn open(path: &Path, passphrase: &str) -> Result<Vault> {
        let conn = store::open(path)?;
        let (params, salt, wrapped) = read_kdf(&conn)?;
        let kek = crypto::derive_kek(passphrase.as_bytes(), &salt, params)?;
        let Some(data_key) = Sealer::new(&kek).open(b"keyward/v1/data-key", &wrapped) else {
            let mut conn = conn;
            // Best effort: a read-only file must still say "wrong passphrase".
            let _ = append_plain_activity(&mut conn, Action::UnlockFailed, model::now());
            return Err(Error::WrongPassphrase);
        };
        let key: [u8; 32] = data_key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Corrupt("the data key has the wrong length".into()))?;
        let key = Zeroizing::new(key);
        Ok(Vault {
            conn,
            path: path.to_owned(),
            sealer: Sealer::new(&key),
            clock: Arc::new(model::now),
        })
    }

    /// The KDF parameters stored in a vault file (no passphrase needed).
    pub fn kdf_params(path: &Path) -> Result<KdfParams> {
        let conn = store::open(path)?;
        Ok(read_kdf(&conn)?.0)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the clock (tests, and previews of "what will be expired then").
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Sets SQLite's page cache (16 MiB by default, sized for fast verification of 100,000 keys).
    /// The window, which lists rather than verifies, keeps less.
    pub fn set_page_cache_mib(&self, mib: u32) -> Result<()> {
        store::set_cache_mib(&self.conn, mib)
    }

    /// The sequence number of the newest activity entry: it moves with every change that is
    /// logged (all of them except the last-used stamps that verification writes).
    pub fn activity_mark(&self) -> Result<i64> {
        Ok(store::last_activity(&self.conn)?.map_or(0, |(seq, _)| seq))
    }

    /// Changes whenever another process commits to this vault.
    pub fn data_version(&self) -> Result<i64> {
        store::data_version(&self.conn)
    }

    /// Runs `f` in one IMMEDIATE transaction: all of it lands, or none of it.
    fn write<T>(&self, f: impl FnOnce(&Vault, &Connection) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let result = f(self, &self.conn).and_then(|out| {
            self.conn.execute_batch("COMMIT")?;
            Ok(out)
        });
        if result.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        result
    }

    // ---- sealing helpers ----

    fn seal_json<T: Serialize>(&self, table: &str, id: i64, value: &T) -> Result<Vec<u8>> {
        let plain =
            Zeroizing::new(serde_json::to_vec(value).map_err(|e| Error::Corrupt(e.to_string()))?);
        Ok(self.sealer.seal(&aad(table, id), &plain))
    }

    fn open_json<T: for<'de> Deserialize<'de>>(
        &self,
        table: &str,
        id: i64,
        sealed: &[u8],
    ) -> Option<T> {
        let plain = self.sealer.open(&aad(table, id), sealed)?;
        serde_json::from_slice(&plain).ok()
    }

    fn name_tag(&self, scope: &str, parent: NodeId, name: &str) -> Vec<u8> {
        self.sealer.tag(&[
            scope.as_bytes(),
            &parent.to_be_bytes(),
            name.to_lowercase().as_bytes(),
        ])
    }

    fn lookup_tag(&self, sha256: &[u8]) -> Vec<u8> {
        self.sealer.tag(&[b"lookup", sha256])
    }

    // ---- tree ----

    /// The scope ids of `node`'s workspace, decrypting only the node and its ancestors (a
    /// verification must not decrypt the whole tree). `None` if a record on the way is
    /// missing or fails its integrity check.
    fn catalog_ids(&self, mut node: NodeId) -> Result<Option<Vec<String>>> {
        for _ in 0..3 {
            let Some(row) = store::node_row(&self.conn, node)? else {
                return Ok(None);
            };
            let data: Option<NodeData> = self.open_json("nodes", row.id, &row.sealed);
            let Some(data) = data.filter(|d| {
                Some(d.kind) == NodeKind::from_code(row.kind) && d.parent == row.parent_id
            }) else {
                return Ok(None);
            };
            if data.parent == 0 {
                let scopes = data.scopes.unwrap_or_default();
                return Ok(Some(scopes.into_iter().map(|s| s.id).collect()));
            }
            node = data.parent;
        }
        Ok(None)
    }

    fn tree_from(&self, conn: &Connection) -> Result<Tree> {
        let rows = store::node_rows(conn)?;
        let mut nodes = HashMap::with_capacity(rows.len());
        let mut scopes = HashMap::new();
        let mut parents = HashMap::new();
        for row in rows {
            let kind = NodeKind::from_code(row.kind);
            let data: Option<NodeData> = self.open_json("nodes", row.id, &row.sealed);
            let data = data.filter(|d| Some(d.kind) == kind && d.parent == row.parent_id);
            let node = match data {
                Some(d) => {
                    if let Some(s) = d.scopes {
                        scopes.insert(row.id, s);
                    }
                    Node {
                        id: row.id,
                        parent: row.parent_id,
                        kind: d.kind,
                        name: d.name,
                        prefix: d.prefix.unwrap_or_default(),
                        path: String::new(),
                        tampered: false,
                    }
                }
                None => Node {
                    id: row.id,
                    parent: row.parent_id,
                    kind: kind.unwrap_or(NodeKind::Environment),
                    name: format!("(tampered #{})", row.id),
                    prefix: String::new(),
                    path: String::new(),
                    tampered: true,
                },
            };
            parents.insert(row.id, row.parent_id);
            nodes.insert(row.id, node);
        }
        // Paths and inherited prefixes, resolved top-down.
        let ids: Vec<NodeId> = nodes.keys().copied().collect();
        for id in ids {
            let mut chain = vec![id];
            let mut cur = id;
            while let Some(&p) = parents.get(&cur) {
                if p == 0 || chain.len() > 3 || !nodes.contains_key(&p) {
                    break;
                }
                chain.push(p);
                cur = p;
            }
            chain.reverse();
            let path = chain
                .iter()
                .map(|i| nodes[i].name.as_str())
                .collect::<Vec<_>>()
                .join("/");
            let prefix = chain
                .iter()
                .rev()
                .map(|i| nodes[i].prefix.as_str())
                .find(|p| !p.is_empty())
                .unwrap_or(DEFAULT_PREFIX)
                .to_owned();
            if let Some(n) = nodes.get_mut(&id) {
                n.path = path;
                n.prefix = prefix;
            }
        }
        Ok(Tree { nodes, scopes })
    }

    fn tree(&self) -> Result<Tree> {
        self.tree_from(&self.conn)
    }

    /// Every node, sorted by path (workspaces, then their projects, then environments).
    pub fn nodes(&self) -> Result<Vec<Node>> {
        let mut nodes: Vec<Node> = self.tree()?.nodes.into_values().collect();
        nodes.sort_by_key(|a| a.path.to_lowercase());
        Ok(nodes)
    }

    pub fn node(&self, id: NodeId) -> Result<Node> {
        self.tree()?.get(id).cloned()
    }

    /// Resolves `ws`, `ws/project` or `ws/project/env` (names match case-insensitively).
    pub fn resolve(&self, path: &str) -> Result<Node> {
        let tree = self.tree()?;
        let wanted = path.trim().trim_matches('/').to_lowercase();
        tree.nodes
            .values()
            .find(|n| n.path.to_lowercase() == wanted)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("'{path}'")))
    }

    /// The scope catalog that applies at `node` (its workspace's).
    pub fn scopes(&self, node: NodeId) -> Result<Vec<Scope>> {
        Ok(self.tree()?.catalog(node)?.to_vec())
    }

    pub fn add_workspace(&mut self, name: &str, preset: Preset) -> Result<Node> {
        let name = validate_name("workspace", name)?;
        let id = self.write(|v, tx| {
            let data = NodeData {
                kind: NodeKind::Workspace,
                parent: 0,
                name: name.clone(),
                prefix: None,
                scopes: Some(preset.scopes()),
            };
            v.insert_node(tx, data, "workspace")
        })?;
        self.node(id)
    }

    pub fn add_project(&mut self, workspace: NodeId, name: &str) -> Result<Node> {
        self.add_child(workspace, NodeKind::Workspace, name, None)
    }

    /// `prefix`: secret prefix for keys minted in this environment (default: inherited, `kw`).
    pub fn add_environment(
        &mut self,
        project: NodeId,
        name: &str,
        prefix: Option<&str>,
    ) -> Result<Node> {
        if let Some(p) = prefix {
            validate_prefix(p)?;
        }
        self.add_child(project, NodeKind::Project, name, prefix)
    }

    fn add_child(
        &mut self,
        parent: NodeId,
        parent_kind: NodeKind,
        name: &str,
        prefix: Option<&str>,
    ) -> Result<Node> {
        let kind = parent_kind.child().unwrap_or(NodeKind::Environment);
        let name = validate_name(kind.noun(), name)?;
        let id = self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let p = tree.get(parent)?;
            if p.kind != parent_kind {
                return Err(Error::Invalid(format!(
                    "a {} belongs in a {}, and '{}' is a {}",
                    kind.noun(),
                    parent_kind.noun(),
                    p.path,
                    p.kind.noun()
                )));
            }
            let data = NodeData {
                kind,
                parent,
                name: name.clone(),
                prefix: prefix.map(str::to_owned),
                scopes: None,
            };
            v.insert_node(tx, data, &p.path)
        })?;
        self.node(id)
    }

    fn insert_node(&self, tx: &Connection, data: NodeData, parent_path: &str) -> Result<NodeId> {
        let tag = self.name_tag("node", data.parent, &data.name);
        let id =
            store::insert_node(tx, data.parent, data.kind.code(), &tag).map_err(|e| match e {
                Error::Conflict(_) => Error::Conflict(format!(
                    "a {} named '{}' already exists in {}",
                    data.kind.noun(),
                    data.name,
                    if data.parent == 0 {
                        "this vault"
                    } else {
                        parent_path
                    }
                )),
                e => e,
            })?;
        let sealed = self.seal_json("nodes", id, &data)?;
        store::update_node(tx, id, &tag, &sealed)?;
        let path = if data.parent == 0 {
            data.name.clone()
        } else {
            format!("{parent_path}/{}", data.name)
        };
        let action = match data.kind {
            NodeKind::Workspace => Action::WorkspaceAdded,
            NodeKind::Project => Action::ProjectAdded,
            NodeKind::Environment => Action::EnvironmentAdded,
        };
        self.log(tx, action, Some(id), &path, "")?;
        Ok(id)
    }

    fn rewrite_node(
        &self,
        tx: &Connection,
        id: NodeId,
        edit: impl FnOnce(&mut NodeData) -> Result<()>,
    ) -> Result<NodeData> {
        let row = store::node_row(tx, id)?.ok_or_else(|| Error::NotFound(format!("node #{id}")))?;
        let mut data: NodeData = self
            .open_json("nodes", id, &row.sealed)
            .ok_or_else(|| tamper("node", id))?;
        edit(&mut data)?;
        let tag = self.name_tag("node", data.parent, &data.name);
        let sealed = self.seal_json("nodes", id, &data)?;
        store::update_node(tx, id, &tag, &sealed).map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict(format!(
                "a {} named '{}' already exists there",
                data.kind.noun(),
                data.name
            )),
            e => e,
        })?;
        Ok(data)
    }

    pub fn rename_node(&mut self, id: NodeId, new_name: &str) -> Result<Node> {
        let old = self.node(id)?;
        let name = validate_name(old.kind.noun(), new_name)?;
        self.write(|v, tx| {
            v.rewrite_node(tx, id, |d| {
                d.name = name.clone();
                Ok(())
            })?;
            v.log(
                tx,
                Action::NodeRenamed,
                Some(id),
                &old.path,
                &format!("renamed to '{name}'"),
            )
        })?;
        self.node(id)
    }

    /// How many keys live at this node and below (what deleting it would remove).
    pub fn key_count(&self, id: NodeId) -> Result<usize> {
        let tree = self.tree()?;
        tree.get(id)?;
        store::count_keys(&self.conn, &tree.subtree(id))
    }

    /// Deletes a node, everything below it and their keys. Refused when keys would go and
    /// `force` is false. Returns how many keys were deleted.
    pub fn delete_node(&mut self, id: NodeId, force: bool) -> Result<usize> {
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let node = tree.get(id)?.clone();
            let ids = tree.subtree(id);
            let keys = store::count_keys(tx, &ids)?;
            if keys > 0 && !force {
                return Err(Error::Conflict(format!(
                    "{} '{}' has {keys} key{}; deleting it deletes them too (use --force to confirm)",
                    node.kind.noun(),
                    node.path,
                    if keys == 1 { "" } else { "s" }
                )));
            }
            store::delete_nodes(tx, &ids)?;
            v.log(
                tx,
                Action::NodeDeleted,
                Some(id),
                &node.path,
                &format!("{keys} key(s) deleted with it"),
            )?;
            Ok(keys)
        })
    }

    // ---- scope catalog ----

    fn edit_catalog(
        &mut self,
        node: NodeId,
        action: Action,
        subject: &str,
        edit: impl FnOnce(&mut Vec<Scope>) -> Result<()>,
    ) -> Result<Vec<Scope>> {
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let ws = tree.workspace_of(node)?.clone();
            let data = v.rewrite_node(tx, ws.id, |d| {
                let scopes = d.scopes.get_or_insert_with(Vec::new);
                edit(scopes)
            })?;
            v.log(tx, action, Some(ws.id), &ws.path, subject)?;
            Ok(data.scopes.unwrap_or_default())
        })
    }

    pub fn add_scope(&mut self, node: NodeId, scope: Scope) -> Result<Vec<Scope>> {
        Scope::validate_id(&scope.id)?;
        let subject = scope.id.clone();
        self.edit_catalog(node, Action::ScopeAdded, &subject, |scopes| {
            if scopes.iter().any(|s| s.id == scope.id) {
                return Err(Error::Conflict(format!(
                    "scope '{}' already exists",
                    scope.id
                )));
            }
            let mut scope = scope;
            if scope.label.trim().is_empty() {
                scope.label = scope.id.clone();
            }
            scopes.push(scope);
            Ok(())
        })
    }

    /// Replaces the scope `id` (label, description, flags; the id itself cannot change).
    pub fn update_scope(&mut self, node: NodeId, scope: Scope) -> Result<Vec<Scope>> {
        let subject = scope.id.clone();
        self.edit_catalog(node, Action::ScopeUpdated, &subject, |scopes| {
            let slot = scopes
                .iter_mut()
                .find(|s| s.id == scope.id)
                .ok_or_else(|| Error::NotFound(format!("scope '{}'", scope.id)))?;
            let mut scope = scope;
            if scope.label.trim().is_empty() {
                scope.label = scope.id.clone();
            }
            *slot = scope;
            Ok(())
        })
    }

    /// Removes a scope from the catalog and from every key that held it.
    /// Returns how many keys lost it.
    pub fn remove_scope(&mut self, node: NodeId, scope_id: &str) -> Result<usize> {
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let ws = tree.workspace_of(node)?.clone();
            v.rewrite_node(tx, ws.id, |d| {
                let scopes = d.scopes.get_or_insert_with(Vec::new);
                let before = scopes.len();
                scopes.retain(|s| s.id != scope_id);
                if scopes.len() == before {
                    return Err(Error::NotFound(format!("scope '{scope_id}'")));
                }
                Ok(())
            })?;
            let mut touched = 0;
            for row in store::key_rows(tx, Some(&tree.subtree(ws.id)))? {
                let Some(mut data) = v.open_key(&row) else {
                    continue;
                };
                if data.scopes.iter().any(|s| s == scope_id) {
                    data.scopes.retain(|s| s != scope_id);
                    let sealed = v.seal_json("keys", row.id, &data)?;
                    store::update_key(tx, row.id, data.full_access, None, &sealed)?;
                    touched += 1;
                }
            }
            v.log(
                tx,
                Action::ScopeRemoved,
                Some(ws.id),
                &ws.path,
                &format!("{scope_id} (removed from {touched} key(s))"),
            )?;
            Ok(touched)
        })
    }

    // ---- keys ----

    fn open_key(&self, row: &store::KeyRow) -> Option<KeyData> {
        let data: KeyData = self.open_json("keys", row.id, &row.sealed)?;
        (data.key_id == row.key_id
            && data.node_id == row.node_id
            && data.full_access == row.full_access)
            .then_some(data)
    }

    fn key_info(&self, tree: &Tree, row: &store::KeyRow, now: Timestamp) -> KeyInfo {
        let node = tree
            .nodes
            .get(&row.node_id)
            .map(|n| n.path.clone())
            .unwrap_or_default();
        match self.open_key(row) {
            Some(d) => {
                let scopes = if d.full_access {
                    tree.catalog(row.node_id)
                        .map(|c| c.iter().map(|s| s.id.clone()).collect())
                        .unwrap_or(d.scopes)
                } else {
                    d.scopes
                };
                KeyInfo {
                    status: status_at(now, d.revoked_at, d.expires_at),
                    key_id: d.key_id,
                    name: d.name,
                    node,
                    node_id: row.node_id,
                    scopes,
                    full_access: d.full_access,
                    created_at: d.created_at,
                    expires_at: d.expires_at,
                    last_used_at: row.last_used_at,
                    revoked_at: d.revoked_at,
                    display: d.display,
                }
            }
            None => KeyInfo {
                key_id: row.key_id.clone(),
                name: "(tampered record)".into(),
                node,
                node_id: row.node_id,
                scopes: Vec::new(),
                full_access: false,
                created_at: 0,
                expires_at: None,
                last_used_at: row.last_used_at,
                revoked_at: None,
                status: KeyStatus::Tampered,
                display: String::new(),
            },
        }
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
        let tree = self.tree()?;
        let subtree = match node {
            Some(id) => {
                tree.get(id)?;
                Some(tree.subtree(id))
            }
            None => None,
        };
        let now = self.now();
        store::each_key_row(&self.conn, subtree.as_deref(), |row| {
            f(self.key_info(&tree, &row, now));
            Ok(())
        })
    }

    pub fn key(&self, key_id: &str) -> Result<KeyInfo> {
        let row = store::key_by_key_id(&self.conn, key_id)?
            .ok_or_else(|| Error::NotFound(format!("key '{key_id}'")))?;
        Ok(self.key_info(&self.tree()?, &row, self.now()))
    }

    /// Checks scope ids against the catalog and adds the required ones, in catalog order.
    fn resolve_scopes(
        catalog: &[Scope],
        wanted: &[String],
        full_access: bool,
    ) -> Result<Vec<String>> {
        for w in wanted {
            if !catalog.iter().any(|s| &s.id == w) {
                let known: Vec<&str> = catalog.iter().map(|s| s.id.as_str()).collect();
                return Err(Error::Invalid(format!(
                    "unknown scope '{w}' (this workspace has: {})",
                    if known.is_empty() {
                        "no scopes".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
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
            .ok_or_else(|| Error::Corrupt("no key was minted".into()))
    }

    /// Mints several keys at `node` in one transaction (imports, fixtures, benchmarks):
    /// all of them land, or none.
    pub fn create_keys(&mut self, node: NodeId, batch: Vec<NewKey>) -> Result<Vec<MintedKey>> {
        self.create_keys_then(node, batch, |_| Ok(()))
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
        let now = self.now();
        let mut checked = Vec::with_capacity(batch.len());
        for new in batch {
            let name = validate_name("key", &new.name)?;
            if let Some(at) = new.expires_at
                && at <= now
            {
                return Err(Error::Invalid(format!(
                    "expiry {} is in the past",
                    format_time(at)
                )));
            }
            checked.push((name, new));
        }
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let target = tree.get(node)?;
            if target.tampered {
                return Err(tamper("node", node));
            }
            let lineage = tree.lineage(node)?;
            let catalog = tree.catalog(node)?;
            let mut minted = Vec::with_capacity(checked.len());
            for (name, new) in checked {
                let scopes = Self::resolve_scopes(catalog, &new.scopes, new.full_access)?;
                minted.push(v.mint(tx, &tree, target, name, scopes, &new, now, &lineage)?);
            }
            deliver(&minted)?;
            Ok(minted)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn mint(
        &self,
        tx: &Connection,
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
        let key_id = format!(
            "kid_{}",
            secret::encode_base62(&crypto::random_bytes::<12>(), 17)
        );
        let name_tag = self.name_tag("key", node, &name);
        let id = store::insert_key(
            tx,
            &store::NewKeyRow {
                node_id: node,
                key_id: &key_id,
                name_tag: &name_tag,
                lookup: &self.lookup_tag(&sha),
                full_access: new.full_access,
            },
        )
        .map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict(format!(
                "a key named '{name}' already exists in {} (revoked keys keep their name)",
                target.path
            )),
            e => e,
        })?;
        let data = KeyData {
            key_id: key_id.clone(),
            node_id: node,
            name: name.clone(),
            scopes,
            full_access: new.full_access,
            created_at: now,
            expires_at: new.expires_at,
            revoked_at: None,
            sha256: crypto::to_hex(&sha),
            display: secret.display(),
            previous: None,
        };
        store::seal_key(tx, id, &self.seal_json("keys", id, &data)?)?;
        self.log(
            tx,
            Action::KeyCreated,
            Some(node),
            &target.path,
            &format!("{key_id} '{name}'"),
        )?;
        let row = store::key_by_key_id(tx, &key_id)?.ok_or_else(|| tamper("key", &key_id))?;
        Ok(MintedKey {
            info: self.key_info(tree, &row, now),
            secret,
            lineage: lineage.clone(),
        })
    }

    /// Returns the node's full-access key, creating one named `master` if there is none.
    pub fn master_key(&mut self, node: NodeId) -> Result<MasterKey> {
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
            let attempt = self.create_key(
                node,
                NewKey {
                    name: name.clone(),
                    scopes: Vec::new(),
                    full_access: true,
                    expires_at: None,
                },
            );
            match attempt {
                Err(Error::Conflict(_)) if n < 100 => {
                    n += 1;
                    name = format!("master-{n}");
                }
                other => return other.map(MasterKey::Created),
            }
        }
    }

    fn edit_key(
        &mut self,
        key_id: &str,
        action: Action,
        edit: impl FnOnce(&Vault, &mut KeyData, &Tree) -> Result<Option<Vec<u8>>>,
    ) -> Result<KeyInfo> {
        self.edit_key_then(key_id, action, edit, Ok)
    }

    /// Edits a key in one transaction; `finish` runs on the result before the commit and can
    /// still undo everything by failing.
    fn edit_key_then<T>(
        &mut self,
        key_id: &str,
        action: Action,
        edit: impl FnOnce(&Vault, &mut KeyData, &Tree) -> Result<Option<Vec<u8>>>,
        finish: impl FnOnce(KeyInfo) -> Result<T>,
    ) -> Result<T> {
        let now = self.now();
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let row = store::key_by_key_id(tx, key_id)?
                .ok_or_else(|| Error::NotFound(format!("key '{key_id}'")))?;
            let mut data = v.open_key(&row).ok_or_else(|| tamper("key", key_id))?;
            let old_sha = data.sha256.clone();
            let new_lookup = edit(v, &mut data, &tree)?;
            let sealed = v.seal_json("keys", row.id, &data)?;
            let prev_lookup = crypto::from_hex(&old_sha).map(|h| v.lookup_tag(&h));
            let lookups = new_lookup.as_deref().map(|l| (l, prev_lookup.as_deref()));
            store::update_key(tx, row.id, data.full_access, lookups, &sealed)?;
            let path = tree
                .nodes
                .get(&row.node_id)
                .map(|n| n.path.clone())
                .unwrap_or_default();
            v.log(
                tx,
                action,
                Some(row.node_id),
                &path,
                &format!("{key_id} '{}'", data.name),
            )?;
            let row = store::key_by_key_id(tx, key_id)?.ok_or_else(|| tamper("key", key_id))?;
            finish(v.key_info(&tree, &row, now))
        })
    }

    /// Replaces a key's scopes (required ones are always kept).
    pub fn set_scopes(
        &mut self,
        key_id: &str,
        scopes: &[String],
        full_access: bool,
    ) -> Result<KeyInfo> {
        self.edit_key(key_id, Action::KeyScopesChanged, |_, data, tree| {
            data.scopes = Self::resolve_scopes(tree.catalog(data.node_id)?, scopes, full_access)?;
            data.full_access = full_access;
            Ok(None)
        })
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
        let now = self.now();
        let minted = std::cell::RefCell::new(None);
        let info = self.edit_key_then(
            key_id,
            Action::KeyRolled,
            |v, data, tree| {
                match status_at(now, data.revoked_at, data.expires_at) {
                    KeyStatus::Revoked => {
                        return Err(Error::Conflict("a revoked key cannot be rolled".into()));
                    }
                    KeyStatus::Expired => {
                        return Err(Error::Conflict(
                            "an expired key cannot be rolled; create a new key instead".into(),
                        ));
                    }
                    _ => {}
                }
                let node = tree.get(data.node_id)?;
                let secret = Secret::generate(&node.prefix);
                let sha = secret.sha256();
                data.previous = Some(PreviousSecret {
                    sha256: std::mem::replace(&mut data.sha256, crypto::to_hex(&sha)),
                    valid_until: now + grace.seconds(),
                });
                data.display = secret.display();
                let lookup = v.lookup_tag(&sha);
                *minted.borrow_mut() = Some((secret, tree.lineage(data.node_id)?));
                Ok(Some(lookup))
            },
            |info| {
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
        )?;
        Ok(info)
    }

    /// Deletes a key for good: verification then answers `not_found`.
    pub fn delete_key(&mut self, key_id: &str) -> Result<()> {
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let row = store::key_by_key_id(tx, key_id)?
                .ok_or_else(|| Error::NotFound(format!("key '{key_id}'")))?;
            let name = v.open_key(&row).map(|d| d.name).unwrap_or_default();
            store::delete_key(tx, row.id)?;
            let path = tree
                .nodes
                .get(&row.node_id)
                .map(|n| n.path.clone())
                .unwrap_or_default();
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

    // ---- verification ----

    /// Checks a presented key (a header, `Api-Key k`, `Bearer k` or a bare key) against the
    /// vault. A bad checksum is `malformed` without a lookup. Updates the key's last use.
    pub fn verify(&mut self, presented: &str, required_scopes: &[&str]) -> Result<Verification> {
        let secret = match extract_key(presented).and_then(Secret::parse) {
            Ok(s) => s,
            Err(e) => return Ok(Verification::malformed(&e)),
        };
        let sha = secret.sha256();
        let Some(row) = store::key_by_lookup(&self.conn, &self.lookup_tag(&sha))? else {
            return Ok(Verification::of(Outcome::NotFound, None, Vec::new()));
        };
        let Some(data) = self.open_key(&row) else {
            return Ok(Verification::of(
                Outcome::Tampered,
                Some(row.key_id),
                Vec::new(),
            ));
        };
        let now = self.now();
        let stored = if row.matched_previous {
            data.previous.as_ref().map(|p| p.sha256.as_str())
        } else {
            Some(data.sha256.as_str())
        };
        let hash_ok = stored
            .and_then(crypto::from_hex)
            .is_some_and(|h| crypto::ct_eq(&h, &sha));
        if !hash_ok {
            return Ok(Verification::of(
                Outcome::Tampered,
                Some(row.key_id),
                Vec::new(),
            ));
        }
        let scopes = if data.full_access {
            self.catalog_ids(row.node_id)?.unwrap_or(data.scopes)
        } else {
            data.scopes
        };
        let grace_over =
            row.matched_previous && data.previous.as_ref().is_none_or(|p| p.valid_until <= now);
        let outcome = verify::decide(
            now,
            data.revoked_at.is_some(),
            data.expires_at,
            grace_over,
            &scopes,
            required_scopes,
        );
        if outcome != Outcome::Malformed
            && row
                .last_used_at
                .is_none_or(|t| now - t >= LAST_USED_RESOLUTION_SECS)
        {
            let id = row.id;
            self.write(|_, tx| store::touch_key(tx, id, now))?;
        }
        Ok(Verification::of(outcome, Some(row.key_id), scopes))
    }

    /// Everything a service needs to check keys without the vault: key ids, SHA-256 hashes,
    /// scopes, expiry and revocation. No secrets and no names.
    pub fn export_verifier(&mut self, node: Option<NodeId>) -> Result<VerifierFile> {
        let tree = self.tree()?;
        let rows = match node {
            Some(id) => store::key_rows(&self.conn, Some(&tree.subtree(tree.get(id)?.id)))?,
            None => store::key_rows(&self.conn, None)?,
        };
        let now = self.now();
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let data = self
                .open_key(row)
                .ok_or_else(|| tamper("key", &row.key_id))?;
            let info = self.key_info(&tree, row, now);
            entries.push(verify::VerifierEntry {
                key_id: data.key_id,
                sha256: data.sha256,
                scopes: info.scopes,
                expires_at: data.expires_at,
                revoked: data.revoked_at.is_some(),
                previous: data.previous.map(|p| verify::VerifierPrevious {
                    sha256: p.sha256,
                    valid_until: p.valid_until,
                }),
            });
        }
        let file = VerifierFile::new(now, entries);
        let subject = node
            .and_then(|n| tree.nodes.get(&n).map(|n| n.path.clone()))
            .unwrap_or_default();
        self.write(|v, tx| {
            v.log(
                tx,
                Action::VerifierExported,
                node,
                &subject,
                &format!("{} key(s)", rows.len()),
            )
        })?;
        Ok(file)
    }

    // ---- passphrase, backup, doctor ----

    /// Re-wraps the data key under a new passphrase in one transaction. The current
    /// passphrase is asked again so an unlocked, unattended window cannot be taken over.
    pub fn change_passphrase(
        &mut self,
        current: &str,
        new: &str,
        params: Option<KdfParams>,
    ) -> Result<()> {
        let change = self
            .passphrase_change_inputs()?
            .derive(current, new, params)?;
        self.finish_passphrase_change(change)
    }

    /// What the slow half of a passphrase change needs; it can run on another thread.
    pub fn passphrase_change_inputs(&self) -> Result<PassphraseChangeInputs> {
        let (params, salt, wrapped) = read_kdf(&self.conn)?;
        Ok(PassphraseChangeInputs {
            params,
            salt,
            wrapped,
        })
    }

    /// Stores a re-wrapped data key, unless the passphrase was changed meanwhile.
    pub fn finish_passphrase_change(&mut self, change: PassphraseChange) -> Result<()> {
        self.write(|v, tx| {
            let (_, _, current) = read_kdf(tx)?;
            if current != change.old_wrapped {
                return Err(Error::Conflict(
                    "the passphrase was changed meanwhile; nothing was changed".into(),
                ));
            }
            store::meta_set(tx, "kdf", &change.kdf)?;
            store::meta_set(tx, "data_key", &change.wrapped)?;
            v.log(tx, Action::PassphraseChanged, None, "", "")
        })
    }

    /// Writes a consistent copy of the vault (still encrypted, same passphrase) to `dest`.
    pub fn backup(&mut self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(Error::Conflict(format!(
                "{} already exists",
                dest.display()
            )));
        }
        self.write(|v, tx| {
            v.log(
                tx,
                Action::BackupWritten,
                None,
                "",
                &dest.display().to_string(),
            )
        })?;
        store::backup_into(&self.conn, dest)
    }

    /// Checks the file, every sealed record and the activity chain.
    pub fn doctor(&self) -> Result<DoctorReport> {
        let mut report = DoctorReport::default();
        for line in store::integrity_check(&self.conn)? {
            report.problems.push(format!("sqlite: {line}"));
        }
        let tree = self.tree()?;
        report.nodes = tree.nodes.len();
        for node in tree.nodes.values() {
            if node.tampered {
                report
                    .problems
                    .push(format!("node #{} failed its integrity check", node.id));
            } else if node.parent != 0 && !tree.nodes.contains_key(&node.parent) {
                report.problems.push(format!("{} has no parent", node.path));
            }
        }
        let rows = store::key_rows(&self.conn, None)?;
        report.keys = rows.len();
        for row in &rows {
            match self.open_key(row) {
                None => report
                    .problems
                    .push(format!("key {} failed its integrity check", row.key_id)),
                Some(_) if !tree.nodes.contains_key(&row.node_id) => report
                    .problems
                    .push(format!("key {} belongs to a missing node", row.key_id)),
                Some(_) => {}
            }
        }
        let (entries, problems) = activity::check_chain(self, &self.conn)?;
        report.activity_entries = entries;
        report.problems.extend(problems);
        Ok(report)
    }

    /// The activity log, newest first, for `node` and below (everything when `None`).
    pub fn activity(&self, node: Option<NodeId>, limit: usize) -> Result<Vec<ActivityEntry>> {
        activity::read(self, node, limit)
    }

    fn log(
        &self,
        tx: &Connection,
        action: Action,
        node: Option<NodeId>,
        path: &str,
        detail: &str,
    ) -> Result<()> {
        activity::append(self, tx, action, node, path, detail)
    }
}

fn read_kdf(conn: &Connection) -> Result<(KdfParams, Vec<u8>, Vec<u8>)> {
    let kdf = store::meta_get(conn, "kdf")?
        .ok_or_else(|| Error::Corrupt("the KDF parameters are missing".into()))?;
    let kdf: KdfMeta = serde_json::from_slice(&kdf)
        .map_err(|_| Error::Corrupt("the KDF parameters are unreadable".into()))?;
    let salt = crypto::from_hex(&kdf.salt)
        .ok_or_else(|| Error::Corrupt("the KDF salt is unreadable".into()))?;
    let wrapped = store::meta_get(conn, "data_key")?
        .ok_or_else(|| Error::Corrupt("the wrapped data key is missing".into()))?;
    Ok((kdf.params, salt, wrapped))
}

fn append_plain_activity(conn: &mut Connection, action: Action, at: Timestamp) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    activity::append_row(&tx, action, None, None, at)?;
    tx.commit()?;
    Ok(())
}
