//! The native save dialog for Download .json and Export CSV…, asked on a worker thread so the window keeps
//! drawing (and the clipboard timer keeps running) while it is open; the window is its parent.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// What the dialog is asked: where to start, which name to offer; `dialog` is the native
/// dialog already set up with the window as parent (fakes ignore it).
pub struct SaveRequest {
    pub dir: PathBuf,
    pub file_name: String,
    pub dialog: rfd::FileDialog,
}

/// The user's answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    File(PathBuf),
    Cancelled,
    /// No dialog could open (no desktop portal, no zenity): save to Downloads instead.
    Unavailable,
}

/// A save dialog; called on a worker thread, it may block as long as the user takes.
pub trait SaveDialog: Send + Sync {
    fn ask(&self, request: SaveRequest) -> Answer;
}

/// rfd's dialog (desktop portal or zenity on Linux).
pub struct NativeSaveDialog;

impl SaveDialog for NativeSaveDialog {
    fn ask(&self, request: SaveRequest) -> Answer {
        let started = Instant::now();
        match request.dialog.save_file() {
            Some(path) => Answer::File(path),
            // With no portal rfd answers `None` at once, which looks like Cancel: a dialog that
            // returns before anyone could click counts as "no dialog".
            None if started.elapsed() < Duration::from_millis(300) => Answer::Unavailable,
            None => Answer::Cancelled,
        }
    }
}

/// What a save dialog is open for: what is written where the user says.
pub enum Saving {
    /// The key file of the secret shown, of this key.
    KeyFile { key_id: String },
    /// The Activity view's entries, as this CSV text.
    ActivityCsv { csv: String, entries: usize },
}

/// A dialog open on a worker thread, for `what`.
pub struct SaveJob {
    pub what: Saving,
    rx: Receiver<Answer>,
}

impl SaveJob {
    pub fn start(
        dialog: Arc<dyn SaveDialog>,
        request: SaveRequest,
        what: Saving,
        ctx: &egui::Context,
    ) -> SaveJob {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let answer = dialog.ask(request);
            let _ = tx.send(answer);
            ctx.request_repaint();
        });
        SaveJob { what, rx }
    }

    /// The answer once the user gave one.
    pub fn poll(&self) -> Option<Answer> {
        match self.rx.try_recv() {
            Ok(answer) => Some(answer),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Answer::Unavailable),
        }
    }
}

/// An Open dialog for a vault file; called on a worker thread.
pub trait OpenDialog: Send + Sync {
    fn ask(&self, dialog: rfd::FileDialog) -> Answer;
}

/// rfd's Open dialog.
pub struct NativeOpenDialog;

impl OpenDialog for NativeOpenDialog {
    fn ask(&self, dialog: rfd::FileDialog) -> Answer {
        let started = Instant::now();
        match dialog.pick_file() {
            Some(path) => Answer::File(path),
            // As for saving: an answer before anyone could click means no dialog opened.
            None if started.elapsed() < Duration::from_millis(300) => Answer::Unavailable,
            None => Answer::Cancelled,
        }
    }
}

/// An Open dialog on a worker thread.
pub struct OpenJob {
    rx: Receiver<Answer>,
}

impl OpenJob {
    pub fn start(
        dialog: Arc<dyn OpenDialog>,
        native: rfd::FileDialog,
        ctx: &egui::Context,
    ) -> OpenJob {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(dialog.ask(native));
            ctx.request_repaint();
        });
        OpenJob { rx }
    }

    /// The answer once the dialog closed.
    pub fn poll(&self) -> Option<Answer> {
        match self.rx.try_recv() {
            Ok(answer) => Some(answer),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Answer::Unavailable),
        }
    }
}
