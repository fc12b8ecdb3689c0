//! The vault's signing key, which signs verifier files (the public key services trust,
//! [`TrustedKey`], and the file format are the verifier crate's).
//!
//! Each vault has a random Ed25519 seed and a random public vault id, made with the vault (or
//! on the first open of an older one). The seed is sealed in `meta` under the sealing key,
//! with the vault id bound into its associated data; it is not derived from the data key, so a
//! re-key (a new data key) re-seals it and keeps it: a service's trusted key survives `passwd`.
//! The state commitment records the public key, so a deleted or replaced signing key is
//! reported as tampered instead of being silently made anew.

use keyward_verify::{SigningKey, TrustedKey};
use zeroize::Zeroizing;

use crate::vault::activity::Action;
use crate::vault::commitment::RetiredSigningKey;
use crate::vault::crypto::{self, Sealer};
use crate::vault::error::{Error, Result};
use crate::vault::handle::Vault;
use crate::vault::model::Timestamp;
use crate::vault::store::Store;

pub const VAULT_ID_META: &str = "vault_id";
pub const SIGNING_KEY_META: &str = "signing_key";
const VAULT_ID_LEN: usize = 16;
const SEED_LEN: usize = 32;

/// What binds the sealed seed to its vault id (a seed sealed for another id does not open).
fn signing_aad(vault_id: &str) -> Vec<u8> {
    format!("keyward/v2/meta/signing-key/{vault_id}").into_bytes()
}

/// A fresh vault id and sealed seed, as the `meta` entries to store, with the public key.
pub(in crate::vault) fn generate(sealer: &Sealer) -> (String, Vec<u8>, TrustedKey) {
    let vault_id = crypto::to_hex(&crypto::random_bytes::<VAULT_ID_LEN>());
    let seed = Zeroizing::new(crypto::random_bytes::<SEED_LEN>());
    let sealed = sealer.seal(&signing_aad(&vault_id), seed.as_ref());
    let key = SigningKey::from_seed(vault_id.clone(), seed.as_ref())
        .expect("32 random bytes are a valid Ed25519 seed");
    (vault_id, sealed, key.public())
}

/// The stored vault id and seed, opened: `Ok(None)` when there is none, `Err(Tampered)` when
/// it does not open (altered, truncated, or its vault id was changed).
fn read_seed(conn: &dyn Store, sealer: &Sealer) -> Result<Option<(String, Zeroizing<Vec<u8>>)>> {
    let id = conn.meta_get(VAULT_ID_META)?;
    let sealed = conn.meta_get(SIGNING_KEY_META)?;
    let (id, sealed) = match (id, sealed) {
        (None, None) => return Ok(None),
        (Some(id), Some(sealed)) => (id, sealed),
        _ => return Err(tampered("its vault id or its sealed seed is missing")),
    };
    let id = String::from_utf8(id)
        .ok()
        .filter(|id| crypto::from_hex(id).is_some_and(|b| b.len() == VAULT_ID_LEN))
        .ok_or_else(|| tampered("the vault id is unreadable"))?;
    let seed = sealer
        .open(&signing_aad(&id), &sealed)
        .filter(|s| s.len() == SEED_LEN)
        .ok_or_else(|| tampered("its sealed seed does not open"))?;
    Ok(Some((id, seed)))
}

fn read(conn: &dyn Store, sealer: &Sealer) -> Result<Option<SigningKey>> {
    match read_seed(conn, sealer)? {
        None => Ok(None),
        Some((id, seed)) => SigningKey::from_seed(id, &seed)
            .map(Some)
            .ok_or_else(|| tampered("it is not a valid Ed25519 seed")),
    }
}

/// Shown as "the signing key of verifier files (why) failed its integrity check".
fn tampered(why: &str) -> Error {
    Error::Tampered(format!("the signing key of verifier files ({why})"))
}

/// Re-seals the signing key from one sealer to another (re-key), in the caller's transaction.
/// A key that does not open stays as it was (and stays tampered); the problem is returned.
pub(in crate::vault) fn reseal(
    conn: &dyn Store,
    from: &Sealer,
    to: &Sealer,
) -> Result<Option<String>> {
    match read_seed(conn, from) {
        Ok(None) => Ok(None),
        Ok(Some((id, seed))) => {
            conn.meta_set(SIGNING_KEY_META, &to.seal(&signing_aad(&id), &seed))?;
            Ok(None)
        }
        Err(Error::Tampered(why)) => Ok(Some(why)),
        Err(e) => Err(e),
    }
}

