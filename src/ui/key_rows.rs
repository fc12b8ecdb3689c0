//! The key table's rows, packed so that 100,000 keys cost about 10 MB of the window's memory:
//! a fixed 56-byte slot per key, and every key's id, name and display form back to back in one
//! text arena (no allocation per key), which a search scans in one pass.

use std::collections::HashMap;

use crate::vault::{KeyInfo, KeyStatus, contains_folded};

/// What people wrote about a key, as the table shows and searches it.
pub struct RowDetails {
    pub owner: String,
    /// Comma-separated.
    pub tags: String,
    pub description: String,
}

const FULL_ACCESS: u8 = 1;
const HAS_EXPIRY: u8 = 2;
const HAS_LAST_USE: u8 = 4;
const HAS_USES: u8 = 8;
const NO_DETAILS: u32 = u32::MAX;

/// One key, fixed size; its text is `text[at..]`: key id, name, display form.
struct Slot {
    created_at: i64,
    expires_at: i64,
    last_used_at: i64,
    at: u32,
    key_id_len: u16,
    name_len: u16,
    display_len: u16,
    status: KeyStatus,
    flags: u8,
    node: u32,
    scope_set: u32,
    details: u32,
    uses: [u32; 2],
}

/// One key as the table draws it.
pub struct KeyRow<'a> {
    pub key_id: &'a str,
    pub name: &'a str,
    pub display: &'a str,
    /// The path of the key's node.
    pub node: &'a str,
    pub full_access: bool,
    pub status: KeyStatus,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// Checks through `keyward serve` in the last 24 hours and 30 days, when known.
    pub uses: Option<(u32, u32)>,
    /// Owner, tags and description; `None` for the (many) keys that have none.
    pub details: Option<&'a RowDetails>,
    scopes: u128,
    scope_names: &'a [String],
}

