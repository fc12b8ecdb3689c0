//! The state commitment: what makes a partial rollback of the vault file detectable.
//!
//! Every sealed row (nodes, keys) has a version, bound into its AEAD associated data. The
//! commitment records, for every row id ever written, its current version and a digest of its
//! sealed bytes, the AES-GCM tag (or a tombstone once deleted). Entries live in buckets of 256 consecutive ids
//! (`commit_buckets`, plain bytes); the root — the digest of every bucket, the activity log's
//! head and a transaction counter — is sealed under the data key in `meta`. A change rewrites
//! one bucket per touched table and the root: O(1) work per change, whatever the vault's size.
//!
//! So a row put back to an earlier version, a deleted row put back, an inserted row, a whole
//! table restored from an older copy or a cut activity log no longer matches the root. Only a
//! rollback of the whole file (root included) to an older copy cannot be detected.

use std::collections::{BTreeMap, HashMap};

use crate::vault::store::Store;

mod bucket;
mod root;
mod table;

pub use bucket::Entry;
use bucket::{Bucket, Buckets, bucket_of};
pub use root::{MemberRecord, RetiredSigningKey, Root};
pub use table::Table;

use crate::vault::crypto::{self, DIGEST_LEN, Sealer};
use crate::vault::error::{Error, Result};

pub const ROOT_META: &str = "commitment";

/// Whether `bytes` decode as the commitment bucket `bucket` (for the parser properties).
pub fn bucket_decodes(bytes: &[u8], bucket: i64) -> bool {
    Bucket::decode(bytes, bucket).is_some()
}

fn bucket_key(table: Table, bucket: i64) -> String {
    format!("{}/{bucket}", table.name())
}

enum State {
    /// Not read yet, or to be read again.
    Unloaded,
    Loaded(Root),
    /// The root is missing or failed its integrity check: nothing can be trusted.
    Broken(String),
}

/// The commitment as this process knows it: the root, the buckets read so far (verified
/// against the root), and the changes staged by the transaction under way.
pub struct Commitment {
    state: State,
    /// `None`: the bucket's bytes do not match the root.
    buckets: Buckets,
    pager_version: i64,
    staged: BTreeMap<(Table, i64), Entry>,
    /// Inside a write: the first row read that is not the committed one. The write is then
    /// refused at [`Commitment::finish_write`], so tampering is never re-committed.
    write_saw: Option<Option<String>>,
    /// The counter of a root found older than the log (then `state` is broken).
    raw_tx: Option<u64>,
}

impl Default for Commitment {
    fn default() -> Self {
        Commitment {
            state: State::Unloaded,
            buckets: Buckets::default(),
            pager_version: i64::MIN,
            staged: BTreeMap::new(),
            write_saw: None,
            raw_tx: None,
        }
    }
}

/// What `doctor` learns from the commitment itself.
pub struct Audit {
    pub problems: Vec<String>,
    pub entries: HashMap<(Table, i64), Entry>,
    pub root: Option<Root>,
}

impl Commitment {
    /// Forgets everything: the next use reads the root again.
    pub fn invalidate(&mut self) {
        self.state = State::Unloaded;
        self.buckets.clear();
        self.staged.clear();
        self.write_saw = None;
    }

    /// Forgets the buckets read so far (they are read and verified again when needed); the
    /// root and a transaction's staged changes are kept.
    pub fn forget_buckets(&mut self) {
        self.buckets = Buckets::default();
    }

    fn load_root(&mut self, conn: &dyn Store, sealer: &Sealer) -> Result<()> {
        let root = match conn.meta_get(ROOT_META)? {
            None => State::Broken("missing".into()),
            Some(sealed) => match Root::open(sealer, &sealed) {
                Some(root) => State::Loaded(root),
                None => State::Broken("its seal does not open".into()),
            },
        };
        let same_tx =
            matches!((&self.state, &root), (State::Loaded(a), State::Loaded(b)) if a.tx == b.tx);
        if !same_tx {
            self.buckets.clear();
        }
        self.state = root;
        self.raw_tx = None;
        Ok(())
    }

