//! API keys: their sealed record and the views derived from it (`record`, `info`), their
//! expiry and roll grace (`expiry`); minting, rolling, revoking and deleting them
//! (`lifecycle`); reading and listing them (`read`, `walk`, `filter`); editing their details
//! (`edit`); their activity; the downloadable key file; checking a presented key against the
//! vault and exporting what a service checks keys with (`verify`).

pub(crate) mod activity;
pub(crate) mod edit;
pub(crate) mod expiry;
pub(crate) mod filter;
pub(crate) mod info;
pub(crate) mod keyfile;
pub(crate) mod lifecycle;
pub(crate) mod read;
pub(crate) mod record;
pub(crate) mod verify;
pub(crate) mod walk;
