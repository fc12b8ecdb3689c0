//! The health report: the keys teams get burnt by (exposed, never expiring, expired but not
//! revoked, unused, old full-access keys, old secrets still in their grace) and publish targets
//! that could not be written, each with why it matters and the fix. A finding can be
//! acknowledged with a reason until a date; it comes back after.

use std::ops::ControlFlow;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::vault::activity::Action;
use crate::vault::commitment::Table;
use crate::vault::error::{Error, Result, Thing};
use crate::vault::handle::Vault;
use crate::vault::keys::record::listed_status;
use crate::vault::keys::walk::RowDecoder;
use crate::vault::maintenance::settings;
use crate::vault::model::{KeyInfo, KeyStatus, NodeId, Timestamp, format_time};
use crate::vault::publishing::usage::KeyUsage;
use crate::vault::records::PreviousUntil;
use crate::vault::store::Store;

const ACKS_META: &str = "health_acks";
const ACKS_AAD: &[u8] = b"keyward/v2/meta/health_acks";
/// The name of the acknowledgements' digest among the committed settings.
pub(in crate::vault) const HEALTH_ACKS: &str = "health_acks";
const DAY: i64 = 86_400;
/// A key unused for this long, or a full-access key this old, is worth a look.
pub const STALE_DAYS: i64 = 90;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Exposed,
    ExpiredNotRevoked,
    ExpiresIn7Days,
    ExpiresIn30Days,
    NeverExpires,
    Unused,
    OldFullAccess,
    OldSecretInGrace,
    PublishFailing,
    /// Refused for a rate limit in the last 7 days (`serve`'s usage files).
    NearLimit,
    /// Refused for its credits today or yesterday.
    OutOfCredits,
}

impl FindingKind {
    pub const ALL: [FindingKind; 11] = [
        FindingKind::Exposed,
        FindingKind::ExpiredNotRevoked,
        FindingKind::ExpiresIn7Days,
        FindingKind::ExpiresIn30Days,
        FindingKind::NeverExpires,
        FindingKind::Unused,
        FindingKind::OldFullAccess,
        FindingKind::OldSecretInGrace,
        FindingKind::PublishFailing,
        FindingKind::NearLimit,
        FindingKind::OutOfCredits,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FindingKind::Exposed => "exposed",
            FindingKind::ExpiredNotRevoked => "expired_not_revoked",
            FindingKind::ExpiresIn7Days => "expires_in_7_days",
            FindingKind::ExpiresIn30Days => "expires_in_30_days",
            FindingKind::NeverExpires => "never_expires",
            FindingKind::Unused => "unused",
            FindingKind::OldFullAccess => "old_full_access",
            FindingKind::OldSecretInGrace => "old_secret_in_grace",
            FindingKind::PublishFailing => "publish_failing",
            FindingKind::NearLimit => "near_its_limit",
            FindingKind::OutOfCredits => "out_of_credits",
        }
    }

    pub fn from_code(code: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Why it matters.
    pub fn why(self) -> &'static str {
        match self {
            FindingKind::Exposed => "its secret was found in a file or a stream and still works",
            FindingKind::ExpiredNotRevoked => "it stopped working by date but is not revoked",
            FindingKind::ExpiresIn7Days => "its clients break within a week",
            FindingKind::ExpiresIn30Days => "its clients break within a month",
            FindingKind::NeverExpires => "a leaked copy would work forever",
            FindingKind::Unused => "nobody has used it for 90 days, or ever",
            FindingKind::OldFullAccess => "a full-access key older than 90 days",
            FindingKind::OldSecretInGrace => "a rolled key's old secret still works",
            FindingKind::PublishFailing => "services read an out-of-date verifier file",
            FindingKind::NearLimit => {
                "its clients reached one of its rate limits in the last 7 days"
            }
            FindingKind::OutOfCredits => "it ran out of credits: its checks are refused",
        }
    }

    /// The fix, as a command.
    pub fn fix(self) -> &'static str {
        match self {
            FindingKind::Exposed => "keyward key roll KEY --grace 0",
            FindingKind::ExpiredNotRevoked => "keyward key revoke KEY",
            FindingKind::ExpiresIn7Days | FindingKind::ExpiresIn30Days => {
                "keyward key roll KEY, or keyward key edit KEY --expires 90d"
            }
            FindingKind::NeverExpires => "keyward key edit KEY --expires 90d",
            FindingKind::Unused => "keyward key revoke KEY",
            FindingKind::OldFullAccess => "keyward key roll KEY, or narrow it with key scopes",
            FindingKind::OldSecretInGrace => {
                "wait for the grace to end, or roll again with --grace 0"
            }
            FindingKind::PublishFailing => "fix the folder, then keyward publish now",
            FindingKind::NearLimit => "keyward key edit KEY --rate-limit N/WINDOW (a higher limit)",
            FindingKind::OutOfCredits => "keyward key edit KEY --credits N",
        }
    }
}

