//! Parsers of outside input that have no public use of their own, reachable for the parser
//! properties and the fuzz benchmark: each answers whether it accepted, and must never panic.

/// A member's key slot as stored in `meta` (its KDF parameters within the ceiling).
pub fn slot(raw: &[u8]) -> Option<crate::vault::crypto::KdfParams> {
    crate::vault::team::slot::Slot::parse(raw)
        .ok()
        .map(|s| s.params)
}

/// A commitment bucket's bytes.
pub fn bucket(raw: &[u8], index: i64) -> bool {
    crate::vault::commitment::bucket_decodes(raw, index)
}

/// A pin file's text.
pub fn pin(text: &str) -> bool {
    serde_json::from_str::<crate::vault::team::pins::Pin>(text).is_ok()
}
