use std::path::PathBuf;

/// What checking can refuse, each with a message a user can act on. The vault maps each one
/// to its own error of the same name and message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A presented key or header that is not a Keyward key (no lookup was made).
    #[error("malformed key: {0}")]
    Malformed(String),
    /// A verifier file that must not be used: unsigned, badly signed, signed by another key,
    /// expired, older than the one loaded, or unreadable.
    #[error("verifier file refused: {0}")]
    Refused(String),
    /// A value given by the caller (a prefix, a public key, a duration) that is not valid.
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
