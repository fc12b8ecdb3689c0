//! Vaults opened before, newest first: kept in the window's settings storage (paths only, never
//! anything from inside a vault) and offered on the unlock screen.

use std::path::{Path, PathBuf};

pub const STORAGE_KEY: &str = "keyward.recent_vaults";

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RecentVaults {
    pub paths: Vec<PathBuf>,
}

impl RecentVaults {
    pub const MAX: usize = 8;

    /// Puts `path` first.
    pub fn remember(&mut self, path: &Path) {
        // A server URL may carry a password: it is never written to the settings file.
        if crate::vault::Vault::is_server_location(path) {
            return;
        }
        self.paths.retain(|p| p != path);
        self.paths.insert(0, path.to_owned());
        self.paths.truncate(Self::MAX);
    }

    pub fn forget(&mut self, path: &Path) {
        self.paths.retain(|p| p != path);
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
            r.remember(Path::new(&format!("/v/{i}.keyward")));
        }
        r.remember(Path::new("/v/5.keyward"));
        assert_eq!(r.paths.len(), RecentVaults::MAX);
        assert_eq!(r.paths[0], Path::new("/v/5.keyward"));
        assert_eq!(r.paths[1], Path::new("/v/11.keyward"));
        assert_eq!(
            r.paths.iter().filter(|p| p.ends_with("5.keyward")).count(),
            1
        );
        r.forget(Path::new("/v/5.keyward"));
        assert_eq!(r.paths[0], Path::new("/v/11.keyward"));
    }
}
