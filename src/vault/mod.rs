//! The vault core: model, storage, crypto, verification and the activity log. Knows nothing
//! of any user interface; the window and the command line both call this API. The key format,
//! verifier files and the decision are the `keyward-verify` crate's (what services link); this
//! module re-exports them under their old names, and `verify` wraps its `Verifier`.
//!
//! One file per concept: `unlock`, `nodes`, `scopes`, the `keys` folder (minting, reading,
//! editing and checking keys: `keys::verify`), `maintenance` (re-key, backup, doctor), `upgrade` (older
//! formats), the `tree` walk, the `commitment` to the vault's state, the keyed `activity` chain,
//! `members` and their `grants`, this machine's `pins`, the committed `settings`, `outside`
//! files; all SQL is in `store`.

mod activity;
mod commitment;
mod crypto;
mod delivery;
mod error;
mod exposure;
mod grants;
mod health;
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
mod settings;
mod signing;
mod store;
mod time_text;
mod tree;
mod unlock;
mod upgrade;
mod usage;
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
pub use keys::edit::KeyEdit;
pub use keys::filter::{KeyFilter, contains_folded};
pub use keys::keyfile::{KeyFile, write_file_atomically, write_private_file};
pub use keys::lifecycle::{MasterKey, MintedKey, NewKey};
pub use keys::verify::verifier::{Verifier, parse_valid_for, validate_prefix};
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
pub use signing::VerifierKeyInfo;
pub use store::{LiveEvent, LiveFeed};
pub use usage::{DAY_SECS, HOUR_SECS, KeyUsage, KeyUsageRecord, UsageFile, usage_path};
// The key format, verifier files and the decision are the verifier crate's (what services
// link); the vault's API names them here as before.
pub use keyward_verify::{
    CHECKSUM_CHARS, DEFAULT_PREFIX, ExportedVerifier, Outcome, RANDOM_CHARS, Secret, TrustedKey,
    Verification, VerifierEntry, VerifierFile, VerifierPayload, VerifierPrevious, extract_key,
};

// The key files' old module paths, for the vault files that still name them.
use keys::verify::verifier as verify;
use keys::{keyfile, read as key_read, walk as key_walk};

use commitment::{Commitment, Table};
use crypto::Sealer;

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
