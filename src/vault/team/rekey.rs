//! Re-keying: a new data key for the whole vault, every record re-sealed under it (`reseal`)
//! and the new key sealed to every member, in one transaction. A changed passphrase and a
//! removed member both re-key; so a removed member's copy of their slot opens only the old key.

use crate::vault::activity::{self, Action};
use crate::vault::commitment::{self, Commitment, MemberRecord};
use crate::vault::crypto::{self, DataKey, KdfParams, Sealer};
use crate::vault::error::{Error, Result};
use crate::vault::handle::Vault;
use crate::vault::maintenance::health;
use crate::vault::publishing::{signing, targets};
use crate::vault::store::{self, Store};
use crate::vault::team::grants::Identity;
use crate::vault::team::reseal::{self, RekeyProgress, Source};
use crate::vault::team::slot::{Slot, slot_name};

/// A re-key: the new data key, what to log, and who can open the result.
pub(in crate::vault) struct Rekey {
    pub data_key: DataKey,
    pub action: Action,
    pub detail: String,
    /// Every member after the re-key: the new data key is sealed to each.
    pub members: Vec<MemberRecord>,
    /// A slot replaced whole (a changed passphrase: new salt, new key pair).
    pub replace: Option<(String, Slot)>,
    /// A slot deleted (a removed member).
    pub remove: Option<String>,
    /// Replace the signing key too (a removed member's copy must sign nothing services accept).
    pub rotate_signing_key: bool,
    /// The member re-keying, whose identity grants the new data key to the others (`None`: a
    /// member from before grants).
    pub giver: Option<Identity>,
}

/// Seals the new data key to every member of `plan` (their slots otherwise unchanged), in the
/// re-key's transaction. A slot that is missing or does not carry its committed public key
/// stops the re-key.
fn reseal_slots(conn: &dyn Store, plan: &Rekey) -> Result<()> {
    for m in &plan.members {
        let name = slot_name(&m.name);
        let slot = match &plan.replace {
            Some((replaced, slot)) if *replaced == name => slot.clone(),
            _ => {
                let raw = conn
                    .meta_get(&name)?
                    .ok_or_else(|| Error::Tampered(format!("the key slot of member {}", m.name)))?;
                let slot = Slot::parse(&raw)?;
                if slot.public != m.public {
                    return Err(Error::Tampered(format!(
                        "the key slot of member {}",
                        m.name
                    )));
                }
                slot.resealed(&name, &plan.data_key, plan.giver.as_ref())?
            }
        };
        conn.meta_set(&name, &slot.to_bytes()?)?;
    }
    if let Some(removed) = &plan.remove {
        conn.meta_delete(removed)?;
    }
    // The wrap of a vault from before members never outlives a re-key.
    conn.meta_delete("kdf")?;
    conn.meta_delete("data_key")
}

impl Vault {
    /// Changes the passphrase and re-keys the vault: a new data key, every record re-sealed,
    /// every blind index and the activity chain recomputed, in one transaction; then the WAL is
    /// truncated so the old wrap of the old key is gone from the files. The current passphrase
    /// is asked again so an unlocked, unattended window cannot be taken over.
    pub fn change_passphrase(
        &mut self,
        current: &str,
        new: &str,
        params: Option<KdfParams>,
    ) -> Result<()> {
        self.rekey(current, new, params, &mut |_| {})
    }

    /// [`Vault::change_passphrase`] with progress (seconds at 100,000 keys). Only your own
    /// passphrase changes; the new data key is sealed to every other member as it is.
    pub fn rekey(
        &mut self,
        current: &str,
        new: &str,
        params: Option<KdfParams>,
        progress: &mut dyn FnMut(RekeyProgress),
    ) -> Result<()> {
        if new.is_empty() {
            return Err(Error::bad_input(
                "passphrase",
                "the new passphrase must not be empty",
            ));
        }
        let (own_name, own, opened) = self.own_slot(current)?;
        let params = params.unwrap_or(own.params);
        params
            .check()
            .map_err(|why| Error::bad_input("kdf", format!("you ask for {why}")))?;
        self.sync_commitment()?;
        let mut members = self.commitment.borrow().members()?;
        let data_key = crypto::new_data_key();
        // The identity is kept (others have pinned it); a slot from before grants gets one.
        let identity = opened
            .identity
            .unwrap_or_else(|| Identity::generate(&own_name));
        let slot = Slot::new(&own_name, new, params, &data_key, Some(&identity))?;
        for m in &mut members {
            if slot_name(&m.name) == own_name {
                m.public = slot.public.clone();
                m.identity = slot.identity.clone();
                m.kdf = Some(slot.params);
            }
        }
        self.rekey_members(
            Rekey {
                data_key,
                action: Action::PassphraseChanged,
                detail: "re-keyed: new data key, every record re-sealed".into(),
                members,
                replace: Some((own_name, slot)),
                remove: None,
                rotate_signing_key: false,
                giver: Some(identity),
            },
            progress,
        )
    }