    /// Reads the root again if anything was committed since it was read. Called once per read
    /// operation (a listing, a verification), right after its first read, not per row.
    pub fn refresh(&mut self, conn: &dyn Store, sealer: &Sealer) -> Result<()> {
        let version = conn.pager_version()?;
        if version != self.pager_version || matches!(self.state, State::Unloaded) {
            self.load_root_for_reading(conn, sealer, version)?;
        }
        Ok(())
    }

    /// Loads the root for reading. A root older than the stored activity log (it names an
    /// entry the log has gone on from: the keys, buckets and root of an older copy put back
    /// together) is broken, so every row read against it is tampered, not only what a write
    /// would touch; a log cut or edited behind a newer root keeps marking only what changed.
    /// The root and the log are read again when something was committed in between.
    fn load_root_for_reading(
        &mut self,
        conn: &dyn Store,
        sealer: &Sealer,
        version: i64,
    ) -> Result<()> {
        let mut version = version;
        for _ in 0..3 {
            self.load_root(conn, sealer)?;
            let behind = match &self.state {
                State::Loaded(root) => {
                    let seq = conn.last_activity()?.map_or(0, |(seq, _)| seq);
                    (seq > root.activity_seq).then(|| {
                        format!(
                            "the state commitment (an older copy was put back: it names entry {} \
                             of the activity log, which goes on to {seq})",
                            root.activity_seq
                        )
                    })
                }
                _ => None,
            };
            let after = conn.pager_version()?;
            if after != version {
                version = after;
                continue;
            }
            if let Some(why) = behind {
                let tx = self.tx().ok();
                self.buckets.clear();
                self.state = State::Broken(why);
                self.raw_tx = tx;
            }
            break;
        }
        self.pager_version = version;
        Ok(())
    }

    /// The transaction counter of the root as stored, even when it is broken for being older
    /// than the log (what a machine's pin compares).
    pub fn stored_tx(&self) -> Option<u64> {
        self.tx().ok().or(self.raw_tx)
    }

    fn root(&self) -> Result<&Root> {
        match &self.state {
            State::Loaded(root) => Ok(root),
            State::Broken(why) => Err(Error::Tampered(format!("the state commitment ({why})"))),
            State::Unloaded => Err(Error::damaged(
                "commitment",
                "the state commitment was not read",
            )),
        }
    }

    fn bucket(&mut self, conn: &dyn Store, table: Table, bucket: i64) -> Result<Option<&Bucket>> {
        if !self.buckets.contains_key(&(table, bucket)) {
            let expected = self
                .root()?
                .buckets
                .get(&bucket_key(table, bucket))
                .cloned();
            let stored = conn.bucket_get(table.name(), bucket)?;
            let verified = match (expected, stored) {
                (None, None) => Some(Bucket::default()),
                (Some(hex), Some(bytes)) if crypto::to_hex(&crypto::digest(&bytes)) == hex => {
                    Bucket::decode(&bytes, bucket)
                }
                _ => None,
            };
            self.buckets.insert((table, bucket), verified);
        }
        Ok(self.buckets.get(&(table, bucket)).and_then(Option::as_ref))
    }

    /// The committed entry of a row; `Err(Tampered)` when the commitment itself is damaged.
    fn entry(&mut self, conn: &dyn Store, table: Table, id: i64) -> Result<Option<Entry>> {
        if let Some(staged) = self.staged.get(&(table, id)) {
            return Ok(Some(*staged));
        }
        match self.bucket(conn, table, bucket_of(id))? {
            Some(b) => Ok(b.get(id).copied()),
            None => Err(bucket_tampered(table, bucket_of(id))),
        }
    }

    /// Whether a stored row is exactly the committed one (as of the last [`refresh`]).
    ///
    /// [`refresh`]: Commitment::refresh
    pub fn check(
        &mut self,
        conn: &dyn Store,
        table: Table,
        id: i64,
        version: i64,
        sealed: &[u8],
    ) -> Result<bool> {
        if matches!(self.state, State::Unloaded) {
            return Err(Error::damaged(
                "commitment",
                "the state commitment was not read",
            ));
        }
        let good = match self.entry(conn, table, id) {
            Ok(Some(e)) => e.matches(version, sealed),
            Ok(None) | Err(Error::Tampered(_)) => false,
            Err(e) => return Err(e),
        };
        if let Some(saw @ None) = &mut self.write_saw
            && !good
        {
            *saw = Some(format!("record {} #{id}", table.name()));
        }
        Ok(good)
    }

