//! Row-level SQL for nodes, keys, the activity log and the commitment's buckets.
//!
//! Plaintext columns are read leniently: a value of the wrong type (an edited file) marks the
//! row `malformed`, which the vault reports as tampered, instead of failing the whole query.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::vault::error::{Error, Result};
use crate::vault::model::{NodeId, Timestamp};
use crate::vault::store::{ActivityRow, IndexRow, KeyRow, KeyTags, NewKeyRow, NodeRow};

/// Reads columns of one row, remembering whether any had the wrong type.
pub(super) struct Lenient<'a, 'r> {
    row: &'a Row<'r>,
    bad: bool,
}

impl<'a, 'r> Lenient<'a, 'r> {
    pub(super) fn new(row: &'a Row<'r>) -> Self {
        Lenient { row, bad: false }
    }

    pub(super) fn int(&mut self, idx: usize) -> rusqlite::Result<i64> {
        Ok(match self.row.get_ref(idx)? {
            ValueRef::Integer(i) => i,
            _ => {
                self.bad = true;
                0
            }
        })
    }

    fn opt_int(&mut self, idx: usize) -> rusqlite::Result<Option<i64>> {
        Ok(match self.row.get_ref(idx)? {
            ValueRef::Integer(i) => Some(i),
            ValueRef::Null => None,
            _ => {
                self.bad = true;
                None
            }
        })
    }

    pub(super) fn text(&mut self, idx: usize) -> rusqlite::Result<String> {
        Ok(match self.row.get_ref(idx)? {
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => s.to_owned(),
                Err(_) => {
                    self.bad = true;
                    String::from_utf8_lossy(t).into_owned()
                }
            },
            _ => {
                self.bad = true;
                String::new()
            }
        })
    }

    /// A blob column as bytes, whatever type an edit left in it: a wrong type is then caught
    /// as tampering by the AEAD or the MAC.
    pub(super) fn bytes(&mut self, idx: usize) -> rusqlite::Result<Vec<u8>> {
        Ok(match self.row.get_ref(idx)? {
            ValueRef::Blob(b) => b.to_vec(),
            ValueRef::Text(b) => {
                self.bad = true;
                b.to_vec()
            }
            _ => {
                self.bad = true;
                Vec::new()
            }
        })
    }
}

// ---- nodes ----

const NODE_COLUMNS: &str = "id, parent_id, kind, version, sealed";

pub(super) fn node_row_of(r: &Row<'_>) -> rusqlite::Result<NodeRow> {
    let mut l = Lenient::new(r);
    let row = NodeRow {
        id: l.int(0)?,
        parent_id: l.int(1)?,
        kind: l.int(2)?,
        version: l.int(3)?,
        sealed: l.bytes(4)?,
        malformed: false,
    };
    Ok(NodeRow {
        malformed: l.bad,
        ..row
    })
}

pub fn node_rows(conn: &Connection) -> Result<Vec<NodeRow>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {NODE_COLUMNS} FROM nodes ORDER BY id"))?;
    let rows = stmt.query_map([], node_row_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn node_row(conn: &Connection, id: NodeId) -> Result<Option<NodeRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {NODE_COLUMNS} FROM nodes WHERE id = ?1"))?
        .query_row([id], node_row_of)
        .optional()?)
}

/// Inserts a node with a placeholder blob and returns its id (the id is sealed into the blob).
pub fn insert_node(
    conn: &Connection,
    parent: NodeId,
    kind: i64,
    name_tag: &[u8],
) -> Result<NodeId> {
    conn.prepare_cached(
        "INSERT INTO nodes(parent_id, kind, version, name_tag, sealed) VALUES (?1, ?2, 1, ?3, x'')",
    )?
    .execute(params![parent, kind, name_tag])
    .map_err(unique_to_duplicate)?;
    Ok(conn.last_insert_rowid())
}

/// Inserts a node row as it is (upgrades and re-keying keep ids).
pub fn insert_node_row(conn: &Connection, row: &NodeRow, name_tag: &[u8]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO nodes(id, parent_id, kind, version, name_tag, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        row.id,
        row.parent_id,
        row.kind,
        row.version,
        name_tag,
        row.sealed
    ])
    .map_err(unique_to_duplicate)?;
    Ok(())
}

pub fn update_node(
    conn: &Connection,
    id: NodeId,
    version: i64,
    name_tag: &[u8],
    sealed: &[u8],
) -> Result<()> {
    conn.prepare_cached("UPDATE nodes SET version = ?2, name_tag = ?3, sealed = ?4 WHERE id = ?1")?
        .execute(params![id, version, name_tag, sealed])
        .map_err(unique_to_duplicate)?;
    Ok(())
}

