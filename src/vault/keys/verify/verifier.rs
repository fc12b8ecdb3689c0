//! The verifier crate as the vault's API gives it: the vault-free [`Verifier`] and the checks
//! of a prefix and a `--valid-for`, with the vault's [`Error`](crate::vault::Error). Services that do
//! not need the vault depend on `keyward-verify` alone.

use std::ops::Deref;
use std::path::Path;

use crate::vault::error::Result;
use crate::vault::model::Timestamp;
use keyward_verify::TrustedKey;

/// Prefix rule: 2–16 characters of lowercase a–z, 0–9 and `_`.
pub fn validate_prefix(prefix: &str) -> Result<()> {
    Ok(keyward_verify::validate_prefix(prefix)?)
}

/// `--valid-for`: `<N>m`, `<N>h` or `<N>d`, in seconds (at most ten years).
pub fn parse_valid_for(text: &str) -> Result<i64> {
    Ok(keyward_verify::parse_valid_for(text)?)
}

/// Checks keys in memory, from a signed verifier file. Never sees a secret at rest.
///
/// Loading requires the public key the file must be signed with (`keyward verifier-key`), and
/// refuses a file that is unsigned, badly signed, signed by another key, expired or
/// unreadable. [`Verifier::reload`] also refuses a file older than the one loaded. The
/// checks (`verify`, `serial`, `len`, …) are the verifier crate's, through `Deref`.
pub struct Verifier(keyward_verify::Verifier);

impl Verifier {
    /// Reads and checks a verifier file signed by `trusted`.
    pub fn load(path: &Path, trusted: &TrustedKey) -> Result<Verifier> {
        Ok(Verifier(keyward_verify::Verifier::load(path, trusted)?))
    }

    /// Reads and checks a verifier file signed by any of `trusted`: the vault's current key
    /// and, while services move over after a rotation, the one before.
    pub fn load_trusting(path: &Path, trusted: &[TrustedKey]) -> Result<Verifier> {
        Ok(Verifier(keyward_verify::Verifier::load_trusting(
            path, trusted,
        )?))
    }

    /// Checks a verifier file's text signed by `trusted`, at the current time.
    pub fn from_file_contents(text: &str, trusted: &TrustedKey) -> Result<Verifier> {
        Ok(Verifier(keyward_verify::Verifier::from_file_contents(
            text, trusted,
        )?))
    }

    /// The same as of `now` (whether the file has expired).
    pub fn from_file_contents_at(
        text: &str,
        trusted: &TrustedKey,
        now: Timestamp,
    ) -> Result<Verifier> {
        Ok(Verifier(keyward_verify::Verifier::from_file_contents_at(
            text, trusted, now,
        )?))
    }

    /// A file's text signed by any of `trusted`, as of `now`.
    pub fn from_file_contents_trusting(
        text: &str,
        trusted: &[TrustedKey],
        now: Timestamp,
    ) -> Result<Verifier> {
        Ok(Verifier(
            keyward_verify::Verifier::from_file_contents_trusting(text, trusted, now)?,
        ))
    }

    /// Replaces this snapshot with the file at `path` if it verifies and is newer: `Ok(true)`
    /// when replaced, `Ok(false)` for the same serial (nothing new). A file with a lower
    /// serial (an old file put back), of another vault or node, or that fails any check of
    /// [`Verifier::load`] is refused and this snapshot stays.
    pub fn reload(&mut self, path: &Path) -> Result<bool> {
        Ok(self.0.reload(path)?)
    }

    /// [`Verifier::reload`] from the file's text.
    pub fn reload_from_contents(&mut self, text: &str) -> Result<bool> {
        Ok(self.0.reload_from_contents(text)?)
    }

    /// The verifier crate's own, for code written against it.
    pub fn into_inner(self) -> keyward_verify::Verifier {
        self.0
    }
}

impl Verifier {
    /// Counts keys' use against their limits in `limiter` (shared across files and reloads).
    pub fn share_limiter(&mut self, limiter: std::sync::Arc<keyward_verify::limits::Limiter>) {
        self.0.share_limiter(limiter);
    }
}

impl Deref for Verifier {
    type Target = keyward_verify::Verifier;

    fn deref(&self) -> &keyward_verify::Verifier {
        &self.0
    }
}
