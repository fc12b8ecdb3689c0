//! The one sanitiser for text people read: a file name, key or node name, description, tag
//! or member name may hold control characters that would move the cursor, retitle or clear
//! the terminal (`ESC]0;…BEL`, `ESC[2J`) or forge a line. They are shown escaped (`\x1b`,
//! `\n`; `\u202e` beyond C0, as JSON writes it), never written raw. Tables, every line `output` writes and the scan's
//! places go through here.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` on one line: every control character escaped, the newline too.
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped(text, |_| false)
}

/// A whole block of output: its newlines and tabs are kept, every other control character
/// escaped.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escaped(text, |c| c == '\n' || c == '\t')
}

/// Characters a terminal acts on instead of showing: C0, DEL, C1, and the bidirectional
/// overrides and isolates that reorder what is shown ("Trojan Source").
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escaped(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    // Most text is plain: no copy.
    if !text.chars().any(|c| unsafe_char(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !unsafe_char(c) || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Only C0 here: JSON escapes those itself, so this is only ever human text.
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            // As JSON writes it, so a JSON document stays valid and means the same.
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        let title = "a\u{1b}]0;owned\u{7}b\u{1b}[2J.env";
        assert_eq!(printable(title), "a\\x1b]0;owned\\x07b\\x1b[2J.env");
        assert_eq!(printable("x\ny\r\tz\u{7f}"), "x\\ny\\r\\tz\\u007f");
        assert_eq!(printable("\u{9b}31m"), "\\u009b31m");
        assert_eq!(printable("evil\u{202e}txt.exe"), "evil\\u202etxt.exe");
        assert!(matches!(printable("plain ünïcode 名前"), Cow::Borrowed(_)));
        assert_eq!(
            printable_lines("one\n\ttwo\u{1b}[2J\n"),
            "one\n\ttwo\\x1b[2J\n"
        );
    }
}
