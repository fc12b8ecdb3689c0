//! Everything drawing can ask for; the shell runs the commands after the frame is drawn.

use zeroize::Zeroizing;

use super::{Dialog, Settings, Tab};
use crate::vault::{FindingKind, Grace, KeyEdit, NewKey, NodeId, Preset, Scope, Timestamp};

/// Everything drawing can ask for; run after the frame is drawn.
pub enum Command {
    /// Lock and open another vault: the Open dialog (or typed path) for `None`.
    OpenVault(Option<std::path::PathBuf>),
    Select(NodeId),
    /// The Health view instead of a node.
    ShowHealth,
    /// Show findings of this kind only in the Health view (`None`: all).
    FilterHealth(Option<FindingKind>),
    /// Hide the findings banner until the next unlock.
    DismissBanner,
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
    /// One change to several keys (id, name), key by key: a key the vault refuses is named
    /// in the status line, the others are still changed.
    EditMany {
        keys: Vec<(String, String)>,
        change: BulkChange,
    },
    /// Tick or untick a key for a bulk action.
    SelectKey {
        key_id: String,
        on: bool,
        /// Shift-click: the same for every shown row from the last ticked one to this one.
        range_to: Option<usize>,
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
    /// Set an environment's secret prefix.
    SetPrefix {
        id: NodeId,
        prefix: String,
    },
    /// Add a scope that was made required to every key that lacks it.
    GrantScope {
        id: String,
    },
    /// Name, description, owner, tags, expiry.
    EditKey {
        key_id: String,
        edit: KeyEdit,
    },
    /// A key's details edited in place: the edit, and its scopes when they changed.
    SaveKey {
        key_id: String,
        edit: KeyEdit,
        scopes: Option<(Vec<String>, bool)>,
    },
    /// Show a key's details: beside the list where the window is wide enough, else in a
    /// dialog.
    ShowKey(String),
    /// Close the details beside the list.
    CloseDetails,
    Acknowledge {
        subject: String,
        kind: FindingKind,
        until: Timestamp,
        reason: String,
    },
    SetScanFolder(String),
    SetScanHidden(bool),
    /// Open the native folder picker (on its own thread).
    PickScanFolder,
    StartScan,
    CancelScan,
    CopySecret,
    /// Copy the ready `curl` line, with the secret in it.
    CopyCurl,
    DownloadSecret,
    /// Close the secret dialog; a lock it held back goes on, a held-back quit does not (it
    /// was answered: Keyward stayed open).
    CloseSecret,
    /// Close the secret dialog and quit, as the user asked again.
    CloseSecretAndQuit,
    /// Revoke the key of a secret that was never handed over, and drop the secret.
    DiscardSecret,
    /// Put the list of never-delivered secrets off until the next unlock.
    UndeliveredLater,
    ChangePassphrase {
        current: Zeroizing<String>,
        new: Zeroizing<String>,
    },
    AddMember {
        current: Zeroizing<String>,
        name: String,
        passphrase: Zeroizing<String>,
    },
    RemoveMember {
        current: Zeroizing<String>,
        name: String,
    },
    ApplySettings(Settings),
    /// Rewrite every publish target now.
    PublishNow,
    /// Show the Activity of the whole vault.
    ShowVaultActivity,
    /// Read the next page of the whole vault's activity.
    MoreActivity,
    /// Write a backup copy of the vault.
    Backup,
    /// Check the vault (`doctor`) and show what was found.
    Doctor,
    Lock,
}

/// What a bulk action does to each key, through the vault's per-key edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkChange {
    Revoke,
    /// The new expiry; `None`: never expires.
    Expiry(Option<Timestamp>),
    /// Add this scope of the workspace's catalog (a key that has it, or full access, stays).
    AddScope(String),
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
    /// When it was said: a message fades after a while; an error stays until dismissed.
    pub since: std::time::Instant,
}
