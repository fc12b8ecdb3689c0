//! Counters for `/metrics` (Prometheus text format): checks by result, reloads, refused reloads,
//! each file's serial and size, and the shared limits' backend (`--limits`).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::vault::Outcome;

use super::connections::ConnectionStats;
use super::fleet::FleetLimits;
use super::refusal::RefusalReason;

/// What a check answered: the verifier's outcome, or `missing` (no key presented). Counted in
/// a slot of its own, so there is no result the counters could fail to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckResult {
    Answered(Outcome),
    Missing,
}

impl CheckResult {
    /// Every result, in the order `/metrics` lists them.
    pub const ALL: [CheckResult; 11] = [
        CheckResult::Answered(Outcome::Valid),
        CheckResult::Answered(Outcome::Malformed),
        CheckResult::Answered(Outcome::NotFound),
        CheckResult::Answered(Outcome::Revoked),
        CheckResult::Answered(Outcome::Expired),
        CheckResult::Answered(Outcome::InsufficientScope),
        CheckResult::Answered(Outcome::Tampered),
        CheckResult::Answered(Outcome::Forbidden),
        CheckResult::Answered(Outcome::RateLimited),
        CheckResult::Answered(Outcome::UsageExceeded),
        CheckResult::Missing,
    ];

    /// Its place in [`CheckResult::ALL`]: a match, so a new outcome does not build until it
    /// has a counter.
    const fn slot(self) -> usize {
        match self {
            CheckResult::Answered(outcome) => match outcome {
                Outcome::Valid => 0,
                Outcome::Malformed => 1,
                Outcome::NotFound => 2,
                Outcome::Revoked => 3,
                Outcome::Expired => 4,
                Outcome::InsufficientScope => 5,
                Outcome::Tampered => 6,
                Outcome::Forbidden => 7,
                Outcome::RateLimited => 8,
                Outcome::UsageExceeded => 9,
            },
            CheckResult::Missing => 10,
        }
    }

    /// The `result` label, the `X-Keyward-Result` header and the JSON `result`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Answered(outcome) => outcome.as_str(),
            CheckResult::Missing => "missing",
        }
    }
}

impl From<Outcome> for CheckResult {
    fn from(outcome: Outcome) -> CheckResult {
        CheckResult::Answered(outcome)
    }
}

/// The results' names, in the order `/metrics` lists them.
pub const RESULTS: [&str; CheckResult::ALL.len()] = [
    "valid",
    "malformed",
    "not_found",
    "revoked",
    "expired",
    "insufficient_scope",
    "tampered",
    "forbidden",
    "rate_limited",
    "usage_exceeded",
    "missing",
];

/// One verifier file being served, as its gauges show it.
pub struct Served<'a> {
    pub path: &'a Path,
    pub serial: u64,
    pub keys: usize,
}

/// Name, help text, and the value for one file.
type Gauge = (&'static str, &'static str, fn(&Served) -> u64);

#[derive(Default)]
pub struct Metrics {
    checks: [AtomicU64; CheckResult::ALL.len()],
    bad_requests: AtomicU64,
    reloads: AtomicU64,
    reloads_refused: [AtomicU64; RefusalReason::ALL.len()],
    /// Accepted, refused (over the cap) and timed-out connections, and those open now.
    pub connections: std::sync::Arc<ConnectionStats>,
    /// The shared limits (`--limits`), whose health is reported with the rest.
    limits_backend: std::sync::OnceLock<std::sync::Arc<FleetLimits>>,
}

impl Metrics {
    /// Reports the shared limits' health and errors too.
    pub fn limits_backend(&self, fleet: std::sync::Arc<FleetLimits>) {
        let _ = self.limits_backend.set(fleet);
    }

