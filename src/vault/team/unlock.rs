//! Creating a vault (with its first member) and unlocking one: a member's slot (or a vault from
//! before members' one passphrase) opened with the passphrase, held to this machine's pin and
//! the slot's grant before anything is believed, and the failed unlocks counted without the
//! data key.

use std::path::Path;

use crate::vault::activity::Action;
use crate::vault::commitment;
use crate::vault::crypto::{self, KdfParams, Sealer};
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::{Vault, display_location};
use crate::vault::maintenance::upgrade;
use crate::vault::model::{self, Timestamp, format_time};
use crate::vault::publishing::signing;
use crate::vault::records::{KdfMeta, UNLOCK_FAILURES_META, UnlockFailures, WRAP_AAD, WRAP_AAD_V1};
use crate::vault::store::{self, Store};
use crate::vault::team::grants::{IDENTITY_AAD, Identity};
use crate::vault::team::members::{self, DEFAULT_MEMBER, validate_member_name};
use crate::vault::team::pins;
use crate::vault::team::slot::{self, OpenedSlot, Slot};

impl Vault {
    /// Creates a new vault protected by `passphrase`. The KDF parameters must be within
    /// [`KdfParams::check`]'s bounds.
    pub fn create(path: &Path, passphrase: &str, params: KdfParams) -> Result<Vault> {
        Vault::create_as(path, DEFAULT_MEMBER, passphrase, params)
    }

