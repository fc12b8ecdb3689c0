//! The API Keys tab: search, status filter chips, bulk actions, and the key table whose columns
//! give way by priority so every row action fits the smallest window.

use egui::RichText;
use egui::containers::menu::MenuButton;
use egui_extras::{Column, TableBuilder};

use super::dialogs::{AddKey, Confirm, EditKey, EditScopes, Roll};
use super::fonts::name_text;
use super::key_table::{KeyRow, KeyTable, STATUSES, SortColumn};
use super::keys_keyboard::{list_keys, table_stop_id, table_stop_ui};
use super::modal::primary_button;
use super::state::{Command, KeyCommand, Session, ViewCommand};
use super::table_a11y::A11yTable;
use super::theme;
use super::time::{ago, local_date, local_time, utc_time};
use super::widgets::{ChoiceRow, chip, row_button, table_button, tick_box};
use crate::numbers::count;
use crate::vault::{KeyStatus, Node, Scope, Vault};

pub fn keys_tab_ui(ui: &mut egui::Ui, s: &mut Session, node: &Node, commands: &mut Vec<Command>) {
    if s.keys.is_empty() {
        ui.add_space(ui.available_height() * 0.2);
        ui.vertical_centered(|ui| {
            ui.heading("No API keys here yet");
            ui.label(
                RichText::new(format!(
                    "Mint a key for {} and hand it to a client. Its secret is shown once.",
                    node.path
                ))
                .color(theme::MUTED),
            );
            ui.add_space(theme::SPACE_LARGE);
            if ui
                .add(primary_button("Add New Key").min_size(egui::vec2(220.0, 44.0)))
                .clicked()
            {
                commands.push(Command::open(AddKey::new(node.id, &s.scopes)));
            }
        });
        return;
    }
    let in_search = ui.horizontal(|ui| {
        super::a11y::plain_label(ui, "🔍");
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut s.keys.search)
                    .hint_text("Search keys (Ctrl+F, Esc clears)")
                    .desired_width(240.0),
            )
            .accessible_name("Search keys");
        if s.focus_search {
            search.request_focus();
            s.focus_search = false;
        }
        // The field gives its focus up on Esc in the same frame.
        let in_search = search.has_focus() || search.lost_focus();
        if in_search && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            s.keys.search.clear();
        }
        if !s.keys.search.is_empty() && row_button(ui, "✖", "Clear search".into(), true) {
            s.keys.search.clear();
        }
        s.keys.apply_search();
        ui.label(
            RichText::new(format!(
                "{} of {} keys",
                count(s.keys.visible_len()),
                count(s.keys.len())
            ))
            .color(theme::MUTED),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .add(primary_button("Add New Key"))
                .on_hover_text("Ctrl+N")
                .clicked()
            {
                commands.push(Command::open(AddKey::new(node.id, &s.scopes)));
            }
        });
        in_search
    });
    list_keys(ui.ctx(), s, in_search.inner, commands);
    filter_chips_ui(ui, s, commands);
    ui.add_space(theme::SPACE * 0.5);
    keys_table_ui(ui, s, node, commands);
    if s.keys.visible_len() == 0 {
        ui.add_space(theme::SPACE);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("No keys match").color(theme::MUTED));
        });
    }
}

/// Status filter chips (statuses no key has are left out), and the bulk actions once keys are
/// ticked.
fn filter_chips_ui(ui: &mut egui::Ui, s: &mut Session, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let current = s.keys.status_filter();
        let mut chosen = current;
        let mut row = ChoiceRow::new(ui, "status_chips");
        if row.item(
            ui,
            current.is_none(),
            format!("All {}", count(s.keys.len())),
        ) {
            chosen = None;
        }
        // The chips shown: statuses no key has are left out.
        let mut shown = vec![None];
        for status in STATUSES {
            let n = s.keys.count_of(status);
            if n == 0 && current != Some(status) {
                continue;
            }
            shown.push(Some(status));
            let text = RichText::new(format!("{} {}", status.label(), count(n)))
                .color(theme::status_color(status));
            if row.item(ui, current == Some(status), text) {
                chosen = Some(status);
            }
        }
        if let Some(next) = row.stepped(ui, &shown, &current) {
            chosen = *next;
        }
        if chosen != current {
            s.keys.set_status_filter(chosen);
        }
        super::bulk_bar::bulk_actions_ui(ui, s, commands);
    });
}

