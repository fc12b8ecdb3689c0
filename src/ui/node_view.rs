//! The node view: breadcrumb, node actions, and the API Keys (`keys_tab`), Scopes and Activity
//! tabs.

use egui::RichText;

use super::dialogs::{AddNode, Confirm, EditPrefix, EditScope, RenameNode};
use super::modal::primary_button;
use super::state::{Command, NodeCommand, Session, Tab, ViewCommand};
use super::widgets::{ChoiceRow, row_button};
use super::{fonts, theme};
use crate::vault::Node;

pub fn node_view_ui(ui: &mut egui::Ui, s: &mut Session, commands: &mut Vec<Command>) {
    let Some(node) = s.selected_node().cloned() else {
        empty_vault_ui(ui, commands);
        return;
    };
    header_ui(ui, s, &node, commands);
    ui.add_space(theme::SPACE);
    ui.horizontal(|ui| {
        const TABS: [(Tab, &str); 3] = [
            (Tab::Keys, "API Keys"),
            (Tab::Scopes, "Scopes"),
            (Tab::Activity, "Activity"),
        ];
        let mut row = ChoiceRow::new(ui, "tabs");
        for (tab, label) in TABS {
            if row.item(ui, s.tab == tab, RichText::new(label).size(15.0)) {
                commands.push(Command::View(ViewCommand::SetTab(tab)));
            }
        }
        let tabs = TABS.map(|(tab, _)| tab);
        if let Some(tab) = row.stepped(ui, &tabs, &s.tab) {
            commands.push(Command::View(ViewCommand::SetTab(*tab)));
        }
    });
    ui.separator();
    match s.tab {
        Tab::Keys => super::keys_tab::keys_tab_ui(ui, s, &node, commands),
        Tab::Scopes => scopes_tab_ui(ui, s, commands),
        Tab::Activity => activity_tab_ui(ui, s),
    }
}

fn empty_vault_ui(ui: &mut egui::Ui, commands: &mut Vec<Command>) {
    ui.add_space(ui.available_height() * 0.25);
    ui.vertical_centered(|ui| {
        ui.heading("Welcome to Keyward");
        ui.label(
            RichText::new(
                "Keys live in workspaces, projects and environments. Start with a workspace.",
            )
            .color(theme::MUTED),
        );
        ui.add_space(theme::SPACE_LARGE);
        if ui
            .add(primary_button("Add workspace").min_size(egui::vec2(180.0, 36.0)))
            .clicked()
        {
            commands.push(Command::open(AddNode::new(
                None,
                crate::vault::NodeKind::Workspace,
            )));
        }
    });
}

