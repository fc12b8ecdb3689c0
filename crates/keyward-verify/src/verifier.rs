//! The vault-free [`Verifier`]: checks keys in memory against a signed verifier file (its
//! format is in `file.rs`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::decision::{LimitReport, Outcome, Request, Verification};
use crate::error::{Error, Result};
use crate::file::{self as verifier_file, EntryIn};
use crate::hex;
use crate::key::{Secret, extract_key};
use crate::limits::{KeyLimits, LimitAnswer, Limiter, Millis, now_millis};
use crate::policy::Policy;
use crate::signature::TrustedKey;
use crate::time::{Timestamp, format_time, now};

struct Entry {
    /// Where the key id is in [`Verifier::key_ids`] (one string for all: no allocation each).
    key_id: (u32, u32),
    /// Its scope list shared between the keys with the same scopes (most keys share a few).
    policy: Policy<Arc<[String]>>,
    /// For a rolled key's old secret: when it stops; [`NEVER`] for a key's own secret. (A
    /// plain number, not an `Option`: 8 bytes less in every slot of the table, which keeps it
    /// as small as before keys had limits.)
    valid_until: Timestamp,
}

/// [`Entry::valid_until`] of a secret that does not stop by itself.
const NEVER: Timestamp = Timestamp::MAX;

/// Hashes SHA-256 digests by their first eight bytes: they are already uniform, and the map's
/// contents come from a signed file, so SipHash's protection buys nothing here.
#[derive(Default)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8).take(1) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = u64::from_le_bytes(word);
        }
    }
}

/// Scope names as read, and the shared list made of them.
type ScopeSet<'a> = (Vec<Cow<'a, str>>, Arc<[String]>);

/// Distinct scope lists looked up by a scan rather than a hash.
const FEW_SCOPE_SETS: usize = 16;

/// Payloads from this size on have their signature checked on a second thread.
const PARALLEL_CHECK_BYTES: usize = 1 << 20;

type ByHash = HashMap<[u8; 32], Entry, std::hash::BuildHasherDefault<DigestHasher>>;

/// Checks keys in memory, from a signed verifier file. Never sees a secret at rest.
///
/// Loading requires the public key the file must be signed with (`keyward verifier-key`), and
/// refuses a file that is unsigned, badly signed, signed by another key, expired or
/// unreadable. [`Verifier::reload`] also refuses a file older than the one loaded.
pub struct Verifier {
    /// The keys a file may be signed by (several while services move to a rotated key).
    trusted: Vec<TrustedKey>,
    /// The one this file was signed by.
    signed_by: TrustedKey,
    vault_id: String,
    node: String,
    serial: u64,
    exported_at: Timestamp,
    valid_until: Option<Timestamp>,
    keys: usize,
    key_ids: String,
    by_hash: ByHash,
    /// Keys' rate limits and credits as used through this verifier; kept across reloads.
    limiter: Arc<Limiter>,
}

impl Verifier {
    /// Reads and checks a verifier file signed by `trusted`.
    pub fn load(path: &Path, trusted: &TrustedKey) -> Result<Verifier> {
        Verifier::load_trusting(path, std::slice::from_ref(trusted))
    }

    /// Reads and checks a verifier file signed by any of `trusted`: the vault's current key
    /// and, while services move over after a rotation, the one before.
    pub fn load_trusting(path: &Path, trusted: &[TrustedKey]) -> Result<Verifier> {
        let text = read_file(path)?;
        Verifier::from_file_contents_trusting(&text, trusted, now())
    }

    /// Checks a verifier file's text signed by `trusted`, at the current time.
    pub fn from_file_contents(text: &str, trusted: &TrustedKey) -> Result<Verifier> {
        Verifier::from_file_contents_at(text, trusted, now())
    }

    /// The same as of `now` (whether the file has expired).
    pub fn from_file_contents_at(
        text: &str,
        trusted: &TrustedKey,
        now: Timestamp,
    ) -> Result<Verifier> {
        Verifier::from_file_contents_trusting(text, std::slice::from_ref(trusted), now)
    }

