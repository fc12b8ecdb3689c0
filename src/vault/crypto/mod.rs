//! Key derivation, sealing and hashing. Everything cryptographic goes through here.
//!
//! One random 32-byte data key per vault, wrapped by a key derived from each passphrase
//! (Argon2id). Never used directly: HKDF-SHA-256 derives one subkey per purpose (sealing
//! records, blind indexes, the activity chain), so no two uses share a key. The signing key of
//! verifier files is not derived: it is random and sealed (see `signing.rs`), so it survives a
//! re-key.

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::vault::error::{Error, Result};
mod wiped;

use wiped::Wiped;

// Shared with services through the verifier crate: the same hex and hashes on both sides.
pub use keyward_verify::hex::{from_hex, sha256, to_hex};

const SEAL_VERSION: u8 = 1;
pub const SALT_LEN: usize = 16;
pub const TAG_LEN: usize = 16;
/// Bytes of a record digest kept in the state commitment.
pub const DIGEST_LEN: usize = 16;

pub type DataKey = Zeroizing<[u8; 32]>;

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
    /// The ceiling of what this build pays for a key derivation, whoever asks (a vault's
    /// slot, `init`, `passwd`): 1 GiB and 10 passes cost seconds on a small machine; more
    /// costs minutes and gigabytes, which a hostile file or server must not be able to impose.
    pub const MAX_MEMORY_MIB: u32 = 1024;
    pub const MIN_PASSES: u32 = 1;
    pub const MAX_PASSES: u32 = 10;
    pub const MAX_LANES: u32 = 16;

    /// The bounds earlier builds accepted (up to 4 GiB and 64 passes): parameters above the
    /// ceiling are paid only when this machine pinned exactly them for the slot before.
    pub fn check_pinned(&self) -> std::result::Result<(), String> {
        let mib = self.memory_kib / 1024;
        if (1..=Self::MAX_LANES).contains(&self.lanes)
            && self.memory_kib.is_multiple_of(1024)
            && (Self::MIN_MEMORY_MIB..=4096).contains(&mib)
            && (Self::MIN_PASSES..=64).contains(&self.passes)
        {
            Ok(())
        } else {
            Err(format!(
                "{mib} MiB \u{d7} {} passes ({} lanes) of key derivation; beyond what any build pays",
                self.passes, self.lanes
            ))
        }
    }

    /// Builds parameters from the user-facing units, refusing values outside the bounds.
    pub fn new(memory_mib: u32, passes: u32) -> Result<KdfParams> {
        let params = KdfParams {
            memory_kib: memory_mib.saturating_mul(1024),
            passes,
            lanes: 1,
        };
        params
            .check()
            .map_err(|why| Error::bad_input("kdf", format!("you ask for {why}")))?;
        Ok(params)
    }

    /// The floor and ceiling every vault is held to: checked before Argon2 allocates anything,
    /// so a hostile file cannot make a process allocate gigabytes or run for minutes. The
    /// refusal reads after "the vault asks for" / "you ask for".
    pub fn check(&self) -> std::result::Result<(), String> {
        let (mib, passes) = (self.memory_kib / 1024, self.passes);
        if !(1..=Self::MAX_LANES).contains(&self.lanes) {
            return Err(format!(
                "{} lanes of key derivation; this build takes 1 to {}",
                self.lanes,
                Self::MAX_LANES
            ));
        }
        if !self.memory_kib.is_multiple_of(1024) || mib < Self::MIN_MEMORY_MIB {
            return Err(format!(
                "{} KiB of key derivation memory; this build takes whole MiB, at least {} MiB",
                self.memory_kib,
                Self::MIN_MEMORY_MIB
            ));
        }
        if passes < Self::MIN_PASSES {
            return Err(format!(
                "{passes} passes of key derivation; this build takes at least {}",
                Self::MIN_PASSES
            ));
        }
        if mib > Self::MAX_MEMORY_MIB || passes > Self::MAX_PASSES {
            return Err(format!(
                "{mib} MiB \u{d7} {passes} passes of key derivation; this build pays at most {} MiB \u{d7} {}",
                Self::MAX_MEMORY_MIB,
                Self::MAX_PASSES
            ));
        }
        Ok(())
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

pub fn new_data_key() -> DataKey {
    let mut key = Zeroizing::new([0u8; 32]);
    fill_random(key.as_mut());
    key
}

/// What the state commitment keeps of a sealed record: its AES-GCM tag, a keyed digest of the
/// record's nonce, ciphertext and associated data that costs nothing to take (a listing of
/// 100,000 keys would spend most of its time hashing otherwise). A blob with the committed tag
/// that is not the committed blob cannot be made without the key: opening it fails.
pub fn seal_digest(sealed: &[u8]) -> [u8; DIGEST_LEN] {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
        return digest(sealed);
    }
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(&sealed[sealed.len() - TAG_LEN..]);
    out
}

