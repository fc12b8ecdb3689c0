//! Moving a whole vault to another place: a file to a team's server, a server back to a file.
//! The copy is row for row (records stay sealed), then opened with the same passphrase and
//! checked as `doctor` checks, before success is reported.

use std::path::Path;

use serde::Serialize;

use crate::vault::error::{Error, Result};
use crate::vault::handle::{Vault, display_location};
use crate::vault::store;

/// What a migration copied and found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Migrated {
    /// The destination, without any password.
    pub destination: String,
    pub nodes: usize,
    pub keys: usize,
    pub activity_entries: usize,
}

impl Vault {
    /// Copies this vault, whole, to `dest` (a file path that does not exist yet, or a
    /// `postgres://` URL of an empty database), then unlocks the copy with `passphrase` (this
    /// member's) and checks every record, the commitment and the log. A copy that fails the
    /// check is reported as an error (a file copy is removed).
    pub fn migrate_to(&self, dest: &Path, passphrase: &str) -> Result<Migrated> {
        let shown = display_location(dest);
        if dest == self.path() {
            return Err(Error::bad_input(
                "destination",
                "the destination is the vault itself",
            ));
        }
        let is_file = store::server_url(dest).is_none();
        if is_file && dest.symlink_metadata().is_ok() {
            return Err(Error::VaultExists(dest.to_owned()));
        }
        let source = self.doctor()?;
        if !source.is_healthy() {
            return Err(Error::NotAllowed(format!(
                "this vault fails its own check ({}); run `keyward doctor` before moving it",
                source.problems.join("; ")
            )));
        }
        let target = store::create(dest, &[])?;
        let copied = store::copy::copy_vault(&*self.conn, &*target);
        drop(target);
        let checked = copied.and_then(|()| {
            let copy = Vault::open_as(dest, Some(self.member()), passphrase)?;
            let report = copy.doctor()?;
            if !report.is_healthy() {
                return Err(Error::damaged(
                    "copy",
                    format!(
                        "the copy at {shown} failed its check: {}",
                        report.problems.join("; ")
                    ),
                ));
            }
            // The copy's first unlock may log a little (failed unlocks counted before it).
            if (report.nodes, report.keys) != (source.nodes, source.keys)
                || report.activity_entries < source.activity_entries
            {
                return Err(Error::damaged(
                    "copy",
                    format!(
                        "the copy at {shown} holds {} keys and {} log entries, the vault {} and {}",
                        report.keys, report.activity_entries, source.keys, source.activity_entries
                    ),
                ));
            }
            Ok(Migrated {
                destination: shown.clone(),
                nodes: report.nodes,
                keys: report.keys,
                activity_entries: report.activity_entries,
            })
        });
        if checked.is_err() && is_file {
            let _ = std::fs::remove_file(dest);
        }
        checked
    }
}
