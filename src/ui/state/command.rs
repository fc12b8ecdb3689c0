//! Everything drawing can ask for; the shell runs the commands after the frame is drawn.

use zeroize::Zeroizing;

use super::{Dialog, Settings, Tab};
use crate::vault::{Grace, NewKey, NodeId, Preset, Scope};

/// Everything drawing can ask for; run after the frame is drawn.
pub enum Command {
    Select(NodeId),
    SetTab(Tab),
    Open(Box<dyn Dialog>),
    CloseDialog,
    AddNode {
        parent: Option<NodeId>,
        name: String,
        preset: Preset,
        prefix: Option<String>,
    },
    RenameNode {
        id: NodeId,
        name: String,
    },
    DeleteNode {
        id: NodeId,
    },
    CreateKey {
        node: NodeId,
        new: NewKey,
    },
    SetScopes {
        key_id: String,
        scopes: Vec<String>,
        full_access: bool,
    },
    Roll {
        key_id: String,
        grace: Grace,
    },
    Revoke {
        key_id: String,
    },
    DeleteKey {
        key_id: String,
    },
    SaveScope {
        original: Option<String>,
        scope: Scope,
    },
    RemoveScope {
        id: String,
    },
    CopySecret,
    DownloadSecret,
    CloseSecret,
    /// Revoke the key of a secret that was never handed over, and drop the secret.
    DiscardSecret,
    /// Put the list of never-delivered secrets off until the next unlock.
    UndeliveredLater,
    ChangePassphrase {
        current: Zeroizing<String>,
        new: Zeroizing<String>,
    },
    ApplySettings(Settings),
    /// Rewrite every publish target now.
    PublishNow,
    Lock,
}

impl Command {
    /// Opens `dialog`.
    pub fn open(dialog: impl Dialog + 'static) -> Command {
        Command::Open(Box::new(dialog))
    }
}

/// A message in the status bar.
pub struct Status {
    pub text: String,
    pub error: bool,
}
