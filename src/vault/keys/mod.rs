//! API keys: their sealed record and the views derived from it (`record`), minting, rolling, revoking and deleting them (`lifecycle`), reading and listing
//! them (`read`, `walk`, `filter`), editing their details (`edit`), their activity, the
//! downloadable key file, and checking a presented key against the vault or exporting what a
//! service checks keys with (`verify`).

pub(crate) mod activity;
pub(crate) mod edit;
pub(crate) mod filter;
pub(crate) mod keyfile;
pub(crate) mod lifecycle;
pub(crate) mod read;
pub(crate) mod record;
pub(crate) mod verify;
pub(crate) mod walk;
