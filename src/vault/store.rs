//! The SQLite layer: schema, pragmas and every SQL statement. Only sealed blobs, blind tags,
//! ids and timestamps pass through here; nothing in this file sees a name, a scope or a secret.
//! A shared backend (PostgreSQL) would implement the same handful of operations.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::error::{Error, Result};
use super::model::{NodeId, Timestamp};

pub const SCHEMA_VERSION: i64 = 1;
const MAGIC: &str = "keyward-vault";

const SCHEMA: &str = r#"
CREATE TABLE meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE nodes(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    name_tag BLOB NOT NULL,
    sealed BLOB NOT NULL,
    UNIQUE(parent_id, name_tag)
);
CREATE TABLE keys(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id INTEGER NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    name_tag BLOB NOT NULL,
    lookup BLOB NOT NULL UNIQUE,
    prev_lookup BLOB UNIQUE,
    full_access INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER,
    sealed BLOB NOT NULL,
    UNIQUE(node_id, name_tag)
);
CREATE INDEX keys_by_node ON keys(node_id, full_access);
CREATE TABLE activity(
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    node_id INTEGER,
    sealed BLOB,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX activity_by_node ON activity(node_id);
CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
"#;

/// One raw row of `keys`.
pub struct KeyRow {
    pub id: i64,
    pub node_id: NodeId,
    pub key_id: String,
    pub full_access: bool,
    pub last_used_at: Option<Timestamp>,
    pub sealed: Vec<u8>,
    /// Set by lookups: whether the presented secret matched the previous (rolled) secret.
    pub matched_previous: bool,
}

pub struct NodeRow {
    pub id: NodeId,
    pub parent_id: NodeId,
    pub kind: i64,
    pub sealed: Vec<u8>,
}

pub struct ActivityRow {
    pub seq: i64,
    pub at: Timestamp,
    pub action: String,
    pub node_id: Option<NodeId>,
    pub sealed: Option<Vec<u8>>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    // 16 MiB of page cache keeps the lookup index of 100,000 keys in memory for verification.
    conn.pragma_update(None, "cache_size", -16_384)?;
    Ok(())
}

/// SQLite's page cache for this connection, in MiB.
pub fn set_cache_mib(conn: &Connection, mib: u32) -> Result<()> {
    conn.pragma_update(None, "cache_size", -(i64::from(mib) * 1024))?;
    Ok(())
}

/// Creates a new vault file with the schema and the given meta entries, in one transaction.
pub fn create(path: &Path, meta: &[(&str, &[u8])]) -> Result<Connection> {
    if path.exists() {
        return Err(Error::VaultExists(path.to_owned()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    restrict_permissions(path)?;
    configure(&conn)?;
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO meta(name, value) VALUES ('magic', ?1), ('schema_version', ?2)",
        params![MAGIC.as_bytes(), SCHEMA_VERSION.to_string().as_bytes()],
    )?;
    for (name, value) in meta {
        tx.execute(
            "INSERT INTO meta(name, value) VALUES (?1, ?2)",
            params![name, value],
        )?;
    }
    tx.commit()?;
    Ok(conn)
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<()> {
    Ok(())
}

/// Opens an existing vault, refusing anything that is not one (without writing to it).
pub fn open(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(Error::NoVault(path.to_owned()));
    }
    let not_a_vault = || Error::NotAVault(path.to_owned());
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|_| not_a_vault())?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let magic: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE name = 'magic'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::DatabaseBusy
                    || f.code == rusqlite::ErrorCode::DatabaseLocked =>
            {
                Error::Storage(e)
            }
            _ => not_a_vault(),
        })?;
    if magic.as_deref() != Some(MAGIC.as_bytes()) {
        return Err(not_a_vault());
    }
    let version = meta_get(&conn, "schema_version")?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| Error::Corrupt("the schema version is missing".into()))?;
    if version > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    configure(&conn)?;
    Ok(conn)
}