/// An acknowledgement: the finding is known and accepted until a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// A key id, or a publish target's file.
    pub subject: String,
    pub kind: FindingKind,
    pub until: Timestamp,
    pub reason: String,
}

/// One finding of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The key id, or the publish target's file.
    pub subject: String,
    pub name: String,
    pub node: String,
    pub why: &'static str,
    pub fix: &'static str,
    /// Set while the finding is acknowledged (then it does not count).
    pub acknowledged: Option<Ack>,
}

/// The kinds of finding of one key, most urgent first (at most seven; no allocation, as the
/// report looks at every key).
#[derive(Default)]
struct Kinds {
    kinds: [Option<FindingKind>; 7],
    len: usize,
}

impl Kinds {
    fn push(&mut self, kind: FindingKind) {
        self.kinds[self.len] = Some(kind);
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = FindingKind> + '_ {
        self.kinds[..self.len].iter().flatten().copied()
    }
}

/// What the findings of a key depend on.
struct KeyFacts {
    status: KeyStatus,
    expires_at: Option<Timestamp>,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    full_access: bool,
    old_secret_valid_until: Option<Timestamp>,
    /// Checks refused for a rate limit in the last 7 days, and for credits in the last 2.
    rate_limited_7d: u64,
    usage_exceeded_2d: u64,
    /// What a service last counted of its credits.
    credits_left: Option<u64>,
}

impl KeyFacts {
    /// A listed key's facts, with what the usage files say of its limits.
    fn of(k: &KeyInfo, usage: Option<&KeyUsage>) -> KeyFacts {
        KeyFacts {
            status: k.status,
            expires_at: k.policy.expires_at,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            full_access: k.full_access,
            old_secret_valid_until: k.old_secret_valid_until,
            rate_limited_7d: usage.map_or(0, |u| u.rate_limited_7d),
            usage_exceeded_2d: usage.map_or(0, |u| u.usage_exceeded_2d),
            credits_left: k.credits_left,
        }
    }
}

fn key_findings(k: &KeyFacts, now: Timestamp) -> Kinds {
    let mut out = Kinds::default();
    if k.status == KeyStatus::Tampered || k.status == KeyStatus::Revoked {
        return out;
    }
    if k.status == KeyStatus::Exposed {
        out.push(FindingKind::Exposed);
    }
    if k.status == KeyStatus::Expired {
        out.push(FindingKind::ExpiredNotRevoked);
        return out;
    }
    match k.expires_at {
        None => out.push(FindingKind::NeverExpires),
        Some(t) if t.saturating_sub(now) < 7 * DAY => out.push(FindingKind::ExpiresIn7Days),
        Some(t) if t.saturating_sub(now) < 30 * DAY => out.push(FindingKind::ExpiresIn30Days),
        Some(_) => {}
    }
    let age = now.saturating_sub(k.created_at);
    let idle = k.last_used_at.map_or(age, |used| now.saturating_sub(used));
    if idle >= STALE_DAYS * DAY {
        out.push(FindingKind::Unused);
    }
    if k.full_access && age >= STALE_DAYS * DAY {
        out.push(FindingKind::OldFullAccess);
    }
    if k.old_secret_valid_until.is_some_and(|t| t > now) {
        out.push(FindingKind::OldSecretInGrace);
    }
    if k.usage_exceeded_2d > 0 || k.credits_left == Some(0) {
        out.push(FindingKind::OutOfCredits);
    }
    if k.rate_limited_7d > 0 {
        out.push(FindingKind::NearLimit);
    }
    out
}

/// What the report reads of a sealed key record; the other fields (scopes, hashes, display,
/// details) are skipped by the parser, not decoded. The fields a key record must have are
/// required here too, so a record that does not parse as one is left out as tampered.
#[derive(Deserialize)]
struct KeyVitals {
    key_id: String,
    node_id: NodeId,
    name: String,
    full_access: bool,
    created_at: Timestamp,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    #[serde(default)]
    previous: Option<PreviousUntil>,
    /// Only whether there is any (a list of nothing takes no memory).
    #[serde(default)]
    exposed: Vec<IgnoredAny>,
    #[serde(rename = "scopes")]
    _scopes: IgnoredAny,
    #[serde(rename = "sha256")]
    _sha256: IgnoredAny,
    #[serde(rename = "display")]
    _display: IgnoredAny,
}

