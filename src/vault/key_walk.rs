//! Walking every key for a listing, on two threads: this one reads the rows and checks each
//! against the state commitment (both need the database connection), a second one decrypts
//! and parses them. At 100,000 keys decryption and parsing are most of a listing's work.

use std::cell::Cell;
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, channel, sync_channel};

use super::commitment::Table;
use super::error::{Error, Result};
use super::keys::key_info_of;
use super::model::{KeyInfo, NodeId};
use super::{Vault, store, usage};

/// Rows per batch handed to the decrypting thread, and batches in flight: a few thousand
/// rows at most, whatever the size of the vault.
const BATCH: usize = 256;
const IN_FLIGHT: usize = 4;

impl Vault {
    /// Like [`Vault::each_key`], stopping when `f` breaks (a reader that went away): the
    /// rows after it are neither read nor decrypted. `f` runs on the calling thread, in order.
    pub fn each_key_while(
        &self,
        node: Option<NodeId>,
        mut f: impl FnMut(KeyInfo) -> ControlFlow<()>,
    ) -> Result<()> {
        let tree = self.tree()?;
        let subtree = match node {
            Some(id) => {
                tree.get(id)?;
                Some(tree.subtree(id))
            }
            None => None,
        };
        let now = self.now();
        let usage = self.service_usage(now);
        let sealer = &self.sealer;
        let (tree, usage) = (&tree, &usage);
        std::thread::scope(|scope| {
            let (rows_tx, rows_rx) = sync_channel::<Vec<(store::KeyRow, bool)>>(IN_FLIGHT);
            // Unbounded, yet never more than IN_FLIGHT batches ahead: rows are only sent as
            // fast as this thread takes decoded keys back.
            let (keys_tx, keys_rx) = channel::<Vec<KeyInfo>>();
            scope.spawn(move || {
                for batch in rows_rx {
                    let keys = batch
                        .iter()
                        .map(|(row, committed)| {
                            let mut info = key_info_of(sealer, tree, row, *committed, now);
                            usage::apply(usage, &mut info);
                            info
                        })
                        .collect();
                    if keys_tx.send(keys).is_err() {
                        break;
                    }
                }
            });
            let stopped = Cell::new(false);
            let mut deliver = |keys: Vec<KeyInfo>| {
                for k in keys {
                    if stopped.get() || f(k).is_break() {
                        stopped.set(true);
                    }
                }
            };
            let mut batch = Vec::with_capacity(BATCH);
            let mut sent = 0usize;
            let mut received = 0usize;
            let walked = self.conn.each_key_row(subtree.as_deref(), &mut |row| {
                let committed =
                    self.committed(Table::Keys, row.id, row.version, &row.sealed, row.malformed)?;
                batch.push((row, committed));
                if batch.len() < BATCH {
                    return Ok(());
                }
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                send(&rows_tx, full)?;
                sent += 1;
                received += drain(&keys_rx, &mut deliver, sent - received > IN_FLIGHT);
                if stopped.get() {
                    // Any error ends the walk; `stopped` tells it from a real one below.
                    return Err(Error::Invalid(String::new()));
                }
                Ok(())
            });
            if walked.is_ok() && !batch.is_empty() {
                send(&rows_tx, batch)?;
                sent += 1;
            }
            drop(rows_tx);
            while received < sent && !stopped.get() {
                match keys_rx.recv() {
                    Ok(keys) => {
                        received += 1;
                        deliver(keys);
                    }
                    Err(_) => return Err(Error::Corrupt("the decrypting thread stopped".into())),
                }
            }
            match walked {
                Err(_) if stopped.get() => Ok(()),
                other => other,
            }
        })
    }
}

fn send(
    tx: &std::sync::mpsc::SyncSender<Vec<(store::KeyRow, bool)>>,
    batch: Vec<(store::KeyRow, bool)>,
) -> Result<()> {
    tx.send(batch)
        .map_err(|_| Error::Corrupt("the decrypting thread stopped".into()))
}

/// Hands every decoded batch that is ready to `deliver`; waits for one first when `wait` (the
/// decrypting thread is too far behind). Returns how many batches it handed over.
fn drain(rx: &Receiver<Vec<KeyInfo>>, deliver: &mut impl FnMut(Vec<KeyInfo>), wait: bool) -> usize {
    let mut n = 0;
    if wait && let Ok(keys) = rx.recv() {
        deliver(keys);
        n += 1;
    }
    while let Ok(keys) = rx.try_recv() {
        deliver(keys);
        n += 1;
    }
    n
}
