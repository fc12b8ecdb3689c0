//! `keywardw.exe`: the window without a console, for the Start menu (as `pythonw.exe` is to
//! `python.exe`). Windows gives a console-subsystem program a console window of its own when it
//! is not started from one, so the Start-menu shortcut points here; `keyward.exe` stays a
//! console program, so that commands print, prompt and pipe in a terminal. Elsewhere there is
//! no such split and this binary only points at `keyward`.

#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

#[cfg(windows)]
fn main() -> ExitCode {
    keyward::cli::init_logging();
    // Arguments work as for `keyward` (`--vault FILE` opens that vault), but a command's output
    // has nowhere to go: commands are for `keyward.exe`.
    match keyward::cli::launch(std::env::args_os()) {
        keyward::cli::Launch::Exit(code) => code,
        keyward::cli::Launch::Window(vault) => keyward::ui::run(vault),
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