    /// A file's text signed by any of `trusted`, as of `now`.
    pub fn from_file_contents_trusting(
        text: &str,
        trusted: &[TrustedKey],
        now: Timestamp,
    ) -> Result<Verifier> {
        if trusted.is_empty() {
            return Err(Error::Refused("no trusted key was given".into()));
        }
        let checked = verifier_file::envelope(text, trusted)?;
        let (payload, signature, version) = (&checked.payload, &checked.signature, checked.version);
        let signer = &checked.signer;
        let check = || verifier_file::check_signature(signer, payload, signature);
        // A big file's signature (SHA-512 over megabytes) is checked on a second thread while
        // this one parses; nothing parsed is used unless the signature holds.
        let (signed, parsed) = if payload.len() >= PARALLEL_CHECK_BYTES {
            std::thread::scope(
                |s| match std::thread::Builder::new().spawn_scoped(s, check) {
                    Ok(handle) => {
                        let parsed = Verifier::parse(trusted, signer, payload, version, now);
                        let signed = handle.join().unwrap_or_else(|_| {
                            Err(Error::Refused("its signature check failed".into()))
                        });
                        (signed, parsed)
                    }
                    Err(_) => (
                        check(),
                        Verifier::parse(trusted, signer, payload, version, now),
                    ),
                },
            )
        } else {
            match check() {
                Ok(()) => (
                    Ok(()),
                    Verifier::parse(trusted, signer, payload, version, now),
                ),
                Err(e) => return Err(e),
            }
        };
        signed?;
        parsed
    }

