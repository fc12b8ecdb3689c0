//! A key's sealed record, and the views derived from it: what a listing shows
//! ([`KeyInfo`]), the policy the decision reads and what a verifier file carries
//! ([`VerifierEntry`]). A field added to the record reaches them from here.

use serde::{Deserialize, Serialize};

use crate::vault::model::{KeyDetails, KeyInfo, KeyStatus, NodeId, Timestamp, status_at};
use crate::vault::nodes::tree::Tree;
use keyward_verify::limits::KeyLimits;
use keyward_verify::{Policy, Rolled, VerifierEntry};

/// What is sealed for a key. `H` is how its secret hashes are held: a listing reads the
/// record with `serde::de::IgnoredAny` there, so the parser skips them rather than copying
/// them, and a record that is not a whole key record is refused all the same.
///
/// The fields' names and order are the sealed format (the policy's fields are in place:
/// `scopes`, `full_access`, `expires_at`, `revoked_at`, `previous`).
#[derive(Serialize, Deserialize)]
pub struct KeyData<H = String> {
    pub key_id: String,
    pub node_id: NodeId,
    pub name: String,
    pub scopes: Vec<String>,
    pub full_access: bool,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub sha256: H,
    pub display: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Rolled<H>>,
    /// Where `keyward scan` found the current secret (`file:line`, or `stdin:line`); a
    /// listing reads only whether there is any place (a list of nothing takes no memory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed: Vec<H>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Rate limits, credits and allowed networks; absent for a key without any, so such a
    /// record is sealed exactly as before they existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Box<KeyLimits>>,
}

impl<H> KeyData<H> {
    /// The key's scopes as they stand: a full-access key has its node's whole catalog (the
    /// sealed list when the node's catalog cannot be read).
    pub fn scopes_in(&self, tree: &Tree) -> Vec<String> {
        if self.full_access {
            tree.catalog(self.node_id)
                .map(|c| c.iter().map(|s| s.id.clone()).collect())
                .unwrap_or_else(|_| self.scopes.clone())
        } else {
            self.scopes.clone()
        }
    }

    /// What the decision reads, with the key's `scopes` as they stand.
    pub fn policy(&self, scopes: Vec<String>) -> Policy {
        Policy {
            scopes,
            expires_at: self.expires_at,
            revoked: self.revoked_at.is_some(),
            limits: self.limits.clone(),
        }
    }

    /// The key as lists show it, at the node `node` (its path), as of `now`.
    pub fn into_info(
        self,
        scopes: Vec<String>,
        node: String,
        last_used_at: Option<Timestamp>,
        now: Timestamp,
    ) -> KeyInfo {
        let policy = self.policy(scopes);
        KeyInfo {
            status: listed_status(
                now,
                self.revoked_at,
                self.expires_at,
                !self.exposed.is_empty(),
            ),
            key_id: self.key_id,
            name: self.name,
            node,
            node_id: self.node_id,
            policy,
            full_access: self.full_access,
            created_at: self.created_at,
            last_used_at,
            uses_24h: None,
            uses_30d: None,
            credits_left: None,
            revoked_at: self.revoked_at,
            display: self.display,
            details: KeyDetails {
                description: self.description,
                owner: self.owner,
                tags: self.tags,
            },
            old_secret_valid_until: self.previous.map(|p| p.valid_until).filter(|t| *t > now),
        }
    }
}

impl KeyData {
    /// What a verifier file carries of the key (no secret, no name), with its `scopes` as
    /// they stand.
    pub fn into_verifier_entry(self, scopes: Vec<String>) -> VerifierEntry {
        VerifierEntry {
            policy: self.policy(scopes),
            key_id: self.key_id,
            sha256: self.sha256,
            previous: self.previous,
        }
    }
}

