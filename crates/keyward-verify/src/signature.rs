//! Ed25519 signatures of verifier files: the `kwpk_` public key a service trusts, and the
//! signing side the vault opens for an export.

use std::fmt;
use std::str::FromStr;

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use crate::base62::{self, CHECKSUM_CHARS};
use crate::error::{Error, Result};

const KEY_CHARS: usize = 43;

/// A public key that verifier files must be signed with: `kwpk_<43 base62><6 base62 CRC32>`,
/// the same shape as secrets, so a typo or a truncation is refused.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrustedKey([u8; 32]);

impl TrustedKey {
    pub const PREFIX: &'static str = "kwpk_";

    /// Parses `kwpk_…` (surrounding spaces allowed).
    pub fn parse(text: &str) -> Result<TrustedKey> {
        let text = text.trim();
        let bad = |why: &str| Error::Invalid(format!("not a Keyward public key: {why}"));
        let body = text
            .strip_prefix(Self::PREFIX)
            .ok_or_else(|| bad("it must start with kwpk_ (see `keyward verifier-key`)"))?;
        if body.len() != KEY_CHARS + CHECKSUM_CHARS
            || !body.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad(&format!(
                "kwpk_ is followed by {} base62 characters (truncated or extended?)",
                KEY_CHARS + CHECKSUM_CHARS
            )));
        }
        let (key, checksum) = body.split_at(KEY_CHARS);
        if base62::checksum(key) != checksum {
            return Err(bad("its checksum does not match (a typo?)"));
        }
        let bytes = base62::decode(key, 32).ok_or_else(|| bad("it is out of range"))?;
        let mut out = [0u8; 32];
        out.copy_from_slice(&bytes);
        Ok(TrustedKey(out))
    }

    /// Several keys, separated by commas or spaces (`--trust`, `KEYWARD_TRUST`): a vault's
    /// current key and, while services move over after a rotation, the one before.
    pub fn parse_list(text: &str) -> Result<Vec<TrustedKey>> {
        let keys = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .map(TrustedKey::parse)
            .collect::<Result<Vec<_>>>()?;
        if keys.is_empty() {
            return Err(Error::Invalid(
                "no public key given (kwpk_…, see `keyward verifier-key`)".into(),
            ));
        }
        Ok(keys)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> TrustedKey {
        TrustedKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `signature` is this key's Ed25519 signature of exactly `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.0)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Display for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = base62::encode(&self.0, KEY_CHARS);
        write!(f, "{}{key}{}", Self::PREFIX, base62::checksum(&key))
    }
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustedKey({self})")
    }
}

impl FromStr for TrustedKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<TrustedKey> {
        TrustedKey::parse(text)
    }
}

/// The vault's private signing key, opened for one export.
pub struct SigningKey {
    pub vault_id: String,
    pair: Ed25519KeyPair,
}

impl SigningKey {
    pub fn from_seed(vault_id: String, seed: &[u8]) -> Option<SigningKey> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).ok()?;
        Some(SigningKey { vault_id, pair })
    }

    pub fn public(&self) -> TrustedKey {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        TrustedKey(out)
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_roundtrip_and_refuse_typos() {
        let key = TrustedKey([0xa5; 32]);
        let text = key.to_string();
        assert!(text.starts_with("kwpk_"));
        assert_eq!(text.len(), 5 + 49);
        assert_eq!(TrustedKey::parse(&text).expect("parses"), key);
        assert_eq!(
            TrustedKey::parse(&format!("  {text}\n")).expect("trim"),
            key
        );
        for zero_or_max in [[0u8; 32], [0xff; 32]] {
            let k = TrustedKey(zero_or_max);
            assert_eq!(TrustedKey::parse(&k.to_string()).expect("edge"), k);
        }
        let mut typo: Vec<char> = text.chars().collect();
        typo[10] = if typo[10] == 'a' { 'b' } else { 'a' };
        let typo: String = typo.into_iter().collect();
        assert!(TrustedKey::parse(&typo).is_err(), "one changed character");
        assert!(TrustedKey::parse(&text[..text.len() - 1]).is_err());
        assert!(TrustedKey::parse(&text.replace("kwpk_", "kw_")).is_err());
        assert!(TrustedKey::parse("").is_err());
        // 43 'z's is above 2^256: refused even with a right checksum.
        let over = "z".repeat(43);
        assert!(TrustedKey::parse(&format!("kwpk_{over}{}", base62::checksum(&over))).is_err());
    }

    #[test]
    fn a_signature_verifies_only_for_its_key_and_message() {
        let key = SigningKey::from_seed("00".into(), &[3; 32]).expect("key");
        let public = key.public();
        let sig = key.sign(b"payload");
        assert!(public.verifies(b"payload", &sig));
        assert!(!public.verifies(b"payloaD", &sig));
        let other = SigningKey::from_seed("00".into(), &[4; 32]).expect("key");
        assert!(!other.public().verifies(b"payload", &sig));
        assert!(!public.verifies(b"payload", &sig[..63]), "a cut signature");
    }
}
