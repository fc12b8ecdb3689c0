//! Re-sealing every record from one key (and format) to another, in the caller's transaction:
//! the shared core of the schema upgrade (v1 → v2) and of re-keying (a new data key).
//!
//! A record that fails its check in the source is carried over as it was and stays tampered
//! (it is not in the new commitment); what was wrong is returned, so it can be logged and the
//! evidence survives the new chain.

use std::collections::HashMap;

use crate::vault::store::Store;

use crate::vault::activity::{self, Detail, Fields};
use crate::vault::commitment::{Entry, Table};
use crate::vault::crypto::{self, Sealer};
use crate::vault::error::{Error, Result};
use crate::vault::model::NodeKind;
use crate::vault::records::{self, KeyData, NodeData};
use crate::vault::store::{self, KeyRow, KeyTags, NodeRow, OldActivity};

/// How far a re-seal has come (records done of all records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RekeyProgress {
    pub done: usize,
    pub total: usize,
}

/// The format the records are read in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(in crate::vault) enum Source<'a> {
    /// Schema 1: no versions, unkeyed SHA-256 chain.
    V1,
    /// Schema 2, with the committed entries of the vault being re-keyed.
    V2(&'a HashMap<(Table, i64), Entry>),
}

pub(in crate::vault) struct Resealed {
    pub entries: Vec<(Table, Entry)>,
    pub problems: Vec<String>,
}

struct Run<'a> {
    conn: &'a dyn Store,
    source: Source<'a>,
    from: &'a Sealer,
    to: &'a Sealer,
    progress: &'a mut dyn FnMut(RekeyProgress),
    done: usize,
    total: usize,
    out: Resealed,
}

pub(in crate::vault) fn reseal_all(
    conn: &dyn Store,
    source: Source<'_>,
    from: &Sealer,
    to: &Sealer,
    progress: &mut dyn FnMut(RekeyProgress),
) -> Result<Resealed> {
    let seqs = conn.begin_rebuild()?;
    let total = conn.count_old()?;
    let mut run = Run {
        conn,
        source,
        from,
        to,
        progress,
        done: 0,
        total,
        out: Resealed {
            entries: Vec::new(),
            problems: Vec::new(),
        },
    };
    (run.progress)(RekeyProgress { done: 0, total });
    for row in conn.old_node_rows(source == Source::V1)? {
        run.node(row)?;
    }
    conn.each_old_key_row(source == Source::V1, &mut |row| run.key(row))?;
    // Schema 1 chained its first entry to 32 zero bytes; schema 2 to nothing.
    let mut prev_old = if source == Source::V1 {
        vec![0u8; 32]
    } else {
        Vec::new()
    };
    let mut prev_new = Vec::new();
    conn.each_old_activity(source == Source::V1, &mut |old| {
        run.activity(old, &mut prev_old, &mut prev_new)
    })?;
    if let Source::V2(committed) = source {
        // Tombstones carry over: a deleted row must stay deleted.
        for ((table, _), entry) in committed.iter().filter(|(_, e)| !e.is_live()) {
            run.out.entries.push((*table, *entry));
        }
    }
    conn.end_rebuild(&seqs)?;
    (run.progress)(RekeyProgress { done: total, total });
    Ok(run.out)
}