pub fn meta_get(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn meta_set(conn: &Connection, name: &str, value: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

/// Changes made by other connections since this one last looked (for live refresh).
pub fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

// ---- nodes ----

pub fn node_rows(conn: &Connection) -> Result<Vec<NodeRow>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, parent_id, kind, sealed FROM nodes ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(NodeRow {
            id: r.get(0)?,
            parent_id: r.get(1)?,
            kind: r.get(2)?,
            sealed: sealed_bytes(r, 3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn node_row(conn: &Connection, id: NodeId) -> Result<Option<NodeRow>> {
    Ok(conn
        .prepare_cached("SELECT id, parent_id, kind, sealed FROM nodes WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(NodeRow {
                id: r.get(0)?,
                parent_id: r.get(1)?,
                kind: r.get(2)?,
                sealed: sealed_bytes(r, 3)?,
            })
        })
        .optional()?)
}

/// Inserts a node with a placeholder blob and returns its id (the id is sealed into the blob).
pub fn insert_node(
    conn: &Connection,
    parent: NodeId,
    kind: i64,
    name_tag: &[u8],
) -> Result<NodeId> {
    conn.execute(
        "INSERT INTO nodes(parent_id, kind, name_tag, sealed) VALUES (?1, ?2, ?3, x'')",
        params![parent, kind, name_tag],
    )
    .map_err(unique_to_conflict)?;
    Ok(conn.last_insert_rowid())
}

pub fn update_node(conn: &Connection, id: NodeId, name_tag: &[u8], sealed: &[u8]) -> Result<()> {
    conn.execute(
        "UPDATE nodes SET name_tag = ?2, sealed = ?3 WHERE id = ?1",
        params![id, name_tag, sealed],
    )
    .map_err(unique_to_conflict)?;
    Ok(())
}

pub fn delete_nodes(conn: &Connection, ids: &[NodeId]) -> Result<usize> {
    let mut keys = 0;
    for id in ids {
        keys += conn.execute("DELETE FROM keys WHERE node_id = ?1", [id])?;
        conn.execute("DELETE FROM nodes WHERE id = ?1", [id])?;
    }
    Ok(keys)
}

// ---- keys ----

const KEY_COLUMNS: &str = "id, node_id, key_id, full_access, last_used_at, sealed";

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        id: r.get(0)?,
        node_id: r.get(1)?,
        key_id: r.get(2)?,
        full_access: r.get::<_, i64>(3)? != 0,
        last_used_at: r.get(4)?,
        sealed: sealed_bytes(r, 5)?,
        matched_previous: false,
    })
}

pub fn key_rows(conn: &Connection, nodes: Option<&[NodeId]>) -> Result<Vec<KeyRow>> {
    let mut out = Vec::new();
    each_key_row(conn, nodes, |row| {
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// Streams key rows (all, or those of `nodes`) in id order per node, so a caller can decode
/// 100,000 rows without holding every sealed blob at once.
pub fn each_key_row(
    conn: &Connection,
    nodes: Option<&[NodeId]>,
    mut f: impl FnMut(KeyRow) -> Result<()>,
) -> Result<()> {
    match nodes {
        None => {
            let mut stmt =
                conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys ORDER BY id"))?;
            for row in stmt.query_map([], key_row)? {
                f(row?)?;
            }
        }
        Some(ids) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM keys WHERE node_id = ?1 ORDER BY id"
            ))?;
            for id in ids {
                for row in stmt.query_map([id], key_row)? {
                    f(row?)?;
                }
            }
        }
    }
    Ok(())
}

pub fn key_by_key_id(conn: &Connection, key_id: &str) -> Result<Option<KeyRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE key_id = ?1"))?
        .query_row([key_id], key_row)
        .optional()?)
}

pub fn key_by_lookup(conn: &Connection, lookup: &[u8]) -> Result<Option<KeyRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS}, prev_lookup = ?1 FROM keys WHERE lookup = ?1
         UNION ALL
         SELECT {KEY_COLUMNS}, 1 FROM keys WHERE prev_lookup = ?1
         LIMIT 1"
    ))?;
    Ok(stmt
        .query_row([lookup], |r| {
            let mut row = key_row(r)?;
            row.matched_previous = r.get::<_, Option<bool>>(6)?.unwrap_or(false);
            Ok(row)
        })
        .optional()?)
}

