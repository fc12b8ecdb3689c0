//! Which keys a listing shows: by owner, tags, status and a free-text search over everything
//! people can read about a key. The CLI's `key list` filters and the window's search share it.

use crate::vault::model::{KeyInfo, KeyStatus};

/// All given conditions must hold; an empty filter keeps every key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// The owner, compared without regard to case or surrounding spaces.
    pub owner: Option<String>,
    /// Tags the key must all carry.
    pub tags: Vec<String>,
    /// Any of these statuses (none: any status).
    pub statuses: Vec<KeyStatus>,
    /// Case-insensitive text found in the name, key id, shown secret, node path, description,
    /// owner or a tag.
    pub text: Option<String>,
}

impl KeyFilter {
    /// A filter with its text fields normalised once, so matching many keys does not redo it.
    pub fn new(
        owner: Option<&str>,
        tags: &[String],
        statuses: Vec<KeyStatus>,
        text: Option<&str>,
    ) -> Self {
        let clean = |s: &str| Some(s.trim().to_lowercase()).filter(|s| !s.is_empty());
        KeyFilter {
            owner: owner.and_then(clean),
            tags: tags.iter().filter_map(|t| clean(t)).collect(),
            statuses,
            text: text.and_then(clean),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_none()
            && self.tags.is_empty()
            && self.statuses.is_empty()
            && self.text.is_none()
    }

    pub fn matches(&self, key: &KeyInfo) -> bool {
        if !self.statuses.is_empty() && !self.statuses.contains(&key.status) {
            return false;
        }
        if let Some(owner) = &self.owner
            && key.details.owner.trim().to_lowercase() != *owner
        {
            return false;
        }
        if !self.tags.iter().all(|t| key.details.tags.contains(t)) {
            return false;
        }
        match &self.text {
            None => true,
            Some(needle) => text_matches(key, needle),
        }
    }
}

/// Whether `needle` (already lowercase) occurs in anything a person reads about the key.
pub fn text_matches(key: &KeyInfo, needle: &str) -> bool {
    let found = |hay: &str| contains_lowercase(hay, needle);
    found(&key.name)
        || found(&key.key_id)
        || found(&key.display)
        || found(&key.node)
        || found(&key.details.description)
        || found(&key.details.owner)
        || key.details.tags.iter().any(|t| found(t))
}

fn contains_lowercase(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() && needle.is_ascii() {
        // No allocation on the common path: 100,000 keys are searched per keystroke.
        return contains_folded(hay, needle);
    }
    hay.to_lowercase().contains(needle)
}

/// Case-insensitive substring test without allocating (ASCII folding; other letters exact).
pub fn contains_folded(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

impl KeyStatus {
    /// The word for a status on the command line (`--status`); `expiring` is `expiring_soon`.
    pub fn parse(word: &str) -> Option<KeyStatus> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "active" => KeyStatus::Active,
            "expiring" | "expiring_soon" | "expiring-soon" => KeyStatus::ExpiringSoon,
            "expired" => KeyStatus::Expired,
            "revoked" => KeyStatus::Revoked,
            "exposed" => KeyStatus::Exposed,
            "tampered" => KeyStatus::Tampered,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::model::KeyDetails;

    fn key(name: &str, owner: &str, tags: &[&str], status: KeyStatus) -> KeyInfo {
        KeyInfo {
            key_id: "kid_7Q2m".into(),
            name: name.into(),
            node: "acme/api/prod".into(),
            node_id: Default::default(),
            policy: keyward_verify::Policy::default(),
            full_access: false,
            created_at: 0,
            last_used_at: None,
            uses_24h: None,
            uses_30d: None,
            credits_left: None,
            revoked_at: None,
            status,
            display: "kw_4yHc…a1b2".into(),
            details: KeyDetails {
                description: "Nightly Ünïcode export".into(),
                owner: owner.into(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
            },
            old_secret_valid_until: None,
        }
    }

    #[test]
    fn every_condition_must_hold() {
        let k = key(
            "billing-sync",
            "Payments Team",
            &["batch", "prod"],
            KeyStatus::Active,
        );
        assert!(KeyFilter::default().matches(&k));
        assert!(KeyFilter::new(Some(" payments team "), &[], vec![], None).matches(&k));
        assert!(!KeyFilter::new(Some("payments"), &[], vec![], None).matches(&k));
        assert!(KeyFilter::new(None, &["prod".into(), "batch".into()], vec![], None).matches(&k));
        assert!(!KeyFilter::new(None, &["prod".into(), "web".into()], vec![], None).matches(&k));
        let revoked_or_exposed = vec![KeyStatus::Revoked, KeyStatus::Exposed];
        assert!(!KeyFilter::new(None, &[], revoked_or_exposed.clone(), None).matches(&k));
        let exposed = key("billing-sync", "", &[], KeyStatus::Exposed);
        assert!(KeyFilter::new(None, &[], revoked_or_exposed, None).matches(&exposed));
    }

    #[test]
    fn text_searches_everything_people_read() {
        let k = key(
            "billing-sync",
            "Payments Team",
            &["batch"],
            KeyStatus::Active,
        );
        for needle in [
            "BILLING",
            "kid_7q2m",
            "acme/api",
            "a1b2",
            "ünïcode",
            "payments",
            "bat",
        ] {
            assert!(
                KeyFilter::new(None, &[], vec![], Some(needle)).matches(&k),
                "{needle}"
            );
        }
        assert!(!KeyFilter::new(None, &[], vec![], Some("ledger")).matches(&k));
        assert!(KeyFilter::new(None, &[], vec![], Some("   ")).is_empty());
    }

    #[test]
    fn status_words() {
        assert_eq!(KeyStatus::parse("expiring"), Some(KeyStatus::ExpiringSoon));
        assert_eq!(KeyStatus::parse("Exposed"), Some(KeyStatus::Exposed));
        assert_eq!(KeyStatus::parse("gone"), None);
    }
}
