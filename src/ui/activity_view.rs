//! The vault-wide Activity view: every entry of the log, newest first, searchable, read 500 at
//! a time ("Load older"), with local times (UTC on hover), and Export CSV… of the entries
//! shown (the command writes them; drawing reads only what the session holds).

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::fonts::name_text;
use super::state::{Command, Session, ViewCommand};
use super::theme;
use super::time::{local_time, utc_time};
use crate::vault::{ActivityEntry, Vault};

/// Entries read per page.
pub const PAGE: usize = 500;

pub struct VaultActivity {
    pub search: String,
    /// How many entries are read (a multiple of [`PAGE`]).
    pub limit: usize,
    pub entries: Vec<ActivityEntry>,
    /// Indexes into `entries` that match `search`.
    shown: Vec<usize>,
    shown_for: Option<(String, usize)>,
}

impl VaultActivity {
    pub fn load(vault: &Vault, limit: usize) -> Result<VaultActivity, String> {
        let mut view = VaultActivity {
            search: String::new(),
            limit,
            entries: Vec::new(),
            shown: Vec::new(),
            shown_for: None,
        };
        view.reload(vault)?;
        Ok(view)
    }

    pub fn reload(&mut self, vault: &Vault) -> Result<(), String> {
        self.entries = vault
            .activity(None, self.limit)
            .map_err(|e| e.to_string())?;
        self.shown_for = None;
        Ok(())
    }

    /// There may be older entries than those read.
    pub fn has_more(&self) -> bool {
        self.entries.len() >= self.limit
    }

    /// The entries that match the search (every field, case-insensitive).
    pub fn shown(&mut self) -> &[usize] {
        let key = (self.search.clone(), self.entries.len());
        if self.shown_for.as_ref() != Some(&key) {
            let needle = self.search.trim().to_lowercase();
            self.shown = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    needle.is_empty()
                        || [&e.action, &e.member, &e.node, &e.detail]
                            .iter()
                            .any(|f| f.to_lowercase().contains(&needle))
                })
                .map(|(i, _)| i)
                .collect();
            self.shown_for = Some(key);
        }
        &self.shown
    }
}

pub fn vault_activity_ui(ui: &mut egui::Ui, s: &mut Session, commands: &mut Vec<Command>) {
    let Some(view) = &mut s.vault_activity else {
        return;
    };
    ui.add_space(theme::SPACE);
    ui.heading(RichText::new("Activity of the whole vault").strong());
    ui.add_space(theme::SPACE * 0.5);
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut view.search)
                .hint_text("Search action, node or detail")
                .desired_width(280.0),
        )
        .accessible_name("Search activity");
        if !view.search.is_empty() && ui.button("Clear").clicked() {
            view.search.clear();
        }
        let total = view.entries.len();
        let more = if view.has_more() { "+" } else { "" };
        let matched = view.shown().len();
        ui.label(RichText::new(format!("{matched} of {total}{more} entries")).color(theme::MUTED));
        if ui
            .add_enabled(matched > 0, egui::Button::new("Export CSV…"))
            .on_hover_text("Save the entries shown as a CSV file")
            .clicked()
        {
            commands.push(Command::View(ViewCommand::ExportActivityCsv));
        }
        // Above the table, where it is always in view.
        if view.has_more()
            && ui
                .button(format!("Load {PAGE} older entries"))
                .accessible_name("Load older entries")
                .clicked()
        {
            commands.push(Command::View(ViewCommand::MoreActivity));
        }
    });
    ui.add_space(theme::SPACE * 0.5);
    let shown = view.shown().to_vec();
    let entries = &view.entries;
    activity_table_ui(ui, "vault_activity_table", shown.len(), |i| {
        &entries[shown[i]]
    });
}

/// A table of log entries (`entry(i)` for `i` in `0..rows`), newest first. Below [`WIDE`] the
/// member and node move into the detail cell, which keeps the room left; the whole entry is
/// on the detail's hover.
pub fn activity_table_ui<'a>(
    ui: &mut egui::Ui,
    id: &str,
    rows: usize,
    entry: impl Fn(usize) -> &'a ActivityEntry,
) {
    let wide = ui.available_width() >= WIDE;
    let mut table = TableBuilder::new(ui)
        .id_salt((id, wide))
        .striped(true)
        .column(Column::exact(150.0).clip(true))
        .column(Column::exact(110.0).clip(true));
    if wide {
        table = table
            .column(Column::exact(90.0).clip(true))
            .column(Column::exact(170.0).clip(true));
    }
    let titles: &[&str] = if wide {
        &["When", "Action", "By", "Node", "Detail"]
    } else {
        &["When", "Action", "Detail"]
    };
    table
        .column(Column::remainder().clip(true))
        .header(theme::ROW_HEIGHT, |mut header| {
            for title in titles {
                header.col(|ui| {
                    ui.strong(*title);
                });
            }
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT - 4.0, rows, |mut row| {
                let e = entry(row.index());
                row.col(|ui| {
                    ui.label(local_time(e.at)).on_hover_text(utc_time(e.at));
                });
                row.col(|ui| {
                    ui.label(RichText::new(&e.action).monospace());
                });
                if wide {
                    row.col(|ui| {
                        ui.add(egui::Label::new(name_text(&e.member)).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(name_text(&e.node)).truncate())
                            .on_hover_text(name_text(&e.node));
                    });
                }
                row.col(|ui| {
                    let label = if !e.intact {
                        RichText::new("entry failed its integrity check").color(theme::TAMPERED)
                    } else if wide || e.node.is_empty() {
                        // Details name keys and nodes ("key.create '🚀 deploy'").
                        name_text(&e.detail)
                    } else {
                        name_text(format!("{}: {}", e.node, e.detail))
                    };
                    let hover = format!("By {}\n{}\n{}", e.member, e.node, e.detail);
                    ui.add(egui::Label::new(label).truncate())
                        .on_hover_text(name_text(hover));
                });
            });
        });
}

/// The width from which every column has room.
const WIDE: f32 = 880.0;
