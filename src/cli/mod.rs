//! The command line over the vault API: human text by default, JSON with `--json`, exit status
//! as grep's (0 done/valid, 1 not valid or problems found, 2 error) and never a panic.
//!
//! This file parses and dispatches; no module here imports it. `context` (what a command runs
//! with) and `error` (`CliError`, the exit statuses) are what the command files share; one file
//! per command group (`keys`, `nodes`, `members`, `verifier`, `scan`, `hygiene`,
//! `activity_log`, ...), `finding` holds what `scan` reports, read by `render`, `sarif` and
//! `baseline`, and `stop` is what ends a command that runs until stopped (`log --follow`).

mod activity_log;
mod args;
mod baseline;
mod context;
mod docs;
mod error;
mod finding;
mod follow;
mod hygiene;
mod import;
mod keys;
mod limits;
mod listing;
mod logging;
mod members;
mod nodes;
mod output;
mod passphrase;
mod printable;
mod render;
mod sarif;
mod scan;
mod stop;
mod table;
mod usage;
mod verifier;

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches};
use serde_json::json;

use crate::vault::{self, DEFAULT_MEMBER, Error, KdfParams, Vault};
pub use args::{Cli, Command, Global};
use context::{Context, JSON_REQUESTED};
pub use docs::command_paths;
pub use error::CliError;
use error::{CliResult, EXIT_ERROR, EXIT_NOT_VALID, done};
use hygiene::health;
pub use logging::{LOG_ENV, init as init_logging};
use output::{report_error, report_warning};
use passphrase::{NEW_PASSPHRASE_ENV, PASSPHRASE_ENV};
use scan::scan;
use verifier::{export_verifier, publish, verifier_key, verify};

/// What `main` should do after parsing the arguments.
pub enum Launch {
    /// No subcommand: open the window on this vault.
    Window(PathBuf),
    /// A command ran (or failed); exit with this status.
    Exit(ExitCode),
}

/// Parses `args` and runs the command; returns [`Launch::Window`] when there is none.
pub fn launch(args: impl IntoIterator<Item = OsString>) -> Launch {
    let args: Vec<OsString> = args.into_iter().collect();
    let json = json_requested(&args);
    JSON_REQUESTED.store(json, Ordering::Relaxed);
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, command_name(&m))));
    let (cli, name) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return Launch::Exit(usage_error(&e, json)),
    };
    let needs_vault = !matches!(
        cli.command,
        Some(Command::Completions { .. } | Command::Man { .. })
    );
    let vault_path = match cli.global.vault.clone().or_else(Vault::default_path) {
        Some(p) => p,
        None if needs_vault => {
            report_error(
                json,
                &CliError::msg("no home directory to keep the vault in; pass --vault PATH"),
            );
            return Launch::Exit(ExitCode::from(EXIT_ERROR));
        }
        None => PathBuf::new(),
    };
    let Some(command) = cli.command else {
        log::info!(
            "opening the window on {}",
            vault::display_location(&vault_path)
        );
        return Launch::Window(vault_path);
    };
    warn_secret_in_argv(&command, json);
    let ctx = Context {
        vault_path,
        global: cli.global,
        output_failed: RefCell::new(None),
    };
    log::info!("command: {name}");
    let start = Instant::now();
    let result = run(&ctx, command);
    let failed = ctx.output_failed.borrow_mut().take();
    let (code, outcome) = match (result, failed) {
        // The reader closed the pipe (`| head -1`): it has what it wanted; end quietly.
        (_, Some(e)) if output::is_closed_pipe(&e) => {
            (ExitCode::SUCCESS, "stopped: the reader closed the pipe")
        }
        (_, Some(e)) => {
            report_error(
                json,
                &CliError::of_kind("io", format!("cannot write the output: {e}")),
            );
            (
                ExitCode::from(EXIT_ERROR),
                "failed: cannot write the output",
            )
        }
        (Ok(code), None) if code == ExitCode::SUCCESS => (code, "done"),
        (Ok(code), None) => (code, "done: not valid, or problems found (exit 1)"),
        (Err(e), None) => {
            report_error(json, &e);
            // Not the message: it can name a key or a node.
            (ExitCode::from(e.code), "failed (exit 2)")
        }
    };
    log::info!(
        "{name}: {outcome} in {:.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    Launch::Exit(code)
}

/// `--json` among the arguments (before a `--`), for errors found before they are parsed.
fn json_requested(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// `key list` for the command `keyward key list`: names only, never an argument.
fn command_name(matches: &clap::ArgMatches) -> String {
    let mut names = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        names.push(name);
        m = sub;
    }
    if names.is_empty() {
        "(window)".into()
    } else {
        names.join(" ")
    }
}

