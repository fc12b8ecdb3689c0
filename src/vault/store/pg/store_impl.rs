//! [`Store`] on PostgreSQL: the SQL of every operation. Plain columns are read leniently, as
//! in the file: a value of the wrong type (an altered column) marks the row malformed.

use std::path::Path;

use super::decode::{activity_row_of, key_row_of, node_row_of};
use super::{PgStore, Tx, schema};
use crate::vault::error::{Error, Result};
use crate::vault::model::{NodeId, Timestamp};
use crate::vault::store::{
    ActivityRow, Each, IndexRow, KeyRow, KeyTags, LiveFeed, NewKeyRow, NodeRow, OldActivity,
    Sequences, Store,
};

impl Store for PgStore {
    fn schema_version(&self) -> i64 {
        self.schema_version
    }

    fn is_server(&self) -> bool {
        true
    }

    fn live_feed(&self, wake: Box<dyn Fn() + Send>) -> Option<Result<LiveFeed>> {
        Some(super::watch::start(&self.target, wake))
    }

    fn begin_write(&self) -> Result<()> {
        self.batch(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({})",
            schema::WRITE_LOCK
        ))?;
        self.tx.set(Tx::Write);
        self.dirty.set(false);
        Ok(())
    }

    fn commit(&self) -> Result<()> {
        let done = if self.dirty.get() {
            self.batch(&format!(
                "UPDATE seqs SET seq = seq + 1 WHERE tbl = '{}'; NOTIFY {}; COMMIT",
                schema::TX_ROW,
                schema::CHANNEL
            ))
        } else {
            self.batch("COMMIT")
        };
        if self.dirty.get() {
            self.lookups.borrow_mut().clear();
        }
        self.tx.set(Tx::None);
        self.seen_version.set(None);
        if done.is_err() {
            let _ = self.batch("ROLLBACK");
        }
        done
    }

    fn rollback(&self) {
        if self.tx.get() == Tx::Write {
            let _ = self.batch("ROLLBACK");
        }
        self.tx.set(Tx::None);
        self.seen_version.set(None);
        // A rolled-back rebuild leaves statements prepared against tables that are gone.
        self.forget_statements();
    }

    fn begin_read(&self) -> Result<()> {
        if self.tx.get() == Tx::None {
            self.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
            self.tx.set(Tx::Read);
        }
        if self.tx.get() == Tx::Read {
            self.read_depth.set(self.read_depth.get() + 1);
        }
        Ok(())
    }

    fn end_read(&self) {
        if self.tx.get() != Tx::Read {
            return;
        }
        let depth = self.read_depth.get().saturating_sub(1);
        self.read_depth.set(depth);
        if depth == 0 {
            let _ = self.batch("COMMIT");
            self.tx.set(Tx::None);
        }
    }

    /// The commit counter as of the last read that returned it (rows and the commitment's
    /// root carry it), so rows and root are compared as of the same commit; otherwise read now.
    ///
    /// While the verification cache listens, a counter read stays current until a commit is
    /// heard of, so checks served from the cache need no round trip at all.
    fn pager_version(&self) -> Result<i64> {
        if self.lookups.borrow_mut().sync() {
            self.seen_version.set(None);
        }
        if let Some(v) = self.seen_version.get() {
            return Ok(v);
        }
        let v = self.data_version()?;
        if self.lookups.borrow().is_listening() {
            self.seen_version.set(Some(v));
        }
        Ok(v)
    }

    fn data_version(&self) -> Result<i64> {
        let row = self.query_opt("SELECT seq FROM seqs WHERE tbl = '$tx'", &[])?;
        row.and_then(|r| r.try_get::<_, i64>(0).ok())
            .ok_or_else(|| Error::damaged("commit counter", "the commit counter is missing"))
    }

    fn meta_get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let row = self.query_opt(
            "SELECT value, (SELECT seq FROM seqs WHERE tbl = '$tx') FROM meta WHERE name = $1",
            &[&name],
        )?;
        self.saw_version(row.as_ref(), 1);
        Ok(row.map(|r| r.try_get::<_, Vec<u8>>(0).unwrap_or_default()))
    }

    fn meta_set(&self, name: &str, value: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO meta(name, value) VALUES ($1, $2)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            &[&name, &value],
        )?;
        Ok(())
    }

    fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = self.query(
            "SELECT name, value FROM meta WHERE left(name, length($1)) = $1 ORDER BY name",
            &[&prefix],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.try_get::<_, String>(0).unwrap_or_default(),
                    r.try_get::<_, Vec<u8>>(1).unwrap_or_default(),
                )
            })
            .collect())
    }

    fn meta_delete(&self, name: &str) -> Result<()> {
        self.execute("DELETE FROM meta WHERE name = $1", &[&name])?;
        Ok(())
    }

    // ---- nodes ----

    fn node_rows(&self) -> Result<Vec<NodeRow>> {
        let rows = self.query(
            "SELECT id, parent_id, kind, version, sealed, (SELECT seq FROM seqs WHERE tbl = '$tx')
             FROM nodes ORDER BY id",
            &[],
        )?;
        self.saw_version(rows.first(), 5);
        Ok(rows.iter().map(node_row_of).collect())
    }

    fn node_row(&self, id: NodeId) -> Result<Option<NodeRow>> {
        let row = self.query_opt(
            "SELECT id, parent_id, kind, version, sealed, (SELECT seq FROM seqs WHERE tbl = '$tx')
             FROM nodes WHERE id = $1",
            &[&id],
        )?;
        self.saw_version(row.as_ref(), 5);
        Ok(row.as_ref().map(node_row_of))
    }

    fn insert_node(&self, parent: NodeId, kind: i64, name_tag: &[u8]) -> Result<NodeId> {
        let id = self.next_id("nodes")?;
        self.execute_unique(
            "INSERT INTO nodes(id, parent_id, kind, version, name_tag, sealed)
             VALUES ($1, $2, $3, 1, $4, '')",
            &[&id, &parent, &kind, &name_tag],
        )?;
        Ok(id)
    }

    fn insert_node_row(&self, row: &NodeRow, name_tag: &[u8]) -> Result<()> {
        self.execute_unique(
            "INSERT INTO nodes(id, parent_id, kind, version, name_tag, sealed)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &row.id,
                &row.parent_id,
                &row.kind,
                &row.version,
                &name_tag,
                &row.sealed,
            ],
        )?;
        self.raise_sequence("nodes", row.id)
    }

    fn update_node(&self, id: NodeId, version: i64, name_tag: &[u8], sealed: &[u8]) -> Result<()> {
        self.execute_unique(
            "UPDATE nodes SET version = $2, name_tag = $3, sealed = $4 WHERE id = $1",
            &[&id, &version, &name_tag, &sealed],
        )?;
        Ok(())
    }

    fn delete_node(&self, id: NodeId) -> Result<()> {
        self.execute("DELETE FROM nodes WHERE id = $1", &[&id])?;
        Ok(())
    }

    // ---- keys ----

    fn each_key_row(&self, nodes: Option<&[NodeId]>, f: Each<'_, KeyRow>) -> Result<()> {
        self.snapshot(|| {
            // In pages, so the callback may use the connection between them and 100,000 rows
            // are never all in memory.
            let mut walk = |node: Option<NodeId>| -> Result<()> {
                self.each_page(
                    |after| {
                        let rows = match node {
                            None => self.query(
                                concat!(
                                    "SELECT ",
                                    key_row_columns!(),
                                    " FROM keys WHERE id > $1 ORDER BY id LIMIT 2048"
                                ),
                                &[&after],
                            )?,
                            Some(n) => self.query(
                                concat!(
                                    "SELECT ",
                                    key_row_columns!(),
                                    " FROM keys WHERE node_id = $2 AND id > $1
                                      ORDER BY id LIMIT 2048"
                                ),
                                &[&after, &n],
                            )?,
                        };
                        if let Some(first) = rows.first() {
                            self.saw_version(Some(first), 7);
                        }
                        Ok(rows)
                    },
                    |row| f(key_row_of(row)),
                )
            };
            match nodes {
                None => walk(None),
                Some(ids) => ids.iter().try_for_each(|id| walk(Some(*id))),
            }
        })
    }

    fn key_by_key_id(&self, key_id: &str) -> Result<Option<KeyRow>> {
        let row = self.query_opt(
            concat!(
                "SELECT ",
                key_row_columns!(),
                " FROM keys WHERE key_id = $1"
            ),
            &[&key_id],
        )?;
        self.saw_version(row.as_ref(), 7);
        Ok(row.as_ref().map(key_row_of))
    }

    fn key_row_by_id(&self, id: i64) -> Result<Option<KeyRow>> {
        let row = self.query_opt(
            concat!("SELECT ", key_row_columns!(), " FROM keys WHERE id = $1"),
            &[&id],
        )?;
        self.saw_version(row.as_ref(), 7);
        Ok(row.as_ref().map(key_row_of))
    }

    fn key_by_lookup(&self, lookup: &[u8]) -> Result<Option<KeyRow>> {
        self.key_by_lookup_cached(lookup)
    }

    fn master_key_rows(&self, node: NodeId) -> Result<Vec<KeyRow>> {
        let rows = self.query(
            "SELECT id, node_id, key_id, version, full_access, last_used_at, sealed
             FROM keys WHERE node_id = $1 AND full_access ORDER BY id",
            &[&node],
        )?;
        Ok(rows.iter().map(key_row_of).collect())
    }

    fn insert_key(&self, row: &NewKeyRow<'_>) -> Result<i64> {
        let id = self.next_id("keys")?;
        self.execute_unique(
            "INSERT INTO keys(id, node_id, key_id, version, name_tag, lookup, full_access, sealed)
             VALUES ($1, $2, $3, 1, $4, $5, $6, '')",
            &[
                &id,
                &row.node_id,
                &row.key_id,
                &row.name_tag,
                &row.lookup,
                &row.full_access,
            ],
        )?;
        Ok(id)
    }

    fn insert_key_row(&self, row: &KeyRow, tags: &KeyTags<'_>) -> Result<()> {
        self.execute_unique(
            "INSERT INTO keys(id, node_id, key_id, version, name_tag, lookup, prev_lookup,
                              full_access, last_used_at, sealed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &row.id,
                &row.node_id,
                &row.key_id,
                &row.version,
                &tags.name_tag,
                &tags.lookup,
                &tags.prev_lookup,
                &row.full_access,
                &row.last_used_at,
                &row.sealed,
            ],
        )?;
        self.raise_sequence("keys", row.id)
    }

    fn seal_key(&self, id: i64, sealed: &[u8]) -> Result<()> {
        self.execute("UPDATE keys SET sealed = $2 WHERE id = $1", &[&id, &sealed])?;
        Ok(())
    }

    fn update_key(
        &self,
        id: i64,
        version: i64,
        full_access: bool,
        lookups: Option<(&[u8], Option<&[u8]>)>,
        sealed: &[u8],
    ) -> Result<()> {
        match lookups {
            Some((lookup, prev)) => self.execute_unique(
                "UPDATE keys SET version = $2, full_access = $3, lookup = $4, prev_lookup = $5,
                 sealed = $6 WHERE id = $1",
                &[&id, &version, &full_access, &lookup, &prev, &sealed],
            )?,
            None => self.execute(
                "UPDATE keys SET version = $2, full_access = $3, sealed = $4 WHERE id = $1",
                &[&id, &version, &full_access, &sealed],
            )?,
        };
        Ok(())
    }

    fn set_key_name_tag(&self, id: i64, name_tag: &[u8]) -> Result<()> {
        self.execute_unique(
            "UPDATE keys SET name_tag = $2 WHERE id = $1",
            &[&id, &name_tag],
        )?;
        Ok(())
    }

    fn latest_use(&self) -> Result<Option<Timestamp>> {
        let row = self.query_opt("SELECT MAX(last_used_at) FROM keys", &[])?;
        Ok(row
            .and_then(|r| r.try_get::<_, Option<i64>>(0).ok())
            .flatten())
    }

    fn touch_key(&self, id: i64, at: Timestamp) -> Result<()> {
        self.execute_quiet(
            "UPDATE keys SET last_used_at = $2 WHERE id = $1",
            &[&id, &at],
        )?;
        self.lookups.borrow_mut().touched(id, at);
        Ok(())
    }

    fn delete_key(&self, id: i64) -> Result<()> {
        self.execute("DELETE FROM keys WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn count_keys(&self, nodes: &[NodeId]) -> Result<usize> {
        let row = self.query_opt(
            "SELECT COUNT(*) FROM keys WHERE node_id = ANY($1)",
            &[&nodes],
        )?;
        let n = row.and_then(|r| r.try_get::<_, i64>(0).ok()).unwrap_or(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn key_ids_of(&self, nodes: &[NodeId]) -> Result<Vec<i64>> {
        let rows = self.query(
            "SELECT id FROM keys WHERE node_id = ANY($1) ORDER BY id",
            &[&nodes],
        )?;
        Ok(rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
    }

    fn sequence_of(&self, table: &str) -> Result<i64> {
        let row = self.query_opt("SELECT seq FROM seqs WHERE tbl = $1", &[&table])?;
        Ok(row.and_then(|r| r.try_get::<_, i64>(0).ok()).unwrap_or(0))
    }

    fn set_sequence(&self, table: &str, seq: i64) -> Result<()> {
        self.execute(
            "INSERT INTO seqs(tbl, seq) VALUES ($1, $2)
             ON CONFLICT(tbl) DO UPDATE SET seq = excluded.seq",
            &[&table, &seq],
        )?;
        Ok(())
    }

    fn index_rows(&self, keys: bool) -> Result<Vec<IndexRow>> {
        let rows = if keys {
            self.query(
                "SELECT id, name_tag, lookup, prev_lookup FROM keys ORDER BY id",
                &[],
            )?
        } else {
            self.query(
                "SELECT id, name_tag, ''::bytea, NULL::bytea FROM nodes ORDER BY id",
                &[],
            )?
        };
        Ok(rows
            .iter()
            .map(|r| IndexRow {
                id: r.try_get(0).unwrap_or(0),
                name_tag: r.try_get(1).unwrap_or_default(),
                lookup: r.try_get(2).unwrap_or_default(),
                prev_lookup: r.try_get(3).ok().flatten(),
            })
            .collect())
    }

    // ---- activity ----

    fn last_activity(&self) -> Result<Option<(i64, Vec<u8>)>> {
        let row = self.query_opt(
            "SELECT seq, at, action, node_id, sealed, mac FROM activity ORDER BY seq DESC LIMIT 1",
            &[],
        )?;
        Ok(row.as_ref().map(activity_row_of).map(|r| (r.seq, r.mac)))
    }

    fn insert_activity(&self, row: &ActivityRow) -> Result<()> {
        self.execute(
            "INSERT INTO activity(seq, at, action, node_id, sealed, mac)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &row.seq,
                &row.at,
                &row.action,
                &row.node_id,
                &row.sealed,
                &row.mac,
            ],
        )?;
        Ok(())
    }

    fn activity_page(&self, before: Option<i64>, limit: usize) -> Result<Vec<ActivityRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(
            "SELECT seq, at, action, node_id, sealed, mac FROM activity
             WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
            &[&before.unwrap_or(i64::MAX), &limit],
        )?;
        Ok(rows.iter().map(activity_row_of).collect())
    }

    fn each_activity(&self, f: Each<'_, ActivityRow>) -> Result<()> {
        self.snapshot(|| {
            self.each_page(
                |after| {
                    self.query(
                        "SELECT seq, at, action, node_id, sealed, mac FROM activity
                         WHERE seq > $1 ORDER BY seq LIMIT 2048",
                        &[&after],
                    )
                },
                |row| f(activity_row_of(row)),
            )
        })
    }

    // ---- buckets ----

    fn bucket_get(&self, table: &str, bucket: i64) -> Result<Option<Vec<u8>>> {
        let row = self.query_opt(
            "SELECT entries FROM commit_buckets WHERE tbl = $1 AND bucket = $2",
            &[&table, &bucket],
        )?;
        Ok(row.map(|r| r.try_get::<_, Vec<u8>>(0).unwrap_or_default()))
    }

    fn bucket_put(&self, table: &str, bucket: i64, entries: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO commit_buckets(tbl, bucket, entries) VALUES ($1, $2, $3)
             ON CONFLICT(tbl, bucket) DO UPDATE SET entries = excluded.entries",
            &[&table, &bucket, &entries],
        )?;
        Ok(())
    }

    fn clear_buckets(&self) -> Result<()> {
        self.execute("DELETE FROM commit_buckets", &[])?;
        Ok(())
    }

    fn all_buckets(&self) -> Result<Vec<(String, i64, Vec<u8>)>> {
        let rows = self.query("SELECT tbl, bucket, entries FROM commit_buckets", &[])?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.try_get(0).unwrap_or_default(),
                    r.try_get(1).unwrap_or(0),
                    r.try_get(2).unwrap_or_default(),
                )
            })
            .collect())
    }

    // ---- rebuild (see rebuild.rs) ----

    fn begin_rebuild(&self) -> Result<Sequences> {
        self.rebuild_begin()
    }

    fn end_rebuild(&self, seqs: &Sequences) -> Result<()> {
        self.rebuild_end(seqs)
    }

    fn count_old(&self) -> Result<usize> {
        self.rebuild_count()
    }

    fn old_node_rows(&self, v1: bool) -> Result<Vec<NodeRow>> {
        self.rebuild_nodes(v1)
    }

    fn each_old_key_row(&self, v1: bool, f: Each<'_, KeyRow>) -> Result<()> {
        self.rebuild_each_key(v1, f)
    }

    fn each_old_activity(&self, v1: bool, f: Each<'_, OldActivity>) -> Result<()> {
        self.rebuild_each_activity(v1, f)
    }

    fn integrity_check(&self) -> Result<Vec<String>> {
        // The server checks its own pages; what doctor can ask is that the tables are there.
        let rows = self.query(
            "SELECT t FROM unnest($1::text[]) AS t
             WHERE to_regclass(quote_ident(t)) IS NULL",
            &[&schema::TABLES.as_slice()],
        )?;
        Ok(rows
            .iter()
            .map(|r| format!("table {} is missing", r.get::<_, String>(0)))
            .collect())
    }

    fn checkpoint_truncate(&self) -> Result<()> {
        // The server's WAL and backups are its administrator's; nothing in them is plaintext.
        Ok(())
    }

    fn backup_into(&self, dest: &Path) -> Result<()> {
        let file = crate::vault::store::sqlite::SqliteStore::create(dest, &[])?;
        let copied = crate::vault::store::copy::copy_vault(self, &file);
        if copied.is_err() {
            drop(file);
            let _ = std::fs::remove_file(dest);
        }
        copied
    }
}