fn header_ui(ui: &mut egui::Ui, s: &Session, node: &Node, commands: &mut Vec<Command>) {
    ui.add_space(theme::SPACE);
    ui.horizontal(|ui| {
        let parts: Vec<&str> = node.path.split('/').collect();
        // What the buttons on the right (and the kind and prefix) took last frame is left to
        // them; the rest is shared so a name that fits is shown whole, and only names longer
        // than their share are cut with … (shown whole on hover).
        let buttons: f32 = ui
            .data(|d| d.get_temp(ui.scope_id().with("right_aligned_width")))
            .unwrap_or(300.0);
        let after_id = ui.scope_id().with("breadcrumb_after");
        let after: f32 = ui.data(|d| d.get_temp(after_id)).unwrap_or(100.0);
        let separators = (parts.len() - 1) as f32 * 20.0;
        let room = (ui.available_width() - buttons - after - separators - 16.0).max(120.0);
        let widths: Vec<f32> = parts
            .iter()
            .map(|p| {
                let galley = ui.fonts_mut(|f| {
                    f.layout_no_wrap(
                        (*p).to_owned(),
                        egui::FontId::new(18.0, fonts::names_family()),
                        egui::Color32::WHITE,
                    )
                });
                galley.size().x + 2.0
            })
            .collect();
        let shares = fair_shares(&widths, room);
        for (i, part) in parts.iter().enumerate() {
            let share = shares[i];
            if i > 0 {
                ui.label(RichText::new("›").color(theme::MUTED));
            }
            let text = fonts::name_text(*part).size(18.0);
            let last = i + 1 == parts.len();
            let clicked = ui
                .scope(|ui| {
                    ui.set_max_width(share);
                    if last {
                        ui.add(egui::Label::new(text.strong()).truncate())
                            .on_hover_text(*part);
                        false
                    } else {
                        let color = ui.visuals().hyperlink_color;
                        // A mouse shortcut: the sidebar is the keyboard's way there.
                        ui.add(
                            egui::Button::new(text.color(color))
                                .frame(false)
                                .truncate()
                                .sense(egui::Sense::CLICK),
                        )
                        .on_hover_text(fonts::name_text(format!("Go to {}", parts[..=i].join("/"))))
                        .clicked()
                    }
                })
                .inner;
            if clicked {
                let prefix = parts[..=i].join("/");
                if let Some(n) = s.nodes.iter().find(|n| n.path == prefix) {
                    commands.push(Command::View(ViewCommand::Select(n.id)));
                }
            }
        }
        let crumbs_end = ui.cursor().min.x;
        ui.label(RichText::new(node.kind.noun()).small().color(theme::MUTED));
        if node.kind == crate::vault::NodeKind::Environment {
            let prefix = ui
                .add(
                    egui::Button::new(
                        RichText::new(format!("{}_…", node.prefix))
                            .monospace()
                            .small(),
                    )
                    .frame(false),
                )
                .accessible_name(format!("Secret prefix {}_", node.prefix))
                .on_hover_text("Secrets minted here start with this prefix. Click to change it.");
            if prefix.clicked() {
                commands.push(Command::open(EditPrefix::new(node)));
            }
        }
        let now_after = ui.cursor().min.x - crumbs_end;
        if (now_after - after).abs() > 0.5 {
            ui.data_mut(|d| d.insert_temp(after_id, now_after));
            ui.ctx().request_discard("breadcrumb width changed");
        }
        // Left to right, so Tab runs in reading order.
        super::widgets::right_aligned_ui(ui, |ui| {
            if let Some(child) = node.kind.child()
                && ui
                    .button(format!("➕ Add {}", child.noun()))
                    .accessible_name(format!("Add {}", child.noun()))
                    .clicked()
            {
                commands.push(Command::open(AddNode::new(Some(node.id), child)));
            }
            if ui
                .button("✏ Rename")
                .accessible_name(format!("Rename {}", node.kind.noun()))
                .clicked()
            {
                commands.push(Command::open(RenameNode::new(node)));
            }
            if ui
                .button("🗑 Delete")
                .accessible_name(format!("Delete {}", node.kind.noun()))
                .on_hover_text(format!("Delete this {}", node.kind.noun()))
                .clicked()
            {
                commands.push(Command::Nodes(NodeCommand::AskDelete(node.id)));
            }
        });
    });
}

/// Widths for names wanting `widths` in `room`: whoever fits their equal share gets what they
/// want, and what they leave is shared among the longer ones.
fn fair_shares(widths: &[f32], room: f32) -> Vec<f32> {
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by(|a, b| widths[*a].total_cmp(&widths[*b]));
    let mut shares = vec![0.0; widths.len()];
    let mut left = room;
    for (n, &i) in order.iter().enumerate() {
        let share = left / (order.len() - n) as f32;
        shares[i] = widths[i].min(share);
        left -= shares[i];
    }
    shares
}

fn scopes_tab_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(
                "Scopes are defined per workspace; projects and environments inherit them.",
            )
            .color(theme::MUTED),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.add(primary_button("Add scope")).clicked() {
                commands.push(Command::open(EditScope::new(None)));
            }
        });
    });
    ui.add_space(theme::SPACE);
    if s.scopes.is_empty() {
        ui.label(
            RichText::new(
                "No scopes: keys from this workspace carry no permissions until you add some.",
            )
            .color(theme::MUTED),
        );
        return;
    }
    egui::Grid::new("scopes_grid")
        .striped(true)
        .spacing([18.0, 8.0])
        .show(ui, |ui| {
            for title in ["Scope", "Label", "Description", "Flags", ""] {
                ui.strong(title);
            }
            ui.end_row();
            for scope in &s.scopes {
                ui.label(RichText::new(&scope.id).monospace());
                ui.label(&scope.label);
                ui.label(&scope.description);
                let mut flags = Vec::new();
                if scope.required {
                    flags.push("required");
                }
                if scope.default {
                    flags.push("default");
                }
                ui.label(flags.join(", "));
                ui.horizontal(|ui| {
                    if row_button(ui, "✏", format!("Edit scope {}", scope.id), true) {
                        commands.push(Command::open(EditScope::new(Some(scope))));
                    }
                    if row_button(ui, "🗑", format!("Remove scope {}", scope.id), true) {
                        commands.push(Command::open(Confirm::remove_scope(scope.id.clone())));
                    }
                });
                ui.end_row();
            }
        });
}

fn activity_tab_ui(ui: &mut egui::Ui, s: &Session) {
    if s.activity.is_empty() {
        ui.label(RichText::new("No activity yet.").color(theme::MUTED));
        return;
    }
    super::activity_view::activity_table_ui(ui, "activity_table", s.activity.len(), |i| {
        &s.activity[i]
    });
}
