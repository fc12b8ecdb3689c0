//! The API Keys table: the rows (packed in [`KeyRows`]), the sort order cached, and the
//! search and status filter applied as indices into it.

use std::cell::Cell;
use std::collections::HashSet;

pub use super::key_rows::KeyRow;
use super::key_rows::KeyRows;
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

/// The keys of the selected node, with the search filter and sort applied as indices.
#[derive(Default)]
pub struct KeyTable {
    rows: KeyRows,
    /// Every row in the current sort order, so a search only filters it.
    order: Vec<u32>,
    view: Vec<u32>,
    pub search: String,
    applied_search: String,
    /// Only keys of this status (the filter chips).
    status_filter: Option<KeyStatus>,
    /// How many keys have each status (index: [`STATUSES`]).
    status_counts: [usize; STATUSES.len()],
    sort: SortColumn,
    /// Oldest (or A to Z) first; the default is newest first.
    ascending: bool,
    /// Key ids ticked for a bulk action (a set: select-all ticks tens of thousands).
    selected: HashSet<Box<str>>,
    /// A key to show highlighted (just minted), and the view row to scroll to once.
    highlight: Option<Box<str>>,
    scroll_to: Option<usize>,
    /// The current row (a view index), moved by the arrow keys.
    cursor: Option<usize>,
    /// The row last ticked or unticked (a view index): where a shift-click range starts.
    anchor: Option<usize>,
    /// Whether every shown row is ticked, once worked out (the header's box asks each frame;
    /// at 20,000 rows the answer costs milliseconds). Reset when the ticks or the view change.
    all_shown_ticked: Cell<Option<bool>>,
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

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl KeyTable {
    /// Starts a new set of rows (then [`KeyTable::push`] each key and [`KeyTable::finish`]).
    /// Scopes are shown in catalog order.
    pub fn begin(&mut self, catalog: &[Scope]) {
        self.rows.clear(catalog.iter().map(|s| s.id.clone()));
        self.order = Vec::new();
        self.view = Vec::new();
        self.all_shown_ticked.set(None);
    }

    pub fn push(&mut self, k: KeyInfo) {
        self.rows.push(k);
    }

    pub fn finish(&mut self) {
        self.rows.shrink();
        self.status_counts = [0; STATUSES.len()];
        for i in 0..self.rows.len() {
            let status = self.rows.status(i);
            if let Some(n) = STATUSES.iter().position(|s| *s == status) {
                self.status_counts[n] += 1;
            }
        }
        if !self.selected.is_empty() {
            let present: HashSet<&str> = (0..self.rows.len())
                .map(|i| self.rows.get(i).key_id)
                .collect();
            self.selected.retain(|id| present.contains(&**id));
        }
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
        self.selected.contains(key_id)
    }

    pub fn set_selected(&mut self, key_id: &str, on: bool) {
        self.all_shown_ticked.set(None);
        self.anchor = self
            .view
            .iter()
            .position(|&i| self.rows.get(i as usize).key_id == key_id);
        if on {
            self.selected.insert(key_id.into());
        } else {
            self.selected.remove(key_id);
        }
    }

    /// How many keys are ticked.
    pub fn selected_len(&self) -> usize {
        self.selected.len()
    }

    /// The ticked keys, in the table's order (hidden ones included).
    pub fn selection(&self) -> impl Iterator<Item = KeyRow<'_>> {
        self.order
            .iter()
            .map(|&i| self.rows.get(i as usize))
            .filter(|k| self.selected.contains(k.key_id))
    }

    pub fn clear_selection(&mut self) {
        self.all_shown_ticked.set(None);
        self.selected.clear();
    }

    /// Shows `key_id` highlighted and scrolls to it once (search and filter are cleared when
    /// they hide it).
    pub fn highlight(&mut self, key_id: &str) {
        self.highlight = Some(key_id.into());
        let position = |t: &KeyTable| {
            t.view
                .iter()
                .position(|&i| t.rows.get(i as usize).key_id == key_id)
        };
        if position(self).is_none() {
            self.search.clear();
            self.status_filter = None;
            self.refilter();
        }
        self.scroll_to = position(self);
    }

