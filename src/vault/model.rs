//! The things a vault holds, as the rest of the program sees them (decrypted).

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
pub use super::time_text::{format_date, format_time, now, parse_time};
pub(super) use super::time_text::{ser_opt_time, ser_time};

pub type NodeId = i64;
/// Unix seconds, UTC (as verifier files carry them).
pub use keyward_verify::time::Timestamp;

pub const MAX_NAME_CHARS: usize = 64;
pub const EXPIRING_SOON_SECS: i64 = 7 * 24 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Workspace,
    Project,
    Environment,
}

impl NodeKind {
    pub fn code(self) -> i64 {
        match self {
            NodeKind::Workspace => 0,
            NodeKind::Project => 1,
            NodeKind::Environment => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<NodeKind> {
        match code {
            0 => Some(NodeKind::Workspace),
            1 => Some(NodeKind::Project),
            2 => Some(NodeKind::Environment),
            _ => None,
        }
    }

    pub fn child(self) -> Option<NodeKind> {
        match self {
            NodeKind::Workspace => Some(NodeKind::Project),
            NodeKind::Project => Some(NodeKind::Environment),
            NodeKind::Environment => None,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            NodeKind::Workspace => "workspace",
            NodeKind::Project => "project",
            NodeKind::Environment => "environment",
        }
    }
}

/// One node of the workspace → project → environment tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub id: NodeId,
    /// 0 for workspaces.
    pub parent: NodeId,
    pub kind: NodeKind,
    pub name: String,
    /// Secret prefix for keys minted here and below (environments may set their own).
    pub prefix: String,
    /// `ws`, `ws/project` or `ws/project/env`.
    pub path: String,
    /// The record failed its integrity check; shown, never used.
    pub tampered: bool,
}

/// One entry of a workspace's scope catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// Always on: cannot be unchecked.
    #[serde(default)]
    pub required: bool,
    /// Pre-checked in the Add New Key form.
    #[serde(default)]
    pub default: bool,
}

impl Scope {
    pub fn new(id: &str, label: &str, description: &str, required: bool, default: bool) -> Scope {
        Scope {
            id: id.to_owned(),
            label: label.to_owned(),
            description: description.to_owned(),
            required,
            default,
        }
    }

    /// Scope ids: 1–64 characters of a–z, 0–9, `.`, `_`, `-`, `:`.
    pub fn validate_id(id: &str) -> Result<()> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-' | b':')
            });
        if ok {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "scope id '{id}' must be 1 to 64 characters of a-z, 0-9, '.', '_', '-' or ':'"
            )))
        }
    }
}

/// The scope catalogs a new workspace can start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    ReadWrite,
    ProjectInference,
    LabelsDatasets,
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::ReadWrite,
        Preset::ProjectInference,
        Preset::LabelsDatasets,
        Preset::Custom,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Preset::ReadWrite => "read-write",
            Preset::ProjectInference => "project-inference",
            Preset::LabelsDatasets => "labels-datasets",
            Preset::Custom => "custom",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Preset::ReadWrite => "Read / Write",
            Preset::ProjectInference => "Project / Inference",
            Preset::LabelsDatasets => "Labels & datasets",
            Preset::Custom => "Custom (empty)",
        }
    }

    pub fn from_slug(slug: &str) -> Result<Preset> {
        Preset::ALL
            .into_iter()
            .find(|p| p.slug() == slug)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown preset '{slug}' (read-write, project-inference, labels-datasets, custom)"
                ))
            })
    }

    pub fn scopes(self) -> Vec<Scope> {
        match self {
            Preset::ReadWrite => vec![
                Scope::new("read", "Read", "Read data. Always on.", true, true),
                Scope::new("write", "Write", "Modify or add data.", false, false),
            ],
            Preset::ProjectInference => vec![
                Scope::new(
                    "project",
                    "Project",
                    "Manage projects, upload datasets, train models, make predictions.",
                    false,
                    false,
                ),
                Scope::new(
                    "inference",
                    "Inference",
                    "Make inferences on trained models.",
                    false,
                    true,
                ),
            ],
            Preset::LabelsDatasets => vec![
                Scope::new("label.read", "Label read", "Read labels.", false, true),
                Scope::new(
                    "label.write",
                    "Label write",
                    "Create and edit labels.",
                    false,
                    false,
                ),
                Scope::new(
                    "dataset.read",
                    "Dataset read",
                    "Read datasets.",
                    false,
                    true,
                ),
                Scope::new(
                    "dataset.write",
                    "Dataset write",
                    "Upload and edit datasets.",
                    false,
                    false,
                ),
            ],
            Preset::Custom => Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    ExpiringSoon,
    Expired,
    Revoked,
    /// The record failed its integrity check; listed so nothing is hidden.
    Tampered,
    /// Still working, but its secret was found in a file or a stream by `keyward scan`.
    Exposed,
}

impl KeyStatus {
    /// Whether verification accepts the key's current secret (an exposed key still works:
    /// rolling or revoking it is the fix).
    pub fn works(self) -> bool {
        matches!(
            self,
            KeyStatus::Active | KeyStatus::ExpiringSoon | KeyStatus::Exposed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::ExpiringSoon => "expiring_soon",
            KeyStatus::Expired => "expired",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Tampered => "tampered",
            KeyStatus::Exposed => "exposed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::ExpiringSoon => "Expiring soon",
            KeyStatus::Expired => "Expired",
            KeyStatus::Revoked => "Revoked",
            KeyStatus::Tampered => "Tampered",
            KeyStatus::Exposed => "Exposed",
        }
    }
}

/// A key as lists show it. Never holds the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub key_id: String,
    pub name: String,
    /// Path of the node the key belongs to.
    pub node: String,
    #[serde(skip)]
    pub node_id: NodeId,
    pub scopes: Vec<String>,
    pub full_access: bool,
    #[serde(serialize_with = "ser_time")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "ser_opt_time")]
    pub expires_at: Option<Timestamp>,
    /// The newer of the vault's own stamp (verification through the vault) and the usage
    /// files `keyward serve` writes beside the vault's publish targets.
    #[serde(serialize_with = "ser_opt_time")]
    pub last_used_at: Option<Timestamp>,
    /// Checks that found the key through `keyward serve` in the last 24 hours and 30 days, from
    /// the usage files beside the publish targets; `None` when no usage file mentions it.
    pub uses_24h: Option<u64>,
    pub uses_30d: Option<u64>,
    #[serde(serialize_with = "ser_opt_time")]
    pub revoked_at: Option<Timestamp>,
    pub status: KeyStatus,
    /// `prefix_abcd…wxyz`.
    pub display: String,
    /// Description, owner and tags.
    #[serde(flatten)]
    pub details: KeyDetails,
    /// After a roll with a grace period: when the previous secret stops working.
    #[serde(
        serialize_with = "ser_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub old_secret_valid_until: Option<Timestamp>,
}

