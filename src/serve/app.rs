//! What every request shares: the verifier files being served, their metrics and the
//! high-water serials, and the checks, reloads and usage writes over them.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use keyward_verify::Request;
use keyward_verify::limits::{ClientAddress, Limiter, now_millis};

use crate::vault::{Outcome, Verification};

use super::access_log::AccessLog;
use super::config::Config;
use super::credits::CreditFile;
use super::error::ServeError;
use super::fleet::{FailMode, FleetLimits};
use super::high_water::{self, HighWater};
use super::metrics::Metrics;
use super::snapshot::{self, Source};
use super::stderr::log;

/// Shared by every request.
pub struct App {
    pub sources: Vec<Source>,
    pub metrics: Metrics,
    pub high_water: HighWater,
    /// `/metrics` is served on its own address, not with the checks.
    pub metrics_elsewhere: bool,
    /// Keys' rate limits and credits, counted in this process across every file and reload.
    pub limiter: Arc<Limiter>,
    /// Which address a request comes from (the peer, or what a trusted proxy says).
    pub client_address: ClientAddress,
    /// Where the keys' credits are kept across restarts.
    credits: CreditFile,
    /// Rate limits and credits shared with the other instances through Redis (`--limits`),
    /// connected once the runtime runs.
    pub fleet: Option<std::sync::Arc<FleetLimits>>,
    /// `--access-log`: a line per check.
    pub access_log: Option<AccessLog>,
    trust: String,
}

impl App {
    /// Loads every verifier file; any that does not load stops the start.
    pub fn load(config: &Config) -> Result<App, ServeError> {
        if config.verifiers.is_empty() {
            return Err(ServeError::NoVerifier);
        }
        let client_address = ClientAddress::parse(&config.trusted_proxies)
            .map_err(|e| ServeError::Config(format!("--trusted-proxy: {e}")))?;
        let limiter = Arc::new(Limiter::new());
        let trust = config.trust.trim();
        // Each key's form is checked when the files load (with the file's name).
        let mut keys = trust.split(|c: char| c == ',' || c.is_whitespace());
        if keys.clone().all(str::is_empty)
            || !keys.all(|k| k.is_empty() || k.starts_with("kwpk_") && k.len() > "kwpk_".len())
        {
            return Err(ServeError::NoTrust);
        }
        let sources = config
            .verifiers
            .iter()
            .map(|path| {
                Source::open(path, trust, Arc::clone(&limiter)).map_err(|source| ServeError::Load {
                    path: path.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let state_dir = config.state_dir.clone().or_else(high_water::default_dir);
        let (high_water, credits) = match &state_dir {
            Some(dir) => (
                HighWater::open(dir).map_err(ServeError::State)?,
                CreditFile::open(dir, &limiter).map_err(ServeError::State)?,
            ),
            None => (HighWater::in_memory(), CreditFile::in_memory()),
        };
        for source in &sources {
            let (vault_id, node) = source.identity();
            let serial = source.snapshot().serial;
            if let Some(highest) = high_water.highest(vault_id, node)
                && serial < highest
            {
                if !config.accept_older_serial {
                    return Err(ServeError::OlderSerial {
                        path: source.path.clone(),
                        serial,
                        highest,
                        node: snapshot::node_label(node),
                        vault_id: vault_id.to_owned(),
                    });
                }
                log(&format!(
                    "serving {} at serial {serial}, older than the {highest} served before, as asked (--accept-older-serial)",
                    source.path.display()
                ));
            }
            high_water
                .record(vault_id, node, serial, config.accept_older_serial)
                .map_err(ServeError::State)?;
        }
        let access_log = config
            .access_log
            .as_deref()
            .map(AccessLog::open)
            .transpose()
            .map_err(ServeError::AccessLog)?;
        Ok(App {
            access_log,
            sources,
            metrics: Metrics::default(),
            high_water,
            metrics_elsewhere: config.metrics_listen.is_some(),
            limiter,
            client_address,
            credits,
            fleet: None,
            trust: trust.to_owned(),
        })
    }

    /// The client a request comes from: its peer, or, from a trusted proxy, the address the
    /// proxy reports (`X-Forwarded-For`, `X-Real-IP`).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.client_address.trusts(peer) {
            // The usual case, without a proxy: no header is looked at.
            return Some(peer);
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Some(
            self.client_address
                .client(peer, header("x-forwarded-for"), header("x-real-ip")),
        )
    }

    /// Checks a presented key (header value or bare key) against the files in order: the first
    /// that knows the key answers, and its use is counted for that file.
    pub fn check(&self, presented: &str, request: &Request) -> Verification {
        let at_ms = now_millis();
        let at = i64::try_from(at_ms / 1_000).unwrap_or(i64::MAX);
        let mut answer = None;
        for source in &self.sources {
            let v = source.verify(at_ms, presented, request);
            if v.result != Outcome::NotFound {
                source.usage.record_answer(&v, at);
                return v;
            }
            answer = Some(v);
        }
        answer.unwrap_or_else(|| Verification::of(Outcome::NotFound, None, Vec::new()))
    }

    /// [`App::check`] with the key's rate limits and credits counted in the fleet's Redis
    /// (`--limits`): one round trip for a key that would be valid and has limits. When Redis
    /// cannot answer, `--limits-fail open` lets the check through uncounted and `closed`
    /// refuses it (`rate_limited`, saying why).
    pub async fn check_shared(&self, presented: &str, request: &Request<'_>) -> Verification {
        let Some(fleet) = &self.fleet else {
            return self.check(presented, request);
        };
        let at_ms = now_millis();
        let at = i64::try_from(at_ms / 1_000).unwrap_or(i64::MAX);
        let mut answer = None;
        for source in &self.sources {
            let decided = source.decide(at_ms, presented, request);
            if decided.verification.result == Outcome::NotFound {
                answer = Some(decided.verification);
                continue;
            }
            let v = match &decided.to_charge {
                None => decided.verification,
                Some((key_id, limits)) => {
                    let taken = fleet
                        .take(
                            key_id,
                            &limits.rate,
                            limits.credits.as_ref(),
                            request.cost,
                            at_ms,
                        )
                        .await;
                    match (taken, fleet.fail_mode()) {
                        (Ok(taken), _) => decided.charged(&taken),
                        (Err(_), FailMode::Open) => decided.verification,
                        (Err(e), FailMode::Closed) => Verification {
                            result: Outcome::RateLimited,
                            reason: Some(format!(
                                "the shared limits cannot be counted ({e}); refused as --limits-fail closed says"
                            )),
                            ..decided.verification
                        },
                    }
                }
            };
            source.usage.record_answer(&v, at);
            return v;
        }
        answer.unwrap_or_else(|| Verification::of(Outcome::NotFound, None, Vec::new()))
    }

    /// Looks at every file and reloads those that changed.
    pub fn reload_changed(&self) {
        for s in &self.sources {
            s.reload_if_changed(&self.trust, &self.metrics, &self.high_water);
        }
    }

    /// Writes the pending usage beside every file.
    pub fn flush_usage(&self) {
        if let Err(e) = self.credits.save(&self.limiter) {
            log(&format!("cannot keep the keys' credits: {e}"));
        }
        let at = crate::vault::now();
        for s in &self.sources {
            if let Err(e) = s.usage.flush(&s.path, at) {
                log(&format!(
                    "cannot write the usage of {}: {e}",
                    s.path.display()
                ));
            }
        }
    }
}
