//! The shapes of sealed records (what is inside each AEAD blob) and their associated data.

use serde::{Deserialize, Serialize};

use zeroize::Zeroizing;

use super::commitment::Table;
use super::crypto::{KdfParams, Sealer};
use super::error::{Error, Result};
use super::model::{NodeId, NodeKind, Scope, Timestamp};

/// What binds a sealed row to its place: table, row id and version. A blob moved to another
/// row, or put back after the row changed, fails to open or fails the commitment.
pub fn aad(table: Table, id: i64, version: i64) -> Vec<u8> {
    format!("keyward/v2/{}/{id}/{version}", table.name()).into_bytes()
}

/// The same for schema 1 (no versions), to read a v1 file while upgrading it.
pub fn aad_v1(table: &str, id: i64) -> Vec<u8> {
    format!("keyward/v1/{table}/{id}").into_bytes()
}

/// Seals a record as JSON under `sealer`, bound to its table, id and version.
pub fn seal_record<T: Serialize>(
    sealer: &Sealer,
    table: Table,
    id: i64,
    version: i64,
    value: &T,
) -> Result<Vec<u8>> {
    let plain =
        Zeroizing::new(serde_json::to_vec(value).map_err(|e| Error::Corrupt(e.to_string()))?);
    Ok(sealer.seal(&aad(table, id, version), &plain))
}

pub const WRAP_AAD_V1: &[u8] = b"keyward/v1/data-key";
pub const WRAP_AAD: &[u8] = b"keyward/v2/data-key";

#[derive(Serialize, Deserialize)]
pub struct KdfMeta {
    pub params: KdfParams,
    pub salt: String,
}

#[derive(Serialize, Deserialize)]
pub struct NodeData {
    pub kind: NodeKind,
    pub parent: NodeId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
}

#[derive(Serialize, Deserialize)]
pub struct PreviousSecret {
    pub sha256: String,
    pub valid_until: Timestamp,
}

#[derive(Serialize, Deserialize)]
pub struct KeyData {
    pub key_id: String,
    pub node_id: NodeId,
    pub name: String,
    pub scopes: Vec<String>,
    pub full_access: bool,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub sha256: String,
    pub display: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousSecret>,
    /// Where `keyward scan` found the current secret (`file:line`, or `stdin:line`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Failed unlocks happen without the data key, so they are counted outside the sealed state
/// and folded into the activity chain at the next unlock.
#[derive(Serialize, Deserialize, Default)]
pub struct UnlockFailures {
    pub count: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
}

pub const UNLOCK_FAILURES_META: &str = "unlock_failures";
