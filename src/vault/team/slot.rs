//! A member's key slot. It lives in `meta` under `member:<lookup>`, the lookup being a hash of
//! the lower-cased name (the name itself is not stored in plaintext). It holds the member's
//! Argon2id salt and parameters, an X25519 secret key wrapped (AES-256-GCM) under the key derived
//! from the member's passphrase, its public key, and the data key sealed to that public key
//! (ephemeral X25519, HKDF-SHA-256, AES-256-GCM), with the grant of whoever gave it.

use serde::{Deserialize, Serialize};

use crate::vault::crypto::{self, DataKey, KdfParams};
use crate::vault::error::{Error, Result};
use crate::vault::store::Store;
use crate::vault::team::grants::{GrantTo, IDENTITY_AAD, Identity};

const SLOT_PREFIX: &str = "member:";
const SECRET_AAD: &[u8] = b"keyward/v2/member-secret";

/// What `meta` holds for one member.
#[derive(Clone, Serialize, Deserialize)]
pub(in crate::vault) struct Slot {
    pub params: KdfParams,
    pub salt: String,
    /// The member's X25519 secret key wrapped under their passphrase's key (hex).
    pub secret: String,
    /// The member's X25519 public key (hex).
    pub public: String,
    /// The data key sealed to `public` (hex).
    pub data_key: String,
    /// The member's Ed25519 identity public key (hex); empty in a slot from before grants.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identity: String,
    /// The identity seed wrapped under the passphrase's key (hex).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identity_secret: String,
    /// Who gave the data key: the stored name of their slot (this slot's own: self-granted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub given_by: String,
    /// The giver's identity signature over this slot's name, keys and sealed data key (hex).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub grant: String,
    /// Its key derivation is above the ceiling, paid because this machine pinned it.
    #[serde(skip)]
    pub pinned_kdf: bool,
}

/// A slot opened with its passphrase: the data key, the member's identity (`None` in a slot
/// from before grants) and the passphrase's key (to add an identity to such a slot).
pub(in crate::vault) struct OpenedSlot {
    pub data_key: DataKey,
    pub identity: Option<Identity>,
    pub kek: DataKey,
}

impl Slot {
    pub fn parse(raw: &[u8]) -> Result<Slot> {
        Slot::parse_allowing(raw, None)
    }

