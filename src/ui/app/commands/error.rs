//! What a command of the window can fail with, shown in the open form or the status bar.

/// Why a command did not happen (or, for [`UiError::Reload`], did but could not be shown).
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// The vault refused or failed, in its own words.
    #[error(transparent)]
    Vault(#[from] crate::vault::Error),
    /// A scope command came with no node selected.
    #[error("select a node first")]
    NoNodeSelected,
    /// The selected node's workspace is not in the tree.
    #[error("the workspace is missing")]
    NoWorkspace,
    /// No native folder dialog can open here (no display).
    #[error("No folder dialog here: type the folder's path")]
    NoFolderDialog,
    /// The folder to scan is not there.
    #[error("{0}: no such file or folder")]
    NoSuchFolder(String),
    /// The change is made, but re-reading the vault to show it failed.
    #[error("{0}")]
    Reload(String),
}

#[cfg(test)]
mod tests {
    use super::UiError;

    #[test]
    fn the_window_shows_the_same_words_as_before_the_errors_were_typed() {
        assert_eq!(UiError::NoNodeSelected.to_string(), "select a node first");
        assert_eq!(UiError::NoWorkspace.to_string(), "the workspace is missing");
        assert_eq!(
            UiError::NoSuchFolder("/no/such".into()).to_string(),
            "/no/such: no such file or folder"
        );
        assert_eq!(
            UiError::NoFolderDialog.to_string(),
            "No folder dialog here: type the folder's path"
        );
        // The vault's own words, unwrapped.
        let vault = crate::vault::Error::not_found(crate::vault::Thing::Key, "kw_x");
        let words = vault.to_string();
        assert_eq!(UiError::from(vault).to_string(), words);
    }
}
