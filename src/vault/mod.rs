//! The vault core: model, storage, crypto, secret format, verification and the activity log.
//! Knows nothing of any user interface; the window and the command line both call this API.
//!
//! One file per concept: `nodes`, `scopes`, `keys`, `verification` (checking a presented key
//! against the vault), `maintenance` (re-key, backup, doctor), `upgrade` (older formats), the
//! `tree` walk, the `commitment` to the vault's state, the keyed `activity` chain; all SQL is in
//! `store`.

mod activity;
mod commitment;
mod crypto;
mod delivery;
mod error;
mod exposure;
mod grants;
mod health;
mod key_edit;
mod key_filter;
mod key_read;
mod key_walk;
mod keyfile;
mod keys;
mod location;
mod maintenance;
mod members;
mod migrate;
mod model;
mod nodes;
pub mod outside;
pub mod pins;
mod publish;
mod records;
mod rekey;
mod scopes;
mod secret;
mod settings;
mod signing;
mod store;
mod time_text;
mod tree;
mod upgrade;
mod usage;
mod verification;
mod verifier_file;
mod verify;
mod wiped;

#[cfg(test)]
mod tests;

#[doc(hidden)]
pub mod fuzzing;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use store::Store;

pub use activity::{Action, ActivityEntry};
pub use crypto::KdfParams;
#[cfg(feature = "cli")]
pub(crate) use crypto::{sha256, to_hex};
pub use error::{Error, Result};
pub use exposure::Found;
pub use health::{Ack, Finding, FindingKind};
pub use key_edit::KeyEdit;
pub use key_filter::{KeyFilter, contains_folded};
pub use keyfile::{KeyFile, write_file_atomically, write_private_file};
pub use keys::{MasterKey, MintedKey, NewKey};
pub use location::{is_server_url, redact as redact_location};
pub use maintenance::{DoctorReport, RekeyProgress};
pub use members::{DEFAULT_MEMBER, MAX_MEMBER_CHARS, Member, validate_member_name};
pub use migrate::Migrated;
pub use model::{
    EXPIRING_SOON_SECS, Expiry, Grace, KeyDetails, KeyInfo, KeyStatus, MAX_NAME_CHARS, Node,
    NodeId, NodeKind, PassphraseStrength, Preset, Scope, Timestamp, format_date, format_time, now,
    parse_time, status_at, validate_name,
};
pub use publish::{DEFAULT_PUBLISH_MODE, PublishTarget, this_host};
pub use secret::{CHECKSUM_CHARS, DEFAULT_PREFIX, RANDOM_CHARS, Secret, validate_prefix};
pub use signing::{TrustedKey, VerifierKeyInfo};
pub use store::{LiveEvent, LiveFeed};
pub use usage::{DAY_SECS, HOUR_SECS, KeyUsage, KeyUsageRecord, UsageFile, usage_path};
pub use verifier_file::{
    ExportedVerifier, VerifierEntry, VerifierFile, VerifierPayload, VerifierPrevious,
    parse_valid_for,
};
pub use verify::{Outcome, Verification, Verifier, extract_key};

use commitment::{Commitment, Table};
use crypto::Sealer;
use records::{KdfMeta, UNLOCK_FAILURES_META, UnlockFailures, WRAP_AAD, WRAP_AAD_V1};

pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// An unlocked vault. Dropping it drops every decrypted value and wipes the subkeys.
pub struct Vault {
    conn: Box<dyn Store>,
    path: PathBuf,
    sealer: Sealer,
    clock: Clock,
    commitment: RefCell<Commitment>,
    /// Nodes whose keys the write under way changed (for the publish targets).
    touched: RefCell<Vec<Option<NodeId>>>,
    /// Publish failures of the last change, for the front end to show.
    publish_errors: RefCell<Vec<String>>,
    /// A write transaction is under way (its root is the one to check against, as loaded).
    writing: std::cell::Cell<bool>,
    /// The member who unlocked the vault (recorded with every change in the activity log).
    member: String,
}

fn tamper(what: &str, id: impl std::fmt::Display) -> Error {
    Error::Tampered(format!("{what} {id}"))
}

