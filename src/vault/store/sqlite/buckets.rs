//! The state commitment's buckets: plain bytes whose digests the sealed root holds.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::Lenient;
use crate::vault::error::Result;

pub fn bucket_get(conn: &Connection, table: &str, bucket: i64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT entries FROM commit_buckets WHERE tbl = ?1 AND bucket = ?2")?
        .query_row(params![table, bucket], |r| {
            Ok(match r.get_ref(0)? {
                ValueRef::Blob(b) => b.to_vec(),
                // A wrong type can never match its digest; an empty blob says so.
                _ => Vec::new(),
            })
        })
        .optional()?)
}

pub fn bucket_put(conn: &Connection, table: &str, bucket: i64, entries: &[u8]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO commit_buckets(tbl, bucket, entries) VALUES (?1, ?2, ?3)
         ON CONFLICT(tbl, bucket) DO UPDATE SET entries = excluded.entries",
    )?
    .execute(params![table, bucket, entries])?;
    Ok(())
}

pub fn clear_buckets(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM commit_buckets", [])?;
    Ok(())
}

/// Every bucket row: (table, bucket, entries). Rows of the wrong type come back with an empty
/// table name so the caller reports them.
pub fn all_buckets(conn: &Connection) -> Result<Vec<(String, i64, Vec<u8>)>> {
    let mut stmt = conn.prepare("SELECT tbl, bucket, entries FROM commit_buckets")?;
    let rows = stmt.query_map([], |r| {
        let mut l = Lenient::new(r);
        Ok((l.text(0)?, l.int(1)?, l.bytes(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
