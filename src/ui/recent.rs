//! Vaults opened before, newest first, each with when it was last used: kept in the window's
//! settings storage (paths and times only, never anything from inside a vault) and offered on
//! the unlock screen and in the Vault menu.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::vault::Timestamp;

pub const STORAGE_KEY: &str = "keyward.recent_vaults";

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RecentVaults {
    pub paths: Vec<PathBuf>,
    /// When each was last opened, unlocked or left for another (settings from before this
    /// field have none: no time is shown).
    pub used_at: BTreeMap<PathBuf, Timestamp>,
}

impl RecentVaults {
    pub const MAX: usize = 8;

    /// Puts `path` first, used at `now`.
    pub fn remember(&mut self, path: &Path, now: Timestamp) {
        // A server URL may carry a password: it is never written to the settings file.
        if crate::vault::Vault::is_server_location(path) {
            return;
        }
        self.paths.retain(|p| p != path);
        self.paths.insert(0, path.to_owned());
        self.paths.truncate(Self::MAX);
        self.used_at.insert(path.to_owned(), now);
        let paths = &self.paths;
        self.used_at.retain(|p, _| paths.contains(p));
    }

    pub fn forget(&mut self, path: &Path) {
        self.paths.retain(|p| p != path);
        self.used_at.remove(path);
    }

    /// When `path` was last used, if that is known.
    pub fn last_use(&self, path: &Path) -> Option<Timestamp> {
        self.used_at.get(path).copied()
    }

    /// The vaults to offer besides `current`: those whose file is still there.
    pub fn others<'a>(&'a self, current: &'a Path) -> impl Iterator<Item = &'a PathBuf> + 'a {
        self.paths
            .iter()
            .filter(move |p| p.as_path() != current && p.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_without_duplicates_and_bounded() {
        let mut r = RecentVaults::default();
        for i in 0..12 {
            r.remember(Path::new(&format!("/v/{i}.keyward")), i);
        }
        r.remember(Path::new("/v/5.keyward"), 100);
        assert_eq!(r.paths.len(), RecentVaults::MAX);
        assert_eq!(r.paths[0], Path::new("/v/5.keyward"));
        assert_eq!(r.paths[1], Path::new("/v/11.keyward"));
        assert_eq!(
            r.paths.iter().filter(|p| p.ends_with("5.keyward")).count(),
            1
        );
        assert_eq!(r.last_use(Path::new("/v/5.keyward")), Some(100));
        assert_eq!(
            r.used_at.len(),
            RecentVaults::MAX,
            "times of dropped vaults go too"
        );
        r.forget(Path::new("/v/5.keyward"));
        assert_eq!(r.paths[0], Path::new("/v/11.keyward"));
        assert_eq!(r.last_use(Path::new("/v/5.keyward")), None);
    }
}
