//! "Scan a folder…": the folder, hidden files, the folder picker, starting and cancelling.

use super::{Outcome, UiError};
use crate::ui::app::scan::start_scan;
use crate::ui::download;
use crate::ui::state::{ScanCommand, Session};

pub(super) fn run(ctx: &egui::Context, s: &mut Session, command: ScanCommand) -> Outcome {
    match command {
        ScanCommand::SetFolder(folder) => s.scan.folder = folder,
        ScanCommand::SetHidden(hidden) => s.scan.hidden = hidden,
        ScanCommand::PickFolder => {
            if !download::has_display() {
                return Err(UiError::NoFolderDialog);
            }
            let (tx, rx) = std::sync::mpsc::channel();
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let _ = tx.send(rfd::FileDialog::new().pick_folder());
                ctx.request_repaint();
            });
            s.scan.picking = Some(rx);
        }
        ScanCommand::Start => start_scan(ctx, s)?,
        ScanCommand::Cancel => {
            if let Some(job) = &s.scan.job {
                job.cancel();
            }
        }
    }
    Ok(None)
}
