//! The health report: the keys teams get burnt by (exposed, never expiring, expired but not
//! revoked, unused, old full-access keys, old secrets still in their grace) and publish targets
//! that could not be written, each with why it matters and the fix. A finding can be
//! acknowledged with a reason until a date; it comes back after.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::{Error, Result};
use super::model::{KeyInfo, KeyStatus, NodeId, Timestamp, format_time};
use super::store::Store;
use super::{Action, Vault};

const ACKS_META: &str = "health_acks";
const ACKS_AAD: &[u8] = b"keyward/v2/meta/health_acks";
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
}

impl FindingKind {
    pub const ALL: [FindingKind; 9] = [
        FindingKind::Exposed,
        FindingKind::ExpiredNotRevoked,
        FindingKind::ExpiresIn7Days,
        FindingKind::ExpiresIn30Days,
        FindingKind::NeverExpires,
        FindingKind::Unused,
        FindingKind::OldFullAccess,
        FindingKind::OldSecretInGrace,
        FindingKind::PublishFailing,
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

fn key_findings(k: &KeyInfo, now: Timestamp) -> Vec<FindingKind> {
    let mut out = Vec::new();
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
    out
}

impl Vault {
    fn acks(&self) -> Result<Vec<Ack>> {
        let Some(sealed) = self.conn.meta_get(ACKS_META)? else {
            return Ok(Vec::new());
        };
        let plain = self
            .sealer
            .open(ACKS_AAD, &sealed)
            .ok_or_else(|| Error::Tampered("the health acknowledgements".into()))?;
        serde_json::from_slice(&plain)
            .map_err(|_| Error::Tampered("the health acknowledgements".into()))
    }

    pub(super) fn seal_acks(
        sealer: &super::crypto::Sealer,
        conn: &dyn Store,
        acks: &[Ack],
    ) -> Result<()> {
        let plain =
            Zeroizing::new(serde_json::to_vec(acks).map_err(|e| Error::Corrupt(e.to_string()))?);
        conn.meta_set(ACKS_META, &sealer.seal(ACKS_AAD, &plain))
    }

    /// The acknowledgements, for re-keying.
    pub(super) fn acks_for_rekey(&self) -> Result<Vec<Ack>> {
        self.acks()
    }

    /// Every finding at `node` and below (the whole vault when `None`), most urgent first.
    pub fn health(&self, node: Option<NodeId>) -> Result<Vec<Finding>> {
        self.health_and_keys(node, |_| {})
    }

    /// Like [`Vault::health`], handing every key it walked to `visit` as well, so a caller
    /// that lists keys too (the window's reload) decrypts each once, not twice.
    pub fn health_and_keys(
        &self,
        node: Option<NodeId>,
        mut visit: impl FnMut(KeyInfo),
    ) -> Result<Vec<Finding>> {
        let now = self.now();
        let acks: Vec<Ack> = self.acks()?.into_iter().filter(|a| a.until > now).collect();
        let ack_for = |subject: &str, kind: FindingKind| {
            acks.iter()
                .find(|a| a.subject == subject && a.kind == kind)
                .cloned()
        };
        let mut out = Vec::new();
        self.each_key(node, |k| {
            for kind in key_findings(&k, now) {
                out.push(Finding {
                    kind,
                    acknowledged: ack_for(&k.key_id, kind),
                    subject: k.key_id.clone(),
                    name: k.name.clone(),
                    node: k.node.clone(),
                    why: kind.why(),
                    fix: kind.fix(),
                });
            }
            visit(k);
        })?;
        for (target, path) in self.publish_targets()? {
            if target.last_error.is_some() {
                let subject = target.file.display().to_string();
                out.push(Finding {
                    kind: FindingKind::PublishFailing,
                    acknowledged: ack_for(&subject, FindingKind::PublishFailing),
                    name: target.last_error.clone().unwrap_or_default(),
                    subject,
                    node: path,
                    why: FindingKind::PublishFailing.why(),
                    fix: FindingKind::PublishFailing.fix(),
                });
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
            return Err(Error::Invalid(format!(
                "{} is not in the future",
                format_time(until)
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(Error::Invalid(
                "give a reason (at most 500 characters)".into(),
            ));
        }
        if !self
            .health(None)?
            .iter()
            .any(|f| f.subject == subject && f.kind == kind)
        {
            return Err(Error::NotFound(format!(
                "a '{}' finding for {subject}",
                kind.code()
            )));
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
