//! Storage: the one interface the vault core reads and writes through, and its two
//! implementations, a SQLite file (`sqlite`) and a PostgreSQL database (`postgres`, behind the
//! feature of that name). Only sealed blobs, blind tags, ids, versions and timestamps cross it;
//! nothing a store sees is a name, a scope or a secret, so a server and its backups hold
//! ciphertext only.
//!
//! Both stores are hostile input: a store refuses what is not a vault and reads plain columns
//! leniently (a value of the wrong type marks the row `malformed`, which the vault reports as
//! tampered).

pub(in crate::vault) mod copy;
mod files;
pub mod live;
#[cfg(feature = "postgres")]
pub mod pg;
mod rows;
pub mod sqlite;

use std::path::Path;

use crate::vault::error::{Error, Result};
use crate::vault::model::{NodeId, Timestamp};

pub use files::{create_private_dir, create_private_file, others_can_read};
pub use live::{LiveEvent, LiveFeed};
pub use rows::*;

/// The format version both stores write (bound into records' associated data).
pub const SCHEMA_VERSION: i64 = 2;

pub(crate) const MAGIC: &str = "keyward-vault";

/// The `schema_version` meta value as a store read it: a version from `oldest` to
/// [`SCHEMA_VERSION`], or why the vault cannot be opened (missing, unreadable, newer, unknown).
pub fn readable_schema_version(stored: Option<Vec<u8>>, oldest: i64) -> Result<i64> {
    let version = stored
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            Error::damaged(
                "schema version",
                "the schema version is missing or unreadable",
            )
        })?;
    if version > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < oldest {
        return Err(Error::damaged(
            "schema version",
            format!("unknown schema version {version}"),
        ));
    }
    Ok(version)
}

/// Streams rows to a callback; the callback's error stops the walk and is returned.
pub type Each<'a, T> = &'a mut dyn FnMut(T) -> Result<()>;

/// What the vault needs of a database. Every method is one statement or a small batch; a
/// change runs between [`Store::begin_write`] and [`Store::commit`] (see [`in_transaction`]).
pub trait Store: Send {
    /// The schema version the database was written with.
    fn schema_version(&self) -> i64;
    /// Whether this is a server database (LISTEN/NOTIFY, no page cache, no file).
    fn is_server(&self) -> bool {
        false
    }
    /// A feed of other connections' commits, where the store can push them (a server);
    /// `wake` is called from the feed's thread after each event. `None`: poll
    /// [`Store::data_version`] instead.
    fn live_feed(&self, _wake: Box<dyn Fn() + Send>) -> Option<Result<LiveFeed>> {
        None
    }

    // ---- transactions ----
    /// Starts a write transaction; writers from every process are serialised here.
    fn begin_write(&self) -> Result<()>;
    fn commit(&self) -> Result<()>;
    fn rollback(&self);
    /// Starts a read-only transaction: everything read until [`Store::end_read`] comes from one
    /// snapshot.
    fn begin_read(&self) -> Result<()>;
    fn end_read(&self);
    /// Changes with every commit (this connection's or another's), as of the last read where
    /// the store can tell; cheap enough to ask once per read operation.
    fn pager_version(&self) -> Result<i64>;
    /// Changes whenever another connection commits (for live refresh).
    fn data_version(&self) -> Result<i64>;

    // ---- meta ----
    fn meta_get(&self, name: &str) -> Result<Option<Vec<u8>>>;
    fn meta_set(&self, name: &str, value: &[u8]) -> Result<()>;
    /// Every entry whose name starts with `prefix`, by name.
    fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>>;
    fn meta_delete(&self, name: &str) -> Result<()>;

    // ---- nodes ----
    fn node_rows(&self) -> Result<Vec<NodeRow>>;
    fn node_row(&self, id: NodeId) -> Result<Option<NodeRow>>;
    /// A new node row with an empty seal (sealing needs the id), its id.
    fn insert_node(&self, parent: NodeId, kind: i64, name_tag: &[u8]) -> Result<NodeId>;
    /// A node row as it is (re-keying, copies keep ids).
    fn insert_node_row(&self, row: &NodeRow, name_tag: &[u8]) -> Result<()>;
    fn update_node(&self, id: NodeId, version: i64, name_tag: &[u8], sealed: &[u8]) -> Result<()>;
    fn delete_node(&self, id: NodeId) -> Result<()>;