fn sort_header(ui: &mut egui::Ui, table: &mut KeyTable, column: SortColumn, title: &str) {
    let (sorted_by, descending) = table.sort();
    let arrow = match (sorted_by == column, descending) {
        (true, false) => " ⏶",
        (true, true) => " ⏷",
        (false, _) => "",
    };
    let response = ui
        .add(
            egui::Button::new(RichText::new(format!("{title}{arrow}")).strong())
                .frame(false)
                .sense(egui::Sense::CLICK),
        )
        .accessible_name(title)
        .on_hover_text(format!("Sort by {}", title.to_lowercase()));
    if response.clicked() {
        table.sort_by(column);
    }
}

fn keys_table_ui(ui: &mut egui::Ui, s: &mut Session, node: &Node, commands: &mut Vec<Command>) {
    let now = s.vault.now();
    let catalog = &s.scopes;
    let vault = &s.vault;
    let table = &mut s.keys;
    let cols = Col::fitting(ui.available_width());
    let scroll_to = table.take_scroll();
    let area = ui.available_rect_before_wrap();
    // Apart from the table's Tab stop: a `Ui` on the stop's id would give its focus up.
    let rows = table.visible_len() + 1;
    let id = table_stop_id().with("a11y");
    let (mut table_ui, a11y) = A11yTable::begin(ui, id, "API keys", rows, cols.len());
    let mut builder = TableBuilder::new(&mut table_ui)
        .id_salt("keys_table")
        .striped(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
    if let Some(row) = scroll_to {
        builder = builder.scroll_to_row(row, Some(egui::Align::Center));
    }
    for c in &cols {
        builder = builder.column(c.column());
    }
    builder
        .header(theme::ROW_HEIGHT, |mut header| {
            for (n, c) in cols.iter().enumerate() {
                a11y.header_col(&mut header, n, c.title(), |ui| c.header_ui(ui, table));
            }
        })
        .body(|body| {
            let table = &*table;
            body.rows(theme::ROW_HEIGHT, table.visible_len(), |mut row| {
                let k = table.visible_row(row.index());
                let key_node = k.node;
                let ticked = table.is_selected(k.key_id);
                row.set_selected(ticked || table.is_highlighted(k.key_id));
                let index = row.index();
                let current = table.cursor() == Some(index);
                for (n, c) in cols.iter().enumerate() {
                    a11y.col(&mut row, n, |ui| match c {
                        Col::Name => {
                            let mut tick = ticked;
                            let label = format!("Select {}", k.name);
                            let response = tick_box(ui, &mut tick, &label);
                            if response.changed() {
                                // Shift-click ticks (or unticks) the run from the last tick.
                                let range = ui.input(|i| i.modifiers.shift);
                                commands.push(Command::Keys(KeyCommand::Select {
                                    key_id: k.key_id.to_string(),
                                    on: tick,
                                    range_to: range.then_some(index),
                                }));
                            }
                            let mut name = name_text(k.name);
                            if k.status == KeyStatus::Exposed {
                                name = name.color(theme::DANGER).strong();
                            }
                            let description = k
                                .details
                                .as_ref()
                                .map(|d| d.description.as_str())
                                .filter(|d| !d.is_empty());
                            let hover = match description {
                                Some(d) => {
                                    format!("{d}\n{}\n{key_node}\nClick for details", k.key_id)
                                }
                                None => format!("{}\n{key_node}\nClick for details", k.key_id),
                            };
                            if ui
                                .add(egui::Label::new(name).sense(egui::Sense::CLICK))
                                .on_hover_text(name_text(hover))
                                .clicked()
                            {
                                commands.push(Command::View(ViewCommand::ShowKey(
                                    k.key_id.to_string(),
                                )));
                            }
                            if key_node != node.path {
                                let below = key_node
                                    .strip_prefix(&node.path)
                                    .unwrap_or(key_node)
                                    .trim_start_matches('/');
                                ui.label(RichText::new(below).small().color(theme::MUTED));
                            }
                        }
                        Col::Key => {
                            ui.label(RichText::new(k.display).monospace());
                        }
                        Col::Scopes => {
                            if k.full_access {
                                chip(ui, "full access");
                            } else {
                                for scope in k.scopes() {
                                    chip(ui, scope);
                                }
                            }
                        }
                        Col::Owner => {
                            if let Some(d) = &k.details {
                                let tags = if d.tags.is_empty() {
                                    String::new()
                                } else {
                                    format!("#{}", d.tags.replace(", ", " #"))
                                };
                                ui.label(name_text(&d.owner));
                                ui.label(RichText::new(tags).small().color(theme::MUTED));
                            }
                        }
                        Col::Created => {
                            if k.status == KeyStatus::Tampered {
                                ui.label("—");
                            } else {
                                ui.label(local_date(k.created_at))
                                    .on_hover_text(utc_time(k.created_at));
                            }
                        }
                        Col::Expires => {
                            let when = |t: i64| format!("{}\n{}", local_time(t), utc_time(t));
                            let soon = k.expires_at.filter(|_| k.status.works());
                            match soon.and_then(|t| expires_in(now, t).map(|left| (t, left))) {
                                // Within Health's 30 days the chip takes the date's place (the
                                // date is in its hover): both did not fit the column.
                                Some((t, left)) => expiry_chip_ui(ui, &left, k.status, &when(t)),
                                None => {
                                    ui.label(
                                        k.expires_at
                                            .map(local_date)
                                            .unwrap_or_else(|| "Never".into()),
                                    )
                                    .on_hover_text(k.expires_at.map(when).unwrap_or_default());
                                }
                            }
                        }
                        Col::LastUsed => {
                            let label = ui.label(
                                k.last_used_at
                                    .map(|t| ago(now, t))
                                    .unwrap_or_else(|| "Never".into()),
                            );
                            if let Some((day, month)) = k.uses {
                                label.on_hover_text(format!(
                                    "{} through keyward serve in the last 24 hours, {} in 30 days",
                                    crate::numbers::count_of(day as usize, "check", "checks"),
                                    count(month as usize)
                                ));
                            }
                        }
                        Col::Status => {
                            let color = theme::status_color(k.status);
                            super::a11y::plain_label(
                                ui,
                                RichText::new(format!("⏺ {}", k.status.label()))
                                    .color(color)
                                    .strong(),
                            );
                        }
                        Col::Actions => row_actions_ui(ui, &k, vault, catalog, commands),
                    });
                }
                if current {
                    // The current row: outlined, apart from the ticked rows' fill.
                    let r = row.response();
                    a11y.set_current(&r.ctx, index);
                    r.ctx
                        .layer_painter(r.layer_id)
                        .with_clip_rect(r.interact_rect)
                        .rect_stroke(
                            r.rect.shrink(1.0),
                            2,
                            egui::Stroke::new(1.5, theme::ACCENT),
                            egui::StrokeKind::Inside,
                        );
                }
            });
        });
    a11y.end(ui, table_ui);
    // The table is one Tab stop (its rows are moved by the arrow keys), after its header.
    let rect = egui::Rect::from_min_max(area.min, egui::pos2(area.max.x, ui.cursor().top()));
    table_stop_ui(ui, rect);
}

/// A row's actions: the trash icon (the seeds' "delete via trash icon") stays one click away,
/// the others are in the row's menu, each named after the key it acts on; a disabled one says
/// why.
fn row_actions_ui(
    ui: &mut egui::Ui,
    k: &KeyRow<'_>,
    vault: &Vault,
    catalog: &[Scope],
    commands: &mut Vec<Command>,
) {
    ui.spacing_mut().item_spacing.x = 4.0;
    ui.spacing_mut().button_padding.x = 6.0;
    let name = k.name;
    let key_id = k.key_id;
    let menu_label = format!("Actions for {name}");
    let (response, _) = MenuButton::from_button(
        egui::Button::new("☰").small().sense(egui::Sense::CLICK),
    )
    .ui(ui, |ui| {
        let intact = k.status != KeyStatus::Tampered;
        let live = k.status.works();
        let not_live = || match k.status {
            KeyStatus::Tampered => "The record failed its integrity check",
            KeyStatus::Revoked => "A revoked key stays revoked",
            _ => "An expired key no longer works: give it a new expiry in Edit details first",
        };
        if menu_item(ui, "Details", format!("Details of {name}"), None) {
            commands.push(Command::View(ViewCommand::ShowKey(key_id.to_owned())));
        }
        let broken = (!intact).then_some("The record failed its integrity check");
        if menu_item(
            ui,
            "Edit details…",
            format!("Edit details of {name}"),
            broken,
        ) && let Ok(info) = vault.key(key_id)
        {
            commands.push(Command::open(EditKey::new(&info)));
        }
        if menu_item(
            ui,
            "Edit scopes…",
            format!("Edit scopes of {name}"),
            (!live).then(not_live),
        ) {
            let scopes = k.scopes().map(str::to_owned).collect();
            commands.push(Command::open(EditScopes::new(
                key_id.to_owned(),
                name.to_owned(),
                scopes,
                k.full_access,
                catalog,
            )));
        }
        if menu_item(ui, "Roll…", format!("Roll {name}"), (!live).then(not_live)) {
            commands.push(Command::open(Roll::new(
                key_id.to_owned(),
                name.to_owned(),
                crate::vault::Grace::OneDay,
            )));
        }
        let unrevocable = match k.status {
            KeyStatus::Tampered => Some("The record failed its integrity check"),
            KeyStatus::Revoked => Some("Already revoked"),
            _ => None,
        };
        if menu_item(ui, "Revoke…", format!("Revoke {name}"), unrevocable) {
            commands.push(Command::open(Confirm::revoke(key_id.to_owned(), name)));
        }
    });
    let response = response.on_hover_text(name_text(&menu_label));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &menu_label));
    if table_button(ui, "🗑", format!("Delete {name}")) {
        commands.push(Command::open(Confirm::delete_key(key_id.to_owned(), name)));
    }
}

