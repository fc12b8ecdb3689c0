//! The key format, `<prefix>_<random><checksum>`, and how a presented key is read.
//!
//! `random` is 32 CSPRNG bytes as 43 base62 characters; `checksum` is the CRC32 of those 43
//! characters as 6 base62 characters (as GitHub tokens do), so a typo or a truncated key is
//! rejected without touching the vault, and a leaked key is easy to grep for.

use std::fmt;

use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

use crate::base62;
use crate::error::{Error, Result};

pub use crate::base62::CHECKSUM_CHARS;
pub const RANDOM_BYTES: usize = 32;
pub const RANDOM_CHARS: usize = 43;
pub const DEFAULT_PREFIX: &str = "kw";

/// A key secret. Lives in zeroized memory and never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Mints a fresh secret with the given (already validated) prefix.
    pub fn generate(prefix: &str) -> Secret {
        let mut bytes = Zeroizing::new([0u8; RANDOM_BYTES]);
        // The OS CSPRNG failing is not a recoverable condition for a key vault.
        SystemRandom::new()
            .fill(bytes.as_mut())
            .expect("the operating system's random number generator failed");
        let random = Zeroizing::new(base62::encode(bytes.as_ref(), RANDOM_CHARS));
        let checksum = base62::checksum(&random);
        let mut text = Zeroizing::new(String::with_capacity(prefix.len() + 1 + 49));
        text.push_str(prefix);
        text.push('_');
        text.push_str(&random);
        text.push_str(&checksum);
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
        Ok(crate::hex::sha256(text.as_bytes()))
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
        crate::hex::sha256(self.0.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.display())
    }
}

fn display_of(secret: &str) -> String {
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
    if base62::checksum_digits(random) != checksum.as_bytes() {
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

/// Pulls the key out of `Authorization: Api-Key k`, `Api-Key k`, `Bearer k` or a bare `k`.
/// Header name and scheme match case-insensitively.
pub fn extract_key(presented: &str) -> Result<&str> {
    let mut text = presented.trim();
    if let Some((name, value)) = text.split_once(':')
        && name.trim().eq_ignore_ascii_case("authorization")
    {
        text = value.trim();
    }
    if let Some((scheme, rest)) = text.split_once(char::is_whitespace) {
        if scheme.eq_ignore_ascii_case("api-key") || scheme.eq_ignore_ascii_case("bearer") {
            text = rest.trim();
        } else {
            return Err(Error::Malformed(format!(
                "expected 'Api-Key <key>' or 'Bearer <key>', got scheme '{}'",
                scheme.chars().take(20).collect::<String>()
            )));
        }
    }
    let bare_scheme = text.eq_ignore_ascii_case("api-key") || text.eq_ignore_ascii_case("bearer");
    if text.is_empty() || bare_scheme {
        return Err(Error::Malformed("no key was presented".into()));
    }
    Ok(text)
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
    fn a_checked_hash_is_the_parsed_secrets_hash() {
        for _ in 0..200 {
            let s = Secret::generate("kw");
            assert_eq!(Secret::checked_sha256(s.expose()).unwrap(), s.sha256());
        }
        assert!(Secret::checked_sha256("kw_short").is_err());
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
    fn display_shows_only_the_ends() {
        let s = Secret::generate("kw");
        let d = s.display();
        assert!(d.starts_with("kw_") && d.contains('…'));
        assert_eq!(d.chars().count(), 3 + 4 + 1 + 4);
        assert!(!format!("{s:?}").contains(&s.expose()[3..20]));
    }

    #[test]
    fn header_forms_are_accepted() {
        let k = "kw_abc";
        assert_eq!(extract_key("Authorization: Api-Key kw_abc").unwrap(), k);
        assert_eq!(
            extract_key("authorization:   api-key   kw_abc  ").unwrap(),
            k
        );
        assert_eq!(extract_key("Api-Key kw_abc").unwrap(), k);
        assert_eq!(extract_key("Bearer kw_abc").unwrap(), k);
        assert_eq!(extract_key("kw_abc").unwrap(), k);
        assert!(extract_key("Basic dXNlcjpwYXNz").is_err());
        assert!(extract_key("Authorization: Api-Key ").is_err());
        assert!(extract_key("   ").is_err());
    }
}
