//! The secret format: `<prefix>_<random><checksum>`.
//!
//! `random` is 32 CSPRNG bytes as 43 base62 characters; `checksum` is the CRC32 of those 43
//! characters as 6 base62 characters (as GitHub tokens do), so a typo or a truncated key is
//! rejected without touching the vault, and a leaked key is easy to grep for.

use std::fmt;

use zeroize::Zeroizing;

use super::crypto;
use super::error::{Error, Result};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const RANDOM_BYTES: usize = 32;
pub const RANDOM_CHARS: usize = 43;
pub const CHECKSUM_CHARS: usize = 6;
pub const DEFAULT_PREFIX: &str = "kw";

/// A key secret. Lives in zeroized memory and never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Mints a fresh secret with the given (already validated) prefix.
    pub fn generate(prefix: &str) -> Secret {
        let mut bytes = Zeroizing::new([0u8; RANDOM_BYTES]);
        crypto::fill_random(bytes.as_mut());
        let random = Zeroizing::new(encode_base62(bytes.as_ref(), RANDOM_CHARS));
        let checksum = checksum_of(&random);
        let mut text = Zeroizing::new(String::with_capacity(prefix.len() + 1 + 49));
        text.push_str(prefix);
        text.push('_');
        text.push_str(&random);
        // ASCII digits of ALPHABET.
        text.extend(checksum.iter().map(|&b| b as char));
        Secret(text)
    }

    /// Parses a presented key, checking its shape and checksum (no vault lookup).
    pub fn parse(text: &str) -> Result<Secret> {
        parse_parts(text)?;
        Ok(Secret(Zeroizing::new(text.to_owned())))
    }

    /// The SHA-256 of a presented key once its shape and checksum are checked, without a copy
    /// of the key: what a verifier looks up, on every request `serve` answers.
    pub fn checked_sha256(text: &str) -> Result<[u8; 32]> {
        parse_parts(text)?;
        Ok(crypto::sha256(text.as_bytes()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn prefix(&self) -> &str {
        match self.0.rfind('_') {
            Some(i) => &self.0[..i],
            None => "",
        }
    }

    /// `prefix_abcd…wxyz`: enough to recognise a key in a list, never enough to use it.
    pub fn display(&self) -> String {
        display_of(&self.0)
    }

    /// SHA-256 of the whole secret: what the vault and verifier files keep.
    pub fn sha256(&self) -> [u8; 32] {
        crypto::sha256(self.0.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.display())
    }
}

pub(crate) fn display_of(secret: &str) -> String {
    match secret.rfind('_') {
        Some(i) if secret.len() >= i + 9 => {
            let body = &secret[i + 1..];
            format!(
                "{}_{}…{}",
                &secret[..i],
                &body[..4],
                &body[body.len() - 4..]
            )
        }
        _ => "…".to_owned(),
    }
}

fn parse_parts(text: &str) -> Result<(&str, &str, &str)> {
    let malformed = |why: &str| Error::Malformed(why.to_owned());
    let split = text
        .rfind('_')
        .ok_or_else(|| malformed("a key looks like <prefix>_<49 characters>"))?;
    let (prefix, body) = (&text[..split], &text[split + 1..]);
    validate_prefix(prefix).map_err(|_| malformed("the key's prefix is not valid"))?;
    if body.len() != RANDOM_CHARS + CHECKSUM_CHARS {
        return Err(malformed(
            "the key has the wrong length (truncated or extended?)",
        ));
    }
    if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(malformed("the key contains characters that are not base62"));
    }
    let (random, checksum) = body.split_at(RANDOM_CHARS);
    if checksum_of(random) != checksum.as_bytes() {
        return Err(malformed(
            "the key's checksum does not match (typo or truncation?)",
        ));
    }
    Ok((prefix, random, checksum))
}

/// Prefix rule: 2–16 characters of lowercase a–z, 0–9 and `_`.
pub fn validate_prefix(prefix: &str) -> Result<()> {
    let ok = (2..=16).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "prefix '{prefix}' must be 2 to 16 characters of a-z, 0-9 and _"
        )))
    }
}

/// The CRC32 of `random` as 6 base62 digits, big-endian, '0'-padded: `encode_base62` of its 4
/// bytes, in a register rather than three allocations (62^6 > 2^32, so 6 digits always hold it).
fn checksum_of(random: &str) -> [u8; CHECKSUM_CHARS] {
    let mut crc = crc32fast::hash(random.as_bytes());
    let mut out = [b'0'; CHECKSUM_CHARS];
    for digit in out.iter_mut().rev() {
        *digit = ALPHABET[(crc % 62) as usize];
        crc /= 62;
    }
    out
}

