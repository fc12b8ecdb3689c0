//! The people who open a vault and what they hold: `members` and their key `slot`s, the signed
//! `grants` of the data key, the `rekey` that gives everyone a new one (`reseal` re-seals every
//! record under it), `unlock` with a member's passphrase, and this machine's `pins` of the
//! vaults it has seen.

pub(super) mod grants;
pub(super) mod members;
pub mod pins;
pub(super) mod rekey;
pub(super) mod reseal;
pub(super) mod slot;
mod unlock;
