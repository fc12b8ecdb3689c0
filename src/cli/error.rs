//! An error at the command-line edge and the exit statuses, as grep's: 0 done or valid, 1 not
//! valid or problems found, 2 error.

use std::process::ExitCode;

use crate::vault::Error;

/// An error at the command-line edge: one line for stderr, its machine name (`Error::kind`,
/// or "error", "usage", "io" for the command line's own) and its exit status.
#[derive(Debug)]
pub struct CliError {
    pub(super) message: String,
    pub(super) kind: &'static str,
    pub(super) code: u8,
}

impl CliError {
    pub(super) fn msg(text: impl Into<String>) -> CliError {
        CliError::of_kind("error", text)
    }

    pub(super) fn of_kind(kind: &'static str, text: impl Into<String>) -> CliError {
        CliError {
            message: text.into(),
            kind,
            code: EXIT_ERROR,
        }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> CliError {
        CliError {
            message: e.to_string(),
            kind: e.kind(),
            code: e.exit_code(),
        }
    }
}

/// A public key or presented key refused by the verifier crate: its message, as the vault's.
impl From<keyward_verify::Error> for CliError {
    fn from(e: keyward_verify::Error) -> CliError {
        Error::from(e).into()
    }
}

pub(super) type CliResult = Result<ExitCode, CliError>;

pub(super) const EXIT_NOT_VALID: u8 = 1;
pub(super) const EXIT_ERROR: u8 = 2;

pub(super) fn done() -> CliResult {
    Ok(ExitCode::SUCCESS)
}
