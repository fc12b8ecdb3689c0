//! `publish follow`: keeps this machine's publish targets current while it runs, rewriting them
//! after every change any member makes. On a team vault the machine a verifier file is for is
//! not the one its changes come from; this is what runs there (a service manager keeps it up).
//!
//! It looks at the activity log's newest entry once per interval: every change to keys is
//! logged, the status a publish records is not, so two machines following one vault never wake
//! each other. It also copies the last uses that `keyward serve` writes beside the files
//! (`FILE.usage.json`, only on this machine) into the vault, where every member sees them.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::context::Context;
use super::error::{CliError, CliResult};
use super::output;
use crate::numbers::count_of;
use crate::vault::{self, Vault, this_host};

/// Seconds between looks, at most.
const MAX_EVERY: u64 = 3600;

pub(super) fn follow(ctx: &Context, v: &mut Vault, every: u64) -> CliResult {
    if !(1..=MAX_EVERY).contains(&every) {
        return Err(CliError::msg(format!(
            "--every takes 1 to {MAX_EVERY} seconds"
        )));
    }
    if v.publish_files_here()?.is_empty() {
        return Err(CliError::msg(format!(
            "no publish target is written on this machine ({}): add one with `keyward publish \
             add NODE FILE`",
            this_host()
        )));
    }
    let mut mark = v.activity_mark()?;
    if !report(ctx, v, "started")? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut unreachable = false;
    let mut usage = UsageSeen::default();
    usage.stamp(ctx, v);
    loop {
        std::thread::sleep(Duration::from_secs(every));
        let now = match v.activity_mark() {
            Ok(now) => now,
            Err(e) => {
                if !unreachable {
                    ctx.warn(&format!("cannot read the vault, trying again: {e}"));
                    unreachable = true;
                }
                continue;
            }
        };
        if std::mem::take(&mut unreachable) {
            ctx.warn("the vault answers again");
        }
        usage.stamp(ctx, v);
        if now == mark {
            continue;
        }
        mark = now;
        // A member removed or a passphrase changed: this process holds the old data key.
        if !v.data_key_current().unwrap_or(true) {
            return Err(CliError::msg(
                "the vault was re-keyed (a member removed or a passphrase changed): start \
                 `publish follow` again",
            ));
        }
        if !report(ctx, v, "after a change")? {
            return Ok(ExitCode::SUCCESS);
        }
    }
}

/// Rewrites this machine's targets and says so in one line (one JSON object a line with
/// `--json`); false when standard output is gone (the reader closed it: stop quietly).
fn report(ctx: &Context, v: &mut Vault, why: &str) -> Result<bool, CliError> {
    let targets = v.publish_now()?;
    for problem in v.take_publish_errors() {
        ctx.warn(&problem);
    }
    let mine: Vec<_> = targets.iter().filter(|t| t.is_written_here()).collect();
    let failed = mine.iter().filter(|t| t.last_error.is_some()).count();
    let rewritten = mine.len() - failed;
    let at = vault::format_time(v.now());
    let line = if ctx.json() {
        json!({ "at": at, "why": why, "rewritten": rewritten, "failed": failed }).to_string()
    } else {
        let failed = match failed {
            0 => String::new(),
            n => format!(", {n} failed"),
        };
        format!(
            "{at} {why}: rewrote {}{failed}",
            count_of(rewritten, "target", "targets")
        )
    };
    match output::stdout_line(&line) {
        Ok(()) => Ok(true),
        Err(e) if output::is_closed_pipe(&e) => Ok(false),
        Err(e) => Err(CliError::msg(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// What was copied from the usage files already, and when they were last changed.
#[derive(Default)]
struct UsageSeen {
    stamps: HashMap<String, vault::Timestamp>,
    modified: Vec<Option<SystemTime>>,
}

impl UsageSeen {
    /// Copies new last uses into the vault when a usage file beside this machine's targets
    /// changed (services rewrite them every few seconds; reading them costs nothing otherwise).
    fn stamp(&mut self, ctx: &Context, v: &Vault) {
        let modified: Vec<Option<SystemTime>> = v
            .publish_files_here()
            .unwrap_or_default()
            .iter()
            .map(|file| {
                std::fs::metadata(vault::usage_path(file))
                    .and_then(|m| m.modified())
                    .ok()
            })
            .collect();
        if modified == self.modified {
            return;
        }
        match v.stamp_service_use(&mut self.stamps) {
            Ok(n) => {
                self.modified = modified;
                if n > 0 {
                    log::info!(
                        "copied the last use of {} from the usage files",
                        count_of(n, "key", "keys")
                    );
                }
            }
            Err(e) => ctx.warn(&format!("cannot record the services' last uses: {e}")),
        }
    }
}