/// The first bytes of SHA-256 (the commitment's digest of a bucket).
pub fn digest(sealed: &[u8]) -> [u8; DIGEST_LEN] {
    let full = sha256(sealed);
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(&full[..DIGEST_LEN]);
    out
}

/// Constant-time equality for secret-derived bytes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Derives the key-encryption key from the passphrase. The parameters are checked first.
pub fn derive_kek(passphrase: &[u8], salt: &[u8], params: KdfParams) -> Result<DataKey> {
    params
        .check()
        .map_err(|why| Error::damaged("kdf", format!("the vault asks for {why}")))?;
    derive_kek_unchecked(passphrase, salt, params)
}

/// [`derive_kek`] for parameters above the ceiling that this machine pinned for the slot
/// (still within what earlier builds allowed).
pub fn derive_kek_pinned(passphrase: &[u8], salt: &[u8], params: KdfParams) -> Result<DataKey> {
    params
        .check_pinned()
        .map_err(|why| Error::damaged("kdf", format!("the vault asks for {why}")))?;
    derive_kek_unchecked(passphrase, salt, params)
}

fn derive_kek_unchecked(passphrase: &[u8], salt: &[u8], params: KdfParams) -> Result<DataKey> {
    let argon_params = Params::new(params.memory_kib, params.passes, params.lanes, Some(32))
        .map_err(|e| {
            Error::damaged(
                "kdf",
                format!("the vault's KDF parameters are invalid: {e}"),
            )
        })?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|e| Error::damaged("kdf", format!("key derivation failed: {e}")))?;
    Ok(out)
}

/// Wraps (seals) a data key under a key-encryption key.
pub fn wrap(kek: &[u8; 32], aad: &[u8], data_key: &[u8; 32]) -> Vec<u8> {
    seal_with(&aead_key(kek), aad, data_key)
}

/// Unwraps a data key; `None` for a wrong passphrase (or an altered wrap).
pub fn unwrap(kek: &[u8; 32], aad: &[u8], wrapped: &[u8]) -> Option<DataKey> {
    let plain = open_with(&aead_key(kek), aad, wrapped)?;
    let key: [u8; 32] = plain.as_slice().try_into().ok()?;
    Some(Zeroizing::new(key))
}

/// A fresh X25519 key pair (a member's): the secret and the public key.
pub fn new_agreement_keys() -> (DataKey, [u8; 32]) {
    let secret = Zeroizing::new(random_bytes::<32>());
    let public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret));
    (secret, public.to_bytes())
}

const SEALED_TO_INFO: &[u8] = b"keyward/v2/data-key-sealed-to-member";

/// The AES key of a data key sealed to a member: HKDF-SHA-256 of the X25519 shared secret,
/// with both public keys as the salt.
fn sealed_to_key(shared: &[u8; 32], ephemeral: &[u8; 32], public: &[u8; 32]) -> DataKey {
    let salt = [ephemeral.as_slice(), public.as_slice()].concat();
    hkdf_sha256(&salt, shared, SEALED_TO_INFO)
}

