//! A key's policy: what it may do and until when. The vault's key record, the verifier file's
//! entries and the verifier's in-memory snapshot carry this one type, and the decision reads
//! only it. A field added here is carried to every verifier file and checked in
//! [`Policy::decide`] (what needs no state) or [`Policy::spend`] (what counts use).

use std::borrow::Cow;
use std::net::IpAddr;

use serde::de::MapAccess;
use serde::{Deserialize, Serialize};

use crate::decision::Outcome;
use crate::limits::{KeyLimits, LimitAnswer, Limiter, Millis};
use crate::time::Timestamp;

/// Scopes, expiry, revocation and the key's limits. `L` is how the scope list is held: owned
/// in files, shared (`Arc<[String]>`) in a verifier's snapshot, borrowed while a file is read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy<L = Vec<String>> {
    pub scopes: L,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
    /// Rate limits, credits and the networks it may be used from; `None` (written as
    /// nothing) for a key without any, boxed so that such keys stay small in a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Box<KeyLimits>>,
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
    /// The decision once a key has been found, from what needs no count of use: revoked,
    /// then expired (the key, or the old secret of a roll once its grace is over), then the
    /// client's address (a key with allowed networks is refused when none is given), then the
    /// scopes `required`. A `Valid` key with limits is then charged by [`Policy::spend`].
    pub fn decide<S: AsRef<str>>(
        &self,
        now: Timestamp,
        grace_over: bool,
        required: &[&str],
        client: Option<IpAddr>,
    ) -> Outcome
    where
        L: AsRef<[S]>,
    {
        let scopes = self.scopes.as_ref();
        if self.revoked {
            Outcome::Revoked
        } else if grace_over || self.expires_at.is_some_and(|t| t <= now) {
            Outcome::Expired
        } else if let Some(limits) = self.limits.as_deref()
            && !limits.allow_ips.is_empty()
            && !client.is_some_and(|c| limits.allow_ips.allows(c))
        {
            Outcome::Forbidden
        } else if !required
            .iter()
            .all(|r| scopes.iter().any(|s| s.as_ref() == *r))
        {
            Outcome::InsufficientScope
        } else {
            Outcome::Valid
        }
    }

    /// Charges a request of `cost` to the key's rate limits and credits in `limiter`, all or
    /// nothing; `None` for a key without either (nothing to count).
    pub fn spend(
        &self,
        limiter: &Limiter,
        key_id: &str,
        cost: u64,
        now: Millis,
    ) -> Option<LimitAnswer> {
        let limits = self.limits.as_deref()?;
        (!limits.rate.is_empty() || limits.credits.is_some())
            .then(|| limiter.spend(key_id, limits, cost, now))
    }

    /// The same policy with its scope list held another way.
    pub fn map_scopes<M>(self, f: impl FnOnce(L) -> M) -> Policy<M> {
        Policy {
            scopes: f(self.scopes),
            expires_at: self.expires_at,
            revoked: self.revoked,
            limits: self.limits,
        }
    }
}

/// A policy as a verifier file's entry is read, field by field and with its scope names
/// borrowed from the text: the loader hands every field it does not know to
/// [`PolicyFields::read`], so a field added to [`Policy`] is read here and nowhere else.
#[derive(Default)]
pub(crate) struct PolicyFields<'a> {
    scopes: Option<Vec<Cow<'a, str>>>,
    expires_at: Option<Option<Timestamp>>,
    revoked: Option<bool>,
    limits: Option<Box<KeyLimits>>,
}

impl<'a> PolicyFields<'a> {
    /// Reads the value of `name` when it is a policy field; `false` when it is not one.
    pub fn read<A: MapAccess<'a>>(&mut self, name: &str, map: &mut A) -> Result<bool, A::Error> {
        match name {
            "scopes" => self.scopes = Some(map.next_value()?),
            "expires_at" => self.expires_at = Some(map.next_value()?),
            "revoked" => self.revoked = Some(map.next_value()?),
            "limits" => self.limits = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The policy read; its required fields must all have been there.
    pub fn finish<E: serde::de::Error>(self) -> Result<Policy<Vec<Cow<'a, str>>>, E> {
        Ok(Policy {
            scopes: self.scopes.ok_or_else(|| E::missing_field("scopes"))?,
            expires_at: self
                .expires_at
                .ok_or_else(|| E::missing_field("expires_at"))?,
            revoked: self.revoked.ok_or_else(|| E::missing_field("revoked"))?,
            limits: self.limits,
        })
    }
}
