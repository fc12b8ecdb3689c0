//! What is left of each key's credits, kept in `serve`'s state folder beside the high-water
//! serials, so that a restart does not hand every key its credits again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use keyward_verify::limits::{CreditState, Credits, Limiter};

use crate::vault;

const STATE_TYPE: &str = "keyward.serve_credits";
const STATE_VERSION: u32 = 1;
const FILE_NAME: &str = "serve-credits.json";
/// About 100 bytes a key: room for a million keys with credits.
const MAX_STATE_FILE: u64 = 128 << 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Kept {
    /// The policy the count follows: a key given other credits in the vault starts afresh.
    credits: Credits,
    #[serde(flatten)]
    state: CreditState,
}

#[derive(Default, Serialize, Deserialize)]
struct StateFile {
    #[serde(rename = "type")]
    kind: String,
    version: u32,
    keys: BTreeMap<String, Kept>,
}

/// Where the credits are kept (nowhere without a state folder).
pub struct CreditFile {
    path: Option<PathBuf>,
}

impl CreditFile {
    pub fn in_memory() -> CreditFile {
        CreditFile { path: None }
    }

    /// Reads the credits kept in `dir` into `limiter` (none yet is fine). A file that is not
    /// ours is an error: starting without it would give every key its credits again.
    pub fn open(dir: &Path, limiter: &Limiter) -> Result<CreditFile, String> {
        let path = dir.join(FILE_NAME);
        if std::fs::symlink_metadata(&path).is_ok() {
            let text =
                vault::outside::read_text(&path, MAX_STATE_FILE).map_err(|e| e.to_string())?;
            let file: StateFile = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not a serve credits file: {e}", path.display()))?;
            if file.kind != STATE_TYPE || file.version != STATE_VERSION {
                return Err(format!(
                    "{} is not a serve credits file this build reads",
                    path.display()
                ));
            }
            for (key_id, kept) in file.keys {
                limiter.restore_credits(&key_id, kept.credits, kept.state);
            }
        }
        Ok(CreditFile { path: Some(path) })
    }

    /// Writes every key's credits as they stand (a rename over the old file).
    pub fn save(&self, limiter: &Limiter) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let keys: BTreeMap<String, Kept> = limiter
            .credit_states()
            .into_iter()
            .map(|(id, credits, state)| (id, Kept { credits, state }))
            .collect();
        if keys.is_empty() && std::fs::symlink_metadata(path).is_err() {
            return Ok(());
        }
        let file = StateFile {
            kind: STATE_TYPE.into(),
            version: STATE_VERSION,
            keys,
        };
        let text = serde_json::to_vec(&file).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        vault::write_private_file(path, &text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_verify::limits::KeyLimits;

    #[test]
    fn credits_left_survive_a_restart_and_a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let limits = KeyLimits {
            credits: Some(Credits {
                initial: 10,
                refill: None,
            }),
            ..KeyLimits::default()
        };
        let limiter = Limiter::new();
        let file = CreditFile::open(dir.path(), &limiter).expect("none yet");
        limiter.spend("kid_a", &limits, 4, 1_000);
        file.save(&limiter).expect("saved");
        let again = Limiter::new();
        CreditFile::open(dir.path(), &again).expect("read back");
        let answer = again.spend("kid_a", &limits, 1, 2_000);
        assert_eq!(answer.credits.map(|c| c.remaining), Some(5));
        std::fs::write(
            dir.path().join(FILE_NAME),
            r#"{"type":"x","version":1,"keys":{}}"#,
        )
        .expect("write");
        assert!(CreditFile::open(dir.path(), &Limiter::new()).is_err());
        std::fs::write(dir.path().join(FILE_NAME), "[").expect("write");
        assert!(CreditFile::open(dir.path(), &Limiter::new()).is_err());
    }
}
