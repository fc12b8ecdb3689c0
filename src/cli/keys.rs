//! `keyward key …`: minting, listing, editing, rolling and revoking keys. A new secret is
//! written (to stdout or `--output`) before the transaction that mints it commits.

use std::cell::Cell;
use std::path::Path;

use serde_json::json;

use super::args::KeyCmd;
use super::context::{Context, finished};
use super::error::{CliError, CliResult};
use super::{import, listing, output, render};
use crate::vault::{self, Error, Expiry, Grace, KeyFilter, KeyStatus, MasterKey, NewKey, Vault};

pub(super) fn key(ctx: &Context, cmd: KeyCmd) -> CliResult {
    let mut v = ctx.open()?;
    match cmd {
        KeyCmd::Create {
            node,
            name,
            scopes,
            full_access,
            expires,
            limits,
            output,
        } => {
            let node = v.resolve(&node)?;
            let expires_at = Expiry::parse(&expires)?.resolve(v.now())?;
            let new = NewKey::named(name)
                .scopes(scopes)
                .full_access(full_access)
                .expires_at(expires_at)
                .limits(limits.apply(Default::default())?);
            match output {
                Some(path) if path.as_os_str() != "-" => {
                    create_into_file(ctx, &mut v, node.id, new, &path)?
                }
                to_stdout => {
                    // `--output -`: the key file itself, as with --json.
                    let as_json = ctx.json() || to_stdout.is_some();
                    // Written and flushed before the commit: if stdout fails, no key exists.
                    let wrote = Cell::new(false);
                    v.create_keys_then(node.id, vec![new], |minted| {
                        minted.iter().try_for_each(|m| {
                            deliver(
                                &wrote,
                                &render::secret_text(as_json, "Created", m, None, None),
                            )
                        })
                    })
                    .map_err(|e| undelivered(e, "no key was created", wrote.get()))?;
                }
            }
        }
        KeyCmd::List {
            node,
            owner,
            tags,
            statuses,
            text,
        } => {
            let node = node.map(|n| v.resolve(&n)).transpose()?;
            let statuses = statuses
                .iter()
                .filter_map(|s| KeyStatus::parse(s))
                .collect();
            let filter = KeyFilter::new(owner.as_deref(), &tags, statuses, text.as_deref());
            let failed = listing::list_keys(&v, node.map(|n| n.id), &filter, ctx.json())?;
            if let Some(e) = failed {
                ctx.output_failed(e);
            }
        }
        KeyCmd::Import { node, file, output } => {
            let node = v.resolve(&node)?;
            let batch = import::read_batch(&v, node.id, &file)?;
            let count = batch.len();
            import::mint_into(&mut v, node.id, batch, &output)?;
            let summary = format!(
                "Imported {} into {}; their key files are in {}",
                crate::numbers::count_of(count, "key", "keys"),
                node.path,
                if output.as_os_str() == "-" {
                    "the output above".to_owned()
                } else {
                    output.display().to_string()
                }
            );
            // With `--output -` standard output holds the key files: the summary goes aside.
            output::stderr_line(&summary);
        }
        KeyCmd::Edit {
            key_id,
            name,
            description,
            owner,
            tags,
            untags,
            expires,
            limits,
        } => {
            let expires_at = expires
                .map(|e| Expiry::parse(&e)?.resolve(v.now()))
                .transpose()?;
            let limits = if limits.given() {
                let current = v.key(&key_id)?.policy.limits.map(|l| *l);
                Some(limits.apply(current.unwrap_or_default())?)
            } else {
                None
            };
            let info = v.edit_key_details(
                &key_id,
                vault::KeyEdit {
                    name,
                    description,
                    owner,
                    add_tags: tags,
                    remove_tags: untags,
                    expires_at,
                    limits,
                },
            )?;
            ctx.print(json!(info), || render::key(&info));
        }
        KeyCmd::Show { key_id } => {
            let key = v.key(&key_id)?;
            ctx.print(json!(key), || render::key(&key));
        }
        KeyCmd::Usage { key, days } => super::usage::key_usage(ctx, &v, &key, days)?,
        KeyCmd::Master { node } => {
            let node = v.resolve(&node)?;
            let wrote = Cell::new(false);
            let created = |m: &vault::MintedKey| {
                deliver(
                    &wrote,
                    &render::secret_text(ctx.json(), "Created master key", m, Some(true), None),
                )
            };
            let master = v
                .master_key_then(node.id, created)
                .map_err(|e| undelivered(e, "no master key was created", wrote.get()))?;
            match master {
                MasterKey::Existing(info) => {
                    let mut value = json!(info);
                    value["created"] = json!(false);
                    ctx.print(value, || {
                        format!("{}\n\nThis node already has a full-access key; its secret was shown when it was created.", render::key(&info))
                    });
                }
                // Its secret was written before the commit, above.
                MasterKey::Created(_) => {}
            }
        }
        KeyCmd::Scopes { key_id, set } => {
            let set: Vec<String> = set
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            let info = v.set_scopes(&key_id, &set, false)?;
            ctx.print(json!(info), || {
                format!(
                    "Scopes of {key_id} are now: {}",
                    render::scope_list(&info.policy.scopes)
                )
            });
        }
        KeyCmd::Roll { key_id, grace } => {
            let grace = Grace::parse(&grace)?;
            let note = format!(
                "The previous secret {}.",
                match grace {
                    Grace::None => "stopped working now".to_owned(),
                    g => format!("keeps working for {}", g.label()),
                }
            );
            // Written and flushed before the commit: if stdout fails, the old secret stays.
            let wrote = Cell::new(false);
            v.roll_key_then(&key_id, grace, |m| {
                deliver(
                    &wrote,
                    &render::secret_text(ctx.json(), "Rolled", m, None, Some(&note)),
                )
            })
            .map_err(|e| {
                undelivered(
                    e,
                    "the key was not rolled and keeps its secret",
                    wrote.get(),
                )
            })?;
        }
        KeyCmd::Revoke { key_id } => {
            let info = v.revoke_key(&key_id)?;
            ctx.print(json!(info), || format!("Revoked {key_id} ({})", info.name));
        }
        KeyCmd::Rm { key_id } => {
            v.delete_key(&key_id)?;
            ctx.print(json!({ "deleted": key_id }), || format!("Deleted {key_id}"));
        }
    }
    finished(&v)
}

