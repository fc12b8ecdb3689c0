//! Checking a presented key against the vault, and exporting what a service needs to check
//! keys without it.

pub(crate) mod verifier;

use std::collections::HashMap;

use crate::vault::error::{Error, Result};
use crate::vault::handle::tamper;
use crate::vault::model::{NodeId, Timestamp};
use crate::vault::nodes::tree::Tree;
use crate::vault::{Action, Vault, crypto, store};
use keyward_verify::{
    ExportedVerifier, LimitReport, Outcome, Request, Secret, Verification, VerifierEntry,
    VerifierFile, VerifierPayload, extract_key,
};

/// Last-used times are coarse (like the big key pages'): at most one write per key per minute,
/// so verification stays a read.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

impl Vault {
    /// Checks a presented key (a header, `Api-Key k`, `Bearer k` or a bare key) against the
    /// vault. A bad checksum is `malformed` without a lookup. A key whose record is not the one
    /// the vault committed (rolled back, put back, inserted) is `tampered`, never `valid`.
    /// Updates the key's last use.
    pub fn verify(&mut self, presented: &str, required_scopes: &[&str]) -> Result<Verification> {
        self.verify_request(presented, &Request::scopes(required_scopes))
    }

    /// [`Vault::verify`] for a whole request: the client's address (a key limited to some
    /// networks is `forbidden` without one) and a cost, charged to the key's rate limits and
    /// credits as counted through this handle.
    pub fn verify_request(&mut self, presented: &str, request: &Request) -> Result<Verification> {
        let (verification, touch) = self.decide(presented, request)?;
        if let Some((id, last_used)) = touch {
            let now = self.now();
            if last_used.is_none_or(|t| now.saturating_sub(t) >= LAST_USED_RESOLUTION_SECS) {
                // Not a sealed change: no commitment work, and no activity entry.
                store::in_transaction(&*self.conn, || self.conn.touch_key(id, now))?;
            }
        }
        Ok(verification)
    }

    /// Copies the last uses that services on this machine wrote beside its publish targets
    /// into the keys' own stamps, so that every member of a team vault sees them (the usage
    /// files are only on this machine). `seen` remembers what was copied already, so each
    /// call looks up only keys used since. Returns how many keys were stamped.
    pub fn stamp_service_use(&self, seen: &mut HashMap<String, Timestamp>) -> Result<usize> {
        let mut newer = Vec::new();
        for (key_id, usage) in self.service_usage(self.now()) {
            // Uses from the future or before 1970 were dropped when the file was read.
            let Some(at) = usage.last_used_at else {
                continue;
            };
            if seen.get(&key_id).is_some_and(|t| *t >= at) {
                continue;
            }
            seen.insert(key_id.clone(), at);
            newer.push((key_id, at));
        }
        if newer.is_empty() {
            return Ok(0);
        }
        // Not a sealed change, as a verification's stamp: no commitment work, no log entry.
        store::in_transaction(&*self.conn, || {
            let mut stamped = 0;
            for (key_id, at) in &newer {
                let Some(row) = self.conn.key_by_key_id(key_id)? else {
                    continue;
                };
                if row.last_used_at.is_none_or(|t| t < *at) {
                    self.conn.touch_key(row.id, *at)?;
                    stamped += 1;
                }
            }
            Ok(stamped)
        })
    }

    /// The same answer as [`Vault::verify`], without recording a use (a scanner finding a
    /// secret in a file is not a client using it).
    pub fn inspect(&self, presented: &str, required_scopes: &[&str]) -> Result<Verification> {
        let request = Request {
            cost: 0,
            ..Request::scopes(required_scopes)
        };
        Ok(self.decide(presented, &request)?.0)
    }

    #[allow(clippy::type_complexity)]
    fn decide(
        &self,
        presented: &str,
        request: &Request,
    ) -> Result<(Verification, Option<(i64, Option<i64>)>)> {
        let secret = match extract_key(presented).and_then(Secret::parse) {
            Ok(s) => s,
            Err(e) => return Ok((Verification::malformed(&e), None)),
        };
        let sha = secret.sha256();
        let checked = self.check_key(&sha, request)?;
        if checked.0.result != Outcome::Tampered {
            return Ok(checked);
        }
        // The row and the commitment may have been read on either side of another process's
        // commit: look again with both from one snapshot before saying so.
        self.in_read_snapshot(|v| {
            v.commitment.borrow_mut().invalidate();
            v.check_key(&sha, request)
        })
    }

    fn in_read_snapshot<T>(&self, f: impl FnOnce(&Vault) -> Result<T>) -> Result<T> {
        store::in_read_snapshot(&*self.conn, || f(self))
    }

