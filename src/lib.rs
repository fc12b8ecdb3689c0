//! Keyward: mint, scope, expire, rotate, revoke and verify API keys in one encrypted vault.
//!
//! The [`vault`] module is the whole core (no UI); [`cli`] and [`ui`] are two front ends on it.
//! A service checks keys with [`vault::Vault::verify`] or, without the vault, a
//! [`vault::Verifier`] loaded from an exported verifier file.

pub mod cli;
pub mod ui;
pub mod vault;
