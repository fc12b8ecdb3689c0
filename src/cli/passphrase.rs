//! Where a passphrase comes from: a file, the environment, or a no-echo prompt on a terminal.

use std::io::IsTerminal;
use std::path::Path;

use zeroize::Zeroizing;

use super::error::CliError;
use crate::vault::PassphraseStrength;

pub const PASSPHRASE_ENV: &str = "KEYWARD_PASSPHRASE";
pub const NEW_PASSPHRASE_ENV: &str = "KEYWARD_NEW_PASSPHRASE";

/// `--passphrase-file`, else `env_var`, else a prompt (twice when `confirm`).
pub fn obtain(
    file: Option<&Path>,
    env_var: &str,
    prompt: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, CliError> {
    if let Some(path) = file {
        let raw = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            CliError::msg(format!(
                "cannot read passphrase file {}: {e}",
                path.display()
            ))
        })?);
        let first = raw.lines().next().unwrap_or("");
        return non_empty(Zeroizing::new(first.to_owned()));
    }
    if let Ok(value) = std::env::var(env_var) {
        return non_empty(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() && !std::io::stderr().is_terminal() {
        return Err(CliError::msg(format!(
            "no passphrase given: use --passphrase-file FILE or set {env_var} (or run in a terminal)"
        )));
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(prompt)
            .map_err(|e| CliError::msg(format!("cannot read the passphrase: {e}")))?,
    );
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("Repeat it: ")
                .map_err(|e| CliError::msg(format!("cannot read the passphrase: {e}")))?,
        );
        if *again != *first {
            return Err(CliError::msg(
                "the two passphrases differ; nothing was changed",
            ));
        }
    }
    non_empty(first)
}

fn non_empty(p: Zeroizing<String>) -> Result<Zeroizing<String>, CliError> {
    if p.is_empty() {
        Err(CliError::msg("the passphrase is empty"))
    } else {
        Ok(p)
    }
}

/// A short warning when a new passphrase is easy to guess.
pub fn weakness(passphrase: &str) -> Option<String> {
    let strength = PassphraseStrength::of(passphrase);
    (strength.score < PassphraseStrength::ACCEPTABLE).then(|| {
        let hint = strength.warning.unwrap_or_else(|| "add more words".into());
        format!("this passphrase is weak ({hint}); anyone with the file can try guesses offline")
    })
}