/// A new seed for the vault id `vault_id`, sealed under `sealer` and stored in `tx` (the old one
/// is overwritten): a rotation. Returns the new public key.
pub(in crate::vault) fn store_new_seed(
    tx: &dyn Store,
    sealer: &Sealer,
    vault_id: &str,
) -> Result<TrustedKey> {
    let seed = Zeroizing::new(crypto::random_bytes::<SEED_LEN>());
    tx.meta_set(
        SIGNING_KEY_META,
        &sealer.seal(&signing_aad(vault_id), seed.as_ref()),
    )?;
    let key = SigningKey::from_seed(vault_id.to_owned(), seed.as_ref())
        .ok_or_else(|| tampered("a new seed was refused"))?;
    Ok(key.public())
}

/// The stored vault id, in the caller's transaction.
pub(in crate::vault) fn stored_vault_id(conn: &dyn Store) -> Result<String> {
    conn.meta_get(VAULT_ID_META)?
        .and_then(|id| String::from_utf8(id).ok())
        .ok_or_else(|| tampered("the vault id is missing"))
}

/// The signing-key history once `old` (hex, current `since`) is replaced at `now`.
pub(in crate::vault) fn retire(
    retired: Vec<RetiredSigningKey>,
    old: String,
    since: Option<Timestamp>,
    now: Timestamp,
) -> Vec<RetiredSigningKey> {
    let mut retired = retired;
    retired.push(RetiredSigningKey {
        public: old,
        since,
        retired_at: now,
    });
    retired
}

/// A signing key of the vault, current or retired (`keyward verifier-key --all`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VerifierKeyInfo {
    /// `kwpk_…`
    #[serde(serialize_with = "as_text")]
    pub key: TrustedKey,
    pub current: bool,
    /// When it became the vault's key (`None`: made with the vault).
    #[serde(serialize_with = "opt_time")]
    pub since: Option<Timestamp>,
    #[serde(serialize_with = "opt_time")]
    pub retired_at: Option<Timestamp>,
}

fn as_text<S: serde::Serializer>(k: &TrustedKey, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&k.to_string())
}

fn opt_time<S: serde::Serializer>(
    t: &Option<Timestamp>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::vault::model::format_time(*t)),
        None => s.serialize_none(),
    }
}

fn from_hex_key(hex: &str) -> Option<TrustedKey> {
    let bytes = crypto::from_hex(hex)?;
    let bytes: [u8; 32] = bytes.try_into().ok()?;
    Some(TrustedKey::from_bytes(bytes))
}

/// Where the stored key stands against the commitment.
enum Stored {
    /// Present and the one the vault committed.
    Ready(SigningKey),
    /// Present, but the commitment does not name it yet (written by an older Keyward).
    Adopt(SigningKey),
    /// Neither stored nor committed: a vault from before signed verifier files.
    Missing,
}

impl Vault {
    fn stored_signing_key(&self) -> Result<Stored> {
        let committed = self.commitment.borrow().signing_key()?;
        let key = read(&*self.conn, &self.sealer)?;
        match (key, committed) {
            (None, None) => Ok(Stored::Missing),
            (None, Some(_)) => Err(tampered("it was deleted")),
            (Some(key), None) => Ok(Stored::Adopt(key)),
            (Some(key), Some(public)) if crypto::to_hex(key.public().as_bytes()) == public => {
                Ok(Stored::Ready(key))
            }
            (Some(_), Some(_)) => Err(tampered("it is not the key the vault committed")),
        }
    }

    /// Inside a write: the signing key, made (or recorded in the commitment) if needed.
    pub(in crate::vault) fn signing_key_in(&self, tx: &dyn Store) -> Result<SigningKey> {
        match self.stored_signing_key()? {
            Stored::Ready(key) => Ok(key),
            Stored::Adopt(key) => {
                self.commitment
                    .borrow_mut()
                    .set_signing_key(crypto::to_hex(key.public().as_bytes()))?;
                Ok(key)
            }
            Stored::Missing => {
                let (vault_id, sealed, public) = generate(&self.sealer);
                tx.meta_set(VAULT_ID_META, vault_id.as_bytes())?;
                tx.meta_set(SIGNING_KEY_META, &sealed)?;
                self.commitment
                    .borrow_mut()
                    .set_signing_key(crypto::to_hex(public.as_bytes()))?;
                self.log(
                    tx,
                    Action::SigningKeyCreated,
                    None,
                    "",
                    &format!("signing key {public} for verifier files"),
                )?;
                read(tx, &self.sealer)?.ok_or_else(|| tampered("it was not stored"))
            }
        }
    }

