//! Everything drawing can ask for, by area; the shell runs the commands after the frame is
//! drawn, each area in its own handler (`ui::app::commands`).

use zeroize::Zeroizing;

use super::{Dialog, Settings, Tab};
use crate::vault::{FindingKind, Grace, KeyEdit, NewKey, NodeId, Preset, Scope, Timestamp};

/// Everything drawing can ask for; run after the frame is drawn.
pub enum Command {
    View(ViewCommand),
    Vault(VaultCommand),
    Nodes(NodeCommand),
    Keys(KeyCommand),
    Health(HealthCommand),
    Scan(ScanCommand),
    Secrets(SecretCommand),
    Team(TeamCommand),
    Settings(SettingsCommand),
}

/// What the window shows: the node, the page and tab, dialogs and the details beside the
/// list. Nothing here writes to the vault.
pub enum ViewCommand {
    Select(NodeId),
    SetTab(Tab),
    /// The Keys tab of the node shown, with the focus in its search field (Ctrl+F).
    FocusSearch,
    Open(Box<dyn Dialog>),
    CloseDialog,
    /// Show a key's details: beside the list where the window is wide enough, else in a
    /// dialog.
    ShowKey(String),
    /// Close the details beside the list.
    CloseDetails,
    /// Read a key's details and activity for the details shown (`Session::key_views`).
    ReadKey(String),
    /// Show the Activity of the whole vault.
    ShowVaultActivity,
    /// Show the busiest keys of the vault (the Usage view).
    ShowUsage,
    /// Go to a key: its node's Keys tab, the key highlighted and its details shown.
    GoToKey {
        node: NodeId,
        key_id: String,
    },
    /// Read the next page of the whole vault's activity.
    MoreActivity,
    /// Save the whole vault's activity, as the view shows it (searched), as CSV.
    ExportActivityCsv,
}

/// The vault file as a whole.
pub enum VaultCommand {
    Lock,
    /// Lock and open another vault: the Open dialog (or typed path) for `None`.
    Open(Option<std::path::PathBuf>),
    /// Rewrite every publish target now.
    PublishNow,
    /// Write a backup copy of the vault.
    Backup,
    /// Check the vault (`doctor`) and show what was found.
    Doctor,
}

/// Workspaces, projects and environments, and a workspace's scope catalog.
pub enum NodeCommand {
    Add {
        parent: Option<NodeId>,
        name: String,
        preset: Preset,
        prefix: Option<String>,
    },
    Rename {
        id: NodeId,
        name: String,
    },
    /// Ask before deleting: count the node's keys and open the question.
    AskDelete(NodeId),
    Delete {
        id: NodeId,
    },
    /// Set an environment's secret prefix.
    SetPrefix {
        id: NodeId,
        prefix: String,
    },
    SaveScope {
        original: Option<String>,
        scope: Scope,
    },
    RemoveScope {
        id: String,
    },
    /// Add a scope that was made required to every key that lacks it.
    GrantScope {
        id: String,
    },
}

/// API keys: minting, editing, rolling, revoking, and the bulk selection.
pub enum KeyCommand {
    Create {
        node: NodeId,
        new: NewKey,
    },
    SetScopes {
        key_id: String,
        scopes: Vec<String>,
        full_access: bool,
    },
    /// Open the scope editor of a key, with its workspace's catalog.
    EditScopes {
        key_id: String,
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
    Select {
        key_id: String,
        on: bool,
        /// Shift-click: the same for every shown row from the last ticked one to this one.
        range_to: Option<usize>,
    },
    Delete {
        key_id: String,
    },
    /// Name, description, owner, tags, expiry.
    Edit {
        key_id: String,
        edit: KeyEdit,
    },
    /// A key's details edited in place: the edit, and its scopes when they changed.
    Save {
        key_id: String,
        edit: KeyEdit,
        scopes: Option<(Vec<String>, bool)>,
    },
}

/// The Health view and its findings banner.
pub enum HealthCommand {
    /// The Health view instead of a node.
    Show,
    /// Show findings of this kind only in the Health view (`None`: all).
    Filter(Option<FindingKind>),
    /// Hide the findings banner until the next unlock.
    DismissBanner,
    Acknowledge {
        subject: String,
        kind: FindingKind,
        until: Timestamp,
        reason: String,
    },
}

/// "Scan a folder…" for leaked secrets.
pub enum ScanCommand {
    SetFolder(String),
    SetHidden(bool),
    /// Open the native folder picker (on its own thread).
    PickFolder,
    Start,
    Cancel,
}

/// The secret shown once, and the secrets never handed over.
pub enum SecretCommand {
    Copy,
    /// Copy the ready `curl` line, with the secret in it.
    CopyCurl,
    Download,
    /// Close the secret dialog; a lock it held back goes on, a held-back quit does not (it
    /// was answered: Keyward stayed open).
    Close,
    /// Close the secret dialog and quit, as the user asked again.
    CloseAndQuit,
    /// Revoke the key of a secret that was never handed over, and drop the secret.
    Discard,
    /// Put the list of never-delivered secrets off until the next unlock.
    UndeliveredLater,
}

/// The passphrase and the members: work that re-keys the vault on a worker thread.
pub enum TeamCommand {
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
}

/// The window's own settings (kept across runs, not in the vault).
pub enum SettingsCommand {
    Apply(Settings),
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
        Command::View(ViewCommand::Open(Box::new(dialog)))
    }

    /// Closes the open dialog.
    pub fn close_dialog() -> Command {
        Command::View(ViewCommand::CloseDialog)
    }
}

/// A message in the status bar.
pub struct Status {
    pub text: String,
    pub error: bool,
    /// When it was said: a message fades after a while; an error stays until dismissed.
    pub since: std::time::Instant,
}
