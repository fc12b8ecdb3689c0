//! Keeping a vault sound over time: `doctor` and backups, the `health` report and its
//! acknowledgements, the committed `settings`, the `upgrade` of older formats and the
//! `migrate` between a file and a server.

pub(super) mod doctor;
pub(super) mod health;
pub(super) mod migrate;
pub(super) mod settings;
pub(super) mod upgrade;