/// What people write about a key: what it is for, who holds it, and tags to find it by.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDetails {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl KeyDetails {
    pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
    pub const MAX_OWNER_CHARS: usize = 128;
    pub const MAX_TAGS: usize = 32;

    /// A tag: 1 to 32 of lowercase a–z, 0–9, `.`, `_`, `-`.
    pub fn validate_tag(tag: &str) -> Result<String> {
        let tag = tag.trim().to_lowercase();
        let ok = (1..=32).contains(&tag.len())
            && tag
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !ok {
            return Err(Error::Invalid(format!(
                "tag '{tag}' must be 1 to 32 of a-z, 0-9, '.', '_' or '-'"
            )));
        }
        Ok(tag)
    }
}

pub fn status_at(
    now: Timestamp,
    revoked_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
) -> KeyStatus {
    if revoked_at.is_some() {
        KeyStatus::Revoked
    } else {
        match expires_at {
            Some(t) if t <= now => KeyStatus::Expired,
            Some(t) if t.saturating_sub(now) < EXPIRING_SOON_SECS => KeyStatus::ExpiringSoon,
            _ => KeyStatus::Active,
        }
    }
}

/// When a new key stops working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Never,
    In { seconds: i64 },
    At(Timestamp),
}

impl Expiry {
    /// `never`, `30d`, `12h` or `YYYY-MM-DD` (valid through the end of that day, UTC).
    pub fn parse(text: &str) -> Result<Expiry> {
        let t = text.trim();
        let bad = || {
            Error::Invalid(format!(
                "expiry '{text}' is not one of never, <N>d, <N>h or YYYY-MM-DD"
            ))
        };
        if t.eq_ignore_ascii_case("never") {
            return Ok(Expiry::Never);
        }
        if let Some(n) = t.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()) {
            return positive_span(n, 86_400).map(|seconds| Expiry::In { seconds });
        }
        if let Some(n) = t.strip_suffix('h').and_then(|n| n.parse::<i64>().ok()) {
            return positive_span(n, 3_600).map(|seconds| Expiry::In { seconds });
        }
        let date = time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| bad())?;
        let end_of_day = date.with_hms(23, 59, 59).map_err(|_| bad())?.assume_utc();
        Ok(Expiry::At(end_of_day.unix_timestamp()))
    }

    pub fn resolve(self, now: Timestamp) -> Result<Option<Timestamp>> {
        let at = match self {
            Expiry::Never => return Ok(None),
            Expiry::In { seconds } => now
                .checked_add(seconds)
                .ok_or_else(|| Error::Invalid("the expiry is out of range".into()))?,
            Expiry::At(t) => t,
        };
        if at <= now {
            return Err(Error::Invalid(format!(
                "expiry {} is in the past",
                format_time(at)
            )));
        }
        Ok(Some(at))
    }
}

fn positive_span(n: i64, unit: i64) -> Result<i64> {
    if n <= 0 || n > 36_500 * 86_400 / unit {
        return Err(Error::Invalid(
            "expiry must be a positive span of at most 100 years".into(),
        ));
    }
    Ok(n * unit)
}

