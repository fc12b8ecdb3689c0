//! [`Store`] for a vault file: each method is one of this module's SQL functions.

use std::path::Path;

use super::{SqliteStore, buckets, rebuild, rows};
use crate::vault::error::Result;
use crate::vault::model::{NodeId, Timestamp};
use crate::vault::store::{
    ActivityRow, Each, IndexRow, KeyRow, KeyTags, NewKeyRow, NodeRow, OldActivity, Sequences, Store,
};

impl Store for SqliteStore {
    fn schema_version(&self) -> i64 {
        self.schema_version
    }

    fn begin_write(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn commit(&self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    fn begin_read(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN DEFERRED")?;
        Ok(())
    }

    fn end_read(&self) {
        let _ = self.conn.execute_batch("COMMIT");
    }

    fn pager_version(&self) -> Result<i64> {
        super::pager_version(&self.conn)
    }

    fn data_version(&self) -> Result<i64> {
        super::data_version(&self.conn)
    }

    fn meta_get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        super::meta_get(&self.conn, name)
    }

    fn meta_set(&self, name: &str, value: &[u8]) -> Result<()> {
        super::meta_set(&self.conn, name, value)
    }

    fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        super::meta_with_prefix(&self.conn, prefix)
    }

    fn meta_delete(&self, name: &str) -> Result<()> {
        super::meta_delete(&self.conn, name)
    }

    fn node_rows(&self) -> Result<Vec<NodeRow>> {
        rows::node_rows(&self.conn)
    }

    fn node_row(&self, id: NodeId) -> Result<Option<NodeRow>> {
        rows::node_row(&self.conn, id)
    }

    fn insert_node(&self, parent: NodeId, kind: i64, name_tag: &[u8]) -> Result<NodeId> {
        rows::insert_node(&self.conn, parent, kind, name_tag)
    }

    fn insert_node_row(&self, row: &NodeRow, name_tag: &[u8]) -> Result<()> {
        rows::insert_node_row(&self.conn, row, name_tag)
    }

    fn update_node(&self, id: NodeId, version: i64, name_tag: &[u8], sealed: &[u8]) -> Result<()> {
        rows::update_node(&self.conn, id, version, name_tag, sealed)
    }

    fn delete_node(&self, id: NodeId) -> Result<()> {
        rows::delete_node(&self.conn, id)
    }

    fn each_key_row(&self, nodes: Option<&[NodeId]>, f: Each<'_, KeyRow>) -> Result<()> {
        rows::each_key_row(&self.conn, nodes, f)
    }

    fn key_by_key_id(&self, key_id: &str) -> Result<Option<KeyRow>> {
        rows::key_by_key_id(&self.conn, key_id)
    }

    fn key_row_by_id(&self, id: i64) -> Result<Option<KeyRow>> {
        rows::key_row_by_id(&self.conn, id)
    }

    fn key_by_lookup(&self, lookup: &[u8]) -> Result<Option<KeyRow>> {
        rows::key_by_lookup(&self.conn, lookup)
    }

    fn master_key_rows(&self, node: NodeId) -> Result<Vec<KeyRow>> {
        rows::master_key_rows(&self.conn, node)
    }

    fn insert_key(&self, row: &NewKeyRow<'_>) -> Result<i64> {
        rows::insert_key(&self.conn, row)
    }

    fn insert_key_row(&self, row: &KeyRow, tags: &KeyTags<'_>) -> Result<()> {
        rows::insert_key_row(&self.conn, row, tags)
    }

    fn seal_key(&self, id: i64, sealed: &[u8]) -> Result<()> {
        rows::seal_key(&self.conn, id, sealed)
    }

    fn update_key(
        &self,
        id: i64,
        version: i64,
        full_access: bool,
        lookups: Option<(&[u8], Option<&[u8]>)>,
        sealed: &[u8],
    ) -> Result<()> {
        rows::update_key(&self.conn, id, version, full_access, lookups, sealed)
    }

    fn set_key_name_tag(&self, id: i64, name_tag: &[u8]) -> Result<()> {
        rows::set_key_name_tag(&self.conn, id, name_tag)
    }

