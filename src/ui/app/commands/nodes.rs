//! Workspaces, projects and environments, and a workspace's scope catalog.

use super::{Changed, Outcome, UiError};
use crate::numbers::count_of;
use crate::ui::app::workspace_of;
use crate::ui::dialogs::{DeleteNode, GrantScope};
use crate::ui::state::{NodeCommand, Session};
use crate::vault::{NodeId, NodeKind};

pub(super) fn run(s: &mut Session, command: NodeCommand) -> Outcome {
    let changed = match command {
        NodeCommand::Add {
            parent,
            name,
            preset,
            prefix,
        } => {
            let node = match parent {
                None => s.vault.add_workspace(&name, preset),
                Some(p) => match s.nodes.iter().find(|n| n.id == p).map(|n| n.kind) {
                    Some(NodeKind::Workspace) => s.vault.add_project(p, &name),
                    _ => s.vault.add_environment(p, &name, prefix.as_deref()),
                },
            }?;
            s.selected = Some(node.id);
            s.dialog = None;
            Changed::say(format!("Added {} {}", node.kind.noun(), node.path))
        }
        NodeCommand::Rename { id, name } => {
            let node = s.vault.rename_node(id, &name)?;
            s.dialog = None;
            Changed::say(format!("Renamed to {}", node.path))
        }
        NodeCommand::AskDelete(id) => {
            // Counted once, as the question opens: the dialog does not read the vault.
            if let Some(node) = s.nodes.iter().find(|n| n.id == id) {
                let keys = s.vault.key_count(id).unwrap_or(0);
                s.dialog = Some(Box::new(DeleteNode::new(node, keys)));
                s.dialog_error = None;
            }
            return Ok(None);
        }
        NodeCommand::Delete { id } => {
            let keys = s.vault.delete_node(id, true)?;
            s.selected = None;
            s.dialog = None;
            Changed::say(format!("Deleted, with {}", count_of(keys, "key", "keys")))
        }
        NodeCommand::SetPrefix { id, prefix } => {
            let node = s.vault.set_prefix(id, Some(&prefix))?;
            s.dialog = None;
            Changed::say(format!(
                "New secrets in {} start with {}_",
                node.path, node.prefix
            ))
        }
        NodeCommand::SaveScope { original, scope } => {
            let ws = selected_workspace(s)?;
            let was_required = s
                .scopes
                .iter()
                .any(|c| Some(&c.id) == original.as_ref() && c.required);
            let (id, required) = (scope.id.clone(), scope.required);
            match original {
                None => s.vault.add_scope(ws, scope)?,
                Some(_) => s.vault.update_scope(ws, scope)?,
            };
            s.dialog = None;
            if required && !was_required {
                let keys = s.vault.keys_without_scope(ws, &id)?;
                if keys > 0 {
                    s.dialog = Some(Box::new(GrantScope { id, keys }));
                }
            }
            Changed::say("Scopes saved")
        }
        NodeCommand::RemoveScope { id } => {
            let ws = selected_workspace(s)?;
            let touched = s.vault.remove_scope(ws, &id)?;
            s.dialog = None;
            Changed::say(format!(
                "Removed scope {id} ({} lost it)",
                count_of(touched, "key", "keys")
            ))
        }
        NodeCommand::GrantScope { id } => {
            let ws = selected_workspace(s)?;
            let keys = s.vault.grant_scope(ws, &id)?;
            s.dialog = None;
            Changed::say(format!("Added {id} to {}", count_of(keys, "key", "keys")))
        }
    };
    Ok(Some(changed))
}

/// The workspace of the node shown, whose scope catalog the scope commands change.
fn selected_workspace(s: &Session) -> Result<NodeId, UiError> {
    let node = s
        .selected_node()
        .map(|n| n.id)
        .ok_or(UiError::NoNodeSelected)?;
    workspace_of(&s.nodes, node).ok_or(UiError::NoWorkspace)
}
