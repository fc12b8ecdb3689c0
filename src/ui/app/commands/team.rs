//! The passphrase and the members: each re-keys the vault, on a worker thread, with the
//! current passphrase typed again.

use zeroize::Zeroizing;

use super::Outcome;
use crate::ui::state::{RekeyJob, Session, TeamCommand, VaultWork};

pub(super) fn run(ctx: &egui::Context, s: &mut Session, command: TeamCommand) -> Outcome {
    let (current, work) = match command {
        TeamCommand::ChangePassphrase { current, new } => {
            (current, VaultWork::ChangePassphrase(new))
        }
        TeamCommand::AddMember {
            current,
            name,
            passphrase,
        } => (current, VaultWork::AddMember { name, passphrase }),
        TeamCommand::RemoveMember { current, name } => (current, VaultWork::RemoveMember(name)),
    };
    start_work(ctx, s, current, work);
    Ok(None)
}

/// Starts work that needs the current passphrase again on a worker thread.
fn start_work(ctx: &egui::Context, s: &mut Session, current: Zeroizing<String>, work: VaultWork) {
    s.dialog_error = None;
    s.rekey = Some(RekeyJob::start(
        ctx,
        s.vault.path().to_owned(),
        s.vault.member().to_owned(),
        current,
        work,
    ));
}