/// Hands a new secret over on stdout, inside the transaction that mints it; `wrote` records
/// that it got out.
pub(super) fn deliver(wrote: &Cell<bool>, text: &str) -> vault::Result<()> {
    output::stdout_line(text).map_err(|e| Error::io(output::STDOUT_NAME, e))?;
    wrote.set(true);
    Ok(())
}

/// The message for a mint or roll that failed; `undone` says what did not happen. `wrote`:
/// the secret was already written when the commit failed, so whoever has it must not use it.
pub(super) fn undelivered(e: Error, undone: &str, wrote: bool) -> CliError {
    match e {
        Error::Io { path, source } if path.as_os_str() == output::STDOUT_NAME => CliError::msg(
            format!("cannot write the secret to standard output ({source}); {undone}"),
        ),
        e if wrote => CliError::msg(format!(
            "{e}; {undone}: the secret written above does not work, discard it"
        )),
        e => e.into(),
    }
}

/// `key create --output FILE`: the key file goes to a new owner-only file inside the
/// transaction; if it cannot be written and synced, nothing is minted and the file is removed.
fn create_into_file(
    ctx: &Context,
    v: &mut Vault,
    node: vault::NodeId,
    new: NewKey,
    path: &Path,
) -> Result<(), CliError> {
    use std::io::Write;
    let mut file = import::create_private(path)?;
    let mut created = None;
    let minted = v.create_keys_then(node, vec![new], |minted| {
        let io = |e: std::io::Error| Error::io(path, e);
        for m in minted {
            file.write_all(m.key_file().to_json().as_bytes())
                .map_err(io)?;
            created = Some(m.info.clone());
        }
        file.sync_all().map_err(io)
    });
    if let Err(e) = minted {
        // Nothing was minted: what was written belongs to no key.
        let _ = std::fs::remove_file(path);
        return Err(CliError::msg(format!("{e}; no key was created")));
    }
    if let Some(info) = created {
        let file_name = path.display().to_string();
        let mut value = json!(info);
        value["key_file"] = json!(file_name);
        ctx.print(value, || {
            format!(
                "Created {} ({}); its key file, with the secret, is in {file_name} (readable by you only)",
                info.key_id, info.name
            )
        });
    }
    Ok(())
}
