//! Counters for `/metrics` (Prometheus text format): checks by result, reloads, refused reloads,
//! and each file's serial and size.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use super::snapshot::Source;

/// Results a check can have: the verifier's outcomes, plus `missing` (no key presented).
pub const RESULTS: [&str; 8] = [
    "valid",
    "malformed",
    "not_found",
    "revoked",
    "expired",
    "insufficient_scope",
    "tampered",
    "missing",
];

/// Name, help text, and the value for one file.
type Gauge = (&'static str, &'static str, fn(&Source) -> u64);

#[derive(Default)]
pub struct Metrics {
    checks: [AtomicU64; RESULTS.len()],
    bad_requests: AtomicU64,
    reloads: AtomicU64,
    reloads_refused: AtomicU64,
}

impl Metrics {
    pub fn checked(&self, result: &str) {
        if let Some(i) = RESULTS.iter().position(|r| *r == result) {
            self.checks[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn bad_request(&self) {
        self.bad_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reloaded(&self) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reload_refused(&self) {
        self.reloads_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, sources: &[Source]) -> String {
        let mut out = String::with_capacity(2048);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.push_str("# HELP keyward_checks_total Key checks answered, by result.\n");
        out.push_str("# TYPE keyward_checks_total counter\n");
        for (i, result) in RESULTS.iter().enumerate() {
            let _ = writeln!(
                out,
                "keyward_checks_total{{result=\"{result}\"}} {}",
                get(&self.checks[i])
            );
        }
        let counters = [
            (
                "keyward_bad_requests_total",
                "Requests refused as malformed or too large.",
                &self.bad_requests,
            ),
            (
                "keyward_reloads_total",
                "Verifier files reloaded after a change.",
                &self.reloads,
            ),
            (
                "keyward_reloads_refused_total",
                "Changed verifier files refused (did not load, older serial); the previous snapshot kept serving.",
                &self.reloads_refused,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", get(value));
        }
        let gauges: [Gauge; 2] = [
            (
                "keyward_verifier_serial",
                "Serial of the verifier file being served.",
                |s| s.snapshot().serial,
            ),
            (
                "keyward_verifier_keys",
                "Key hashes in the verifier file being served.",
                |s| s.snapshot().keys as u64,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for s in sources {
                let _ = writeln!(
                    out,
                    "{name}{{file=\"{}\"}} {}",
                    label(&s.path.display().to_string()),
                    value(s)
                );
            }
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