    /// [`Slot::parse`], paying parameters above the ceiling only when they are exactly the
    /// `pinned` ones this machine saw the slot with before (a vault made by an earlier build
    /// with more memory), and within what earlier builds allowed.
    pub fn parse_allowing(raw: &[u8], pinned: Option<KdfParams>) -> Result<Slot> {
        let mut slot: Slot = serde_json::from_slice(raw)
            .map_err(|_| Error::damaged("member slot", "a member's key slot is unreadable"))?;
        if let Err(why) = slot.params.check() {
            if pinned == Some(slot.params) && slot.params.check_pinned().is_ok() {
                slot.pinned_kdf = true;
            } else {
                return Err(Error::damaged(
                    "member slot",
                    format!(
                        "the vault asks for {why} (a member's key slot); refused before deriving \
                     anything. If an earlier Keyward made this vault so, take it as it is once \
                     with --accept-vault-change"
                    ),
                ));
            }
        }
        Ok(slot)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::damaged("member slot", e.to_string()))
    }

    fn salt(&self) -> Result<Vec<u8>> {
        crypto::from_hex(&self.salt)
            .filter(|s| (8..=64).contains(&s.len()))
            .ok_or_else(|| Error::damaged("member slot", "a member's KDF salt is unreadable"))
    }

    fn public(&self) -> Option<[u8; 32]> {
        crypto::from_hex(&self.public)?.try_into().ok()
    }

    /// A new slot for `passphrase` (Argon2id under a fresh salt, a fresh key pair), with the
    /// data key sealed to it, stored as `slot`; `identity`: the member's, kept across a
    /// passphrase change (else a new one).
    pub fn new(
        slot: &str,
        passphrase: &str,
        params: KdfParams,
        data_key: &[u8; 32],
        identity: Option<&Identity>,
    ) -> Result<Slot> {
        let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>();
        let kek = crypto::derive_kek(passphrase.as_bytes(), &salt, params)?;
        Ok(Slot::with_kek(
            slot, &kek, params, &salt, data_key, identity,
        ))
    }

    /// A new slot whose secrets are wrapped under an already derived key, self-granted.
    pub fn with_kek(
        slot: &str,
        kek: &[u8; 32],
        params: KdfParams,
        salt: &[u8],
        data_key: &[u8; 32],
        identity: Option<&Identity>,
    ) -> Slot {
        let (secret, public) = crypto::new_agreement_keys();
        let fresh;
        let identity = match identity {
            Some(i) => i,
            None => {
                fresh = Identity::generate(slot);
                &fresh
            }
        };
        let mut out = Slot {
            params,
            salt: crypto::to_hex(salt),
            secret: crypto::to_hex(&crypto::wrap(kek, SECRET_AAD, &secret)),
            public: crypto::to_hex(&public),
            data_key: crypto::to_hex(&crypto::seal_to(&public, data_key)),
            identity: identity.public_hex(),
            identity_secret: crypto::to_hex(&crypto::wrap(kek, IDENTITY_AAD, identity.seed())),
            given_by: String::new(),
            grant: String::new(),
            pinned_kdf: false,
        };
        // Self-granted: the member's own identity gives the key to their own slot.
        out.sign(slot, identity);
        out
    }

    /// Signs this slot's data key as given by `giver` (its slot is `given_by`).
    pub fn sign(&mut self, slot: &str, giver: &Identity) {
        self.given_by = giver.slot.clone();
        self.grant = giver.grant(&self.grant_to(slot));
    }

    pub fn grant_to<'a>(&'a self, slot: &'a str) -> GrantTo<'a> {
        GrantTo {
            slot,
            public: &self.public,
            identity: &self.identity,
            sealed: &self.data_key,
        }
    }

    /// The same slot with `data_key` sealed to it instead (a re-key), granted by `giver` (the
    /// member re-keying; `None`: a member from before grants, whose re-key grants nothing).
    pub fn resealed(
        &self,
        slot: &str,
        data_key: &[u8; 32],
        giver: Option<&Identity>,
    ) -> Result<Slot> {
        let public = self
            .public()
            .ok_or_else(|| Error::Tampered("a member's public key".into()))?;
        let mut out = Slot {
            data_key: crypto::to_hex(&crypto::seal_to(&public, data_key)),
            given_by: String::new(),
            grant: String::new(),
            ..self.clone()
        };
        if let Some(giver) = giver {
            out.sign(slot, giver);
        }
        Ok(out)
    }

    /// The data key, the identity and the passphrase's key, if `passphrase` is this member's
    /// (the slot is stored as `slot`). An identity that does not open, or is not the one the
    /// slot names, is tampered.
    pub fn open_stored(&self, passphrase: &str, slot: &str) -> Result<Option<OpenedSlot>> {
        let kek = if self.pinned_kdf {
            crypto::derive_kek_pinned(passphrase.as_bytes(), &self.salt()?, self.params)?
        } else {
            crypto::derive_kek(passphrase.as_bytes(), &self.salt()?, self.params)?
        };
        let Some(data_key) = self.open_with_kek(&kek)? else {
            return Ok(None);
        };
        let identity = if self.identity_secret.is_empty() {
            None
        } else {
            let wrapped = crypto::from_hex(&self.identity_secret).unwrap_or_default();
            let identity = crypto::unwrap(&kek, IDENTITY_AAD, &wrapped)
                .and_then(|seed| Identity::from_seed(slot, seed))
                .filter(|i| i.public_hex() == self.identity)
                .ok_or_else(|| Error::Tampered("a member's identity key".into()))?;
            Some(identity)
        };
        Ok(Some(OpenedSlot {
            data_key,
            identity,
            kek,
        }))
    }

    fn open_with_kek(&self, kek: &[u8; 32]) -> Result<Option<DataKey>> {
        let wrapped = crypto::from_hex(&self.secret).unwrap_or_default();
        let Some(secret) = crypto::unwrap(kek, SECRET_AAD, &wrapped) else {
            return Ok(None);
        };
        let sealed = crypto::from_hex(&self.data_key).unwrap_or_default();
        crypto::open_sealed_to(&secret, &sealed)
            .map(Some)
            .ok_or_else(|| Error::Tampered("a member's sealed data key".into()))
    }
}

/// Where a member's slot is kept: a hash of the name, not the name.
pub(in crate::vault) fn slot_name(member: &str) -> String {
    let digest = crypto::sha256(format!("keyward/v2/member/{}", member.to_lowercase()).as_bytes());
    format!("{SLOT_PREFIX}{}", crypto::to_hex(&digest[..16]))
}

/// Every slot in the file, by meta name.
pub(in crate::vault) fn stored_slots(conn: &dyn Store) -> Result<Vec<(String, Vec<u8>)>> {
    conn.meta_with_prefix(SLOT_PREFIX)
}
