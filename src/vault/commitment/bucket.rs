//! The commitment's buckets: the entries of 256 consecutive row ids, one slot per id, and how
//! they are written to and read from `commit_buckets`.

use std::collections::HashMap;

use super::table::Table;
use crate::vault::crypto::{self, DIGEST_LEN};

/// Rows per bucket, as a shift: ids `b << 8 .. (b + 1) << 8` share bucket `b`.
const BUCKET_SHIFT: u32 = 8;
const ENTRY_LEN: usize = 16 + DIGEST_LEN;

/// One row's place in the commitment. `version > 0`: the live version; otherwise a tombstone
/// of a row deleted after version `-version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub version: i64,
    pub digest: [u8; DIGEST_LEN],
}

impl Entry {
    pub fn live(id: i64, version: i64, sealed: &[u8]) -> Entry {
        Entry {
            id,
            version,
            digest: crypto::seal_digest(sealed),
        }
    }

    pub fn is_live(&self) -> bool {
        self.version > 0
    }

    /// Whether a stored row is exactly the one committed.
    pub fn matches(&self, version: i64, sealed: &[u8]) -> bool {
        self.is_live() && self.version == version && self.digest == crypto::seal_digest(sealed)
    }
}

pub(super) fn bucket_of(id: i64) -> i64 {
    id >> BUCKET_SHIFT
}

/// Rows per bucket.
const BUCKET_ROWS: usize = 1 << BUCKET_SHIFT;

/// The entries of one bucket, one slot per id (`id & 255`): a lookup is one index, not a
/// search, which keeps verification through the vault fast at 100,000 keys.
#[derive(Clone, Debug)]
pub(super) struct Bucket {
    slots: Vec<Option<Entry>>,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            slots: vec![None; BUCKET_ROWS],
        }
    }
}

fn slot_of(id: i64) -> usize {
    // The low bits of the id; the mask keeps it in range for any id, negative ones included.
    usize::try_from(id & (BUCKET_ROWS as i64 - 1)).unwrap_or(0)
}

impl Bucket {
    /// Present entries in id order, 32 bytes each: id, version, digest.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BUCKET_ROWS * ENTRY_LEN / 4);
        for e in self.slots.iter().flatten() {
            out.extend_from_slice(&e.id.to_be_bytes());
            out.extend_from_slice(&e.version.to_be_bytes());
            out.extend_from_slice(&e.digest);
        }
        out
    }

    /// `None` unless every entry is well formed, in this bucket's range and in order.
    pub(super) fn decode(bytes: &[u8], bucket: i64) -> Option<Bucket> {
        if !bytes.len().is_multiple_of(ENTRY_LEN) {
            return None;
        }
        let mut out = Bucket::default();
        let mut last: Option<i64> = None;
        for chunk in bytes.chunks_exact(ENTRY_LEN) {
            let id = i64::from_be_bytes(chunk[..8].try_into().ok()?);
            let version = i64::from_be_bytes(chunk[8..16].try_into().ok()?);
            let digest: [u8; DIGEST_LEN] = chunk[16..].try_into().ok()?;
            if bucket_of(id) != bucket || last.is_some_and(|l| l >= id) {
                return None;
            }
            last = Some(id);
            out.slots[slot_of(id)] = Some(Entry {
                id,
                version,
                digest,
            });
        }
        Some(out)
    }

    pub(super) fn get(&self, id: i64) -> Option<&Entry> {
        self.slots[slot_of(id)].as_ref().filter(|e| e.id == id)
    }

    pub(super) fn set(&mut self, entry: Entry) {
        self.slots[slot_of(entry.id)] = Some(entry);
    }

    pub(super) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten()
    }
}

/// Hashes the commitment's small integer keys cheaply (the default SipHash is made for
/// untrusted keys; these come from the vault's own ids and are few).
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }
}

pub(super) type Buckets =
    HashMap<(Table, i64), Option<Bucket>, std::hash::BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_roundtrip_and_refuse_malformed_bytes() {
        let mut b = Bucket::default();
        b.set(Entry::live(300, 2, b"x"));
        b.set(Entry::live(257, 1, b"y"));
        let bytes = b.encode();
        let back = Bucket::decode(&bytes, 1).expect("decodes");
        assert_eq!(back.get(257).expect("entry").version, 1);
        assert!(back.get(300).expect("entry").matches(2, b"x"));
        assert!(!back.get(300).expect("entry").matches(1, b"x"));
        assert!(!back.get(300).expect("entry").matches(2, b"z"));
        assert!(
            Bucket::decode(&bytes, 2).is_none(),
            "ids outside the bucket"
        );
        assert!(Bucket::decode(&bytes[..bytes.len() - 1], 1).is_none());
        let mut swapped = bytes[ENTRY_LEN..].to_vec();
        swapped.extend_from_slice(&bytes[..ENTRY_LEN]);
        assert!(Bucket::decode(&swapped, 1).is_none(), "out of order");
    }
}
