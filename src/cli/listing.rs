//! `key list`, streamed: keys are written as they are decrypted, so memory does not grow with
//! their number. Decrypting (the vault) and formatting and writing (a second thread) overlap:
//! batches of keys go through a bounded channel, which holds at most a few thousand keys.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Instant;

use serde::ser::{SerializeSeq, Serializer};

use super::error::CliError;
use super::{output, render, table};
use crate::vault::{KeyFilter, KeyInfo, NodeId, Vault};

/// Keys per batch handed to the writer, and batches in flight.
const BATCH: usize = 512;
const IN_FLIGHT: usize = 4;

enum Message {
    Keys(Vec<KeyInfo>),
    /// Every key was sent: finish the table or close the array.
    End,
}

/// Writes the keys at `node` and below to stdout (a JSON array with `json`, else a table).
/// Returns the write error that stopped it, if any (a closed pipe ends the listing early).
pub fn list_keys(
    v: &Vault,
    node: Option<NodeId>,
    filter: &KeyFilter,
    json: bool,
) -> Result<Option<io::Error>, CliError> {
    let start = Instant::now();
    read_once(v);
    let fit = if json { None } else { output::terminal_width() };
    log::debug!("key list: terminal width {fit:?}");
    let (tx, rx) = sync_channel::<Message>(IN_FLIGHT);
    let (walked, written) = std::thread::scope(|scope| {
        let empty = if filter.is_empty() {
            "(no keys)"
        } else {
            "(no keys match)"
        };
        let writer = scope.spawn(move || write_keys(&rx, json, fit, empty));
        let mut batch = Vec::with_capacity(BATCH);
        let walked = v.each_key_while(node, |k| {
            if !filter.matches(&k) {
                return ControlFlow::Continue(());
            }
            batch.push(k);
            if batch.len() < BATCH {
                return ControlFlow::Continue(());
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            match tx.send(Message::Keys(full)) {
                Ok(()) => ControlFlow::Continue(()),
                // The writer stopped: the reader went away.
                Err(_) => ControlFlow::Break(()),
            }
        });
        if walked.is_ok() {
            let _ = tx.send(Message::Keys(batch));
            let _ = tx.send(Message::End);
        }
        drop(tx);
        let written = writer.join().unwrap_or_else(|_| {
            (
                0,
                Some(io::Error::other("the output thread stopped unexpectedly")),
            )
        });
        (walked, written)
    });
    let (rows, failed) = written;
    log::debug!(
        "key list: {rows} key(s) decrypted and written in {:.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    walked?;
    Ok(failed)
}

/// A walk over every key reads each page of the file once: SQLite's page cache (16 MiB, sized
/// for verification) would only add memory to fault in. A smaller one takes less time.
pub(super) fn read_once(v: &Vault) {
    if let Err(e) = v.set_page_cache_mib(WALK_CACHE_MIB) {
        log::debug!("page cache left as it was: {e}");
    }
}

const WALK_CACHE_MIB: u32 = 2;

/// The writer's side: formats and writes every key it receives; returns how many and the
/// first failed write.
fn write_keys(
    rx: &Receiver<Message>,
    json: bool,
    fit: Option<usize>,
    empty: &str,
) -> (usize, Option<io::Error>) {
    let mut out = output::stdout_stream();
    let mut rows = 0usize;
    let mut sink = Sink::default();
    if json {
        let mut ser = serde_json::Serializer::pretty(&mut out);
        match (&mut ser).serialize_seq(None) {
            Ok(mut seq) => {
                let ended = each(rx, |k| {
                    rows += 1;
                    sink.keep(seq.serialize_element(&k).map_err(io::Error::from))
                });
                if ended && sink.ok() {
                    sink.record(seq.end().map_err(io::Error::from));
                }
            }
            Err(e) => sink.record(Err(e.into())),
        }
        if sink.ok() {
            sink.record(out.write_all(b"\n"));
        }
    } else {
        let mut table = table::Table::new(&mut out, &render::KEY_COLUMNS, fit);
        let ended = each(rx, |k| {
            rows += 1;
            sink.keep(table.push(render::key_row(k)))
        });
        if ended && sink.ok() {
            sink.record(table.finish(empty).map(drop));
        }
    }
    if sink.ok() {
        sink.record(out.flush());
    }
    (rows, sink.failed)
}

/// Calls `f` on every key received until it breaks or the channel closes; true when the
/// sender said every key was sent.
fn each(rx: &Receiver<Message>, mut f: impl FnMut(KeyInfo) -> ControlFlow<()>) -> bool {
    for message in rx {
        match message {
            Message::Keys(keys) => {
                for k in keys {
                    if f(k).is_break() {
                        return false;
                    }
                }
            }
            Message::End => return true,
        }
    }
    false
}

/// The first failed write of a stream; the stream stops there.
#[derive(Default)]
struct Sink {
    failed: Option<io::Error>,
}

impl Sink {
    fn ok(&self) -> bool {
        self.failed.is_none()
    }

    fn record(&mut self, written: io::Result<()>) {
        let _ = self.keep(written);
    }

    fn keep(&mut self, written: io::Result<()>) -> ControlFlow<()> {
        match written {
            Ok(()) if self.ok() => ControlFlow::Continue(()),
            Ok(()) => ControlFlow::Break(()),
            Err(e) => {
                self.failed.get_or_insert(e);
                ControlFlow::Break(())
            }
        }
    }
}
