//! Keyward: mint, scope, expire, rotate, revoke and verify API keys in one encrypted vault.
//!
//! The [`vault`] module is the whole core (no UI); `cli` and `ui` are two front ends on it,
//! behind the `cli` and `window` features, and `serve` (`keyward serve`, HTTP over verifier
//! files) is behind the `serve` feature; all three are on by default. A service checks keys with
//! [`vault::Vault::verify`] or, without the vault, a [`vault::Verifier`] loaded from an exported
//! verifier file. The key format, verifier files and the decision are the `keyward-verify`
//! crate's: a service that only checks keys depends on it alone (no database is built).

#[cfg(feature = "cli")]
pub mod cli;
pub mod numbers;
#[cfg(any(feature = "cli", feature = "window"))]
pub mod scan;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(feature = "window")]
pub mod ui;
pub mod vault;

/// The reverse-DNS application id: the name of `assets/<APP_ID>.desktop`, its icon's name, and
/// what the window gives the desktop as its Wayland app id and X11 WM_CLASS (they must match
/// for the desktop to put the window under the launcher's icon).
pub const APP_ID: &str = "dev.keyward.Keyward";