impl<'a> KeyRow<'a> {
    /// The key's scopes, in catalog order (the first 128 of a catalog).
    pub fn scopes(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let mask = self.scopes;
        self.scope_names
            .iter()
            .take(128)
            .enumerate()
            .filter(move |(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| s.as_str())
    }
}

/// The rows, in the order they were pushed.
pub struct KeyRows {
    slots: Vec<Slot>,
    text: String,
    details: Vec<RowDetails>,
    /// Distinct node paths, scope sets and scope ids, shared by the rows.
    node_paths: Vec<String>,
    /// Where each node path is in `node_paths` (a workspace may hold thousands of nodes).
    node_index: HashMap<String, u32>,
    scope_sets: Vec<u128>,
    scope_set_index: HashMap<u128, u32>,
    scope_names: Vec<String>,
    /// How often each (ASCII-lower-cased) byte occurs in `text`: a search looks for the
    /// needle's rarest byte.
    byte_counts: [u32; 256],
}

impl Default for KeyRows {
    fn default() -> Self {
        KeyRows {
            slots: Vec::new(),
            text: String::new(),
            details: Vec::new(),
            node_paths: Vec::new(),
            node_index: HashMap::new(),
            scope_sets: Vec::new(),
            scope_set_index: HashMap::new(),
            scope_names: Vec::new(),
            byte_counts: [0; 256],
        }
    }
}

fn intern(table: &mut Vec<String>, value: &str) -> u32 {
    let i = match table.iter().position(|v| v == value) {
        Some(i) => i,
        None => {
            table.push(value.to_owned());
            table.len() - 1
        }
    };
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// `s` cut to at most `max` bytes at a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl KeyRows {
    /// Empties the table (memory included); scopes are shown in `catalog` order.
    pub fn clear(&mut self, catalog: impl IntoIterator<Item = String>) {
        *self = KeyRows {
            scope_names: catalog.into_iter().collect(),
            ..KeyRows::default()
        };
    }

    pub fn push(&mut self, k: KeyInfo) {
        let d = &k.details;
        let details = if d.owner.is_empty() && d.tags.is_empty() && d.description.is_empty() {
            NO_DETAILS
        } else {
            self.details.push(RowDetails {
                owner: d.owner.clone(),
                tags: d.tags.join(", "),
                description: d.description.clone(),
            });
            u32::try_from(self.details.len() - 1).unwrap_or(NO_DETAILS)
        };
        let mut scopes = 0u128;
        for s in &k.policy.scopes {
            // A catalog of more than 128 scopes shows the first 128 in the table.
            if let Some(i) = Some(intern(&mut self.scope_names, s)).filter(|&i| i < 128) {
                scopes |= 1 << i;
            }
        }
        let next_set = u32::try_from(self.scope_sets.len()).unwrap_or(u32::MAX);
        let scope_set = *self.scope_set_index.entry(scopes).or_insert(next_set);
        if scope_set == next_set {
            self.scope_sets.push(scopes);
        }
        let at = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        let mut lens = [0u16; 3];
        for (len, field) in lens.iter_mut().zip([&k.key_id, &k.name, &k.display]) {
            let field = clip(field, usize::from(u16::MAX));
            *len = field.len() as u16;
            self.text.push_str(field);
            for b in field.bytes() {
                self.byte_counts[usize::from(b.to_ascii_lowercase())] += 1;
            }
        }
        let mut flags = 0;
        for (on, flag) in [
            (k.full_access, FULL_ACCESS),
            (k.policy.expires_at.is_some(), HAS_EXPIRY),
            (k.last_used_at.is_some(), HAS_LAST_USE),
            (k.uses_24h.is_some() && k.uses_30d.is_some(), HAS_USES),
        ] {
            if on {
                flags |= flag;
            }
        }
        let node = self.node_of(k.node);
        let count = |n: Option<u64>| n.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
        self.slots.push(Slot {
            created_at: k.created_at,
            expires_at: k.policy.expires_at.unwrap_or_default(),
            last_used_at: k.last_used_at.unwrap_or_default(),
            at,
            key_id_len: lens[0],
            name_len: lens[1],
            display_len: lens[2],
            status: k.status,
            flags,
            node,
            scope_set,
            details,
            uses: [count(k.uses_24h), count(k.uses_30d)],
        });
    }

    /// The index of `path` in `node_paths`, added when new.
    fn node_of(&mut self, path: String) -> u32 {
        if let Some(&i) = self.node_index.get(&path) {
            return i;
        }
        let i = u32::try_from(self.node_paths.len()).unwrap_or(u32::MAX);
        self.node_paths.push(path.clone());
        self.node_index.insert(path, i);
        i
    }

    /// Gives back what the growing vectors reserved beyond their contents.
    pub fn shrink(&mut self) {
        self.slots.shrink_to_fit();
        self.text.shrink_to_fit();
        self.details.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    fn field(&self, at: usize, len: u16) -> &str {
        self.text.get(at..at + usize::from(len)).unwrap_or("")
    }

    /// Row `i`; rows out of range and damaged offsets read as empty text, never a panic.
    pub fn get(&self, i: usize) -> KeyRow<'_> {
        let Some(s) = self.slots.get(i) else {
            return self.empty_row();
        };
        let at = s.at as usize;
        let name_at = at + usize::from(s.key_id_len);
        let display_at = name_at + usize::from(s.name_len);
        let has = |flag| s.flags & flag != 0;
        KeyRow {
            key_id: self.field(at, s.key_id_len),
            name: self.field(name_at, s.name_len),
            display: self.field(display_at, s.display_len),
            node: self
                .node_paths
                .get(s.node as usize)
                .map_or("", String::as_str),
            full_access: has(FULL_ACCESS),
            status: s.status,
            created_at: s.created_at,
            expires_at: has(HAS_EXPIRY).then_some(s.expires_at),
            last_used_at: has(HAS_LAST_USE).then_some(s.last_used_at),
            uses: has(HAS_USES).then_some((s.uses[0], s.uses[1])),
            details: self.details.get(s.details as usize),
            scopes: self
                .scope_sets
                .get(s.scope_set as usize)
                .copied()
                .unwrap_or(0),
            scope_names: &self.scope_names,
        }
    }

    fn empty_row(&self) -> KeyRow<'_> {
        KeyRow {
            key_id: "",
            name: "",
            display: "",
            node: "",
            full_access: false,
            status: KeyStatus::Tampered,
            created_at: 0,
            expires_at: None,
            last_used_at: None,
            uses: None,
            details: None,
            scopes: 0,
            scope_names: &[],
        }
    }

