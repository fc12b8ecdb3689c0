//! `KEYWARD_LOG=debug`: what Keyward does and how long it takes, on stderr.
//!
//! A bare level (`error`, `warn`, `info`, `debug`, `trace`) applies to Keyward, with other
//! crates at `warn`; anything else is an env_logger filter (`keyward=trace,eframe=info`).
//! Unset, nothing is logged and nothing is set up.
//!
//! What is logged: commands (their names, never their arguments), file paths, counts,
//! timings, outcomes. Never a secret, a passphrase, or the name of a key or node, at any
//! level (`tests/cli_logging.rs` runs every kind of command at `trace` and looks).

use std::io::Write;
use std::time::Instant;

pub const LOG_ENV: &str = "KEYWARD_LOG";

/// Sets up logging from `KEYWARD_LOG`, if set. Call once, first thing in `main`.
pub fn init() {
    let Some(spec) = std::env::var_os(LOG_ENV) else {
        return;
    };
    let spec = spec.to_string_lossy();
    let spec = spec.trim();
    let filters = if ["off", "error", "warn", "info", "debug", "trace"]
        .contains(&spec.to_ascii_lowercase().as_str())
    {
        format!("warn,keyward={spec}")
    } else {
        spec.to_owned()
    };
    let start = Instant::now();
    // env_logger ignores failed writes to stderr: a closed stderr never panics here.
    let _ = env_logger::Builder::new()
        .parse_filters(&filters)
        .target(env_logger::Target::Stderr)
        .format(move |buf, record| {
            writeln!(
                buf,
                "[{:>8.3}s {:<5} {}] {}",
                start.elapsed().as_secs_f64(),
                record.level(),
                record.target(),
                record.args()
            )
        })
        .try_init();
}
