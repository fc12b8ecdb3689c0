//! The vault-wide Usage view: the keys that ran into their limits lately or are out of credits
//! (what Health calls "near its limit" and "out of credits"), then the busiest keys over the
//! last 30 days (name, node, checks, refused share, limits), from the usage files `keyward serve`
//! writes; a click on a key's name goes to the key. Each list's columns are a table of their own
//! ([`BUSIEST`], [`AT_LIMITS`]), so one more is one more entry.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::fonts::name_text;
use super::state::{Command, Session, ViewCommand};
use super::theme;
use crate::vault::BusyKey;

/// One column of a list: its title, its width (`None`: what is left) and what a key shows in
/// it. The name column, which is a link, is drawn apart from these.
struct UsageColumn {
    title: &'static str,
    width: Option<f32>,
    cell: fn(&BusyKey) -> RichText,
    /// Left out of a narrow view (what it shows is in the key's details too).
    wide_only: bool,
}

/// The width below which [`UsageColumn::wide_only`] columns are left out.
const WIDE: f32 = 760.0;

const NODE: UsageColumn = UsageColumn {
    title: "Node",
    width: None,
    cell: |k| name_text(&k.node),
    wide_only: false,
};

const LIMITS: UsageColumn = UsageColumn {
    title: "Limits",
    width: Some(200.0),
    cell: |k| match &k.limits {
        Some(limits) => RichText::new(limits),
        None => RichText::new("none").color(theme::MUTED),
    },
    wide_only: true,
};

const BUSIEST: [UsageColumn; 4] = [
    NODE,
    UsageColumn {
        title: "Checks (30 days)",
        width: Some(130.0),
        cell: |k| RichText::new(count(k.total)),
        wide_only: false,
    },
    UsageColumn {
        title: "Refused",
        width: Some(90.0),
        cell: |k| tinted(k.refused > 0, refused_share(k), theme::DANGER),
        wide_only: false,
    },
    LIMITS,
];

const AT_LIMITS: [UsageColumn; 4] = [
    NODE,
    UsageColumn {
        title: "Rate limited (7 days)",
        width: Some(150.0),
        cell: |k| {
            tinted(
                k.rate_limited_7d > 0,
                count(k.rate_limited_7d),
                theme::WARNING,
            )
        },
        wide_only: false,
    },
    UsageColumn {
        title: "Credits left",
        width: Some(110.0),
        cell: |k| match k.credits_left {
            Some(left) => tinted(left == 0, count(left), theme::DANGER),
            None => RichText::new("—").color(theme::MUTED),
        },
        wide_only: false,
    },
    LIMITS,
];

/// `text` in `color` when `when`, else plain.
fn tinted(when: bool, text: String, color: egui::Color32) -> RichText {
    let text = RichText::new(text);
    if when { text.color(color) } else { text }
}

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
            "The keys at their limits and those checked most through keyward serve in the \
             last 30 days, from the usage files beside this machine's publish targets.",
        )
        .color(theme::MUTED),
    );
    ui.add_space(theme::SPACE);
    if s.busiest.is_empty() && s.at_limits.is_empty() {
        ui.label(
            RichText::new(
                "No checks in the last 30 days. Keys are counted when keyward serve checks \
                 them against a verifier file this vault publishes.",
            )
            .color(theme::MUTED),
        );
        return;
    }
    if !s.at_limits.is_empty() {
        ui.strong(format!(
            "At their limits ({})",
            crate::numbers::count(s.at_limits.len())
        ))
        .on_hover_text(
            "Refused for a rate limit in the last 7 days, for credits in the last 2, or with \
             no credits left",
        );
        // At most about a third of the view, so that the busiest keys stay in sight.
        let height = (ui.available_height() / 3.0).max(theme::ROW_HEIGHT * 2.0);
        key_table(
            ui,
            "at_limits_table",
            &s.at_limits,
            &AT_LIMITS,
            height,
            commands,
        );
        ui.add_space(theme::SPACE_LARGE);
        ui.strong("Busiest (30 days)");
    }
    let height = ui.available_height();
    key_table(ui, "usage_table", &s.busiest, &BUSIEST, height, commands);
}

/// A list of keys with a name column that links to the key, then `columns`, at most `height`
/// tall (it scrolls beyond).
fn key_table(
    ui: &mut egui::Ui,
    id: &str,
    keys: &[BusyKey],
    columns: &[UsageColumn],
    height: f32,
    commands: &mut Vec<Command>,
) {
    let wide = ui.available_width() >= WIDE;
    let columns: Vec<&UsageColumn> = columns.iter().filter(|c| wide || !c.wide_only).collect();
    let name_width = NAME_WIDTH.min(ui.available_width() * 0.35);
    let mut table = TableBuilder::new(ui)
        .id_salt(id)
        .striped(true)
        .max_scroll_height(height)
        .column(Column::exact(name_width).clip(true));
    for c in &columns {
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
            for c in &columns {
                header.col(|ui| {
                    ui.strong(c.title);
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, keys.len(), |mut row| {
                let k = &keys[row.index()];
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
                for c in &columns {
                    row.col(|ui| {
                        ui.add(egui::Label::new((c.cell)(k)).truncate());
                    });
                }
            });
        });
}