    pub fn status(&self, i: usize) -> KeyStatus {
        self.slots.get(i).map_or(KeyStatus::Tampered, |s| s.status)
    }

    pub fn created_at(&self, i: usize) -> i64 {
        self.slots.get(i).map_or(0, |s| s.created_at)
    }

    /// For every row, whether `needle` (lower-case) occurs in its key id, name or display form
    /// (ASCII letters in any case; other characters exactly), or in its scopes, owner, tags or
    /// description.
    pub fn matching(&self, needle: &str) -> Vec<bool> {
        let mut hit = vec![false; self.slots.len()];
        if needle.is_empty() {
            hit.fill(true);
            return hit;
        }
        self.mark_text_matches(needle.as_bytes(), &mut hit);
        let scope_mask = self
            .scope_names
            .iter()
            .take(128)
            .enumerate()
            .filter(|(_, s)| contains_folded(s, needle))
            .fold(0u128, |m, (i, _)| m | (1 << i));
        let set_hit: Vec<bool> = self
            .scope_sets
            .iter()
            .map(|s| s & scope_mask != 0)
            .collect();
        let details_hit: Vec<bool> = self
            .details
            .iter()
            .map(|d| {
                contains_folded(&d.owner, needle)
                    || contains_folded(&d.tags, needle)
                    || contains_folded(&d.description, needle)
            })
            .collect();
        for (slot, hit) in self.slots.iter().zip(&mut hit) {
            *hit = *hit
                || set_hit.get(slot.scope_set as usize) == Some(&true)
                || details_hit.get(slot.details as usize) == Some(&true);
        }
        hit
    }

