//! Copying a whole vault from one store to another, row for row: records stay sealed (the
//! copy needs no key), and members, the activity log, the commitment and the id counters come
//! along, so the copy opens with the same passphrases and passes the same checks.

use super::Store;
use super::{KeyTags, in_read_snapshot, in_transaction};
use crate::vault::error::{Error, Result};

/// Copies every row of `from` into `to`, which must be a freshly created, empty vault; one
/// transaction on `to`, one snapshot of `from`.
pub fn copy_vault(from: &dyn Store, to: &dyn Store) -> Result<()> {
    if to.last_activity()?.is_some() || !to.node_rows()?.is_empty() {
        return Err(Error::bad_input(
            "destination",
            "the destination vault is not empty",
        ));
    }
    in_read_snapshot(from, || {
        in_transaction(to, || {
            for (name, value) in from.meta_with_prefix("")? {
                if name != "magic" && name != "schema_version" {
                    to.meta_set(&name, &value)?;
                }
            }
            let node_tags = from.index_rows(false)?;
            for row in from.node_rows()? {
                let tag = node_tags.iter().find(|t| t.id == row.id).ok_or_else(|| {
                    Error::damaged("nodes", format!("node {} has no name index", row.id))
                })?;
                to.insert_node_row(&row, &tag.name_tag)?;
            }
            let key_tags = from.index_rows(true)?;
            let mut tags = key_tags.iter().peekable();
            // Streamed: rows go across as they are read (both lists are in id order).
            from.each_key_row(None, &mut |row| {
                while tags.next_if(|t| t.id < row.id).is_some() {}
                let tag = tags.next_if(|t| t.id == row.id).ok_or_else(|| {
                    Error::damaged("keys", format!("key {} has no index", row.key_id))
                })?;
                to.insert_key_row(
                    &row,
                    &KeyTags {
                        name_tag: &tag.name_tag,
                        lookup: &tag.lookup,
                        prev_lookup: tag.prev_lookup.as_deref(),
                    },
                )
            })?;
            from.each_activity(&mut |row| to.insert_activity(&row))?;
            for (table, bucket, entries) in from.all_buckets()? {
                to.bucket_put(&table, bucket, &entries)?;
            }
            for table in ["nodes", "keys"] {
                to.set_sequence(table, from.sequence_of(table)?)?;
            }
            Ok(())
        })
    })
}
