//! What `serve` answers from: one verifier file loaded into memory (a snapshot), and the source
//! that swaps in a newer snapshot when the file changes, or refuses one that does not load.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use crate::vault::{self, Verification, Verifier};
use keyward_verify::limits::{Limiter, Millis};
use keyward_verify::{Decided, Request};

use super::high_water::HighWater;
use super::lock::lock;
use super::metrics::Metrics;
use super::refusal::{Refusal, RefusalReason};
use super::stderr::log;
use super::usage::UsageRecorder;

/// One loaded verifier file. Never changes once loaded; a reload makes a new one.
pub struct Snapshot {
    pub verifier: Verifier,
    /// The file's serial: a reload to a lower one is refused.
    pub serial: u64,
    /// Hashes the verifier holds (a rolled key in its grace period counts twice).
    pub keys: usize,
    /// The file's modification time when it was read.
    pub modified: Option<SystemTime>,
    pub loaded_at: SystemTime,
}

/// The only place a verifier file is read. `trust` is the public key (`kwpk_…`) the file must
/// be signed with, or several separated by commas (while moving to a rotated key).
pub fn load_snapshot(path: &Path, trust: &str, limiter: Arc<Limiter>) -> vault::Result<Snapshot> {
    let trusted = vault::TrustedKey::parse_list(trust)?;
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    // Signature, key, expiry and format are all checked here: a file that fails any of them
    // is refused, and the snapshot already serving stays.
    let mut verifier = Verifier::load_trusting(path, &trusted)?;
    verifier.share_limiter(limiter);
    Ok(Snapshot {
        keys: verifier.len(),
        serial: verifier.serial(),
        verifier,
        modified,
        loaded_at: SystemTime::now(),
    })
}

/// Identity of a file's current contents, to notice a change without reading it: a rename over
/// it (how publish targets are written) changes the inode, an edit in place the size or times.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64, i64, i64),
}

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Fingerprint {
        len: meta.len(),
        modified: meta.modified().ok(),
        #[cfg(unix)]
        inode: {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec())
        },
    })
}

/// A verifier file being served: its current snapshot, what was last seen on disk, and the
/// usage counted against it.
pub struct Source {
    pub path: PathBuf,
    current: RwLock<Arc<Snapshot>>,
    /// The file as last looked at (loaded or refused); `None`: missing.
    seen: Mutex<Option<Fingerprint>>,
    /// Why the last change to the file was refused; cleared by a good reload.
    last_error: Mutex<Option<Refusal>>,
    /// The last refusal, kept after a good reload.
    last_refusal: Mutex<Option<Refusal>>,
    vault_id: String,
    node: String,
    pub usage: UsageRecorder,
    /// Shared by every file: a key's use counts against its limits whichever file has it.
    limiter: Arc<Limiter>,
}

impl Source {
    /// Loads `path` for the first time; an error here stops `serve` from starting.
    pub fn open(path: &Path, trust: &str, limiter: Arc<Limiter>) -> vault::Result<Source> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let seen = fingerprint(&path);
        let snapshot = load_snapshot(&path, trust, Arc::clone(&limiter))?;
        Ok(Source {
            path,
            vault_id: snapshot.verifier.vault_id().to_owned(),
            node: snapshot.verifier.node().to_owned(),
            current: RwLock::new(Arc::new(snapshot)),
            seen: Mutex::new(seen),
            last_error: Mutex::new(None),
            last_refusal: Mutex::new(None),
            usage: UsageRecorder::default(),
            limiter,
        })
    }

    /// The snapshot in use now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Checks a key against the current snapshot without copying it.
    pub fn verify(&self, now_ms: Millis, presented: &str, request: &Request) -> Verification {
        let guard = match self.current.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.verifier.check_at(now_ms, presented, request)
    }

    /// [`Source::verify`] but for the key's limits, which a fleet charges in Redis.
    pub fn decide(&self, now_ms: Millis, presented: &str, request: &Request) -> Decided {
        let guard = match self.current.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.verifier.decide_at(now_ms, presented, request)
    }

    /// Why the last change to the file was refused, while the refused file is still there.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_error).as_ref().map(|r| r.message.clone())
    }

    /// The last refusal, kept after a good reload (shown by `/healthz`).
    pub fn last_refusal(&self) -> Option<Refusal> {
        lock(&self.last_refusal).clone()
    }

    /// The vault and node this path serves: fixed by the first load.
    pub fn identity(&self) -> (&str, &str) {
        (&self.vault_id, &self.node)
    }

    /// Reloads the file if it changed since it was last looked at. A file that does not load,
    /// covers another vault or node than the one first loaded at this path, or carries a
    /// serial lower than the highest served for its vault and node is refused and logged;
    /// the current snapshot keeps serving.
    pub fn reload_if_changed(&self, trust: &str, metrics: &Metrics, high_water: &HighWater) {
        let now_seen = fingerprint(&self.path);
        {
            let mut seen = lock(&self.seen);
            if *seen == now_seen {
                return;
            }
            *seen = now_seen.clone();
        }
        let refused = |reason: RefusalReason, why: String| {
            metrics.reload_refused(reason);
            log(&format!(
                "refused {}: {why}; still serving the previous snapshot",
                self.path.display()
            ));
            let refusal = Refusal {
                reason,
                message: why,
                at: vault::now(),
            };
            *lock(&self.last_error) = Some(refusal.clone());
            *lock(&self.last_refusal) = Some(refusal);
        };
        if now_seen.is_none() {
            return refused(RefusalReason::Gone, "the file is gone".into());
        }
        let next = match load_snapshot(&self.path, trust, Arc::clone(&self.limiter)) {
            Err(e) => return refused(RefusalReason::Unloadable, e.to_string()),
            Ok(next) => next,
        };
        let (vault_id, node) = (next.verifier.vault_id(), next.verifier.node());
        if vault_id != self.vault_id || node != self.node {
            return refused(
                RefusalReason::Foreign,
                format!(
                    "it covers {} of vault {vault_id}, but this path serves {} of vault {}",
                    node_label(node),
                    node_label(&self.node),
                    self.vault_id
                ),
            );
        }
        let highest = self
            .snapshot()
            .serial
            .max(high_water.highest(vault_id, node).unwrap_or(0));
        if next.serial < highest {
            return refused(
                RefusalReason::Older,
                format!(
                    "serial {} is older than the {highest} already served: an older file was put back",
                    next.serial
                ),
            );
        }
        if let Err(e) = high_water.record(vault_id, node, next.serial, false) {
            log(&format!("cannot record serial {}: {e}", next.serial));
        }
        let (keys, serial) = (next.keys, next.serial);
        match self.current.write() {
            Ok(mut slot) => *slot = Arc::new(next),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(next),
        }
        *lock(&self.last_error) = None;
        metrics.reloaded();
        log(&format!(
            "reloaded {}: {}, serial {serial}",
            self.path.display(),
            crate::numbers::count_of(keys, "key hash", "key hashes")
        ));
    }
}

/// "node acme/billing" or "the whole vault".
pub fn node_label(node: &str) -> String {
    if node.is_empty() {
        "the whole vault".into()
    } else {
        format!("node {node}")
    }
}