/// Fixed-width big-endian base62 of `bytes`, left-padded with '0' to `width`.
pub(crate) fn encode_base62(bytes: &[u8], width: usize) -> String {
    // Repeated division of the big number held in `digits` (base 256) by 62.
    let mut number = Zeroizing::new(bytes.to_vec());
    let mut out = Zeroizing::new(vec![b'0'; width]);
    let mut pos = width;
    while number.iter().any(|&d| d != 0) && pos > 0 {
        let mut remainder = 0u32;
        for digit in number.iter_mut() {
            let acc = (remainder << 8) | u32::from(*digit);
            *digit = (acc / 62) as u8;
            remainder = acc % 62;
        }
        pos -= 1;
        out[pos] = ALPHABET[remainder as usize];
    }
    // All bytes are ASCII from ALPHABET.
    out.iter().map(|&b| b as char).collect()
}

/// The inverse of [`encode_base62`]: `bytes` big-endian bytes, or `None` for a character
/// outside the alphabet or a value that does not fit.
pub(crate) fn decode_base62(text: &str, bytes: usize) -> Option<Vec<u8>> {
    let mut number = vec![0u8; bytes];
    for c in text.bytes() {
        let digit = ALPHABET.iter().position(|&a| a == c)? as u32;
        // number = number * 62 + digit, from the last byte up.
        let mut carry = digit;
        for byte in number.iter_mut().rev() {
            let acc = u32::from(*byte) * 62 + carry;
            *byte = (acc & 0xff) as u8;
            carry = acc >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_has_documented_shape_and_parses() {
        let s = Secret::generate("kw");
        let text = s.expose();
        assert!(text.starts_with("kw_"));
        assert_eq!(text.len(), 3 + RANDOM_CHARS + CHECKSUM_CHARS);
        assert!(Secret::parse(text).is_ok());
        assert_eq!(s.prefix(), "kw");
    }

    #[test]
    fn prefix_with_underscore_is_split_at_the_last_underscore() {
        let s = Secret::generate("acme_prod");
        assert_eq!(s.prefix(), "acme_prod");
        assert!(Secret::parse(s.expose()).is_ok());
    }

    #[test]
    fn the_checksum_is_the_base62_of_the_crc32() {
        // The checksum of every key ever minted: 6 digits of encode_base62 over the CRC's bytes.
        for random in [
            "",
            "a",
            "0000000000000000000000000000000000000000000",
            "zzzz",
            "kw_x",
        ] {
            let crc = crc32fast::hash(random.as_bytes());
            let by_codec = encode_base62(&crc.to_be_bytes(), CHECKSUM_CHARS);
            assert_eq!(checksum_of(random), by_codec.as_bytes(), "{random:?}");
        }
        for _ in 0..1000 {
            let s = Secret::generate("kw");
            let body = &s.expose()[3..];
            let crc = crc32fast::hash(&body.as_bytes()[..RANDOM_CHARS]);
            assert_eq!(
                encode_base62(&crc.to_be_bytes(), CHECKSUM_CHARS),
                &body[RANDOM_CHARS..]
            );
            assert_eq!(Secret::checked_sha256(s.expose()).unwrap(), s.sha256());
        }
    }

    #[test]
    fn one_changed_character_fails_the_checksum() {
        let s = Secret::generate("kw");
        let mut chars: Vec<char> = s.expose().chars().collect();
        let i = 10;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(matches!(Secret::parse(&typo), Err(Error::Malformed(_))));
    }

    #[test]
    fn truncated_and_bad_prefix_are_malformed() {
        let s = Secret::generate("kw");
        let text = s.expose();
        assert!(Secret::parse(&text[..text.len() - 1]).is_err());
        assert!(Secret::parse(&text.replacen("kw_", "KW_", 1)).is_err());
        assert!(Secret::parse("").is_err());
        assert!(Secret::parse("kw_").is_err());
        assert!(Secret::parse("no-underscore").is_err());
    }

    #[test]
    fn base62_is_fixed_width_and_distinct() {
        assert_eq!(encode_base62(&[0, 0], 3), "000");
        assert_eq!(encode_base62(&[0, 61], 3), "00z");
        assert_eq!(encode_base62(&[0, 62], 3), "010");
        assert_eq!(encode_base62(&[0xff; 32], RANDOM_CHARS).len(), RANDOM_CHARS);
        assert_ne!(encode_base62(&[0xff; 32], RANDOM_CHARS).as_bytes()[0], b'0');
    }

    #[test]
    fn base62_decodes_what_it_encodes() {
        for bytes in [[0u8; 32], [0xff; 32], [7; 32]] {
            let text = encode_base62(&bytes, RANDOM_CHARS);
            assert_eq!(decode_base62(&text, 32).as_deref(), Some(&bytes[..]));
        }
        assert_eq!(decode_base62("010", 2), Some(vec![0, 62]));
        assert_eq!(decode_base62("0-0", 2), None, "not base62");
        assert_eq!(
            decode_base62("zzz", 2),
            None,
            "62^3 - 1 does not fit in 2 bytes"
        );
    }

    #[test]
    fn display_shows_only_the_ends() {
        let s = Secret::generate("kw");
        let d = s.display();
        assert!(d.starts_with("kw_") && d.contains('…'));
        assert_eq!(d.chars().count(), 3 + 4 + 1 + 4);
        assert!(!format!("{s:?}").contains(&s.expose()[3..20]));
    }
}