    /// Re-keys the vault: a new data key, every record re-sealed, every blind index and the
    /// activity chain recomputed, the new key sealed to every member of `plan`, in one
    /// transaction; then the WAL is truncated so the old slots are gone from the files.
    pub(in crate::vault) fn rekey_members(
        &mut self,
        plan: Rekey,
        progress: &mut dyn FnMut(RekeyProgress),
    ) -> Result<()> {
        if plan.members.is_empty() {
            return Err(Error::NotAllowed(
                "this vault has no members list yet (open it once with write access)".into(),
            ));
        }
        let to = Sealer::new(&plan.data_key);
        let now = self.now();
        // Sealed outside the records: re-sealed under the new key below.
        let (targets, targets_problem) = match self.targets() {
            Ok(t) => (t, None),
            Err(e) => (
                Vec::new(),
                Some(format!("{e}; the publish targets were dropped")),
            ),
        };
        let (acks, acks_problem) = match self.acks_for_rekey() {
            Ok(a) => (a, None),
            Err(e) => (
                Vec::new(),
                Some(format!("{e}; the acknowledgements were dropped")),
            ),
        };
        let conn = &*self.conn;
        let from = &self.sealer;
        let commitment = &self.commitment;
        let member = &self.member;
        store::in_transaction(conn, || {
            // A re-key rewrites everything: it must not build on (and so launder) a state
            // that fails its checks.
            let audit = commitment.borrow_mut().audit(conn, from)?;
            if let Some(problem) = audit.problems.first() {
                return Err(Error::Tampered(format!("the vault ({problem})")));
            }
            let root = audit
                .root
                .as_ref()
                .ok_or_else(|| Error::damaged("commitment", "the state commitment was not read"))?;
            commitment::check_head(root, conn)?;
            let tx = root.tx;
            let resealed =
                reseal::reseal_all(conn, Source::V2(&audit.entries), from, &to, progress)?;
            if let Some(problem) = resealed.problems.first() {
                return Err(Error::Tampered(format!("the vault ({problem})")));
            }
            // The signing key is kept (services trust its public key), re-sealed under the
            // new key, unless the plan rotates it; the commitment names the one in use.
            let rotate = plan.rotate_signing_key
                && audit
                    .root
                    .as_ref()
                    .is_some_and(|r| !r.signing_key.is_empty());
            let signing_problem = if rotate {
                None
            } else {
                signing::reseal(conn, from, &to)?
            };
            let mut fresh = Commitment::default();
            fresh.rebuild(conn, &to, tx, resealed.entries)?;
            fresh.begin_write(conn, &to)?;
            if let Some(root) = audit.root.as_ref() {
                if rotate {
                    let vault_id = signing::stored_vault_id(conn)?;
                    let public = signing::store_new_seed(conn, &to, &vault_id)?;
                    let retired = signing::retire(
                        root.retired_signing_keys.clone(),
                        root.signing_key.clone(),
                        root.signing_key_since,
                        now,
                    );
                    fresh.set_signing_key(crypto::to_hex(public.as_bytes()))?;
                    fresh.set_signing_history(Some(now), retired)?;
                } else {
                    fresh.set_signing_key(root.signing_key.clone())?;
                    fresh.set_signing_history(
                        root.signing_key_since,
                        root.retired_signing_keys.clone(),
                    )?;
                }
            }
            fresh.set_members(plan.members.clone())?;
            reseal_slots(conn, &plan)?;
            let mut problems = audit.problems;
            problems.extend(resealed.problems);
            problems.extend(signing_problem);
            problems.extend(targets_problem.clone());
            problems.extend(acks_problem.clone());
            let targets_digest = targets::reseal_targets(&to, conn, &targets)?;
            let acks_digest = health::reseal_acks(&to, conn, &acks)?;
            fresh.set_setting(targets::PUBLISH_TARGETS, targets_digest)?;
            fresh.set_setting(health::HEALTH_ACKS, acks_digest)?;
            let mut detail = plan.detail.clone();
            if !problems.is_empty() {
                detail.push_str(&format!(
                    "; {} carried over: {}",
                    crate::numbers::count_of(problems.len(), "problem", "problems"),
                    problems.join("; ")
                ));
            }
            activity::append_with(&to, conn, now, member, plan.action, None, "", &detail)?;
            fresh.finish_write(conn, &to)
        })
        .inspect_err(|_| self.commitment.borrow_mut().invalidate())?;
        self.sealer = to;
        self.commitment.borrow_mut().invalidate();
        self.record_pin();
        self.conn.checkpoint_truncate()?;
        if plan.rotate_signing_key {
            // Files signed by the new key, at once: the old key is the removed member's too.
            self.publish_all();
        }
        Ok(())
    }
}