    /// One pass over the text arena: candidates are the places of the needle's rarest byte.
    fn mark_text_matches(&self, needle: &[u8], hit: &mut [bool]) {
        let hay = self.text.as_bytes();
        let n = needle.len();
        let count = |b: u8| self.byte_counts[usize::from(b)];
        let Some((anchor, &byte)) = needle.iter().enumerate().min_by_key(|(_, b)| count(**b))
        else {
            return;
        };
        if count(byte) == 0 {
            return;
        }
        let upper = byte.to_ascii_uppercase();
        // Rows end where the next row's text begins; a hit before `done_until` is in a row
        // already matched.
        let mut done_until = 0;
        let mut check = |at: usize| {
            let Some(start) = at.checked_sub(anchor) else {
                return;
            };
            if start < done_until
                || !hay
                    .get(start..start + n)
                    .is_some_and(|w| w.eq_ignore_ascii_case(needle))
            {
                return;
            }
            let row = self
                .slots
                .partition_point(|s| s.at as usize <= start)
                .saturating_sub(1);
            let Some(s) = self.slots.get(row) else {
                return;
            };
            let mut field_at = s.at as usize;
            let row_end = field_at
                + usize::from(s.key_id_len)
                + usize::from(s.name_len)
                + usize::from(s.display_len);
            for len in [s.key_id_len, s.name_len, s.display_len] {
                let field_end = field_at + usize::from(len);
                if start >= field_at && start + n <= field_end {
                    hit[row] = true;
                    done_until = row_end;
                    return;
                }
                field_at = field_end;
            }
        };
        if byte == upper {
            memchr::memchr_iter(byte, hay).for_each(&mut check);
        } else {
            memchr::memchr2_iter(byte, upper, hay).for_each(&mut check);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An active key with no scopes, details or expiry, for the table's tests.
    pub(in crate::ui) fn key(key_id: &str, name: &str, display: &str) -> KeyInfo {
        KeyInfo {
            key_id: key_id.into(),
            name: name.into(),
            node: "acme/prod".into(),
            node_id: 1,
            policy: keyward_verify::Policy::default(),
            full_access: false,
            created_at: 1,
            last_used_at: None,
            uses_24h: None,
            uses_30d: None,
            credits_left: None,
            revoked_at: None,
            status: KeyStatus::Active,
            display: display.into(),
            details: Default::default(),
            old_secret_valid_until: None,
        }
    }

    fn rows(keys: &[(&str, &str, &str)]) -> KeyRows {
        let mut rows = KeyRows::default();
        rows.clear(Vec::new());
        for (id, name, display) in keys {
            rows.push(key(id, name, display));
        }
        rows
    }

    fn hits(rows: &KeyRows, needle: &str) -> Vec<usize> {
        let m = rows.matching(needle);
        (0..m.len()).filter(|&i| m[i]).collect()
    }

    #[test]
    fn a_row_gives_back_what_was_pushed() {
        let mut r = KeyRows::default();
        r.clear(vec!["read".into(), "write".into()]);
        let mut k = key("kid_1", "名前 ✓", "kw_ab…cd");
        k.policy.scopes = vec!["write".into(), "extra".into()];
        k.policy.expires_at = Some(-5);
        k.uses_24h = Some(3);
        k.uses_30d = Some(u64::MAX);
        k.details.owner = "ops".into();
        r.push(k);
        r.push(key("kid_2", "", ""));
        r.shrink();
        let a = r.get(0);
        assert_eq!(
            (a.key_id, a.name, a.display, a.node),
            ("kid_1", "名前 ✓", "kw_ab…cd", "acme/prod")
        );
        assert_eq!(a.scopes().collect::<Vec<_>>(), ["write", "extra"]);
        assert_eq!((a.expires_at, a.last_used_at), (Some(-5), None));
        assert_eq!(a.uses, Some((3, u32::MAX)));
        assert_eq!(a.details.map(|d| d.owner.as_str()), Some("ops"));
        let b = r.get(1);
        assert_eq!(
            (b.key_id, b.name, b.expires_at, b.uses),
            ("kid_2", "", None, None)
        );
        assert!(b.details.is_none());
        assert_eq!(r.get(7).key_id, "", "out of range reads as empty");
    }

    #[test]
    fn text_search_stays_inside_one_field_of_one_row() {
        let r = rows(&[
            ("kid_a", "alpha", "kw_x"),
            ("kid_b", "beta", "kw_y"),
            ("kid_c", "Gamma", "kw_z"),
        ]);
        assert_eq!(hits(&r, "gam"), [2], "any case");
        assert_eq!(hits(&r, "kid_"), [0, 1, 2]);
        // "alphakw_x" runs over the boundary between a name and a display form.
        assert!(hits(&r, "alphakw").is_empty());
        // "kw_xkid_b" runs from one row into the next.
        assert!(hits(&r, "xkid").is_empty());
        assert_eq!(hits(&r, "a"), [0, 1, 2]);
        assert!(hits(&r, "q").is_empty());
        assert_eq!(hits(&r, "").len(), 3);
    }

    #[test]
    fn a_long_name_is_cut_at_a_character_boundary() {
        let long = "é".repeat(40_000);
        let r = rows(&[("kid_a", &long, "kw")]);
        let name = r.get(0).name;
        assert!(name.len() <= usize::from(u16::MAX) && name.chars().all(|c| c == 'é'));
        assert_eq!(r.get(0).display, "kw");
    }

    proptest::proptest! {
        /// The one-pass search finds exactly the rows a field-by-field search finds.
        #[test]
        fn arena_search_matches_a_field_by_field_search(
            keys in proptest::collection::vec(("[a-cA-C_é]{0,6}", "[a-cA-C é✓]{0,8}", "[a-c…]{0,4}"), 0..40),
            needle in "[a-cA-C_é ✓…]{1,3}",
        ) {
            let keys: Vec<(&str, &str, &str)> =
                keys.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
            let r = rows(&keys);
            let needle = needle.to_lowercase();
            let want: Vec<usize> = (0..keys.len())
                .filter(|&i| {
                    let (a, b, c) = keys[i];
                    [a, b, c].iter().any(|f| contains_folded(f, &needle))
                })
                .collect();
            proptest::prop_assert_eq!(hits(&r, &needle), want);
        }
    }
}
