//! The highest serial `serve` has loaded for each (vault id, node), kept in a small private
//! state file so that a restart refuses a verifier file older than one already served (a
//! file from before a revoke, put back while `serve` was down), as a running `serve` does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::vault;

use super::lock::lock;

const STATE_TYPE: &str = "keyward.serve_state";
const STATE_VERSION: u32 = 1;
const FILE_NAME: &str = "serve-serials.json";
/// A state file is a few lines per verifier file; anything larger is not ours.
const MAX_STATE_FILE: u64 = 1 << 20;

#[derive(Default, Serialize, Deserialize)]
struct StateFile {
    #[serde(rename = "type")]
    kind: String,
    version: u32,
    /// `vault_id:node` → the highest serial loaded.
    serials: BTreeMap<String, u64>,
}

/// The state folder when none is given: the OS state (or local data) folder for Keyward.
pub fn default_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "Keyward")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .join("serve"),
    )
}

/// High-water serials, in memory and (when a folder is known) on disk.
pub struct HighWater {
    path: Option<PathBuf>,
    serials: Mutex<BTreeMap<String, u64>>,
}

fn slot(vault_id: &str, node: &str) -> String {
    format!("{vault_id}:{node}")
}

impl HighWater {
    /// Only in memory: nothing survives a restart.
    pub fn in_memory() -> HighWater {
        HighWater {
            path: None,
            serials: Mutex::new(BTreeMap::new()),
        }
    }

    /// Reads the state file in `dir` (none yet is fine). A file that is not ours, or
    /// unreadable, is an error: starting without it would forget what it guards against.
    pub fn open(dir: &Path) -> Result<HighWater, String> {
        let path = dir.join(FILE_NAME);
        let serials = read(&path)?;
        Ok(HighWater {
            path: Some(path),
            serials: Mutex::new(serials),
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The highest serial loaded for this vault and node, if any.
    pub fn highest(&self, vault_id: &str, node: &str) -> Option<u64> {
        lock(&self.serials).get(&slot(vault_id, node)).copied()
    }

    /// Records `serial` as loaded: raised when higher, or set whatever it was when `force`
    /// (an operator going back on purpose). Written to disk at once.
    pub fn record(
        &self,
        vault_id: &str,
        node: &str,
        serial: u64,
        force: bool,
    ) -> Result<(), String> {
        let key = slot(vault_id, node);
        let mut serials = lock(&self.serials);
        let current = serials.get(&key).copied();
        if current.is_some_and(|c| c >= serial) && !force {
            return Ok(());
        }
        serials.insert(key.clone(), serial);
        let Some(path) = &self.path else {
            return Ok(());
        };
        // Another `serve` may share the folder: keep the higher of both for every other slot.
        let mut on_disk = read(path).unwrap_or_default();
        for (k, v) in serials.iter() {
            let entry = on_disk.entry(k.clone()).or_insert(*v);
            if *v > *entry || k == &key {
                *entry = *v;
            }
        }
        let file = StateFile {
            kind: STATE_TYPE.into(),
            version: STATE_VERSION,
            serials: on_disk,
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        vault::write_private_file(path, &text).map_err(|e| e.to_string())
    }
}

fn read(path: &Path) -> Result<BTreeMap<String, u64>, String> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(BTreeMap::new());
    }
    let text = vault::outside::read_text(path, MAX_STATE_FILE).map_err(|e| e.to_string())?;
    let file: StateFile = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a serve state file: {e}", path.display()))?;
    if file.kind != STATE_TYPE || file.version != STATE_VERSION {
        return Err(format!(
            "{} is not a serve state file this build reads (type {}, version {})",
            path.display(),
            file.kind,
            file.version
        ));
    }
    Ok(file.serials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_survive_a_restart_and_only_rise_unless_forced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = HighWater::open(dir.path()).expect("new");
        assert_eq!(state.highest("v1", "acme"), None);
        state.record("v1", "acme", 12, false).expect("record");
        state
            .record("v1", "acme", 10, false)
            .expect("lower is ignored");
        state.record("v1", "", 3, false).expect("record");
        let again = HighWater::open(dir.path()).expect("reopen");
        assert_eq!(again.highest("v1", "acme"), Some(12));
        assert_eq!(again.highest("v1", ""), Some(3));
        assert_eq!(again.highest("v2", "acme"), None);
        again.record("v1", "acme", 10, true).expect("forced");
        assert_eq!(
            HighWater::open(dir.path())
                .expect("reopen")
                .highest("v1", "acme"),
            Some(10)
        );
        std::fs::write(dir.path().join(FILE_NAME), "[1,2]").expect("write");
        assert!(HighWater::open(dir.path()).is_err_and(|e| e.contains("not a serve state")));
    }
}
