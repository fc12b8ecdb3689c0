//! Keeping a vault sound: re-keying (passphrase change), backups and `doctor`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::vault::activity::{self, Action};
use crate::vault::commitment::MemberRecord;
use crate::vault::commitment::{self, Commitment, Entry, Table};
use crate::vault::crypto::DataKey;
use crate::vault::crypto::{self, KdfParams, Sealer};
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::publishing::signing;
use crate::vault::records::KeyData;
use crate::vault::store;
use crate::vault::store::Store;
use crate::vault::team::members::{Slot, slot_name};
use crate::vault::team::reseal::{self, Source};

pub use crate::vault::team::reseal::RekeyProgress;

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
    pub giver: Option<crate::vault::team::grants::Identity>,
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

/// What `doctor` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DoctorReport {
    pub nodes: usize,
    pub keys: usize,
    pub activity_entries: usize,
    /// Changes committed since the vault was created (or last re-keyed).
    pub transactions: u64,
    pub problems: Vec<String>,
    /// Not damage, but worth fixing (a file others can read).
    pub warnings: Vec<String>,
}

impl DoctorReport {
    pub fn is_healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Vault {
    /// Blind indexes recomputed from the records (a wrong one would make a key unfindable or
    /// a name look taken), and id counters that moved below ids the vault already used.
    fn index_problems(&self, committed: &HashMap<(Table, i64), Entry>) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let tree = self.tree()?;
        for row in self.conn.index_rows(false)? {
            if let Some(node) = tree.nodes.get(&row.id).filter(|n| !n.tampered) {
                let tag = self.name_tag("node", node.parent, &node.name);
                if !crypto::ct_eq(&tag, &row.name_tag) {
                    problems.push(format!("node #{}: its name index was changed", row.id));
                }
            }
        }
        let indexes = self.conn.index_rows(true)?;
        for row in &indexes {
            let Some(stored) = self.conn.key_row_by_id(row.id)? else {
                continue;
            };
            let Some(data) = self.open_key(&stored)? else {
                continue;
            };
            let what = format!("key {}", data.key_id);
            if !crypto::ct_eq(
                &self.name_tag("key", data.node_id, &data.name),
                &row.name_tag,
            ) {
                problems.push(format!("{what}: its name index was changed"));
            }
            let lookup = crypto::from_hex(&data.sha256).map(|h| self.lookup_tag(&h));
            if lookup.is_none_or(|l| !crypto::ct_eq(&l, &row.lookup)) {
                problems.push(format!("{what}: its lookup index was changed"));
            }
            let prev = data
                .previous
                .as_ref()
                .and_then(|p| crypto::from_hex(&p.sha256))
                .map(|h| self.lookup_tag(&h));
            let prev_ok = match (&prev, &row.prev_lookup) {
                (None, None) => true,
                (Some(a), Some(b)) => crypto::ct_eq(a, b),
                _ => false,
            };
            if !prev_ok {
                problems.push(format!("{what}: its previous-secret index was changed"));
            }
        }
        for table in Table::ALL {
            let highest = committed
                .iter()
                .filter(|((t, _), _)| *t == table)
                .map(|((_, id), _)| *id)
                .max()
                .unwrap_or(0);
            let counter = self.conn.sequence_of(table.name())?;
            if counter < highest {
                problems.push(format!(
                    "the id counter of {} was moved back ({counter}, below id {highest} the vault used)",
                    table.name()
                ));
            }
        }
        Ok(problems)
    }

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
            .unwrap_or_else(|| crate::vault::team::grants::Identity::generate(&own_name));
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
                    fresh.set_signing_key(crate::vault::crypto::to_hex(public.as_bytes()))?;
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
            let targets_digest =
                crate::vault::publishing::targets::reseal_targets(&to, conn, &targets)?;
            let acks_digest = crate::vault::maintenance::health::reseal_acks(&to, conn, &acks)?;
            fresh.set_setting(
                crate::vault::publishing::targets::PUBLISH_TARGETS,
                targets_digest,
            )?;
            fresh.set_setting(crate::vault::maintenance::health::HEALTH_ACKS, acks_digest)?;
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

    /// Writes a consistent copy of the vault (still encrypted, same passphrase) to `dest`,
    /// owner-only from its first byte; logged once it is written.
    pub fn backup(&mut self, dest: &Path) -> Result<()> {
        if dest.symlink_metadata().is_ok() {
            return Err(Error::NameTaken {
                what: Thing::File,
                name: dest.display().to_string(),
                place: String::new(),
            });
        }
        self.conn.backup_into(dest)?;
        self.write(|v, tx| {
            v.log(
                tx,
                Action::BackupWritten,
                None,
                "",
                &dest.display().to_string(),
            )
        })
    }

