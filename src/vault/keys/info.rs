//! A key as lists and details show it: its status, what a listing shows ([`KeyInfo`], derived
//! from the sealed record in `record.rs`) and what people write about it ([`KeyDetails`]).

use serde::{Deserialize, Serialize};

use crate::vault::error::{Error, Result};
use crate::vault::model::{EXPIRING_SOON_SECS, NodeId, Timestamp};
use crate::vault::time_text::{ser_opt_time, ser_time};
use keyward_verify::Policy;
use keyward_verify::limits::KeyLimits;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    ExpiringSoon,
    Expired,
    Revoked,
    /// The record failed its integrity check; listed so nothing is hidden.
    Tampered,
    /// Still working, but its secret was found in a file or a stream by `keyward scan`.
    Exposed,
}

impl KeyStatus {
    /// Whether verification accepts the key's current secret (an exposed key still works:
    /// rolling or revoking it is the fix).
    pub fn works(self) -> bool {
        matches!(
            self,
            KeyStatus::Active | KeyStatus::ExpiringSoon | KeyStatus::Exposed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::ExpiringSoon => "expiring_soon",
            KeyStatus::Expired => "expired",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Tampered => "tampered",
            KeyStatus::Exposed => "exposed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::ExpiringSoon => "Expiring soon",
            KeyStatus::Expired => "Expired",
            KeyStatus::Revoked => "Revoked",
            KeyStatus::Tampered => "Tampered",
            KeyStatus::Exposed => "Exposed",
        }
    }
}

/// A key as lists show it. Never holds the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub key_id: String,
    pub name: String,
    /// Path of the node the key belongs to.
    pub node: String,
    pub node_id: NodeId,
    /// Its scopes as they stand, expiry and whether it is revoked: what the decision reads.
    pub policy: Policy,
    pub full_access: bool,
    pub created_at: Timestamp,
    /// The newer of the vault's own stamp (verification through the vault) and the usage
    /// files `keyward serve` writes beside the vault's publish targets.
    pub last_used_at: Option<Timestamp>,
    /// Checks that found the key through `keyward serve` in the last 24 hours and 30 days, from
    /// the usage files beside the publish targets; `None` when no usage file mentions it.
    pub uses_24h: Option<u64>,
    pub uses_30d: Option<u64>,
    /// For a key with credits: what is left as `keyward serve` last counted (usage files).
    pub credits_left: Option<u64>,
    pub revoked_at: Option<Timestamp>,
    pub status: KeyStatus,
    /// `prefix_abcd…wxyz`.
    pub display: String,
    /// Description, owner and tags.
    pub details: KeyDetails,
    /// After a roll with a grace period: when the previous secret stops working.
    pub old_secret_valid_until: Option<Timestamp>,
}

/// The listing's JSON (`key list/show --json`): its fields by name in the order scripts
/// have always read them, the policy's in place; borrowed, so printing copies nothing.
#[derive(Serialize)]
struct KeyInfoJson<'a> {
    key_id: &'a str,
    name: &'a str,
    node: &'a str,
    scopes: &'a [String],
    full_access: bool,
    #[serde(serialize_with = "ser_time")]
    created_at: Timestamp,
    #[serde(serialize_with = "ser_opt_time")]
    expires_at: Option<Timestamp>,
    #[serde(serialize_with = "ser_opt_time")]
    last_used_at: Option<Timestamp>,
    uses_24h: Option<u64>,
    uses_30d: Option<u64>,
    #[serde(serialize_with = "ser_opt_time")]
    revoked_at: Option<Timestamp>,
    status: KeyStatus,
    display: &'a str,
    #[serde(flatten)]
    details: &'a KeyDetails,
    #[serde(
        serialize_with = "ser_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    old_secret_valid_until: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limits: Option<&'a KeyLimits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credits_left: Option<u64>,
}

impl Serialize for KeyInfo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        KeyInfoJson {
            key_id: &self.key_id,
            name: &self.name,
            node: &self.node,
            scopes: &self.policy.scopes,
            full_access: self.full_access,
            created_at: self.created_at,
            expires_at: self.policy.expires_at,
            last_used_at: self.last_used_at,
            uses_24h: self.uses_24h,
            uses_30d: self.uses_30d,
            revoked_at: self.revoked_at,
            status: self.status,
            display: &self.display,
            details: &self.details,
            old_secret_valid_until: self.old_secret_valid_until,
            limits: self.policy.limits.as_deref(),
            credits_left: self.credits_left,
        }
        .serialize(s)
    }
}

/// What people write about a key: what it is for, who holds it, and tags to find it by.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDetails {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl KeyDetails {
    pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
    pub const MAX_OWNER_CHARS: usize = 128;
    pub const MAX_TAGS: usize = 32;

    /// A tag: 1 to 32 of lowercase a–z, 0–9, `.`, `_`, `-`.
    pub fn validate_tag(tag: &str) -> Result<String> {
        let tag = tag.trim().to_lowercase();
        let ok = (1..=32).contains(&tag.len())
            && tag
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !ok {
            return Err(Error::bad_input(
                "tag",
                format!("tag '{tag}' must be 1 to 32 of a-z, 0-9, '.', '_' or '-'"),
            ));
        }
        Ok(tag)
    }
}

pub fn status_at(
    now: Timestamp,
    revoked_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
) -> KeyStatus {
    if revoked_at.is_some() {
        KeyStatus::Revoked
    } else {
        match expires_at {
            Some(t) if t <= now => KeyStatus::Expired,
            Some(t) if t.saturating_sub(now) < EXPIRING_SOON_SECS => KeyStatus::ExpiringSoon,
            _ => KeyStatus::Active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rules() {
        let now = 1_000_000;
        assert_eq!(status_at(now, None, None), KeyStatus::Active);
        assert_eq!(
            status_at(now, None, Some(now + 8 * 86_400)),
            KeyStatus::Active
        );
        assert_eq!(
            status_at(now, None, Some(now + 86_400)),
            KeyStatus::ExpiringSoon
        );
        assert_eq!(status_at(now, None, Some(now)), KeyStatus::Expired);
        assert_eq!(status_at(now, Some(now - 1), None), KeyStatus::Revoked);
    }
}
