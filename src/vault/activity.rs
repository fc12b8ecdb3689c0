//! The append-only, hash-chained activity log. Each entry's hash covers the previous entry's
//! hash, so removing, reordering or editing an entry breaks the chain (`doctor` finds it).
//! Details (paths, names, key ids) are sealed; secrets are never passed in.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::error::Result;
use super::model::{NodeId, Timestamp};
use super::{Vault, crypto, store};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    VaultCreated,
    UnlockFailed,
    WorkspaceAdded,
    ProjectAdded,
    EnvironmentAdded,
    NodeRenamed,
    NodeDeleted,
    ScopeAdded,
    ScopeUpdated,
    ScopeRemoved,
    KeyCreated,
    KeyScopesChanged,
    KeyRolled,
    KeyRevoked,
    KeyDeleted,
    KeyCopied,
    KeyDownloaded,
    VerifierExported,
    PassphraseChanged,
    BackupWritten,
}

impl Action {
    const ALL: [Action; 20] = [
        Action::VaultCreated,
        Action::UnlockFailed,
        Action::WorkspaceAdded,
        Action::ProjectAdded,
        Action::EnvironmentAdded,
        Action::NodeRenamed,
        Action::NodeDeleted,
        Action::ScopeAdded,
        Action::ScopeUpdated,
        Action::ScopeRemoved,
        Action::KeyCreated,
        Action::KeyScopesChanged,
        Action::KeyRolled,
        Action::KeyRevoked,
        Action::KeyDeleted,
        Action::KeyCopied,
        Action::KeyDownloaded,
        Action::VerifierExported,
        Action::PassphraseChanged,
        Action::BackupWritten,
    ];

    /// The stable name stored in the log (`key.create`).
    pub fn code(self) -> &'static str {
        match self {
            Action::VaultCreated => "vault.create",
            Action::UnlockFailed => "unlock.fail",
            Action::WorkspaceAdded => "workspace.add",
            Action::ProjectAdded => "project.add",
            Action::EnvironmentAdded => "env.add",
            Action::NodeRenamed => "node.rename",
            Action::NodeDeleted => "node.delete",
            Action::ScopeAdded => "scope.add",
            Action::ScopeUpdated => "scope.edit",
            Action::ScopeRemoved => "scope.remove",
            Action::KeyCreated => "key.create",
            Action::KeyScopesChanged => "key.scopes",
            Action::KeyRolled => "key.roll",
            Action::KeyRevoked => "key.revoke",
            Action::KeyDeleted => "key.delete",
            Action::KeyCopied => "key.copy",
            Action::KeyDownloaded => "key.download",
            Action::VerifierExported => "verifier.export",
            Action::PassphraseChanged => "passphrase.change",
            Action::BackupWritten => "backup",
        }
    }

    pub fn from_code(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// One decrypted log entry.
#[derive(Clone, Debug, Serialize)]
pub struct ActivityEntry {
    pub seq: i64,
    #[serde(serialize_with = "ser_time")]
    pub at: Timestamp,
    pub action: String,
    /// Path of the node it concerned, as it was then.
    pub node: String,
    pub detail: String,
    /// False when the sealed detail failed its integrity check.
    pub intact: bool,
}

fn ser_time<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::format_time(*t))
}

#[derive(Serialize, Deserialize)]
struct Detail {
    node: String,
    detail: String,
}

fn entry_hash(
    prev: &[u8],
    seq: i64,
    at: Timestamp,
    action: &str,
    node: Option<NodeId>,
    sealed: Option<&[u8]>,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(b"keyward/activity/v1");
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&at.to_be_bytes());
    buf.extend_from_slice(&(action.len() as u64).to_be_bytes());
    buf.extend_from_slice(action.as_bytes());
    buf.extend_from_slice(&node.unwrap_or(-1).to_be_bytes());
    match sealed {
        Some(s) => {
            buf.push(1);
            buf.extend_from_slice(s);
        }
        None => buf.push(0),
    }
    crypto::sha256(&buf).to_vec()
}