    // ---- keys ----
    /// Key rows (all, or those of `nodes`) in id order per node.
    fn each_key_row(&self, nodes: Option<&[NodeId]>, f: Each<'_, KeyRow>) -> Result<()>;
    fn key_by_key_id(&self, key_id: &str) -> Result<Option<KeyRow>>;
    fn key_row_by_id(&self, id: i64) -> Result<Option<KeyRow>>;
    /// The key whose current or previous secret has this lookup tag.
    fn key_by_lookup(&self, lookup: &[u8]) -> Result<Option<KeyRow>>;
    fn master_key_rows(&self, node: NodeId) -> Result<Vec<KeyRow>>;
    fn insert_key(&self, row: &NewKeyRow<'_>) -> Result<i64>;
    fn insert_key_row(&self, row: &KeyRow, tags: &KeyTags<'_>) -> Result<()>;
    fn seal_key(&self, id: i64, sealed: &[u8]) -> Result<()>;
    fn update_key(
        &self,
        id: i64,
        version: i64,
        full_access: bool,
        lookups: Option<(&[u8], Option<&[u8]>)>,
        sealed: &[u8],
    ) -> Result<()>;
    /// A key's name index after a rename (a name taken at the node is a conflict).
    fn set_key_name_tag(&self, id: i64, name_tag: &[u8]) -> Result<()>;
    fn touch_key(&self, id: i64, at: Timestamp) -> Result<()>;
    /// The newest last-used stamp of any key: it moves when verification stamps a key, which
    /// commits nothing and is announced to no one.
    fn latest_use(&self) -> Result<Option<Timestamp>>;
    fn delete_key(&self, id: i64) -> Result<()>;
    fn count_keys(&self, nodes: &[NodeId]) -> Result<usize>;
    /// Ids of the key rows of `nodes`.
    fn key_ids_of(&self, nodes: &[NodeId]) -> Result<Vec<i64>>;
    /// The id high-water mark of `nodes` or `keys` (ids are never reused).
    fn sequence_of(&self, table: &str) -> Result<i64>;
    fn set_sequence(&self, table: &str, seq: i64) -> Result<()>;
    /// Every row's blind indexes (`doctor` recomputes them from the decrypted records).
    fn index_rows(&self, keys: bool) -> Result<Vec<IndexRow>>;

    // ---- activity ----
    /// The newest entry's sequence number and MAC.
    fn last_activity(&self) -> Result<Option<(i64, Vec<u8>)>>;
    fn insert_activity(&self, row: &ActivityRow) -> Result<()>;
    /// Newest first, starting below `before` (all when `None`).
    fn activity_page(&self, before: Option<i64>, limit: usize) -> Result<Vec<ActivityRow>>;
    /// Oldest first.
    fn each_activity(&self, f: Each<'_, ActivityRow>) -> Result<()>;

    // ---- the commitment's buckets ----
    fn bucket_get(&self, table: &str, bucket: i64) -> Result<Option<Vec<u8>>>;
    fn bucket_put(&self, table: &str, bucket: i64, entries: &[u8]) -> Result<()>;
    fn clear_buckets(&self) -> Result<()>;
    /// Every bucket row: (table, bucket, entries).
    fn all_buckets(&self) -> Result<Vec<(String, i64, Vec<u8>)>>;

    // ---- rebuilding every sealed table (re-key, upgrade), inside one write ----
    /// Moves the sealed tables aside as `old_*` and creates empty ones.
    fn begin_rebuild(&self) -> Result<Sequences>;
    fn end_rebuild(&self, seqs: &Sequences) -> Result<()>;
    fn count_old(&self) -> Result<usize>;
    fn old_node_rows(&self, v1: bool) -> Result<Vec<NodeRow>>;
    fn each_old_key_row(&self, v1: bool, f: Each<'_, KeyRow>) -> Result<()>;
    fn each_old_activity(&self, v1: bool, f: Each<'_, OldActivity>) -> Result<()>;

    // ---- maintenance ----
    /// The database's own consistency check: problems found (none: empty).
    fn integrity_check(&self) -> Result<Vec<String>>;
    /// Makes sure replaced bytes (an old wrap of the data key) do not linger in a journal.
    fn checkpoint_truncate(&self) -> Result<()>;
    /// Writes a consistent copy of the whole vault to a new file `dest` (owner-only).
    fn backup_into(&self, dest: &Path) -> Result<()>;
    /// Memory for cached pages, in MiB, where the store has such a cache.
    fn set_cache_mib(&self, _mib: u32) -> Result<()> {
        Ok(())
    }
    /// Frees cached pages that are not needed now.
    fn release_memory(&self) {}
}

/// Runs `f` in one write transaction: all of it lands, or none of it.
pub fn in_transaction<T>(db: &dyn Store, f: impl FnOnce() -> Result<T>) -> Result<T> {
    db.begin_write()?;
    let result = f().and_then(|out| {
        db.commit()?;
        Ok(out)
    });
    if result.is_err() {
        db.rollback();
    }
    result
}

/// Runs `f` inside one read transaction: everything it reads comes from the same snapshot.
pub fn in_read_snapshot<T>(db: &dyn Store, f: impl FnOnce() -> Result<T>) -> Result<T> {
    db.begin_read()?;
    let out = f();
    db.end_read();
    out
}

/// All key rows (or those of `nodes`).
pub fn key_rows(db: &dyn Store, nodes: Option<&[NodeId]>) -> Result<Vec<KeyRow>> {
    let mut out = Vec::new();
    db.each_key_row(nodes, &mut |row| {
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// Opens the vault at `location`: a `postgres://` URL or a file path.
pub fn open(location: &Path) -> Result<Box<dyn Store>> {
    match server_url(location) {
        Some(url) => open_server(url),
        None => Ok(Box::new(sqlite::SqliteStore::open(location)?)),
    }
}

/// Creates a new vault at `location` with the schema and the given meta entries.
pub fn create(location: &Path, meta: &[(&str, &[u8])]) -> Result<Box<dyn Store>> {
    match server_url(location) {
        Some(url) => create_server(url, meta),
        None => Ok(Box::new(sqlite::SqliteStore::create(location, meta)?)),
    }
}

/// The location as a server URL, when it is one.
pub fn server_url(location: &Path) -> Option<&str> {
    location
        .to_str()
        .filter(|text| crate::vault::location::is_server_url(text))
}

#[cfg(feature = "postgres")]
fn open_server(url: &str) -> Result<Box<dyn Store>> {
    Ok(Box::new(pg::PgStore::open(url)?))
}

#[cfg(feature = "postgres")]
fn create_server(url: &str, meta: &[(&str, &[u8])]) -> Result<Box<dyn Store>> {
    Ok(Box::new(pg::PgStore::create(url, meta)?))
}

#[cfg(not(feature = "postgres"))]
fn open_server(url: &str) -> Result<Box<dyn Store>> {
    Err(crate::vault::location::unsupported(url))
}

#[cfg(not(feature = "postgres"))]
fn create_server(url: &str, _meta: &[(&str, &[u8])]) -> Result<Box<dyn Store>> {
    Err(crate::vault::location::unsupported(url))
}