impl Vault {
    /// The default vault path: the OS data directory for Keyward.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "Keyward")
            .map(|d| d.data_dir().join("vault.keyward"))
    }

    /// Whether a vault file is there. A server URL counts as there: only connecting tells,
    /// and opening says so clearly when it is not.
    pub fn exists(path: &Path) -> bool {
        store::server_url(path).is_some() || path.is_file()
    }

    /// Whether `path` names a server database rather than a file.
    pub fn is_server_location(path: &Path) -> bool {
        store::server_url(path).is_some()
    }

    fn with(conn: Box<dyn Store>, path: &Path, data_key: &[u8; 32], member: &str) -> Vault {
        Vault {
            member: member.to_owned(),
            conn,
            path: path.to_owned(),
            sealer: Sealer::new(data_key),
            clock: Arc::new(model::now),
            commitment: RefCell::new(Commitment::default()),
            touched: RefCell::new(Vec::new()),
            publish_errors: RefCell::new(Vec::new()),
            writing: std::cell::Cell::new(false),
        }
    }

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
            return Err(Error::Invalid("the passphrase must not be empty".into()));
        }
        params
            .check()
            .map_err(|why| Error::Invalid(format!("you ask for {why}")))?;
        let data_key = crypto::new_data_key();
        let slot = members::Slot::new(
            &members::slot_name(member),
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
                (&members::slot_name(member), &slot.to_bytes()?),
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
        let slots = members::stored_slots(&*opened)?;
        if !slots.is_empty() {
            return Vault::open_slot(opened, path, &slots, member, passphrase, start);
        }
        // A vault from before members: one passphrase, which becomes the owner's.
        if let Some(name) = member
            && !validate_member_name(name)?.eq_ignore_ascii_case(DEFAULT_MEMBER)
        {
            return Err(Error::NotFound(format!("member {}", name.trim())));
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
        Ok(members::stored_slots(&*opened)?.len().max(1))
    }

    /// The KDF parameters of a member's passphrase (default: as [`Vault::open_as`] picks).
    pub fn kdf_params_of(path: &Path, member: Option<&str>) -> Result<KdfParams> {
        let opened = store::open(path)?;
        let slots = members::stored_slots(&*opened)?;
        if slots.is_empty() {
            return Ok(read_kdf(&*opened)?.0);
        }
        match members::choose_slot(&slots, member) {
            Ok((_, slot)) => Ok(slot.params),
            // Several members, none named: the file is a vault all the same (the window reads
            // this before it knows who is unlocking).
            Err(Error::Invalid(_)) if member.is_none() => {
                Ok(members::Slot::parse(&slots[0].1)?.params)
            }
            Err(e) => Err(e),
        }
    }

    /// Where the vault is: a file path, or a server URL (with its password: do not show it;
    /// [`Vault::location`] is for showing).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The vault's location for messages and titles (a server URL without its password).
    pub fn location(&self) -> String {
        display_location(&self.path)
    }

    /// Whether the vault lives on a server that several members share.
    pub fn is_shared(&self) -> bool {
        self.conn.is_server()
    }

    /// Whether this unlocked session's data key still opens the vault's state: another
    /// member's re-key (`member rm`, `passwd`) replaces it, and the session must unlock again.
    pub fn data_key_current(&self) -> Result<bool> {
        let Some(sealed) = self.conn.meta_get(commitment::ROOT_META)? else {
            return Ok(false);
        };
        Ok(commitment::Root::open(&self.sealer, &sealed).is_some())
    }

    /// A feed of changes other members commit, for a vault on a server (`None` for a file:
    /// poll [`Vault::data_version`]). `wake` is called from the feed's thread on each event.
    pub fn live_feed(&self, wake: Box<dyn Fn() + Send>) -> Option<Result<LiveFeed>> {
        self.conn.live_feed(wake)
    }

    /// Replaces the clock (tests, and previews of "what will be expired then").
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Sets SQLite's page cache (16 MiB by default, sized for fast verification of 100,000 keys).
    /// The window, which lists rather than verifies, keeps less.
    pub fn set_page_cache_mib(&self, mib: u32) -> Result<()> {
        self.conn.set_cache_mib(mib)
    }

    /// Frees what this process cached while reading (the commitment's buckets, pages): for a
    /// long-lived reader such as the window, after a listing of the whole vault. The next read
    /// fetches what it needs again.
    pub fn release_memory(&self) {
        self.commitment.borrow_mut().forget_buckets();
        self.conn.release_memory();
    }

    /// The sequence number of the newest activity entry: it moves with every change that is
    /// logged (all of them except the last-used stamps that verification writes).
    pub fn activity_mark(&self) -> Result<i64> {
        Ok(self.conn.last_activity()?.map_or(0, |(seq, _)| seq))
    }

    /// The newest last-used stamp in the vault (moved by verification, which logs nothing and,
    /// on a shared vault, announces nothing).
    pub fn latest_use(&self) -> Result<Option<Timestamp>> {
        self.conn.latest_use()
    }

    /// Changes whenever another process commits to this vault.
    pub fn data_version(&self) -> Result<i64> {
        self.conn.data_version()
    }

    /// The activity log, newest first, for `node` and below (everything when `None`).
    pub fn activity(&self, node: Option<NodeId>, limit: usize) -> Result<Vec<ActivityEntry>> {
        activity::read(self, node, limit)
    }

    /// Runs `f` in one IMMEDIATE transaction that also advances the state commitment: all of
    /// it lands, or none of it.
    /// Once it is committed, the publish targets it affects are rewritten.
    fn write<T>(&self, f: impl FnOnce(&Vault, &dyn Store) -> Result<T>) -> Result<T> {
        self.touched.borrow_mut().clear();
        let result = store::in_transaction(&*self.conn, || {
            self.commitment
                .borrow_mut()
                .begin_write(&*self.conn, &self.sealer)?;
            self.writing.set(true);
            let out = f(self, &*self.conn).and_then(|out| self.adopt_settings().map(|()| out));
            self.writing.set(false);
            let out = out?;
            self.commitment
                .borrow_mut()
                .finish_write(&*self.conn, &self.sealer)?;
            Ok(out)
        });
        let touched = std::mem::take(&mut *self.touched.borrow_mut());
        if result.is_err() {
            self.commitment.borrow_mut().invalidate();
        } else {
            // Committed and durable: this machine has seen the new state.
            self.record_pin();
            self.publish_after(&touched);
        }
        result
    }

    fn log(
        &self,
        tx: &dyn Store,
        action: Action,
        node: Option<NodeId>,
        path: &str,
        detail: &str,
    ) -> Result<()> {
        if action.changes_keys() {
            self.touched.borrow_mut().push(node);
        }
        activity::append(self, tx, action, node, path, detail)
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

    // ---- sealing helpers ----

    fn seal_json<T: Serialize>(
        &self,
        table: Table,
        id: i64,
        version: i64,
        value: &T,
    ) -> Result<Vec<u8>> {
        records::seal_record(&self.sealer, table, id, version, value)
    }

    /// Decrypts a row if it is exactly the committed one (right version, right bytes) and its
    /// plain columns were readable. `None` means tampered.
    fn open_row<T: for<'de> Deserialize<'de>>(
        &self,
        table: Table,
        id: i64,
        version: i64,
        sealed: &[u8],
        malformed: bool,
    ) -> Result<Option<T>> {
        if !self.committed(table, id, version, sealed, malformed)? {
            return Ok(None);
        }
        Ok(open_sealed(&self.sealer, table, id, version, sealed))
    }

    /// Whether a row is the one the state commitment holds (the half of [`Vault::open_row`]
    /// that needs the database; the other half can run on another thread).
    fn committed(
        &self,
        table: Table,
        id: i64,
        version: i64,
        sealed: &[u8],
        malformed: bool,
    ) -> Result<bool> {
        // A malformed row is checked with no bytes, so a write that reads it is refused.
        let sealed = if malformed { &[][..] } else { sealed };
        self.commitment
            .borrow_mut()
            .check(&*self.conn, table, id, version, sealed)
    }

    /// Makes sure the commitment this process checks rows against is the current one (another
    /// process may have committed). Once per read operation.
    fn sync_commitment(&self) -> Result<()> {
        self.commitment
            .borrow_mut()
            .refresh(&*self.conn, &self.sealer)
    }

    fn name_tag(&self, scope: &str, parent: NodeId, name: &str) -> Vec<u8> {
        name_tag_with(&self.sealer, scope, parent, name)
    }

    fn lookup_tag(&self, sha256: &[u8]) -> Vec<u8> {
        self.sealer.tag(&[b"lookup", sha256])
    }
}

/// Decrypts and parses a sealed row already checked against the commitment; `None` when it
/// does not open or parse.
fn open_sealed<T: for<'de> Deserialize<'de>>(
    sealer: &Sealer,
    table: Table,
    id: i64,
    version: i64,
    sealed: &[u8],
) -> Option<T> {
    let plain = sealer.open(records::AadBuf::new(table, id, version).as_bytes(), sealed)?;
    serde_json::from_slice(&plain).ok()
}

/// Blind index of a name among its siblings (case-insensitive uniqueness without the name).
fn name_tag_with(sealer: &Sealer, scope: &str, parent: NodeId, name: &str) -> Vec<u8> {
    sealer.tag(&[
        scope.as_bytes(),
        &parent.to_be_bytes(),
        name.to_lowercase().as_bytes(),
    ])
}

/// A location for messages and logs: a file path as it is, a server URL without its password.
pub fn display_location(path: &Path) -> String {
    match path.to_str() {
        Some(text) if location::is_server_url(text) => location::redact(text),
        _ => path.display().to_string(),
    }
}

fn read_kdf(conn: &dyn Store) -> Result<(KdfParams, Vec<u8>, Vec<u8>)> {
    let kdf = conn
        .meta_get("kdf")?
        .ok_or_else(|| Error::Corrupt("the KDF parameters are missing".into()))?;
    let kdf: KdfMeta = serde_json::from_slice(&kdf)
        .map_err(|_| Error::Corrupt("the KDF parameters are unreadable".into()))?;
    kdf.params.check().map_err(|why| {
        Error::Corrupt(format!(
            "the vault asks for {why}; refused before deriving anything"
        ))
    })?;
    let salt = crypto::from_hex(&kdf.salt)
        .filter(|s| (8..=64).contains(&s.len()))
        .ok_or_else(|| Error::Corrupt("the KDF salt is unreadable".into()))?;
    let wrapped = conn
        .meta_get("data_key")?
        .ok_or_else(|| Error::Corrupt("the wrapped data key is missing".into()))?;
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
        let raw = serde_json::to_vec(&failures).map_err(|e| Error::Corrupt(e.to_string()))?;
        conn.meta_set(UNLOCK_FAILURES_META, &raw)
    })
}

/// Milliseconds since `start`, for log lines.
fn ms(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
