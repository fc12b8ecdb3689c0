//! The append-only activity log: a keyed chain. Each entry's MAC (HMAC-SHA-256 under the
//! log subkey) covers the previous entry's MAC and every field of the entry, and the newest
//! entry is committed in the state commitment, so an edited, removed, reordered or cut entry
//! is found by `doctor`. Details (paths, names, key ids) are sealed, with the entry's fields
//! bound in as associated data; secrets are never passed in.

use serde::{Deserialize, Serialize};

use crate::vault::crypto;
use crate::vault::error::{Error, Result};
use crate::vault::handle::Vault;
use crate::vault::model::{NodeId, Timestamp};
use crate::vault::store::{self, Store};

impl Vault {
    /// The activity log, newest first, for `node` and below (everything when `None`).
    pub fn activity(&self, node: Option<NodeId>, limit: usize) -> Result<Vec<ActivityEntry>> {
        read(self, node, Window::newest(limit))
    }

    /// The activity log's entries within `window`, newest first, for `node` and below: what
    /// `keyward log --since` and `--follow` read.
    pub fn activity_within(
        &self,
        node: Option<NodeId>,
        window: Window,
    ) -> Result<Vec<ActivityEntry>> {
        read(self, node, window)
    }

    /// Appends an entry inside a write; a change to keys marks its node for the publish targets.
    pub(in crate::vault) fn log(
        &self,
        tx: &dyn Store,
        action: Action,
        node: Option<NodeId>,
        path: &str,
        detail: &str,
    ) -> Result<()> {
        if action.changes_keys() {
            self.touched.borrow_mut().push(node);
        }
        append(self, tx, action, node, path, detail)
    }
}

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
    VaultUpgraded,
    KeyShown,
    PublishAdded,
    PublishRemoved,
    KeyExposed,
    KeyEdited,
    FindingAcknowledged,
    SigningKeyCreated,
    PrefixChanged,
    MemberAdded,
    MemberRemoved,
    SigningKeyRotated,
}

impl Action {
    const ALL: [Action; 32] = [
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
        Action::VaultUpgraded,
        Action::KeyShown,
        Action::PublishAdded,
        Action::PublishRemoved,
        Action::KeyExposed,
        Action::KeyEdited,
        Action::FindingAcknowledged,
        Action::SigningKeyCreated,
        Action::PrefixChanged,
        Action::MemberAdded,
        Action::MemberRemoved,
        Action::SigningKeyRotated,
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
            Action::VaultUpgraded => "vault.upgrade",
            Action::KeyShown => "key.shown",
            Action::PublishAdded => "publish.add",
            Action::PublishRemoved => "publish.rm",
            Action::KeyExposed => "key.exposed",
            Action::KeyEdited => "key.edit",
            Action::FindingAcknowledged => "health.ack",
            Action::SigningKeyCreated => "signing_key.create",
            Action::PrefixChanged => "env.prefix",
            Action::MemberAdded => "member.add",
            Action::MemberRemoved => "member.rm",
            Action::SigningKeyRotated => "signing_key.rotate",
        }
    }

    pub fn from_code(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// Which entries a read of the log returns: at most `limit` of the newest, none from before
/// `since` and none at or before the entry numbered `after`. Reading stops at the first entry
/// out of the window (entries are in commit order; a member's clock running behind can put an
/// entry just before `since` among newer ones, and it is left out with everything older).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub limit: usize,
    pub since: Option<Timestamp>,
    pub after: Option<i64>,
}

impl Window {
    /// The newest `limit` entries.
    pub fn newest(limit: usize) -> Window {
        Window {
            limit,
            since: None,
            after: None,
        }
    }

    /// Whether reading (newest first) has gone past the window's oldest entry.
    fn ends_before(&self, row: &store::ActivityRow) -> bool {
        self.since.is_some_and(|t| row.at < t) || self.after.is_some_and(|seq| row.seq <= seq)
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
    /// The member who made the change (empty for entries from before members).
    pub member: String,
    /// False when the sealed detail failed its integrity check.
    pub intact: bool,
}

fn ser_time<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::vault::model::format_time(*t))
}

