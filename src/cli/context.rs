//! What every command runs with: the vault's path, the global options, and the output (JSON
//! or text, the first failed write kept for `launch` to report).

use std::cell::RefCell;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::args::Global;
use super::error::{CliError, CliResult, done};
use super::output::{self, report_warning};
use super::passphrase::{self, PASSPHRASE_ENV};
use super::render;
use crate::vault::{Error, Vault};

/// `--json` was given: for warnings printed where no `Context` is at hand.
pub(super) static JSON_REQUESTED: AtomicBool = AtomicBool::new(false);

/// A command's surroundings: where the vault is and how to answer.
pub(super) struct Context {
    pub(super) vault_path: PathBuf,
    pub(super) global: Global,
    /// The first failed write to stdout; later output is skipped.
    pub(super) output_failed: RefCell<Option<std::io::Error>>,
}

impl Context {
    pub(super) fn passphrase(&self) -> Result<zeroize::Zeroizing<String>, CliError> {
        passphrase::obtain(
            self.global.passphrase_file.as_deref(),
            PASSPHRASE_ENV,
            "Vault passphrase: ",
            false,
        )
    }

    pub(super) fn open(&self) -> Result<Vault, CliError> {
        self.open_with(&self.passphrase_for_existing()?)
    }

    /// Checks the vault exists before asking for a passphrase nobody could use.
    pub(super) fn passphrase_for_existing(&self) -> Result<zeroize::Zeroizing<String>, CliError> {
        if !Vault::exists(&self.vault_path) {
            return Err(Error::NoVault(self.vault_path.clone()).into());
        }
        self.passphrase()
    }

    pub(super) fn open_with(&self, passphrase: &str) -> Result<Vault, CliError> {
        if self.global.accept_vault_change && Vault::accept_vault_change(&self.vault_path)? {
            self.warn("taking the vault as it is now (this machine's record of it was replaced)");
        }
        Ok(Vault::open_as(
            &self.vault_path,
            self.global.member.as_deref(),
            passphrase,
        )?)
    }

    pub(super) fn json(&self) -> bool {
        self.global.json
    }

    pub(super) fn warn(&self, message: &str) {
        report_warning(self.json(), message);
    }

    /// Writes `bytes` to stdout as they are (a generated script or page).
    pub(super) fn write_raw(&self, bytes: &[u8]) {
        if self.output_failed.borrow().is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
            self.output_failed(e);
        }
    }

    /// Keeps the first failed write for `launch` to report.
    pub(super) fn output_failed(&self, e: io::Error) {
        self.output_failed.borrow_mut().get_or_insert(e);
    }

    /// Prints `value` as JSON, or `text` for people. A failed write is kept for `launch` to
    /// report (a closed pipe ends the command quietly); nothing is printed after it.
    pub(super) fn print(&self, value: serde_json::Value, text: impl FnOnce() -> String) {
        if self.output_failed.borrow().is_some() {
            return;
        }
        let text = if self.json() {
            render::pretty(&value)
        } else {
            text()
        };
        if text.is_empty() {
            return;
        }
        if let Err(e) = output::stdout_line(&text) {
            *self.output_failed.borrow_mut() = Some(e);
        }
    }
}

/// Done, after saying which publish targets the change could not rewrite (the change itself
/// is committed).
pub(super) fn finished(v: &Vault) -> CliResult {
    for problem in v.take_publish_errors() {
        report_warning(JSON_REQUESTED.load(Ordering::Relaxed), &problem);
    }
    done()
}
