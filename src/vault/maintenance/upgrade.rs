//! Opening files written by older versions of Keyward: schema 1 is upgraded in place, in one
//! transaction, after a backup copy beside the file.

use std::path::{Path, PathBuf};

use crate::vault::activity::{self, Action};
use crate::vault::commitment::Commitment;
use crate::vault::crypto::{self, Sealer};
use crate::vault::error::{Error, Result};
use crate::vault::handle::Vault;
use crate::vault::publishing::signing;
use crate::vault::records::WRAP_AAD;
use crate::vault::store;
use crate::vault::team::reseal::{self, Source};

/// `vault.keyward` → `vault.keyward.v1-backup` (or `.v1-backup.2`, … if that exists).
fn backup_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vault".into());
    let mut candidate = path.with_file_name(format!("{name}.v1-backup"));
    let mut n = 2;
    while candidate.symlink_metadata().is_ok() {
        candidate = path.with_file_name(format!("{name}.v1-backup.{n}"));
        n += 1;
    }
    candidate
}

/// Upgrades a schema-1 vault: every record re-sealed with versions in its associated data and
/// HKDF subkeys, the activity log re-chained with a keyed MAC, the state commitment built, the
/// data key re-wrapped. Problems found in the v1 file are logged in the upgrade's own entry.
pub(in crate::vault) fn from_v1(
    vault: &mut Vault,
    data_key: &[u8; 32],
    kek: &[u8; 32],
) -> Result<()> {
    let backup = backup_path(&vault.path);
    vault.conn.backup_into(&backup).map_err(|e| {
        Error::NotAllowed(format!(
            "this vault needs a format upgrade, and the backup copy before it could not be \
             written to {}: {e}",
            backup.display()
        ))
    })?;
    let from = Sealer::v1(data_key);
    let now = vault.now();
    let conn = &*vault.conn;
    let to = &vault.sealer;
    store::in_transaction(conn, || {
        let resealed = reseal::reseal_all(conn, Source::V1, &from, to, &mut |_| {})?;
        let mut commitment = Commitment::default();
        commitment.rebuild(conn, to, 0, resealed.entries)?;
        commitment.begin_write(conn, to)?;
        // Schema 1 had no signing key: the vault gets one, as a new vault does.
        let (vault_id, signing_key, public) = signing::generate(to);
        conn.meta_set(signing::VAULT_ID_META, vault_id.as_bytes())?;
        conn.meta_set(signing::SIGNING_KEY_META, &signing_key)?;
        commitment.set_signing_key(crypto::to_hex(public.as_bytes()))?;
        let mut detail = format!(
            "upgraded from schema 1 to {}; the schema-1 file was kept as {}; verifier files \
             are signed with {public}",
            store::SCHEMA_VERSION,
            backup.display()
        );
        if !resealed.problems.is_empty() {
            detail.push_str(&format!(
                "; {} found in it: {}",
                crate::numbers::count_of(resealed.problems.len(), "problem", "problems"),
                resealed.problems.join("; ")
            ));
        }
        activity::append_with(
            to,
            conn,
            now,
            &vault.member,
            Action::VaultUpgraded,
            None,
            "",
            &detail,
        )?;
        commitment.finish_write(conn, to)?;
        conn.meta_set("data_key", &crypto::wrap(kek, WRAP_AAD, data_key))?;
        conn.meta_set(
            "schema_version",
            store::SCHEMA_VERSION.to_string().as_bytes(),
        )
    })?;
    vault.commitment.borrow_mut().invalidate();
    // Best effort: the WAL must not keep the v1 pages around longer than needed.
    let _ = vault.conn.checkpoint_truncate();
    Ok(())
}
