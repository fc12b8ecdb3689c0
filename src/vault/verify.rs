//! Checking a presented key: header parsing, the decision, and the vault-free verifier file.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::crypto;
use super::error::{Error, Result};
use super::model::{Timestamp, format_time, now};
use super::secret::Secret;

/// The answer to "is this key good for this request?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Valid,
    Malformed,
    NotFound,
    Revoked,
    Expired,
    InsufficientScope,
    Tampered,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Malformed => "malformed",
            Outcome::NotFound => "not_found",
            Outcome::Revoked => "revoked",
            Outcome::Expired => "expired",
            Outcome::InsufficientScope => "insufficient_scope",
            Outcome::Tampered => "tampered",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub result: Outcome,
    pub key_id: Option<String>,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        self.result == Outcome::Valid
    }

    pub(crate) fn of(result: Outcome, key_id: Option<String>, scopes: Vec<String>) -> Verification {
        Verification {
            result,
            key_id,
            scopes,
            reason: None,
        }
    }

    pub(crate) fn malformed(e: &Error) -> Verification {
        Verification {
            result: Outcome::Malformed,
            key_id: None,
            scopes: Vec::new(),
            reason: Some(match e {
                Error::Malformed(why) => why.clone(),
                other => other.to_string(),
            }),
        }
    }
}

/// Pulls the key out of `Authorization: Api-Key k`, `Api-Key k`, `Bearer k` or a bare `k`.
/// Header name and scheme match case-insensitively.
pub fn extract_key(presented: &str) -> Result<&str> {
    let mut text = presented.trim();
    if let Some((name, value)) = text.split_once(':')
        && name.trim().eq_ignore_ascii_case("authorization")
    {
        text = value.trim();
    }
    if let Some((scheme, rest)) = text.split_once(char::is_whitespace) {
        if scheme.eq_ignore_ascii_case("api-key") || scheme.eq_ignore_ascii_case("bearer") {
            text = rest.trim();
        } else {
            return Err(Error::Malformed(format!(
                "expected 'Api-Key <key>' or 'Bearer <key>', got scheme '{}'",
                scheme.chars().take(20).collect::<String>()
            )));
        }
    }
    let bare_scheme = text.eq_ignore_ascii_case("api-key") || text.eq_ignore_ascii_case("bearer");
    if text.is_empty() || bare_scheme {
        return Err(Error::Malformed("no key was presented".into()));
    }
    Ok(text)
}

