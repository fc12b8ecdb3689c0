//! Command output that never panics: `println!` panics when stdout is a closed pipe
//! (`keyward key list | head -1`) or a full disk, so every line goes through here instead.

use std::io::{self, Write};

use serde_json::json;

use super::error::CliError;

/// Writes `text` and a newline to stdout, then flushes, so a failure shows up here and not
/// later (a minted secret is written inside its transaction: see `cli::key`).
/// Control characters in it are shown escaped (`printable`), whatever command wrote it.
pub fn stdout_line(text: &str) -> io::Result<()> {
    let text = super::printable::printable_lines(text);
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// One line on stderr; a closed stderr is ignored (there is nobody left to tell).
pub fn stderr_line(text: &str) {
    let text = super::printable::printable_lines(text);
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{text}").and_then(|()| err.flush());
}

/// A closed pipe: the reader has all it wanted (`head -1`), which is no error.
pub fn is_closed_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// What the path of an [`crate::vault::Error::Io`] says when standard output failed.
pub const STDOUT_NAME: &str = "standard output";

/// Stdout for a long listing: locked once and written in 64 KiB blocks rather than a system
/// call per line. Flush it at the end; a failed write shows up in the `Result`s.
pub fn stdout_stream() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// The terminal's width when stdout is a terminal (else `None`: nothing is cut for pipes and
/// files). `COLUMNS` is used when the terminal does not say.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() {
        return None;
    }
    let from_tty = terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .filter(|&w| w > 0);
    let from_env = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
    };
    Some(from_tty.or_else(from_env).unwrap_or(80))
}

/// An error on stderr: `keyward: error: …`, or with `--json` one JSON object
/// `{"error": "…", "code": 2}` on one line.
pub(super) fn report_error(json: bool, e: &CliError) {
    if json {
        stderr_line(&json!({ "error": e.message, "code": e.code, "kind": e.kind }).to_string());
    } else {
        stderr_line(&format!("keyward: error: {}", e.message));
    }
}

/// A warning on stderr: `keyward: warning: …`, or with `--json` `{"warning": "…"}`.
pub(super) fn report_warning(json: bool, message: &str) {
    if json {
        stderr_line(&json!({ "warning": message }).to_string());
    } else {
        stderr_line(&format!("keyward: warning: {message}"));
    }
}
