//! What `keyward serve` was asked to do: the files, the trusted keys, the addresses and limits.

use std::path::PathBuf;
use std::time::Duration;

use super::connections::Limits;
use super::fleet::FailMode;

/// What `keyward serve` was asked to do.
#[derive(Clone, Debug)]
pub struct Config {
    /// Verifier files; a key is looked up in each, in order.
    pub verifiers: Vec<PathBuf>,
    /// The public key (`kwpk_…`) the files must be signed with; several, comma-separated,
    /// while services move to a rotated key.
    pub trust: String,
    /// `host:port` to listen on (port 0: any free port).
    pub listen: String,
    /// Worker threads (default: [`super::default_threads`]).
    pub threads: Option<usize>,
    /// How often usage is written back beside each verifier file.
    pub usage_every: Duration,
    /// Where the highest serial served per vault and node is kept (`None`: the OS default).
    pub state_dir: Option<PathBuf>,
    /// Serve a file older than one served before (after a restart), and remember it.
    pub accept_older_serial: bool,
    /// Connection cap and deadlines.
    pub limits: Limits,
    /// A second address that answers `/metrics` only (then the main one does not).
    pub metrics_listen: Option<String>,
    /// Proxies whose `X-Forwarded-For` / `X-Real-IP` name the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<String>,
    /// `redis://HOST[:PORT]/[DB]`: rate limits and credits shared by every instance given
    /// it (may hold a password: never logged).
    pub fleet: Option<String>,
    /// What a check does when Redis cannot answer.
    pub fleet_fail: FailMode,
    /// Where a JSON line per key check is appended (`-`: standard output).
    pub access_log: Option<PathBuf>,
}

impl Config {
    pub fn new(verifiers: Vec<PathBuf>, trust: impl Into<String>) -> Config {
        Config {
            verifiers,
            trust: trust.into(),
            listen: "127.0.0.1:8787".into(),
            threads: None,
            usage_every: Duration::from_secs(10),
            state_dir: None,
            accept_older_serial: false,
            limits: Limits::default(),
            metrics_listen: None,
            trusted_proxies: Vec::new(),
            fleet: None,
            fleet_fail: FailMode::Closed,
            access_log: None,
        }
    }
}