#[derive(Serialize, Deserialize)]
pub(super) struct Detail {
    pub node: String,
    pub detail: String,
    /// Who made the change (sealed with the rest; absent in entries from before members).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub member: String,
}

/// The fields of an entry that its seal and MAC bind.
pub(super) struct Fields<'a> {
    pub seq: i64,
    pub at: Timestamp,
    pub action: &'a str,
    pub node: Option<NodeId>,
}

impl Fields<'_> {
    pub fn aad(&self) -> Vec<u8> {
        format!(
            "keyward/v2/activity/{}/{}/{}/{}",
            self.seq,
            self.at,
            self.action,
            self.node.map_or("-".to_owned(), |n| n.to_string())
        )
        .into_bytes()
    }

    fn of(row: &store::ActivityRow) -> Fields<'_> {
        Fields {
            seq: row.seq,
            at: row.at,
            action: &row.action,
            node: row.node_id,
        }
    }
}

/// The MAC of an entry, chained to the previous entry's MAC (empty for the first).
pub(super) fn entry_mac(
    sealer: &crypto::Sealer,
    prev: &[u8],
    f: &Fields<'_>,
    sealed: &[u8],
) -> Vec<u8> {
    sealer.chain(&[
        b"keyward/v2/activity",
        prev,
        &f.seq.to_be_bytes(),
        &f.at.to_be_bytes(),
        f.action.as_bytes(),
        &f.node.unwrap_or(-1).to_be_bytes(),
        &[u8::from(f.node.is_some())],
        sealed,
    ])
}

/// Seals a detail for an entry and chains it: the row to insert.
pub(super) fn sealed_row(
    sealer: &crypto::Sealer,
    prev: &[u8],
    f: &Fields<'_>,
    detail: &Detail,
) -> Result<store::ActivityRow> {
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(detail).map_err(|e| Error::damaged("activity log", e.to_string()))?,
    );
    let sealed = sealer.seal(&f.aad(), &plain);
    let mac = entry_mac(sealer, prev, f, &sealed);
    Ok(store::ActivityRow {
        seq: f.seq,
        at: f.at,
        action: f.action.to_owned(),
        node_id: f.node,
        sealed,
        mac,
        malformed: false,
    })
}

pub(super) fn append(
    vault: &Vault,
    tx: &dyn Store,
    action: Action,
    node: Option<NodeId>,
    path: &str,
    detail: &str,
) -> Result<()> {
    let at = vault.now();
    append_with(
        &vault.sealer,
        tx,
        at,
        &vault.member,
        action,
        node,
        path,
        detail,
    )
}

/// Appends an entry sealed and chained under `sealer` (re-keying appends its own entry under
/// the new key before the vault holds it).
#[allow(clippy::too_many_arguments)]
pub(super) fn append_with(
    sealer: &crypto::Sealer,
    tx: &dyn Store,
    at: Timestamp,
    member: &str,
    action: Action,
    node: Option<NodeId>,
    path: &str,
    detail: &str,
) -> Result<()> {
    let (seq, prev) = match tx.last_activity()? {
        Some((s, mac)) => (
            s.checked_add(1).ok_or_else(|| {
                Error::damaged("activity log", "the activity log's sequence overflowed")
            })?,
            mac,
        ),
        None => (1, Vec::new()),
    };
    let fields = Fields {
        seq,
        at,
        action: action.code(),
        node,
    };
    let row = sealed_row(
        sealer,
        &prev,
        &fields,
        &Detail {
            node: path.to_owned(),
            detail: detail.to_owned(),
            member: member.to_owned(),
        },
    )?;
    tx.insert_activity(&row)
}

pub(super) fn open_detail(vault: &Vault, row: &store::ActivityRow) -> Option<Detail> {
    if row.malformed {
        return None;
    }
    let plain = vault.sealer.open(&Fields::of(row).aad(), &row.sealed)?;
    serde_json::from_slice(&plain).ok()
}

/// An entry as shown: its row's plain columns and its opened detail.
pub(super) fn entry_of(row: store::ActivityRow, detail: Detail, intact: bool) -> ActivityEntry {
    ActivityEntry {
        seq: row.seq,
        at: row.at,
        action: row.action,
        node: detail.node,
        detail: detail.detail,
        member: detail.member,
        intact,
    }
}