    pub fn checked(&self, result: CheckResult) {
        self.checks[result.slot()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn bad_request(&self) {
        self.bad_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reloaded(&self) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reload_refused(&self, reason: RefusalReason) {
        if let Some(i) = RefusalReason::ALL.iter().position(|r| *r == reason) {
            self.reloads_refused[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn render(&self, files: &[Served]) -> String {
        let mut out = String::with_capacity(2048);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.push_str("# HELP keyward_checks_total Key checks answered, by result.\n");
        out.push_str("# TYPE keyward_checks_total counter\n");
        for result in CheckResult::ALL {
            let _ = writeln!(
                out,
                "keyward_checks_total{{result=\"{}\"}} {}",
                result.as_str(),
                get(&self.checks[result.slot()])
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
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", get(value));
        }
        let refused: Vec<u64> = self.reloads_refused.iter().map(get).collect();
        let name = "keyward_reloads_refused_total";
        let _ = writeln!(
            out,
            "# HELP {name} Changed verifier files refused; the previous snapshot kept serving.\n# TYPE {name} counter\n{name} {}",
            refused.iter().sum::<u64>()
        );
        let name = "keyward_reloads_refused_by_reason_total";
        let _ = writeln!(
            out,
            "# HELP {name} Changed verifier files refused, by reason: unloadable (unreadable, badly signed, expired, not a verifier file), foreign (another vault or node than this path serves), older (a serial below the highest served), gone.\n# TYPE {name} counter"
        );
        for (reason, n) in RefusalReason::ALL.iter().zip(&refused) {
            let _ = writeln!(out, "{name}{{reason=\"{}\"}} {n}", reason.as_str());
        }
        let c = &self.connections;
        let connection_counters = [
            ("accepted", "Connections accepted.", &c.accepted),
            (
                "refused",
                "Connections closed at once because --max-connections were open.",
                &c.refused,
            ),
            (
                "timed_out",
                "Connections closed because a request did not arrive in time or sat idle too long.",
                &c.timed_out,
            ),
        ];
        for (what, help, value) in connection_counters {
            let name = format!("keyward_connections_{what}_total");
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", get(value));
        }
        let _ = writeln!(
            out,
            "# HELP keyward_connections_open Client connections open now.\n# TYPE keyward_connections_open gauge\nkeyward_connections_open {}",
            c.open.load(Ordering::Relaxed)
        );
        let gauges: [Gauge; 2] = [
            (
                "keyward_verifier_serial",
                "Serial of the verifier file being served.",
                |f| f.serial,
            ),
            (
                "keyward_verifier_keys",
                "Key hashes in the verifier file being served.",
                |f| f.keys as u64,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for f in files {
                let _ = writeln!(
                    out,
                    "{name}{{file=\"{}\"}} {}",
                    label(&f.path.display().to_string()),
                    value(f)
                );
            }
        }
        if let Some(fleet) = self.limits_backend.get() {
            fleet.render_metrics(&mut out);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole text scrapers read: a change here breaks dashboards and alerts.
    const GOLDEN: &str = "\
# HELP keyward_checks_total Key checks answered, by result.
# TYPE keyward_checks_total counter
keyward_checks_total{result=\"valid\"} 3
keyward_checks_total{result=\"malformed\"} 0
keyward_checks_total{result=\"not_found\"} 0
keyward_checks_total{result=\"revoked\"} 0
keyward_checks_total{result=\"expired\"} 0
keyward_checks_total{result=\"insufficient_scope\"} 0
keyward_checks_total{result=\"tampered\"} 1
keyward_checks_total{result=\"forbidden\"} 0
keyward_checks_total{result=\"rate_limited\"} 0
keyward_checks_total{result=\"usage_exceeded\"} 0
keyward_checks_total{result=\"missing\"} 1
# HELP keyward_bad_requests_total Requests refused as malformed or too large.
# TYPE keyward_bad_requests_total counter
keyward_bad_requests_total 1
# HELP keyward_reloads_total Verifier files reloaded after a change.
# TYPE keyward_reloads_total counter
keyward_reloads_total 2
# HELP keyward_reloads_refused_total Changed verifier files refused; the previous snapshot kept serving.
# TYPE keyward_reloads_refused_total counter
keyward_reloads_refused_total 3
# HELP keyward_reloads_refused_by_reason_total Changed verifier files refused, by reason: unloadable (unreadable, badly signed, expired, not a verifier file), foreign (another vault or node than this path serves), older (a serial below the highest served), gone.
# TYPE keyward_reloads_refused_by_reason_total counter
keyward_reloads_refused_by_reason_total{reason=\"unloadable\"} 0
keyward_reloads_refused_by_reason_total{reason=\"foreign\"} 0
keyward_reloads_refused_by_reason_total{reason=\"older\"} 1
keyward_reloads_refused_by_reason_total{reason=\"gone\"} 2
# HELP keyward_connections_accepted_total Connections accepted.
# TYPE keyward_connections_accepted_total counter
keyward_connections_accepted_total 5
# HELP keyward_connections_refused_total Connections closed at once because --max-connections were open.
# TYPE keyward_connections_refused_total counter
keyward_connections_refused_total 1
# HELP keyward_connections_timed_out_total Connections closed because a request did not arrive in time or sat idle too long.
# TYPE keyward_connections_timed_out_total counter
keyward_connections_timed_out_total 0
# HELP keyward_connections_open Client connections open now.
# TYPE keyward_connections_open gauge
keyward_connections_open 2
# HELP keyward_verifier_serial Serial of the verifier file being served.
# TYPE keyward_verifier_serial gauge
# HELP keyward_verifier_keys Key hashes in the verifier file being served.
# TYPE keyward_verifier_keys gauge
";

    #[test]
    fn the_text_is_the_one_scrapers_read() {
        let m = Metrics::default();
        let valid = CheckResult::Answered(Outcome::Valid);
        for result in [
            valid,
            valid,
            Outcome::Tampered.into(),
            valid,
            CheckResult::Missing,
        ] {
            m.checked(result);
        }
        m.bad_request();
        m.reloaded();
        m.reloaded();
        for reason in [
            RefusalReason::Gone,
            RefusalReason::Older,
            RefusalReason::Gone,
        ] {
            m.reload_refused(reason);
        }
        m.connections.accepted.store(5, Ordering::Relaxed);
        m.connections.refused.store(1, Ordering::Relaxed);
        m.connections.open.store(2, Ordering::Relaxed);
        assert_eq!(m.render(&[]), GOLDEN);
    }

    #[test]
    fn every_result_has_its_own_counter_under_its_name() {
        for (i, result) in CheckResult::ALL.into_iter().enumerate() {
            assert_eq!(result.slot(), i);
            assert_eq!(result.as_str(), RESULTS[i]);
            let m = Metrics::default();
            m.checked(result);
            let line = format!("keyward_checks_total{{result=\"{}\"}} 1\n", RESULTS[i]);
            assert!(m.render(&[]).contains(&line), "{line}");
        }
    }

    #[test]
    fn each_file_has_its_serial_and_keys_with_the_path_escaped() {
        let path = Path::new("/srv/a \"b\"\\c.json");
        let text = Metrics::default().render(&[Served {
            path,
            serial: 42,
            keys: 7,
        }]);
        assert!(text.contains(
            "# TYPE keyward_verifier_serial gauge\nkeyward_verifier_serial{file=\"/srv/a \\\"b\\\"\\\\c.json\"} 42\n"
        ));
        assert!(text.ends_with(
            "# TYPE keyward_verifier_keys gauge\nkeyward_verifier_keys{file=\"/srv/a \\\"b\\\"\\\\c.json\"} 7\n"
        ));
    }
}
