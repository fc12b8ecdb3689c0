//! Files and folders created private from their first byte (0600 / 0700 on Unix), never
//! through a symbolic link.

use std::path::Path;

use crate::vault::error::{Error, Result, Thing};

/// Creates `dir` and any missing parents; the ones created here are owner-only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(dir, e))
}

/// Creates an empty file that did not exist (O_EXCL), owner-only, refusing a link in its place.
pub fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::NameTaken {
                what: Thing::File,
                name: path.display().to_string(),
                place: String::new(),
            }
        } else {
            Error::io(path, e)
        }
    })
}

/// Whether users other than the owner can read the file (a warning for `doctor`).
pub fn others_can_read(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.permissions().mode() & 0o077 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_from_the_start_and_no_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).expect("dir");
        let mode = |p: &Path| p.metadata().expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let file = nested.join("v.keyward");
        create_private_file(&file).expect("file");
        assert_eq!(mode(&file), 0o600);
        assert!(!others_can_read(&file));
        assert!(create_private_file(&file).is_err(), "never reused");
        let link = nested.join("link");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).expect("symlink");
        assert!(
            create_private_file(&link).is_err(),
            "a link is not followed"
        );
        assert!(!dir.path().join("elsewhere").exists());
    }
}
