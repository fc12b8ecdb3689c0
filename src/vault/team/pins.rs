//! Each machine remembers the vaults it has unlocked, as SSH's `known_hosts` remembers hosts:
//! for every location (a file path, or a server URL without its password), the vault id, the
//! highest commit counter it has seen, and the members with their public keys. A vault that
//! changed identity, or whose counter went backwards (a whole-file rollback, or the server
//! handing out an older state), is refused with a clear message; `--accept-vault-change` (one
//! explicit step, for a backup restored on purpose) forgets the pin so the vault is taken as
//! it is now.
//!
//! The pin moves only after a commit is durable (after the transaction returned), so a crash
//! at any moment leaves it at or below what the vault holds: a machine never refuses its own
//! vault. Pins live in the OS data folder (`KEYWARD_PINS_DIR` overrides), one small private
//! file per location.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::vault::crypto;
use crate::vault::error::{Error, Result};
use crate::vault::model::{Timestamp, format_time};

const PIN_TYPE: &str = "keyward.pin";
const PIN_VERSION: u32 = 1;
/// A pin is a few hundred bytes; anything much larger is not one.
const MAX_PIN_FILE: u64 = 1 << 20;

/// What a machine remembers of one vault location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    #[serde(rename = "type")]
    kind: String,
    version: u32,
    /// The location as given (a URL without its password).
    pub location: String,
    pub vault_id: String,
    /// The highest commit counter seen.
    pub tx: u64,
    /// Member (by the hash their slot is stored under, not the name) → X25519 public key
    /// (hex), as last seen.
    #[serde(default)]
    pub members: BTreeMap<String, String>,
    /// Member (by slot) → Ed25519 identity (hex): whose grants of data keys are trusted here.
    #[serde(default)]
    pub identities: BTreeMap<String, String>,
    /// Member (by slot) → the key derivation parameters its slot had: paid again even above
    /// the ceiling (a vault made by an earlier build with more memory).
    #[serde(default)]
    pub kdf: BTreeMap<String, crate::vault::crypto::KdfParams>,
    pub seen_at: Timestamp,
}

/// The folder of pins: `KEYWARD_PINS_DIR`, else `pins` in the OS data folder for Keyward.
pub fn pins_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KEYWARD_PINS_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "Keyward").map(|d| d.data_dir().join("pins"))
}

/// The name a location is pinned under: the absolute path of a file, a URL without its
/// password.
pub fn location_key(path: &Path) -> String {
    let text = path.to_string_lossy();
    if crate::vault::location::is_server_url(&text) {
        crate::vault::location::redact(&text)
    } else {
        std::path::absolute(path)
            .unwrap_or_else(|_| path.to_owned())
            .to_string_lossy()
            .into_owned()
    }
}

fn pin_file(dir: &Path, location: &str) -> PathBuf {
    let digest = crypto::sha256(format!("keyward/pin/{location}").as_bytes());
    dir.join(format!("{}.json", crypto::to_hex(&digest[..16])))
}

/// The pin of `location`, if this machine has one. A pin file that is not one is an error
/// naming it (deleting it is the way out, and says so).
pub fn read(dir: &Path, location: &str) -> Result<Option<Pin>> {
    let file = pin_file(dir, location);
    if std::fs::symlink_metadata(&file).is_err() {
        return Ok(None);
    }
    let bad = |why: String| {
        Error::VaultChanged(format!(
            "this machine's record of {location} ({}) is unreadable: {why}; delete it to take the vault as it is",
            file.display()
        ))
    };
    let text =
        crate::vault::outside::read_text(&file, MAX_PIN_FILE).map_err(|e| bad(e.to_string()))?;
    let pin: Pin = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if pin.kind != PIN_TYPE || pin.version != PIN_VERSION || pin.location != location {
        return Err(bad("it is not a pin of this location".into()));
    }
    Ok(Some(pin))
}

/// What the vault at a location is now.
pub struct Seen<'a> {
    pub vault_id: &'a str,
    /// `None`: the commitment does not open (reported as tampered elsewhere).
    pub tx: Option<u64>,
    pub members: BTreeMap<String, String>,
    /// Identities as the (authenticated) vault commits them.
    pub identities: BTreeMap<String, String>,
    /// Key derivation parameters as the vault commits them.
    pub kdf: BTreeMap<String, crate::vault::crypto::KdfParams>,
}

