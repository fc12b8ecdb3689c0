//! The Health view: every finding of the vault with why it matters and a one-click fix, an
//! Acknowledge button for each, filtered by kind with a fix for all of a kind (`health_filter`),
//! and "Scan a folder…" for leaked secrets.

use egui::RichText;

use super::dialogs::{Acknowledge, Confirm, Roll};
use super::finding_kind::{kind_color, title};
use super::fonts::name_text;
use super::health_filter;
use super::modal::primary_button;
use super::state::{
    Command, HealthCommand, KeyCommand, ScanCommand, Session, VaultCommand, ViewCommand,
};
use super::theme;
use super::widgets::labelled_button;
use crate::ui::time::local_time;
use crate::vault::{Finding, FindingKind, Grace};

const DAY: i64 = 86_400;

/// The fix buttons of one finding. Accessible names say the fix, the key and the finding.
fn fixes_ui(ui: &mut egui::Ui, s: &Session, f: &Finding, commands: &mut Vec<Command>) {
    let name = &f.name;
    let what = title(f.kind);
    let label = |fix: &str| format!("{fix} {name}: {what}");
    let key_id = f.subject.clone();
    let in_90_days = Some(Some(s.vault.now() + 90 * DAY));
    let extend = |key_id: String| {
        Command::Keys(KeyCommand::Edit {
            key_id,
            edit: crate::vault::KeyEdit {
                expires_at: in_90_days,
                ..Default::default()
            },
        })
    };
    match f.kind {
        FindingKind::Exposed | FindingKind::OldSecretInGrace => {
            // A new secret at once; the found (or old) one stops working.
            if labelled_button(ui, "⟳ Roll now", label("Roll"), true) {
                commands.push(Command::Keys(KeyCommand::Roll {
                    key_id,
                    grace: Grace::None,
                }));
            }
        }
        FindingKind::ExpiredNotRevoked => {
            if labelled_button(ui, "🚫 Revoke", label("Revoke"), true) {
                commands.push(Command::Keys(KeyCommand::Revoke { key_id }));
            }
        }
        FindingKind::Unused => {
            if labelled_button(ui, "🚫 Revoke…", label("Revoke"), true) {
                commands.push(Command::open(Confirm::revoke(key_id, name)));
            }
        }
        FindingKind::ExpiresIn7Days | FindingKind::ExpiresIn30Days => {
            if labelled_button(ui, "Extend 90 days", label("Extend"), true) {
                commands.push(extend(key_id.clone()));
            }
            if labelled_button(ui, "⟳ Roll…", label("Roll"), true) {
                commands.push(Command::open(Roll::new(
                    key_id,
                    name.clone(),
                    Grace::OneDay,
                )));
            }
        }
        FindingKind::NeverExpires => {
            if labelled_button(ui, "Set expiry: 90 days", label("Set expiry of"), true) {
                commands.push(extend(key_id));
            }
        }
        FindingKind::OldFullAccess => {
            if labelled_button(ui, "⟳ Roll…", label("Roll"), true) {
                commands.push(Command::open(Roll::new(
                    key_id.clone(),
                    name.clone(),
                    Grace::OneDay,
                )));
            }
            if labelled_button(ui, "Narrow scopes…", label("Narrow scopes of"), true) {
                commands.push(Command::Keys(KeyCommand::EditScopes { key_id }));
            }
        }
        FindingKind::PublishFailing => {
            if labelled_button(ui, "Publish now", label("Publish"), true) {
                commands.push(Command::Vault(VaultCommand::PublishNow));
            }
        }
        FindingKind::NearLimit | FindingKind::OutOfCredits => {
            // Its limits and its usage chart are in its details.
            if labelled_button(ui, "Details…", label("Details of"), true) {
                commands.push(Command::View(ViewCommand::ShowKey(key_id)));
            }
        }
    }
    if f.acknowledged.is_none() && labelled_button(ui, "Acknowledge…", label("Acknowledge"), true)
    {
        commands.push(Command::open(Acknowledge::new(f)));
    }
}

/// A finding card's height: every card is as tall (title, why or acknowledgement, fixes), so
/// thousands are listed by drawing only the ones in view.
const CARD_HEIGHT: f32 = 92.0;

fn finding_ui(ui: &mut egui::Ui, s: &Session, f: &Finding, commands: &mut Vec<Command>) {
    let acked = f.acknowledged.is_some();
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), CARD_HEIGHT),
        egui::Sense::hover(),
    );
    // Named by the finding: the ids (and focus) stay with a card as the list scrolls.
    let mut card = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect)
            .id_salt((&f.subject, f.kind)),
    );
    card.set_clip_rect(rect.intersect(ui.clip_rect()));
    egui::Frame::new()
        .stroke(card.visuals().widgets.noninteractive.bg_stroke)
        .corner_radius(theme::RADIUS)
        .inner_margin(8)
        .show(&mut card, |ui| {
            ui.set_width(ui.available_width());
            ui.set_height(CARD_HEIGHT - 16.0);
            let single_line =
                |ui: &mut egui::Ui, text: RichText| ui.add(egui::Label::new(text).truncate());
            ui.horizontal(|ui| {
                let color = if acked {
                    theme::MUTED
                } else {
                    kind_color(f.kind)
                };
                ui.label(RichText::new(title(f.kind)).strong().color(color));
                ui.label(name_text(&f.name).strong());
                single_line(ui, RichText::new(&f.node).color(theme::MUTED));
            });
            match &f.acknowledged {
                Some(ack) => single_line(
                    ui,
                    RichText::new(format!(
                        "Acknowledged until {}: {}",
                        local_time(ack.until),
                        ack.reason
                    ))
                    .color(theme::MUTED),
                ),
                None => single_line(ui, RichText::new(format!("Why it matters: {}", f.why))),
            }
            .on_hover_text(f.why);
            ui.horizontal(|ui| fixes_ui(ui, s, f, commands));
        });
}

