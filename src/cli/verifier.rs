//! The verifier commands: `verify` (against the vault, or a signed verifier file and the key
//! it must be signed with), `export-verifier` and `verifier-key`.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use super::args::{PublishCmd, VerifierKeyCmd};
use super::context::{Context, finished};
use super::error::{CliError, CliResult, EXIT_NOT_VALID, done};
use super::{follow, render};
use crate::vault::{self, TrustedKey, Verifier};

/// Reads the key from stdin: a no-echo prompt on a terminal, else the first line.
fn key_from_stdin() -> Result<zeroize::Zeroizing<String>, CliError> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("API key: ")
            .map(zeroize::Zeroizing::new)
            .map_err(|e| CliError::msg(format!("cannot read the key: {e}")));
    }
    let mut buf = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut buf)
        .map_err(|e| CliError::msg(format!("cannot read the key from stdin: {e}")))?;
    Ok(zeroize::Zeroizing::new(
        buf.lines().next().unwrap_or("").to_owned(),
    ))
}

/// `verifier`: the file, and the key it must be signed with (required).
pub(super) fn verify(
    ctx: &Context,
    given: Option<String>,
    required: &[String],
    client: Option<std::net::IpAddr>,
    cost: u64,
    verifier: Option<(PathBuf, Option<String>)>,
) -> CliResult {
    // The file and its trusted key are checked before the key is asked for.
    let verifier = match verifier {
        Some((path, Some(trust))) => Some(Verifier::load_trusting(
            &path,
            &TrustedKey::parse_list(&trust)?,
        )?),
        Some((_, None)) => {
            return Err(CliError::msg(
                "a verifier file is only used with the public key it must be signed with: pass                  --trust kwpk_… (printed by `keyward verifier-key`) or set KEYWARD_TRUST",
            ));
        }
        None => None,
    };
    let presented = match given {
        Some(k) => zeroize::Zeroizing::new(k),
        None => key_from_stdin()?,
    };
    let required: Vec<&str> = required.iter().map(String::as_str).collect();
    let request = keyward_verify::Request {
        scopes: &required,
        client,
        cost,
    };
    let result = match verifier {
        Some(verifier) => verifier.check(&presented, &request),
        None => ctx.open()?.verify_request(&presented, &request)?,
    };
    ctx.print(json!(result), || render::verification(&result));
    Ok(if result.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_VALID)
    })
}

pub(super) fn export_verifier(
    ctx: &Context,
    node: Option<&str>,
    output: &Path,
    valid_for: Option<&str>,
) -> CliResult {
    let valid_for = valid_for.map(vault::parse_valid_for).transpose()?;
    let mut v = ctx.open()?;
    let node = node.map(|n| v.resolve(n)).transpose()?;
    let export = v.export_verifier(node.as_ref().map(|n| n.id), valid_for)?;
    vault::write_private_file(output, export.to_json().as_bytes())?;
    let p = &export.payload;
    ctx.print(
        json!({
            "output": output,
            "keys": p.keys.len(),
            "node": p.node,
            "serial": p.serial,
            "valid_until": p.valid_until,
            "public_key": export.file.public_key,
        }),
        || {
            let until = p
                .valid_until
                .map(|t| format!(", valid until {}", vault::format_time(t)))
                .unwrap_or_default();
            format!(
                "Wrote {} to {} (serial {}{until}; no secrets, no names), signed by {}",
                crate::numbers::count_of(p.keys.len(), "key", "keys"),
                output.display(),
                p.serial,
                export.file.public_key
            )
        },
    );
    done()
}

/// `verifier-key`: the public key (`kwpk_…`) services pass to `verify --trust`; `--all` with
/// the retired ones; `rotate` makes a new one.
pub(super) fn verifier_key(ctx: &Context, all: bool, action: Option<VerifierKeyCmd>) -> CliResult {
    let v = ctx.open()?;
    if let Some(VerifierKeyCmd::Rotate) = action {
        let old = v.verifier_key()?;
        let new = v.rotate_verifier_key()?;
        ctx.print(
            json!({ "public_key": new.to_string(), "retired": old.to_string() }),
            || rotated_advice(&old, &new),
        );
        return finished(&v);
    }
    let vault_id = v.vault_id()?;
    if all {
        let keys = v.verifier_keys()?;
        ctx.print(json!({ "vault_id": vault_id, "keys": keys }), || {
            render::verifier_keys(&keys)
        });
        return done();
    }
    let key = v.verifier_key()?;
    ctx.print(
        json!({ "public_key": key.to_string(), "vault_id": vault_id }),
        || key.to_string(),
    );
    done()
}

/// What to change after the signing key was replaced (rotate, member rm).
pub(super) fn rotated_advice(old: &TrustedKey, new: &TrustedKey) -> String {
    format!(
        "New signing key: {new}\n\
         Verifier files are signed by it from now on (publish targets were rewritten).\n\
         Services must trust it: `keyward serve --trust {new}`, KEYWARD_TRUST={new}, or the key\n\
         a library passes to Verifier::load. To move over without downtime, trust both for a\n\
         while: --trust {new},{old}. The retired key {old}\n\
         also belongs to anyone who held a copy of the vault: drop it once services are moved."
    )
}

pub(super) fn publish(ctx: &Context, cmd: PublishCmd) -> CliResult {
    let mut v = ctx.open()?;
    match cmd {
        PublishCmd::Add { node, file, mode } => {
            let mode = u32::from_str_radix(mode.trim_start_matches("0o"), 8)
                .ok()
                .filter(|m| *m <= 0o777)
                .ok_or_else(|| {
                    CliError::msg(format!("--mode {mode} is not an octal mode like 644"))
                })?;
            let node = match node.trim() {
                "/" | "" => None,
                path => Some(v.resolve(path)?.id),
            };
            let target = v.add_publish_target(node, &file, mode)?;
            ctx.print(json!(target), || match &target.last_error {
                None => format!(
                    "Publishing to {} ({} now, rewritten after every change)",
                    target.file.display(),
                    crate::numbers::count_of(target.last_keys.unwrap_or(0), "key", "keys")
                ),
                Some(e) => format!(
                    "Added {}, but it could not be written: {e}",
                    target.file.display()
                ),
            });
        }
        PublishCmd::List => {
            let targets = v.publish_targets()?;
            let rows: Vec<serde_json::Value> = targets
                .iter()
                .map(|(t, path)| {
                    let mut row = json!(t);
                    row["node_path"] = json!(if t.node.is_none() { "/" } else { path });
                    row
                })
                .collect();
            ctx.print(json!(rows), || render::publish_targets(&targets));
        }
        PublishCmd::Rm { file } => {
            v.remove_publish_target(&file)?;
            ctx.print(json!({ "removed": file }), || {
                format!("No longer publishing to {}", file.display())
            });
        }
        PublishCmd::Follow { every } => return follow::follow(ctx, &mut v, every),
        PublishCmd::Now => {
            let targets = v.publish_now()?;
            let failed = targets.iter().filter(|t| t.last_error.is_some()).count();
            ctx.print(json!(targets), || {
                format!(
                    "Rewrote {}, {failed} failed",
                    crate::numbers::count_of(targets.len() - failed, "target", "targets")
                )
            });
        }
    }
    finished(&v)
}