    /// Outside a write: refuses a state no write could build on (a root that fails, a log
    /// whose tail is not the committed head). What is published from the vault checks this.
    pub fn check_intact(&mut self, conn: &dyn Store, sealer: &Sealer) -> Result<()> {
        self.refresh(conn, sealer)?;
        check_head(self.root()?, conn)
    }

    /// The committed public key (hex) of the signing key, if the vault has one.
    pub fn signing_key(&self) -> Result<Option<String>> {
        let root = self.root()?;
        Ok(Some(root.signing_key.clone()).filter(|k| !k.is_empty()))
    }

    /// Inside a write: changes the root being written (an error when it is not loaded).
    fn edit_root(&mut self, edit: impl FnOnce(&mut Root)) -> Result<()> {
        match &mut self.state {
            State::Loaded(root) => {
                edit(root);
                Ok(())
            }
            _ => self.root().map(drop),
        }
    }

    /// Inside a write: records the signing key's public key in the root being written.
    pub fn set_signing_key(&mut self, public_hex: String) -> Result<()> {
        self.edit_root(|root| {
            root.signing_key = public_hex;
        })
    }

    /// The committed signing-key history: when the current key came in, and the retired ones.
    pub fn signing_history(
        &self,
    ) -> Result<(
        Option<crate::vault::model::Timestamp>,
        Vec<RetiredSigningKey>,
    )> {
        let root = self.root()?;
        Ok((root.signing_key_since, root.retired_signing_keys.clone()))
    }

    /// Inside a write: records the signing-key history in the root being written.
    pub fn set_signing_history(
        &mut self,
        since: Option<crate::vault::model::Timestamp>,
        retired: Vec<RetiredSigningKey>,
    ) -> Result<()> {
        self.edit_root(|root| {
            root.signing_key_since = since;
            root.retired_signing_keys = retired;
        })
    }