    fn touch_key(&self, id: i64, at: Timestamp) -> Result<()> {
        rows::touch_key(&self.conn, id, at)
    }

    fn delete_key(&self, id: i64) -> Result<()> {
        rows::delete_key(&self.conn, id)
    }

    fn latest_use(&self) -> Result<Option<Timestamp>> {
        let newest = self
            .conn
            .query_row("SELECT MAX(last_used_at) FROM keys", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?;
        Ok(newest)
    }

    fn count_keys(&self, nodes: &[NodeId]) -> Result<usize> {
        rows::count_keys(&self.conn, nodes)
    }

    fn key_ids_of(&self, nodes: &[NodeId]) -> Result<Vec<i64>> {
        rows::key_ids_of(&self.conn, nodes)
    }

    fn sequence_of(&self, table: &str) -> Result<i64> {
        rows::sequence_of(&self.conn, table)
    }

    fn set_sequence(&self, table: &str, seq: i64) -> Result<()> {
        rows::set_sequence(&self.conn, table, seq)
    }

    fn index_rows(&self, keys: bool) -> Result<Vec<IndexRow>> {
        rows::index_rows(&self.conn, keys)
    }

    fn last_activity(&self) -> Result<Option<(i64, Vec<u8>)>> {
        rows::last_activity(&self.conn)
    }

    fn insert_activity(&self, row: &ActivityRow) -> Result<()> {
        rows::insert_activity(&self.conn, row)
    }

    fn activity_page(&self, before: Option<i64>, limit: usize) -> Result<Vec<ActivityRow>> {
        rows::activity_page(&self.conn, before, limit)
    }

    fn each_activity(&self, f: Each<'_, ActivityRow>) -> Result<()> {
        rows::each_activity(&self.conn, f)
    }

    fn bucket_get(&self, table: &str, bucket: i64) -> Result<Option<Vec<u8>>> {
        buckets::bucket_get(&self.conn, table, bucket)
    }

    fn bucket_put(&self, table: &str, bucket: i64, entries: &[u8]) -> Result<()> {
        buckets::bucket_put(&self.conn, table, bucket, entries)
    }

    fn clear_buckets(&self) -> Result<()> {
        buckets::clear_buckets(&self.conn)
    }

    fn all_buckets(&self) -> Result<Vec<(String, i64, Vec<u8>)>> {
        buckets::all_buckets(&self.conn)
    }

    fn begin_rebuild(&self) -> Result<Sequences> {
        rebuild::begin_rebuild(&self.conn)
    }

    fn end_rebuild(&self, seqs: &Sequences) -> Result<()> {
        rebuild::end_rebuild(&self.conn, seqs)
    }

    fn count_old(&self) -> Result<usize> {
        rebuild::count_old(&self.conn)
    }

    fn old_node_rows(&self, v1: bool) -> Result<Vec<NodeRow>> {
        rebuild::old_node_rows(&self.conn, v1)
    }

    fn each_old_key_row(&self, v1: bool, f: Each<'_, KeyRow>) -> Result<()> {
        rebuild::each_old_key_row(&self.conn, v1, f)
    }

    fn each_old_activity(&self, v1: bool, f: Each<'_, OldActivity>) -> Result<()> {
        rebuild::each_old_activity(&self.conn, v1, f)
    }

    fn integrity_check(&self) -> Result<Vec<String>> {
        super::integrity_check(&self.conn)
    }

    fn checkpoint_truncate(&self) -> Result<()> {
        super::checkpoint_truncate(&self.conn)
    }

    fn set_cache_mib(&self, mib: u32) -> Result<()> {
        super::set_cache_mib(&self.conn, mib)
    }

    fn release_memory(&self) {
        // Only a cache is freed; a failure leaves it as it was.
        let _ = self.conn.execute_batch("PRAGMA shrink_memory");
    }

    fn backup_into(&self, dest: &Path) -> Result<()> {
        super::backup_into(&self.conn, dest)
    }
}