    /// [`Vault::create`] with the first member's name.
    pub fn create_as(
        path: &Path,
        member: &str,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<Vault> {
        let member = validate_member_name(member)?;
        if passphrase.is_empty() {
            return Err(Error::bad_input(
                "passphrase",
                "the passphrase must not be empty",
            ));
        }
        params
            .check()
            .map_err(|why| Error::bad_input("kdf", format!("you ask for {why}")))?;
        let data_key = crypto::new_data_key();
        let slot = Slot::new(
            &slot::slot_name(member),
            passphrase,
            params,
            &data_key,
            None,
        )?;
        let sealer = Sealer::new(&data_key);
        let (vault_id, signing_key, public) = signing::generate(&sealer);
        let root = commitment::Root {
            signing_key: crypto::to_hex(public.as_bytes()),
            members: vec![commitment::MemberRecord {
                name: member.to_owned(),
                public: slot.public.clone(),
                added_at: model::now(),
                identity: slot.identity.clone(),
                kdf: Some(slot.params),
            }],
            ..commitment::Root::default()
        }
        .seal(&sealer)?;
        let conn = store::create(
            path,
            &[
                (&slot::slot_name(member), &slot.to_bytes()?),
                (commitment::ROOT_META, &root),
                (signing::VAULT_ID_META, vault_id.as_bytes()),
                (signing::SIGNING_KEY_META, &signing_key),
            ],
        )?;
        let vault = Vault::with(conn, path, &data_key, member);
        vault.write(|v, tx| v.log(tx, Action::VaultCreated, None, "", ""))?;
        Ok(vault)
    }

    /// Unlocks an existing vault. A wrong passphrase is counted (without any detail) and
    /// refused. A vault of an older schema is upgraded in place, after a backup copy.
    pub fn open(path: &Path, passphrase: &str) -> Result<Vault> {
        Vault::open_as(path, None, passphrase)
    }

    /// Unlocks as `member` (default: the only member, else `owner`).
    pub fn open_as(path: &Path, member: Option<&str>, passphrase: &str) -> Result<Vault> {
        let start = std::time::Instant::now();
        let opened = store::open(path)?;
        log::debug!(
            "opened {} (format {}) in {:.1} ms",
            display_location(path),
            opened.schema_version(),
            ms(start)
        );
        let slots = slot::stored_slots(&*opened)?;
        if !slots.is_empty() {
            return Vault::open_slot(opened, path, &slots, member, passphrase, start);
        }
        // A vault from before members: one passphrase, which becomes the owner's.
        if let Some(name) = member
            && !validate_member_name(name)?.eq_ignore_ascii_case(DEFAULT_MEMBER)
        {
            return Err(Error::not_found(Thing::Member, name.trim()));
        }
        let (params, salt, wrapped) = read_kdf(&*opened)?;
        let kdf_start = std::time::Instant::now();
        let kek = crypto::derive_kek(passphrase.as_bytes(), &salt, params)?;
        log::debug!(
            "Argon2id ({} MiB, {} passes, {} lanes) took {:.1} ms",
            params.memory_kib / 1024,
            params.passes,
            params.lanes,
            ms(kdf_start)
        );
        let wrap_aad = if opened.schema_version() == 1 {
            WRAP_AAD_V1
        } else {
            WRAP_AAD
        };
        let Some(data_key) = crypto::unwrap(&kek, wrap_aad, &wrapped) else {
            // Best effort: a read-only file must still say "wrong passphrase".
            let _ = count_failed_unlock(&*opened, model::now());
            log::info!("unlock refused: wrong passphrase");
            return Err(Error::WrongPassphrase);
        };
        let schema_version = opened.schema_version();
        let mut vault = Vault::with(opened, path, &data_key, DEFAULT_MEMBER);
        // Before anything is written: a rolled-back or swapped vault must not be built upon.
        vault.check_pin(pins::pin_of(path)?.as_ref())?;
        if schema_version == 1 {
            log::info!("upgrading a format 1 vault");
            upgrade::from_v1(&mut vault, &data_key, &kek)?;
        }
        // A vault from before signed verifier files gets its signing key now (best effort: a
        // read-only file still opens, and a damaged key is reported when it is needed and by
        // doctor).
        let _ = vault.ensure_signing_key();
        // The passphrase becomes the owner's slot (best effort, as above: until it is written,
        // the vault keeps opening as it did).
        if let Err(e) = vault.adopt_owner(&kek, params, &salt, &data_key) {
            log::info!("the members list could not be written yet: {e}");
        }
        // Best effort too: a read-only or damaged file still opens to show what it holds.
        let _ = vault.fold_failed_unlocks();
        vault.record_pin();
        log::info!("unlocked {} in {:.1} ms", display_location(path), ms(start));
        Ok(vault)
    }

    /// Unlocks with a member's slot.
    fn open_slot(
        conn: Box<dyn Store>,
        path: &Path,
        slots: &[(String, Vec<u8>)],
        member: Option<&str>,
        passphrase: &str,
        start: std::time::Instant,
    ) -> Result<Vault> {
        // This machine's pin, read once: the KDF it agreed to pay, the counter and the
        // identities it trusts.
        let pin = pins::pin_of(path)?;
        let (pinned_kdf, pinned_identities) = match &pin {
            Some(p) => (p.kdf.clone(), p.identities.clone()),
            None => Default::default(),
        };
        let (name, slot) = members::choose_slot_pinned(slots, member, &pinned_kdf)?;
        let kdf_start = std::time::Instant::now();
        let opened = slot.open_stored(passphrase, &name);
        log::debug!(
            "Argon2id ({} MiB, {} passes, {} lanes) took {:.1} ms",
            slot.params.memory_kib / 1024,
            slot.params.passes,
            slot.params.lanes,
            ms(kdf_start)
        );
        let Some(opened) = opened? else {
            let _ = count_failed_unlock(&*conn, model::now());
            log::info!("unlock refused: wrong passphrase");
            return Err(Error::WrongPassphrase);
        };
        let fallback = member.map_or(DEFAULT_MEMBER, str::trim);
        let mut vault = Vault::with(conn, path, &opened.data_key, fallback);
        vault.check_pin(pin.as_ref())?;
        // Before anything of the vault is believed: the data key must have been given by a
        // member this machine trusts.
        vault.check_grant(&name, &slot, opened.identity.as_ref(), &pinned_identities)?;
        vault.identify(&name, &slot)?;
        if opened.identity.is_none() {
            // Best effort, as below: a read-only file still opens.
            if let Err(e) = vault.add_identity(&name, &slot, &opened) {
                log::info!("could not add an identity to this member's slot yet: {e}");
            }
        }
        let _ = vault.ensure_signing_key();
        let _ = vault.fold_failed_unlocks();
        vault.record_pin();
        log::info!("unlocked {} in {:.1} ms", display_location(path), ms(start));
        Ok(vault)
    }

    /// The KDF parameters stored in a vault file (no passphrase needed).
    pub fn kdf_params(path: &Path) -> Result<KdfParams> {
        Vault::kdf_params_of(path, None)
    }

    /// How many members a vault file has (no passphrase needed): a vault from before members
    /// counts as one.
    pub fn member_count(path: &Path) -> Result<usize> {
        let opened = store::open(path)?;
        Ok(slot::stored_slots(&*opened)?.len().max(1))
    }

    /// The KDF parameters of a member's passphrase (default: as [`Vault::open_as`] picks).
    pub fn kdf_params_of(path: &Path, member: Option<&str>) -> Result<KdfParams> {
        let opened = store::open(path)?;
        let slots = slot::stored_slots(&*opened)?;
        if slots.is_empty() {
            return Ok(read_kdf(&*opened)?.0);
        }
        match members::choose_slot(&slots, member) {
            Ok((_, slot)) => Ok(slot.params),
            // Several members, none named: the file is a vault all the same (the window reads
            // this before it knows who is unlocking).
            Err(Error::MemberRequired { .. }) => Ok(Slot::parse(&slots[0].1)?.params),
            Err(e) => Err(e),
        }
    }

    /// Logs failed unlocks counted since the last unlock, then forgets the count.
    fn fold_failed_unlocks(&self) -> Result<()> {
        let Some(raw) = self.conn.meta_get(UNLOCK_FAILURES_META)? else {
            return Ok(());
        };
        let failures: UnlockFailures = serde_json::from_slice(&raw).unwrap_or_default();
        self.write(|v, tx| {
            let detail = format!(
                "{} between {} and {} (counted outside the sealed log)",
                crate::numbers::count_of(
                    usize::try_from(failures.count).unwrap_or(usize::MAX),
                    "failed unlock attempt",
                    "failed unlock attempts"
                ),
                format_time(failures.first_at),
                format_time(failures.last_at)
            );
            v.log(tx, Action::UnlockFailed, None, "", &detail)?;
            tx.meta_delete(UNLOCK_FAILURES_META)
        })
    }
}

impl Vault {
    /// Refuses a slot whose data key was not given by a member this machine trusts (see the
    /// module's documentation). `own`: the identity the slot opened with; `pinned`: the
    /// identities this machine pinned (by slot).
    pub(in crate::vault) fn check_grant(
        &self,
        name: &str,
        slot: &Slot,
        own: Option<&Identity>,
        pinned: &std::collections::BTreeMap<String, String>,
    ) -> Result<()> {
        let refused = |why: &str| {
            Err(Error::Tampered(format!(
                "the data key in your key slot ({why}: someone who can write the vault may have put in a key of their own; see `keyward doctor`)"
            )))
        };
        if slot.grant.is_empty() {
            if pinned.contains_key(name) {
                return refused("it carries no grant, though this machine knows your identity");
            }
            return Ok(());
        }
        let giver = if slot.given_by == name {
            match own {
                Some(identity) => identity.public_hex(),
                None => {
                    return refused("it claims to be self-granted, but the slot has no identity");
                }
            }
        } else if let Some(identity) = pinned.get(&slot.given_by) {
            identity.clone()
        } else {
            // First unlock here: the identity the vault commits for the giver.
            self.sync_commitment()?;
            let committed = self.commitment.borrow().members().unwrap_or_default();
            match committed
                .into_iter()
                .find(|m| slot::slot_name(&m.name) == slot.given_by)
                .map(|m| m.identity)
                .filter(|i| !i.is_empty())
            {
                Some(identity) => identity,
                None => return refused("it was given by no member the vault names"),
            }
        };
        if slot
            .grant_to(name)
            .verifies(&slot.given_by, &giver, &slot.grant)
        {
            Ok(())
        } else {
            refused("it was not given by a member this machine trusts")
        }
    }

