//! Files that come from outside (verifier and usage files, key imports, key files, scanned
//! trees, backup sources) are opened in one way: never through a symbolic link, never blocking
//! on a FIFO or a device, only when `fstat` says a regular file, up to a size cap, and read
//! within a deadline. Anything else is a clear error, never a hang. The vault reads its other
//! outside files through this too.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Verifier files: a million keys is about 150 MB.
pub const MAX_VERIFIER_FILE: u64 = 512 << 20;
/// How long one whole read may take before it is given up.
pub const READ_DEADLINE: Duration = Duration::from_secs(30);

/// Reads in pieces of this size, looking at the clock between them.
const CHUNK: usize = 1 << 20;

/// What a file was refused for (the `Io` error's source says which).
fn refused(path: &Path, why: String) -> Error {
    Error::io(path, std::io::Error::other(why))
}

/// Opens `path` for reading: no link followed, no blocking open (a FIFO with no writer
/// returns at once), and only a regular file. Returns the file and its size.
pub fn open(path: &Path) -> Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return refused(path, "is a symbolic link, which is not followed".into());
        }
        Error::io(path, e)
    })?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        let kind = describe(&meta.file_type());
        return Err(refused(path, format!("is {kind}, not a regular file")));
    }
    #[cfg(unix)]
    clear_nonblocking(&file);
    Ok((file, meta.len()))
}

/// Regular files ignore O_NONBLOCK; it is cleared anyway so nothing later depends on it.
#[cfg(unix)]
pub fn clear_nonblocking(file: &File) {
    use std::os::fd::AsRawFd as _;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function's caller owns; failure leaves it as it was.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
}

fn describe(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// Reads a whole outside file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>> {
    read_within(path, limit, READ_DEADLINE)
}

/// [`read`] as text.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|_| refused(path, "is not UTF-8 text".into()))
}

/// [`read`] with another deadline.
pub fn read_within(path: &Path, limit: u64, deadline: Duration) -> Result<Vec<u8>> {
    let (file, len) = open(path)?;
    if len > limit {
        return Err(too_large(path, limit));
    }
    let started = Instant::now();
    // The size can change while it is read: never more than the cap, whatever `len` said.
    let mut bytes = Vec::with_capacity(len.min(limit) as usize);
    let mut reader = file.take(limit + 1);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() as u64 > limit {
            return Err(too_large(path, limit));
        }
        if started.elapsed() > deadline {
            return Err(refused(
                path,
                format!("could not be read within {} s", deadline.as_secs()),
            ));
        }
    }
    Ok(bytes)
}

fn too_large(path: &Path, limit: u64) -> Error {
    refused(
        path,
        format!("is larger than {}; refusing to read it", size_text(limit)),
    )
}

/// `512 MiB`, `1.5 KiB`: the cap in a refusal.
fn size_text(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if n >= unit {
            let tenths = n * 10 / unit;
            return if tenths.is_multiple_of(10) {
                format!("{} {name}", tenths / 10)
            } else {
                format!("{}.{} {name}", tenths / 10, tenths % 10)
            };
        }
    }
    match n {
        1 => "1 byte".to_owned(),
        1_000.. => format!("{},{:03} bytes", n / 1_000, n % 1_000),
        _ => format!("{n} bytes"),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_fifos_folders_and_large_files_are_refused_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f.json");
        std::fs::write(&file, b"{}").expect("write");
        assert_eq!(read(&file, 10).expect("reads"), b"{}");
        assert!(read(&file, 1).is_err_and(|e| e.to_string().contains("larger than")));

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        assert!(read(&link, 10).is_err_and(|e| e.to_string().contains("symbolic link")));

        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let started = Instant::now();
        assert!(read(&fifo, 10).is_err_and(|e| e.to_string().contains("FIFO")));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "no wait for a writer"
        );

        assert!(read(dir.path(), 10).is_err_and(|e| e.to_string().contains("folder")));
        assert!(read(Path::new("/dev/zero"), 10).is_err_and(|e| e.to_string().contains("device")));
        assert!(read_text(&file, 10).is_ok());
        std::fs::write(&file, [0xff, 0xfe]).expect("write");
        assert!(read_text(&file, 10).is_err_and(|e| e.to_string().contains("UTF-8")));
    }
}
