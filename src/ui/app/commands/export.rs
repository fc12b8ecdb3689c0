//! Export CSV… in the whole vault's Activity: the entries the view shows (its search applied,
//! read when the view was) as CSV, straight to a file or through the save dialog downloads use.

use std::path::Path;

use super::UiError;
use crate::numbers::count_of;
use crate::ui::app::KeywardApp;
use crate::ui::download::{self, ACTIVITY_CSV};
use crate::ui::save_dialog::{Answer, SaveJob, Saving};
use crate::vault;

impl KeywardApp {
    pub(super) fn export_activity(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
    ) -> Result<(), UiError> {
        if self.save_job.is_some() {
            return Ok(());
        }
        let Some(view) = self.session_mut().and_then(|s| s.vault_activity.as_mut()) else {
            return Ok(());
        };
        let shown = view.shown().to_vec();
        let csv = vault::activity_csv(shown.iter().map(|&i| &view.entries[i]));
        let entries = shown.len();
        let fixed = self.options.download_dir.clone();
        let dialog = self.usable_save_dialog();
        match download::choose(
            &ACTIVITY_CSV,
            fixed.as_deref(),
            &file_name(),
            dialog.is_some(),
            frame,
        ) {
            download::Target::File(path) => self.write_activity_csv(&path, &csv, entries),
            download::Target::Ask(request) => {
                if let Some(dialog) = dialog {
                    let what = Saving::ActivityCsv { csv, entries };
                    self.save_job = Some(SaveJob::start(dialog, request, what, ctx));
                }
            }
        }
        Ok(())
    }

    /// The save dialog's answer for an export.
    pub(in crate::ui::app) fn save_activity_csv(
        &mut self,
        answer: Answer,
        csv: &str,
        entries: usize,
    ) {
        match answer {
            Answer::File(path) => self.write_activity_csv(&path, csv, entries),
            Answer::Unavailable => {
                let path = download::fallback_path(&file_name(), &ACTIVITY_CSV);
                self.write_activity_csv(&path, csv, entries);
            }
            Answer::Cancelled => {}
        }
    }

    fn write_activity_csv(&mut self, path: &Path, csv: &str, entries: usize) {
        match download::write_bytes(path, csv.as_bytes()) {
            Ok(()) => self.say(format!(
                "Exported {} to {}",
                count_of(entries, "entry", "entries"),
                path.display()
            )),
            Err(e) => self.complain(format!("Could not export the activity: {e}")),
        }
    }
}

/// `keyward-activity-2026-12-07.csv`.
fn file_name() -> String {
    format!("keyward-activity-{}.csv", vault::format_date(vault::now()))
}