    /// The signing key (made first if the vault has none yet), outside any write.
    pub(in crate::vault) fn signing_key(&self) -> Result<SigningKey> {
        self.ensure_signing_key()?;
        match self.stored_signing_key()? {
            Stored::Ready(key) => Ok(key),
            _ => Err(tampered("it was not stored")),
        }
    }

    /// Makes the signing key of a vault that has none yet (one written before signed verifier
    /// files); a no-op otherwise.
    pub(in crate::vault) fn ensure_signing_key(&self) -> Result<()> {
        self.sync_commitment()?;
        if !matches!(self.stored_signing_key()?, Stored::Ready(_)) {
            self.write(|v, tx| v.signing_key_in(tx).map(drop))?;
        }
        Ok(())
    }

    /// The public key that verifier files of this vault are signed with (`kwpk_…`): what a
    /// service passes to [`Verifier::load`](crate::vault::Verifier::load). A changed passphrase keeps
    /// it; a rotation (`rotate_verifier_key`, and removing a member) replaces it.
    pub fn verifier_key(&self) -> Result<TrustedKey> {
        self.ensure_signing_key()?;
        self.sync_commitment()?;
        match self.stored_signing_key()? {
            Stored::Ready(key) => Ok(key.public()),
            _ => Err(tampered("it is not in the state commitment")),
        }
    }

    /// Replaces the signing key with a new one (the same vault id): verifier files are signed
    /// by it from now on, and every publish target is rewritten with it. Services must then
    /// trust the new key (they may trust both while they move over). Returns the new key.
    pub fn rotate_verifier_key(&self) -> Result<TrustedKey> {
        self.ensure_signing_key()?;
        self.write(|v, tx| {
            let Stored::Ready(old) = v.stored_signing_key()? else {
                return Err(tampered("it is not in the state commitment"));
            };
            let now = v.now();
            let public = store_new_seed(tx, &v.sealer, &old.vault_id)?;
            {
                let mut commitment = v.commitment.borrow_mut();
                let (since, retired) = commitment.signing_history()?;
                let old_hex = crypto::to_hex(old.public().as_bytes());
                commitment.set_signing_key(crypto::to_hex(public.as_bytes()))?;
                commitment.set_signing_history(Some(now), retire(retired, old_hex, since, now))?;
            }
            v.log(
                tx,
                Action::SigningKeyRotated,
                None,
                "",
                &format!(
                    "signing key {public} replaces {}; services must trust the new key",
                    old.public()
                ),
            )?;
            Ok(public)
        })
    }

    /// The current signing key and every retired one, with their dates (newest first).
    pub fn verifier_keys(&self) -> Result<Vec<VerifierKeyInfo>> {
        let current = self.verifier_key()?;
        let (since, retired) = self.commitment.borrow().signing_history()?;
        let mut out = vec![VerifierKeyInfo {
            key: current,
            current: true,
            since,
            retired_at: None,
        }];
        for r in retired.iter().rev() {
            let key = from_hex_key(&r.public)
                .ok_or_else(|| tampered("a retired key in the commitment is unreadable"))?;
            out.push(VerifierKeyInfo {
                key,
                current: false,
                since: r.since,
                retired_at: Some(r.retired_at),
            });
        }
        Ok(out)
    }

    /// The vault's public id (hex), carried in every verifier file it signs.
    pub fn vault_id(&self) -> Result<String> {
        self.ensure_signing_key()?;
        self.conn
            .meta_get(VAULT_ID_META)?
            .and_then(|id| String::from_utf8(id).ok())
            .ok_or_else(|| tampered("the vault id is missing"))
    }

    /// For `doctor`: what is wrong with the signing key, if anything.
    pub(in crate::vault) fn signing_key_problem(&self) -> Option<String> {
        match self
            .sync_commitment()
            .and_then(|()| self.stored_signing_key())
        {
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_key_and_message() {
        let sealer = Sealer::new(&[3u8; 32]);
        let (id, sealed, public) = generate(&sealer);
        let seed = sealer.open(&signing_aad(&id), &sealed).expect("opens");
        let key = SigningKey::from_seed(id.clone(), &seed).expect("key");
        assert_eq!(key.public(), public);
        let sig = key.sign(b"payload");
        assert!(public.verifies(b"payload", &sig));
        assert!(!public.verifies(b"payloaD", &sig));
        let (_, _, other) = generate(&sealer);
        assert!(!other.verifies(b"payload", &sig));
        assert!(
            sealer.open(&signing_aad("00"), &sealed).is_none(),
            "the vault id is bound in"
        );
    }
}
