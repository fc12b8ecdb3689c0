//! The decrypted node tree and every walk over it. Parent links come from the file, so every
//! walk is bounded (the tree is at most three deep) or keeps a visited set: a node that names
//! itself or its child as parent can never make a walk loop.

use std::collections::{HashMap, HashSet};

use crate::vault::store::Store;

use crate::vault::commitment::Table;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::model::{Node, NodeId, NodeKind, Scope};
use crate::vault::records::NodeData;
use crate::vault::store;
use keyward_verify::DEFAULT_PREFIX;

/// Workspace → project → environment: no walk up needs more steps than this.
const MAX_DEPTH: usize = 3;

/// The decrypted tree, indexed by id.
pub(in crate::vault) struct Tree {
    pub nodes: HashMap<NodeId, Node>,
    pub scopes: HashMap<NodeId, Vec<Scope>>,
}

impl Tree {
    pub fn get(&self, id: NodeId) -> Result<&Node> {
        self.nodes
            .get(&id)
            .ok_or_else(|| Error::not_found(Thing::Node, id.to_string()))
    }

    /// The node's path, or "" for a node that is gone.
    pub fn path_of(&self, id: NodeId) -> String {
        self.nodes
            .get(&id)
            .map(|n| n.path.clone())
            .unwrap_or_default()
    }

    /// An intact node (refuses one that failed its integrity check).
    pub fn intact(&self, id: NodeId) -> Result<&Node> {
        let node = self.get(id)?;
        if node.tampered {
            return Err(Error::Tampered(format!("node #{id}")));
        }
        Ok(node)
    }

    /// The node's ancestors and itself, from the node up (at most three, intact ones only).
    fn up(&self, id: NodeId) -> Result<Vec<&Node>> {
        let mut out = Vec::with_capacity(MAX_DEPTH);
        let mut node = self.intact(id)?;
        loop {
            out.push(node);
            if node.parent == 0 {
                return Ok(out);
            }
            if out.len() >= MAX_DEPTH {
                return Err(Error::Tampered(format!("the parents of node #{id}")));
            }
            node = self.intact(node.parent)?;
        }
    }

    pub fn workspace_of(&self, id: NodeId) -> Result<&Node> {
        self.up(id)?
            .into_iter()
            .find(|n| n.kind == NodeKind::Workspace && n.parent == 0)
            .ok_or_else(|| Error::Tampered(format!("the parents of node #{id}")))
    }

    pub fn catalog(&self, id: NodeId) -> Result<&[Scope]> {
        let ws = self.workspace_of(id)?;
        Ok(self.scopes.get(&ws.id).map(Vec::as_slice).unwrap_or(&[]))
    }

    pub fn lineage(&self, id: NodeId) -> Result<[Option<String>; 3]> {
        let mut out = [None, None, None];
        for n in self.up(id)? {
            let slot = match n.kind {
                NodeKind::Workspace => 0,
                NodeKind::Project => 1,
                NodeKind::Environment => 2,
            };
            out[slot] = Some(n.name.clone());
        }
        Ok(out)
    }

    /// The node and everything below it. Children of a tampered node are not followed.
    pub fn subtree(&self, root: NodeId) -> Vec<NodeId> {
        let mut children: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
        for n in self.nodes.values() {
            if n.id != n.parent {
                children.entry(n.parent).or_default().push(n.id);
            }
        }
        let mut out = vec![root];
        let mut seen: HashSet<NodeId> = HashSet::from([root]);
        let mut i = 0;
        while i < out.len() {
            let id = out[i];
            i += 1;
            if self.nodes.get(&id).is_none_or(|n| n.tampered) {
                continue;
            }
            for &child in children.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
                if seen.insert(child) {
                    out.push(child);
                }
            }
        }
        out
    }
}

impl Vault {
    /// A node row decrypted, if it is the committed one and consistent with its plain columns.
    pub(in crate::vault) fn open_node(&self, row: &store::NodeRow) -> Result<Option<NodeData>> {
        let data: Option<NodeData> = self.open_row(
            Table::Nodes,
            row.id,
            row.version,
            &row.sealed,
            row.malformed,
        )?;
        Ok(data
            .filter(|d| Some(d.kind) == NodeKind::from_code(row.kind) && d.parent == row.parent_id))
    }

    /// The scope ids of `node`'s workspace, decrypting only the node and its ancestors (a
    /// verification must not decrypt the whole tree). `None` if a record on the way is
    /// missing or fails its integrity check.
    pub(in crate::vault) fn catalog_ids(&self, mut node: NodeId) -> Result<Option<Vec<String>>> {
        for _ in 0..MAX_DEPTH {
            let Some(row) = self.conn.node_row(node)? else {
                return Ok(None);
            };
            let Some(data) = self.open_node(&row)? else {
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

    pub(in crate::vault) fn tree_from(&self, conn: &dyn Store) -> Result<Tree> {
        let rows = conn.node_rows()?;
        // After the read: the commitment must be as new as the rows.
        self.sync_commitment()?;
        let mut nodes = HashMap::with_capacity(rows.len());
        let mut scopes = HashMap::new();
        for row in rows {
            let node = match self.open_node(&row)? {
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
                    kind: NodeKind::from_code(row.kind).unwrap_or(NodeKind::Environment),
                    name: format!("(tampered #{})", row.id),
                    prefix: String::new(),
                    path: String::new(),
                    tampered: true,
                },
            };
            nodes.insert(row.id, node);
        }
        // Paths and inherited prefixes, resolved top-down, at most three levels.
        let mut resolved: Vec<(NodeId, String, String)> = Vec::with_capacity(nodes.len());
        for node in nodes.values() {
            let mut chain = vec![node];
            let mut cur = node;
            while cur.parent != 0 && chain.len() < MAX_DEPTH && !cur.tampered {
                match nodes.get(&cur.parent) {
                    Some(p) if !chain.iter().any(|c| c.id == p.id) => {
                        chain.push(p);
                        cur = p;
                    }
                    _ => break,
                }
            }
            let prefix = chain
                .iter()
                .map(|n| n.prefix.as_str())
                .find(|p| !p.is_empty())
                .unwrap_or(DEFAULT_PREFIX)
                .to_owned();
            let path = chain
                .iter()
                .rev()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
                .join("/");
            resolved.push((node.id, path, prefix));
        }
        for (id, path, prefix) in resolved {
            if let Some(n) = nodes.get_mut(&id) {
                n.path = path;
                n.prefix = prefix;
            }
        }
        Ok(Tree { nodes, scopes })
    }

    pub(in crate::vault) fn tree(&self) -> Result<Tree> {
        self.tree_from(&*self.conn)
    }
}
