//! Per-key usage counted in memory and written back beside each verifier file as
//! `FILE.usage.json` (format: [`crate::vault::UsageFile`]), merged with what the file holds.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use keyward_verify::CreditReport;

use crate::vault::{
    self, CreditsSeen, DAY_SECS, HOUR_SECS, Timestamp, UsageFile, usage_path, write_file_atomically,
};

use super::lock::lock;

/// Readable by the vault's owner and the service's user alike; it holds no secrets.
const USAGE_MODE: u32 = 0o644;

#[derive(Default)]
struct Pending {
    last_used_at: Timestamp,
    /// Counts per hour start, oldest first.
    hours: Vec<(Timestamp, u64)>,
    /// Counts per day start and outcome code.
    outcomes: Vec<(Timestamp, String, u64)>,
    /// For a key with credits: what the last check left.
    credits: Option<CreditsSeen>,
}

impl Pending {
    fn add_outcome(&mut self, day: Timestamp, code: &str, n: u64) {
        match self
            .outcomes
            .iter_mut()
            .find(|(d, c, _)| *d == day && c == code)
        {
            Some((_, _, m)) => *m = m.saturating_add(n),
            None => self.outcomes.push((day, code.to_owned(), n)),
        }
    }
}

/// Uses not yet written, per key id.
#[derive(Default)]
pub struct UsageRecorder {
    pending: Mutex<HashMap<String, Pending>>,
}

impl UsageRecorder {
    /// Counts a check's answer against its key (none for a key no file knows), with what it
    /// left of the key's credits.
    pub fn record_answer(&self, v: &keyward_verify::Verification, now: Timestamp) {
        if let Some(id) = &v.key_id {
            let credits = v.limits.as_ref().and_then(|l| l.credits.as_ref());
            self.record(id, v.result.as_str(), credits, now);
        }
    }

    /// Counts one check that found `key_id`, how it ended (`outcome`, its code) and, for a key
    /// with credits, what it left of them.
    pub fn record(
        &self,
        key_id: &str,
        outcome: &str,
        credits: Option<&CreditReport>,
        now: Timestamp,
    ) {
        let hour = now.div_euclid(HOUR_SECS) * HOUR_SECS;
        let day = now.div_euclid(DAY_SECS) * DAY_SECS;
        let mut pending = lock(&self.pending);
        let entry = match pending.get_mut(key_id) {
            Some(e) => e,
            None => pending.entry(key_id.to_owned()).or_default(),
        };
        entry.last_used_at = entry.last_used_at.max(now);
        match entry.hours.last_mut() {
            Some((h, n)) if *h == hour => *n = n.saturating_add(1),
            _ => entry.hours.push((hour, 1)),
        }
        entry.add_outcome(day, outcome, 1);
        if let Some(c) = credits {
            entry.credits = Some(CreditsSeen {
                remaining: c.remaining,
                at: now,
                refill_at: c.refill_at,
                refill_to: c.refill_to,
            });
        }
    }

