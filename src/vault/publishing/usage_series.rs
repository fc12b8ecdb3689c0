//! Usage as series and rankings: a key's checks per UTC day over the last N days, allowed and
//! refused by reason, merged across the usage files beside this machine's publish targets; and
//! the busiest keys of the vault over the same days. What the key's usage chart, the Usage view
//! and `keyward key usage` show. Read from the files' per-day `outcomes` (`super::outcomes`):
//! a file written before outcomes were counted adds nothing here.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::usage::{DAY_SECS, KeyUsage, UsageFile, collect_of, usage_path};
use crate::vault::error::Result;
use crate::vault::model::{NodeId, Timestamp};
use crate::vault::{Outcome, Vault};

/// The most days a series covers (what usage files keep of outcomes).
pub const MAX_SERIES_DAYS: u32 = super::outcomes::OUTCOME_DAYS_KEPT as u32;
/// How a refusal whose code this build does not know (written by a newer `keyward serve`) is
/// shown.
pub const OTHER_REASON: &str = "other";

/// Key ids of a usage file the vault does not hold (deleted keys, or a hostile file's) looked
/// up at most while ranking the busiest keys.
pub const MAX_MISSES: usize = 1_000;

/// One UTC day of a key's checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UsageDay {
    /// The day's start (UTC midnight), unix seconds.
    pub day: Timestamp,
    /// Checks answered `valid`.
    pub allowed: u64,
    /// Refused checks by reason: the outcome's code, or [`OTHER_REASON`].
    pub refused: BTreeMap<String, u64>,
}

impl UsageDay {
    pub fn refused_total(&self) -> u64 {
        self.refused
            .values()
            .fold(0u64, |acc, &n| acc.saturating_add(n))
    }

    pub fn total(&self) -> u64 {
        self.allowed.saturating_add(self.refused_total())
    }
}

/// A key's checks over the last `days` days up to today (UTC): the days with checks, oldest
/// first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UsageSeries {
    pub days: u32,
    /// The first day of the window (UTC midnight).
    pub from: Timestamp,
    /// The last day of the window: today.
    pub to: Timestamp,
    pub rows: Vec<UsageDay>,
}

impl UsageSeries {
    /// Every refusal reason seen, sorted.
    pub fn reasons(&self) -> Vec<&str> {
        let mut reasons: Vec<&str> = self
            .rows
            .iter()
            .flat_map(|r| r.refused.keys().map(String::as_str))
            .collect();
        reasons.sort_unstable();
        reasons.dedup();
        reasons
    }

    pub fn total(&self) -> u64 {
        self.rows
            .iter()
            .fold(0u64, |acc, r| acc.saturating_add(r.total()))
    }

