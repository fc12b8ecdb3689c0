//! Why `serve` could not start or keep listening.

use std::path::PathBuf;

use crate::vault;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("give at least one --verifier FILE")]
    NoVerifier,
    /// An option that does not read (`--trusted-proxy` that is not a network, …).
    #[error("{0}")]
    Config(String),
    #[error(
        "--trust (or KEYWARD_TRUST) must be the vault's public key, kwpk_… (see `keyward verifier-key`)"
    )]
    NoTrust,
    #[error("cannot load {path}: {source}")]
    Load { path: PathBuf, source: vault::Error },
    #[error("cannot listen on {listen}: {source}")]
    Listen {
        listen: String,
        source: std::io::Error,
    },
    #[error("cannot open the access log: {0}")]
    AccessLog(std::io::Error),
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Fleet(super::fleet::FleetError),
    #[error("serve state: {0} (--state-dir names another folder)")]
    State(String),
    #[error(
        "refusing {path}: its serial {serial} is lower than the {highest} already served for {node} of vault {vault_id}: an older file was put back (start with --accept-older-serial to serve it anyway)"
    )]
    OlderSerial {
        path: PathBuf,
        serial: u64,
        highest: u64,
        node: String,
        vault_id: String,
    },
}