    /// The committed digest of a setting (`None`: the root predates it).
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(self.root()?.settings.get(name).cloned())
    }

    /// Inside a write: records a setting's digest in the root being written.
    pub fn set_setting(&mut self, name: &str, digest: String) -> Result<()> {
        self.edit_root(|root| {
            root.settings.insert(name.to_owned(), digest);
        })
    }

    /// `Err(Tampered)` when the root is missing, does not open, or is older than the log.
    pub fn intact(&self) -> Result<()> {
        self.root().map(drop)
    }

    /// The committed transaction counter.
    pub fn tx(&self) -> Result<u64> {
        Ok(self.root()?.tx)
    }

    /// The committed members (empty for a vault from before members).
    pub fn members(&self) -> Result<Vec<MemberRecord>> {
        Ok(self.root()?.members.clone())
    }

    /// Inside a write: records the members in the root being written.
    pub fn set_members(&mut self, members: Vec<MemberRecord>) -> Result<()> {
        self.edit_root(|root| {
            root.members = members;
        })
    }

    /// Inside a write: the transaction counter this write commits as (the serial of a
    /// verifier file exported in it).
    pub fn committed_tx(&self) -> Result<u64> {
        Ok(self.root()?.tx)
    }

    /// Inside a write: the transaction counter this write commits as.
    pub fn next_tx(&self) -> Result<u64> {
        Ok(self.root()?.tx.saturating_add(1))
    }

    /// Inside a write transaction: reads the root afresh (the write lock is held) and refuses
    /// to build on a commitment that failed its check.
    ///
    /// The stored activity log must end at the head the root names: otherwise the log (or
    /// the commitment with the tables) was put back or cut, and this write would take the
    /// stored tail as the new head and launder it.
    pub fn begin_write(&mut self, conn: &dyn Store, sealer: &Sealer) -> Result<()> {
        self.staged.clear();
        self.write_saw = None;
        self.load_root(conn, sealer)?;
        self.pager_version = conn.pager_version()?;
        check_head(self.root()?, conn)?;
        self.write_saw = Some(None);
        Ok(())
    }

    /// The version the next write of a row gets; refuses a row whose stored copy is not the
    /// committed one (so a tampered row is never built upon).
    pub fn next_version(
        &mut self,
        conn: &dyn Store,
        table: Table,
        id: i64,
        version: i64,
        sealed: &[u8],
    ) -> Result<i64> {
        match self.entry(conn, table, id)? {
            Some(e) if e.matches(version, sealed) => version.checked_add(1).ok_or_else(|| {
                Error::damaged(
                    "record version",
                    format!("{} #{id}: version overflow", table.name()),
                )
            }),
            _ => Err(Error::Tampered(format!("record {} #{id}", table.name()))),
        }
    }

    /// Records a row just inserted (version 1). An id the commitment already knows (a moved
    /// id counter) is refused.
    pub fn stage_insert(
        &mut self,
        conn: &dyn Store,
        table: Table,
        id: i64,
        sealed: &[u8],
    ) -> Result<()> {
        if self.entry(conn, table, id)?.is_some() {
            return Err(Error::Tampered(format!(
                "{} #{id} was used before (the id counter was moved back)",
                table.name()
            )));
        }
        self.staged.insert((table, id), Entry::live(id, 1, sealed));
        Ok(())
    }

    pub fn stage_update(&mut self, table: Table, id: i64, version: i64, sealed: &[u8]) {
        self.staged
            .insert((table, id), Entry::live(id, version, sealed));
    }

    /// Records a deletion of the stored row (`version`, `sealed`): a tombstone, so the row can
    /// never be put back unnoticed. A row that is not the committed one is refused: deleting
    /// it would erase the evidence.
    pub fn stage_delete(
        &mut self,
        conn: &dyn Store,
        table: Table,
        id: i64,
        version: i64,
        sealed: &[u8],
    ) -> Result<()> {
        let last = self.next_version(conn, table, id, version, sealed)? - 1;
        self.staged.insert(
            (table, id),
            Entry {
                id,
                version: -last,
                digest: [0; DIGEST_LEN],
            },
        );
        Ok(())
    }

    /// Writes the touched buckets and the new root (tx + 1, the log's head), still inside the
    /// transaction. The cache then holds the new state.
    pub fn finish_write(&mut self, conn: &dyn Store, sealer: &Sealer) -> Result<()> {
        if let Some(Some(what)) = self.write_saw.take() {
            return Err(Error::Tampered(what));
        }
        let staged = std::mem::take(&mut self.staged);
        let mut root = self.root()?.clone();
        let mut touched: BTreeMap<(Table, i64), Bucket> = BTreeMap::new();
        for ((table, id), entry) in staged {
            let key = (table, bucket_of(id));
            if let std::collections::btree_map::Entry::Vacant(slot) = touched.entry(key) {
                let bucket = self
                    .bucket(conn, table, key.1)?
                    .cloned()
                    .ok_or_else(|| bucket_tampered(table, key.1))?;
                slot.insert(bucket);
            }
            if let Some(b) = touched.get_mut(&key) {
                b.set(entry);
            }
        }
        for ((table, bucket), b) in touched {
            let bytes = b.encode();
            conn.bucket_put(table.name(), bucket, &bytes)?;
            root.buckets.insert(
                bucket_key(table, bucket),
                crypto::to_hex(&crypto::digest(&bytes)),
            );
            self.buckets.insert((table, bucket), Some(b));
        }
        root.tx = root.tx.saturating_add(1);
        let (seq, mac) = conn.last_activity()?.unwrap_or((0, Vec::new()));
        root.activity_seq = seq;
        root.activity_mac = crypto::to_hex(&mac);
        conn.meta_set(ROOT_META, &root.seal(sealer)?)?;
        self.state = State::Loaded(root);
        Ok(())
    }

    /// Replaces the whole commitment (upgrade, re-key): `entries` are every row's entry.
    pub fn rebuild(
        &mut self,
        conn: &dyn Store,
        sealer: &Sealer,
        tx: u64,
        entries: impl IntoIterator<Item = (Table, Entry)>,
    ) -> Result<()> {
        let mut buckets: BTreeMap<(Table, i64), Bucket> = BTreeMap::new();
        for (table, entry) in entries {
            buckets
                .entry((table, bucket_of(entry.id)))
                .or_default()
                .set(entry);
        }
        conn.clear_buckets()?;
        let mut root = Root {
            tx,
            ..Root::default()
        };
        for ((table, bucket), b) in &buckets {
            let bytes = b.encode();
            conn.bucket_put(table.name(), *bucket, &bytes)?;
            root.buckets.insert(
                bucket_key(*table, *bucket),
                crypto::to_hex(&crypto::digest(&bytes)),
            );
        }
        let (seq, mac) = conn.last_activity()?.unwrap_or((0, Vec::new()));
        root.activity_seq = seq;
        root.activity_mac = crypto::to_hex(&mac);
        conn.meta_set(ROOT_META, &root.seal(sealer)?)?;
        self.invalidate();
        Ok(())
    }

    /// Everything `doctor` needs: every bucket checked against the root, and all entries.
    pub fn audit(&mut self, conn: &dyn Store, sealer: &Sealer) -> Result<Audit> {
        self.invalidate();
        self.load_root(conn, sealer)?;
        let mut problems = Vec::new();
        let mut entries = HashMap::new();
        let root = match &self.state {
            State::Loaded(root) => root.clone(),
            State::Broken(why) => {
                problems.push(format!("the state commitment: {why}"));
                return Ok(Audit {
                    problems,
                    entries,
                    root: None,
                });
            }
            State::Unloaded => {
                return Err(Error::damaged(
                    "commitment",
                    "the state commitment was not read",
                ));
            }
        };
        let mut seen = Vec::new();
        for (name, bucket, bytes) in conn.all_buckets()? {
            let key = format!("{name}/{bucket}");
            let Some(table) = Table::from_name(&name) else {
                problems.push(format!("commitment: a bucket of unknown table '{name}'"));
                continue;
            };
            match root.buckets.get(&key) {
                None => problems.push(format!("commitment: bucket {key} is not in the root")),
                Some(hex) if *hex != crypto::to_hex(&crypto::digest(&bytes)) => problems.push(
                    format!("commitment: bucket {key} was changed or put back to an older copy"),
                ),
                Some(_) => match Bucket::decode(&bytes, bucket) {
                    None => problems.push(format!("commitment: bucket {key} is malformed")),
                    Some(b) => {
                        for e in b.entries() {
                            entries.insert((table, e.id), *e);
                        }
                    }
                },
            }
            seen.push(key);
        }
        for key in root.buckets.keys() {
            if !seen.contains(key) {
                problems.push(format!("commitment: bucket {key} is missing"));
            }
        }
        Ok(Audit {
            problems,
            entries,
            root: Some(root),
        })
    }
}

/// Refuses a stored activity log whose newest entry is not the head `root` committed.
pub fn check_head(root: &Root, conn: &dyn Store) -> Result<()> {
    let (seq, mac) = conn.last_activity()?.unwrap_or((0, Vec::new()));
    if seq == root.activity_seq && crypto::to_hex(&mac) == root.activity_mac {
        return Ok(());
    }
    let committed = root.activity_seq;
    Err(Error::Tampered(match seq.cmp(&committed) {
        std::cmp::Ordering::Less => format!(
            "the activity log (cut or put back: it ends at entry {seq}, the vault committed {committed})"
        ),
        std::cmp::Ordering::Equal => {
            format!("the activity log (its newest entry {seq} is not the committed one)")
        }
        std::cmp::Ordering::Greater => format!(
            "the state commitment (an older copy was put back: it names entry {committed} \
             of the activity log, which goes on to {seq})"
        ),
    }))
}

fn bucket_tampered(table: Table, bucket: i64) -> Error {
    Error::Tampered(format!(
        "the state commitment's bucket {bucket} of {}",
        table.name()
    ))
}
