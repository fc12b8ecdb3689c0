//! Acknowledge a health finding: known and accepted, with a reason, until a date (logged).

use crate::ui::modal::{Closing, Dismiss, closing_row, error_ui, modal_ui};
use crate::ui::state::{Command, Dialog, HealthCommand, Session};
use crate::ui::theme;
use crate::ui::time::local_time;
use crate::ui::widgets::labelled_field;
use crate::vault::{Finding, FindingKind};

pub struct Acknowledge {
    subject: String,
    kind: FindingKind,
    name: String,
    reason: String,
    /// `30d`, `2027-01-31`, …
    until: String,
}

impl Acknowledge {
    pub fn new(finding: &Finding) -> Acknowledge {
        Acknowledge {
            subject: finding.subject.clone(),
            kind: finding.kind,
            name: finding.name.clone(),
            reason: String::new(),
            until: "30d".into(),
        }
    }
}

impl Dialog for Acknowledge {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        let now = s.vault.now();
        let title = format!("Acknowledge: {}", crate::ui::finding_kind::title(self.kind));
        modal_ui(ctx, &title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.label(crate::ui::fonts::name_text(format!(
                "{} stays listed but does not count until the date; then it comes back.",
                self.name
            )));
            let field = labelled_field(ui, "Reason", &mut self.reason, "why this is fine for now");
            if ui.memory(|m| m.focused().is_none()) {
                field.request_focus();
            }
            labelled_field(ui, "Until (30d, 90d or YYYY-MM-DD)", &mut self.until, "30d");
            let until = crate::ui::time::parse_expiry(self.until.trim())
                .and_then(|e| e.resolve(now))
                .ok()
                .flatten();
            let problem = if self.reason.trim().is_empty() {
                Some("Give a reason")
            } else if until.is_none() {
                Some("Give a date in the future")
            } else {
                None
            };
            if let Some(t) = until {
                ui.label(format!("Until {}", local_time(t)));
            }
            error_ui(ui, s.dialog_error.as_deref());
            let closing = closing_row(ui, "Acknowledge", problem);
            if closing == Closing::Cancel {
                commands.push(Command::close_dialog());
            } else if closing == Closing::Go
                && let Some(until) = until
            {
                commands.push(Command::Health(HealthCommand::Acknowledge {
                    subject: self.subject.clone(),
                    kind: self.kind,
                    until,
                    reason: self.reason.trim().to_owned(),
                }));
            }
        })
        .1
    }
}
