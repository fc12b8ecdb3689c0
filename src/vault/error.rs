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
    /// A member, scope, node, key, publish target or finding that is not there.
    #[error("{} not found", what.show(name))]
    NotFound { what: Thing, name: String },
    /// A name already used where it must be unique; `place` ends the sentence for nodes
    /// ("in Acme", "there").
    #[error("{}", what.taken(name, place))]
    NameTaken {
        what: Thing,
        name: String,
        place: String,
    },
    /// The store's unique violation: a row whose name (or other unique tag) is already there.
    /// The store cannot read names; its callers turn this into [`Error::NameTaken`].
    #[error("the name is already taken here")]
    Duplicate,
    /// Several members can unlock this vault and none was named.
    #[error(
        "this vault has {members} members: say which you are with --member NAME or KEYWARD_MEMBER"
    )]
    MemberRequired { members: usize },
    /// Input refused before anything is written: `field` names what was given, `why` is the
    /// whole sentence shown.
    #[error("{why}")]
    BadInput { field: &'static str, why: String },
    /// A step refused in the vault's present state (removing yourself, moving an unhealthy
    /// vault, a team step before the members list exists, an upgrade without its backup).
    #[error("{0}")]
    NotAllowed(String),
    /// A deletion that takes more with it than asked; `--force` confirms it.
    #[error("{0}")]
    ForceRequired(String),
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
    /// A part of the vault that cannot be read or written as it is: `part` names it (the KDF
    /// parameters, a member slot, the commitment, a record's version ...), `why` says what.
    #[error("the vault file is damaged: {why}")]
    Damaged { part: &'static str, why: String },
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

/// The verifier crate's errors are the vault's of the same name, with the same message; its
/// `Invalid` (a value the caller gave) is [`Error::BadInput`].
impl From<keyward_verify::Error> for Error {
    fn from(e: keyward_verify::Error) -> Error {
        match e {
            keyward_verify::Error::Malformed(why) => Error::Malformed(why),
            keyward_verify::Error::Refused(why) => Error::Refused(why),
            keyward_verify::Error::Invalid(why) => Error::bad_input("input", why),
            keyward_verify::Error::Io { path, source } => Error::Io { path, source },
        }
    }
}

/// The exit status of a command that failed (SPEC: 0 valid, 1 not valid, 2 error).
const EXIT_ERROR: u8 = 2;

impl Error {
    /// A stable machine name for the kind of failure, for scripts (`--json`) and callers that
    /// must not parse messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::WrongPassphrase => "wrong_passphrase",
            Error::NoVault(_) => "no_vault",
            Error::VaultExists(_) => "vault_exists",
            Error::NotAVault(_) => "not_a_vault",
            Error::NewerSchema { .. } => "newer_schema",
            Error::UnexpectedSchema(_) => "unexpected_schema",
            Error::BadInput { .. } => "bad_input",
            Error::NotFound { .. } => "not_found",
            Error::NameTaken { .. } | Error::Duplicate => "name_taken",
            Error::MemberRequired { .. } => "member_required",
            Error::NotAllowed(_) => "not_allowed",
            Error::ForceRequired(_) => "force_required",
            Error::Malformed(_) => "malformed",
            Error::Tampered(_) => "tampered",
            Error::Refused(_) => "refused",
            Error::Damaged { .. } => "damaged",
            Error::VaultChanged(_) => "vault_changed",
            Error::Storage(_) => "storage",
            Error::Server(_) => "server",
            Error::Io { .. } => "io",
        }
    }

    /// The process exit status for this failure: every vault error is an error (2), never
    /// "not valid" (1), which only a verification's outcome gives.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::WrongPassphrase
            | Error::NoVault(_)
            | Error::VaultExists(_)
            | Error::NotAVault(_)
            | Error::NewerSchema { .. }
            | Error::UnexpectedSchema(_)
            | Error::BadInput { .. }
            | Error::NotFound { .. }
            | Error::NameTaken { .. }
            | Error::Duplicate
            | Error::MemberRequired { .. }
            | Error::NotAllowed(_)
            | Error::ForceRequired(_)
            | Error::Malformed(_)
            | Error::Tampered(_)
            | Error::Refused(_)
            | Error::Damaged { .. }
            | Error::VaultChanged(_)
            | Error::Storage(_)
            | Error::Server(_)
            | Error::Io { .. } => EXIT_ERROR,
        }
    }

    pub(crate) fn not_found(what: Thing, name: impl Into<String>) -> Error {
        Error::NotFound {
            what,
            name: name.into(),
        }
    }

    pub(crate) fn name_taken(
        what: Thing,
        name: impl Into<String>,
        place: impl Into<String>,
    ) -> Error {
        Error::NameTaken {
            what,
            name: name.into(),
            place: place.into(),
        }
    }

    pub(crate) fn not_allowed(why: impl Into<String>) -> Error {
        Error::NotAllowed(why.into())
    }

    pub(crate) fn bad_input(field: &'static str, why: impl Into<String>) -> Error {
        Error::BadInput {
            field,
            why: why.into(),
        }
    }

    pub(crate) fn damaged(part: &'static str, why: impl Into<String>) -> Error {
        Error::Damaged {
            part,
            why: why.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// What a [`Error::NotFound`] or [`Error::NameTaken`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thing {
    Member,
    Scope,
    /// A node named by its path.
    Path,
    /// A node named by its number.
    Node,
    Workspace,
    Project,
    Environment,
    Key,
    PublishTarget,
    /// A health finding, named "'kind' finding for subject".
    Finding,
    File,
}

impl Thing {
    /// The node kind's own word, for a name taken among nodes.
    pub(crate) fn of_noun(noun: &str) -> Thing {
        match noun {
            "workspace" => Thing::Workspace,
            "project" => Thing::Project,
            _ => Thing::Environment,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Thing::Member => "member",
            Thing::Scope => "scope",
            Thing::Path | Thing::Node => "node",
            Thing::Workspace => "workspace",
            Thing::Project => "project",
            Thing::Environment => "environment",
            Thing::Key => "key",
            Thing::PublishTarget => "publish target",
            Thing::Finding => "finding",
            Thing::File => "file",
        }
    }

    /// How a missing one is named in a message (these texts are what users and tests read).
    fn show(self, name: &str) -> String {
        match self {
            Thing::Member | Thing::PublishTarget => format!("{} {name}", self.noun()),
            Thing::Scope | Thing::Key => format!("{} '{name}'", self.noun()),
            Thing::Path => format!("'{name}'"),
            Thing::Node => format!("node #{name}"),
            Thing::Finding => format!("a {name}"),
            Thing::Workspace | Thing::Project | Thing::Environment | Thing::File => {
                format!("{} {name}", self.noun())
            }
        }
    }

    fn taken(self, name: &str, place: &str) -> String {
        match self {
            Thing::Member => format!("member {name} already exists"),
            Thing::Scope => format!("scope '{name}' already exists"),
            Thing::PublishTarget => format!("{name} is a publish target already"),
            Thing::File | Thing::Path => format!("{name} already exists"),
            _ => format!("a {} named '{name}' already exists {place}", self.noun()),
        }
    }
}