/// A key's status as lists show it: a working key whose secret was found somewhere is
/// `Exposed`.
pub fn listed_status(
    now: Timestamp,
    revoked_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    exposed: bool,
) -> KeyStatus {
    match status_at(now, revoked_at, expires_at) {
        KeyStatus::Active | KeyStatus::ExpiringSoon if exposed => KeyStatus::Exposed,
        status => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> KeyData {
        KeyData {
            key_id: "kid_1".into(),
            node_id: 7,
            name: "ci".into(),
            scopes: vec!["read".into(), "write".into()],
            full_access: false,
            created_at: 1_700_000_000,
            expires_at: Some(1_900_000_000),
            revoked_at: None,
            sha256: "aa".repeat(32),
            display: "acme_abcd…wxyz".into(),
            previous: Some(Rolled {
                sha256: "bb".repeat(32),
                valid_until: 1_800_000_000,
            }),
            exposed: vec!["src/app.py:3".into()],
            description: "deploys".into(),
            owner: "ops".into(),
            tags: vec!["prod".into()],
            limits: None,
        }
    }

    /// The sealed text is the vault's format: the same fields in the same order as the
    /// records already sealed, and empty optional fields left out.
    #[test]
    fn sealed_text_is_unchanged() {
        let text = serde_json::to_string(&record()).expect("a record serialises");
        let expected = format!(
            concat!(
                r#"{{"key_id":"kid_1","node_id":7,"name":"ci","scopes":["read","write"],"#,
                r#""full_access":false,"created_at":1700000000,"expires_at":1900000000,"#,
                r#""revoked_at":null,"sha256":"{a}","display":"acme_abcd…wxyz","#,
                r#""previous":{{"sha256":"{b}","valid_until":1800000000}},"#,
                r#""exposed":["src/app.py:3"],"description":"deploys","owner":"ops","#,
                r#""tags":["prod"]}}"#
            ),
            a = "aa".repeat(32),
            b = "bb".repeat(32),
        );
        assert_eq!(text, expected);
        let bare = KeyData {
            previous: None,
            exposed: Vec::new(),
            description: String::new(),
            owner: String::new(),
            tags: Vec::new(),
            ..record()
        };
        let text = serde_json::to_string(&bare).expect("a record serialises");
        assert!(text.ends_with(r#""display":"acme_abcd…wxyz"}"#), "{text}");
        // Limits come last, and reach the policy the decision and the verifier file read.
        let limits = KeyLimits {
            rate: vec!["100/min".parse().expect("a limit")],
            ..KeyLimits::default()
        };
        let limited = KeyData {
            limits: limits.clone().boxed(),
            ..record()
        };
        let text = serde_json::to_string(&limited).expect("a record serialises");
        assert!(
            text.ends_with(r#""tags":["prod"],"limits":{"rate":[{"name":"default","limit":100,"period_ms":60000}]}}"#),
            "{text}"
        );
        let back: KeyData = serde_json::from_str(&text).expect("it reads back");
        assert_eq!(back.policy(Vec::new()).limits.as_deref(), Some(&limits));
        assert_eq!(
            back.into_verifier_entry(Vec::new())
                .policy
                .limits
                .as_deref(),
            Some(&limits)
        );
    }

    /// A listing reads the same text without the hashes, and shows what the record holds.
    #[test]
    fn a_listing_reads_the_record_without_its_hashes() {
        let text = serde_json::to_string(&record()).expect("a record serialises");
        let listed: KeyData<serde::de::IgnoredAny> =
            serde_json::from_str(&text).expect("a listing reads it");
        let info = listed.into_info(vec!["read".into()], "acme".into(), None, 1_750_000_000);
        assert_eq!(info.status, KeyStatus::Exposed);
        assert_eq!(info.old_secret_valid_until, Some(1_800_000_000));
        assert_eq!(info.details.owner, "ops");
        assert!(
            serde_json::from_str::<KeyData<serde::de::IgnoredAny>>(r#"{"key_id":"kid_1"}"#)
                .is_err()
        );
    }

    /// `key list/show --json` print this: the same field names in the same order as before
    /// the listing held the policy.
    #[test]
    fn the_listing_json_is_unchanged() {
        let info = record().into_info(
            vec!["read".into()],
            "acme".into(),
            Some(1_750_000_100),
            1_750_000_000,
        );
        let text = serde_json::to_string(&info).expect("a listing serialises");
        let expected = concat!(
            r#"{"key_id":"kid_1","name":"ci","node":"acme","scopes":["read"],"#,
            r#""full_access":false,"created_at":"2023-11-14T22:13:20Z","#,
            r#""expires_at":"2030-03-17T17:46:40Z","last_used_at":"2025-06-15T15:08:20Z","#,
            r#""uses_24h":null,"uses_30d":null,"revoked_at":null,"status":"exposed","#,
            r#""display":"acme_abcd…wxyz","description":"deploys","owner":"ops","#,
            r#""tags":["prod"],"old_secret_valid_until":"2027-01-15T08:00:00Z"}"#
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn the_verifier_entry_carries_the_policy() {
        let entry = KeyData {
            revoked_at: Some(1_750_000_000),
            ..record()
        }
        .into_verifier_entry(vec!["read".into()]);
        assert!(entry.policy.revoked);
        assert_eq!(entry.policy.expires_at, Some(1_900_000_000));
        assert_eq!(entry.policy.scopes, ["read"]);
        assert_eq!(entry.previous.map(|p| p.valid_until), Some(1_800_000_000));
    }
}
