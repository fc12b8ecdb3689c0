//! The `Vault` handle: an unlocked vault's store, sealer, clock and state commitment, the write
//! transaction every change runs in, and the sealing helpers the concept folders share.
//! Creating and unlocking one are the `team` folder's (they start from a member).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::vault::commitment::{self, Commitment, Table};
use crate::vault::crypto::Sealer;
use crate::vault::error::{Error, Result};
use crate::vault::location;
use crate::vault::model::{self, NodeId, Timestamp};
use crate::vault::records;
use crate::vault::store::{self, LiveFeed, Store};

pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// An unlocked vault. Dropping it drops every decrypted value and wipes the subkeys.
pub struct Vault {
    pub(in crate::vault) conn: Box<dyn Store>,
    pub(in crate::vault) path: PathBuf,
    pub(in crate::vault) sealer: Sealer,
    pub(in crate::vault) clock: Clock,
    pub(in crate::vault) commitment: RefCell<Commitment>,
    /// Nodes whose keys the write under way changed (for the publish targets).
    pub(in crate::vault) touched: RefCell<Vec<Option<NodeId>>>,
    /// Publish failures of the last change, for the front end to show.
    pub(in crate::vault) publish_errors: RefCell<Vec<String>>,
    /// A write transaction is under way (its root is the one to check against, as loaded).
    pub(in crate::vault) writing: std::cell::Cell<bool>,
    /// The member who unlocked the vault (recorded with every change in the activity log).
    pub(in crate::vault) member: String,
    /// Keys' rate limits and credits as checked through this handle (services count their
    /// own; see `keyward serve`).
    pub(in crate::vault) limiter: keyward_verify::limits::Limiter,
}

pub(in crate::vault) fn tamper(what: &str, id: impl std::fmt::Display) -> Error {
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

    pub(in crate::vault) fn with(
        conn: Box<dyn Store>,
        path: &Path,
        data_key: &[u8; 32],
        member: &str,
    ) -> Vault {
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
            limiter: keyward_verify::limits::Limiter::new(),
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

    /// Runs `f` in one IMMEDIATE transaction that also advances the state commitment: all of
    /// it lands, or none of it.
    /// Once it is committed, the publish targets it affects are rewritten.
    pub(in crate::vault) fn write<T>(
        &self,
        f: impl FnOnce(&Vault, &dyn Store) -> Result<T>,
    ) -> Result<T> {
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

    // ---- sealing helpers ----

    pub(in crate::vault) fn seal_json<T: Serialize>(
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
    pub(in crate::vault) fn open_row<T: for<'de> Deserialize<'de>>(
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
    pub(in crate::vault) fn committed(
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
    pub(in crate::vault) fn sync_commitment(&self) -> Result<()> {
        self.commitment
            .borrow_mut()
            .refresh(&*self.conn, &self.sealer)
    }

    pub(in crate::vault) fn name_tag(&self, scope: &str, parent: NodeId, name: &str) -> Vec<u8> {
        name_tag_with(&self.sealer, scope, parent, name)
    }

    pub(in crate::vault) fn lookup_tag(&self, sha256: &[u8]) -> Vec<u8> {
        self.sealer.tag(&[b"lookup", sha256])
    }
}

/// Decrypts and parses a sealed row already checked against the commitment; `None` when it
/// does not open or parse.
pub(in crate::vault) fn open_sealed<T: for<'de> Deserialize<'de>>(
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
pub(in crate::vault) fn name_tag_with(
    sealer: &Sealer,
    scope: &str,
    parent: NodeId,
    name: &str,
) -> Vec<u8> {
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
