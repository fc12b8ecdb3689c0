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

/// [`aad`] on the stack: a walk over 100,000 rows builds one per row.
pub struct AadBuf {
    buf: [u8; 64],
    len: usize,
}

impl AadBuf {
    pub fn new(table: Table, id: i64, version: i64) -> AadBuf {
        use std::io::Write as _;
        let mut buf = [0u8; 64];
        let mut rest = &mut buf[..];
        // 11 + 5 + 2 + 2 × 20 bytes at most: it always fits.
        let written = write!(rest, "keyward/v2/{}/{id}/{version}", table.name());
        debug_assert!(written.is_ok(), "associated data fits 64 bytes");
        let len = 64 - rest.len();
        AadBuf { buf, len }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
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
    let plain = Zeroizing::new(
        serde_json::to_vec(value).map_err(|e| Error::damaged("record", e.to_string()))?,
    );
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

/// When a rolled key's previous secret stops working, read without its hash.
#[derive(Deserialize)]
pub struct PreviousUntil {
    /// Required as in a key record's `previous`, skipped.
    #[serde(rename = "sha256")]
    _sha256: serde::de::IgnoredAny,
    pub valid_until: Timestamp,
}

// A key's record is the keys folder's; its old path stays for the files that name it.
pub use crate::vault::keys::record::KeyData;

/// Failed unlocks happen without the data key, so they are counted outside the sealed state
/// and folded into the activity chain at the next unlock.
#[derive(Serialize, Deserialize, Default)]
pub struct UnlockFailures {
    pub count: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
}

pub const UNLOCK_FAILURES_META: &str = "unlock_failures";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associated_data_on_the_stack_is_the_same_bytes() {
        for (table, id, version) in [
            (Table::Keys, 1, 1),
            (Table::Nodes, i64::MAX, i64::MIN),
            (Table::Keys, -7, 0),
        ] {
            assert_eq!(
                AadBuf::new(table, id, version).as_bytes(),
                aad(table, id, version).as_slice()
            );
        }
    }
}
