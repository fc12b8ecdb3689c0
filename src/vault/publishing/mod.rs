//! What leaves the vault for services and people: verifier files written to their publish
//! `targets`, the `signing` key that signs them, the `usage` files services write back, the
//! `delivery` of a new secret to its user, and secrets found `exposure`d where they should not be.

pub(super) mod delivery;
pub(super) mod exposure;
pub(super) mod signing;
pub(super) mod targets;
pub(super) mod usage;
