//! What every request shares: the verifier files being served, their metrics and the
//! high-water serials, and the checks, reloads and usage writes over them.

use crate::vault::{Outcome, Verification, now};

use super::config::Config;
use super::error::ServeError;
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
    trust: String,
}

impl App {
    /// Loads every verifier file; any that does not load stops the start.
    pub fn load(config: &Config) -> Result<App, ServeError> {
        if config.verifiers.is_empty() {
            return Err(ServeError::NoVerifier);
        }
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
                Source::open(path, trust).map_err(|source| ServeError::Load {
                    path: path.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let high_water = match config.state_dir.clone().or_else(high_water::default_dir) {
            Some(dir) => HighWater::open(&dir).map_err(ServeError::State)?,
            None => HighWater::in_memory(),
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
        Ok(App {
            sources,
            metrics: Metrics::default(),
            high_water,
            metrics_elsewhere: config.metrics_listen.is_some(),
            trust: trust.to_owned(),
        })
    }

    /// Checks a presented key (header value or bare key) against the files in order: the first
    /// that knows the key answers, and its use is counted for that file.
    pub fn check(&self, presented: &str, required: &[&str]) -> Verification {
        let at = now();
        let mut answer = None;
        for source in &self.sources {
            let v = source.verify(at, presented, required);
            if v.result != Outcome::NotFound {
                if let Some(id) = &v.key_id {
                    source.usage.record(id, v.result.as_str(), at);
                }
                return v;
            }
            answer = Some(v);
        }
        answer.unwrap_or(Verification {
            result: Outcome::NotFound,
            key_id: None,
            scopes: Vec::new(),
            reason: None,
        })
    }

    /// Looks at every file and reloads those that changed.
    pub fn reload_changed(&self) {
        for s in &self.sources {
            s.reload_if_changed(&self.trust, &self.metrics, &self.high_water);
        }
    }

    /// Writes the pending usage beside every file.
    pub fn flush_usage(&self) {
        let at = now();
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
