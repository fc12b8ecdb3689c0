//! The secret on screen: the one moment a secret exists outside the client it is for.

use std::path::PathBuf;

use crate::vault::MintedKey;

/// What the user asked for while the secret was not handed over yet; it waits for the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// The window was asked to close.
    Quit,
    /// Lock (button or Ctrl+L).
    Lock,
}

pub struct SecretDialog {
    pub minted: MintedKey,
    pub title: &'static str,
    pub note: Option<String>,
    /// The secret replaced an older one of the same key.
    pub rolled: bool,
    pub copied: bool,
    pub downloaded: Option<PathBuf>,
    pub error: Option<String>,
    /// A quit or lock held back until the secret is handed over or discarded.
    pub waiting: Option<Waiting>,
    /// The save dialog is open (on a worker thread).
    pub saving: bool,
    /// The copied secret was cleared from the clipboard since (timer).
    pub clipboard_cleared: bool,
    /// "Discard and revoke" was clicked: the dialog asks before it revokes.
    pub confirm_discard: bool,
}

impl SecretDialog {
    pub fn new(
        minted: MintedKey,
        title: &'static str,
        note: Option<String>,
        rolled: bool,
    ) -> SecretDialog {
        SecretDialog {
            minted,
            title,
            note,
            rolled,
            copied: false,
            downloaded: None,
            error: None,
            waiting: None,
            saving: false,
            clipboard_cleared: false,
            confirm_discard: false,
        }
    }

    /// The secret was copied or downloaded: closing loses nothing.
    pub fn is_delivered(&self) -> bool {
        self.copied || self.downloaded.is_some()
    }

    pub fn can_close(&self) -> bool {
        self.is_delivered()
    }
}
