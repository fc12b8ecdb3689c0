//! One change applied to many keys, key by key through the vault's per-key edits: a key the
//! vault refuses (tampered, gone) is named, the others are still changed.

use crate::numbers::{count, count_of};
use crate::ui::dialogs::named_count;
use crate::ui::state::{BulkChange, Session};
use crate::vault::Error;

/// What a bulk change came to.
#[derive(Default)]
pub(super) struct BulkOutcome {
    pub changed: usize,
    /// Had it already (the scope, or full access): left as it was.
    pub unchanged: usize,
    /// (name, why) of each key the vault refused.
    pub refused: Vec<(String, String)>,
}

/// Applies `change` to each of `keys` (id, name).
pub(super) fn apply(
    s: &mut Session,
    keys: &[(String, String)],
    change: &BulkChange,
) -> BulkOutcome {
    let mut outcome = BulkOutcome::default();
    for (key_id, name) in keys {
        match apply_one(s, key_id, change) {
            Ok(true) => outcome.changed += 1,
            Ok(false) => outcome.unchanged += 1,
            Err(e) => outcome.refused.push((name.clone(), reason(&e))),
        }
        if *change == BulkChange::Revoke {
            s.undelivered.retain(|(k, _)| &k.key_id != key_id);
        }
    }
    if *change == BulkChange::Revoke {
        s.keys.clear_selection();
    }
    outcome
}

/// Changes one key; `false` when it already was as asked.
fn apply_one(s: &mut Session, key_id: &str, change: &BulkChange) -> Result<bool, Error> {
    match change {
        BulkChange::Revoke => s.vault.revoke_key(key_id).map(|_| true),
        BulkChange::Expiry(at) => {
            let edit = crate::vault::KeyEdit {
                expires_at: Some(*at),
                ..Default::default()
            };
            s.vault.edit_key_details(key_id, edit).map(|_| true)
        }
        BulkChange::AddScope(scope) => {
            let key = s.vault.key(key_id)?;
            if key.full_access || key.policy.scopes.contains(scope) {
                return Ok(false);
            }
            let mut scopes = key.policy.scopes;
            scopes.push(scope.clone());
            s.vault.set_scopes(key_id, &scopes, false).map(|_| true)
        }
    }
}

/// Why a key was refused, in a few words (never a secret: errors name keys by id only).
fn reason(e: &Error) -> String {
    match e {
        Error::Tampered(_) => "its record failed its integrity check".into(),
        e => e.to_string(),
    }
}

impl BulkOutcome {
    /// The status line: how many were changed, and each refused key by name.
    pub fn message(&self, change: &BulkChange) -> String {
        let asked = self.changed + self.unchanged + self.refused.len();
        let done = if self.refused.is_empty() {
            count_of(self.changed, "key", "keys")
        } else {
            format!(
                "{} of {}",
                count(self.changed),
                count_of(asked, "key", "keys")
            )
        };
        let mut text = match change {
            BulkChange::Revoke => format!("Revoked {done}"),
            BulkChange::Expiry(_) => format!("Expiry set on {done}"),
            BulkChange::AddScope(scope) => format!("Added {scope} to {done}"),
        };
        if self.unchanged > 0 {
            text.push_str(&format!(" ({} had it already)", count(self.unchanged)));
        }
        if let Some((_, why)) = self.refused.first() {
            let names: Vec<&str> = self.refused.iter().map(|(n, _)| n.as_str()).collect();
            text.push_str(&format!(
                "; refused {} ({why})",
                named_count(&names, "key", "keys")
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_counts_the_changed_and_names_the_refused() {
        let all_done = BulkOutcome {
            changed: 6,
            ..BulkOutcome::default()
        };
        assert_eq!(all_done.message(&BulkChange::Revoke), "Revoked 6 keys");
        let one_refused = BulkOutcome {
            changed: 5,
            unchanged: 0,
            refused: vec![(
                "old-ci".into(),
                "its record failed its integrity check".into(),
            )],
        };
        assert_eq!(
            one_refused.message(&BulkChange::Expiry(None)),
            "Expiry set on 5 of 6 keys; refused 1 key: old-ci (its record failed its integrity check)"
        );
        let some_had_it = BulkOutcome {
            changed: 2,
            unchanged: 1,
            refused: Vec::new(),
        };
        assert_eq!(
            some_had_it.message(&BulkChange::AddScope("write".into())),
            "Added write to 2 keys (1 had it already)"
        );
    }
}