/// One entry of a row's menu: closes the menu when clicked. When `disabled` says why it is
/// off, that is its tooltip and its accessible description.
fn menu_item(ui: &mut egui::Ui, text: &str, label: String, disabled: Option<&str>) -> bool {
    let response = ui.add_enabled(disabled.is_none(), egui::Button::new(text));
    let response = match disabled {
        Some(why) => {
            ui.ctx()
                .accesskit_node_builder(response.id, |node| node.set_description(why));
            response.on_disabled_hover_text(why)
        }
        None => response,
    };
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, disabled.is_none(), &label));
    let clicked = response.clicked();
    if clicked {
        ui.close();
    }
    clicked
}

/// The key table's columns, in order; the ones that do not fit the width are left out, least
/// needed first, so every action stays reachable at the smallest window.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Key,
    Scopes,
    Owner,
    Created,
    Expires,
    LastUsed,
    Status,
    Actions,
}

impl Col {
    const ALL: [Col; 9] = [
        Col::Name,
        Col::Key,
        Col::Scopes,
        Col::Owner,
        Col::Created,
        Col::Expires,
        Col::LastUsed,
        Col::Status,
        Col::Actions,
    ];
    /// Left out first to last when the width is short. The masked key stays longer than owner
    /// and creation date: it is how a key seen in a config or a log is found in the table (at
    /// the default window size it is the one that fits).
    const OPTIONAL: [Col; 5] = [
        Col::Owner,
        Col::Created,
        Col::Key,
        Col::LastUsed,
        Col::Scopes,
    ];
    const NAME_MIN: f32 = 110.0;
    /// Room for the scroll bar and the spacing between columns.
    const SLACK: f32 = 24.0;

