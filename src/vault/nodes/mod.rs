//! The workspace → project → environment tree: add, rename, delete, resolve.

mod scopes;
pub(in crate::vault) mod tree;

use crate::vault::store::Store;

use crate::vault::activity::Action;
use crate::vault::commitment::Table;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::{Vault, tamper};
use crate::vault::keys::verify::verifier::validate_prefix;
use crate::vault::model::{Node, NodeId, NodeKind, Preset, validate_name};
use crate::vault::records::NodeData;

impl Vault {
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
        // A broken commitment hides every node: say why rather than "not found".
        self.sync_commitment()?;
        self.commitment.borrow().intact()?;
        let tree = self.tree()?;
        let wanted = path.trim().trim_matches('/').to_lowercase();
        tree.nodes
            .values()
            .find(|n| !n.tampered && n.path.to_lowercase() == wanted)
            .cloned()
            .ok_or_else(|| Error::not_found(Thing::Path, path))
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
            let p = tree.intact(parent)?;
            if p.kind != parent_kind {
                return Err(Error::bad_input(
                    "parent",
                    format!(
                        "a {} belongs in a {}, and '{}' is a {}",
                        kind.noun(),
                        parent_kind.noun(),
                        p.path,
                        p.kind.noun()
                    ),
                ));
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

    fn insert_node(&self, tx: &dyn Store, data: NodeData, parent_path: &str) -> Result<NodeId> {
        let tag = self.name_tag("node", data.parent, &data.name);
        let id = tx
            .insert_node(data.parent, data.kind.code(), &tag)
            .map_err(|e| match e {
                // The store's unique violation, named for what it is.
                Error::Duplicate => Error::NameTaken {
                    what: Thing::of_noun(data.kind.noun()),
                    name: data.name.clone(),
                    place: format!(
                        "in {}",
                        if data.parent == 0 {
                            "this vault"
                        } else {
                            parent_path
                        }
                    ),
                },
                e => e,
            })?;
        let sealed = self.seal_json(Table::Nodes, id, 1, &data)?;
        tx.update_node(id, 1, &tag, &sealed)?;
        self.commitment
            .borrow_mut()
            .stage_insert(tx, Table::Nodes, id, &sealed)?;
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

    /// Decrypts, edits and re-seals one node under its next version.
    pub(super) fn rewrite_node(
        &self,
        tx: &dyn Store,
        id: NodeId,
        edit: impl FnOnce(&mut NodeData) -> Result<()>,
    ) -> Result<NodeData> {
        let row = tx
            .node_row(id)?
            .ok_or_else(|| Error::not_found(Thing::Node, id.to_string()))?;
        let version = self.commitment.borrow_mut().next_version(
            tx,
            Table::Nodes,
            id,
            row.version,
            row.checked_seal(),
        )?;
        let mut data: NodeData = self
            .open_row(Table::Nodes, id, row.version, &row.sealed, row.malformed)?
            .ok_or_else(|| tamper("node", id))?;
        edit(&mut data)?;
        let tag = self.name_tag("node", data.parent, &data.name);
        let sealed = self.seal_json(Table::Nodes, id, version, &data)?;
        tx.update_node(id, version, &tag, &sealed)
            .map_err(|e| match e {
                Error::Duplicate => Error::NameTaken {
                    what: Thing::of_noun(data.kind.noun()),
                    name: data.name.clone(),
                    place: "there".into(),
                },
                e => e,
            })?;
        self.commitment
            .borrow_mut()
            .stage_update(Table::Nodes, id, version, &sealed);
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

    /// Sets the secret prefix of an environment (`None`: back to the inherited one). Keys
    /// minted or rolled from now on carry it; existing secrets keep theirs.
    pub fn set_prefix(&mut self, id: NodeId, prefix: Option<&str>) -> Result<Node> {
        let node = self.node(id)?;
        if node.kind != NodeKind::Environment {
            return Err(Error::bad_input(
                "node",
                "only an environment has its own secret prefix",
            ));
        }
        if let Some(p) = prefix {
            validate_prefix(p)?;
        }
        self.write(|v, tx| {
            v.rewrite_node(tx, id, |d| {
                d.prefix = prefix.map(str::to_owned);
                Ok(())
            })?;
            let detail = match prefix {
                Some(p) => format!("prefix set to '{p}'"),
                None => "prefix reset to the default".to_owned(),
            };
            v.log(tx, Action::PrefixChanged, Some(id), &node.path, &detail)
        })?;
        self.node(id)
    }

    /// How many keys live at this node and below (what deleting it would remove).
    pub fn key_count(&self, id: NodeId) -> Result<usize> {
        let tree = self.tree()?;
        tree.get(id)?;
        self.conn.count_keys(&tree.subtree(id))
    }

    /// Deletes a node, everything below it and their keys. Refused when keys would go and
    /// `force` is false. Returns how many keys were deleted.
    pub fn delete_node(&mut self, id: NodeId, force: bool) -> Result<usize> {
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let node = tree.get(id)?.clone();
            let ids = tree.subtree(id);
            let key_rows = tx.key_ids_of(&ids)?;
            let keys = key_rows.len();
            if keys > 0 && !force {
                return Err(Error::ForceRequired(format!(
                    "{} '{}' has {keys} key{}; deleting it deletes them too (use --force to confirm)",
                    node.kind.noun(),
                    node.path,
                    if keys == 1 { "" } else { "s" }
                )));
            }
            let mut commitment = v.commitment.borrow_mut();
            // Each row is checked before it goes: a tampered one refuses the whole deletion.
            for key in key_rows {
                let row = tx
                    .key_row_by_id(key)?
                    .ok_or_else(|| Error::damaged("keys", format!("key #{key} vanished")))?;
                tx.delete_key(key)?;
                commitment.stage_delete(tx, Table::Keys, key, row.version, row.checked_seal())?;
            }
            for node in &ids {
                let row = tx
                    .node_row(*node)?
                    .ok_or_else(|| Error::damaged("nodes", format!("node #{node} vanished")))?;
                tx.delete_node(*node)?;
                commitment.stage_delete(tx, Table::Nodes, *node, row.version, row.checked_seal())?;
            }
            drop(commitment);
            v.log(
                tx,
                Action::NodeDeleted,
                Some(id),
                &node.path,
                &format!("{} deleted with it", crate::numbers::count_of(keys, "key", "keys")),
            )?;
            Ok(keys)
        })
    }
}
