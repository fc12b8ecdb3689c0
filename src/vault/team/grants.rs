//! Data keys handed to members are signed. Sealing a data key to a member's X25519 public key
//! needs no secret, so a slot that merely opens proves nothing: anyone who can write the file
//! (or the team database) could seal a key of their own to a member and read what the member
//! writes afterwards. So every member also has an Ed25519 identity key, its seed wrapped under
//! their passphrase's key beside their X25519 secret, and every data key in a slot carries a
//! grant: the identity signature of the member who gave it, over who it is for and exactly
//! what was sealed.
//!
//! At unlock the receiver accepts a grant only from a member it already trusts: itself (a slot
//! made with its passphrase is self-granted) or a member whose identity this machine pinned on
//! an earlier unlock (`pins.rs`). On a machine with no pin yet, the identity the vault commits
//! for the giver is taken (trust on first use, as SSH does). A slot from before grants opens as
//! before until its member's next unlock adds an identity; once a machine has pinned a
//! member's identity, a slot of theirs without a grant is refused.

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use crate::vault::crypto;

/// What the identity seed is wrapped with (under the member's passphrase key).
pub(in crate::vault) const IDENTITY_AAD: &[u8] = b"keyward/v2/member-identity";
const GRANT_CONTEXT: &[u8] = b"keyward/v2/grant";

/// A member's identity key, opened with their passphrase.
pub(in crate::vault) struct Identity {
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
    /// The slot (by its stored name) this identity belongs to.
    pub slot: String,
}

impl Identity {
    pub fn generate(slot: &str) -> Identity {
        Identity::from_seed(slot, Zeroizing::new(crypto::random_bytes::<32>()))
            .expect("32 random bytes are a valid Ed25519 seed")
    }

    pub fn from_seed(slot: &str, seed: Zeroizing<[u8; 32]>) -> Option<Identity> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).ok()?;
        Some(Identity {
            seed,
            pair,
            slot: slot.to_owned(),
        })
    }

    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public key (hex), as slots, the commitment and pins record it.
    pub fn public_hex(&self) -> String {
        crypto::to_hex(self.pair.public_key().as_ref())
    }

    /// The grant of `sealed` (hex) for a slot.
    pub fn grant(&self, to: &GrantTo<'_>) -> String {
        crypto::to_hex(self.pair.sign(&to.message(&self.slot)).as_ref())
    }
}

/// What a grant is for: the receiving slot and exactly what was sealed to it.
pub(in crate::vault) struct GrantTo<'a> {
    pub slot: &'a str,
    /// The receiver's X25519 public key (hex).
    pub public: &'a str,
    /// The receiver's identity (hex).
    pub identity: &'a str,
    /// The sealed data key (hex).
    pub sealed: &'a str,
}

impl GrantTo<'_> {
    fn message(&self, giver: &str) -> Vec<u8> {
        let mut out = GRANT_CONTEXT.to_vec();
        for part in [self.slot, self.public, self.identity, self.sealed, giver] {
            out.push(0);
            out.extend_from_slice(part.as_bytes());
        }
        out
    }

    /// Whether `grant` (hex) is the signature by `giver` (its slot and identity, hex).
    pub fn verifies(&self, giver_slot: &str, giver_identity: &str, grant: &str) -> bool {
        let (Some(public), Some(signature)) =
            (crypto::from_hex(giver_identity), crypto::from_hex(grant))
        else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, public)
            .verify(&self.message(giver_slot), &signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_verifies_only_for_its_giver_and_what_was_sealed() {
        let alice = Identity::generate("member:a");
        let to = GrantTo {
            slot: "member:b",
            public: "0b",
            identity: "1b",
            sealed: "cafe",
        };
        let grant = alice.grant(&to);
        assert!(to.verifies("member:a", &alice.public_hex(), &grant));
        let mallory = Identity::generate("member:a");
        assert!(!to.verifies("member:a", &mallory.public_hex(), &grant));
        assert!(
            !to.verifies("member:m", &alice.public_hex(), &grant),
            "giver bound in"
        );
        let other = GrantTo {
            sealed: "beef",
            ..to
        };
        assert!(!other.verifies("member:a", &alice.public_hex(), &grant));
        assert!(!other.verifies("member:a", "zz", "zz"));
        let again = Identity::from_seed("member:a", Zeroizing::new(*alice.seed())).expect("seed");
        assert_eq!(again.public_hex(), alice.public_hex());
    }
}
