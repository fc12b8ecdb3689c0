//! "Scan a folder…" for the shell: starting the walk, taking the folder picker's answer, and
//! looking the hits up when the walk ends.

use super::commands::error::UiError;
use super::{KeywardApp, Screen};
use crate::ui::state::{ScanJob, Session};
use crate::vault::{Found, KeyStatus};

impl KeywardApp {
    /// The folder picker's answer (then the scan starts) and the end of a running scan.
    pub(super) fn poll_scan(&mut self, ctx: &egui::Context) {
        let Screen::Unlocked(s) = &mut self.screen else {
            return;
        };
        if let Some(rx) = &s.scan.picking {
            match rx.try_recv() {
                Ok(Some(folder)) => {
                    s.scan.picking = None;
                    s.scan.folder = folder.display().to_string();
                    if let Err(e) = start_scan(ctx, s) {
                        self.complain(e.to_string());
                        return;
                    }
                }
                Ok(None) | Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    s.scan.picking = None;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
            }
        }
        let Some(job) = &mut s.scan.job else {
            return;
        };
        // The bar moves while the worker reads.
        ctx.request_repaint_after(std::time::Duration::from_millis(100));
        let total = job.progress().1;
        if let Some(scanned) = job.poll() {
            s.scan.job = None;
            let summary = finish_scan(s, &scanned, total);
            s.scan.result = Some(summary.clone());
            let reload = s.reload();
            self.say(summary);
            if let Err(e) = reload {
                self.complain(e);
            }
        }
    }
}

/// Starts a walk of the Health view's folder on a worker thread.
pub(super) fn start_scan(ctx: &egui::Context, s: &mut Session) -> Result<(), UiError> {
    let root = std::path::PathBuf::from(s.scan.folder.trim());
    if root.symlink_metadata().is_err() {
        return Err(UiError::NoSuchFolder(root.display().to_string()));
    }
    let prefixes = s.vault.secret_prefixes()?;
    s.scan.result = None;
    let options = crate::scan::WalkOptions {
        hidden: s.scan.hidden,
        no_ignore: false,
        ..Default::default()
    };
    s.scan.job = Some(ScanJob::start(
        ctx,
        root,
        &prefixes,
        options,
        s.scan.gate.take(),
    ));
    Ok(())
}

/// Looks the walk's hits up (by hash) and marks the vault's live keys exposed, once per place
/// and all in one transaction;
/// returns what was found, in words (never a secret).
pub(super) fn finish_scan(
    s: &mut Session,
    scanned: &crate::scan::Scanned,
    total: Option<u64>,
) -> String {
    let (mut exposed, mut foreign, mut inactive) = (Vec::<String>::new(), 0, 0);
    let mut places = Vec::new();
    // A secret twice on one line is one place: counted once.
    let mut seen = std::collections::HashSet::new();
    let hits = scanned
        .hits
        .iter()
        .filter(|hit| seen.insert((hit.secret.sha256(), hit.place())));
    for hit in hits {
        match s.vault.find_secret(&hit.secret) {
            Ok(Found::Foreign) => foreign += 1,
            Ok(Found::Key { info, previous }) => {
                let live = s
                    .vault
                    .inspect(hit.secret.expose(), &[])
                    .is_ok_and(|v| v.is_valid());
                if info.status == KeyStatus::Tampered || !live {
                    inactive += 1;
                } else if !previous {
                    places.push((info.key_id.clone(), hit.place()));
                    if !exposed.contains(&info.name) {
                        exposed.push(info.name.clone());
                    }
                } else {
                    // A rolled key's old secret in its grace: the finding "old secret still
                    // valid" covers it.
                    inactive += 1;
                }
            }
            Err(_) => inactive += 1,
        }
    }
    // One transaction for the whole scan; a failure leaves the summary as found.
    let _ = s.vault.mark_exposed_at(&places);
    let files = usize::try_from(scanned.files).unwrap_or(usize::MAX);
    let read = if scanned.cancelled {
        match total {
            Some(t) => format!(
                "Scan cancelled after {} of {t} files",
                crate::numbers::count(files)
            ),
            None => format!(
                "Scan cancelled after {}",
                crate::numbers::count_of(files, "file", "files")
            ),
        }
    } else {
        format!(
            "Scanned {}",
            crate::numbers::count_of(files, "file", "files")
        )
    };
    let mut found = Vec::new();
    if !exposed.is_empty() {
        found.push(format!(
            "{} of this vault found and marked exposed: {}",
            crate::numbers::count_of(exposed.len(), "live key", "live keys"),
            exposed.join(", ")
        ));
    }
    if foreign > 0 {
        // The vault keeps nothing of a deleted key, so one deleted here looks like another
        // vault's: say both.
        found.push(format!(
            "{} not in this vault (deleted, or another vault's)",
            crate::numbers::count_of(foreign, "key", "keys")
        ));
    }
    if inactive > 0 {
        found.push(match inactive {
            1 => "1 secret that no longer works".to_owned(),
            n => format!("{} secrets that no longer work", crate::numbers::count(n)),
        });
    }
    if found.is_empty() {
        found.push("no keys found".into());
    }
    format!("{read}: {}.", found.join("; "))
}