    /// Merges the pending counts into `FILE.usage.json` beside `verifier` and writes it
    /// atomically. On failure the counts stay pending for the next try.
    pub fn flush(&self, verifier: &Path, now: Timestamp) -> vault::Result<usize> {
        let taken = std::mem::take(&mut *lock(&self.pending));
        if taken.is_empty() {
            return Ok(0);
        }
        let path = usage_path(verifier);
        let mut file = UsageFile::read(&path).unwrap_or_default();
        for (id, p) in &taken {
            file.add(id, p.last_used_at, &p.hours);
            file.add_outcomes(id, &p.outcomes);
            if let Some(seen) = p.credits {
                file.set_credits(id, seen);
            }
        }
        file.updated_at = now;
        file.prune(now);
        match write_file_atomically(&path, file.to_json().as_bytes(), USAGE_MODE) {
            Ok(()) => Ok(taken.len()),
            Err(e) => {
                let mut pending = lock(&self.pending);
                for (id, p) in taken {
                    let entry = pending.entry(id).or_default();
                    entry.last_used_at = entry.last_used_at.max(p.last_used_at);
                    for (hour, n) in p.hours {
                        match entry.hours.iter_mut().find(|(h, _)| *h == hour) {
                            Some((_, m)) => *m = m.saturating_add(n),
                            None => entry.hours.push((hour, n)),
                        }
                    }
                    entry.hours.sort_unstable();
                    for (day, code, n) in p.outcomes {
                        entry.add_outcome(day, &code, n);
                    }
                    // What was recorded since the failed write is the later report.
                    entry.credits = CreditsSeen::newer(p.credits, entry.credits);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks are written by outcome per day with the hourly and daily counts; a write that
    /// fails keeps them all pending for the next one.
    #[test]
    fn outcomes_are_written_and_kept_pending_when_a_write_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let now: Timestamp = 1_764_090_000;
        let day = now.div_euclid(DAY_SECS) * DAY_SECS;
        let usage = UsageRecorder::default();
        for outcome in ["valid", "valid", "revoked"] {
            usage.record("kid_a", outcome, None, now);
        }
        let credits = |remaining| CreditReport {
            remaining,
            refill_at: None,
            refill_to: None,
        };
        usage.record("kid_c", "valid", Some(&credits(1)), now - 1);
        usage.record("kid_c", "usage_exceeded", Some(&credits(0)), now);
        assert!(
            usage
                .flush(&dir.path().join("missing/acme.verifier.json"), now)
                .is_err()
        );
        usage.record("kid_a", "valid", None, now + 1);
        let verifier = dir.path().join("acme.verifier.json");
        assert_eq!(usage.flush(&verifier, now + 1).expect("written"), 2);
        let file = UsageFile::read(&usage_path(&verifier)).expect("usage file");
        let record = &file.keys["kid_a"];
        assert_eq!(record.days, [(day, 4)]);
        let outcomes = record.outcomes.days();
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].0, day);
        assert_eq!(
            outcomes[0]
                .1
                .iter()
                .map(|(c, &n)| (c.as_str(), n))
                .collect::<Vec<_>>(),
            [("revoked", 1), ("valid", 3)]
        );
        assert_eq!(record.credits, None, "a key without credits reports none");
        // The last check's credits are kept, through the failed write too.
        let c = file.keys["kid_c"].credits.expect("credits written");
        assert_eq!((c.remaining, c.at), (0, now));
        assert_eq!(
            file.usage_of("kid_c", now + 2)
                .and_then(|u| u.credits_left(now + 2)),
            Some(0)
        );
    }

    /// A usage file edited to hold credits counted in the far future: the vault does not
    /// believe them, and the next write puts serve's own count in their place.
    #[test]
    fn a_forged_credits_report_does_not_survive_the_next_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let now: Timestamp = 1_764_090_000;
        let verifier = dir.path().join("acme.verifier.json");
        let forged = format!(
            r#"{{"type":"keyward.usage","version":1,"updated_at":{now},"keys":{{"kid_c":{{"last_used_at":{now},"credits":{{"remaining":999999,"at":{}}}}}}}}}"#,
            now + 365 * DAY_SECS
        );
        std::fs::write(usage_path(&verifier), forged).expect("write");
        let read = |at| {
            UsageFile::read(&usage_path(&verifier))
                .and_then(|f| f.usage_of("kid_c", at))
                .and_then(|u| u.credits_left(at))
        };
        assert_eq!(read(now), None, "a report from next year is not believed");
        let usage = UsageRecorder::default();
        let credits = CreditReport {
            remaining: 7,
            refill_at: None,
            refill_to: None,
        };
        usage.record("kid_c", "valid", Some(&credits), now);
        usage.flush(&verifier, now).expect("written");
        assert_eq!(read(now), Some(7), "serve's own count replaced it");
    }
}
