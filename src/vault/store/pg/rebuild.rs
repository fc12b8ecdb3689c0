//! Re-keying on the server: the sealed tables are moved aside as `old_*`, fresh ones created,
//! every row copied across re-sealed by the vault, the old ones dropped, all in the caller's
//! transaction (PostgreSQL's DDL is transactional, so a failed re-key leaves nothing behind).

use super::decode::{activity_row_of, key_row_of, node_row_of, refuse_v1};
use super::{PgStore, schema};
use crate::vault::error::Result;
use crate::vault::store::{Each, KeyRow, NodeRow, OldActivity, Sequences, Store};

impl PgStore {
    pub(super) fn rebuild_begin(&self) -> Result<Sequences> {
        let seqs = Sequences {
            nodes: self.sequence_of("nodes")?,
            keys: self.sequence_of("keys")?,
        };
        self.forget_statements();
        self.dirty.set(true);
        self.batch(schema::MOVE_ASIDE)?;
        self.batch(schema::SEALED_TABLES)?;
        Ok(seqs)
    }

    pub(super) fn rebuild_end(&self, seqs: &Sequences) -> Result<()> {
        self.forget_statements();
        self.batch(schema::DROP_OLD)?;
        self.set_sequence("nodes", seqs.nodes.max(self.sequence_of("nodes")?))?;
        self.set_sequence("keys", seqs.keys.max(self.sequence_of("keys")?))
    }

    pub(super) fn rebuild_count(&self) -> Result<usize> {
        let row = self.query_opt(
            "SELECT (SELECT COUNT(*) FROM old_nodes) + (SELECT COUNT(*) FROM old_keys)
                  + (SELECT COUNT(*) FROM old_activity)",
            &[],
        )?;
        let n: i64 = row.and_then(|r| r.try_get(0).ok()).unwrap_or(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    pub(super) fn rebuild_nodes(&self, v1: bool) -> Result<Vec<NodeRow>> {
        refuse_v1(v1)?;
        let rows = self.query(
            "SELECT id, parent_id, kind, version, sealed FROM old_nodes ORDER BY id",
            &[],
        )?;
        Ok(rows.iter().map(node_row_of).collect())
    }

    pub(super) fn rebuild_each_key(&self, v1: bool, f: Each<'_, KeyRow>) -> Result<()> {
        refuse_v1(v1)?;
        let rows = self.query(
            "SELECT id, node_id, key_id, version, full_access, last_used_at, sealed
             FROM old_keys ORDER BY id",
            &[],
        )?;
        rows.iter().try_for_each(|r| f(key_row_of(r)))
    }

    pub(super) fn rebuild_each_activity(&self, v1: bool, f: Each<'_, OldActivity>) -> Result<()> {
        refuse_v1(v1)?;
        let rows = self.query(
            "SELECT seq, at, action, node_id, sealed, mac FROM old_activity ORDER BY seq",
            &[],
        )?;
        rows.iter().try_for_each(|r| {
            f(OldActivity {
                row: activity_row_of(r),
                prev_hash: Vec::new(),
                had_sealed: true,
            })
        })
    }
}
