//! Key derivation, sealing and hashing. Everything cryptographic goes through here.

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::{Error, Result};

const SEAL_VERSION: u8 = 1;
pub const SALT_LEN: usize = 16;

/// Argon2id parameters, stored in the vault file so it can always be opened again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            passes: 3,
            lanes: 1,
        }
    }
}

impl KdfParams {
    pub const MIN_MEMORY_MIB: u32 = 8;
    pub const MIN_PASSES: u32 = 1;

    /// Builds parameters from the user-facing units, refusing values below the floor.
    pub fn new(memory_mib: u32, passes: u32) -> Result<KdfParams> {
        if !(Self::MIN_MEMORY_MIB..=4096).contains(&memory_mib) {
            return Err(Error::Invalid(format!(
                "KDF memory must be between {} and 4096 MiB",
                Self::MIN_MEMORY_MIB
            )));
        }
        if !(Self::MIN_PASSES..=64).contains(&passes) {
            return Err(Error::Invalid("KDF passes must be between 1 and 64".into()));
        }
        Ok(KdfParams {
            memory_kib: memory_mib * 1024,
            passes,
            lanes: 1,
        })
    }
}

pub fn fill_random(out: &mut [u8]) {
    // The OS CSPRNG failing is not a recoverable condition for a key vault.
    SystemRandom::new()
        .fill(out)
        .expect("the operating system's random number generator failed");
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Constant-time equality for secret-derived bytes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Derives the key-encryption key from the passphrase.
pub fn derive_kek(
    passphrase: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>> {
    let argon_params = Params::new(params.memory_kib, params.passes, params.lanes, Some(32))
        .map_err(|e| Error::Corrupt(format!("the vault's KDF parameters are invalid: {e}")))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|e| Error::Corrupt(format!("key derivation failed: {e}")))?;
    Ok(out)
}

/// An AES-256-GCM key plus the HMAC key used for blind lookup tags.
pub struct Sealer {
    aead: LessSafeKey,
    tags: hmac::Key,
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Sealer {
        let aead = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, key).expect("32 bytes is a valid AES-256 key"),
        );
        let tag_key = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), b"keyward/tags/v1");
        Sealer {
            aead,
            tags: hmac::Key::new(hmac::HMAC_SHA256, tag_key.as_ref()),
        }
    }

    /// `version || nonce || ciphertext || tag`, with `aad` bound in.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce_bytes);
        let mut body = plaintext.to_vec();
        self.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(aad),
                &mut body,
            )
            .expect("sealing a record cannot fail for sizes under 64 GiB");
        out.extend_from_slice(&body);
        zeroize::Zeroize::zeroize(&mut body);
        out
    }

    /// Opens a sealed blob; `None` if it was altered, swapped or truncated.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != SEAL_VERSION {
            return None;
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN]).ok()?;
        let mut body = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let len = self
            .aead
            .open_in_place(nonce, Aad::from(aad), body.as_mut_slice())
            .ok()?
            .len();
        body.truncate(len);
        Some(body)
    }

    /// A keyed tag: lets SQLite index and enforce uniqueness without seeing the value.
    pub fn tag(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.tags);
        for part in parts {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
        ctx.sign().as_ref().to_vec()
    }
}

pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_roundtrip_and_aad_binding() {
        let sealer = Sealer::new(&[7u8; 32]);
        let blob = sealer.seal(b"keys/1", b"hello");
        assert_eq!(&sealer.open(b"keys/1", &blob).unwrap()[..], b"hello");
        assert!(
            sealer.open(b"keys/2", &blob).is_none(),
            "row id is bound in"
        );
        let mut flipped = blob.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(sealer.open(b"keys/1", &flipped).is_none());
        assert!(sealer.open(b"keys/1", &blob[..10]).is_none());
        assert!(!blob.windows(5).any(|w| w == b"hello"));
    }

    #[test]
    fn kdf_depends_on_passphrase_and_salt() {
        let p = KdfParams::new(8, 1).unwrap();
        let a = derive_kek(b"one", &[1; 16], p).unwrap();
        let b = derive_kek(b"two", &[1; 16], p).unwrap();
        let c = derive_kek(b"one", &[2; 16], p).unwrap();
        assert_ne!(*a, *b);
        assert_ne!(*a, *c);
        assert_eq!(*a, *derive_kek(b"one", &[1; 16], p).unwrap());
    }

    #[test]
    fn kdf_floor_is_enforced() {
        assert!(KdfParams::new(4, 1).is_err());
        assert!(KdfParams::new(8, 0).is_err());
    }

    #[test]
    fn hex_roundtrip() {
        assert_eq!(
            from_hex(&to_hex(&[0, 1, 254, 255])).unwrap(),
            vec![0, 1, 254, 255]
        );
        assert!(from_hex("zz").is_none());
        assert!(from_hex("abc").is_none());
    }
}
