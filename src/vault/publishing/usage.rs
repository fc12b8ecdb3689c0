//! Usage written back by services: `<verifier file>.usage.json`, beside each verifier file a
//! `keyward serve` checks keys against. Key ids and counts only, never a secret.
//!
//! ```json
//! {
//!   "type": "keyward.usage",
//!   "version": 1,
//!   "updated_at": 1764090000,
//!   "keys": {
//!     "kid_0ex6AVO5sYpLDRHfn": {
//!       "last_used_at": 1764089990,
//!       "hours": [[1764086400, 12], [1764090000, 3]],
//!       "days": [[1764028800, 15]],
//!       "outcomes": [[1764028800, {"valid": 14, "insufficient_scope": 1}]],
//!       "credits": {"remaining": 9120, "at": 1764089990}
//!     }
//!   }
//! }
//! ```
//!
//! Times are unix seconds. `hours` holds the checks that found the key per hour (the hour's
//! start) for the last 24 hours, `days` per UTC day for the last 30 days, and `outcomes` per UTC
//! day for the last 90 days how many of them ended in each outcome (`super::outcomes`; files
//! written before it have none and still read, and readers before it ignore it); `credits`, for a
//! key with credits, what was left when the service last counted (`super::credits_seen`). A
//! writer merges its
//! new counts with what the file holds, so a restart loses nothing. The vault reads these files
//! leniently: one that is missing, too large or not in this shape is ignored.

use std::collections::{BTreeMap, HashMap};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::credits_seen::{self, CreditsSeen};
use super::outcomes::OutcomeDays;
use crate::vault::model::Timestamp;

pub const USAGE_TYPE: &str = "keyward.usage";
pub const USAGE_VERSION: u32 = 1;
pub const HOUR_SECS: i64 = 3_600;
pub use super::outcomes::DAY_SECS;
/// Hourly counts kept.
pub const HOURS_KEPT: i64 = 24;
/// Daily counts kept.
pub const DAYS_KEPT: i64 = 30;
/// How far ahead of this machine's clock a service's clock may be.
const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// A usage file larger than this is not read.
const MAX_USAGE_FILE: u64 = 64 * 1024 * 1024;

/// One key's usage in a usage file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUsageRecord {
    pub last_used_at: Option<Timestamp>,
    /// `[hour start, count]`, oldest first.
    #[serde(default)]
    pub hours: Vec<(Timestamp, u64)>,
    /// `[day start (UTC midnight), count]`, oldest first.
    #[serde(default)]
    pub days: Vec<(Timestamp, u64)>,
    /// Per UTC day, the count of each outcome of the checks that found the key.
    #[serde(default, skip_serializing_if = "OutcomeDays::is_empty")]
    pub outcomes: OutcomeDays,
    /// For a key with credits: what was left when the service last counted.
    #[serde(
        default,
        deserialize_with = "credits_seen::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub credits: Option<CreditsSeen>,
}

/// The whole `.usage.json` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageFile {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u32,
    pub updated_at: Timestamp,
    pub keys: BTreeMap<String, KeyUsageRecord>,
}

impl Default for UsageFile {
    fn default() -> UsageFile {
        UsageFile {
            kind: USAGE_TYPE.into(),
            version: USAGE_VERSION,
            updated_at: 0,
            keys: BTreeMap::new(),
        }
    }
}

/// What lists show of a key's use through services.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyUsage {
    pub last_used_at: Option<Timestamp>,
    pub uses_24h: u64,
    pub uses_30d: u64,
    /// Checks refused for a rate limit over the last 7 UTC days (today included).
    pub rate_limited_7d: u64,
    /// Checks refused for the key's credits today or yesterday (UTC).
    pub usage_exceeded_2d: u64,
    /// The key's credits as a service last counted them (the newest report of all files).
    pub credits: Option<CreditsSeen>,
}

impl KeyUsage {
    /// Merges another file's usage of the same key in: the newest last use and credits
    /// report, counts added.
    pub fn add(&mut self, u: &KeyUsage) {
        self.last_used_at = self.last_used_at.max(u.last_used_at);
        self.uses_24h = self.uses_24h.saturating_add(u.uses_24h);
        self.uses_30d = self.uses_30d.saturating_add(u.uses_30d);
        self.rate_limited_7d = self.rate_limited_7d.saturating_add(u.rate_limited_7d);
        self.usage_exceeded_2d = self.usage_exceeded_2d.saturating_add(u.usage_exceeded_2d);
        self.credits = CreditsSeen::newer(self.credits, u.credits);
    }