pub fn delete_node(conn: &Connection, id: NodeId) -> Result<()> {
    conn.execute("DELETE FROM nodes WHERE id = ?1", [id])?;
    Ok(())
}

// ---- keys ----

const KEY_COLUMNS: &str = "id, node_id, key_id, version, full_access, last_used_at, sealed";

pub(super) fn key_row_of(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    let mut l = Lenient::new(r);
    let row = KeyRow {
        id: l.int(0)?,
        node_id: l.int(1)?,
        key_id: l.text(2)?,
        version: l.int(3)?,
        full_access: match l.int(4)? {
            0 => false,
            1 => true,
            _ => {
                l.bad = true;
                false
            }
        },
        last_used_at: l.opt_int(5)?,
        sealed: l.bytes(6)?,
        matched_previous: false,
        malformed: false,
    };
    Ok(KeyRow {
        malformed: l.bad,
        ..row
    })
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
            for row in stmt.query_map([], key_row_of)? {
                f(row?)?;
            }
        }
        Some(ids) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM keys WHERE node_id = ?1 ORDER BY id"
            ))?;
            for id in ids {
                for row in stmt.query_map([id], key_row_of)? {
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
        .query_row([key_id], key_row_of)
        .optional()?)
}

pub fn key_row_by_id(conn: &Connection, id: i64) -> Result<Option<KeyRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE id = ?1"))?
        .query_row([id], key_row_of)
        .optional()?)
}

/// The key whose current or previous secret has this lookup tag.
pub fn key_by_lookup(conn: &Connection, lookup: &[u8]) -> Result<Option<KeyRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS}, prev_lookup = ?1 FROM keys WHERE lookup = ?1
         UNION ALL
         SELECT {KEY_COLUMNS}, 1 FROM keys WHERE prev_lookup = ?1
         LIMIT 1"
    ))?;
    Ok(stmt
        .query_row([lookup], |r| {
            let mut row = key_row_of(r)?;
            row.matched_previous = matches!(r.get_ref(7)?, ValueRef::Integer(1));
            Ok(row)
        })
        .optional()?)
}

pub fn master_key_rows(conn: &Connection, node: NodeId) -> Result<Vec<KeyRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM keys WHERE node_id = ?1 AND full_access = 1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([node], key_row_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert_key(conn: &Connection, row: &NewKeyRow<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO keys(node_id, key_id, version, name_tag, lookup, full_access, sealed)
         VALUES (?1, ?2, 1, ?3, ?4, ?5, x'')",
    )?
    .execute(params![
        row.node_id,
        row.key_id,
        row.name_tag,
        row.lookup,
        row.full_access
    ])
    .map_err(unique_to_duplicate)?;
    Ok(conn.last_insert_rowid())
}

/// Inserts a key row as it is (upgrades and re-keying keep ids).
pub fn insert_key_row(conn: &Connection, row: &KeyRow, tags: &KeyTags<'_>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO keys(id, node_id, key_id, version, name_tag, lookup, prev_lookup,
                          full_access, last_used_at, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        row.id,
        row.node_id,
        row.key_id,
        row.version,
        tags.name_tag,
        tags.lookup,
        tags.prev_lookup,
        row.full_access,
        row.last_used_at,
        row.sealed
    ])
    .map_err(unique_to_duplicate)?;
    Ok(())
}

pub fn seal_key(conn: &Connection, id: i64, sealed: &[u8]) -> Result<()> {
    conn.prepare_cached("UPDATE keys SET sealed = ?2 WHERE id = ?1")?
        .execute(params![id, sealed])?;
    Ok(())
}

pub fn update_key(
    conn: &Connection,
    id: i64,
    version: i64,
    full_access: bool,
    lookups: Option<(&[u8], Option<&[u8]>)>,
    sealed: &[u8],
) -> Result<()> {
    match lookups {
        Some((lookup, prev)) => conn
            .prepare_cached(
                "UPDATE keys SET version = ?2, full_access = ?3, lookup = ?4, prev_lookup = ?5,
                 sealed = ?6 WHERE id = ?1",
            )?
            .execute(params![id, version, full_access, lookup, prev, sealed])?,
        None => conn
            .prepare_cached(
                "UPDATE keys SET version = ?2, full_access = ?3, sealed = ?4 WHERE id = ?1",
            )?
            .execute(params![id, version, full_access, sealed])?,
    };
    Ok(())
}

