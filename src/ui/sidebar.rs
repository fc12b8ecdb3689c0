//! The sidebar: Health, Usage, and the workspace → project → environment tree.

use egui::RichText;

use super::dialogs::{AddNode, RenameNode};
use super::state::{Command, HealthCommand, NodeCommand, Page, Session, ViewCommand};
use super::{fonts, theme};
use crate::vault::{Node, NodeKind};

fn icon(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Workspace => "🏢",
        NodeKind::Project => "📁",
        NodeKind::Environment => "🌐",
    }
}

/// How a node is announced: "Workspace acme", "Environment prod".
fn kind_word(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Workspace => "Workspace",
        NodeKind::Project => "Project",
        NodeKind::Environment => "Environment",
    }
}

/// "Health" with a badge counting the open findings.
fn health_entry_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let open = s.open_findings();
        if ui
            .selectable_label(
                s.page == Page::Health && s.vault_activity.is_none(),
                "Health",
            )
            .on_hover_text("Findings across the vault, and the leak scanner")
            .clicked()
        {
            commands.push(Command::Health(HealthCommand::Show));
        }
        if open > 0 {
            let badge = format!("{} open findings", crate::numbers::count(open));
            let response = egui::Frame::new()
                .fill(theme::DANGER)
                .corner_radius(8)
                .inner_margin(egui::Margin::symmetric(6, 1))
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(crate::numbers::compact(open))
                            .small()
                            .strong()
                            .color(egui::Color32::WHITE),
                    )
                })
                .response;
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &badge));
            response.on_hover_text(badge);
        }
    });
}

/// "Usage": the busiest keys of the vault.
fn usage_entry_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    if ui
        .selectable_label(s.page == Page::Usage && s.vault_activity.is_none(), "Usage")
        .on_hover_text("The keys checked most through keyward serve")
        .clicked()
    {
        commands.push(Command::View(ViewCommand::ShowUsage));
    }
}

pub fn sidebar_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.add_space(theme::SPACE);
    health_entry_ui(ui, s, commands);
    usage_entry_ui(ui, s, commands);
    ui.separator();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Workspaces").strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("➕ Workspace")
                .accessible_name("New workspace")
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
        let dress = |text: RichText| {
            if node.tampered {
                text.color(theme::TAMPERED)
            } else {
                text
            }
        };
        let text = fonts::joined(
            ui.style(),
            [
                dress(RichText::new(format!("{} ", icon(node.kind)))),
                dress(fonts::name_text(&node.name)),
            ],
        );
        let selected =
            s.page == Page::Node && s.vault_activity.is_none() && s.selected == Some(node.id);
        // Long names are cut with … (the sidebar's width is bounded); the whole path on hover.
        let response = ui
            .add(egui::Button::selectable(selected, text).truncate())
            .accessible_name(format!("{} {}", kind_word(node.kind), node.name))
            .on_hover_text(&node.path);
        if response.clicked() && !selected {
            commands.push(Command::View(ViewCommand::Select(node.id)));
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
                commands.push(Command::Nodes(NodeCommand::AskDelete(node.id)));
            }
        });
    });
}

/// A grip in the middle of the sidebar's right edge, so it is plain that the edge can be dragged.
pub fn drag_handle_ui(ctx: &egui::Context, sidebar: egui::Rect) {
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Middle,
        egui::Id::unique("sidebar_grip"),
    ));
    let x = sidebar.right();
    let y = sidebar.center().y;
    let color = ctx
        .global_style()
        .visuals
        .widgets
        .noninteractive
        .fg_stroke
        .color;
    let bg = ctx.global_style().visuals.panel_fill;
    let grip = egui::Rect::from_center_size(egui::pos2(x, y), egui::vec2(8.0, 36.0));
    painter.rect_filled(grip, 3.0, bg);
    painter.rect_stroke(
        grip,
        3.0,
        egui::Stroke::new(1.0, color.gamma_multiply(0.5)),
        egui::StrokeKind::Inside,
    );
    for dy in [-8.0, 0.0, 8.0] {
        painter.circle_filled(egui::pos2(x, y + dy), 1.5, color);
    }
}
