//! Per key and per UTC day, how many checks ended in each outcome (`valid`, `revoked`,
//! `insufficient_scope`, …): the `outcomes` of a usage file, kept 90 days.
//!
//! ```json
//! "outcomes": [[1764028800, {"valid": 12, "insufficient_scope": 1}]]
//! ```
//!
//! Outcomes are keyed by their code string, an open set: a code a newer `keyward serve` writes
//! is kept as it is (and shown as "other" by those that do not know it). A usage file is
//! outside input, so reading it is lenient and bounded: a day that is not a day, a count that
//! is not a count or a code that is not a code is dropped, and at most [`MAX_DAYS_READ`] days
//! of at most [`MAX_CODES`] codes are kept per key, however large the file's maps are.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::vault::model::Timestamp;

/// A UTC day, in seconds: what the usage files count by (beside the hours).
pub const DAY_SECS: i64 = 86_400;

/// Days of outcome counts kept.
pub const OUTCOME_DAYS_KEPT: i64 = 90;
/// Days read from one key's `outcomes` (more than are kept, so a file written across a
/// clock change still reads whole); the rest are dropped.
pub const MAX_DAYS_READ: usize = 2 * OUTCOME_DAYS_KEPT as usize;
/// Outcome codes read per day; the rest are dropped.
pub const MAX_CODES: usize = 32;
/// The longest outcome code read.
const MAX_CODE_LEN: usize = 40;

/// `[day start (UTC midnight), {code: count}]`, oldest first, one entry a day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OutcomeDays(Vec<(Timestamp, BTreeMap<String, u64>)>);

/// Whether `code` looks like an outcome code: short, lower-case ASCII letters, digits, `_`.
/// (Anything else from a file is dropped: it would be printed to terminals.)
pub fn is_code(code: &str) -> bool {
    (1..=MAX_CODE_LEN).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl OutcomeDays {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The days, oldest first.
    pub fn days(&self) -> &[(Timestamp, BTreeMap<String, u64>)] {
        &self.0
    }

    /// Adds `n` checks that ended in `code` at `at` (any time of its day).
    pub fn add(&mut self, at: Timestamp, code: &str, n: u64) {
        if !is_code(code) || n == 0 {
            return;
        }
        let day = at.div_euclid(DAY_SECS) * DAY_SECS;
        let i = match self.0.binary_search_by_key(&day, |(d, _)| *d) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (day, BTreeMap::new()));
                i
            }
        };
        let counts = &mut self.0[i].1;
        if counts.len() >= MAX_CODES && !counts.contains_key(code) {
            return;
        }
        let c = counts.entry(code.to_owned()).or_default();
        *c = c.saturating_add(n);
    }

    /// Adds another record's counts.
    pub fn merge(&mut self, other: &OutcomeDays) {
        for (day, counts) in &other.0 {
            for (code, &n) in counts {
                self.add(*day, code, n);
            }
        }
    }

    /// Keeps the [`OUTCOME_DAYS_KEPT`] days up to `now`'s (a day ahead of it is a clock's
    /// error and is dropped too).
    pub fn prune(&mut self, now: Timestamp) {
        let today = now.div_euclid(DAY_SECS) * DAY_SECS;
        let floor = today - (OUTCOME_DAYS_KEPT - 1) * DAY_SECS;
        self.0.retain(|(day, _)| (floor..=today).contains(day));
    }
}

