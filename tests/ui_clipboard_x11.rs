//! The real clipboard on a real X server: a copied secret carries the password-manager hint
//! (`x-kde-passwordManagerHint`) that keeps it out of clipboard managers' histories.
//!
//! Needs `Xvfb` and `xclip` (Debian: `apt-get install xvfb xclip`). Without them the test says
//! SKIPPED loudly and passes, unless `KEYWARD_REQUIRE_XVFB=1`, where it fails.

#![cfg(all(unix, not(target_os = "macos")))]

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::xvfb::Xvfb;
use keyward::ui::clipboard::{Clipboard as _, SystemClipboard};

/// The MIME target arboard adds with `SetExtLinux::exclude_from_history`.
const HINT: &str = "x-kde-passwordManagerHint";

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Skips (loudly) when a tool is missing, or fails when the environment requires it.
fn require(programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("KEYWARD_REQUIRE_XVFB").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "KEYWARD_REQUIRE_XVFB=1 but {missing:?} not installed (apt-get install xvfb xclip)"
    );
    // Straight to the stderr descriptor: the test harness captures eprintln! of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: the clipboard exclusion test needs {missing:?} \
         (apt-get install xvfb xclip); set KEYWARD_REQUIRE_XVFB=1 to make this a failure ***\n"
    );
    false
}

/// `xclip -o` on the clipboard selection, for `target`.
fn xclip_out(display: &str, target: &str) -> String {
    let out = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", target, "-o"])
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .expect("run xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_copied_secret_offers_the_password_manager_hint() {
    if !require(&["Xvfb", "xclip"]) {
        return;
    }
    let x = Xvfb::start("640x480x24");
    // SAFETY: this test binary has this one test; nothing else reads the environment while
    // it is set (arboard reads DISPLAY when the clipboard opens, just below).
    unsafe { std::env::set_var("DISPLAY", &x.display) };

    let mut clipboard = SystemClipboard::default();
    let secret = "kw_ClipboardHintTest0123456789abcdefXYZ";
    // The server may need a moment before it accepts connections.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match clipboard.set_text(secret) {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                eprintln!("clipboard not ready yet: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("cannot set the clipboard on {}: {e}", x.display),
        }
    }

    let targets = xclip_out(&x.display, "TARGETS");
    assert!(
        targets.lines().any(|t| t.trim() == HINT),
        "the offered targets lack {HINT}: {targets:?}"
    );
    assert_eq!(xclip_out(&x.display, "UTF8_STRING"), secret);

    // Clearing (lock, timeout) takes the secret off the server.
    clipboard.clear();
    std::thread::sleep(Duration::from_millis(100));
    assert_ne!(xclip_out(&x.display, "UTF8_STRING"), secret);
}