/// How long a rolled key's old secret keeps working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grace {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl Grace {
    pub const ALL: [Grace; 4] = [Grace::None, Grace::OneHour, Grace::OneDay, Grace::SevenDays];

    pub fn parse(text: &str) -> Result<Grace> {
        match text.trim() {
            "0" | "none" => Ok(Grace::None),
            "1h" => Ok(Grace::OneHour),
            "24h" | "1d" => Ok(Grace::OneDay),
            "7d" => Ok(Grace::SevenDays),
            other => Err(Error::Invalid(format!(
                "grace '{other}' is not one of 0, 1h, 24h, 7d"
            ))),
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Grace::None => 0,
            Grace::OneHour => 3_600,
            Grace::OneDay => 86_400,
            Grace::SevenDays => 7 * 86_400,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grace::None => "None",
            Grace::OneHour => "1 hour",
            Grace::OneDay => "24 hours",
            Grace::SevenDays => "7 days",
        }
    }
}

/// How guessable a new passphrase is: zxcvbn's score (0 very weak … 4 strong) and its
/// warning, if any. The command line warns below 3; the window shows the score as it is typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassphraseStrength {
    pub score: u8,
    pub warning: Option<String>,
}

impl PassphraseStrength {
    pub const ACCEPTABLE: u8 = 3;

    pub fn of(passphrase: &str) -> PassphraseStrength {
        let estimate = zxcvbn::zxcvbn(passphrase, &[]);
        PassphraseStrength {
            score: u8::from(estimate.score()),
            warning: estimate
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string())),
        }
    }
}

/// Trims and checks a user-given name (node or key).
pub fn validate_name(what: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Invalid(format!("{what} name must not be empty")));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::Invalid(format!(
            "{what} name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(|c| c.is_control() || c == '/') {
        return Err(Error::Invalid(format!(
            "{what} name must not contain '/' or control characters"
        )));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_forms() {
        assert_eq!(Expiry::parse("never").unwrap(), Expiry::Never);
        assert_eq!(
            Expiry::parse("30d").unwrap(),
            Expiry::In {
                seconds: 30 * 86_400
            }
        );
        assert_eq!(
            Expiry::parse("12h").unwrap(),
            Expiry::In {
                seconds: 12 * 3_600
            }
        );
        let at = Expiry::parse("2030-01-02").unwrap();
        assert_eq!(at, Expiry::At(parse_time("2030-01-02T23:59:59Z").unwrap()));
        for bad in ["", "0d", "-1d", "soon", "2030-13-01", "30x", "2030-02-30"] {
            assert!(Expiry::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn past_expiry_is_refused() {
        let now = parse_time("2026-11-22T10:00:00Z").unwrap();
        assert!(Expiry::parse("2020-01-01").unwrap().resolve(now).is_err());
        assert_eq!(
            Expiry::parse("1d").unwrap().resolve(now).unwrap(),
            Some(now + 86_400)
        );
    }

    #[test]
    fn status_rules() {
        let now = 1_000_000;
        assert_eq!(status_at(now, None, None), KeyStatus::Active);
        assert_eq!(
            status_at(now, None, Some(now + 8 * 86_400)),
            KeyStatus::Active
        );
        assert_eq!(
            status_at(now, None, Some(now + 86_400)),
            KeyStatus::ExpiringSoon
        );
        assert_eq!(status_at(now, None, Some(now)), KeyStatus::Expired);
        assert_eq!(status_at(now, Some(now - 1), None), KeyStatus::Revoked);
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(validate_name("key", "  ci  ").unwrap(), "ci");
        assert!(validate_name("key", "   ").is_err());
        assert!(validate_name("key", &"x".repeat(65)).is_err());
        assert!(validate_name("key", "a/b").is_err());
        assert!(validate_name("key", "a\nb").is_err());
    }

    #[test]
    fn grace_forms() {
        assert_eq!(Grace::parse("0").unwrap().seconds(), 0);
        assert_eq!(Grace::parse("1h").unwrap().seconds(), 3600);
        assert_eq!(Grace::parse("24h").unwrap().seconds(), 86_400);
        assert_eq!(Grace::parse("7d").unwrap().seconds(), 7 * 86_400);
        assert!(Grace::parse("2h").is_err());
    }

    #[test]
    fn time_format_roundtrip() {
        let t = parse_time("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(format_time(t), "2026-11-22T10:00:00Z");
        assert_eq!(format_date(t), "2026-11-22");
    }

    #[test]
    fn passphrase_strength_tells_weak_from_strong() {
        let weak = PassphraseStrength::of("password1");
        assert!(weak.score < PassphraseStrength::ACCEPTABLE);
        assert!(weak.warning.is_some());
        let strong = PassphraseStrength::of("velvet canyon 4417 drift harbor");
        assert!(strong.score >= PassphraseStrength::ACCEPTABLE);
    }
}