/// Refuses a vault that is not the one pinned at its location, or older than it.
pub fn check(pin: &Pin, seen: &Seen<'_>) -> Result<()> {
    // Taken as it is (--accept-vault-change), not unlocked here since: nothing to hold it to.
    if pin.vault_id.is_empty() {
        return Ok(());
    }
    let accept = "if you replaced or restored it on purpose, open it once with \
                  --accept-vault-change (the window: Accept this vault)";
    // A vault with no id yet (from before signed verifier files) is judged by its counter
    // alone: deleting the id of one that had it is tampering the signing key check names.
    if !seen.vault_id.is_empty() && pin.vault_id != seen.vault_id {
        return Err(Error::VaultChanged(format!(
            "{} is not the vault this machine knew there (vault {}, last seen {}); it is vault {}: {accept}",
            pin.location,
            pin.vault_id,
            format_time(pin.seen_at),
            seen.vault_id
        )));
    }
    if let Some(tx) = seen.tx
        && tx < pin.tx
    {
        return Err(Error::VaultChanged(format!(
            "{} went back in time: this machine saw it at commit {} ({}), it is at commit {tx} now, so an older copy was put back (a rollback, or a server handing out an old state): {accept}",
            pin.location,
            pin.tx,
            format_time(pin.seen_at)
        )));
    }
    Ok(())
}

/// Records what was seen (the counter only ever rises). Best effort: a machine that cannot
/// write its pins still opens its vaults.
pub fn record(dir: &Path, location: &str, seen: &Seen<'_>, now: Timestamp) -> Result<()> {
    let Some(tx) = seen.tx else {
        return Ok(());
    };
    let old = read(dir, location).ok().flatten();
    if let Some(old) = &old
        && old.vault_id == seen.vault_id
        && old.tx >= tx
        && old.members == seen.members
        && old.identities == seen.identities
        && seen.kdf.iter().all(|(k, v)| old.kdf.get(k) == Some(v))
    {
        return Ok(());
    }
    // What this machine agreed to pay stays, unless the vault now commits otherwise.
    let mut kdf = old
        .as_ref()
        .filter(|o| o.vault_id.is_empty() || o.vault_id == seen.vault_id)
        .map(|o| o.kdf.clone())
        .unwrap_or_default();
    kdf.extend(seen.kdf.iter().map(|(k, v)| (k.clone(), *v)));
    let pin = Pin {
        kind: PIN_TYPE.into(),
        version: PIN_VERSION,
        location: location.to_owned(),
        vault_id: seen.vault_id.to_owned(),
        tx: old
            .filter(|o| o.vault_id == seen.vault_id)
            .map_or(tx, |o| o.tx.max(tx)),
        members: seen.members.clone(),
        identities: seen.identities.clone(),
        kdf,
        seen_at: now,
    };
    crate::vault::store::create_private_dir(dir)?;
    let text = serde_json::to_vec_pretty(&pin).map_err(|e| Error::damaged("pin", e.to_string()))?;
    write_unsynced(&pin_file(dir, location), &text)
}

/// Writes a pin through a private temporary file renamed over it, without waiting for the
/// disk: a pin lost in a crash is an older pin, which never refuses the vault it describes
/// (and an fsync per change would double what a change costs).
fn write_unsynced(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        options.open(&tmp)?.write_all(contents)?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Forgets the pin of `location` (`--accept-vault-change`).
pub fn forget(dir: &Path, location: &str) -> Result<bool> {
    let file = pin_file(dir, location);
    match std::fs::remove_file(&file) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(file, e)),
    }
}

/// What a vault is now, owned (see [`Seen`]).
struct SeenNow {
    vault_id: String,
    tx: Option<u64>,
    members: BTreeMap<String, String>,
    identities: BTreeMap<String, String>,
    kdf: BTreeMap<String, crate::vault::crypto::KdfParams>,
}

impl SeenNow {
    fn seen(&self) -> Seen<'_> {
        Seen {
            vault_id: &self.vault_id,
            tx: self.tx,
            members: self.members.clone(),
            identities: self.identities.clone(),
            kdf: self.kdf.clone(),
        }
    }
}

/// This machine's pin of the vault at `path`, read once per unlock (`None`: none yet). A pin
/// file that is not one is an error naming it.
pub(in crate::vault) fn pin_of(path: &Path) -> Result<Option<Pin>> {
    match pins_dir() {
        Some(dir) => read(&dir, &location_key(path)),
        None => Ok(None),
    }
}

impl crate::vault::handle::Vault {
    /// What this vault is now, as a pin compares it.
    fn seen_now(&self) -> Result<SeenNow> {
        let vault_id = self
            .conn
            .meta_get(crate::vault::publishing::signing::VAULT_ID_META)?
            .and_then(|id| String::from_utf8(id).ok())
            .unwrap_or_default();
        let (tx, members, identities, kdf) = match self.sync_commitment() {
            Ok(()) => {
                let c = self.commitment.borrow();
                let records = c.members().unwrap_or_default();
                let members = records
                    .iter()
                    .map(|m| {
                        (
                            crate::vault::team::slot::slot_name(&m.name),
                            m.public.clone(),
                        )
                    })
                    .collect();
                let identities = records
                    .iter()
                    .filter(|m| !m.identity.is_empty())
                    .map(|m| {
                        (
                            crate::vault::team::slot::slot_name(&m.name),
                            m.identity.clone(),
                        )
                    })
                    .collect();
                let kdf = records
                    .iter()
                    .filter_map(|m| Some((crate::vault::team::slot::slot_name(&m.name), m.kdf?)))
                    .collect();
                (c.stored_tx(), members, identities, kdf)
            }
            Err(_) => (None, BTreeMap::new(), BTreeMap::new(), BTreeMap::new()),
        };
        Ok(SeenNow {
            vault_id,
            tx,
            members,
            identities,
            kdf,
        })
    }

