//! Members: several people, each with an own passphrase, opening the same vault.
//!
//! A member's slot lives in `meta` under `member:<lookup>`, the lookup being a hash of the
//! lower-cased name (the name itself is not stored in plaintext). It holds the member's Argon2id
//! salt and parameters, an X25519 secret key wrapped (AES-256-GCM) under the key derived from
//! the member's passphrase, its public key, and the data key sealed to that public key
//! (ephemeral X25519, HKDF-SHA-256, AES-256-GCM).
//!
//! Sealing to a public key is what lets one member re-key the vault for everyone else without
//! knowing their passphrases: removing a member, or changing a passphrase, seals a new data key
//! to every remaining public key, so a removed member's passphrase (even with an old copy of
//! their slot) opens only the old data key, under which nothing in the vault opens any more.
//!
//! The names and public keys of the members are part of the sealed state commitment (the root):
//! a slot whose public key is not committed under its name is refused at unlock.

use serde::{Deserialize, Serialize};

use crate::vault::activity::Action;
use crate::vault::commitment::MemberRecord;
use crate::vault::crypto::{self, DataKey, KdfParams};
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::model::Timestamp;
use crate::vault::store::Store;
use crate::vault::team::grants::{GrantTo, IDENTITY_AAD, Identity};
use crate::vault::team::reseal::RekeyProgress;

/// The member a new vault (and a vault from before members) belongs to.
pub const DEFAULT_MEMBER: &str = "owner";
pub const MAX_MEMBER_CHARS: usize = 64;
const SLOT_PREFIX: &str = "member:";
const SECRET_AAD: &[u8] = b"keyward/v2/member-secret";

/// One member, as `member list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub name: String,
    #[serde(serialize_with = "crate::vault::model::ser_time")]
    pub added_at: Timestamp,
    /// Whether this is the member who unlocked the vault.
    pub you: bool,
}

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

/// What is wrong with a slot's grant, judged by the identities the vault commits (a member
/// whose slot has no grant yet, from before grants, is not a problem).
fn grant_problem(key: &str, slot: &Slot, records: &[MemberRecord]) -> Option<String> {
    if slot.grant.is_empty() {
        return None;
    }
    let giver = records
        .iter()
        .find(|m| slot_name(&m.name) == slot.given_by)
        .map(|m| m.identity.as_str())
        .filter(|i| !i.is_empty())
        .or((slot.given_by == key).then_some(slot.identity.as_str()));
    match giver {
        Some(identity)
            if slot
                .grant_to(key)
                .verifies(&slot.given_by, identity, &slot.grant) =>
        {
            None
        }
        Some(_) => Some("the data key in its slot was not given by a member of this vault".into()),
        None => Some("the data key in its slot was given by no member the vault names".into()),
    }
}

/// A member name: 1 to 64 characters, no control characters, no surrounding spaces.
pub fn validate_member_name(name: &str) -> Result<&str> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(Error::bad_input(
            "member",
            "a member name must not be empty",
        ));
    }
    if trimmed.chars().count() > MAX_MEMBER_CHARS {
        return Err(Error::bad_input(
            "member",
            format!("a member name has at most {MAX_MEMBER_CHARS} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::bad_input(
            "member",
            "a member name must not contain control characters",
        ));
    }
    Ok(trimmed)
}

/// Every slot in the file, by meta name.
pub(in crate::vault) fn stored_slots(conn: &dyn Store) -> Result<Vec<(String, Vec<u8>)>> {
    conn.meta_with_prefix(SLOT_PREFIX)
}

/// The slot to unlock with: the named member's, else the only one, else `owner`'s.
pub(in crate::vault) fn choose_slot(
    slots: &[(String, Vec<u8>)],
    member: Option<&str>,
) -> Result<(String, Slot)> {
    choose_slot_pinned(slots, member, &std::collections::BTreeMap::new())
}

/// [`choose_slot`] with the KDF parameters this machine pinned for each slot.
pub(in crate::vault) fn choose_slot_pinned(
    slots: &[(String, Vec<u8>)],
    member: Option<&str>,
    pinned: &std::collections::BTreeMap<String, KdfParams>,
) -> Result<(String, Slot)> {
    let wanted = match member {
        Some(name) => slot_name(validate_member_name(name)?),
        None if slots.len() == 1 => slots[0].0.clone(),
        None => slot_name(DEFAULT_MEMBER),
    };
    match slots.iter().find(|(name, _)| *name == wanted) {
        Some((name, raw)) => Ok((
            name.clone(),
            Slot::parse_allowing(raw, pinned.get(name).copied())?,
        )),
        None => Err(match member {
            Some(name) => Error::not_found(Thing::Member, name.trim()),
            None => Error::MemberRequired {
                members: slots.len(),
            },
        }),
    }
}