impl<'de> Deserialize<'de> for OutcomeDays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OutcomeDays, D::Error> {
        struct Days;
        impl<'de> Visitor<'de> for Days {
            type Value = OutcomeDays;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of [day, {outcome: count}]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OutcomeDays, A::Error> {
                let mut days: BTreeMap<Timestamp, BTreeMap<String, u64>> = BTreeMap::new();
                while let Some(entry) = seq.next_element::<DayEntry>()? {
                    let Some((day, counts)) = entry.0 else {
                        continue;
                    };
                    if days.len() >= MAX_DAYS_READ && !days.contains_key(&day) {
                        continue;
                    }
                    let into = days.entry(day).or_default();
                    for (code, n) in counts {
                        if into.len() >= MAX_CODES && !into.contains_key(&code) {
                            continue;
                        }
                        let c = into.entry(code).or_default();
                        *c = c.saturating_add(n);
                    }
                }
                days.retain(|_, counts| !counts.is_empty());
                Ok(OutcomeDays(days.into_iter().collect()))
            }
            // Anything but a list is no outcomes (the rest of the record still reads).
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OutcomeDays, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(OutcomeDays::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<OutcomeDays, E> {
                Ok(OutcomeDays::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<OutcomeDays, E> {
                Ok(OutcomeDays::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<OutcomeDays, E> {
                Ok(OutcomeDays::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<OutcomeDays, E> {
                Ok(OutcomeDays::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<OutcomeDays, E> {
                Ok(OutcomeDays::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<OutcomeDays, E> {
                Ok(OutcomeDays::default())
            }
        }
        d.deserialize_any(Days)
    }
}

/// One `[day, {code: count}]`, or `None` when it is not one (or its day is before 1970).
struct DayEntry(Option<(Timestamp, Vec<(String, u64)>)>);

impl<'de> Deserialize<'de> for DayEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DayEntry, D::Error> {
        struct Entry;
        impl<'de> Visitor<'de> for Entry {
            type Value = DayEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("[day, {outcome: count}]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DayEntry, A::Error> {
                let day = seq
                    .next_element::<Number>()?
                    .and_then(|n| n.0)
                    .and_then(|n| Timestamp::try_from(n).ok());
                let counts = match day {
                    Some(_) => seq.next_element::<Counts>()?.map(|c| c.0),
                    None => None,
                };
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(DayEntry(day.filter(|&d| d >= 0).zip(counts).map(
                    |(day, counts)| (day.div_euclid(DAY_SECS) * DAY_SECS, counts),
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DayEntry, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(DayEntry(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<DayEntry, E> {
                Ok(DayEntry(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<DayEntry, E> {
                Ok(DayEntry(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<DayEntry, E> {
                Ok(DayEntry(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<DayEntry, E> {
                Ok(DayEntry(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<DayEntry, E> {
                Ok(DayEntry(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<DayEntry, E> {
                Ok(DayEntry(None))
            }
        }
        d.deserialize_any(Entry)
    }
}

/// `{code: count}` with the codes that are codes and the counts that are counts, at most
/// [`MAX_CODES`] of them; anything else reads as no counts.
struct Counts(Vec<(String, u64)>);

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Counts, D::Error> {
        struct Map;
        impl<'de> Visitor<'de> for Map {
            type Value = Counts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("{outcome: count}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Counts, A::Error> {
                let mut counts = Vec::new();
                while let Some(code) = map.next_key::<String>()? {
                    let n = map.next_value::<Number>()?.0;
                    if let Some(n) = n.and_then(|n| u64::try_from(n).ok())
                        && n > 0
                        && is_code(&code)
                        && counts.len() < MAX_CODES
                    {
                        counts.push((code, n));
                    }
                }
                Ok(Counts(counts))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Counts, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Counts(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Counts, E> {
                Ok(Counts(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Counts, E> {
                Ok(Counts(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Counts, E> {
                Ok(Counts(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Counts, E> {
                Ok(Counts(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Counts, E> {
                Ok(Counts(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Counts, E> {
                Ok(Counts(Vec::new()))
            }
        }
        d.deserialize_any(Map)
    }
}

/// A whole number in `i64`'s range and above it to `u64::MAX` (as `i128`), or `None` for
/// anything else (which is read past).
struct Number(Option<i128>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        struct Whole;
        impl<'de> Visitor<'de> for Whole {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Number, E> {
                Ok(Number(Some(n.into())))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Number, E> {
                Ok(Number(Some(n.into())))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Number, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Number, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
        }
        d.deserialize_any(Whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 1_764_028_800;

    fn read(json: &str) -> OutcomeDays {
        serde_json::from_str(json).expect(json)
    }

    #[test]
    fn adds_merges_and_prunes_by_day() {
        let mut a = OutcomeDays::default();
        a.add(DAY + 5, "valid", 2);
        a.add(DAY + 7_000, "valid", 1);
        a.add(DAY + DAY_SECS, "revoked", 1);
        let mut b = OutcomeDays::default();
        b.add(DAY - 100 * DAY_SECS, "valid", 9);
        b.add(DAY + 1, "rate_limited", 4);
        b.merge(&a);
        b.prune(DAY + DAY_SECS + 60);
        let text = serde_json::to_string(&b).expect("json");
        assert_eq!(
            text,
            format!(
                r#"[[{DAY},{{"rate_limited":4,"valid":3}}],[{},{{"revoked":1}}]]"#,
                DAY + DAY_SECS
            )
        );
        assert_eq!(read(&text), b);
    }

    #[test]
    fn hostile_outcomes_are_capped_and_dropped_never_a_panic() {
        // Not days, not counts, not codes, negative days and counts: dropped, the rest kept.
        let f = read(&format!(
            r#"[[{DAY},{{"valid":3,"Bad Code":1,"\u001b[31m":1,"neg":-4,"frac":1.5,"s":"x","deep":{{"a":[1]}}}}],
               [-86400,{{"valid":1}}],["x",{{"valid":1}}],[{DAY}],[{DAY},[1,2]],7,null,{{"a":1}},
               [{},{{"valid":{}}}],[{DAY},{{"valid":{}}}]]"#,
            i64::MAX,
            u64::MAX,
            u64::MAX
        ));
        let days = f.days();
        assert_eq!(days.len(), 2, "{days:?}");
        assert_eq!(days[0].1.get("valid"), Some(&u64::MAX), "saturated");
        assert_eq!(days[0].1.len(), 1, "{:?}", days[0].1);
        // Anything but a list is no outcomes.
        for junk in ["null", "{}", "\"x\"", "12", "true"] {
            assert!(read(junk).is_empty(), "{junk}");
        }

        // A huge map of codes keeps MAX_CODES of them; thousands of days keep MAX_DAYS_READ.
        let codes: Vec<String> = (0..10_000).map(|i| format!(r#""c{i}":1"#)).collect();
        let f = read(&format!("[[{DAY},{{{}}}]]", codes.join(",")));
        assert_eq!(f.days()[0].1.len(), MAX_CODES);
        let days: Vec<String> = (0..10_000)
            .map(|i| format!(r#"[{},{{"valid":1}}]"#, i * DAY_SECS))
            .collect();
        let mut f = read(&format!("[{}]", days.join(",")));
        assert_eq!(f.days().len(), MAX_DAYS_READ);
        // Days outside the kept window go when pruned.
        f.prune(DAY);
        assert!(f.is_empty(), "{:?}", f.days().first());
    }
}
