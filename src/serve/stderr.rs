//! `serve`'s log: one timestamped line on stderr per event (start, reload, refusal, stop).

use std::io::Write as _;

use crate::vault::{self, now};

/// One line on stderr, with the time.
pub(crate) fn log(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} keyward serve: {text}", vault::format_time(now()));
}