/// A key with findings, as the decrypting thread hands it over.
struct KeyFound {
    kinds: Kinds,
    key_id: String,
    name: String,
    node: String,
}

/// The findings of one key row, decoded on the decrypting thread: `None` for a key with none,
/// and for a record that fails its checks (listed as tampered, which is not a finding).
fn key_found(
    d: &RowDecoder<'_>,
    row: &crate::vault::store::KeyRow,
    committed: bool,
) -> Option<KeyFound> {
    if !committed {
        return None;
    }
    let v: KeyVitals =
        crate::vault::handle::open_sealed(d.sealer, Table::Keys, row.id, row.version, &row.sealed)?;
    if v.key_id != row.key_id || v.node_id != row.node_id || v.full_access != row.full_access {
        return None;
    }
    let usage = d.usage.get(&v.key_id);
    let served = usage.and_then(|u| u.last_used_at);
    let facts = KeyFacts {
        status: listed_status(d.now, v.revoked_at, v.expires_at, !v.exposed.is_empty()),
        expires_at: v.expires_at,
        created_at: v.created_at,
        last_used_at: row.last_used_at.max(served),
        full_access: v.full_access,
        old_secret_valid_until: v.previous.map(|p| p.valid_until),
        rate_limited_7d: usage.map_or(0, |u| u.rate_limited_7d),
        usage_exceeded_2d: usage.map_or(0, |u| u.usage_exceeded_2d),
        credits_left: usage.and_then(|u| u.credits_left(d.now)),
    };
    let kinds = key_findings(&facts, d.now);
    (kinds.len > 0).then(|| KeyFound {
        kinds,
        key_id: v.key_id,
        name: v.name,
        node: d.tree.path_of(row.node_id),
    })
}

/// A finding about a key, before acknowledgements are looked up.
fn key_finding(kind: FindingKind, subject: String, name: String, node: String) -> Finding {
    Finding {
        kind,
        subject,
        name,
        node,
        why: kind.why(),
        fix: kind.fix(),
        acknowledged: None,
    }
}

/// The findings of a key, taking its strings (cloned only for a second finding).
fn push_findings(found: KeyFound, out: &mut Vec<Finding>) {
    let KeyFound {
        kinds,
        key_id,
        name,
        node,
    } = found;
    let mut kinds = kinds.iter().peekable();
    while let Some(kind) = kinds.next() {
        if kinds.peek().is_none() {
            out.push(key_finding(kind, key_id, name, node));
            return;
        }
        out.push(key_finding(
            kind,
            key_id.clone(),
            name.clone(),
            node.clone(),
        ));
    }
}

pub(in crate::vault) fn acks_digest(acks: &[Ack]) -> String {
    settings::digest(&acks)
}

/// Seals and stores the acknowledgements in a re-key's transaction and returns their digest for
/// the fresh root.
pub(in crate::vault) fn reseal_acks(
    sealer: &crate::vault::crypto::Sealer,
    conn: &dyn Store,
    acks: &[Ack],
) -> Result<String> {
    Vault::seal_acks(sealer, conn, acks)?;
    Ok(acks_digest(acks))
}

impl Vault {
    pub(in crate::vault) fn acks(&self) -> Result<Vec<Ack>> {
        let acks: Vec<Ack> = match self.conn.meta_get(ACKS_META)? {
            None => Vec::new(),
            Some(sealed) => {
                let plain = self
                    .sealer
                    .open(ACKS_AAD, &sealed)
                    .ok_or_else(|| Error::Tampered("the health acknowledgements".into()))?;
                serde_json::from_slice(&plain)
                    .map_err(|_| Error::Tampered("the health acknowledgements".into()))?
            }
        };
        self.check_setting(
            HEALTH_ACKS,
            &acks_digest(&acks),
            "the health acknowledgements",
        )?;
        Ok(acks)
    }

    /// The acknowledgements' setting as stored (name and digest), for a root from before
    /// committed settings.
    pub(in crate::vault) fn acks_setting(&self) -> Result<(&'static str, String)> {
        Ok((HEALTH_ACKS, acks_digest(&self.acks()?)))
    }

    pub(in crate::vault) fn seal_acks(
        sealer: &crate::vault::crypto::Sealer,
        conn: &dyn Store,
        acks: &[Ack],
    ) -> Result<()> {
        let plain = Zeroizing::new(
            serde_json::to_vec(acks)
                .map_err(|e| Error::damaged("acknowledgements", e.to_string()))?,
        );
        conn.meta_set(ACKS_META, &sealer.seal(ACKS_AAD, &plain))
    }