    /// Gives a slot from before grants its member's identity (at that member's unlock, with
    /// the passphrase's key), self-granted, and commits the identity.
    pub(in crate::vault) fn add_identity(
        &self,
        name: &str,
        slot: &Slot,
        opened: &OpenedSlot,
    ) -> Result<()> {
        let identity = Identity::generate(name);
        let mut upgraded = slot.clone();
        upgraded.identity = identity.public_hex();
        upgraded.identity_secret =
            crypto::to_hex(&crypto::wrap(&opened.kek, IDENTITY_AAD, identity.seed()));
        upgraded.sign(name, &identity);
        self.write(|v, tx| {
            let mut members = v.commitment.borrow().members()?;
            let Some(me) = members
                .iter_mut()
                .find(|m| slot::slot_name(&m.name) == name)
            else {
                return Ok(());
            };
            me.identity = upgraded.identity.clone();
            me.kdf.get_or_insert(upgraded.params);
            let who = me.name.clone();
            tx.meta_set(name, &upgraded.to_bytes()?)?;
            v.commitment.borrow_mut().set_members(members)?;
            v.log(
                tx,
                Action::VaultUpgraded,
                None,
                "",
                &format!(
                    "member {who}: an identity key, so the data keys given to members are signed"
                ),
            )
        })
    }
}

fn read_kdf(conn: &dyn Store) -> Result<(KdfParams, Vec<u8>, Vec<u8>)> {
    let kdf = conn
        .meta_get("kdf")?
        .ok_or_else(|| Error::damaged("kdf", "the KDF parameters are missing"))?;
    let kdf: KdfMeta = serde_json::from_slice(&kdf)
        .map_err(|_| Error::damaged("kdf", "the KDF parameters are unreadable"))?;
    kdf.params.check().map_err(|why| {
        Error::damaged(
            "kdf",
            format!("the vault asks for {why}; refused before deriving anything"),
        )
    })?;
    let salt = crypto::from_hex(&kdf.salt)
        .filter(|s| (8..=64).contains(&s.len()))
        .ok_or_else(|| Error::damaged("kdf", "the KDF salt is unreadable"))?;
    let wrapped = conn
        .meta_get("data_key")?
        .ok_or_else(|| Error::damaged("data key", "the wrapped data key is missing"))?;
    Ok((kdf.params, salt, wrapped))
}

/// Counts a failed unlock outside the sealed state (there is no data key to seal with).
fn count_failed_unlock(conn: &dyn Store, at: Timestamp) -> Result<()> {
    store::in_transaction(conn, || {
        let mut failures: UnlockFailures = conn
            .meta_get(UNLOCK_FAILURES_META)?
            .and_then(|raw| serde_json::from_slice(&raw).ok())
            .unwrap_or(UnlockFailures {
                count: 0,
                first_at: at,
                last_at: at,
            });
        failures.count = failures.count.saturating_add(1);
        failures.last_at = at;
        let raw = serde_json::to_vec(&failures)
            .map_err(|e| Error::damaged("unlock failures", e.to_string()))?;
        conn.meta_set(UNLOCK_FAILURES_META, &raw)
    })
}

/// Milliseconds since `start`, for log lines.
fn ms(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
