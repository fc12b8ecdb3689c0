//! The rows the vault and a store exchange: ids, versions, timestamps, blind tags and sealed
//! bytes. Nothing here is a name, a scope or a secret.

use crate::vault::model::{NodeId, Timestamp};

/// One raw row of `keys`.
#[derive(Clone, Debug)]
pub struct KeyRow {
    pub id: i64,
    pub node_id: NodeId,
    pub key_id: String,
    pub version: i64,
    pub full_access: bool,
    pub last_used_at: Option<Timestamp>,
    pub sealed: Vec<u8>,
    /// Set by lookups: whether the presented secret matched the previous (rolled) secret.
    pub matched_previous: bool,
    /// A plaintext column held a value of the wrong type.
    pub malformed: bool,
}

#[derive(Clone, Debug)]
pub struct NodeRow {
    pub id: NodeId,
    pub parent_id: NodeId,
    pub kind: i64,
    pub version: i64,
    pub sealed: Vec<u8>,
    pub malformed: bool,
}

impl KeyRow {
    /// The sealed bytes to check against the commitment: none when a plain column was
    /// unreadable (so the row never passes as the committed one).
    pub fn checked_seal(&self) -> &[u8] {
        if self.malformed { &[] } else { &self.sealed }
    }
}

impl NodeRow {
    /// See [`KeyRow::checked_seal`].
    pub fn checked_seal(&self) -> &[u8] {
        if self.malformed { &[] } else { &self.sealed }
    }
}

#[derive(Clone, Debug)]
pub struct ActivityRow {
    pub seq: i64,
    pub at: Timestamp,
    pub action: String,
    pub node_id: Option<NodeId>,
    pub sealed: Vec<u8>,
    pub mac: Vec<u8>,
    pub malformed: bool,
}

pub struct NewKeyRow<'a> {
    pub node_id: NodeId,
    pub key_id: &'a str,
    pub name_tag: &'a [u8],
    pub lookup: &'a [u8],
    pub full_access: bool,
}

/// The blind tags of a key row, for upgrades and re-keying.
pub struct KeyTags<'a> {
    pub name_tag: &'a [u8],
    pub lookup: &'a [u8],
    pub prev_lookup: Option<&'a [u8]>,
}

/// The blind indexes of one row, as stored.
pub struct IndexRow {
    pub id: i64,
    pub name_tag: Vec<u8>,
    pub lookup: Vec<u8>,
    pub prev_lookup: Option<Vec<u8>>,
}

/// An activity row of the table being rebuilt, with what schema 1 kept beside it.
pub struct OldActivity {
    pub row: ActivityRow,
    /// Schema 1 only: the unkeyed chain's previous hash and this entry's hash (`row.mac`).
    pub prev_hash: Vec<u8>,
    /// Schema 1 logged failed unlocks without a sealed detail.
    pub had_sealed: bool,
}

/// The AUTOINCREMENT counters to carry over.
pub struct Sequences {
    pub nodes: i64,
    pub keys: i64,
}
