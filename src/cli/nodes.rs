//! Workspaces, projects, environments and the scope catalog on the command line.

use serde_json::json;

use super::args::{EnvCmd, ProjectCmd, ScopeCmd, WorkspaceCmd};
use super::context::{Context, finished};
use super::error::{CliError, CliResult};
use super::render;
use crate::vault::{Node, NodeKind, Preset, Scope, Vault};

/// Resolves `path` and checks it is a node of the expected kind.
fn node_of(v: &Vault, path: &str, kind: NodeKind) -> Result<Node, CliError> {
    let node = v.resolve(path)?;
    if node.kind != kind {
        let article = |k: NodeKind| {
            if k == NodeKind::Environment {
                "an"
            } else {
                "a"
            }
        };
        return Err(CliError::msg(format!(
            "'{}' is {} {}, not {} {}",
            node.path,
            article(node.kind),
            node.kind.noun(),
            article(kind),
            kind.noun()
        )));
    }
    Ok(node)
}

/// `ws/p/e` → (`ws/p`, `e`).
fn split_parent(path: &str) -> Result<(&str, &str), CliError> {
    path.trim_matches('/').rsplit_once('/').ok_or_else(|| {
        CliError::msg(format!(
            "'{path}' needs a parent path, as in ws/project or ws/project/env"
        ))
    })
}

fn children(v: &Vault, parent: &Node) -> Result<Vec<Node>, CliError> {
    Ok(v.nodes()?
        .into_iter()
        .filter(|n| n.parent == parent.id)
        .collect())
}

fn print_node(ctx: &Context, verb: &str, node: &Node) {
    ctx.print(render::node_json(node), || {
        format!("{verb} {} {}", node.kind.noun(), node.path)
    });
}

fn print_nodes(ctx: &Context, nodes: &[Node]) {
    ctx.print(
        serde_json::Value::Array(nodes.iter().map(render::node_json).collect()),
        || render::nodes(nodes),
    );
}

fn remove_node(ctx: &Context, v: &mut Vault, node: &Node, force: bool) -> CliResult {
    let keys = v.delete_node(node.id, force)?;
    ctx.print(
        json!({ "deleted": node.path, "kind": node.kind.noun(), "keys_deleted": keys }),
        || {
            format!(
                "Deleted {} {} and {}",
                node.kind.noun(),
                node.path,
                crate::numbers::count_of(keys, "key", "keys")
            )
        },
    );
    finished(v)
}

pub(super) fn workspace(ctx: &Context, cmd: WorkspaceCmd) -> CliResult {
    let mut v = ctx.open()?;
    match cmd {
        WorkspaceCmd::Add { name, preset } => {
            let node = v.add_workspace(&name, Preset::from_slug(&preset)?)?;
            print_node(ctx, "Added", &node);
        }
        WorkspaceCmd::List => {
            let nodes: Vec<Node> = v
                .nodes()?
                .into_iter()
                .filter(|n| n.kind == NodeKind::Workspace)
                .collect();
            print_nodes(ctx, &nodes);
        }
        WorkspaceCmd::Rename { name, new } => {
            let node = node_of(&v, &name, NodeKind::Workspace)?;
            print_node(ctx, "Renamed to", &v.rename_node(node.id, &new)?);
        }
        WorkspaceCmd::Rm { name, force } => {
            let node = node_of(&v, &name, NodeKind::Workspace)?;
            return remove_node(ctx, &mut v, &node, force);
        }
    }
    finished(&v)
}

pub(super) fn project(ctx: &Context, cmd: ProjectCmd) -> CliResult {
    let mut v = ctx.open()?;
    match cmd {
        ProjectCmd::Add { path } => {
            let (ws, name) = split_parent(&path)?;
            let ws = node_of(&v, ws, NodeKind::Workspace)?;
            print_node(ctx, "Added", &v.add_project(ws.id, name)?);
        }
        ProjectCmd::List { workspace } => {
            let ws = node_of(&v, &workspace, NodeKind::Workspace)?;
            print_nodes(ctx, &children(&v, &ws)?);
        }
        ProjectCmd::Rename { path, new } => {
            let node = node_of(&v, &path, NodeKind::Project)?;
            print_node(ctx, "Renamed to", &v.rename_node(node.id, &new)?);
        }
        ProjectCmd::Rm { path, force } => {
            let node = node_of(&v, &path, NodeKind::Project)?;
            return remove_node(ctx, &mut v, &node, force);
        }
    }
    finished(&v)
}

pub(super) fn env(ctx: &Context, cmd: EnvCmd) -> CliResult {
    let mut v = ctx.open()?;
    match cmd {
        EnvCmd::Add { path, prefix } => {
            let (project, name) = split_parent(&path)?;
            let project = node_of(&v, project, NodeKind::Project)?;
            print_node(
                ctx,
                "Added",
                &v.add_environment(project.id, name, prefix.as_deref())?,
            );
        }
        EnvCmd::List { project } => {
            let project = node_of(&v, &project, NodeKind::Project)?;
            print_nodes(ctx, &children(&v, &project)?);
        }
        EnvCmd::Rename { path, new } => {
            let node = node_of(&v, &path, NodeKind::Environment)?;
            print_node(ctx, "Renamed to", &v.rename_node(node.id, &new)?);
        }
        EnvCmd::Rm { path, force } => {
            let node = node_of(&v, &path, NodeKind::Environment)?;
            return remove_node(ctx, &mut v, &node, force);
        }
    }
    finished(&v)
}

pub(super) fn scope(ctx: &Context, cmd: ScopeCmd) -> CliResult {
    let mut v = ctx.open()?;
    match cmd {
        ScopeCmd::Add {
            workspace,
            id,
            label,
            description,
            required,
            default,
        } => {
            let ws = node_of(&v, &workspace, NodeKind::Workspace)?;
            let label = label.unwrap_or_else(|| id.clone());
            let scope = Scope::new(
                &id,
                &label,
                description.as_deref().unwrap_or(""),
                required,
                default,
            );
            let scopes = v.add_scope(ws.id, scope)?;
            ctx.print(json!(scopes), || format!("Added scope {id} to {}", ws.path));
        }
        ScopeCmd::List { workspace } => {
            let node = v.resolve(&workspace)?;
            let scopes = v.scopes(node.id)?;
            ctx.print(json!(scopes), || render::scopes(&scopes));
        }
        ScopeCmd::Rm { workspace, id } => {
            let ws = node_of(&v, &workspace, NodeKind::Workspace)?;
            let touched = v.remove_scope(ws.id, &id)?;
            ctx.print(json!({ "removed": id, "keys_changed": touched }), || {
                format!(
                    "Removed scope {id} from {} ({} lost it)",
                    ws.path,
                    crate::numbers::count_of(touched, "key", "keys")
                )
            });
        }
    }
    finished(&v)
}
