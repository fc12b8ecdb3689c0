//! What every dialog is to the shell: something that draws itself for a frame.

use super::{Command, Session};

/// A dialog of the window (one struct per dialog under `ui/dialogs/`). The session holds the
/// open one; the shell draws it after the screens and runs the commands it pushed.
pub trait Dialog {
    /// Draws the dialog for one frame and pushes what the user asked for. Returns whether the
    /// user dismissed it (Esc or a click outside, for dialogs that allow that).
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool;
}
