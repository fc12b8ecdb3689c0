//! The window's X11 `WM_CLASS`: eframe hands winit the app id as the class and an empty
//! instance name, and offers no hook to change it. Window rules, docks and `xprop` users match
//! the instance (`keyward`), so it is set here, on the window eframe has created but not yet
//! shown (eframe maps it after the first frame; ICCCM wants `WM_CLASS` before mapping).

use raw_window_handle::{HasWindowHandle, RawWindowHandle};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, PropMode};
use x11rb::wrapper::ConnectionExt as _;

/// The `WM_CLASS` instance name: the binary's name, as X11 programs conventionally use.
pub const INSTANCE: &str = "keyward";

/// Sets `WM_CLASS` to (`keyward`, the app id) on an X11 window; nothing on Wayland, where the
/// app id is all there is. Failures are ignored: the window works, only matched less well.
pub fn name_the_instance(window: &impl HasWindowHandle) {
    let Ok(handle) = window.window_handle() else {
        return;
    };
    let id = match handle.as_raw() {
        RawWindowHandle::Xlib(h) => h.window as u32,
        RawWindowHandle::Xcb(h) => h.window.get(),
        _ => return,
    };
    let Ok((conn, _screen)) = x11rb::connect(None) else {
        return;
    };
    let value = format!("{INSTANCE}\0{}\0", crate::APP_ID);
    let sent = conn.change_property8(
        PropMode::REPLACE,
        id,
        AtomEnum::WM_CLASS,
        AtomEnum::STRING,
        value.as_bytes(),
    );
    // A round trip, so the server has applied it before winit's own connection maps the window.
    if sent.is_ok() && conn.flush().is_ok() {
        let _ = conn.get_input_focus().map(|cookie| cookie.reply());
    }
}
