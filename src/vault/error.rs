use std::path::PathBuf;

/// Everything the vault can refuse or fail at, each with a message a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("no vault at {0} (create one with `keyward init`)")]
    NoVault(PathBuf),
    #[error("a vault already exists at {0}")]
    VaultExists(PathBuf),
    #[error("{0} is not a Keyward vault")]
    NotAVault(PathBuf),
    #[error(
        "this vault was written by a newer Keyward (schema {found}, this build reads up to {supported}); upgrade Keyward"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error(
        "the vault file contains schema objects Keyward did not write ({}); refusing to open it",
        .0.join("; ")
    )]
    UnexpectedSchema(Vec<String>),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("malformed key: {0}")]
    Malformed(String),
    /// A record or piece of state that is not what the vault committed. A write over it is
    /// refused with this error too (nothing is written).
    #[error(
        "{0} failed its integrity check (tampered or corrupted); `keyward doctor` names what is wrong"
    )]
    Tampered(String),
    /// A verifier file that must not be used: unsigned, badly signed, signed by another key,
    /// expired, older than the one loaded, or unreadable.
    #[error("verifier file refused: {0}")]
    Refused(String),
    #[error("the vault file is damaged: {0}")]
    Corrupt(String),
    /// Not the vault this machine has seen at this location, or an older state of it.
    #[error("refusing the vault: {0}")]
    VaultChanged(String),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A PostgreSQL server that cannot be reached or refuses us (never with a password).
    #[error("{0}")]
    Server(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The verifier crate's errors are the vault's of the same name, with the same message.
impl From<keyward_verify::Error> for Error {
    fn from(e: keyward_verify::Error) -> Error {
        match e {
            keyward_verify::Error::Malformed(why) => Error::Malformed(why),
            keyward_verify::Error::Refused(why) => Error::Refused(why),
            keyward_verify::Error::Invalid(why) => Error::Invalid(why),
            keyward_verify::Error::Io { path, source } => Error::Io { path, source },
        }
    }
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
