//! The Health view: which findings it shows, the findings banner, and acknowledging one.

use super::{Changed, Outcome};
use crate::ui::state::{HealthCommand, Page, Session};
use crate::ui::time::local_time;

pub(super) fn run(s: &mut Session, command: HealthCommand) -> Outcome {
    match command {
        HealthCommand::Show => {
            s.page = Page::Health;
            s.vault_activity = None;
            s.banner = false;
        }
        HealthCommand::Filter(kind) => s.health_filter = kind,
        HealthCommand::DismissBanner => s.banner = false,
        HealthCommand::Acknowledge {
            subject,
            kind,
            until,
            reason,
        } => {
            s.vault.acknowledge(&subject, kind, until, &reason)?;
            s.dialog = None;
            return Ok(Some(Changed::say(format!(
                "Acknowledged until {}",
                local_time(until)
            ))));
        }
    }
    Ok(None)
}
