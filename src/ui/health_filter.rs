//! The Health view's filter by kind (chips with counts) and the bulk fix of the kind shown:
//! the fix each card offers, applied to every finding shown after one question naming the
//! count and the first keys.

use egui::RichText;

use super::dialogs::Confirm;
use super::finding_kind::title;
use super::state::{BulkChange, Command, HealthCommand, Session, VaultCommand};
use super::theme;
use super::time::local_time;
use super::widgets::{ChoiceRow, labelled_button};
use crate::numbers::count;
use crate::vault::{Finding, FindingKind};

const DAY: i64 = 86_400;

/// "All 1,500", then one chip per kind found (a chosen kind stays when none is left).
pub fn kind_chips_ui(ui: &mut egui::Ui, s: &Session, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let current = s.health_filter;
        let mut chosen = current;
        let mut row = ChoiceRow::new(ui, "finding_kinds");
        if row.item(
            ui,
            current.is_none(),
            format!("All {}", count(s.health_total)),
        ) {
            chosen = None;
        }
        let mut shown = vec![None];
        for kind in FindingKind::ALL {
            let n = s.health_count(kind);
            if n == 0 && current != Some(kind) {
                continue;
            }
            shown.push(Some(kind));
            if row.item(
                ui,
                current == Some(kind),
                format!("{} {}", title(kind), count(n)),
            ) {
                chosen = Some(kind);
            }
        }
        if let Some(next) = row.stepped(ui, &shown, &current) {
            chosen = *next;
        }
        if chosen != current {
            commands.push(Command::Health(HealthCommand::Filter(chosen)));
        }
    });
}

/// The fix of every finding of `kind` shown, or why there is none.
pub fn bulk_fix_ui(
    ui: &mut egui::Ui,
    s: &Session,
    kind: FindingKind,
    shown: &[&Finding],
    commands: &mut Vec<Command>,
) {
    if shown.is_empty() {
        return;
    }
    let keys = || -> Vec<(String, String)> {
        shown
            .iter()
            .map(|f| (f.subject.clone(), f.name.clone()))
            .collect()
    };
    let n = count(shown.len());
    let in_90_days = s.vault.now() + 90 * DAY;
    let then = format!(
        "Each then expires 90 days from now ({}), as the fix of one finding does.",
        local_time(in_90_days)
    );
    ui.horizontal_wrapped(|ui| {
        let what = title(kind);
        match kind {
            FindingKind::ExpiredNotRevoked | FindingKind::Unused => {
                if labelled_button(
                    ui,
                    &format!("Revoke all {n} shown…"),
                    format!("Revoke all {n} shown: {what}"),
                    true,
                ) {
                    commands.push(Command::open(Confirm::many(
                        "Revoke",
                        keys(),
                        "They stay listed, and every check of them answers revoked from now \
                         on. This cannot be undone.",
                        "Revoke keys",
                        BulkChange::Revoke,
                    )));
                }
            }
            FindingKind::ExpiresIn7Days | FindingKind::ExpiresIn30Days => {
                if labelled_button(
                    ui,
                    &format!("Extend all {n} shown 90 days…"),
                    format!("Extend all {n} shown: {what}"),
                    true,
                ) {
                    commands.push(Command::open(Confirm::many(
                        "Extend",
                        keys(),
                        &then,
                        "Extend keys",
                        BulkChange::Expiry(Some(in_90_days)),
                    )));
                }
            }
            FindingKind::NeverExpires => {
                if labelled_button(
                    ui,
                    &format!("Set expiry of all {n} shown: 90 days…"),
                    format!("Set expiry of all {n} shown: {what}"),
                    true,
                ) {
                    commands.push(Command::open(Confirm::many(
                        "Set an expiry on",
                        keys(),
                        &then,
                        "Set expiry",
                        BulkChange::Expiry(Some(in_90_days)),
                    )));
                }
            }
            FindingKind::PublishFailing => {
                if labelled_button(
                    ui,
                    "Publish now",
                    format!("Publish every target: {what}"),
                    true,
                ) {
                    commands.push(Command::Vault(VaultCommand::PublishNow));
                }
            }
            FindingKind::Exposed | FindingKind::OldSecretInGrace => {
                ui.label(
                    RichText::new(
                        "Each roll shows a new secret to hand over: roll these one by one.",
                    )
                    .color(theme::MUTED),
                );
            }
            FindingKind::OldFullAccess => {
                ui.label(
                    RichText::new("Which scopes a key needs is a choice per key: one by one.")
                        .color(theme::MUTED),
                );
            }
            FindingKind::NearLimit | FindingKind::OutOfCredits => {
                ui.label(
                    RichText::new("A key's limits are a choice per key: edit them one by one.")
                        .color(theme::MUTED),
                );
            }
        }
    });
}