    /// The acknowledgements, for re-keying.
    pub(in crate::vault) fn acks_for_rekey(&self) -> Result<Vec<Ack>> {
        self.acks()
    }

    /// Every finding at `node` and below (the whole vault when `None`), most urgent first.
    pub fn health(&self, node: Option<NodeId>) -> Result<Vec<Finding>> {
        let now = self.now();
        let mut out = Vec::new();
        // Keys are read on the decrypting thread, only as far as findings need, and only the
        // keys with findings cross over.
        self.each_key_decoded(node, key_found, |found| {
            if let Some(found) = found {
                push_findings(found, &mut out);
            }
            ControlFlow::Continue(())
        })?;
        self.complete_report(out, now)
    }

    /// Like [`Vault::health`], handing every key it walked to `visit` as well, so a caller
    /// that lists keys too (the window's reload) decrypts each once, not twice.
    pub fn health_and_keys(
        &self,
        node: Option<NodeId>,
        mut visit: impl FnMut(KeyInfo),
    ) -> Result<Vec<Finding>> {
        let now = self.now();
        let mut out = Vec::new();
        // The listing carries the usage counts but not the refusals by reason: those come
        // from the usage the walk has already read.
        self.each_key_decoded(
            node,
            |d, row, committed| {
                let k = d.key_info(row, committed);
                let usage = d.usage.get(&k.key_id).copied();
                (k, usage)
            },
            |(k, usage)| {
                let facts = KeyFacts::of(&k, usage.as_ref());
                for kind in key_findings(&facts, now).iter() {
                    out.push(key_finding(
                        kind,
                        k.key_id.clone(),
                        k.name.clone(),
                        k.node.clone(),
                    ));
                }
                visit(k);
                ControlFlow::Continue(())
            },
        )?;
        self.complete_report(out, now)
    }

    /// Adds the failing publish targets, marks what is acknowledged and sorts: most urgent
    /// first, acknowledged last.
    fn complete_report(&self, mut out: Vec<Finding>, now: Timestamp) -> Result<Vec<Finding>> {
        for (target, path) in self.publish_targets()? {
            let here = target.is_written_here();
            if let Some(mut error) = target.last_error {
                // Only that machine can mend it (Publish now here would not touch the file).
                if let Some(host) = target.host.as_deref().filter(|_| !here) {
                    error.push_str(&format!(" (the file is written on {host})"));
                }
                out.push(key_finding(
                    FindingKind::PublishFailing,
                    target.file.display().to_string(),
                    error,
                    path,
                ));
            }
        }
        let acks: Vec<Ack> = self.acks()?.into_iter().filter(|a| a.until > now).collect();
        if !acks.is_empty() {
            for f in &mut out {
                f.acknowledged = acks
                    .iter()
                    .find(|a| a.subject == f.subject && a.kind == f.kind)
                    .cloned();
            }
        }
        out.sort_by_key(|f| (f.acknowledged.is_some(), f.kind as u8));
        Ok(out)
    }

    /// Accepts a finding until `until` (logged with the reason); it comes back after.
    pub fn acknowledge(
        &mut self,
        subject: &str,
        kind: FindingKind,
        until: Timestamp,
        reason: &str,
    ) -> Result<()> {
        let now = self.now();
        if until <= now {
            return Err(Error::bad_input(
                "until",
                format!("{} is not in the future", format_time(until)),
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(Error::bad_input(
                "reason",
                "give a reason (at most 500 characters)",
            ));
        }
        if !self
            .health(None)?
            .iter()
            .any(|f| f.subject == subject && f.kind == kind)
        {
            return Err(Error::not_found(
                Thing::Finding,
                format!("'{}' finding for {subject}", kind.code()),
            ));
        }
        self.write(|v, tx| {
            let mut acks: Vec<Ack> = v.acks()?.into_iter().filter(|a| a.until > now).collect();
            acks.retain(|a| !(a.subject == subject && a.kind == kind));
            acks.push(Ack {
                subject: subject.to_owned(),
                kind,
                until,
                reason: reason.to_owned(),
            });
            Self::seal_acks(&v.sealer, tx, &acks)?;
            v.commit_setting(HEALTH_ACKS, acks_digest(&acks))?;
            v.log(
                tx,
                Action::FindingAcknowledged,
                None,
                "",
                &format!(
                    "{subject} {} until {}: {reason}",
                    kind.code(),
                    format_time(until)
                ),
            )
        })
    }
}
