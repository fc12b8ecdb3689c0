//! Walking every key for a listing, on three threads: this one reads the rows and checks each
//! against the state commitment (both need the database connection), two others decrypt and
//! parse alternate batches of them. At 100,000 keys decryption and parsing are most of a
//! listing's work.
//!
//! Memory is freed by the thread that allocated it: the rows go back to this thread once
//! decoded, and a caller that keeps little of a key (the health report) decodes only that on
//! the second thread. At 100,000 keys glibc's allocator was a third of a walk's time when the
//! threads freed each other's allocations.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

use super::read::key_info_of;
use crate::vault::commitment::Table;
use crate::vault::crypto::Sealer;
use crate::vault::error::{Error, Result};
use crate::vault::model::{KeyInfo, NodeId, Timestamp};
use crate::vault::nodes::tree::Tree;
use crate::vault::publishing::usage::{self, KeyUsage};
use crate::vault::{Vault, store};

/// A batch of rows with whether each is the committed one.
type Rows = Vec<(store::KeyRow, bool)>;

/// What the decrypting thread turns rows into keys with.
pub(in crate::vault) struct RowDecoder<'a> {
    pub sealer: &'a Sealer,
    pub tree: &'a Tree,
    /// Usage through `keyward serve`, by key id.
    pub usage: &'a HashMap<String, KeyUsage>,
    pub now: Timestamp,
}

impl RowDecoder<'_> {
    /// The key as lists show it (`Tampered` when the row fails its checks).
    pub fn key_info(&self, row: &store::KeyRow, committed: bool) -> KeyInfo {
        let mut info = key_info_of(self.sealer, self.tree, row, committed, self.now);
        usage::apply(self.usage, &mut info, self.now);
        info
    }
}

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
        f: impl FnMut(KeyInfo) -> ControlFlow<()>,
    ) -> Result<()> {
        self.each_key_decoded(node, |d, row, committed| d.key_info(row, committed), f)
    }

    /// Like [`Vault::each_key_while`], with each row turned into a `T` by `decode` on the
    /// decrypting thread (a caller that needs a few fields of a key decodes only those).
    pub(in crate::vault) fn each_key_decoded<T: Send>(
        &self,
        node: Option<NodeId>,
        decode: impl Fn(&RowDecoder<'_>, &store::KeyRow, bool) -> T + Sync,
        mut f: impl FnMut(T) -> ControlFlow<()>,
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
        let decoder = RowDecoder {
            sealer: &self.sealer,
            tree: &tree,
            usage: &usage,
            now,
        };
        let (decoder, decode) = (&decoder, &decode);
        std::thread::scope(|scope| {
            // Batch `i` goes to decoder `i % n` and comes back from it, so keys stay in order.
            let decoders: Vec<Decoder<T>> = (0..decoder_threads())
                .map(|_| {
                    let (rows_tx, rows_rx) = sync_channel::<Rows>(IN_FLIGHT);
                    // Unbounded, yet never more than IN_FLIGHT batches ahead in all: rows are
                    // only sent as fast as this thread takes decoded keys back.
                    let (keys_tx, keys_rx) = channel::<(Rows, Vec<T>)>();
                    scope.spawn(move || {
                        for batch in rows_rx {
                            let keys = batch
                                .iter()
                                .map(|(row, committed)| decode(decoder, row, *committed))
                                .collect();
                            // The rows go back to be freed where they were read.
                            if keys_tx.send((batch, keys)).is_err() {
                                break;
                            }
                        }
                    });
                    Decoder { rows_tx, keys_rx }
                })
                .collect();
            let stopped = Cell::new(false);
            let mut deliver = |keys: Vec<T>| {
                for k in keys {
                    if stopped.get() || f(k).is_break() {
                        stopped.set(true);
                    }
                }
            };
            // Decoded batches come back emptied, for the next rows.
            let mut spare: Vec<Rows> = Vec::new();
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
                // Waits when this batch would put the decrypting threads too far behind.
                let wait = sent + 1 - received > IN_FLIGHT;
                received = drain(&decoders, received, sent, &mut deliver, &mut spare, wait);
                if stopped.get() {
                    // Any error ends the walk; `stopped` tells it from a real one below.
                    return Err(Error::not_allowed("the walk was stopped"));
                }
                let next = spare.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
                send(&decoders, sent, std::mem::replace(&mut batch, next))?;
                sent += 1;
                Ok(())
            });
            if walked.is_ok() && !batch.is_empty() {
                send(&decoders, sent, batch)?;
                sent += 1;
            }
            let receivers: Vec<_> = decoders.into_iter().map(|d| d.keys_rx).collect();
            while received < sent && !stopped.get() {
                match receivers[received % receivers.len()].recv() {
                    Ok((rows, keys)) => {
                        received += 1;
                        deliver(keys);
                        drop(rows);
                    }
                    Err(_) => return Err(decoder_stopped()),
                }
            }
            match walked {
                Err(_) if stopped.get() => Ok(()),
                other => other,
            }
        })
    }
}

/// A decrypting thread that hung up before the walk ended.
fn decoder_stopped() -> Error {
    Error::damaged("keys", "the decrypting thread stopped")
}

/// One decrypting thread's two ends.
struct Decoder<T> {
    rows_tx: SyncSender<Rows>,
    keys_rx: Receiver<(Rows, Vec<T>)>,
}

/// Decrypting threads: two where there are two cores or more (at 100,000 keys decoding is the
/// longest of a walk's parts, and this thread reads the rows meanwhile), else one.
fn decoder_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

/// Sends batch number `seq` to its decoder.
fn send<T>(decoders: &[Decoder<T>], seq: usize, batch: Rows) -> Result<()> {
    decoders[seq % decoders.len()]
        .rows_tx
        .send(batch)
        .map_err(|_| decoder_stopped())
}

/// Hands every decoded batch that is ready, in order, to `deliver` and keeps its emptied rows
/// in `spare`; waits for the next one first when `wait` (the decrypting threads are too far
/// behind). Returns how many batches were received in all.
fn drain<T>(
    decoders: &[Decoder<T>],
    mut received: usize,
    sent: usize,
    deliver: &mut impl FnMut(Vec<T>),
    spare: &mut Vec<Rows>,
    wait: bool,
) -> usize {
    let mut take = |(mut rows, keys): (Rows, Vec<T>)| {
        deliver(keys);
        rows.clear();
        spare.push(rows);
    };
    if wait
        && received < sent
        && let Ok(batch) = decoders[received % decoders.len()].keys_rx.recv()
    {
        take(batch);
        received += 1;
    }
    while received < sent
        && let Ok(batch) = decoders[received % decoders.len()].keys_rx.try_recv()
    {
        take(batch);
        received += 1;
    }
    received
}