    /// Builds the snapshot from a payload (its signature is checked by the caller).
    fn parse<'a>(
        trusted: &[TrustedKey],
        signer: &TrustedKey,
        payload: &'a str,
        version: u32,
        now: Timestamp,
    ) -> Result<Verifier> {
        // About 150 bytes per key: room for all of them without growing the table.
        let mut by_hash = ByHash::with_capacity_and_hasher(payload.len() / 150, Default::default());
        let mut scope_sets: HashMap<Vec<Cow<'a, str>>, Arc<[String]>> = HashMap::new();
        // Most files have a handful of distinct scope lists: those are found by a short scan,
        // the rest by hashing.
        let mut few: Vec<ScopeSet<'a>> = Vec::new();
        let mut key_ids = String::with_capacity(payload.len() / 8);
        let mut add = |mut k: EntryIn<'a>| -> std::result::Result<(), String> {
            let hash = |hex: &str| {
                let mut out = [0u8; 32];
                if hex::decode_hex_into(hex, &mut out) {
                    Ok(out)
                } else {
                    Err(format!("key {} has a bad sha256", short(&k.key_id)))
                }
            };
            let sha = hash(&k.sha256)?;
            let previous = match &k.previous {
                Some(p) => Some((hash(&p.sha256)?, p.valid_until)),
                None => None,
            };
            let policy = std::mem::take(&mut k.policy);
            let known = if let Some((_, set)) = few.iter().find(|(n, _)| *n == policy.scopes) {
                Some(set.clone())
            } else {
                scope_sets.get(&policy.scopes).cloned()
            };
            let policy = policy.map_scopes(|names| {
                known.unwrap_or_else(|| {
                    let set: Arc<[String]> = names.iter().map(|s| s.to_string()).collect();
                    if few.len() < FEW_SCOPE_SETS {
                        few.push((names, set.clone()));
                    } else {
                        scope_sets.insert(names, set.clone());
                    }
                    set
                })
            });
            let start = key_ids.len();
            key_ids.push_str(&k.key_id);
            let key_id = u32::try_from(start)
                .ok()
                .zip(u32::try_from(key_ids.len()).ok())
                .ok_or_else(|| "the file is too large".to_owned())?;
            let twice = || format!("key {} is listed twice", short(&k.key_id));
            if let Some((old_sha, valid_until)) = previous {
                let old = Entry {
                    key_id,
                    policy: policy.clone(),
                    valid_until,
                };
                if by_hash.insert(old_sha, old).is_some() {
                    return Err(twice());
                }
            }
            let entry = Entry {
                key_id,
                policy,
                valid_until: NEVER,
            };
            if by_hash.insert(sha, entry).is_some() {
                return Err(twice());
            }
            Ok(())
        };
        let p = verifier_file::parse_payload(payload, version, now, &mut add)?;
        Ok(Verifier {
            trusted: trusted.to_vec(),
            signed_by: *signer,
            vault_id: p.vault_id.into_owned(),
            node: p.node.into_owned(),
            serial: p.serial,
            exported_at: p.exported_at,
            valid_until: p.valid_until,
            keys: p.keys,
            key_ids,
            by_hash,
            limiter: Arc::default(),
        })
    }

    /// Replaces this snapshot with the file at `path` if it verifies and is newer: `Ok(true)`
    /// when replaced, `Ok(false)` for the same serial (nothing new). A file with a lower
    /// serial (an old file put back), of another vault or node, or that fails any check of
    /// [`Verifier::load`] is refused and this snapshot stays.
    pub fn reload(&mut self, path: &Path) -> Result<bool> {
        let text = read_file(path)?;
        self.reload_from_contents(&text)
    }

    /// [`Verifier::reload`] from the file's text.
    pub fn reload_from_contents(&mut self, text: &str) -> Result<bool> {
        let next = Verifier::from_file_contents_trusting(text, &self.trusted, now())?;
        if next.vault_id != self.vault_id || next.node != self.node {
            return Err(Error::Refused(format!(
                "it covers {} of vault {}, but the loaded file covers {} of vault {}",
                node_label(&next.node),
                next.vault_id,
                node_label(&self.node),
                self.vault_id
            )));
        }
        if next.serial < self.serial {
            return Err(Error::Refused(format!(
                "its serial {} is lower than the loaded file's {}: an older file was put back",
                next.serial, self.serial
            )));
        }
        if next.serial == self.serial {
            return Ok(false);
        }
        // What keys have used of their limits stays counted across the new file.
        let limiter = Arc::clone(&self.limiter);
        *self = Verifier { limiter, ..next };
        Ok(true)
    }

    /// Checked hashes: keys plus rolled keys' previous secrets.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Keys in the file.
    pub fn key_count(&self) -> usize {
        self.keys
    }

    /// Grows with every export of the vault.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The node the file covers, "" for the whole vault.
    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn vault_id(&self) -> &str {
        &self.vault_id
    }

    pub fn exported_at(&self) -> Timestamp {
        self.exported_at
    }

    /// When the file stops being accepted (`--valid-for`), if ever.
    pub fn valid_until(&self) -> Option<Timestamp> {
        self.valid_until
    }

    /// The trusted key this file was signed by.
    pub fn trusted_key(&self) -> &TrustedKey {
        &self.signed_by
    }

    /// Every key a reload may be signed by.
    pub fn trusted_keys(&self) -> &[TrustedKey] {
        &self.trusted
    }

    /// Same answers as `Vault::verify`, at the current time: a check of cost 1 needing
    /// `required_scopes`, from no known address (a key limited to some networks is
    /// `forbidden`; use [`Verifier::check`] to give the client's address or a cost).
    pub fn verify(&self, presented: &str, required_scopes: &[&str]) -> Verification {
        self.check(presented, &Request::scopes(required_scopes))
    }

    /// [`Verifier::verify`] as of `now`.
    pub fn verify_at(
        &self,
        now: Timestamp,
        presented: &str,
        required_scopes: &[&str],
    ) -> Verification {
        let now_ms = Millis::try_from(now).unwrap_or(0).saturating_mul(1_000);
        self.check_at(now_ms, presented, &Request::scopes(required_scopes))
    }

    /// Checks a presented key for `request`, charging its cost to the key's rate limits and
    /// credits (in this process: several processes share none of it) when it is otherwise
    /// valid.
    pub fn check(&self, presented: &str, request: &Request) -> Verification {
        self.check_at(now_millis(), presented, request)
    }

    /// Once the file's `valid_until` has passed, every key is `expired` (with the reason): an
    /// old snapshot kept in memory is no better than an old file.
    pub fn check_at(&self, now_ms: Millis, presented: &str, request: &Request) -> Verification {
        let (entry, key_id, outcome) = match self.find(now_ms, presented, request) {
            Ok(found) => found,
            Err(answered) => return answered,
        };
        let answer = if outcome == Outcome::Valid {
            entry
                .policy
                .spend(&self.limiter, key_id, request.cost, now_ms)
        } else {
            None
        };
        answered(entry, key_id, outcome, answer.as_ref())
    }

    /// [`Verifier::check_at`] but for the key's rate limits and credits, which the caller
    /// charges elsewhere (a fleet's shared store) and hands to [`Decided::charged`].
    pub fn decide_at(&self, now_ms: Millis, presented: &str, request: &Request) -> Decided {
        let (entry, key_id, outcome) = match self.find(now_ms, presented, request) {
            Ok(found) => found,
            Err(answered) => {
                return Decided {
                    verification: answered,
                    to_charge: None,
                };
            }
        };
        let to_charge = entry
            .policy
            .limits
            .as_deref()
            .filter(|l| outcome == Outcome::Valid && (!l.rate.is_empty() || l.credits.is_some()))
            .map(|l| (key_id.to_owned(), l.clone()));
        Decided {
            verification: answered(entry, key_id, outcome, None),
            to_charge,
        }
    }

    /// The key's entry, id and stateless decision; or the whole answer when there is no
    /// entry to decide on (malformed, an expired file, not found).
    // The "error" is the answer itself, returned by value once per check: boxing it would
    // allocate for every unknown key.
    #[allow(clippy::result_large_err)]
    fn find(
        &self,
        now_ms: Millis,
        presented: &str,
        request: &Request,
    ) -> std::result::Result<(&Entry, &str, Outcome), Verification> {
        let now = Timestamp::try_from(now_ms / 1_000).unwrap_or(Timestamp::MAX);
        let sha = match extract_key(presented).and_then(Secret::checked_sha256) {
            Ok(sha) => sha,
            Err(e) => return Err(Verification::malformed(&e)),
        };
        if let Some(until) = self.valid_until.filter(|t| *t <= now) {
            return Err(Verification {
                result: Outcome::Expired,
                key_id: None,
                scopes: Vec::new(),
                reason: Some(format!(
                    "the verifier file expired at {}; load a newer one",
                    format_time(until)
                )),
                limits: None,
            });
        }
        let Some(entry) = self.by_hash.get(&sha) else {
            return Err(Verification::of(Outcome::NotFound, None, Vec::new()));
        };
        let grace_over = entry.valid_until <= now;
        let outcome = entry
            .policy
            .decide(now, grace_over, request.scopes, request.client);
        let (start, end) = entry.key_id;
        let key_id = self.key_ids.get(start as usize..end as usize).unwrap_or("");
        Ok((entry, key_id, outcome))
    }

    /// Counts keys' use in `limiter` from now on: one limiter shared by every file a service
    /// loads, and kept across reloads, so a key's limits hold whichever file has it.
    pub fn share_limiter(&mut self, limiter: Arc<Limiter>) {
        self.limiter = limiter;
    }

    /// The limiter counting keys' use through this verifier (to keep credits across a
    /// restart: [`Limiter::credit_states`], [`Limiter::restore_credits`]).
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }
}