    pub fn refused_total(&self) -> u64 {
        self.rows
            .iter()
            .fold(0u64, |acc, r| acc.saturating_add(r.refused_total()))
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One of the busiest keys, or of those at their limits: its checks over the window, its
/// limits, and what the usage files say of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BusyKey {
    pub key_id: String,
    pub name: String,
    /// The node's path.
    pub node: String,
    pub node_id: NodeId,
    pub total: u64,
    pub refused: u64,
    /// The key's limits in words (`KeyLimits::summary`), if it has any.
    pub limits: Option<String>,
    /// Checks refused for a rate limit over the last 7 days.
    pub rate_limited_7d: u64,
    /// Checks refused for its credits today or yesterday.
    pub usage_exceeded_2d: u64,
    /// Credits left, as a service last counted.
    pub credits_left: Option<u64>,
}

/// How a refusal's code is shown: as itself when this build knows the outcome, else
/// [`OTHER_REASON`].
pub fn reason_of(code: &str) -> &str {
    match serde_json::from_value::<Outcome>(serde_json::Value::String(code.to_owned())) {
        Ok(_) => code,
        Err(_) => OTHER_REASON,
    }
}

/// The first and last day (UTC midnights) of the last `days` days up to `now`'s.
fn window(now: Timestamp, days: u32) -> (Timestamp, Timestamp) {
    let days = days.clamp(1, MAX_SERIES_DAYS);
    let to = now.div_euclid(DAY_SECS) * DAY_SECS;
    (to - (i64::from(days) - 1) * DAY_SECS, to)
}

/// `key_id`'s series over the last `days` days at `now`, from `files` merged.
pub fn series_of(files: &[UsageFile], key_id: &str, now: Timestamp, days: u32) -> UsageSeries {
    let (from, to) = window(now, days);
    let mut rows: BTreeMap<Timestamp, UsageDay> = BTreeMap::new();
    for file in files {
        let Some(record) = file.keys.get(key_id) else {
            continue;
        };
        for (day, counts) in record.outcomes.days() {
            if !(from..=to).contains(day) {
                continue;
            }
            let row = rows.entry(*day).or_insert_with(|| UsageDay {
                day: *day,
                ..UsageDay::default()
            });
            for (code, &n) in counts {
                let into = if code == Outcome::Valid.as_str() {
                    &mut row.allowed
                } else {
                    row.refused.entry(reason_of(code).to_owned()).or_default()
                };
                *into = into.saturating_add(n);
            }
        }
    }
    UsageSeries {
        days: days.clamp(1, MAX_SERIES_DAYS),
        from,
        to,
        rows: rows.into_values().filter(|r| r.total() > 0).collect(),
    }
}

/// Every key's checks and refusals over the last `days` days at `now`, from `files` merged:
/// key id → (total, refused).
pub fn totals_of(files: &[UsageFile], now: Timestamp, days: u32) -> HashMap<String, (u64, u64)> {
    let (from, to) = window(now, days);
    let mut totals: HashMap<String, (u64, u64)> = HashMap::new();
    for file in files {
        for (id, record) in &file.keys {
            for (day, counts) in record.outcomes.days() {
                if !(from..=to).contains(day) {
                    continue;
                }
                let (total, refused) = totals.entry(id.clone()).or_default();
                for (code, &n) in counts {
                    *total = total.saturating_add(n);
                    if code != Outcome::Valid.as_str() {
                        *refused = refused.saturating_add(n);
                    }
                }
            }
        }
    }
    totals.retain(|_, (total, _)| *total > 0);
    totals
}

impl Vault {
    /// The usage files beside the publish targets this machine writes that read.
    fn usage_files_here(&self) -> Vec<UsageFile> {
        self.publish_files_here()
            .unwrap_or_default()
            .iter()
            .filter_map(|f| UsageFile::read(&usage_path(f)))
            .collect()
    }

    /// `key_id`'s checks through `keyward serve` per day over the last `days` days (at most
    /// [`MAX_SERIES_DAYS`]), allowed and refused by reason.
    pub fn key_usage_days(&self, key_id: &str, days: u32) -> UsageSeries {
        series_of(&self.usage_files_here(), key_id, self.now(), days)
    }

    /// The `top` keys of the vault with the most checks over the last `days` days, busiest
    /// first (keys the vault no longer holds are left out; a usage file is outside input, so
    /// after [`MAX_MISSES`] ids the vault does not hold, the search stops).
    pub fn busiest_keys(&self, days: u32, top: usize) -> Result<Vec<BusyKey>> {
        self.busiest_in(&self.usage_files_here(), days, top)
    }

    /// [`Vault::busiest_keys`], and the keys at their limits (`at_limits_in`), from one
    /// reading of the usage files (the Usage view shows both).
    pub fn busiest_and_at_limits(
        &self,
        days: u32,
        top: usize,
    ) -> Result<(Vec<BusyKey>, Vec<BusyKey>)> {
        let files = self.usage_files_here();
        Ok((
            self.busiest_in(&files, days, top)?,
            self.at_limits_in(&files, days, top)?,
        ))
    }

    fn busiest_in(&self, files: &[UsageFile], days: u32, top: usize) -> Result<Vec<BusyKey>> {
        let mut totals: Vec<(String, (u64, u64))> =
            totals_of(files, self.now(), days).into_iter().collect();
        totals.sort_unstable_by(|(a, (x, _)), (b, (y, _))| y.cmp(x).then_with(|| a.cmp(b)));
        self.busy_keys(files, totals, top)
    }

    /// The keys that ran into a rate limit in the last 7 days, were refused for their credits
    /// in the last 2, or have none left, most refusals first (at most `top`; the same
    /// [`MAX_MISSES`] bound as [`Vault::busiest_keys`]).
    fn at_limits_in(&self, files: &[UsageFile], days: u32, top: usize) -> Result<Vec<BusyKey>> {
        let now = self.now();
        let totals = totals_of(files, now, days);
        let mut ids: Vec<(String, u64)> = collect_of(files, now)
            .into_iter()
            .filter(|(_, u)| u.at_its_limits(now))
            .map(|(id, u)| (id, u.rate_limited_7d.saturating_add(u.usage_exceeded_2d)))
            .collect();
        ids.sort_unstable_by(|(a, x), (b, y)| y.cmp(x).then_with(|| a.cmp(b)));
        let asked = ids
            .into_iter()
            .map(|(id, _)| {
                let counts = totals.get(&id).copied().unwrap_or_default();
                (id, counts)
            })
            .collect();
        self.busy_keys(files, asked, top)
    }