pub(super) fn read(
    vault: &Vault,
    node: Option<NodeId>,
    window: Window,
) -> Result<Vec<ActivityEntry>> {
    let limit = window.limit;
    if limit == 0 {
        return Ok(Vec::new());
    }
    // The node's subtree as it is now, and its path: entries of nodes deleted since stay
    // listed under the node they were in (by the path they had), the delete itself included.
    struct Filter {
        ids: std::collections::HashSet<NodeId>,
        live: std::collections::HashSet<NodeId>,
        path: String,
    }
    let filter = match node {
        Some(id) => {
            let tree = vault.tree()?;
            Some(Filter {
                ids: tree.subtree(id).into_iter().collect(),
                live: tree.nodes.keys().copied().collect(),
                path: tree.path_of(id),
            })
        }
        None => None,
    };
    let mut out = Vec::new();
    let mut before = None;
    // Filtering by node happens after reading, so read pages until enough entries matched.
    loop {
        let page = vault.conn.activity_page(before, limit.clamp(100, 5_000))?;
        let Some(last) = page.last() else { break };
        before = Some(last.seq);
        for row in page {
            if window.ends_before(&row) {
                return Ok(out);
            }
            let mut detail = None;
            if let Some(f) = &filter
                && !row.node_id.is_some_and(|n| f.ids.contains(&n))
            {
                let gone = row.node_id.is_some_and(|n| !f.live.contains(&n));
                if !gone {
                    continue;
                }
                detail = open_detail(vault, &row);
                let under = detail.as_ref().is_some_and(|d| {
                    d.node == f.path
                        || (d.node.starts_with(&f.path) && d.node[f.path.len()..].starts_with('/'))
                });
                if !under {
                    continue;
                }
            }
            let detail = detail.or_else(|| open_detail(vault, &row));
            let intact = detail.is_some();
            let detail = detail.unwrap_or(Detail {
                node: String::new(),
                detail: "(unreadable: tampered)".into(),
                member: String::new(),
            });
            out.push(entry_of(row, detail, intact));
            if out.len() >= limit {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// Walks the whole chain against the committed head; returns the entry count and what is
/// wrong with it.
pub(super) fn check_chain(
    vault: &Vault,
    conn: &dyn Store,
    head: Option<(i64, &str)>,
) -> Result<(usize, Vec<String>)> {
    let mut problems = Vec::new();
    let mut prev: Vec<u8> = Vec::new();
    let mut expected_seq = 1i64;
    let mut count = 0usize;
    let mut last_seq = 0;
    conn.each_activity(&mut |row| {
        count += 1;
        if row.seq != expected_seq {
            problems.push(format!(
                "activity log: entry {} follows entry {} (entries missing or reordered)",
                row.seq,
                expected_seq.saturating_sub(1)
            ));
        }
        let fields = Fields::of(&row);
        let mac = entry_mac(&vault.sealer, &prev, &fields, &row.sealed);
        if row.malformed || !crypto::ct_eq(&mac, &row.mac) {
            problems.push(format!(
                "activity log: entry {} was altered or does not chain to the one before",
                row.seq
            ));
        }
        if Action::from_code(&row.action).is_none() {
            problems.push(format!(
                "activity log: entry {} has an unknown action",
                row.seq
            ));
        }
        if open_detail(vault, &row).is_none() {
            problems.push(format!(
                "activity log: entry {} failed its integrity check",
                row.seq
            ));
        }
        prev = row.mac;
        last_seq = row.seq;
        expected_seq = row.seq.saturating_add(1);
        Ok(())
    })?;
    if let Some((seq, mac_hex)) = head
        && (last_seq != seq || crypto::to_hex(&prev) != mac_hex)
    {
        problems.push(if last_seq < seq {
            format!("activity log: cut after entry {last_seq}; the vault committed {seq} entries")
        } else {
            format!(
                "activity log: its newest entry ({last_seq}) is not the one the vault committed ({seq})"
            )
        });
    }
    Ok((count, problems))
}
