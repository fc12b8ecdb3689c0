//! An error at the command-line edge and the exit statuses, as grep's: 0 done or valid, 1 not
//! valid or problems found, 2 error.

use std::process::ExitCode;

use crate::vault::Error;

/// An error at the command-line edge: one line for stderr.
#[derive(Debug)]
pub struct CliError(pub(super) String);

impl CliError {
    pub(super) fn msg(text: impl Into<String>) -> CliError {
        CliError(text.into())
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> CliError {
        CliError(e.to_string())
    }
}

/// A public key or presented key refused by the verifier crate: its message, as the vault's.
impl From<keyward_verify::Error> for CliError {
    fn from(e: keyward_verify::Error) -> CliError {
        CliError(e.to_string())
    }
}

pub(super) type CliResult = Result<ExitCode, CliError>;

pub(super) const EXIT_NOT_VALID: u8 = 1;
pub(super) const EXIT_ERROR: u8 = 2;

pub(super) fn done() -> CliResult {
    Ok(ExitCode::SUCCESS)
}
