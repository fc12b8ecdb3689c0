//! The vault-wide Usage view: the busiest keys over the last 30 days (name, node, checks,
//! refused share) from the usage files `keyward serve` writes, busiest first; a click on a
//! key's name goes to the key. Its columns are a table of their own ([`COLUMNS`]), so one more
//! (a key's limit) is one more entry.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::fonts::name_text;
use super::state::{Command, Session, ViewCommand};
use super::theme;
use crate::vault::BusyKey;

/// One column of the list: its title, its width (`None`: what is left) and what a key shows in
/// it. The name column, which is a link, is drawn apart from these.
struct UsageColumn {
    title: &'static str,
    width: Option<f32>,
    cell: fn(&BusyKey) -> RichText,
}

const COLUMNS: [UsageColumn; 3] = [
    UsageColumn {
        title: "Node",
        width: None,
        cell: |k| name_text(&k.node),
    },
    UsageColumn {
        title: "Checks (30 days)",
        width: Some(130.0),
        cell: |k| RichText::new(count(k.total)),
    },
    UsageColumn {
        title: "Refused",
        width: Some(90.0),
        cell: |k| {
            let text = RichText::new(refused_share(k));
            if k.refused > 0 {
                text.color(theme::DANGER)
            } else {
                text
            }
        },
    },
];

const NAME_WIDTH: f32 = 220.0;

fn count(n: u64) -> String {
    crate::numbers::count(usize::try_from(n).unwrap_or(usize::MAX))
}

/// "12 %", "< 1 %" or "0 %" of the key's checks refused.
pub fn refused_share(k: &BusyKey) -> String {
    if k.refused == 0 || k.total == 0 {
        return "0 %".into();
    }
    let percent = (k.refused as f64 / k.total as f64) * 100.0;
    if percent < 1.0 {
        "< 1 %".into()
    } else {
        format!("{} %", percent.round() as u64)
    }
}

pub fn usage_view_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.add_space(theme::SPACE);
    ui.heading("Usage");
    ui.label(
        RichText::new(
            "The keys checked most through keyward serve in the last 30 days, from the usage \
             files beside this machine's publish targets.",
        )
        .color(theme::MUTED),
    );
    ui.add_space(theme::SPACE);
    if s.busiest.is_empty() {
        ui.label(
            RichText::new(
                "No checks in the last 30 days. Keys are counted when keyward serve checks \
                 them against a verifier file this vault publishes.",
            )
            .color(theme::MUTED),
        );
        return;
    }
    let name_width = NAME_WIDTH.min(ui.available_width() * 0.35);
    let mut table = TableBuilder::new(ui)
        .id_salt("usage_table")
        .striped(true)
        .column(Column::exact(name_width).clip(true));
    for c in &COLUMNS {
        table = table.column(match c.width {
            Some(w) => Column::exact(w).clip(true),
            None => Column::remainder().at_least(80.0).clip(true),
        });
    }
    table
        .header(theme::ROW_HEIGHT, |mut header| {
            header.col(|ui| {
                ui.strong("Key");
            });
            for c in &COLUMNS {
                header.col(|ui| {
                    ui.strong(c.title);
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, s.busiest.len(), |mut row| {
                let k = &s.busiest[row.index()];
                row.col(|ui| {
                    let link = ui
                        .add(egui::Link::new(name_text(&k.name)))
                        .on_hover_text(format!("Show {} ({})", k.name, k.key_id));
                    if link.clicked() {
                        commands.push(Command::View(ViewCommand::GoToKey {
                            node: k.node_id,
                            key_id: k.key_id.clone(),
                        }));
                    }
                });
                for c in &COLUMNS {
                    row.col(|ui| {
                        ui.add(egui::Label::new((c.cell)(k)).truncate());
                    });
                }
            });
        });
}