    /// Checks the file, the state commitment, every sealed record against it, and the
    /// activity chain against its committed head.
    pub fn doctor(&self) -> Result<DoctorReport> {
        let mut report = DoctorReport::default();
        let kind = if self.conn.is_server() {
            "server"
        } else {
            "sqlite"
        };
        for line in self.conn.integrity_check()? {
            report.problems.push(format!("{kind}: {line}"));
        }
        if store::others_can_read(&self.path) {
            report.warnings.push(format!(
                "{} can be read by other users; run: chmod 600 {}",
                self.path.display(),
                self.path.display()
            ));
        }
        let audit = self
            .commitment
            .borrow_mut()
            .audit(&*self.conn, &self.sealer)?;
        self.commitment.borrow_mut().invalidate();
        report.problems.extend(audit.problems);
        report.transactions = audit.root.as_ref().map_or(0, |r| r.tx);
        let mut present: HashSet<(Table, i64)> = HashSet::new();
        let tree = self.tree()?;
        report.nodes = tree.nodes.len();
        for row in self.conn.node_rows()? {
            present.insert((Table::Nodes, row.id));
            let what = format!("node #{}", row.id);
            let committed = audit.entries.get(&(Table::Nodes, row.id));
            if let Some(problem) =
                commitment_problem(&what, committed, &row.sealed, row.version, row.malformed)
            {
                report.problems.push(problem);
            } else if self.open_node(&row)?.is_none() {
                report.problems.push(format!(
                    "{what} failed its integrity check (or its plain columns were changed)"
                ));
            }
        }
        for node in tree.nodes.values() {
            if !node.tampered && node.parent != 0 && !tree.nodes.contains_key(&node.parent) {
                report.problems.push(format!("{} has no parent", node.path));
            }
        }
        self.conn.each_key_row(None, &mut |row| {
            report.keys += 1;
            present.insert((Table::Keys, row.id));
            let what = format!("key {} (row #{})", row.key_id, row.id);
            let committed = audit.entries.get(&(Table::Keys, row.id));
            if let Some(problem) =
                commitment_problem(&what, committed, &row.sealed, row.version, row.malformed)
            {
                report.problems.push(problem);
            } else {
                match self.open_key(&row)? {
                    None => report
                        .problems
                        .push(format!("{what} failed its integrity check")),
                    Some(KeyData { node_id, .. }) if !tree.nodes.contains_key(&node_id) => report
                        .problems
                        .push(format!("{what} belongs to a missing node")),
                    Some(_) => {}
                }
            }
            Ok(())
        })?;
        let mut missing: Vec<String> = audit
            .entries
            .iter()
            .filter(|(key, e)| e.is_live() && !present.contains(key))
            .map(|((table, id), e)| {
                format!(
                    "{} row #{id} (version {}) was deleted from the file",
                    table.name(),
                    e.version
                )
            })
            .collect();
        missing.sort();
        report.problems.extend(missing);
        report.problems.extend(self.index_problems(&audit.entries)?);
        let head = audit
            .root
            .as_ref()
            .map(|r| (r.activity_seq, r.activity_mac.as_str()));
        let (entries, problems) = activity::check_chain(self, &*self.conn, head)?;
        report.activity_entries = entries;
        report.problems.extend(problems);
        report.problems.extend(self.signing_key_problem());
        report.problems.extend(self.member_problems());
        report.problems.extend(self.settings_problems());
        Ok(report)
    }
}

/// What is wrong with a stored row against its committed entry, if anything.
fn commitment_problem(
    what: &str,
    committed: Option<&Entry>,
    sealed: &[u8],
    version: i64,
    malformed: bool,
) -> Option<String> {
    Some(match committed {
        _ if malformed => format!("{what} has a value of the wrong type"),
        None => format!("{what} is not in the state commitment (inserted)"),
        Some(e) if !e.is_live() => format!("{what} was deleted and has been put back"),
        Some(e) if e.version != version => format!(
            "{what} is at version {version}, the vault committed version {} (rolled back or replayed)",
            e.version
        ),
        Some(e) if !e.matches(version, sealed) => {
            format!("{what} is not the record the vault committed")
        }
        Some(_) => return None,
    })
}
