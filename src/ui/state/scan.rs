//! "Scan a folder…" from the Health view: the walk runs on a worker thread with a progress bar
//! and a cancel button; the hits are looked up in the vault on the UI thread (a few lookups by
//! hash) and their keys marked exposed.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::scan::{Matcher, Progress, Scanned, WalkOptions};

/// The Health view's scanner: the folder typed or picked, the running walk, the last result.
#[derive(Default)]
pub struct ScanState {
    pub folder: String,
    /// Hidden files and folders too (`.env` files are hidden).
    pub hidden: bool,
    pub job: Option<ScanJob>,
    /// The native folder picker, open on its own thread.
    pub picking: Option<Receiver<Option<PathBuf>>>,
    /// What the last scan found, in words.
    pub result: Option<String>,
    /// Tests hold the worker here, after counting and before reading, to cancel it at a known
    /// point: it waits until a value arrives or the sender is dropped.
    pub gate: Option<Receiver<()>>,
}

/// A walk on a worker thread.
pub struct ScanJob {
    pub root: PathBuf,
    progress: Arc<Progress>,
    total: Arc<AtomicU64>,
    rx: Receiver<Scanned>,
}

impl ScanJob {
    pub fn start(
        ctx: &egui::Context,
        root: PathBuf,
        prefixes: &[String],
        options: WalkOptions,
        gate: Option<Receiver<()>>,
    ) -> ScanJob {
        let matcher = Matcher::new(prefixes);
        let progress = Arc::new(Progress::default());
        let total = Arc::new(AtomicU64::new(u64::MAX));
        let (tx, rx) = std::sync::mpsc::channel();
        let (p, t, walk_root, ctx) = (progress.clone(), total.clone(), root.clone(), ctx.clone());
        std::thread::spawn(move || {
            t.store(
                crate::scan::count_files(&walk_root, options, &p),
                Ordering::Relaxed,
            );
            ctx.request_repaint();
            if let Some(gate) = gate {
                let _ = gate.recv();
            }
            let scanned = matcher.scan_path_with(&walk_root, options, &p);
            let _ = tx.send(scanned);
            ctx.request_repaint();
        });
        ScanJob {
            root,
            progress,
            total,
            rx,
        }
    }

    /// Files read so far and the total (`None` while still counting).
    pub fn progress(&self) -> (u64, Option<u64>) {
        let total = self.total.load(Ordering::Relaxed);
        (
            self.progress.files.load(Ordering::Relaxed),
            (total != u64::MAX).then_some(total),
        )
    }

    pub fn cancel(&self) {
        self.progress.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.progress.is_cancelled()
    }

    /// The walk's result once it is done.
    pub fn poll(&mut self) -> Option<Scanned> {
        match self.rx.try_recv() {
            Ok(scanned) => Some(scanned),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Scanned {
                cancelled: true,
                ..Scanned::default()
            }),
        }
    }
}
