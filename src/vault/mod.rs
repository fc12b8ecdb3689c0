//! The vault core: model, storage, crypto, verification and the activity log. Knows nothing
//! of any user interface; the window and the command line both call this API. The key format,
//! verifier files and the decision are the `keyward-verify` crate's (what services link); this
//! module re-exports them under their old names, and `verify` wraps its `Verifier`.
//!
//! A folder (or a file) per concept, each owning its types and its `impl Vault`: the `Vault`
//! `handle` (and its write transaction); `nodes` (the tree, its scopes); the `keys` (minting,
//! reading, editing and checking them: `keys::verify`); the keyed `activity` chain (and
//! `activity_csv`, its export); the `commitment`
//! to the vault's state; the `team` (members, grants, re-key, unlock, pins); `publishing`
//! (verifier files, their signing key, usage, delivery, exposure); `maintenance` (doctor,
//! backup, health, settings, upgrade, migrate); `crypto`; `outside` files; all SQL is in
//! `store`. This file only wires them: siblings import each other by their own paths.

mod activity;
mod activity_csv;
mod commitment;
mod crypto;
mod error;
mod handle;
mod keys;
mod location;
mod maintenance;
mod model;
mod nodes;
pub mod outside;
mod publishing;
mod records;
mod store;
mod team;
mod time_text;

#[cfg(test)]
mod tests;

pub use team::pins;

#[doc(hidden)]
pub mod fuzzing;

pub use activity::{Action, ActivityEntry, Window as ActivityWindow};
pub use activity_csv::{ACTIVITY_CSV_HEADER, activity_csv};
pub use crypto::KdfParams;
#[cfg(feature = "cli")]
pub(crate) use crypto::{sha256, to_hex};
pub use error::{Error, Result, Thing};
pub use keys::edit::KeyEdit;
pub use keys::filter::{KeyFilter, contains_folded};
pub use keys::keyfile::{KeyFile, write_file_atomically, write_private_file};
pub use keys::lifecycle::{MasterKey, MintedKey, NewKey};
pub use keys::verify::verifier::{Verifier, parse_valid_for, validate_prefix};
pub use location::{is_server_url, redact as redact_location};
pub use maintenance::doctor::DoctorReport;
pub use maintenance::health::{Ack, Finding, FindingKind};
pub use maintenance::migrate::Migrated;
pub use model::{
    EXPIRING_SOON_SECS, Expiry, Grace, KeyDetails, KeyInfo, KeyStatus, MAX_NAME_CHARS, Node,
    NodeId, NodeKind, PassphraseStrength, Preset, Scope, Timestamp, format_date, format_time, now,
    parse_time, status_at, validate_name,
};
pub use publishing::credits_seen::CreditsSeen;
pub use publishing::exposure::Found;
pub use publishing::outcomes::{OUTCOME_DAYS_KEPT, OutcomeDays};
pub use publishing::signing::VerifierKeyInfo;
pub use publishing::targets::{DEFAULT_PUBLISH_MODE, PublishTarget, this_host};
pub use publishing::usage::{DAY_SECS, HOUR_SECS, KeyUsage, KeyUsageRecord, UsageFile, usage_path};
pub use publishing::usage_series::{
    BusyKey, MAX_SERIES_DAYS, OTHER_REASON, UsageDay, UsageSeries, reason_of,
};
pub use store::{LiveEvent, LiveFeed};
pub use team::members::{DEFAULT_MEMBER, MAX_MEMBER_CHARS, Member, validate_member_name};
pub use team::reseal::RekeyProgress;
// The key format, verifier files and the decision are the verifier crate's (what services
// link); the vault's API names them here as before.
pub use handle::{Clock, Vault, display_location};
pub use keyward_verify::{
    CHECKSUM_CHARS, DEFAULT_PREFIX, ExportedVerifier, Outcome, RANDOM_CHARS, Secret, TrustedKey,
    Verification, VerifierEntry, VerifierFile, VerifierPayload, VerifierPrevious, extract_key,
};