/// The answer for a found key, with what its limits said (when they were charged).
fn answered(
    entry: &Entry,
    key_id: &str,
    outcome: Outcome,
    answer: Option<&LimitAnswer>,
) -> Verification {
    let (outcome, limits) = match (answer, entry.policy.limits.as_deref()) {
        (Some(answer), Some(l)) => (
            answer.refusal().unwrap_or(outcome),
            Some(LimitReport::of(l, answer)),
        ),
        _ => (outcome, None),
    };
    Verification {
        limits,
        ..Verification::of(
            outcome,
            Some(key_id.to_owned()),
            entry.policy.scopes.to_vec(),
        )
    }
}

/// A check decided but for the key's rate limits and credits ([`Verifier::decide_at`]).
#[derive(Clone, Debug)]
pub struct Decided {
    /// The answer if nothing were counted.
    pub verification: Verification,
    /// For a key that would be valid and has rate limits or credits: its id and limits, to
    /// charge the request's cost to.
    pub to_charge: Option<(String, KeyLimits)>,
}

impl Decided {
    /// The answer once the limits were charged: refused by a rate limit or the credits, or
    /// valid with what is left.
    pub fn charged(self, answer: &LimitAnswer) -> Verification {
        match &self.to_charge {
            Some((_, limits)) => Verification {
                result: answer.refusal().unwrap_or(self.verification.result),
                limits: Some(LimitReport::of(limits, answer)),
                ..self.verification
            },
            None => self.verification,
        }
    }
}

/// A verifier file is outside input: no link, FIFO or device, at most
/// [`crate::outside::MAX_VERIFIER_FILE`].
fn read_file(path: &Path) -> Result<String> {
    crate::outside::read_text(path, crate::outside::MAX_VERIFIER_FILE)
}

fn node_label(node: &str) -> String {
    if node.is_empty() {
        "the whole vault".into()
    } else {
        format!("node {node}")
    }
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
#[path = "verifier_tests.rs"]
mod tests;