/// A key's name index after a rename (a name taken at the node is a conflict).
pub fn set_key_name_tag(conn: &Connection, id: i64, name_tag: &[u8]) -> Result<()> {
    conn.prepare_cached("UPDATE keys SET name_tag = ?2 WHERE id = ?1")?
        .execute(params![id, name_tag])
        .map_err(unique_to_duplicate)?;
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
        let n: i64 = stmt.query_row([id], |r| r.get(0))?;
        total = total.saturating_add(usize::try_from(n).unwrap_or(0));
    }
    Ok(total)
}

/// Ids of the key rows of `nodes` (what deleting the nodes deletes).
pub fn key_ids_of(conn: &Connection, nodes: &[NodeId]) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM keys WHERE node_id = ?1")?;
    let mut out = Vec::new();
    for node in nodes {
        for id in stmt.query_map([node], |r| r.get::<_, i64>(0))? {
            out.push(id?);
        }
    }
    Ok(out)
}

/// The AUTOINCREMENT high-water mark of a table.
pub fn sequence_of(conn: &Connection, table: &str) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = ?1",
            [table],
            |r| Ok(matches!(r.get_ref(0)?, ValueRef::Integer(_)).then(|| r.get::<_, i64>(0))),
        )
        .optional()?
        .flatten()
        .transpose()?
        .unwrap_or(0))
}

pub fn set_sequence(conn: &Connection, table: &str, seq: i64) -> Result<()> {
    let changed = conn.execute(
        "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1",
        params![table, seq],
    )?;
    if changed == 0 {
        conn.execute(
            "INSERT INTO sqlite_sequence(name, seq) VALUES (?1, ?2)",
            params![table, seq],
        )?;
    }
    Ok(())
}

// ---- activity ----

const ACTIVITY_COLUMNS: &str = "seq, at, action, node_id, sealed, mac";

pub(super) fn activity_row_of(r: &Row<'_>) -> rusqlite::Result<ActivityRow> {
    let mut l = Lenient::new(r);
    let row = ActivityRow {
        seq: l.int(0)?,
        at: l.int(1)?,
        action: l.text(2)?,
        node_id: l.opt_int(3)?,
        sealed: l.bytes(4)?,
        mac: l.bytes(5)?,
        malformed: false,
    };
    Ok(ActivityRow {
        malformed: l.bad,
        ..row
    })
}

/// The newest entry's sequence number and MAC.
pub fn last_activity(conn: &Connection) -> Result<Option<(i64, Vec<u8>)>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ACTIVITY_COLUMNS} FROM activity ORDER BY seq DESC LIMIT 1"
        ))?
        .query_row([], activity_row_of)
        .optional()?
        .map(|r| (r.seq, r.mac)))
}

pub fn insert_activity(conn: &Connection, row: &ActivityRow) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO activity({ACTIVITY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ))?
    .execute(params![
        row.seq,
        row.at,
        row.action,
        row.node_id,
        row.sealed,
        row.mac
    ])?;
    Ok(())
}

/// Newest first, starting below `before` (all when `None`).
pub fn activity_page(
    conn: &Connection,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<ActivityRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACTIVITY_COLUMNS} FROM activity WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![before.unwrap_or(i64::MAX), limit], activity_row_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Oldest first, one row at a time, for checking or rewriting the chain.
pub fn each_activity(
    conn: &Connection,
    mut f: impl FnMut(ActivityRow) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACTIVITY_COLUMNS} FROM activity ORDER BY seq"
    ))?;
    for row in stmt.query_map([], activity_row_of)? {
        f(row?)?;
    }
    Ok(())
}

/// Every row's blind indexes (`doctor` recomputes them from the decrypted records).
pub fn index_rows(conn: &Connection, keys: bool) -> Result<Vec<IndexRow>> {
    let sql = if keys {
        "SELECT id, name_tag, lookup, prev_lookup FROM keys ORDER BY id"
    } else {
        "SELECT id, name_tag, x'', NULL FROM nodes ORDER BY id"
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        let mut l = Lenient::new(r);
        Ok(IndexRow {
            id: l.int(0)?,
            name_tag: l.bytes(1)?,
            lookup: l.bytes(2)?,
            prev_lookup: match r.get_ref(3)? {
                ValueRef::Null => None,
                _ => Some(l.bytes(3)?),
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn unique_to_duplicate(e: rusqlite::Error) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::Duplicate
        }
        _ => Error::Storage(e),
    }
}