/// A usage error from clap (exit 2), or --help and --version (exit 0, on stdout).
fn usage_error(e: &clap::Error, json: bool) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if json {
        // One line: the error, clap's tip if any, and the usage.
        let text = e.render().to_string();
        let message: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
            .map(|l| {
                let l = l.strip_prefix("error: ").unwrap_or(l);
                match l.strip_prefix("Usage: ") {
                    Some(usage) => format!("usage: {usage}"),
                    None => l.to_owned(),
                }
            })
            .collect();
        report_error(true, &CliError::of_kind("usage", message.join("; ")));
    } else {
        let _ = e.print();
    }
    ExitCode::from(EXIT_ERROR)
}

/// A key on the command line is in the process list and /proc for every user of the machine,
/// and in the shell's history: say so to the person at the terminal (not to scripts, whose
/// stderr is a pipe or a file).
fn warn_secret_in_argv(command: &Command, json: bool) {
    let flag = match command {
        Command::Verify { key: Some(_), .. } => "--key",
        Command::Verify {
            header: Some(_), ..
        } => "--header",
        _ => return,
    };
    if io::stderr().is_terminal() {
        report_warning(
            json,
            &format!(
                "a key given with {flag} is visible to other users of this machine (ps, /proc) \
                 and stays in your shell history; pass it on stdin instead: \
                 keyward verify < key.txt, or echo \"$KEY\" | keyward verify"
            ),
        );
    }
}

fn run(ctx: &Context, command: Command) -> CliResult {
    match command {
        Command::Init {
            kdf_memory_mib,
            kdf_passes,
        } => init(ctx, kdf_memory_mib, kdf_passes),
        Command::Workspace(cmd) => nodes::workspace(ctx, cmd),
        Command::Project(cmd) => nodes::project(ctx, cmd),
        Command::Env(cmd) => nodes::env(ctx, cmd),
        Command::Scope(cmd) => nodes::scope(ctx, cmd),
        Command::Publish(cmd) => publish(ctx, cmd),
        Command::Member(cmd) => members::member(ctx, cmd),
        Command::Health {
            node,
            ack,
            kind,
            until,
            reason,
        } => health(ctx, node.as_deref(), ack, kind, until, reason),
        Command::Scan(args) => scan(ctx, &args),
        Command::Key(cmd) => keys::key(ctx, cmd),
        Command::Verify {
            header,
            key,
            require_scope,
            from,
            cost,
            verifier,
            trust,
        } => {
            let verifier = verifier.map(|file| (file, trust));
            verify(ctx, header.or(key), &require_scope, from, cost, verifier)
        }
        Command::ExportVerifier {
            node,
            output,
            valid_for,
        } => export_verifier(ctx, node.as_deref(), &output, valid_for.as_deref()),
        Command::VerifierKey { all, action } => verifier_key(ctx, all, action),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve(args),
        Command::Log(args) => activity_log::log(ctx, args),
        Command::Passwd {
            new_passphrase_file,
            kdf_memory_mib,
            kdf_passes,
        } => passwd(
            ctx,
            new_passphrase_file.as_deref(),
            kdf_memory_mib,
            kdf_passes,
        ),
        Command::Backup { file } => {
            let mut v = ctx.open()?;
            v.backup(&file)?;
            ctx.print(json!({ "backup": file }), || {
                format!("Backup written to {}", file.display())
            });
            done()
        }
        Command::Migrate { dest } => {
            let pass = ctx.passphrase_for_existing()?;
            let v = ctx.open_with(&pass)?;
            let moved = v.migrate_to(&dest, &pass)?;
            ctx.print(json!(moved), || {
                format!(
                    "Copied {} keys, {} workspaces/projects/environments and {} log entries to {}; the copy checks out",
                    moved.keys, moved.nodes, moved.activity_entries, moved.destination
                )
            });
            done()
        }
        Command::Completions { shell } => {
            ctx.write_raw(&docs::completions(shell));
            done()
        }
        Command::Man { command, dir } => match dir {
            Some(dir) => {
                let written = docs::man_pages_into(&dir).map_err(CliError::msg)?;
                ctx.print(json!({ "dir": dir, "pages": written }), || {
                    format!("Wrote {written} manual pages to {}", dir.display())
                });
                done()
            }
            None => {
                ctx.write_raw(&docs::man_page(&command).map_err(CliError::msg)?);
                done()
            }
        },
        Command::Doctor => {
            // The vault refuses to open a file with planted schema objects; doctor names them.
            let report = match schema_problems(&ctx.vault_path) {
                Some(problems) => crate::vault::DoctorReport {
                    problems,
                    ..Default::default()
                },
                None => ctx.open()?.doctor()?,
            };
            ctx.print(json!(report), || render::doctor(&report));
            Ok(if report.is_healthy() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_NOT_VALID)
            })
        }
    }
}

