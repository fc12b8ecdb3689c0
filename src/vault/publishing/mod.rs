//! What leaves the vault for services and people: verifier files written to their publish
//! `targets`, the `signing` key that signs them, the `usage` files services write back (with their
//! per-day `outcomes`, read as `usage_series` for charts and tables, and the `credits_seen` left), the
//! `delivery` of a new secret to its user, and secrets found `exposure`d where they should not be.

pub(super) mod credits_seen;
pub(super) mod delivery;
pub(super) mod exposure;
pub(super) mod outcomes;
pub(super) mod signing;
pub(super) mod targets;
pub(super) mod usage;
pub(super) mod usage_series;
