//! A passphrase change (re-key) on a worker thread.

use std::sync::mpsc::Receiver;

use crate::vault::{Error, RekeyProgress, Vault};

/// A re-key on a worker thread: it opens its own connection with the current passphrase,
/// re-seals every record under a new data key and hands the re-keyed vault back.
pub struct RekeyJob {
    rx: Receiver<RekeyMessage>,
    pub progress: f32,
}

enum RekeyMessage {
    Progress(RekeyProgress),
    Done(Box<Result<Vault, String>>),
}

impl RekeyJob {
    pub fn start(
        ctx: &egui::Context,
        path: std::path::PathBuf,
        member: String,
        current: zeroize::Zeroizing<String>,
        new: zeroize::Zeroizing<String>,
    ) -> RekeyJob {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let progress_tx = tx.clone();
            let progress_ctx = ctx.clone();
            let result = Vault::open_as(&path, Some(&member), &current)
                .and_then(|mut vault| {
                    vault.rekey(&current, &new, None, &mut |p| {
                        let _ = progress_tx.send(RekeyMessage::Progress(p));
                        progress_ctx.request_repaint();
                    })?;
                    Ok(vault)
                })
                .map_err(|e| match e {
                    Error::WrongPassphrase => "The current passphrase is wrong.".to_owned(),
                    e => e.to_string(),
                });
            let _ = tx.send(RekeyMessage::Done(Box::new(result)));
            ctx.request_repaint();
        });
        RekeyJob { rx, progress: 0.0 }
    }

    /// The result once the worker is done; progress is taken in on the way.
    pub fn poll(&mut self) -> Option<Result<Vault, String>> {
        while let Ok(message) = self.rx.try_recv() {
            match message {
                RekeyMessage::Progress(p) if p.total > 0 => {
                    self.progress = p.done as f32 / p.total as f32;
                }
                RekeyMessage::Progress(_) => {}
                RekeyMessage::Done(result) => return Some(*result),
            }
        }
        None
    }
}