    /// Ends the highlight of a key other than `key_id` (whose details are shown now), so that
    /// one row does not stay marked while the details show another.
    pub fn highlight_only(&mut self, key_id: &str) {
        if !self.is_highlighted(key_id) {
            self.highlight = None;
        }
    }

    pub fn is_highlighted(&self, key_id: &str) -> bool {
        self.highlight.as_deref() == Some(key_id)
    }

    /// The current row's view index, when there is one.
    pub fn cursor(&self) -> Option<usize> {
        self.cursor.filter(|&c| c < self.view.len())
    }

    /// Moves the current row by `delta` (clamped to the list; from nowhere, Down starts at
    /// the top and Up at the bottom) and scrolls it into view.
    pub fn move_cursor(&mut self, delta: isize) {
        let Some(last) = self.view.len().checked_sub(1) else {
            self.cursor = None;
            return;
        };
        let next = match self.cursor() {
            Some(c) => c.saturating_add_signed(delta).min(last),
            None if delta < 0 => last,
            None => 0,
        };
        self.cursor = Some(next);
        self.scroll_to = Some(next);
    }

    /// The current row's key id.
    pub fn cursor_key(&self) -> Option<KeyRow<'_>> {
        self.cursor().map(|c| self.visible_row(c))
    }

    /// Ticks every row the search and filter show (the hidden ones stay as they were).
    pub fn select_visible(&mut self) {
        self.select_visible_only(true);
    }

    /// Ticks (or unticks) every row shown; hidden rows stay as they were.
    pub fn select_visible_only(&mut self, on: bool) {
        self.select_view_range(0, self.view.len(), on);
    }

    /// Ticks (or unticks) the shown rows from the last one ticked to `to`, both included.
    pub fn select_range(&mut self, to: usize, on: bool) {
        let from = self.anchor.unwrap_or(to);
        self.select_view_range(from.min(to), from.max(to) + 1, on);
        self.anchor = Some(to);
    }

    fn select_view_range(&mut self, start: usize, end: usize, on: bool) {
        self.all_shown_ticked.set(None);
        let end = end.min(self.view.len());
        for n in start.min(end)..end {
            let id = self.rows.get(self.view[n] as usize).key_id;
            if on {
                self.selected.insert(id.into());
            } else {
                self.selected.remove(id);
            }
        }
    }

    /// Every shown row is ticked (and at least one is shown).
    pub fn all_visible_selected(&self) -> bool {
        if let Some(all) = self.all_shown_ticked.get() {
            return all;
        }
        let all = !self.view.is_empty()
            && self.selected.len() >= self.view.len()
            && self.visible().all(|k| self.selected.contains(k.key_id));
        self.all_shown_ticked.set(Some(all));
        all
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
        self.rows.len() == 0
    }

    /// The rows shown now, in order.
    pub fn visible(&self) -> impl Iterator<Item = KeyRow<'_>> {
        self.view.iter().map(|&i| self.rows.get(i as usize))
    }

    pub fn visible_len(&self) -> usize {
        self.view.len()
    }

    /// The `n`th row shown now.
    pub fn visible_row(&self, n: usize) -> KeyRow<'_> {
        let i = self.view.get(n).map_or(usize::MAX, |&i| i as usize);
        self.rows.get(i)
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
        self.all_shown_ticked.set(None);
        let needle = self.search.trim().to_lowercase();
        self.applied_search = self.search.clone();
        let status = self.status_filter;
        let rows = &self.rows;
        let status_ok = |i: u32| status.is_none_or(|st| rows.status(i as usize) == st);
        if needle.is_empty() {
            self.view = match status {
                None => self.order.clone(),
                Some(_) => self
                    .order
                    .iter()
                    .copied()
                    .filter(|&i| status_ok(i))
                    .collect(),
            };
            return;
        }
        // A status's label matches or not once, not per row.
        let label_hit = STATUSES.map(|st| crate::vault::contains_folded(st.label(), &needle));
        let hit = rows.matching(&needle);
        self.view = self
            .order
            .iter()
            .copied()
            .filter(|&i| {
                status_ok(i)
                    && (hit.get(i as usize) == Some(&true) || {
                        let st = rows.status(i as usize);
                        STATUSES
                            .iter()
                            .position(|s| *s == st)
                            .is_some_and(|n| label_hit[n])
                    })
            })
            .collect();
    }

    fn resort(&mut self) {
        let rows = &self.rows;
        let mut order: Vec<u32> = (0..rows.len()).map(index).collect();
        let row = |i: &u32| rows.get(*i as usize);
        // Stable sorts: ties keep the vault's (creation) order.
        match self.sort {
            SortColumn::Name => order.sort_by_cached_key(|i| row(i).name.to_lowercase()),
            SortColumn::Created => order.sort_by_key(|i| rows.created_at(*i as usize)),
            SortColumn::Expires => order.sort_by_key(|i| row(i).expires_at.unwrap_or(i64::MAX)),
            SortColumn::LastUsed => order.sort_by_key(|i| row(i).last_used_at.unwrap_or(0)),
            SortColumn::Status => order.sort_by_key(|i| rows.status(*i as usize)),
        }
        if !self.ascending {
            order.reverse();
        }
        self.order = order;
        self.refilter();
    }

    /// Sorts by `column`, descending or not (a sort kept across a lock).
    pub fn set_sort(&mut self, column: SortColumn, descending: bool) {
        self.sort = column;
        self.ascending = !descending;
        self.resort();
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
        let mut k =
            crate::ui::key_rows::tests::key(&format!("kid_{name}"), name, &format!("kw_{name}…"));
        k.policy.scopes = scopes.iter().map(|s| s.to_string()).collect();
        k.created_at = created_at;
        k
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
        assert_eq!(t.selected_len(), 0, "a key gone leaves the selection");
    }

    #[test]
    fn a_long_table_is_searched_in_order() {
        let n = 30_001;
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
        assert_eq!(first.scopes().collect::<Vec<_>>(), ["write"]);
        assert_eq!(first.node, "acme/prod");
        t.sort_by(SortColumn::Name);
        assert_eq!(names(&t), ["a", "b"]);
        assert_eq!(
            t.visible_row(0).scopes().collect::<Vec<_>>(),
            ["read", "write"]
        );
        t.sort_by(SortColumn::Name);
        assert_eq!(names(&t), ["b", "a"]);
    }

    #[test]
    fn all_shown_ticked_follows_every_change_of_ticks_and_view() {
        let mut t = KeyTable::default();
        let rows = |n: usize| -> Vec<KeyInfo> {
            (0..n)
                .map(|i| key(&format!("k{i}"), &[], i as i64))
                .collect()
        };
        t.set_rows(rows(20_000), &[]);
        assert!(!t.all_visible_selected());
        t.select_visible();
        let started = std::time::Instant::now();
        assert!(t.all_visible_selected());
        let first = started.elapsed();
        let started = std::time::Instant::now();
        assert!(t.all_visible_selected());
        eprintln!(
            "all shown ticked at 20,000 rows: {first:?}, then {:?}",
            started.elapsed()
        );
        t.set_selected("kid_k5", false);
        assert!(!t.all_visible_selected(), "one unticked");
        t.search = "k5".into();
        t.apply_search();
        assert!(!t.all_visible_selected(), "k5 is shown");
        t.search = "k19999".into();
        t.apply_search();
        assert!(t.all_visible_selected(), "only a ticked row is shown");
        t.clear_selection();
        assert!(!t.all_visible_selected());
        t.select_range(0, true);
        assert!(t.all_visible_selected(), "ranges tick");
        t.set_rows(rows(20_001), &[]);
        t.search = "k20000".into();
        t.apply_search();
        assert!(!t.all_visible_selected(), "a new row is not ticked");
    }
}