impl Run<'_> {
    fn tick(&mut self) {
        self.done += 1;
        if self.done.is_multiple_of(500) {
            (self.progress)(RekeyProgress {
                done: self.done,
                total: self.total,
            });
        }
    }

    /// Opens a source record: for v2 only if it is the committed one.
    fn open<T: for<'de> serde::Deserialize<'de>>(
        &self,
        table: Table,
        id: i64,
        version: i64,
        sealed: &[u8],
        malformed: bool,
    ) -> Option<T> {
        if malformed {
            return None;
        }
        let aad = match self.source {
            Source::V1 => records::aad_v1(table.name(), id),
            Source::V2(committed) => {
                if !committed
                    .get(&(table, id))
                    .is_some_and(|e| e.matches(version, sealed))
                {
                    return None;
                }
                records::aad(table, id, version)
            }
        };
        serde_json::from_slice(&self.from.open(&aad, sealed)?).ok()
    }

    fn next_version(&self, version: i64) -> Result<i64> {
        match self.source {
            Source::V1 => Ok(1),
            Source::V2(_) => version
                .checked_add(1)
                .ok_or_else(|| Error::damaged("record version", "a record's version overflowed")),
        }
    }

    fn node(&mut self, row: NodeRow) -> Result<()> {
        self.tick();
        let data: Option<NodeData> = self.open(
            Table::Nodes,
            row.id,
            row.version,
            &row.sealed,
            row.malformed,
        );
        let data = data
            .filter(|d| Some(d.kind) == NodeKind::from_code(row.kind) && d.parent == row.parent_id);
        let Some(data) = data else {
            self.out.problems.push(format!(
                "node #{} failed its integrity check and stays marked as tampered",
                row.id
            ));
            // Its old name tag means nothing under the new key; a random one keeps it unique.
            return self
                .conn
                .insert_node_row(&row, &crypto::random_bytes::<32>());
        };
        let version = self.next_version(row.version)?;
        let sealed = records::seal_record(self.to, Table::Nodes, row.id, version, &data)?;
        let tag = crate::vault::handle::name_tag_with(self.to, "node", data.parent, &data.name);
        let new = NodeRow {
            version,
            sealed,
            ..row
        };
        self.conn.insert_node_row(&new, &tag)?;
        self.out
            .entries
            .push((Table::Nodes, Entry::live(new.id, version, &new.sealed)));
        Ok(())
    }

    fn key(&mut self, row: KeyRow) -> Result<()> {
        self.tick();
        let data: Option<KeyData> =
            self.open(Table::Keys, row.id, row.version, &row.sealed, row.malformed);
        let data = data.filter(|d| {
            d.key_id == row.key_id && d.node_id == row.node_id && d.full_access == row.full_access
        });
        let Some(data) = data else {
            self.out.problems.push(format!(
                "key {} failed its integrity check and stays marked as tampered",
                row.key_id
            ));
            let (a, b, c) = (
                crypto::random_bytes::<32>(),
                crypto::random_bytes::<32>(),
                crypto::random_bytes::<32>(),
            );
            let tags = KeyTags {
                name_tag: &a,
                lookup: &b,
                prev_lookup: Some(&c),
            };
            return self.conn.insert_key_row(&row, &tags);
        };
        let version = self.next_version(row.version)?;
        let sealed = records::seal_record(self.to, Table::Keys, row.id, version, &data)?;
        let lookup_of =
            |hex: &str| crypto::from_hex(hex).map(|sha| self.to.tag(&[b"lookup", &sha]));
        let lookup = lookup_of(&data.sha256)
            .ok_or_else(|| Error::Tampered(format!("key {}", row.key_id)))?;
        let prev = data.previous.as_ref().and_then(|p| lookup_of(&p.sha256));
        let name_tag =
            crate::vault::handle::name_tag_with(self.to, "key", data.node_id, &data.name);
        let new = KeyRow {
            version,
            sealed,
            ..row
        };
        self.conn.insert_key_row(
            &new,
            &KeyTags {
                name_tag: &name_tag,
                lookup: &lookup,
                prev_lookup: prev.as_deref(),
            },
        )?;
        self.out
            .entries
            .push((Table::Keys, Entry::live(new.id, version, &new.sealed)));
        Ok(())
    }

    fn activity(
        &mut self,
        old: OldActivity,
        prev_old: &mut Vec<u8>,
        prev_new: &mut Vec<u8>,
    ) -> Result<()> {
        self.tick();
        let row = &old.row;
        let fields = Fields {
            seq: row.seq,
            at: row.at,
            action: &row.action,
            node: row.node_id,
        };
        let (chained, detail) = match self.source {
            Source::V1 => {
                let hash = v1_entry_hash(&old.prev_hash, row, old.had_sealed);
                let chained = old.prev_hash == *prev_old && hash == row.mac;
                let detail = if old.had_sealed {
                    self.from
                        .open(&records::aad_v1("activity", row.seq), &row.sealed)
                        .and_then(|p| serde_json::from_slice::<Detail>(&p).ok())
                } else {
                    Some(Detail {
                        node: String::new(),
                        detail: String::new(),
                        member: String::new(),
                    })
                };
                (chained, detail)
            }
            Source::V2(_) => {
                let mac = activity::entry_mac(self.from, prev_old, &fields, &row.sealed);
                let chained = !row.malformed && crypto::ct_eq(&mac, &row.mac);
                let detail = self
                    .from
                    .open(&fields.aad(), &row.sealed)
                    .and_then(|p| serde_json::from_slice::<Detail>(&p).ok());
                (chained, detail)
            }
        };
        if !chained {
            self.out.problems.push(format!(
                "activity entry {} was altered or did not chain to the one before",
                row.seq
            ));
        }
        let detail = detail.unwrap_or_else(|| {
            self.out.problems.push(format!(
                "activity entry {} failed its integrity check",
                row.seq
            ));
            Detail {
                node: String::new(),
                detail: "(unreadable in the previous file: tampered)".into(),
                member: String::new(),
            }
        });
        let new = activity::sealed_row(self.to, prev_new, &fields, &detail)?;
        self.conn.insert_activity(&new)?;
        *prev_old = row.mac.clone();
        *prev_new = new.mac;
        Ok(())
    }
}

/// Schema 1's unkeyed entry hash, to check a v1 chain once while upgrading it.
fn v1_entry_hash(prev: &[u8], row: &store::ActivityRow, had_sealed: bool) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(b"keyward/activity/v1");
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&row.seq.to_be_bytes());
    buf.extend_from_slice(&row.at.to_be_bytes());
    buf.extend_from_slice(&(row.action.len() as u64).to_be_bytes());
    buf.extend_from_slice(row.action.as_bytes());
    buf.extend_from_slice(&row.node_id.unwrap_or(-1).to_be_bytes());
    if had_sealed {
        buf.push(1);
        buf.extend_from_slice(&row.sealed);
    } else {
        buf.push(0);
    }
    crypto::sha256(&buf).to_vec()
}
