//! The real window on a real X server: its `WM_CLASS` is (`keyward`, the app id), so window rules
//! and docks match it, and it carries its icon. The packaging check (`packaging/linux/check-deb`)
//! runs the same binary as installed from the .deb.
//!
//! Needs `Xvfb` and Mesa's GL libraries (Debian: `xvfb libegl1 libegl-mesa0 libgl1-mesa-dri`).
//! Without Xvfb the test says SKIPPED loudly and passes, unless `KEYWARD_REQUIRE_XVFB=1`.

#![cfg(target_os = "linux")]

mod common;

use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::xvfb::Xvfb;
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{Atom, AtomEnum, ConnectionExt as _, MapState, Window};
use x11rb::rust_connection::RustConnection;

fn xvfb_installed() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v Xvfb"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let required = std::env::var("KEYWARD_REQUIRE_XVFB").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "KEYWARD_REQUIRE_XVFB=1 but Xvfb is not installed"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: the real-window test needs Xvfb (apt-get install xvfb); \
             set KEYWARD_REQUIRE_XVFB=1 to make this a failure ***\n"
        );
    }
    found
}

/// A process killed (and reaped) on drop.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn atom(conn: &RustConnection, name: &str) -> Atom {
    conn.intern_atom(false, name.as_bytes())
        .expect("intern")
        .reply()
        .expect("atom")
        .atom
}

fn property(conn: &RustConnection, window: Window, name: Atom) -> Vec<u8> {
    conn.get_property(false, window, name, AtomEnum::ANY, 0, 1 << 20)
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| r.value)
        .unwrap_or_default()
}

/// The top-level windows whose name holds "Keyward" (the window is titled
/// "<vault> (Locked) - Keyward").
fn keyward_windows(conn: &RustConnection, root: Window) -> Vec<Window> {
    let Ok(tree) = conn.query_tree(root).map(|c| c.reply()) else {
        return Vec::new();
    };
    let utf8_name = atom(conn, "_NET_WM_NAME");
    tree.map(|t| t.children)
        .unwrap_or_default()
        .into_iter()
        .filter(|&w| {
            let name = property(conn, w, utf8_name);
            let name = if name.is_empty() {
                property(conn, w, AtomEnum::WM_NAME.into())
            } else {
                name
            };
            name.windows(7).any(|w| w == b"Keyward")
        })
        .collect()
}

#[test]
fn the_window_is_classed_keyward_and_carries_its_icon() {
    if !xvfb_installed() {
        return;
    }
    let x = Xvfb::start("1280x800x24");
    let display = x.display.clone();
    let home = tempfile::tempdir().expect("home");
    let app = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DISPLAY", &display)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("KEYWARD_VAULT", home.path().join("vault.keyward"))
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keyward");
    let mut app = Reaped(app);

    let deadline = Instant::now() + Duration::from_secs(30);
    let (conn, screen) = loop {
        match x11rb::connect(Some(&display)) {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("X not ready yet: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("cannot reach {display}: {e}"),
        }
    };
    let root = conn.setup().roots[screen].root;
    let window = loop {
        if let Some(w) = keyward_windows(&conn, root).first() {
            break *w;
        }
        if let Ok(Some(status)) = app.0.try_wait() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut app.0.stderr.take().unwrap(), &mut err);
            panic!("keyward exited ({status}) before its window showed: {err}");
        }
        assert!(Instant::now() < deadline, "no Keyward window within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    };

    // The window exists, hidden, before the app sets its class: read it once the window is
    // mapped, as a window manager does.
    loop {
        let mapped = conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        if mapped {
            break;
        }
        assert!(Instant::now() < deadline, "the Keyward window never showed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let class = property(&conn, window, AtomEnum::WM_CLASS.into());
    let parts: Vec<&[u8]> = class.split(|&b| b == 0).filter(|p| !p.is_empty()).collect();
    assert_eq!(
        parts,
        vec![b"keyward".as_slice(), keyward::APP_ID.as_bytes()],
        "WM_CLASS is {:?}",
        String::from_utf8_lossy(&class)
    );
    let icon = property(&conn, window, atom(&conn, "_NET_WM_ICON"));
    // width, height, then width × height ARGB pixels, 4 bytes each.
    assert!(icon.len() > 8, "the window carries no _NET_WM_ICON");
    let width = u32::from_ne_bytes(icon[0..4].try_into().unwrap());
    let height = u32::from_ne_bytes(icon[4..8].try_into().unwrap());
    assert!(width >= 32 && height >= 32, "icon {width}x{height}");
}