pub fn master_key_row(conn: &Connection, node: NodeId) -> Result<Vec<KeyRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM keys WHERE node_id = ?1 AND full_access = 1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([node], key_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub struct NewKeyRow<'a> {
    pub node_id: NodeId,
    pub key_id: &'a str,
    pub name_tag: &'a [u8],
    pub lookup: &'a [u8],
    pub full_access: bool,
}

pub fn insert_key(conn: &Connection, row: &NewKeyRow<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO keys(node_id, key_id, name_tag, lookup, full_access, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, x'')",
    )?
    .execute(params![
        row.node_id,
        row.key_id,
        row.name_tag,
        row.lookup,
        row.full_access
    ])
    .map_err(unique_to_conflict)?;
    Ok(conn.last_insert_rowid())
}

pub fn seal_key(conn: &Connection, id: i64, sealed: &[u8]) -> Result<()> {
    conn.prepare_cached("UPDATE keys SET sealed = ?2 WHERE id = ?1")?
        .execute(params![id, sealed])?;
    Ok(())
}

pub fn update_key(
    conn: &Connection,
    id: i64,
    full_access: bool,
    lookups: Option<(&[u8], Option<&[u8]>)>,
    sealed: &[u8],
) -> Result<()> {
    match lookups {
        Some((lookup, prev)) => conn.execute(
            "UPDATE keys SET full_access = ?2, lookup = ?3, prev_lookup = ?4, sealed = ?5 WHERE id = ?1",
            params![id, full_access, lookup, prev, sealed],
        )?,
        None => conn.execute(
            "UPDATE keys SET full_access = ?2, sealed = ?3 WHERE id = ?1",
            params![id, full_access, sealed],
        )?,
    };
    Ok(())
}

pub fn touch_key(conn: &Connection, id: i64, at: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE keys SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![id, at])?;
    Ok(())
}

pub fn delete_key(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("DELETE FROM keys WHERE id = ?1", [id])?;
    Ok(())
}

pub fn count_keys(conn: &Connection, nodes: &[NodeId]) -> Result<usize> {
    let mut stmt = conn.prepare_cached("SELECT COUNT(*) FROM keys WHERE node_id = ?1")?;
    let mut total = 0usize;
    for id in nodes {
        total += stmt.query_row([id], |r| r.get::<_, i64>(0))? as usize;
    }
    Ok(total)
}

// ---- activity ----

pub fn last_activity(conn: &Connection) -> Result<Option<(i64, Vec<u8>)>> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM activity ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn insert_activity(conn: &Connection, row: &ActivityRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO activity(seq, at, action, node_id, sealed, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        row.seq,
        row.at,
        row.action,
        row.node_id,
        row.sealed,
        row.prev_hash,
        row.hash
    ])?;
    Ok(())
}

fn activity_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActivityRow> {
    Ok(ActivityRow {
        seq: r.get(0)?,
        at: r.get(1)?,
        action: r.get(2)?,
        node_id: r.get(3)?,
        sealed: r.get(4)?,
        prev_hash: r.get(5)?,
        hash: r.get(6)?,
    })
}

/// Newest first.
pub fn activity_rows(conn: &Connection, limit: usize) -> Result<Vec<ActivityRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, action, node_id, sealed, prev_hash, hash FROM activity
         ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], activity_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Oldest first, for checking the chain.
pub fn all_activity(conn: &Connection) -> Result<Vec<ActivityRow>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, action, node_id, sealed, prev_hash, hash FROM activity ORDER BY seq",
    )?;
    let rows = stmt.query_map([], activity_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn integrity_check(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let out: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
    Ok(out.into_iter().filter(|l| l != "ok").collect())
}

pub fn backup_into(conn: &Connection, dest: &Path) -> Result<()> {
    let dest_text = dest
        .to_str()
        .ok_or_else(|| Error::Invalid("the backup path must be valid UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [dest_text])?;
    restrict_permissions(dest)
}

fn unique_to_conflict(e: rusqlite::Error) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::Conflict("the name is already taken here".into())
        }
        _ => Error::Storage(e),
    }
}

/// A sealed column as bytes, whatever type an edit of the file left in it: a wrong type is
/// then caught as tampering by the AEAD instead of failing the whole query.
fn sealed_bytes(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(idx)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        ValueRef::Null | ValueRef::Integer(_) | ValueRef::Real(_) => Vec::new(),
    })
}
