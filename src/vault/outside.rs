//! Files that come from outside (verifier and usage files, key imports, key files, scanned
//! trees, backup sources) are opened in one way: never through a symbolic link, never blocking
//! on a FIFO or a device, only when `fstat` says a regular file, up to a size cap, and read
//! within a deadline. Anything else is a clear error, never a hang. The reader lives in the
//! verifier crate (services read verifier files with it); these give the vault's errors.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use keyward_verify::outside as shared;

use crate::vault::error::Result;

pub use keyward_verify::outside::{MAX_VERIFIER_FILE, READ_DEADLINE};
/// `key import`.
pub const MAX_IMPORT_FILE: u64 = 1 << 30;
/// A downloaded key file is under a kilobyte.
pub const MAX_KEY_FILE: u64 = 1 << 20;

/// Opens `path` for reading: no link followed, no blocking open (a FIFO with no writer
/// returns at once), and only a regular file. Returns the file and its size.
pub fn open(path: &Path) -> Result<(File, u64)> {
    Ok(shared::open(path)?)
}

/// Reads a whole outside file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>> {
    Ok(shared::read(path, limit)?)
}

/// [`read`] as text.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    Ok(shared::read_text(path, limit)?)
}

/// [`read`] with another deadline.
pub fn read_within(path: &Path, limit: u64, deadline: Duration) -> Result<Vec<u8>> {
    Ok(shared::read_within(path, limit, deadline)?)
}
