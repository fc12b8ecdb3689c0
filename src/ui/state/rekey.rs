//! Work that derives keys or re-keys the vault (a passphrase change, adding or removing a
//! member) on a worker thread.

use std::sync::mpsc::Receiver;

use zeroize::Zeroizing;

use crate::vault::{Error, RekeyProgress, Vault};

/// What the worker does once it has opened its own connection with the current passphrase.
pub enum VaultWork {
    /// Re-key under a new passphrase of the member who unlocked.
    ChangePassphrase(Zeroizing<String>),
    /// Add a member with their own passphrase (Argon2id: seconds, not a frame).
    AddMember {
        name: String,
        passphrase: Zeroizing<String>,
    },
    /// Remove a member and re-key the vault.
    RemoveMember(String),
}

impl VaultWork {
    fn done_message(&self) -> String {
        match self {
            VaultWork::ChangePassphrase(_) => "Passphrase changed; the vault was re-keyed".into(),
            VaultWork::AddMember { name, .. } => format!("Added member {name}"),
            VaultWork::RemoveMember(name) => {
                format!("Removed member {name}; the vault was re-keyed")
            }
        }
    }
}

/// The work on a worker thread: it opens its own connection with the current passphrase,
/// does the work and hands the vault back (after a re-key, the only one with the new key).
pub struct RekeyJob {
    rx: Receiver<RekeyMessage>,
    pub progress: f32,
    /// What to say once it is done.
    pub done_message: String,
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
        current: Zeroizing<String>,
        work: VaultWork,
    ) -> RekeyJob {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let done_message = work.done_message();
        std::thread::spawn(move || {
            let progress_tx = tx.clone();
            let progress_ctx = ctx.clone();
            let mut progress = move |p| {
                let _ = progress_tx.send(RekeyMessage::Progress(p));
                progress_ctx.request_repaint();
            };
            let result = Vault::open_as(&path, Some(&member), &current)
                .and_then(|mut vault| {
                    match &work {
                        VaultWork::ChangePassphrase(new) => {
                            vault.rekey(&current, new, None, &mut progress)?
                        }
                        VaultWork::AddMember { name, passphrase } => {
                            vault.add_member(&current, name, passphrase, None)?
                        }
                        VaultWork::RemoveMember(name) => {
                            vault.remove_member_with_progress(&current, name, &mut progress)?
                        }
                    }
                    Ok(vault)
                })
                .map_err(|e| match e {
                    Error::WrongPassphrase => "The current passphrase is wrong.".to_owned(),
                    e => e.to_string(),
                });
            let _ = tx.send(RekeyMessage::Done(Box::new(result)));
            ctx.request_repaint();
        });
        RekeyJob {
            rx,
            progress: 0.0,
            done_message,
        }
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