    /// Whether the key ran into a rate limit lately, was refused for its credits, or has none
    /// left (Health's "near its limit" and "out of credits").
    pub fn at_its_limits(&self, now: Timestamp) -> bool {
        self.rate_limited_7d > 0 || self.usage_exceeded_2d > 0 || self.credits_left(now) == Some(0)
    }

    /// Credits left at `now`, when a service reported the key's credits.
    pub fn credits_left(&self, now: Timestamp) -> Option<u64> {
        self.credits.map(|c| c.left_at(now))
    }
}

/// `path` + `.usage.json`.
pub fn usage_path(verifier: &Path) -> PathBuf {
    let mut name = verifier.as_os_str().to_owned();
    name.push(".usage.json");
    PathBuf::from(name)
}

impl UsageFile {
    /// Reads a usage file; `None` when it is missing, too large, or not a usage file.
    pub fn read(path: &Path) -> Option<UsageFile> {
        // Outside input: a FIFO or a link in its place must not hang or redirect a listing.
        let text = crate::vault::outside::read_text(path, MAX_USAGE_FILE).ok()?;
        UsageFile::parse(&text)
    }

    pub fn parse(text: &str) -> Option<UsageFile> {
        let file: UsageFile = serde_json::from_str(text).ok()?;
        (file.kind == USAGE_TYPE && file.version == USAGE_VERSION).then_some(file)
    }

    /// Adds counts per hour (hour start → count) and a last use for `key_id`.
    pub fn add(&mut self, key_id: &str, last_used_at: Timestamp, hours: &[(Timestamp, u64)]) {
        let record = self.keys.entry(key_id.to_owned()).or_default();
        record.last_used_at = Some(
            record
                .last_used_at
                .map_or(last_used_at, |t| t.max(last_used_at)),
        );
        for &(at, n) in hours {
            bump(&mut record.hours, at.div_euclid(HOUR_SECS) * HOUR_SECS, n);
            bump(&mut record.days, at.div_euclid(DAY_SECS) * DAY_SECS, n);
        }
    }

    /// Adds checks of `key_id` by outcome: `(time, outcome code, count)`.
    pub fn add_outcomes(&mut self, key_id: &str, outcomes: &[(Timestamp, String, u64)]) {
        let record = self.keys.entry(key_id.to_owned()).or_default();
        for (at, code, n) in outcomes {
            record.outcomes.add(*at, code, *n);
        }
    }

    /// Puts `seen` as `key_id`'s credits: the writer's own count replaces whatever the file
    /// held (a report put there from the far future must not outlive the next write).
    pub fn set_credits(&mut self, key_id: &str, seen: CreditsSeen) {
        self.keys.entry(key_id.to_owned()).or_default().credits = Some(seen);
    }

    /// Merges another file's counts in (the newer last use, counts added).
    pub fn merge(&mut self, other: &UsageFile) {
        for (id, theirs) in &other.keys {
            let record = self.keys.entry(id.clone()).or_default();
            record.last_used_at = record.last_used_at.max(theirs.last_used_at);
            for &(at, n) in &theirs.hours {
                bump(&mut record.hours, at, n);
            }
            for &(at, n) in &theirs.days {
                bump(&mut record.days, at, n);
            }
            record.outcomes.merge(&theirs.outcomes);
            record.credits = CreditsSeen::newer(record.credits, theirs.credits);
        }
    }

