//! The clipboard behind a small trait, so tests inject a fake and the window never panics
//! where no clipboard exists (no display, no X server).

use std::sync::{Arc, Mutex};

/// What the window needs from a clipboard.
pub trait Clipboard {
    fn set_text(&mut self, text: &str) -> Result<(), String>;
    /// The current text, if any can be read.
    fn get_text(&mut self) -> Option<String>;
    fn clear(&mut self);
}

/// The system clipboard through arboard, opened on first use (it fails at once with no display).
#[derive(Default)]
pub struct SystemClipboard {
    // Kept open: on X11 the process that set the text serves it.
    inner: Option<arboard::Clipboard>,
}

impl SystemClipboard {
    fn open(&mut self) -> Result<&mut arboard::Clipboard, String> {
        if self.inner.is_none() {
            self.inner = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        self.inner.as_mut().ok_or_else(|| "no clipboard".to_owned())
    }
}

impl Clipboard for SystemClipboard {
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        excluded(self.open()?.set())
            .text(text.to_owned())
            .map_err(|e| e.to_string())
    }

    fn get_text(&mut self) -> Option<String> {
        self.open().ok()?.get_text().ok()
    }

    fn clear(&mut self) {
        if let Ok(c) = self.open() {
            let _ = c.clear();
        }
    }
}

/// Asks the OS to keep a secret out of clipboard history, cloud sync and clipboard monitors,
/// with every hint arboard has on this platform (as KeePassXC does):
/// - Linux/BSD (X11): the `x-kde-passwordManagerHint` target, honoured by Klipper and most
///   clipboard managers;
/// - Windows: `ExcludeClipboardContentFromMonitorProcessing`, `CanIncludeInClipboardHistory`
///   and `CanUploadToCloudClipboard` (0);
/// - macOS: `org.nspasteboard.ConcealedType`.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
))]
fn excluded(set: arboard::Set<'_>) -> arboard::Set<'_> {
    use arboard::SetExtLinux as _;
    set.exclude_from_history()
}

#[cfg(windows)]
fn excluded(set: arboard::Set<'_>) -> arboard::Set<'_> {
    use arboard::SetExtWindows as _;
    set.exclude_from_monitoring()
        .exclude_from_history()
        .exclude_from_cloud()
}

#[cfg(target_os = "macos")]
fn excluded(set: arboard::Set<'_>) -> arboard::Set<'_> {
    use arboard::SetExtApple as _;
    set.exclude_from_history()
}

#[cfg(not(any(
    windows,
    target_os = "macos",
    all(unix, not(any(target_os = "android", target_os = "emscripten")))
)))]
fn excluded(set: arboard::Set<'_>) -> arboard::Set<'_> {
    set
}

/// An in-memory clipboard whose contents the test can read through a shared handle.
#[derive(Clone, Default)]
pub struct MemoryClipboard {
    pub contents: Arc<Mutex<Option<String>>>,
}

impl MemoryClipboard {
    pub fn text(&self) -> Option<String> {
        self.contents.lock().ok().and_then(|c| c.clone())
    }
}

impl Clipboard for MemoryClipboard {
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        if let Ok(mut c) = self.contents.lock() {
            *c = Some(text.to_owned());
        }
        Ok(())
    }

    fn get_text(&mut self) -> Option<String> {
        self.text()
    }

    fn clear(&mut self) {
        if let Ok(mut c) = self.contents.lock() {
            *c = None;
        }
    }
}

/// A clipboard that is never available, as on a machine with no display.
pub struct NoClipboard;

impl Clipboard for NoClipboard {
    fn set_text(&mut self, _text: &str) -> Result<(), String> {
        Err("no clipboard is available on this display".into())
    }
    fn get_text(&mut self) -> Option<String> {
        None
    }
    fn clear(&mut self) {}
}

/// A secret placed on the clipboard: only its hash is kept, to tell whether it is still there.
pub struct ClipboardSecret {
    digest: [u8; 32],
    /// `egui` time (seconds) at which it is cleared.
    pub clear_at: f64,
}

impl ClipboardSecret {
    pub fn new(text: &str, clear_at: f64) -> ClipboardSecret {
        ClipboardSecret {
            digest: digest(text),
            clear_at,
        }
    }

    /// Clears the clipboard if it still holds this secret (the user may have copied something else).
    pub fn clear_from(&self, clipboard: &mut dyn Clipboard) {
        if clipboard
            .get_text()
            .is_some_and(|t| digest(&t) == self.digest)
        {
            clipboard.clear();
        }
    }
}

fn digest(text: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}