/// 32 bytes of HKDF-SHA-256 (extract with `salt`, expand with `info`), in zeroized memory.
fn hkdf_sha256(salt: &[u8], secret: &[u8; 32], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(secret);
    let info = [info];
    let okm = prk
        .expand(&info, hkdf::HKDF_SHA256)
        .expect("32 bytes is a valid HKDF output length");
    let mut out = Zeroizing::new([0u8; 32]);
    okm.fill(out.as_mut())
        .expect("32 bytes is a valid HKDF output length");
    out
}

/// Seals a data key to a member's public key (ephemeral X25519, HKDF, AES-256-GCM):
/// `ephemeral public key || wrap`. Anyone can seal to a member; only their secret opens it.
pub fn seal_to(public: &[u8; 32], data_key: &[u8; 32]) -> Vec<u8> {
    let (ephemeral_secret, ephemeral) = new_agreement_keys();
    let shared = x25519_dalek::StaticSecret::from(*ephemeral_secret)
        .diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    let key = sealed_to_key(shared.as_bytes(), &ephemeral, public);
    let mut out = ephemeral.to_vec();
    out.extend_from_slice(&wrap(&key, SEALED_TO_INFO, data_key));
    out
}

/// Opens what [`seal_to`] sealed; `None` when it was not sealed to this secret or was altered.
pub fn open_sealed_to(secret: &[u8; 32], sealed: &[u8]) -> Option<DataKey> {
    let ephemeral: [u8; 32] = sealed.get(..32)?.try_into().ok()?;
    let secret = x25519_dalek::StaticSecret::from(*secret);
    let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(ephemeral));
    if !shared.was_contributory() {
        return None;
    }
    let key = sealed_to_key(shared.as_bytes(), &ephemeral, &public);
    unwrap(&key, SEALED_TO_INFO, &sealed[32..])
}

fn aead_key(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32 bytes is a valid AES-256 key"))
}

/// HKDF-SHA-256 of the data key with a purpose label.
fn subkey(data_key: &[u8; 32], label: &str) -> Zeroizing<[u8; 32]> {
    hkdf_sha256(b"keyward/v2/subkeys", data_key, label.as_bytes())
}

/// The subkeys of one data key: sealing, blind indexes, the activity chain.
struct Subkeys {
    aead: LessSafeKey,
    tags: hmac::Key,
    log: hmac::Key,
}

/// Everything keyed by the data key. Its ring key schedules live in a [`Wiped`] box, so
/// locking (dropping the vault) overwrites them instead of leaving them in freed memory.
pub struct Sealer {
    keys: Wiped<Subkeys>,
}

impl Sealer {
    /// The v2 sealer: HKDF subkeys of the data key.
    pub fn new(data_key: &[u8; 32]) -> Sealer {
        let seal = subkey(data_key, "seal");
        let tags = subkey(data_key, "tags");
        let log = subkey(data_key, "log");
        Sealer {
            keys: Wiped::new(Subkeys {
                aead: aead_key(&seal),
                tags: hmac::Key::new(hmac::HMAC_SHA256, tags.as_ref()),
                log: hmac::Key::new(hmac::HMAC_SHA256, log.as_ref()),
            }),
        }
    }

    /// The v1 sealer (the data key itself for AES, an HMAC-derived tag key), only to read a
    /// v1 file while upgrading it.
    pub fn v1(data_key: &[u8; 32]) -> Sealer {
        let tag_key = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, data_key),
            b"keyward/tags/v1",
        );
        Sealer {
            keys: Wiped::new(Subkeys {
                aead: aead_key(data_key),
                tags: hmac::Key::new(hmac::HMAC_SHA256, tag_key.as_ref()),
                log: hmac::Key::new(hmac::HMAC_SHA256, &[0u8; 32]),
            }),
        }
    }

    /// `version || nonce || ciphertext || tag`, with `aad` bound in.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        seal_with(&self.keys.aead, aad, plaintext)
    }

    /// Opens a sealed blob; `None` if it was altered, swapped or truncated.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        open_with(&self.keys.aead, aad, sealed)
    }

    /// A keyed tag: lets the store index and enforce uniqueness without seeing the value.
    pub fn tag(&self, parts: &[&[u8]]) -> Vec<u8> {
        mac(&self.keys.tags, parts)
    }

    /// A link of the activity chain.
    pub fn chain(&self, parts: &[&[u8]]) -> Vec<u8> {
        mac(&self.keys.log, parts)
    }
}

