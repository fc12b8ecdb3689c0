//! Rebuilding the sealed tables (schema upgrade, re-key): the current tables are renamed to
//! `old_*`, fresh v2 tables are created, the vault copies every row across re-sealed, and the
//! old tables are dropped, all inside the caller's transaction.

use rusqlite::Connection;

use super::rows::{sequence_of, set_sequence};
use super::schema::{create_v2_tables, create_v2_triggers};
use crate::vault::error::Result;
use crate::vault::store::{KeyRow, NodeRow, OldActivity, Sequences};

pub fn begin_rebuild(conn: &Connection) -> Result<Sequences> {
    let seqs = Sequences {
        nodes: sequence_of(conn, "nodes")?,
        keys: sequence_of(conn, "keys")?,
    };
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS activity_no_update;
         DROP TRIGGER IF EXISTS activity_no_delete;
         DROP INDEX IF EXISTS keys_by_node;
         DROP INDEX IF EXISTS activity_by_node;
         ALTER TABLE nodes RENAME TO old_nodes;
         ALTER TABLE keys RENAME TO old_keys;
         ALTER TABLE activity RENAME TO old_activity;
         DROP TABLE IF EXISTS commit_buckets;",
    )?;
    create_v2_tables(conn, false)?;
    Ok(seqs)
}

pub fn end_rebuild(conn: &Connection, seqs: &Sequences) -> Result<()> {
    conn.execute_batch("DROP TABLE old_nodes; DROP TABLE old_keys; DROP TABLE old_activity;")?;
    create_v2_triggers(conn)?;
    set_sequence(conn, "nodes", seqs.nodes.max(sequence_of(conn, "nodes")?))?;
    set_sequence(conn, "keys", seqs.keys.max(sequence_of(conn, "keys")?))?;
    Ok(())
}

pub fn count_old(conn: &Connection) -> Result<usize> {
    let n: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM old_nodes) + (SELECT COUNT(*) FROM old_keys)
              + (SELECT COUNT(*) FROM old_activity)",
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

fn version_column(v1: bool) -> &'static str {
    if v1 { "1" } else { "version" }
}

pub fn old_node_rows(conn: &Connection, v1: bool) -> Result<Vec<NodeRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, parent_id, kind, {}, sealed FROM old_nodes ORDER BY id",
        version_column(v1)
    ))?;
    let rows = stmt.query_map([], super::rows::node_row_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn each_old_key_row(
    conn: &Connection,
    v1: bool,
    mut f: impl FnMut(KeyRow) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, node_id, key_id, {}, full_access, last_used_at, sealed FROM old_keys ORDER BY id",
        version_column(v1)
    ))?;
    for row in stmt.query_map([], super::rows::key_row_of)? {
        f(row?)?;
    }
    Ok(())
}

pub fn each_old_activity(
    conn: &Connection,
    v1: bool,
    mut f: impl FnMut(OldActivity) -> Result<()>,
) -> Result<()> {
    let sql = if v1 {
        "SELECT seq, at, action, node_id, sealed, hash, prev_hash, sealed IS NOT NULL
         FROM old_activity ORDER BY seq"
    } else {
        "SELECT seq, at, action, node_id, sealed, mac, x'', 1 FROM old_activity ORDER BY seq"
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        let row = super::rows::activity_row_of(r)?;
        let prev_hash = match r.get_ref(6)? {
            rusqlite::types::ValueRef::Blob(b) => b.to_vec(),
            _ => Vec::new(),
        };
        let had_sealed = matches!(r.get_ref(7)?, rusqlite::types::ValueRef::Integer(1));
        Ok(OldActivity {
            row,
            prev_hash,
            had_sealed,
        })
    })?;
    for old in rows {
        f(old?)?;
    }
    Ok(())
}
