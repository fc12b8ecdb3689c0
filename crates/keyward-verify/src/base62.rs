//! Base62, as secrets and public keys are written: fixed width, big-endian, `0-9A-Za-z`, and
//! the CRC32 checksum both end with (as GitHub tokens do).

use zeroize::Zeroizing;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The checksum's width: a CRC32 in base62.
pub const CHECKSUM_CHARS: usize = 6;

/// Fixed-width big-endian base62 of `bytes`, left-padded with '0' to `width`.
pub fn encode(bytes: &[u8], width: usize) -> String {
    // Repeated division of the big number held in `digits` (base 256) by 62. The bytes may be
    // a secret's: the work copies are zeroized.
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

/// The inverse of [`encode`]: `bytes` big-endian bytes, or `None` for a character outside the
/// alphabet or a value that does not fit.
pub fn decode(text: &str, bytes: usize) -> Option<Vec<u8>> {
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

/// The CRC32 of `chars` as [`CHECKSUM_CHARS`] base62 characters: a typo or a truncation is
/// caught without any lookup.
pub fn checksum(chars: &str) -> String {
    // ASCII digits of the alphabet.
    checksum_digits(chars).iter().map(|&b| b as char).collect()
}

/// [`checksum`] as bytes, in a register rather than three allocations: `encode` of the CRC's
/// 4 bytes (62^6 > 2^32, so 6 digits always hold it). Every presented key is checked with it.
pub fn checksum_digits(chars: &str) -> [u8; CHECKSUM_CHARS] {
    let mut crc = crc32fast::hash(chars.as_bytes());
    let mut out = [b'0'; CHECKSUM_CHARS];
    for digit in out.iter_mut().rev() {
        *digit = ALPHABET[(crc % 62) as usize];
        crc /= 62;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_checksum_is_the_base62_of_the_crc32() {
        let mut text = String::new();
        for i in 0..2000u32 {
            text.push(char::from(b'a' + (i % 26) as u8));
            let by_codec = super::encode(
                &crc32fast::hash(text.as_bytes()).to_be_bytes(),
                super::CHECKSUM_CHARS,
            );
            assert_eq!(
                super::checksum_digits(&text),
                by_codec.as_bytes(),
                "{text:?}"
            );
            assert_eq!(super::checksum(&text), by_codec);
        }
    }

    use super::*;

    #[test]
    fn base62_is_fixed_width_and_distinct() {
        assert_eq!(encode(&[0, 0], 3), "000");
        assert_eq!(encode(&[0, 61], 3), "00z");
        assert_eq!(encode(&[0, 62], 3), "010");
        assert_eq!(encode(&[0xff; 32], 43).len(), 43);
        assert_ne!(encode(&[0xff; 32], 43).as_bytes()[0], b'0');
    }

    #[test]
    fn base62_decodes_what_it_encodes() {
        for bytes in [[0u8; 32], [0xff; 32], [7; 32]] {
            let text = encode(&bytes, 43);
            assert_eq!(decode(&text, 32).as_deref(), Some(&bytes[..]));
        }
        assert_eq!(decode("010", 2), Some(vec![0, 62]));
        assert_eq!(decode("0-0", 2), None, "not base62");
        assert_eq!(decode("zzz", 2), None, "62^3 - 1 does not fit in 2 bytes");
    }
}
