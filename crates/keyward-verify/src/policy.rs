//! A key's policy: what it may do and until when. The vault's key record, the verifier file's
//! entries and the verifier's in-memory snapshot carry this one type, and the decision reads
//! only it. Policies to come (rate limits, credits, IP allowlists) are fields of it: a field
//! added here is carried to every verifier file and checked in [`Policy::decide`].

use serde::{Deserialize, Serialize};

use crate::decision::Outcome;
use crate::time::Timestamp;

/// Scopes, expiry and revocation. `L` is how the scope list is held: owned in files, shared
/// (`Arc<[String]>`) in a verifier's snapshot, borrowed while a file is read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy<L = Vec<String>> {
    pub scopes: L,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
}

/// A rolled key's previous secret (its SHA-256, hex) and when it stops working: the roll's
/// grace, as the vault's record and the verifier file both keep it. `H` is how the hash is
/// held (a listing that never needs it skips it with `serde::de::IgnoredAny`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rolled<H = String> {
    pub sha256: H,
    pub valid_until: Timestamp,
}

impl<L> Policy<L> {
    /// The decision once a key has been found: revoked, then expired (the key, or the old
    /// secret of a roll once its grace is over), then the scopes `required`.
    pub fn decide<S: AsRef<str>>(
        &self,
        now: Timestamp,
        grace_over: bool,
        required: &[&str],
    ) -> Outcome
    where
        L: AsRef<[S]>,
    {
        let scopes = self.scopes.as_ref();
        if self.revoked {
            Outcome::Revoked
        } else if grace_over || self.expires_at.is_some_and(|t| t <= now) {
            Outcome::Expired
        } else if !required
            .iter()
            .all(|r| scopes.iter().any(|s| s.as_ref() == *r))
        {
            Outcome::InsufficientScope
        } else {
            Outcome::Valid
        }
    }

    /// The same policy with its scope list held another way.
    pub fn map_scopes<M>(self, f: impl FnOnce(L) -> M) -> Policy<M> {
        Policy {
            scopes: f(self.scopes),
            expires_at: self.expires_at,
            revoked: self.revoked,
        }
    }
}