fn mac(key: &hmac::Key, parts: &[&[u8]]) -> Vec<u8> {
    let mut ctx = hmac::Context::with_key(key);
    for part in parts {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    ctx.sign().as_ref().to_vec()
}

fn seal_with(key: &LessSafeKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce_bytes = random_bytes::<NONCE_LEN>();
    let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce_bytes);
    let start = out.len();
    out.extend_from_slice(plaintext);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(aad),
            &mut out[start..],
        )
        .expect("sealing a record cannot fail for sizes under 64 GiB");
    out.extend_from_slice(tag.as_ref());
    out
}

fn open_with(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
        return None;
    }
    let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN]).ok()?;
    let mut body = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(aad), body.as_mut_slice())
        .ok()?
        .len();
    body.truncate(len);
    Some(body)
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
    fn subkeys_differ_by_purpose_and_by_data_key() {
        let a = Sealer::new(&[1u8; 32]);
        let b = Sealer::new(&[2u8; 32]);
        assert_ne!(
            a.tag(&[b"x"]),
            a.chain(&[b"x"]),
            "tags and chain use different keys"
        );
        assert_ne!(a.tag(&[b"x"]), b.tag(&[b"x"]));
        let blob = a.seal(b"aad", b"data");
        assert!(b.open(b"aad", &blob).is_none());
        assert!(
            Sealer::v1(&[1u8; 32]).open(b"aad", &blob).is_none(),
            "v2 never seals with the raw data key"
        );
    }

    #[test]
    fn wrap_needs_the_same_kek() {
        let dk = [9u8; 32];
        let w = wrap(&[1u8; 32], b"w", &dk);
        assert_eq!(*unwrap(&[1u8; 32], b"w", &w).unwrap(), dk);
        assert!(unwrap(&[2u8; 32], b"w", &w).is_none());
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
    fn kdf_bounds_are_enforced_before_any_allocation() {
        assert!(KdfParams::new(4, 1).is_err());
        assert!(KdfParams::new(8, 0).is_err());
        assert!(KdfParams::new(1025, 1).is_err());
        assert!(KdfParams::new(8, 11).is_err());
        assert!(KdfParams::new(1024, 10).is_ok());
        let hostile = KdfParams {
            memory_kib: 4_000_000_000,
            passes: 3,
            lanes: 1,
        };
        assert!(matches!(
            derive_kek(b"p", &[0; 16], hostile),
            Err(Error::Damaged { part: "kdf", .. })
        ));
        let lanes = KdfParams {
            lanes: 17,
            ..KdfParams::default()
        };
        assert!(lanes.check().is_err());
        let slow = KdfParams {
            passes: 4_000_000_000,
            ..KdfParams::default()
        };
        assert!(derive_kek(b"p", &[0; 16], slow).is_err());
    }

    #[test]
    fn a_slot_asking_for_4096_mib_and_64_passes_is_refused_at_once_with_the_numbers() {
        let raw = r#"{"memory_kib":4194304,"passes":64,"lanes":1}"#;
        let params: KdfParams = serde_json::from_str(raw).unwrap();
        let started = std::time::Instant::now();
        let refused = derive_kek(b"p", &[0; 16], params);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        match refused {
            Err(Error::Damaged { why: msg, .. }) => assert_eq!(
                msg,
                "the vault asks for 4096 MiB \u{d7} 64 passes of key derivation; this build pays \
                 at most 1024 MiB \u{d7} 10"
            ),
            other => panic!("{other:?}"),
        }
        let e = KdfParams::new(2048, 3).unwrap_err().to_string();
        assert!(e.contains("you ask for 2048 MiB"), "{e}");
    }
}
