//! `keyward`: the command line when given a command, the window otherwise.

use std::process::ExitCode;

fn main() -> ExitCode {
    match keyward::cli::launch(std::env::args_os()) {
        keyward::cli::Launch::Exit(code) => code,
        keyward::cli::Launch::Window(vault) => keyward::ui::run(vault),
    }
}
