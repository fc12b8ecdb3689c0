//! Members: several people, each with an own passphrase, opening the same vault, each through
//! their key slot (see `slot`).
//!
//! Sealing to a public key is what lets one member re-key the vault for everyone else without
//! knowing their passphrases: removing a member, or changing a passphrase, seals a new data key
//! to every remaining public key, so a removed member's passphrase (even with an old copy of
//! their slot) opens only the old data key, under which nothing in the vault opens any more.
//!
//! The names and public keys of the members are part of the sealed state commitment (the root):
//! a slot whose public key is not committed under its name is refused at unlock.

use serde::Serialize;

use crate::vault::activity::Action;
use crate::vault::commitment::MemberRecord;
use crate::vault::crypto::{self, KdfParams};
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::model::Timestamp;
use crate::vault::team::rekey::Rekey;
use crate::vault::team::reseal::RekeyProgress;
use crate::vault::team::slot::{OpenedSlot, Slot, slot_name, stored_slots};

/// The member a new vault (and a vault from before members) belongs to.
pub const DEFAULT_MEMBER: &str = "owner";
pub const MAX_MEMBER_CHARS: usize = 64;

/// One member, as `member list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub name: String,
    #[serde(serialize_with = "crate::vault::model::ser_time")]
    pub added_at: Timestamp,
    /// Whether this is the member who unlocked the vault.
    pub you: bool,
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
            Rekey {
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