    /// Drops counts older than the kept windows (24 hours, 30 days, 90 days of outcomes)
    /// before `now`.
    pub fn prune(&mut self, now: Timestamp) {
        let hour_floor = now.div_euclid(HOUR_SECS) * HOUR_SECS - (HOURS_KEPT - 1) * HOUR_SECS;
        let day_floor = now.div_euclid(DAY_SECS) * DAY_SECS - (DAYS_KEPT - 1) * DAY_SECS;
        for record in self.keys.values_mut() {
            record.hours.retain(|&(at, _)| at >= hour_floor);
            record.days.retain(|&(at, _)| at >= day_floor);
            record.outcomes.prune(now);
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The key's last use and its counts over the last 24 hours and 30 days at `now`.
    pub fn usage_of(&self, key_id: &str, now: Timestamp) -> Option<KeyUsage> {
        let record = self.keys.get(key_id)?;
        Some(summarize(record, now))
    }
}

fn bump(buckets: &mut Vec<(Timestamp, u64)>, at: Timestamp, n: u64) {
    match buckets.binary_search_by_key(&at, |&(t, _)| t) {
        Ok(i) => buckets[i].1 = buckets[i].1.saturating_add(n),
        Err(i) => buckets.insert(i, (at, n)),
    }
}

fn summarize(record: &KeyUsageRecord, now: Timestamp) -> KeyUsage {
    let hour_floor = now.saturating_sub(HOURS_KEPT * HOUR_SECS);
    let day_floor = now.div_euclid(DAY_SECS) * DAY_SECS - (DAYS_KEPT - 1) * DAY_SECS;
    let sum = |buckets: &[(Timestamp, u64)], floor: Timestamp, width: Timestamp| {
        buckets
            .iter()
            .filter(|&&(at, _)| at.saturating_add(width) > floor && at <= now)
            .fold(0u64, |acc, &(_, n)| acc.saturating_add(n))
    };
    KeyUsage {
        // A usage file is outside input: a last use beyond clock skew ahead, or before 1970,
        // is not believed (it would show, and be copied into the vault, as a real one).
        last_used_at: record
            .last_used_at
            .filter(|at| (0..=now.saturating_add(MAX_CLOCK_SKEW_SECS)).contains(at)),
        uses_24h: sum(&record.hours, hour_floor, HOUR_SECS),
        uses_30d: sum(&record.days, day_floor, 1),
        rate_limited_7d: refused(record, "rate_limited", 7, now),
        usage_exceeded_2d: refused(record, "usage_exceeded", 2, now),
        // Like a last use, a report from beyond clock skew ahead is not believed.
        credits: record
            .credits
            .filter(|c| (0..=now.saturating_add(MAX_CLOCK_SKEW_SECS)).contains(&c.at)),
    }
}

/// Checks of `record` that ended in `code` over the last `days` UTC days, today included.
fn refused(record: &KeyUsageRecord, code: &str, days: i64, now: Timestamp) -> u64 {
    let floor = now.div_euclid(DAY_SECS) * DAY_SECS - (days - 1) * DAY_SECS;
    record
        .outcomes
        .days()
        .iter()
        .filter(|(day, _)| *day >= floor && *day <= now)
        .filter_map(|(_, counts)| counts.get(code))
        .fold(0u64, |acc, n| acc.saturating_add(*n))
}

/// Usage of every key found in the usage files beside `verifier_files`, merged (the newest
/// last use, counts added). Broken or hostile files are skipped.
pub fn collect(verifier_files: &[PathBuf], now: Timestamp) -> HashMap<String, KeyUsage> {
    let files: Vec<UsageFile> = verifier_files
        .iter()
        .filter_map(|f| UsageFile::read(&usage_path(f)))
        .collect();
    collect_of(&files, now)
}

/// Every key's usage in `files`, merged.
pub fn collect_of(files: &[UsageFile], now: Timestamp) -> HashMap<String, KeyUsage> {
    let mut all: HashMap<String, KeyUsage> = HashMap::new();
    for file in files {
        for (id, record) in &file.keys {
            all.entry(id.clone())
                .or_default()
                .add(&summarize(record, now));
        }
    }
    all
}

/// Puts a key's usage through services into its list row.
pub(crate) fn apply(
    usage: &HashMap<String, KeyUsage>,
    info: &mut crate::vault::model::KeyInfo,
    now: Timestamp,
) {
    if let Some(u) = usage.get(&info.key_id) {
        info.last_used_at = info.last_used_at.max(u.last_used_at);
        info.uses_24h = Some(u.uses_24h);
        info.uses_30d = Some(u.uses_30d);
        info.credits_left = u.credits_left(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_and_prune() {
        let now = 1_764_090_000;
        let mut a = UsageFile::default();
        a.add("kid_a", now - 10, &[(now - 10, 3)]);
        a.add("kid_a", now - 2 * DAY_SECS, &[(now - 2 * DAY_SECS, 5)]);
        let mut b = UsageFile::default();
        b.add("kid_a", now - 5, &[(now - 5, 2)]);
        b.merge(&a);
        b.prune(now);
        let u = b.usage_of("kid_a", now).unwrap();
        assert_eq!(u.last_used_at, Some(now - 5));
        assert_eq!(u.uses_24h, 5);
        assert_eq!(u.uses_30d, 10);
        let text = b.to_json();
        assert_eq!(UsageFile::parse(&text).unwrap(), b);
        b.prune(now + 40 * DAY_SECS);
        assert_eq!(
            b.usage_of("kid_a", now + 40 * DAY_SECS).unwrap().uses_30d,
            0
        );
    }

    /// A file as `keyward serve` wrote it before outcomes were counted still reads; its
    /// outcomes are empty and are not written out.
    #[test]
    fn a_file_from_before_outcomes_still_reads_and_outcomes_round_trip() {
        let old = r#"{
  "type": "keyward.usage",
  "version": 1,
  "updated_at": 1764090000,
  "keys": {
    "kid_0ex6AVO5sYpLDRHfn": {
      "last_used_at": 1764089990,
      "hours": [[1764086400, 12], [1764090000, 3]],
      "days": [[1764028800, 15]]
    }
  }
}"#;
        let now = 1_764_090_000;
        let mut f = UsageFile::parse(old).expect("the old file reads");
        let u = f.usage_of("kid_0ex6AVO5sYpLDRHfn", now).unwrap();
        assert_eq!((u.uses_24h, u.uses_30d), (15, 15));
        assert!(f.keys["kid_0ex6AVO5sYpLDRHfn"].outcomes.is_empty());
        assert!(!f.to_json().contains("outcomes"));

        f.add_outcomes(
            "kid_0ex6AVO5sYpLDRHfn",
            &[(now, "valid".into(), 3), (now, "revoked".into(), 1)],
        );
        let text = f.to_json();
        assert!(text.contains(r#""outcomes""#), "{text}");
        let back = UsageFile::parse(&text).unwrap();
        assert_eq!(back, f);
        // Merged with itself, counts add; pruned 91 days on, the outcomes are gone.
        let mut twice = back.clone();
        twice.merge(&back);
        let day = &twice.keys["kid_0ex6AVO5sYpLDRHfn"].outcomes.days()[0].1;
        assert_eq!((day["valid"], day["revoked"]), (6, 2));
        twice.prune(now + 91 * DAY_SECS);
        assert!(twice.keys["kid_0ex6AVO5sYpLDRHfn"].outcomes.is_empty());
        // A file whose outcomes are junk still reads, with the rest of its counts.
        let junk = old.replace(
            r#""days": [[1764028800, 15]]"#,
            r#""days": [[1764028800, 15]], "outcomes": {"x": [1, {"valid": -1}]}"#,
        );
        let f = UsageFile::parse(&junk).expect("junk outcomes are dropped, not fatal");
        assert_eq!(
            f.usage_of("kid_0ex6AVO5sYpLDRHfn", now).unwrap().uses_30d,
            15
        );
    }

    /// Credits reported by a service read back; junk in their place is dropped without losing
    /// the rest of the file, and a report from the far future is not believed.
    #[test]
    fn credits_read_leniently() {
        let now = 1_764_090_000;
        let with = |credits: &str| {
            format!(
                r#"{{"type":"keyward.usage","version":1,"updated_at":0,"keys":{{"k":{{"last_used_at":{now},"days":[[{now},3]],"credits":{credits}}}}}}}"#
            )
        };
        let good =
            UsageFile::parse(&with(&format!(r#"{{"remaining":7,"at":{now}}}"#))).expect("reads");
        assert_eq!(good.usage_of("k", now).unwrap().credits_left(now), Some(7));
        for junk in [
            r#""x""#.to_owned(),
            r#"{"remaining":-1,"at":0}"#.to_owned(),
            r#"{"at":0}"#.to_owned(),
            "true".to_owned(),
        ] {
            let f = UsageFile::parse(&with(&junk)).expect("junk credits are not fatal");
            let u = f.usage_of("k", now).unwrap();
            assert_eq!((u.credits, u.uses_30d), (None, 3), "{junk}");
        }
        let ahead = UsageFile::parse(&with(&format!(
            r#"{{"remaining":0,"at":{}}}"#,
            now + 86_400
        )))
        .expect("reads");
        assert_eq!(ahead.usage_of("k", now).unwrap().credits_left(now), None);
    }

    #[test]
    fn hostile_files_are_ignored() {
        for text in [
            "",
            "null",
            "[]",
            r#"{"type":"keyward.usage","version":2,"updated_at":0,"keys":{}}"#,
            r#"{"type":"other","version":1,"updated_at":0,"keys":{}}"#,
            r#"{"type":"keyward.usage","version":1,"updated_at":0,"keys":{"k":{"hours":[[1,-1]]}}}"#,
            r#"{"type":"keyward.usage","version":1,"updated_at":"x","keys":{}}"#,
        ] {
            assert!(UsageFile::parse(text).is_none(), "{text}");
        }
        let huge = format!(
            r#"{{"type":"keyward.usage","version":1,"updated_at":0,"keys":{{"k":{{"last_used_at":{},"hours":[[{},{}]],"days":[[{},{}]]}}}}}}"#,
            i64::MAX,
            i64::MAX,
            u64::MAX,
            i64::MIN,
            u64::MAX
        );
        let f = UsageFile::parse(&huge).unwrap();
        let u = f.usage_of("k", 1_764_090_000).unwrap();
        assert_eq!(u.uses_24h, 0);
        assert_eq!(
            u.last_used_at, None,
            "a last use in year 292 billion is not believed"
        );
    }
}
