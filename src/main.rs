//! `keyward`: the command line when given a command, the window otherwise.

use std::process::ExitCode;

fn main() -> ExitCode {
    no_core_dumps();
    keyward::cli::init_logging();
    match keyward::cli::launch(std::env::args_os()) {
        keyward::cli::Launch::Exit(code) => code,
        keyward::cli::Launch::Window(vault) => {
            release_own_console();
            keyward::ui::run(vault)
        }
    }
}

/// Started from Explorer rather than a terminal, `keyward.exe` (a console program, so that
/// commands print and prompt) was given a console window of its own: the window lets it go.
/// Started from a terminal it shares that console with the shell and keeps it.
#[cfg(windows)]
fn release_own_console() {
    use windows_sys::Win32::System::Console::{FreeConsole, GetConsoleProcessList};
    let mut processes = [0u32; 2];
    // SAFETY: the buffer holds the two entries we say it holds.
    unsafe {
        if GetConsoleProcessList(processes.as_mut_ptr(), 2) == 1 {
            FreeConsole();
        }
    }
}

#[cfg(not(windows))]
fn release_own_console() {}

/// A core dump would put the data key and any secret on screen into a file: none are written
/// (core size limit 0, and on Linux not dumpable, which also keeps same-user debuggers out),
/// as KeePassXC does. Failures are ignored: the process still works, only less hardened.
fn no_core_dumps() {
    #[cfg(unix)]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass and touches no memory of ours.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &none);
        }
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes plain integers.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}