/// The shared decision once a key has been found.
pub(crate) fn decide(
    now: Timestamp,
    revoked: bool,
    expires_at: Option<Timestamp>,
    grace_over: bool,
    scopes: &[String],
    required: &[&str],
) -> Outcome {
    if revoked {
        Outcome::Revoked
    } else if grace_over || expires_at.is_some_and(|t| t <= now) {
        Outcome::Expired
    } else if !required.iter().all(|r| scopes.iter().any(|s| s == r)) {
        Outcome::InsufficientScope
    } else {
        Outcome::Valid
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierPrevious {
    pub sha256: String,
    pub valid_until: Timestamp,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierEntry {
    pub key_id: String,
    pub sha256: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<VerifierPrevious>,
}

/// `keyward export-verifier` output: what a service needs to check keys with no vault and no
/// passphrase. Times are unix seconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifierFile {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u32,
    pub exported_at: String,
    pub keys: Vec<VerifierEntry>,
}

impl VerifierFile {
    pub const TYPE: &'static str = "keyward.verifier";

    pub(crate) fn new(at: Timestamp, keys: Vec<VerifierEntry>) -> VerifierFile {
        VerifierFile {
            kind: Self::TYPE.into(),
            version: 1,
            exported_at: format_time(at),
            keys,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

struct Entry {
    key_id: String,
    scopes: Vec<String>,
    expires_at: Option<Timestamp>,
    revoked: bool,
    /// For a rolled key's old secret: when it stops.
    valid_until: Option<Timestamp>,
}

/// Checks keys in memory, from a verifier file. Never sees a secret at rest.
pub struct Verifier {
    by_hash: HashMap<[u8; 32], Entry>,
}

impl Verifier {
    pub fn from_file_contents(json: &str) -> Result<Verifier> {
        let file: VerifierFile = serde_json::from_str(json)
            .map_err(|e| Error::Invalid(format!("not a Keyward verifier file: {e}")))?;
        Verifier::from_export(file)
    }

    pub fn load(path: &Path) -> Result<Verifier> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Verifier::from_file_contents(&text)
    }

    pub fn from_export(file: VerifierFile) -> Result<Verifier> {
        if file.kind != VerifierFile::TYPE {
            return Err(Error::Invalid(format!(
                "not a Keyward verifier file (type is '{}')",
                file.kind
            )));
        }
        if file.version != 1 {
            return Err(Error::Invalid(format!(
                "verifier file version {} is newer than this Keyward reads",
                file.version
            )));
        }
        let mut by_hash = HashMap::with_capacity(file.keys.len() * 2);
        let hash = |hex: &str, key_id: &str| -> Result<[u8; 32]> {
            crypto::from_hex(hex)
                .and_then(|h| <[u8; 32]>::try_from(h).ok())
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "key {key_id} has a bad sha256 in the verifier file"
                    ))
                })
        };
        for k in file.keys {
            if let Some(p) = &k.previous {
                by_hash.insert(
                    hash(&p.sha256, &k.key_id)?,
                    Entry {
                        key_id: k.key_id.clone(),
                        scopes: k.scopes.clone(),
                        expires_at: k.expires_at,
                        revoked: k.revoked,
                        valid_until: Some(p.valid_until),
                    },
                );
            }
            by_hash.insert(
                hash(&k.sha256, &k.key_id)?,
                Entry {
                    key_id: k.key_id,
                    scopes: k.scopes,
                    expires_at: k.expires_at,
                    revoked: k.revoked,
                    valid_until: None,
                },
            );
        }
        Ok(Verifier { by_hash })
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Same answers as `Vault::verify`, at the current time.
    pub fn verify(&self, presented: &str, required_scopes: &[&str]) -> Verification {
        self.verify_at(now(), presented, required_scopes)
    }

    pub fn verify_at(
        &self,
        now: Timestamp,
        presented: &str,
        required_scopes: &[&str],
    ) -> Verification {
        let secret = match extract_key(presented).and_then(Secret::parse) {
            Ok(s) => s,
            Err(e) => return Verification::malformed(&e),
        };
        let Some(entry) = self.by_hash.get(&secret.sha256()) else {
            return Verification::of(Outcome::NotFound, None, Vec::new());
        };
        let grace_over = entry.valid_until.is_some_and(|t| t <= now);
        let outcome = decide(
            now,
            entry.revoked,
            entry.expires_at,
            grace_over,
            &entry.scopes,
            required_scopes,
        );
        Verification::of(outcome, Some(entry.key_id.clone()), entry.scopes.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_forms_are_accepted() {
        let k = "kw_abc";
        assert_eq!(extract_key("Authorization: Api-Key kw_abc").unwrap(), k);
        assert_eq!(
            extract_key("authorization:   api-key   kw_abc  ").unwrap(),
            k
        );
        assert_eq!(extract_key("Api-Key kw_abc").unwrap(), k);
        assert_eq!(extract_key("Bearer kw_abc").unwrap(), k);
        assert_eq!(extract_key("kw_abc").unwrap(), k);
        assert!(extract_key("Basic dXNlcjpwYXNz").is_err());
        assert!(extract_key("Authorization: Api-Key ").is_err());
        assert!(extract_key("   ").is_err());
    }

    #[test]
    fn decision_order() {
        let scopes = vec!["read".to_string()];
        assert_eq!(
            decide(10, false, None, false, &scopes, &["read"]),
            Outcome::Valid
        );
        assert_eq!(
            decide(10, false, None, false, &scopes, &["write"]),
            Outcome::InsufficientScope
        );
        assert_eq!(
            decide(10, false, Some(10), false, &scopes, &[]),
            Outcome::Expired
        );
        assert_eq!(
            decide(10, false, None, true, &scopes, &[]),
            Outcome::Expired
        );
        assert_eq!(
            decide(10, true, Some(5), false, &scopes, &["x"]),
            Outcome::Revoked
        );
    }

    #[test]
    fn verifier_file_rejects_foreign_json() {
        assert!(Verifier::from_file_contents("{}").is_err());
        assert!(Verifier::from_file_contents("not json").is_err());
        assert!(
            Verifier::from_file_contents(
                r#"{"type":"other","version":1,"exported_at":"","keys":[]}"#
            )
            .is_err()
        );
    }
}