fn init(ctx: &Context, memory_mib: u32, passes: u32) -> CliResult {
    let params = KdfParams::new(memory_mib, passes)?;
    if !Vault::is_server_location(&ctx.vault_path) && Vault::exists(&ctx.vault_path) {
        return Err(Error::VaultExists(ctx.vault_path.clone()).into());
    }
    let pass = passphrase::obtain(
        ctx.global.passphrase_file.as_deref(),
        PASSPHRASE_ENV,
        "New vault passphrase: ",
        true,
    )?;
    if let Some(warning) = passphrase::weakness(&pass) {
        ctx.warn(&warning);
    }
    let member = ctx.global.member.as_deref().unwrap_or(DEFAULT_MEMBER);
    Vault::create_as(&ctx.vault_path, member, &pass, params)?;
    let location = vault::display_location(&ctx.vault_path);
    ctx.print(json!({ "vault": location, "kdf": params }), || {
        format!(
            "Created vault {} (Argon2id {} MiB, {})",
            location,
            memory_mib,
            crate::numbers::count_of(
                usize::try_from(passes).unwrap_or(usize::MAX),
                "pass",
                "passes"
            )
        )
    });
    done()
}

/// `keyward serve`: prints `listening on http://ADDR` once bound, logs to stderr, and runs
/// until Ctrl-C or SIGTERM.
#[cfg(feature = "serve")]
fn serve(args: args::ServeArgs) -> CliResult {
    let mut config = crate::serve::Config::new(args.verifiers, args.trust.join(","));
    config.listen = args.listen;
    config.threads = args.threads;
    config.usage_every = std::time::Duration::from_secs(args.usage_every.max(1));
    config.state_dir = args.state_dir;
    config.accept_older_serial = args.accept_older_serial;
    config.metrics_listen = args.metrics_listen;
    config.trusted_proxies = args.trusted_proxies;
    config.fleet = args.limits;
    config.fleet_fail = args.limits_fail;
    config.access_log = args.access_log;
    let seconds = |n: u64| std::time::Duration::from_secs(n.clamp(1, 24 * 3600));
    config.limits = crate::serve::Limits {
        header_timeout: seconds(args.header_timeout),
        idle_timeout: seconds(args.idle_timeout),
        max_connections: args.max_connections.max(1),
    };
    let mut announced = Ok(());
    crate::serve::run(config, |addr| {
        announced = output::stdout_line(&format!("listening on http://{addr}"));
    })
    .map_err(|e| CliError::msg(e.to_string()))?;
    announced.map_err(|e| CliError::msg(format!("cannot write the output: {e}")))?;
    done()
}

/// The schema objects that make a vault refuse to open, if that is why it does.
fn schema_problems(path: &Path) -> Option<Vec<String>> {
    match Vault::kdf_params(path) {
        Err(Error::UnexpectedSchema(objects)) => Some(
            objects
                .into_iter()
                .map(|o| format!("schema: {o}"))
                .collect(),
        ),
        _ => None,
    }
}

fn passwd(
    ctx: &Context,
    new_file: Option<&Path>,
    memory_mib: Option<u32>,
    passes: Option<u32>,
) -> CliResult {
    let current = ctx.passphrase_for_existing()?;
    let mut v = ctx.open_with(&current)?;
    let params = match (memory_mib, passes) {
        (None, None) => None,
        (m, p) => {
            let stored = Vault::kdf_params_of(&ctx.vault_path, Some(v.member()))?;
            Some(KdfParams::new(
                m.unwrap_or(stored.memory_kib / 1024),
                p.unwrap_or(stored.passes),
            )?)
        }
    };
    let new = passphrase::obtain(new_file, NEW_PASSPHRASE_ENV, "New passphrase: ", true)?;
    if let Some(warning) = passphrase::weakness(&new) {
        ctx.warn(&warning);
    }
    v.change_passphrase(&current, &new, params)?;
    ctx.print(json!({ "changed": true, "rekeyed": true }), || {
        "Passphrase changed; the vault was re-keyed (new data key, every record re-sealed)"
            .to_owned()
    });
    done()
}