    /// Refuses the vault when this machine's pin of its location says it is another vault or
    /// an older state of it.
    pub(in crate::vault) fn check_pin(&self, pin: Option<&Pin>) -> Result<()> {
        let Some(pin) = pin else {
            return Ok(());
        };
        let now = self.seen_now()?;
        check(pin, &now.seen())
    }

    /// Remembers the state just seen or committed (best effort; never fails an unlock or a
    /// write that is already durable).
    pub(in crate::vault) fn record_pin(&self) {
        let Some(dir) = pins_dir() else {
            return;
        };
        let Ok(now) = self.seen_now() else {
            return;
        };
        if now.vault_id.is_empty() {
            return;
        }
        if let Err(e) = record(&dir, &location_key(&self.path), &now.seen(), self.now()) {
            log::info!("could not record this machine's pin of the vault: {e}");
        }
    }

    /// Forgets this machine's pin of the vault at `path`, so that it is taken as it is at the
    /// next unlock (a backup restored on purpose). Returns whether there was one.
    pub fn accept_vault_change(path: &Path) -> Result<bool> {
        let Some(dir) = pins_dir() else {
            return Ok(false);
        };
        let location = location_key(path);
        let forgotten = forget(&dir, &location)?;
        // Taken as it is: its slots' key derivation too, even above the ceiling (a vault made
        // by an earlier build with more memory), within what earlier builds allowed.
        let kdf: BTreeMap<String, crate::vault::crypto::KdfParams> =
            crate::vault::store::open(path)
                .and_then(|conn| crate::vault::team::slot::stored_slots(&*conn))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(name, raw)| {
                    // The slot's JSON as it is: its parameters are what is being accepted.
                    let params = serde_json::from_slice::<crate::vault::team::slot::Slot>(&raw)
                        .ok()?
                        .params;
                    params.check_pinned().is_ok().then_some((name, params))
                })
                .collect();
        if !kdf.is_empty() {
            let pin = Pin {
                kind: PIN_TYPE.into(),
                version: PIN_VERSION,
                location: location.clone(),
                vault_id: String::new(),
                tx: 0,
                members: BTreeMap::new(),
                identities: BTreeMap::new(),
                kdf,
                seen_at: crate::vault::model::now(),
            };
            crate::vault::store::create_private_dir(&dir)?;
            let text = serde_json::to_vec_pretty(&pin)
                .map_err(|e| Error::damaged("pin", e.to_string()))?;
            write_unsynced(&pin_file(&dir, &location), &text)?;
        }
        Ok(forgotten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(vault_id: &str, tx: u64) -> Seen<'_> {
        Seen {
            vault_id,
            tx: Some(tx),
            members: BTreeMap::new(),
            identities: BTreeMap::new(),
            kdf: BTreeMap::new(),
        }
    }

    #[test]
    fn the_counter_only_rises_and_a_rollback_or_another_vault_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = "/home/a/vault.keyward";
        assert!(read(dir.path(), at).expect("none").is_none());
        record(dir.path(), at, &seen("v1", 5), 100).expect("record");
        record(dir.path(), at, &seen("v1", 3), 101).expect("lower is kept out");
        let pin = read(dir.path(), at).expect("read").expect("pinned");
        assert_eq!(pin.tx, 5);
        assert!(check(&pin, &seen("v1", 5)).is_ok());
        assert!(check(&pin, &seen("v1", 9)).is_ok());
        let back = check(&pin, &seen("v1", 4)).expect_err("rollback");
        assert!(
            back.to_string().contains("went back")
                && back.to_string().contains("--accept-vault-change")
        );
        let other = check(&pin, &seen("v2", 9)).expect_err("another vault");
        assert!(other.to_string().contains("not the vault"));
        assert!(forget(dir.path(), at).expect("forget"));
        assert!(read(dir.path(), at).expect("none").is_none());
        assert!(!forget(dir.path(), at).expect("nothing to forget"));
        std::fs::write(pin_file(dir.path(), at), "[]").expect("write");
        assert!(read(dir.path(), at).is_err_and(|e| e.to_string().contains("delete it")));
    }

    #[test]
    fn urls_are_pinned_without_their_password() {
        let key = location_key(Path::new("postgres://alice:s3cret@db.example/keys"));
        assert!(!key.contains("s3cret"), "{key}");
        assert!(key.starts_with("postgres://alice:"));
    }
}
