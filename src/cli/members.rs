//! `member add|list|rm`: who can open the vault, each with an own passphrase.

use serde_json::json;

use super::args::MemberCmd;
use super::context::{Context, finished};
use super::error::{CliResult, done};
use super::passphrase::{self, NEW_PASSPHRASE_ENV};
use super::{render, verifier};
use crate::vault::{KdfParams, Vault};

pub fn member(ctx: &Context, cmd: MemberCmd) -> CliResult {
    match cmd {
        MemberCmd::List => {
            let v = ctx.open()?;
            let members = v.members()?;
            ctx.print(json!(members), || render::members(&members));
            done()
        }
        MemberCmd::Add {
            name,
            new_passphrase_file,
            kdf_memory_mib,
            kdf_passes,
        } => {
            let current = ctx.passphrase_for_existing()?;
            let v = ctx.open_with(&current)?;
            let params = match (kdf_memory_mib, kdf_passes) {
                (None, None) => None,
                (m, p) => {
                    let own = Vault::kdf_params_of(&ctx.vault_path, Some(v.member()))?;
                    Some(KdfParams::new(
                        m.unwrap_or(own.memory_kib / 1024),
                        p.unwrap_or(own.passes),
                    )?)
                }
            };
            let new = passphrase::obtain(
                new_passphrase_file.as_deref(),
                NEW_PASSPHRASE_ENV,
                &format!("Passphrase for {}: ", name.trim()),
                true,
            )?;
            if let Some(warning) = passphrase::weakness(&new) {
                ctx.warn(&warning);
            }
            v.add_member(&current, &name, &new, params)?;
            ctx.print(json!({ "added": name.trim() }), || {
                format!("Added member {}", name.trim())
            });
            done()
        }
        MemberCmd::Rm { name } => {
            let current = ctx.passphrase_for_existing()?;
            let mut v = ctx.open_with(&current)?;
            let old = v.verifier_key()?;
            v.remove_member(&current, &name)?;
            let new = v.verifier_key()?;
            ctx.print(
                json!({
                    "removed": name.trim(),
                    "rekeyed": true,
                    "public_key": new.to_string(),
                    "retired": old.to_string(),
                }),
                || {
                    format!(
                        "Removed member {}; the vault was re-keyed (new data key, every record re-sealed)\n{}",
                        name.trim(),
                        verifier::rotated_advice(&old, &new)
                    )
                },
            );
            finished(&v)
        }
    }
}