    /// The vault's keys among `asked` (in that order, at most `top`), with their limits and
    /// usage.
    fn busy_keys(
        &self,
        files: &[UsageFile],
        asked: Vec<(String, (u64, u64))>,
        top: usize,
    ) -> Result<Vec<BusyKey>> {
        let tree = self.tree()?;
        let now = self.now();
        let mut found = Vec::new();
        for (looked_up, (key_id, (total, refused))) in asked.into_iter().enumerate() {
            // The ids looked up so far that the vault does not hold.
            let misses = looked_up - found.len();
            if found.len() >= top || misses > MAX_MISSES {
                break;
            }
            let Some(row) = self.conn.key_by_key_id(&key_id)? else {
                continue;
            };
            let info = self.key_info(&tree, &row, now)?;
            let usage = usage_in(files, &key_id, now);
            found.push(BusyKey {
                limits: info.policy.limits.as_deref().map(|l| l.summary()),
                rate_limited_7d: usage.rate_limited_7d,
                usage_exceeded_2d: usage.usage_exceeded_2d,
                credits_left: usage.credits_left(now),
                key_id,
                name: info.name,
                node: info.node,
                node_id: info.node_id,
                total,
                refused,
            });
        }
        Ok(found)
    }
}

/// `key_id`'s usage in `files`, merged.
fn usage_in(files: &[UsageFile], key_id: &str, now: Timestamp) -> KeyUsage {
    let mut all = KeyUsage::default();
    for u in files.iter().filter_map(|f| f.usage_of(key_id, now)) {
        all.add(&u);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_764_090_000;

    fn file(entries: &[(&str, Timestamp, &str, u64)]) -> UsageFile {
        let mut f = UsageFile::default();
        for &(id, at, code, n) in entries {
            f.add_outcomes(id, &[(at, code.to_owned(), n)]);
        }
        f
    }

    #[test]
    fn a_series_merges_files_by_day_and_folds_unknown_codes_into_other() {
        let today = NOW.div_euclid(DAY_SECS) * DAY_SECS;
        let a = file(&[
            ("kid_a", NOW, "valid", 5),
            ("kid_a", NOW, "insufficient_scope", 1),
            ("kid_a", NOW - 3 * DAY_SECS, "valid", 2),
            ("kid_a", NOW - 40 * DAY_SECS, "valid", 7),
            ("kid_b", NOW, "valid", 100),
        ]);
        let b = file(&[
            ("kid_a", NOW, "valid", 1),
            ("kid_a", NOW - 3 * DAY_SECS, "from_the_future", 4),
            ("kid_a", NOW - 3 * DAY_SECS, "revoked", 1),
        ]);
        let s = series_of(&[a.clone(), b.clone()], "kid_a", NOW, 30);
        assert_eq!((s.from, s.to), (today - 29 * DAY_SECS, today));
        assert_eq!(s.rows.len(), 2, "{s:?}");
        assert_eq!(s.rows[0].day, today - 3 * DAY_SECS);
        assert_eq!(s.rows[0].allowed, 2);
        assert_eq!(s.rows[0].refused.get("other"), Some(&4));
        assert_eq!(s.rows[0].refused.get("revoked"), Some(&1));
        assert_eq!(s.rows[1].allowed, 6);
        assert_eq!(s.reasons(), ["insufficient_scope", "other", "revoked"]);
        assert_eq!((s.total(), s.refused_total()), (14, 6));
        // 90 days reach the one 40 days ago; more than 90 are 90.
        assert_eq!(
            series_of(std::slice::from_ref(&a), "kid_a", NOW, 90)
                .rows
                .len(),
            3
        );
        assert_eq!(
            series_of(std::slice::from_ref(&a), "kid_a", NOW, 500).days,
            90
        );
        assert!(series_of(std::slice::from_ref(&a), "kid_none", NOW, 30).is_empty());

        let totals = totals_of(&[a, b], NOW, 30);
        assert_eq!(totals.get("kid_a"), Some(&(14, 6)));
        assert_eq!(totals.get("kid_b"), Some(&(100, 0)));
    }
}