fn scan_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.label(RichText::new("Scan a folder for leaked keys").strong());
    ui.label(
        RichText::new(
            "Finds this vault's secrets in files (respecting .gitignore); a key found is marked \
             exposed and listed here first.",
        )
        .color(theme::MUTED),
    );
    let scan = &s.scan;
    match &scan.job {
        Some(job) => {
            let (done, total) = job.progress();
            let (fraction, text) = match total {
                None => (0.0, "Counting files…".to_owned()),
                Some(0) => (1.0, "No files to read".to_owned()),
                Some(total) => (
                    done as f32 / total as f32,
                    format!("Scanning: {done} of {total} files"),
                ),
            };
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(280.0)
                        .text(text),
                );
                let cancelling = job.is_cancelled();
                if ui
                    .add_enabled(!cancelling, egui::Button::new("Cancel scan"))
                    .clicked()
                {
                    commands.push(Command::Scan(ScanCommand::Cancel));
                }
            });
        }
        None => {
            // Wraps in a narrow window instead of pushing the findings off the right edge.
            ui.horizontal_wrapped(|ui| {
                let l = ui.label("Folder");
                let mut folder = scan.folder.clone();
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut folder)
                            .hint_text("a folder or file to scan")
                            .desired_width(280.0),
                    )
                    .labelled_by(l.id);
                if field.changed() {
                    commands.push(Command::Scan(ScanCommand::SetFolder(folder)));
                }
                if ui
                    .add_enabled(scan.picking.is_none(), egui::Button::new("Scan a folder…"))
                    .on_hover_text("Choose a folder to scan")
                    .clicked()
                {
                    commands.push(Command::Scan(ScanCommand::PickFolder));
                }
                let mut hidden = scan.hidden;
                if ui
                    .checkbox(&mut hidden, "Hidden files too")
                    .on_hover_text("Also .env files and dot-folders (.gitignore still applies)")
                    .changed()
                {
                    commands.push(Command::Scan(ScanCommand::SetHidden(hidden)));
                }
                let ready = !scan.folder.trim().is_empty();
                if ui
                    .add_enabled(ready, primary_button("Scan"))
                    .on_disabled_hover_text("Type or choose a folder first")
                    .clicked()
                {
                    commands.push(Command::Scan(ScanCommand::Start));
                }
            });
        }
    }
    if let Some(result) = &scan.result {
        ui.label(result);
    }
}

pub fn health_view_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.add_space(theme::SPACE);
    let open = s.open_findings();
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Health").strong());
        let text = match open {
            0 => "Nothing needs attention.".to_owned(),
            1 => "1 finding needs attention.".to_owned(),
            n => format!("{} findings need attention.", crate::numbers::count(n)),
        };
        ui.label(RichText::new(text).color(theme::MUTED));
    });
    ui.separator();
    scan_ui(ui, s, commands);
    ui.separator();
    if s.health.is_empty() {
        ui.label(
            RichText::new(
                "No findings: every key expires, is used, and no secret was found where it \
                 should not be.",
            )
            .color(theme::MUTED),
        );
        return;
    }
    health_filter::kind_chips_ui(ui, s, commands);
    let shown: Vec<&Finding> = s
        .health
        .iter()
        .filter(|f| s.health_filter.is_none_or(|k| f.kind == k))
        .collect();
    if let Some(kind) = s.health_filter {
        health_filter::bulk_fix_ui(ui, s, kind, &shown, commands);
    }
    // The session keeps the most urgent findings of each kind only; the rest is counted.
    let all = s
        .health_filter
        .map_or(s.health_total, |k| s.health_count(k));
    if let Some(more) = all.checked_sub(shown.len()).filter(|n| *n > 0) {
        ui.label(
            RichText::new(format!(
                "…and {} more, less urgent: fix these first, or see them all with \
                 `keyward health`.",
                crate::numbers::count(more)
            ))
            .color(theme::MUTED),
        );
    }
    ui.add_space(theme::SPACE * 0.5);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, CARD_HEIGHT, shown.len(), |ui, rows| {
            for f in &shown[rows] {
                finding_ui(ui, s, f, commands);
            }
        });
}

/// Whether the findings banner shows: after unlock, with findings, until Health or Dismiss.
pub fn banner_shown(s: &Session) -> bool {
    s.banner && s.open_findings() > 0 && s.page != super::state::Page::Health
}

/// The one-line banner after unlock when there are findings.
pub fn banner_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    if !banner_shown(s) {
        return;
    }
    let open = s.open_findings();
    theme::alert_frame(ui.visuals()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let text = if open == 1 {
                "⚠ 1 health finding: a key needs attention.".to_owned()
            } else {
                format!(
                    "⚠ {} health findings: keys need attention.",
                    crate::numbers::count(open)
                )
            };
            super::a11y::plain_label(ui, RichText::new(text).color(theme::WARNING).strong());
            if ui.button("Open Health").clicked() {
                commands.push(Command::Health(HealthCommand::Show));
            }
            if ui.button("Dismiss").clicked() {
                commands.push(Command::Health(HealthCommand::DismissBanner));
            }
        });
    });
}
