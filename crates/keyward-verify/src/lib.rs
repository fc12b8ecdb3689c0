//! Checking Keyward API keys in a service, without the vault: the key format (prefix, base62,
//! checksum) and how a presented key or `Authorization` header is read, the signed verifier
//! file (its format, its limits, its Ed25519 signature by a trusted `kwpk_` key), and the
//! decision with its result codes (`valid`, `malformed`, `not_found`, `revoked`, `expired`,
//! `insufficient_scope`, `tampered`, and for keys with limits `forbidden`, `rate_limited`,
//! `usage_exceeded`). Rate limits and credits are counted in the process that checks
//! ([`limits::Limiter`]); `keyward serve --limits redis://…` shares them across a fleet.
//!
//! It depends on ring and serde_json and nothing that builds a database: this is what a
//! service links. The `keyward` crate (the vault, the command line, the window and `serve`)
//! uses it for the same answers.
//!
//! A service loads the verifier file that `keyward export-verifier` (or a publish target)
//! writes, trusting the vault's public key from `keyward verifier-key`, and checks each
//! request's key in memory:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use keyward_verify::{Secret, SigningKey, VerifierEntry, VerifierFile, VerifierPayload};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("acme.verifier.json");
//! # let signer = SigningKey::from_seed("00".repeat(16), &[7; 32]).expect("a seed");
//! # let secret = Secret::generate("acme");
//! # let payload = VerifierPayload {
//! #     kind: VerifierFile::TYPE.into(), version: 2, // 3 when a key carries limits
//! #     vault_id: "00".repeat(16), node: "acme".into(), serial: 1,
//! #     exported_at: keyward_verify::now(), valid_until: None,
//! #     keys: vec![VerifierEntry {
//! #         key_id: "kid_1".into(), sha256: keyward_verify::hex::to_hex(&secret.sha256()),
//! #         policy: keyward_verify::Policy { scopes: vec!["write".into()], ..Default::default() },
//! #         previous: None,
//! #     }],
//! # };
//! # std::fs::write(&path, VerifierFile::sign(&payload, &signer)?.to_json())?;
//! # let trust = signer.public().to_string();
//! # let authorization = format!("Authorization: Api-Key {}", secret.expose());
//! use keyward_verify::{Outcome, TrustedKey, Verifier};
//!
//! let trusted = TrustedKey::parse(&trust)?; // kwpk_…, from `keyward verifier-key`
//! let mut verifier = Verifier::load(&path, &trusted)?;
//!
//! let check = verifier.verify(&authorization, &["write"]);
//! if !check.is_valid() {
//!     // malformed / not_found / revoked / expired / insufficient_scope
//!     return Err(check.result.as_str().into());
//! }
//! let check = verifier.verify(&authorization, &["admin"]);
//! assert_eq!(check.result, Outcome::InsufficientScope);
//!
//! // When the file changes: a newer file replaces the snapshot (Ok(true)); an older serial,
//! // a bad signature, another node or an expired file is refused (Err) and the snapshot stays.
//! verifier.reload(&path)?;
//! # Ok(())
//! # }
//! ```

pub mod base62;
mod decision;
mod error;
mod file;
pub mod hex;
mod key;
pub mod limits;
pub mod outside;
mod policy;
mod signature;
pub mod time;
mod verifier;

pub use decision::{CreditReport, LimitReport, Outcome, RateReport, Request, Verification};
pub use error::{Error, Result};
pub use file::{
    ExportedVerifier, VerifierEntry, VerifierFile, VerifierPayload, VerifierPrevious,
    parse_valid_for,
};
pub use key::{
    CHECKSUM_CHARS, DEFAULT_PREFIX, RANDOM_BYTES, RANDOM_CHARS, Secret, extract_key,
    validate_prefix,
};
pub use policy::{Policy, Rolled};
pub use signature::{SigningKey, TrustedKey};
pub use time::{Timestamp, format_time, now};
pub use verifier::{Decided, Verifier};
