//! `key import`: many keys from JSON Lines. Every line is checked before anything is minted
//! (an error names its line), all keys are minted in one transaction, and their key files are
//! written to the output before it commits: a secret is delivered or its key does not exist.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::error::CliError;
use super::limits::LimitArgs;
use crate::vault::{Error, Expiry, KeyDetails, NewKey, NodeId, Vault, validate_name};
use keyward_verify::Policy;

/// One line of an import file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    full_access: bool,
    /// `key create`'s limit flags, by the same names: `["100/min", "burst=20/s"]`.
    #[serde(default)]
    rate_limits: Vec<String>,
    #[serde(default)]
    credits: Option<u64>,
    /// `10000/month`
    #[serde(default)]
    refill: Option<String>,
    #[serde(default)]
    allow_ips: Vec<String>,
}

/// Reads and checks every line; nothing is minted when any line is wrong.
pub(super) fn read_batch(v: &Vault, node: NodeId, file: &Path) -> Result<Vec<NewKey>, CliError> {
    let limit = crate::vault::outside::MAX_IMPORT_FILE;
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .take(limit + 1)
            .read_to_string(&mut text)
            .map_err(|e| CliError::msg(format!("standard input: {e}")))?;
        if text.len() as u64 > limit {
            return Err(CliError::msg(format!(
                "standard input: more than {}; split the import",
                crate::numbers::bytes(limit)
            )));
        }
    } else {
        text = crate::vault::outside::read_text(file, limit)?;
    }
    let catalog: Vec<String> = v.scopes(node)?.into_iter().map(|s| s.id).collect();
    let now = v.now();
    let mut names = HashSet::new();
    let mut batch = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let at = |e: &dyn std::fmt::Display| CliError::msg(format!("line {n}: {e}"));
        let line: Line = serde_json::from_str(raw).map_err(|e| at(&e))?;
        let name = validate_name("key", &line.name).map_err(|e| at(&e))?;
        if !names.insert(name.to_lowercase()) {
            return Err(at(&format!("the name '{name}' appears twice in the file")));
        }
        if let Some(unknown) = line.scopes.iter().find(|s| !catalog.contains(s)) {
            return Err(at(&format!(
                "unknown scope '{unknown}' (this workspace has: {})",
                catalog.join(", ")
            )));
        }
        let expires_at = Expiry::parse(line.expires.as_deref().unwrap_or("never"))
            .and_then(|e| e.resolve(now))
            .map_err(|e| at(&e))?;
        let tags = line
            .tags
            .iter()
            .map(|t| KeyDetails::validate_tag(t))
            .collect::<Result<Vec<_>, Error>>()
            .map_err(|e| at(&e))?;
        if line.description.chars().count() > KeyDetails::MAX_DESCRIPTION_CHARS
            || line.owner.chars().count() > KeyDetails::MAX_OWNER_CHARS
            || tags.len() > KeyDetails::MAX_TAGS
        {
            return Err(at(&"description, owner or tags are too long"));
        }
        let limits = LimitArgs {
            rate_limits: line.rate_limits,
            credits: line.credits,
            refill: line.refill,
            allow_ips: line.allow_ips,
            no_limits: false,
        }
        .apply(Default::default())
        .map_err(|e| at(&e))?;
        batch.push(NewKey {
            name,
            full_access: line.full_access,
            policy: Policy {
                scopes: line.scopes,
                expires_at,
                limits: limits.boxed(),
                ..Policy::default()
            },
            details: KeyDetails {
                description: line.description,
                owner: line.owner,
                tags,
            },
        });
    }
    if batch.is_empty() {
        return Err(CliError::msg(format!("{} has no keys", file.display())));
    }
    Ok(batch)
}

/// Mints `batch` at `node`; the key files go to `output` (JSON Lines) inside the transaction.
pub(super) fn mint_into(
    v: &mut Vault,
    node: NodeId,
    batch: Vec<NewKey>,
    output: &Path,
) -> Result<(), CliError> {
    let to_stdout = output.as_os_str() == "-";
    let mut file = if to_stdout {
        None
    } else {
        Some(create_private(output)?)
    };
    let minted = v.create_keys_then(node, batch, |minted| {
        let io = |e: std::io::Error| Error::io(output, e);
        let mut stdout = std::io::stdout().lock();
        let out: &mut dyn Write = match file.as_mut() {
            Some(f) => f,
            None => &mut stdout,
        };
        for key in minted {
            let line = Zeroizing::new(
                serde_json::to_string(&key.key_file())
                    .map_err(|e| Error::damaged("key file", e.to_string()))?,
            );
            out.write_all(line.as_bytes()).map_err(io)?;
            out.write_all(b"\n").map_err(io)?;
        }
        out.flush().map_err(io)?;
        if let Some(f) = file.as_ref() {
            f.sync_all().map_err(io)?;
        }
        Ok(())
    });
    if let Err(e) = minted {
        if !to_stdout {
            // Nothing was minted: the secrets written so far belong to no key.
            let _ = std::fs::remove_file(output);
        }
        return Err(CliError::msg(format!("{e}; no key was imported")));
    }
    Ok(())
}

/// A new file, owner-only from its first byte; an existing one is never overwritten.
pub(super) fn create_private(path: &Path) -> Result<std::fs::File, CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| {
        CliError::msg(if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} exists already; the key files are never written over another file",
                path.display()
            )
        } else {
            format!("{}: {e}", path.display())
        })
    })
}
