//! The types every view shares: the unlocked [`Session`], the [`Settings`], the [`Command`]s
//! drawing collects, the [`Dialog`] trait every dialog implements, the shown secret and the
//! re-key job. Views depend on these, the shell depends on the views, and nothing here depends
//! on a view or on the shell.

mod command;
mod dialog;
mod key_view;
mod live;
mod rekey;
mod scan;
mod secret;
mod session;
mod settings;

pub use command::{
    BulkChange, Command, HealthCommand, KeyCommand, NodeCommand, ScanCommand, SecretCommand,
    SettingsCommand, Status, TeamCommand, VaultCommand, ViewCommand,
};
pub use dialog::Dialog;
pub use key_view::{KeyView, KeyViews};
pub use live::{Live, LiveTick};
pub use rekey::{RekeyJob, VaultWork};
pub use scan::{ScanJob, ScanState};
pub use secret::{SecretDialog, Waiting};
pub use session::{Page, Session, Tab};
pub use settings::Settings;
