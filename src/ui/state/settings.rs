//! Preferences kept across runs.

use crate::ui::notify::NotifyKinds;
use crate::ui::theme::ThemeChoice;
use crate::vault::NodeId;

/// Preferences kept across runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub auto_lock_minutes: u32,
    pub clipboard_seconds: u32,
    pub theme: ThemeChoice,
    /// Expiry preselected for a new key, in days; 0 preselects Never (with a warning).
    pub default_expiry_days: u32,
    /// Id of the node selected last, reopened after unlock. An id, not the node's path: the
    /// settings file is plaintext and names stay inside the vault.
    pub last_node_id: Option<NodeId>,
    /// Which events are told by a desktop notification.
    pub notify: NotifyKinds,
    /// A key's details are shown beside the list (where the window is wide enough).
    pub details_open: bool,
    /// The details panel's width, in points, as last dragged.
    pub details_width: f32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            auto_lock_minutes: 5,
            clipboard_seconds: 30,
            theme: ThemeChoice::System,
            default_expiry_days: 90,
            last_node_id: None,
            notify: NotifyKinds::default(),
            details_open: false,
            details_width: crate::ui::theme::DETAILS_WIDTH,
        }
    }
}
