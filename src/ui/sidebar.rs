//! The sidebar: the workspace → project → environment tree.

use egui::RichText;

use super::dialogs::{AddNode, DeleteNode, RenameNode};
use super::state::{Command, Session};
use super::theme;
use crate::vault::{Node, NodeKind};

fn icon(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Workspace => "🏢",
        NodeKind::Project => "📁",
        NodeKind::Environment => "🌐",
    }
}

pub fn sidebar_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.add_space(theme::SPACE);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Workspaces").strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("➕ Workspace")
                .on_hover_text("Add workspace")
                .clicked()
            {
                commands.push(Command::open(AddNode::new(None, NodeKind::Workspace)));
            }
        });
    });
    ui.separator();
    if s.nodes.is_empty() {
        ui.label(
            RichText::new("No workspaces yet. Add one to start minting keys.").color(theme::MUTED),
        );
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for ws in s.nodes.iter().filter(|n| n.parent == 0) {
                node_row_ui(ui, s, ws, 0, commands);
                for p in children(s, ws) {
                    node_row_ui(ui, s, p, 1, commands);
                    for e in children(s, p) {
                        node_row_ui(ui, s, e, 2, commands);
                    }
                }
            }
        });
}

fn children<'a>(s: &'a Session, parent: &'a Node) -> impl Iterator<Item = &'a Node> {
    s.nodes.iter().filter(move |n| n.parent == parent.id)
}

fn node_row_ui(
    ui: &mut egui::Ui,
    s: &Session,
    node: &Node,
    depth: usize,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.add_space(depth as f32 * 16.0);
        let mut text = RichText::new(format!("{} {}", icon(node.kind), node.name));
        if node.tampered {
            text = text.color(theme::TAMPERED);
        }
        let selected = s.selected == Some(node.id);
        let response = ui.selectable_label(selected, text);
        if response.clicked() && !selected {
            commands.push(Command::Select(node.id));
        }
        response.context_menu(|ui| {
            if let Some(child) = node.kind.child()
                && ui.button(format!("Add {}", child.noun())).clicked()
            {
                commands.push(Command::open(AddNode::new(Some(node.id), child)));
            }
            if ui.button("Rename…").clicked() {
                commands.push(Command::open(RenameNode::new(node)));
            }
            if ui.button("Delete…").clicked() {
                commands.push(Command::open(DeleteNode::new(node)));
            }
        });
    });
}
