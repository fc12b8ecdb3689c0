//! The sealed root of the state commitment: what it records besides the buckets' digests
//! (the activity log's head, the transaction counter, the signing keys, the members and the
//! security settings), and how it is sealed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::vault::crypto::Sealer;
use crate::vault::error::{Error, Result};

const ROOT_AAD: &[u8] = b"keyward/v2/commitment";

/// The sealed root.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Root {
    /// Counts committed changes.
    pub tx: u64,
    /// The activity log's newest entry and its MAC (hex); 0 and "" for an empty log.
    pub activity_seq: i64,
    pub activity_mac: String,
    /// `table/bucket` → hex digest of the bucket's bytes.
    pub buckets: BTreeMap<String, String>,
    /// The public key (hex) of the vault's signing key, once it has one: a deleted or
    /// replaced signing key is then tampered, never made anew.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signing_key: String,
    /// When the current signing key was made by a rotation (`None`: made with the vault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key_since: Option<crate::vault::model::Timestamp>,
    /// Signing keys replaced by a rotation, oldest first: files they sign are not this
    /// vault's any more once services trust only the current key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired_signing_keys: Vec<RetiredSigningKey>,
    /// Digests of the security settings kept outside the sealed tables (publish targets,
    /// health acknowledgements), by name: a deleted or older copy no longer matches. Absent in
    /// a root from before them, until its next write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    /// The members, each with the public key their slot must have (empty in a vault from
    /// before members, until its first unlock).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberRecord>,
}

/// A signing key that a rotation replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredSigningKey {
    /// The Ed25519 public key (hex).
    pub public: String,
    /// When it became the vault's key (`None`: made with the vault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<crate::vault::model::Timestamp>,
    pub retired_at: crate::vault::model::Timestamp,
}

/// A member as the commitment records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub name: String,
    /// The X25519 public key (hex) the data key is sealed to.
    pub public: String,
    pub added_at: crate::vault::model::Timestamp,
    /// The member's Ed25519 identity (hex), whose grants of data keys others accept; empty
    /// until the member's first unlock with a Keyward that makes one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identity: String,
    /// The key derivation parameters of the member's slot (absent in roots from before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<crate::vault::crypto::KdfParams>,
}

impl Root {
    pub fn seal(&self, sealer: &Sealer) -> Result<Vec<u8>> {
        let plain =
            serde_json::to_vec(self).map_err(|e| Error::damaged("commitment", e.to_string()))?;
        Ok(sealer.seal(ROOT_AAD, &plain))
    }

    pub fn open(sealer: &Sealer, sealed: &[u8]) -> Option<Root> {
        serde_json::from_slice(&sealer.open(ROOT_AAD, sealed)?).ok()
    }
}