    /// The decision for one hash; also which row to stamp as used.
    #[allow(clippy::type_complexity)]
    fn check_key(
        &self,
        sha: &[u8; 32],
        request: &Request,
    ) -> Result<(Verification, Option<(i64, Option<i64>)>)> {
        let Some(row) = self.conn.key_by_lookup(&self.lookup_tag(sha))? else {
            return Ok((Verification::of(Outcome::NotFound, None, Vec::new()), None));
        };
        // After the lookup: the commitment must be as new as the row just read.
        self.sync_commitment()?;
        let tampered =
            |row: store::KeyRow| Verification::of(Outcome::Tampered, Some(row.key_id), Vec::new());
        let Some(mut data) = self.open_key(&row)? else {
            return Ok((tampered(row), None));
        };
        let now = self.now();
        let stored = if row.matched_previous {
            data.previous.as_ref().map(|p| p.sha256.as_str())
        } else {
            Some(data.sha256.as_str())
        };
        let hash_ok = stored
            .and_then(crypto::from_hex)
            .is_some_and(|h| crypto::ct_eq(&h, sha));
        if !hash_ok {
            return Ok((tampered(row), None));
        }
        let scopes = if data.full_access {
            match self.catalog_ids(row.node_id)? {
                Some(ids) => ids,
                // A full-access key under a tampered workspace: its scopes cannot be known.
                None => return Ok((tampered(row), None)),
            }
        } else {
            std::mem::take(&mut data.scopes)
        };
        let grace_over =
            row.matched_previous && data.previous.as_ref().is_none_or(|p| p.valid_until <= now);
        let policy = data.policy(scopes);
        let mut outcome = policy.decide(now, grace_over, request.scopes, request.client);
        let mut limits = None;
        if outcome == Outcome::Valid
            && let Some(answer) = policy.spend(
                &self.limiter,
                &row.key_id,
                request.cost,
                // The vault's clock (tests set it), to the millisecond its seconds allow.
                u64::try_from(now).unwrap_or(0).saturating_mul(1_000),
            )
        {
            outcome = answer.refusal().unwrap_or(Outcome::Valid);
            limits = policy
                .limits
                .as_deref()
                .map(|l| LimitReport::of(l, &answer));
        }
        Ok((
            Verification {
                limits,
                ..Verification::of(outcome, Some(row.key_id), policy.scopes)
            },
            Some((row.id, row.last_used_at)),
        ))
    }

    /// The entries of a verifier file for `node` and below (everything when `None`), and the
    /// node's path. Refused while any key there fails its integrity check.
    fn verifier_entries(
        &self,
        tree: &Tree,
        node: Option<NodeId>,
    ) -> Result<(String, Vec<VerifierEntry>)> {
        let rows = match node {
            Some(id) => store::key_rows(&*self.conn, Some(&tree.subtree(tree.get(id)?.id)))?,
            None => store::key_rows(&*self.conn, None)?,
        };
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let data = self
                .open_key(row)?
                .ok_or_else(|| tamper("key", &row.key_id))?;
            let scopes = data.scopes_in(tree);
            entries.push(data.into_verifier_entry(scopes));
        }
        let subject = node.map(|n| tree.path_of(n)).unwrap_or_default();
        Ok((subject, entries))
    }

    /// Everything a service needs to check keys without the vault, signed with the vault's
    /// key: key ids, SHA-256 hashes, scopes, expiry and revocation (no secrets and no names),
    /// the vault id, the node, a serial that grows with every export and, with `valid_for`
    /// (seconds), when loaders stop accepting the file. Refused while any key under the node
    /// fails its integrity check (a verifier must not carry a tampered record).
    ///
    /// The keys are read, and the export logged, in one transaction, whose commit number is
    /// the serial: a later export always has a higher one, across re-keys too.
    pub fn export_verifier(
        &mut self,
        node: Option<NodeId>,
        valid_for: Option<i64>,
    ) -> Result<ExportedVerifier> {
        let now = self.now();
        let valid_until = valid_for
            .map(|secs| {
                now.checked_add(secs)
                    .filter(|_| secs > 0)
                    .ok_or_else(|| Error::bad_input("valid for", "--valid-for is out of range"))
            })
            .transpose()?;
        let (key, payload) = self.write(|v, tx| {
            let key = v.signing_key_in(tx)?;
            let tree = v.tree()?;
            let (subject, entries) = v.verifier_entries(&tree, node)?;
            let serial = v.commitment.borrow().next_tx()?;
            v.log(
                tx,
                Action::VerifierExported,
                node,
                &subject,
                &format!(
                    "{}, serial {serial}",
                    crate::numbers::count_of(entries.len(), "key", "keys")
                ),
            )?;
            Ok((
                key,
                VerifierPayload {
                    kind: VerifierFile::TYPE.into(),
                    version: VerifierFile::version_for(&entries),
                    vault_id: String::new(),
                    node: subject,
                    serial,
                    exported_at: now,
                    valid_until,
                    keys: entries,
                },
            ))
        })?;
        // Signed once committed: a serial is never signed for an export that did not happen.
        let payload = VerifierPayload {
            vault_id: key.vault_id.clone(),
            ..payload
        };
        Ok(ExportedVerifier {
            file: VerifierFile::sign(&payload, &key)?,
            payload,
        })
    }

    /// A signed verifier file for `node`, not logged: publishing builds one after every
    /// committed change. Its serial is the commit number of the state it carries, so it grows
    /// with every change (and an export in between, which commits its log entry, sits
    /// between two publishes).
    pub(in crate::vault) fn build_verifier(
        &self,
        node: Option<NodeId>,
    ) -> Result<ExportedVerifier> {
        // Published like an export: never from a state an export would be refused on.
        self.commitment
            .borrow_mut()
            .check_intact(&*self.conn, &self.sealer)?;
        let key = self.signing_key()?;
        let now = self.now();
        let tree = self.tree()?;
        let (subject, entries) = self.verifier_entries(&tree, node)?;
        let serial = self.commitment.borrow().committed_tx()?;
        let payload = VerifierPayload {
            kind: VerifierFile::TYPE.into(),
            version: VerifierFile::version_for(&entries),
            vault_id: key.vault_id.clone(),
            node: subject,
            serial,
            exported_at: now,
            valid_until: None,
            keys: entries,
        };
        Ok(ExportedVerifier {
            file: VerifierFile::sign(&payload, &key)?,
            payload,
        })
    }
}
