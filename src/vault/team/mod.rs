//! The people who open a vault and what they hold: `members` and their key slots, the signed
//! `grants` of the data key, the `rekey` that hands everyone a new data key, `unlock` with a
//! member's passphrase, and this machine's `pins` of the vaults it has seen.

pub(super) mod grants;
pub(super) mod members;
pub mod pins;
pub(super) mod rekey;
mod unlock;
