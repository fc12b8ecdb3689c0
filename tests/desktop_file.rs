//! The desktop entry: named after the app id, pointing at the binary and the icon by that id,
//! and valid under `desktop-file-validate` (desktop-file-utils). Without that program the test
//! is SKIPPED loudly and passes, unless `KEYWARD_REQUIRE_XVFB=1` (CI), where it fails.

use std::path::PathBuf;
use std::process::Command;

fn desktop_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(format!("{}.desktop", keyward::APP_ID))
}

#[test]
fn the_app_id_is_reverse_dns() {
    let parts: Vec<&str> = keyward::APP_ID.split('.').collect();
    assert!(parts.len() >= 3, "{}", keyward::APP_ID);
    for p in parts {
        assert!(
            p.starts_with(|c: char| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "a D-Bus name element: {p}"
        );
    }
}

#[test]
fn the_desktop_entry_names_the_binary_the_icon_and_the_window_class() {
    let text = std::fs::read_to_string(desktop_file()).expect("assets/<app id>.desktop");
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}= in the desktop file"))
    };
    assert_eq!(value("Type"), "Application");
    assert_eq!(
        value("Exec").split_whitespace().next(),
        Some(env!("CARGO_PKG_NAME"))
    );
    assert_eq!(value("Icon"), keyward::APP_ID);
    assert_eq!(value("StartupWMClass"), keyward::APP_ID);
    assert_eq!(value("Terminal"), "false");
}

#[test]
fn desktop_file_validate_accepts_it() {
    let path = desktop_file();
    let out = match Command::new("desktop-file-validate").arg(&path).output() {
        Ok(out) => out,
        Err(e) => {
            let required = std::env::var("KEYWARD_REQUIRE_XVFB").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "KEYWARD_REQUIRE_XVFB=1 but desktop-file-validate cannot run ({e}); \
                 apt-get install desktop-file-utils"
            );
            eprintln!(
                "*** SKIPPED: desktop-file-validate not installed (apt-get install \
                 desktop-file-utils) ***"
            );
            return;
        }
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    // Hints too: a second main category, a category that needs another, a deprecated key.
    assert_eq!(said.trim(), "", "desktop-file-validate says: {said}");
}