pub(super) fn append(
    vault: &Vault,
    tx: &Connection,
    action: Action,
    node: Option<NodeId>,
    path: &str,
    detail: &str,
) -> Result<()> {
    let seq = store::last_activity(tx)?.map_or(1, |(s, _)| s + 1);
    let sealed = vault.seal_json(
        "activity",
        seq,
        &Detail {
            node: path.to_owned(),
            detail: detail.to_owned(),
        },
    )?;
    append_row(tx, action, node, Some(sealed), vault.now())
}

/// Appends a row; `sealed` is `None` only where there is no data key (a failed unlock).
pub(super) fn append_row(
    tx: &Connection,
    action: Action,
    node: Option<NodeId>,
    sealed: Option<Vec<u8>>,
    at: Timestamp,
) -> Result<()> {
    let (seq, prev_hash) = match store::last_activity(tx)? {
        Some((s, h)) => (s + 1, h),
        None => (1, vec![0u8; 32]),
    };
    let hash = entry_hash(&prev_hash, seq, at, action.code(), node, sealed.as_deref());
    store::insert_activity(
        tx,
        &store::ActivityRow {
            seq,
            at,
            action: action.code().to_owned(),
            node_id: node,
            sealed,
            prev_hash,
            hash,
        },
    )
}

pub(super) fn read(
    vault: &Vault,
    node: Option<NodeId>,
    limit: usize,
) -> Result<Vec<ActivityEntry>> {
    let wanted: Option<Vec<NodeId>> = match node {
        Some(id) => Some(vault.tree()?.subtree(id)),
        None => None,
    };
    let mut out = Vec::new();
    // Filtering by node happens after reading, so scan generously for a node's view.
    let scan = if wanted.is_some() {
        limit.saturating_mul(20).max(2_000)
    } else {
        limit
    };
    for row in store::activity_rows(&vault.conn, scan)? {
        if let Some(ids) = &wanted
            && !row.node_id.is_some_and(|n| ids.contains(&n))
        {
            continue;
        }
        let detail: Option<Detail> = row
            .sealed
            .as_deref()
            .and_then(|s| vault.open_json("activity", row.seq, s));
        let intact = row.sealed.is_none() || detail.is_some();
        let detail = detail.unwrap_or(Detail {
            node: String::new(),
            detail: if intact {
                String::new()
            } else {
                "(unreadable: tampered)".into()
            },
        });
        out.push(ActivityEntry {
            seq: row.seq,
            at: row.at,
            action: row.action,
            node: detail.node,
            detail: detail.detail,
            intact,
        });
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Walks the whole chain; returns the entry count and what is wrong with it.
pub(super) fn check_chain(vault: &Vault, conn: &Connection) -> Result<(usize, Vec<String>)> {
    let rows = store::all_activity(conn)?;
    let mut problems = Vec::new();
    let mut prev = vec![0u8; 32];
    let mut expected_seq = 1;
    for row in &rows {
        if row.seq != expected_seq {
            problems.push(format!(
                "activity log: entry {} follows entry {} (entries missing)",
                row.seq,
                expected_seq - 1
            ));
        }
        if row.prev_hash != prev {
            problems.push(format!(
                "activity log: entry {} does not chain to the one before",
                row.seq
            ));
        }
        let hash = entry_hash(
            &row.prev_hash,
            row.seq,
            row.at,
            &row.action,
            row.node_id,
            row.sealed.as_deref(),
        );
        if hash != row.hash {
            problems.push(format!("activity log: entry {} was altered", row.seq));
        }
        if Action::from_code(&row.action).is_none() {
            problems.push(format!(
                "activity log: entry {} has an unknown action",
                row.seq
            ));
        }
        if let Some(s) = &row.sealed
            && vault.open_json::<Detail>("activity", row.seq, s).is_none()
        {
            problems.push(format!(
                "activity log: entry {} failed its integrity check",
                row.seq
            ));
        }
        prev = row.hash.clone();
        expected_seq = row.seq + 1;
    }
    Ok((rows.len(), problems))
}
