//! The scope catalog of a workspace (inherited by its projects and environments).

use crate::vault::activity::Action;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::model::{NodeId, Scope};
use crate::vault::store;

impl Vault {
    /// The scope catalog that applies at `node` (its workspace's).
    pub fn scopes(&self, node: NodeId) -> Result<Vec<Scope>> {
        Ok(self.tree()?.catalog(node)?.to_vec())
    }

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
                return Err(Error::NameTaken {
                    what: Thing::Scope,
                    name: scope.id.clone(),
                    place: String::new(),
                });
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
                .ok_or_else(|| Error::not_found(Thing::Scope, scope.id.clone()))?;
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
                    return Err(Error::not_found(Thing::Scope, scope_id));
                }
                Ok(())
            })?;
            let mut touched = 0;
            for row in store::key_rows(tx, Some(&tree.subtree(ws.id)))? {
                // A tampered key is left alone: it is shown as such and can only be deleted.
                let Some(mut data) = v.open_key(&row)? else {
                    continue;
                };
                if data.scopes.iter().any(|s| s == scope_id) {
                    data.scopes.retain(|s| s != scope_id);
                    v.reseal_key(tx, &row, &data, None)?;
                    touched += 1;
                }
            }
            v.log(
                tx,
                Action::ScopeRemoved,
                Some(ws.id),
                &ws.path,
                &format!(
                    "{scope_id} (removed from {})",
                    crate::numbers::count_of(touched, "key", "keys")
                ),
            )?;
            Ok(touched)
        })
    }

    /// How many keys under `node`'s workspace lack `scope_id` (tampered keys are not counted).
    pub fn keys_without_scope(&self, node: NodeId, scope_id: &str) -> Result<usize> {
        let tree = self.tree()?;
        let ws = tree.workspace_of(node)?;
        let mut count = 0;
        for row in store::key_rows(&*self.conn, Some(&tree.subtree(ws.id)))? {
            if let Some(data) = self.open_key(&row)?
                && !data.scopes.iter().any(|s| s == scope_id)
            {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Adds the catalog's scope `scope_id` to every key under `node`'s workspace that lacks it
    /// (after it was made required), in one transaction. Returns how many keys got it.
    pub fn grant_scope(&mut self, node: NodeId, scope_id: &str) -> Result<usize> {
        self.write(|v, tx| {
            let tree = v.tree_from(tx)?;
            let ws = tree.workspace_of(node)?.clone();
            if !tree.catalog(ws.id)?.iter().any(|s| s.id == scope_id) {
                return Err(Error::not_found(Thing::Scope, scope_id));
            }
            let mut touched = 0;
            for row in store::key_rows(tx, Some(&tree.subtree(ws.id)))? {
                let Some(mut data) = v.open_key(&row)? else {
                    continue;
                };
                if !data.scopes.iter().any(|s| s == scope_id) {
                    data.scopes.push(scope_id.to_owned());
                    v.reseal_key(tx, &row, &data, None)?;
                    touched += 1;
                }
            }
            v.log(
                tx,
                Action::ScopeUpdated,
                Some(ws.id),
                &ws.path,
                &format!(
                    "{scope_id} (added to {})",
                    crate::numbers::count_of(touched, "key", "keys")
                ),
            )?;
            Ok(touched)
        })
    }
}