    fn width(self) -> f32 {
        match self {
            Col::Name => Col::NAME_MIN,
            // Every column fits a 1180-point window with the sidebar at its default width.
            Col::Key => 124.0,
            Col::Scopes => 112.0,
            Col::Owner => 100.0,
            Col::Created | Col::Expires | Col::LastUsed => 80.0,
            Col::Status => 96.0,
            Col::Actions => 64.0,
        }
    }

    fn fitting(available: f32) -> Vec<Col> {
        let mut cols = Col::ALL.to_vec();
        let needed = |cols: &[Col]| cols.iter().map(|c| c.width() + 8.0).sum::<f32>() + Col::SLACK;
        for drop in Col::OPTIONAL {
            if needed(&cols) <= available {
                break;
            }
            cols.retain(|c| *c != drop);
        }
        cols
    }

    fn column(self) -> Column {
        match self {
            Col::Name => Column::remainder().at_least(Col::NAME_MIN).clip(true),
            Col::Key | Col::Scopes | Col::Owner => Column::exact(self.width()).clip(true),
            _ => Column::exact(self.width()),
        }
    }

    /// The column's header, as a reader names it.
    fn title(self) -> &'static str {
        match self {
            Col::Name => "Name",
            Col::Key => "Key",
            Col::Scopes => "Scopes",
            Col::Owner => "Owner / tags",
            Col::Created => "Created",
            Col::Expires => "Expires",
            Col::LastUsed => "Last used",
            Col::Status => "Status",
            Col::Actions => "Actions",
        }
    }

    fn header_ui(self, ui: &mut egui::Ui, table: &mut KeyTable) {
        match self {
            Col::Name => {
                let mut all = table.all_visible_selected();
                if tick_box(ui, &mut all, "Select all shown").changed() {
                    table.select_visible_only(all);
                }
                sort_header(ui, table, SortColumn::Name, "Name");
            }
            Col::Created => sort_header(ui, table, SortColumn::Created, "Created"),
            Col::Expires => sort_header(ui, table, SortColumn::Expires, "Expires"),
            Col::LastUsed => sort_header(ui, table, SortColumn::LastUsed, "Last used"),
            Col::Status => sort_header(ui, table, SortColumn::Status, "Status"),
            Col::Key => {
                ui.strong("Key");
            }
            Col::Scopes => {
                ui.strong("Scopes");
            }
            Col::Owner => {
                ui.strong("Owner / tags");
            }
            Col::Actions => {
                ui.strong("Actions");
            }
        }
    }
}

/// How soon a key expires, when that is within Health's warning window (30 days): the table
/// marks every key Health lists as expiring, not only those whose status is "Expiring soon"
/// (7 days, as the spec defines the status).
fn expires_in(now: i64, t: i64) -> Option<String> {
    const DAY: i64 = 86_400;
    let left = t - now;
    match left / DAY {
        _ if left <= 0 || left >= 30 * DAY => None,
        0 => Some("in under a day".into()),
        1 => Some("in 1 day".into()),
        days => Some(format!("in {days} days")),
    }
}

/// The "in N days" chip in place of a key's expiry date: amber within the status's 7 days.
fn expiry_chip_ui(ui: &mut egui::Ui, left: &str, status: KeyStatus, when: &str) {
    let color = if status == KeyStatus::ExpiringSoon {
        theme::WARNING
    } else {
        theme::MUTED
    };
    egui::Frame::new()
        .fill(theme::chip_fill(ui.visuals()))
        .corner_radius(8)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| ui.label(RichText::new(left).small().color(color)))
        .response
        .on_hover_text(format!(
            "Expires {when}\nHealth lists it: it expires within 30 days"
        ));
}
