//! The rows of the API Keys table, kept compact (about 200 bytes a key) so 100,000 keys fit the
//! window's memory budget, with the sort order cached and search done without a second copy
//! of the text.

use crate::vault::{KeyInfo, KeyStatus, Scope};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortColumn {
    Name,
    #[default]
    Created,
    Expires,
    LastUsed,
    Status,
}

/// One key as the table shows it.
pub struct KeyRow {
    pub key_id: Box<str>,
    pub name: Box<str>,
    pub display: Box<str>,
    /// Index into [`KeyTable::node_paths`].
    node: u32,
    /// Bit `i` set: the key has scope `KeyTable::scope_names[i]`.
    scopes: u128,
    pub full_access: bool,
    pub status: KeyStatus,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// Checks through `keyward serve` in the last 24 hours and 30 days, when known.
    pub uses: Option<(u32, u32)>,
    /// Owner, tags and description; `None` for the (many) keys that have none, to keep the
    /// row small.
    pub details: Option<Box<RowDetails>>,
}

/// What people wrote about a key, as the table shows and searches it.
pub struct RowDetails {
    pub owner: String,
    /// Comma-separated.
    pub tags: String,
    pub description: String,
}

/// The keys of the selected node, with the search filter and sort applied as indices.
#[derive(Default)]
pub struct KeyTable {
    rows: Vec<KeyRow>,
    /// Distinct node paths and scope ids, shared by the rows.
    node_paths: Vec<String>,
    scope_names: Vec<String>,
    /// Every row in the current sort order, so a search only filters it.
    order: Vec<usize>,
    view: Vec<usize>,
    pub search: String,
    applied_search: String,
    /// Only keys of this status (the filter chips).
    status_filter: Option<KeyStatus>,
    /// How many keys have each status (index: [`STATUSES`]).
    status_counts: [usize; STATUSES.len()],
    sort: SortColumn,
    /// Oldest (or A to Z) first; the default is newest first.
    ascending: bool,
    /// Key ids ticked for a bulk action.
    selected: Vec<Box<str>>,
    /// A key to show highlighted (just minted), and the view row to scroll to once.
    highlight: Option<Box<str>>,
    scroll_to: Option<usize>,
}

/// The statuses the filter chips offer, in order.
pub const STATUSES: [KeyStatus; 6] = [
    KeyStatus::Active,
    KeyStatus::ExpiringSoon,
    KeyStatus::Expired,
    KeyStatus::Revoked,
    KeyStatus::Exposed,
    KeyStatus::Tampered,
];

fn intern(table: &mut Vec<String>, value: &str) -> usize {
    match table.iter().position(|v| v == value) {
        Some(i) => i,
        None => {
            table.push(value.to_owned());
            table.len() - 1
        }
    }
}

