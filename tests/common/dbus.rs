//! A private D-Bus session bus (`dbus-daemon`) for tests of what the window says to and hears
//! from the desktop. Without `dbus-daemon` such tests are SKIPPED loudly, unless
//! `KEYWARD_REQUIRE_DBUS=1`, where they fail.

use std::path::PathBuf;
use std::process::{Child, Command};

/// The bus; the daemon is stopped when it is dropped.
pub struct PrivateBus {
    daemon: Child,
    /// `unix:path=…`, for zbus's connection builder.
    pub address: String,
    _dir: tempfile::TempDir,
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A new bus, or `None` (after a SKIPPED line) where there is no `dbus-daemon`.
pub fn start() -> Option<PrivateBus> {
    let Some(dbus) = which("dbus-daemon") else {
        assert!(
            std::env::var_os("KEYWARD_REQUIRE_DBUS").is_none_or(|v| v != "1"),
            "dbus-daemon is missing"
        );
        eprintln!("SKIPPED: no dbus-daemon");
        return None;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let address = format!("unix:path={}", dir.path().join("bus").display());
    let daemon = Command::new(dbus)
        .args([
            "--session",
            "--nofork",
            "--nopidfile",
            "--address",
            &address,
        ])
        .spawn()
        .expect("dbus-daemon starts");
    Some(PrivateBus {
        daemon,
        address,
        _dir: dir,
    })
}
