//! The people who open a vault and what they hold: `members` and their key slots, the signed
//! `grants` of the data key, the `reseal` of every record under a new data key, `unlock` with a
//! member's passphrase, and this machine's `pins` of the vaults it has seen.

pub(super) mod grants;
pub(super) mod members;
pub mod pins;
pub(super) mod reseal;
mod unlock;