impl Vault {
    /// The member who unlocked this vault.
    pub fn member(&self) -> &str {
        &self.member
    }

    /// The vault's members, in the order they were added.
    pub fn members(&self) -> Result<Vec<Member>> {
        self.sync_commitment()?;
        let records = self.commitment.borrow().members()?;
        Ok(records
            .into_iter()
            .map(|m| Member {
                you: slot_name(&m.name) == slot_name(&self.member),
                name: m.name,
                added_at: m.added_at,
            })
            .collect())
    }

    /// The committed member whose public key `slot` has, stored under `slot_name`. Called at
    /// unlock: a slot the commitment does not name is refused. A commitment that does not open
    /// (a vault whose every record is then shown as tampered) names nobody: the requested name
    /// stands.
    pub(in crate::vault) fn identify(
        &mut self,
        slot_name_in_file: &str,
        slot: &Slot,
    ) -> Result<()> {
        self.sync_commitment()?;
        let records = match self.commitment.borrow().members() {
            Ok(records) => records,
            Err(Error::Tampered(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let found = records
            .into_iter()
            .find(|m| slot_name(&m.name) == slot_name_in_file && m.public == slot.public);
        match found {
            Some(m) => {
                self.member = m.name;
                Ok(())
            }
            None => Err(Error::Tampered(
                "member key slot (it is not one the vault committed)".into(),
            )),
        }
    }

    /// For `doctor`: slots missing, not the committed ones, or of no committed member.
    pub(in crate::vault) fn member_problems(&self) -> Vec<String> {
        let records = match self
            .sync_commitment()
            .and_then(|()| self.commitment.borrow().members())
        {
            Ok(records) => records,
            // A commitment that does not open is reported on its own.
            Err(_) => return Vec::new(),
        };
        let slots = match stored_slots(&*self.conn) {
            Ok(slots) => slots,
            Err(e) => return vec![format!("members: {e}")],
        };
        let mut problems = Vec::new();
        for m in &records {
            let key = slot_name(&m.name);
            match slots.iter().find(|(name, _)| *name == key) {
                None => problems.push(format!("member {}: its key slot is missing", m.name)),
                Some((_, raw)) => match Slot::parse_allowing(raw, m.kdf) {
                    Ok(s) if s.public == m.public => {
                        if let Some(why) = grant_problem(&key, &s, &records) {
                            problems.push(format!("member {}: {why}", m.name));
                        }
                        if m.kdf.is_some_and(|k| k != s.params) {
                            problems.push(format!(
                                "member {}: the key derivation parameters of its slot are not the committed ones",
                                m.name
                            ));
                        }
                    }
                    _ => problems.push(format!(
                        "member {}: its key slot is not the one the vault committed",
                        m.name
                    )),
                },
            }
        }
        for (name, _) in &slots {
            if !records.iter().any(|m| slot_name(&m.name) == *name) {
                problems.push(format!(
                    "a key slot ({name}) belongs to no member the vault committed"
                ));
            }
        }
        problems
    }

    /// A vault from before members: its one passphrase becomes the slot of member `owner`
    /// (the same Argon2id salt and parameters, so no second derivation), and the old wrap goes.
    pub(in crate::vault) fn adopt_owner(
        &self,
        kek: &[u8; 32],
        params: KdfParams,
        salt: &[u8],
        data_key: &[u8; 32],
    ) -> Result<()> {
        let slot = Slot::with_kek(
            &slot_name(DEFAULT_MEMBER),
            kek,
            params,
            salt,
            data_key,
            None,
        );
        let now = self.now();
        self.write(|v, tx| {
            if !v.commitment.borrow().members()?.is_empty() {
                return Ok(());
            }
            tx.meta_set(&slot_name(DEFAULT_MEMBER), &slot.to_bytes()?)?;
            v.commitment.borrow_mut().set_members(vec![MemberRecord {
                name: DEFAULT_MEMBER.to_owned(),
                public: slot.public.clone(),
                added_at: now,
                identity: slot.identity.clone(),
                kdf: Some(slot.params),
            }])?;
            tx.meta_delete("kdf")?;
            tx.meta_delete("data_key")?;
            v.log(
                tx,
                Action::VaultUpgraded,
                None,
                "",
                "members: the vault's passphrase is now member owner's",
            )
        })?;
        // The old wrap must not stay behind in the WAL.
        self.conn.checkpoint_truncate()
    }

    /// This member's slot, and the data key it opens with `current` (asked again before
    /// changing members, so an unlocked, unattended window cannot be used to let someone in).
    pub(in crate::vault) fn own_slot(&self, current: &str) -> Result<(String, Slot, OpenedSlot)> {
        let name = slot_name(&self.member);
        let raw = self
            .conn
            .meta_get(&name)?
            .ok_or_else(|| Error::Tampered(format!("the key slot of member {}", self.member)))?;
        let slot = Slot::parse(&raw)?;
        let opened = slot
            .open_stored(current, &name)?
            .ok_or(Error::WrongPassphrase)?;
        Ok((name, slot, opened))
    }

    /// Adds a member with their own passphrase (Argon2id with `params`, default: yours).
    /// `current` is your passphrase.
    pub fn add_member(
        &self,
        current: &str,
        name: &str,
        passphrase: &str,
        params: Option<KdfParams>,
    ) -> Result<()> {
        let name = validate_member_name(name)?;
        if passphrase.is_empty() {
            return Err(Error::bad_input(
                "passphrase",
                "the passphrase must not be empty",
            ));
        }
        let (_, own, opened) = self.own_slot(current)?;
        let data_key = opened.data_key;
        let params = params.unwrap_or(own.params);
        params
            .check()
            .map_err(|why| Error::bad_input("kdf", format!("you ask for {why}")))?;
        let key = slot_name(name);
        let slot = Slot::new(&key, passphrase, params, &data_key, None)?;
        let now = self.now();
        self.write(|v, tx| {
            let mut members = v.commitment.borrow().members()?;
            if members.is_empty() {
                return Err(Error::NotAllowed(
                    "this vault has no members list yet (open it once with write access)".into(),
                ));
            }
            if members.iter().any(|m| slot_name(&m.name) == key) || tx.meta_get(&key)?.is_some() {
                return Err(Error::NameTaken {
                    what: Thing::Member,
                    name: name.to_owned(),
                    place: String::new(),
                });
            }
            tx.meta_set(&key, &slot.to_bytes()?)?;
            members.push(MemberRecord {
                name: name.to_owned(),
                public: slot.public.clone(),
                added_at: now,
                identity: slot.identity.clone(),
                kdf: Some(slot.params),
            });
            v.commitment.borrow_mut().set_members(members)?;
            v.log(tx, Action::MemberAdded, None, "", &format!("member {name}"))
        })
    }

    /// Removes a member and re-keys the vault: a new data key, every record re-sealed, the new
    /// key sealed to every remaining member, the removed slot deleted. `current` is your
    /// passphrase; you cannot remove yourself (another member can).
    pub fn remove_member(&mut self, current: &str, name: &str) -> Result<()> {
        self.remove_member_with_progress(current, name, &mut |_| {})
    }

    /// [`Vault::remove_member`] with progress.
    pub fn remove_member_with_progress(
        &mut self,
        current: &str,
        name: &str,
        progress: &mut dyn FnMut(RekeyProgress),
    ) -> Result<()> {
        let name = validate_member_name(name)?;
        let key = slot_name(name);
        self.sync_commitment()?;
        let members = self.commitment.borrow().members()?;
        let Some(removed) = members.iter().find(|m| slot_name(&m.name) == key).cloned() else {
            return Err(Error::not_found(Thing::Member, name));
        };
        if key == slot_name(&self.member) {
            return Err(Error::NotAllowed(
                "you cannot remove yourself; another member can".into(),
            ));
        }
        let (_, _, opened) = self.own_slot(current)?;
        let remaining: Vec<MemberRecord> = members
            .into_iter()
            .filter(|m| slot_name(&m.name) != key)
            .collect();
        self.rekey_members(
            crate::vault::maintenance::doctor::Rekey {
                data_key: crypto::new_data_key(),
                action: Action::MemberRemoved,
                detail: format!(
                    "member {}; re-keyed: new data key, every record re-sealed; new signing key for verifier files",
                    removed.name
                ),
                members: remaining,
                replace: None,
                remove: Some(key),
                rotate_signing_key: true,
                giver: opened.identity,
            },
            progress,
        )
    }
}
