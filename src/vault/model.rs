//! The things a vault holds, as the rest of the program sees them (decrypted).

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
pub(super) use super::time_text::ser_time;
pub use super::time_text::{format_date, format_time, now, parse_time};

pub type NodeId = i64;
/// Unix seconds, UTC (as verifier files carry them).
pub use keyward_verify::time::Timestamp;

pub const MAX_NAME_CHARS: usize = 64;
pub const EXPIRING_SOON_SECS: i64 = 7 * 24 * 3600;

// A key's status, listing and expiry are the keys folder's; their old paths stay.
pub use super::keys::expiry::{Expiry, Grace};
pub use super::keys::info::{KeyDetails, KeyInfo, KeyStatus, status_at};

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
            Err(Error::bad_input(
                "scope id",
                format!(
                    "scope id '{id}' must be 1 to 64 characters of a-z, 0-9, '.', '_', '-' or ':'"
                ),
            ))
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
                Error::bad_input(
                    "preset",
                    format!(
                        "unknown preset '{slug}' (read-write, project-inference, labels-datasets, custom)"
                    ),
                )
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
        return Err(Error::bad_input(
            "name",
            format!("{what} name must not be empty"),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::bad_input(
            "name",
            format!("{what} name is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(|c| c.is_control() || c == '/') {
        return Err(Error::bad_input(
            "name",
            format!("{what} name must not contain '/' or control characters"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(validate_name("key", "  ci  ").unwrap(), "ci");
        assert!(validate_name("key", "   ").is_err());
        assert!(validate_name("key", &"x".repeat(65)).is_err());
        assert!(validate_name("key", "a/b").is_err());
        assert!(validate_name("key", "a\nb").is_err());
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
