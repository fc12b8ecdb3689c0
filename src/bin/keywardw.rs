//! `keywardw.exe`: the window without a console, for the Start menu (as `pythonw.exe` is to
//! `python.exe`). Windows gives a console program a console window of its own when it is not
//! started from a terminal, and `keyward.exe` must stay a console program so that commands
//! print, prompt and pipe. This small launcher (no copy of Keyward inside it) starts the
//! `keyward.exe` beside it with no console window, passing its arguments on. Elsewhere there
//! is no such split and it only points at `keyward`.

#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

#[cfg(windows)]
fn main() -> ExitCode {
    use std::os::windows::process::CommandExt as _;
    /// CREATE_NO_WINDOW: a console program run with no console window.
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    let Some(keyward) = std::env::current_exe()
        .ok()
        .and_then(|me| me.parent().map(|dir| dir.join("keyward.exe")))
    else {
        return ExitCode::from(2);
    };
    match std::process::Command::new(keyward)
        .args(std::env::args_os().skip(1))
        .creation_flags(CREATE_NO_WINDOW)
        .status()
    {
        Ok(status) => ExitCode::from(status.code().map_or(2, |c| c.clamp(0, 255) as u8)),
        Err(_) => ExitCode::from(2),
    }
}

#[cfg(not(windows))]
fn main() -> ExitCode {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "keywardw is the Windows launcher of the window; run `keyward` instead"
    );
    ExitCode::from(2)
}
