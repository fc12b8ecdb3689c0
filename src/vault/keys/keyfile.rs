//! The downloadable `.json` key file (SPEC 5), made from a minted key, and owner-only atomic
//! file writes.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use zeroize::Zeroizing;

use super::lifecycle::MintedKey;
use crate::vault::error::{Error, Result};
use crate::vault::model::format_time;

/// `{"type": "keyward.api_key", ...}`: what a client loads to authenticate.
#[derive(Serialize)]
pub struct KeyFile {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub version: u32,
    pub key_id: String,
    #[serde(serialize_with = "serialize_zeroizing")]
    pub key_secret: Zeroizing<String>,
    pub name: String,
    pub workspace: Option<String>,
    pub project: Option<String>,
    pub environment: Option<String>,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    #[serde(serialize_with = "serialize_zeroizing")]
    pub authorization: Zeroizing<String>,
}

fn serialize_zeroizing<S: serde::Serializer>(
    value: &Zeroizing<String>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(value)
}

impl KeyFile {
    pub const TYPE: &'static str = "keyward.api_key";

    fn new(minted: &MintedKey) -> KeyFile {
        let secret = minted.secret.expose();
        let [workspace, project, environment] = minted.lineage.clone();
        KeyFile {
            kind: Self::TYPE,
            version: 1,
            key_id: minted.info.key_id.clone(),
            key_secret: Zeroizing::new(secret.to_owned()),
            name: minted.info.name.clone(),
            workspace,
            project,
            environment,
            scopes: minted.info.policy.scopes.clone(),
            created_at: format_time(minted.info.created_at),
            expires_at: minted.info.policy.expires_at.map(format_time),
            authorization: Zeroizing::new(format!("Api-Key {secret}")),
        }
    }

    /// Pretty JSON in zeroized memory.
    pub fn to_json(&self) -> Zeroizing<String> {
        let mut buf = Zeroizing::new(Vec::with_capacity(2048));
        // Serialising plain strings and numbers into a Vec cannot fail.
        let _ = serde_json::to_writer_pretty(&mut *buf, self);
        buf.push(b'\n');
        Zeroizing::new(String::from_utf8_lossy(&buf).into_owned())
    }

    /// `<key-name>.keyward.json`, with characters that are awkward in file names replaced.
    pub fn default_file_name(&self) -> String {
        let safe: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!("{}.keyward.json", safe.trim_matches('.'))
    }
}

impl MintedKey {
    /// The `.json` key file (SPEC 5) for this key.
    pub fn key_file(&self) -> KeyFile {
        KeyFile::new(self)
    }
}

/// Writes `contents` to `path` atomically (temp file in the same folder, fsync, rename) with
/// owner-only permissions from the first byte.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    write_file_atomically(path, contents, 0o600)
}

/// Writes `contents` to `path` atomically with the given Unix mode from the first byte (a
/// reader sees the old file or the new one, never half of one).
pub fn write_file_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path.file_name().ok_or_else(|| {
        Error::bad_input("path", format!("{} is not a file path", path.display()))
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode).custom_flags(libc::O_NOFOLLOW);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(&tmp)?;
        #[cfg(unix)]
        {
            // The umask may have taken bits away: the mode asked for is the mode written.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