/// Case-insensitive substring test without allocating (ASCII folding; other letters exact).
fn contains_folded(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Rows from which a search is split over two threads.
const SPLIT_SEARCH_FROM: usize = 20_000;

/// `order` filtered by `keep`, order kept. A long table is searched in two halves on two
/// threads where there are two cores: 100,000 rows of several fields each within a frame.
fn filter_ordered(order: &[usize], keep: impl Fn(usize) -> bool + Sync) -> Vec<usize> {
    let filter =
        |part: &[usize]| -> Vec<usize> { part.iter().copied().filter(|&i| keep(i)).collect() };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if order.len() < SPLIT_SEARCH_FROM || cores < 2 {
        return filter(order);
    }
    let (first, second) = order.split_at(order.len() / 2);
    std::thread::scope(|scope| {
        let later = scope.spawn(|| filter(second));
        let mut view = filter(first);
        // The half is searched again here should its thread have failed.
        view.extend(later.join().unwrap_or_else(|_| filter(second)));
        view
    })
}

impl KeyTable {
    /// Starts a new set of rows (then [`KeyTable::push`] each key and [`KeyTable::finish`]).
    /// Scopes are shown in catalog order.
    pub fn begin(&mut self, catalog: &[Scope]) {
        self.rows.clear();
        self.rows.shrink_to_fit();
        self.node_paths.clear();
        self.scope_names = catalog.iter().map(|s| s.id.clone()).collect();
    }

    pub fn push(&mut self, k: KeyInfo) {
        let d = &k.details;
        let details = (!d.owner.is_empty() || !d.tags.is_empty() || !d.description.is_empty())
            .then(|| {
                Box::new(RowDetails {
                    owner: d.owner.clone(),
                    tags: d.tags.join(", "),
                    description: d.description.clone(),
                })
            });
        let node = intern(&mut self.node_paths, &k.node) as u32;
        let mut scopes = 0u128;
        for s in &k.scopes {
            let i = intern(&mut self.scope_names, s);
            // A catalog of more than 128 scopes shows the first 128 in the table.
            if i < 128 {
                scopes |= 1 << i;
            }
        }
        self.rows.push(KeyRow {
            key_id: k.key_id.into_boxed_str(),
            name: k.name.into_boxed_str(),
            display: k.display.into_boxed_str(),
            node,
            scopes,
            full_access: k.full_access,
            status: k.status,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            uses: k.uses_24h.zip(k.uses_30d).map(|(day, month)| {
                (
                    u32::try_from(day).unwrap_or(u32::MAX),
                    u32::try_from(month).unwrap_or(u32::MAX),
                )
            }),
            details,
        });
    }

    pub fn finish(&mut self) {
        self.rows.shrink_to_fit();
        self.status_counts = [0; STATUSES.len()];
        for row in &self.rows {
            if let Some(i) = STATUSES.iter().position(|s| *s == row.status) {
                self.status_counts[i] += 1;
            }
        }
        let rows = &self.rows;
        self.selected
            .retain(|id| rows.iter().any(|r| r.key_id == *id));
        self.resort();
    }

    /// How many keys have `status`.
    pub fn count_of(&self, status: KeyStatus) -> usize {
        STATUSES
            .iter()
            .position(|s| *s == status)
            .map_or(0, |i| self.status_counts[i])
    }

    pub fn status_filter(&self) -> Option<KeyStatus> {
        self.status_filter
    }

    pub fn set_status_filter(&mut self, filter: Option<KeyStatus>) {
        self.status_filter = filter;
        self.refilter();
    }

    pub fn is_selected(&self, key_id: &str) -> bool {
        self.selected.iter().any(|id| &**id == key_id)
    }

    pub fn set_selected(&mut self, key_id: &str, on: bool) {
        self.selected.retain(|id| &**id != key_id);
        if on {
            self.selected.push(key_id.into());
        }
    }

    /// The ticked key ids.
    pub fn selection(&self) -> &[Box<str>] {
        &self.selected
    }

    pub fn clear_selection(&mut self) {
        self.selected.clear();
    }

    /// Shows `key_id` highlighted and scrolls to it once (search and filter are cleared when
    /// they hide it).
    pub fn highlight(&mut self, key_id: &str) {
        self.highlight = Some(key_id.into());
        let position = |t: &KeyTable| t.view.iter().position(|&i| &*t.rows[i].key_id == key_id);
        if position(self).is_none() {
            self.search.clear();
            self.status_filter = None;
            self.refilter();
        }
        self.scroll_to = position(self);
    }

    pub fn is_highlighted(&self, key_id: &str) -> bool {
        self.highlight.as_deref() == Some(key_id)
    }

    /// The row to scroll to, once.
    pub fn take_scroll(&mut self) -> Option<usize> {
        self.scroll_to.take()
    }

    pub fn set_rows(&mut self, rows: Vec<KeyInfo>, catalog: &[Scope]) {
        self.begin(catalog);
        for k in rows {
            self.push(k);
        }
        self.finish();
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows shown now, in order.
    pub fn visible(&self) -> impl Iterator<Item = &KeyRow> {
        self.view.iter().map(|&i| &self.rows[i])
    }

    pub fn visible_len(&self) -> usize {
        self.view.len()
    }

    /// The `n`th row shown now.
    pub fn visible_row(&self, n: usize) -> &KeyRow {
        &self.rows[self.view[n]]
    }

    pub fn node_of(&self, row: &KeyRow) -> &str {
        self.node_paths
            .get(row.node as usize)
            .map_or("", String::as_str)
    }

    pub fn scopes_of<'a>(&'a self, row: &'a KeyRow) -> impl Iterator<Item = &'a str> {
        self.scope_names
            .iter()
            .take(128)
            .enumerate()
            .filter(move |(i, _)| row.scopes & (1 << i) != 0)
            .map(|(_, s)| s.as_str())
    }

    /// The sort column and whether it runs descending.
    pub fn sort(&self) -> (SortColumn, bool) {
        (self.sort, !self.ascending)
    }

    /// Applies the search text if it changed since the last frame.
    pub fn apply_search(&mut self) {
        if self.search != self.applied_search {
            self.refilter();
        }
    }

    fn refilter(&mut self) {
        let needle = self.search.trim().to_lowercase();
        self.applied_search = self.search.clone();
        let status = self.status_filter;
        if needle.is_empty() {
            self.view = match status {
                None => self.order.clone(),
                Some(st) => {
                    let rows = &self.rows;
                    self.order
                        .iter()
                        .copied()
                        .filter(|&i| rows[i].status == st)
                        .collect()
                }
            };
            return;
        }
        // Scope and status matches are decided once, not per row.
        let scope_mask = self
            .scope_names
            .iter()
            .take(128)
            .enumerate()
            .filter(|(_, s)| contains_folded(s, &needle))
            .fold(0u128, |m, (i, _)| m | (1 << i));
        let rows = &self.rows;
        let needle = needle.as_str();
        self.view = filter_ordered(&self.order, |i| {
            let k = &rows[i];
            if status.is_some_and(|st| k.status != st) {
                return false;
            }
            k.scopes & scope_mask != 0
                || contains_folded(&k.name, needle)
                || contains_folded(&k.key_id, needle)
                || contains_folded(&k.display, needle)
                || contains_folded(k.status.label(), needle)
                || k.details.as_ref().is_some_and(|d| {
                    contains_folded(&d.owner, needle)
                        || contains_folded(&d.tags, needle)
                        || contains_folded(&d.description, needle)
                })
        });
    }

    fn resort(&mut self) {
        let rows = &self.rows;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        // Stable sorts: ties keep the vault's (creation) order.
        match self.sort {
            SortColumn::Name => order.sort_by_cached_key(|&i| rows[i].name.to_lowercase()),
            SortColumn::Created => order.sort_by_key(|&i| rows[i].created_at),
            SortColumn::Expires => order.sort_by_key(|&i| rows[i].expires_at.unwrap_or(i64::MAX)),
            SortColumn::LastUsed => order.sort_by_key(|&i| rows[i].last_used_at.unwrap_or(0)),
            SortColumn::Status => order.sort_by_key(|&i| rows[i].status),
        }
        if !self.ascending {
            order.reverse();
        }
        self.order = order;
        self.refilter();
    }

    pub fn sort_by(&mut self, column: SortColumn) {
        if self.sort == column {
            self.ascending = !self.ascending;
        } else {
            self.sort = column;
            self.ascending = true;
        }
        self.resort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, scopes: &[&str], created_at: i64) -> KeyInfo {
        KeyInfo {
            key_id: format!("kid_{name}"),
            name: name.into(),
            node: "acme/prod".into(),
            node_id: 1,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            full_access: false,
            created_at,
            expires_at: None,
            last_used_at: None,
            uses_24h: None,
            uses_30d: None,
            revoked_at: None,
            status: KeyStatus::Active,
            display: format!("kw_{name}…"),
            details: Default::default(),
            old_secret_valid_until: None,
        }
    }

    fn names(t: &KeyTable) -> Vec<String> {
        t.visible().map(|k| k.name.to_string()).collect()
    }

    #[test]
    fn search_matches_name_key_id_scope_and_status_ignoring_case() {
        let mut t = KeyTable::default();
        t.set_rows(
            vec![
                key("Grafana", &["read"], 1),
                key("ci", &["read", "write"], 2),
            ],
            &[],
        );
        t.search = "GRAF".into();
        t.apply_search();
        assert_eq!(names(&t), ["Grafana"]);
        t.search = "write".into();
        t.apply_search();
        assert_eq!(names(&t), ["ci"]);
        t.search = "kid_ci".into();
        t.apply_search();
        assert_eq!(names(&t), ["ci"]);
        t.search = "active".into();
        t.apply_search();
        assert_eq!(names(&t).len(), 2);
        t.search = "nothing".into();
        t.apply_search();
        assert!(names(&t).is_empty());
    }

    #[test]
    fn status_filter_selection_and_highlight() {
        let mut t = KeyTable::default();
        let mut revoked = key("old", &[], 1);
        revoked.status = KeyStatus::Revoked;
        t.set_rows(vec![revoked, key("new", &[], 2)], &[]);
        assert_eq!(t.count_of(KeyStatus::Revoked), 1);
        t.set_status_filter(Some(KeyStatus::Revoked));
        assert_eq!(names(&t), ["old"]);
        t.set_selected("kid_new", true);
        t.highlight("kid_new");
        assert_eq!(t.status_filter(), None, "the filter hid the new key");
        assert_eq!(names(&t), ["new", "old"]);
        assert_eq!(t.take_scroll(), Some(0));
        assert_eq!(t.take_scroll(), None, "once");
        t.set_rows(vec![key("old", &[], 1)], &[]);
        assert!(t.selection().is_empty(), "a key gone leaves the selection");
    }

    #[test]
    fn a_long_table_is_searched_in_two_halves_in_order() {
        let n = SPLIT_SEARCH_FROM as i64 + 10_001;
        let mut t = KeyTable::default();
        t.set_rows(
            (0..n).map(|i| key(&format!("k{i:06}"), &[], i)).collect(),
            &[],
        );
        // Names ending in 7: in both halves of the (newest first) order.
        t.search = "7".into();
        t.apply_search();
        let want: Vec<String> = (0..n)
            .rev()
            .map(|i| format!("k{i:06}"))
            .filter(|name| name.contains('7'))
            .collect();
        assert!(want.len() > 1_000);
        assert_eq!(names(&t), want);
    }

    #[test]
    fn search_matches_owner_tags_and_description() {
        let mut t = KeyTable::default();
        let mut a = key("a", &[], 1);
        a.details.owner = "Team Payments".into();
        let mut b = key("b", &[], 2);
        b.details.tags = vec!["ci".into(), "legacy".into()];
        let mut c = key("c", &[], 3);
        c.details.description = "Grafana dashboards".into();
        t.set_rows(vec![a, b, c, key("d", &[], 4)], &[]);
        for (needle, want) in [("payments", "a"), ("LEGACY", "b"), ("dashboards", "c")] {
            t.search = needle.into();
            t.apply_search();
            assert_eq!(names(&t), [want], "{needle}");
        }
    }

    #[test]
    fn rows_keep_their_scopes_and_node_and_sort_both_ways() {
        let mut t = KeyTable::default();
        let catalog = crate::vault::Preset::ReadWrite.scopes();
        t.set_rows(
            vec![key("b", &["write"], 1), key("a", &["read", "write"], 2)],
            &catalog,
        );
        assert_eq!(names(&t), ["a", "b"], "newest first by default");
        let first = t.visible_row(1);
        assert_eq!(t.scopes_of(first).collect::<Vec<_>>(), ["write"]);
        assert_eq!(t.node_of(first), "acme/prod");
        t.sort_by(SortColumn::Name);
        assert_eq!(names(&t), ["a", "b"]);
        assert_eq!(
            t.scopes_of(t.visible_row(0)).collect::<Vec<_>>(),
            ["read", "write"]
        );
        t.sort_by(SortColumn::Name);
        assert_eq!(names(&t), ["b", "a"]);
    }
}
