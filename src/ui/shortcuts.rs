//! Every keyboard shortcut in one table: the key handling reads it and the shortcut list
//! (F1 or ?) is drawn from it, so the two cannot drift apart.

use egui::{Key, KeyboardShortcut, ModifierNames, Modifiers};

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Lock,
    AddKey,
    Search,
    ShowShortcuts,
    RowUp,
    RowDown,
    FirstRow,
    LastRow,
    Tick,
    Details,
    Revoke,
    SelectAll,
    ClearSelection,
}

/// Where a shortcut works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Anywhere in the unlocked window with no dialog open (Lock: even with one).
    Window,
    /// On the key list: the table has focus (or nothing has).
    KeyList,
}

pub struct Shortcut {
    pub action: Action,
    pub area: Area,
    /// Any of these keys; plain keys never fire while a text field has focus.
    pub keys: &'static [(Modifiers, Key)],
    pub what: &'static str,
}

const NONE: Modifiers = Modifiers::NONE;
const CTRL: Modifiers = Modifiers::COMMAND;

/// The table, in the order the shortcut list shows it.
pub const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        action: Action::AddKey,
        area: Area::Window,
        keys: &[(CTRL, Key::N)],
        what: "Add a new key to the environment shown",
    },
    Shortcut {
        action: Action::Search,
        area: Area::Window,
        keys: &[(CTRL, Key::F)],
        what: "Search keys (Esc in the field clears it)",
    },
    Shortcut {
        action: Action::Lock,
        area: Area::Window,
        keys: &[(CTRL, Key::L)],
        what: "Lock the vault",
    },
    Shortcut {
        action: Action::ShowShortcuts,
        area: Area::Window,
        keys: &[(NONE, Key::F1), (NONE, Key::Questionmark)],
        what: "Show this list of shortcuts",
    },
    Shortcut {
        action: Action::RowDown,
        area: Area::KeyList,
        keys: &[(NONE, Key::ArrowDown)],
        what: "Next key in the list",
    },
    Shortcut {
        action: Action::RowUp,
        area: Area::KeyList,
        keys: &[(NONE, Key::ArrowUp)],
        what: "Previous key in the list",
    },
    Shortcut {
        action: Action::FirstRow,
        area: Area::KeyList,
        keys: &[(NONE, Key::Home)],
        what: "First key in the list",
    },
    Shortcut {
        action: Action::LastRow,
        area: Area::KeyList,
        keys: &[(NONE, Key::End)],
        what: "Last key in the list",
    },
    Shortcut {
        action: Action::Tick,
        area: Area::KeyList,
        keys: &[(NONE, Key::Space)],
        what: "Tick or untick the current key",
    },
    Shortcut {
        action: Action::Details,
        area: Area::KeyList,
        keys: &[(NONE, Key::Enter)],
        what: "Open the current key's details",
    },
    Shortcut {
        action: Action::Revoke,
        area: Area::KeyList,
        keys: &[(NONE, Key::Delete)],
        what: "Revoke the current key (asks first)",
    },
    Shortcut {
        action: Action::SelectAll,
        area: Area::KeyList,
        keys: &[(CTRL, Key::A)],
        what: "Tick every key the search and filter show",
    },
    Shortcut {
        action: Action::ClearSelection,
        area: Area::KeyList,
        keys: &[(NONE, Key::Escape)],
        what: "Close the details beside the list, else untick every key",
    },
];

impl Shortcut {
    /// "Ctrl+N", "F1 or ?": the keys as the list shows them.
    pub fn keys_text(&self) -> String {
        let mac = cfg!(target_os = "macos");
        let names = if mac {
            ModifierNames::SYMBOLS
        } else {
            ModifierNames::NAMES
        };
        self.keys
            .iter()
            .map(|(m, k)| match k {
                // "Questionmark" is how egui names the key; people call it ?.
                Key::Questionmark => names.format(m, mac) + k.symbol_or_name(),
                _ => KeyboardShortcut::new(*m, *k).format(&names, mac),
            })
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// The actions of `area` pressed this frame, in table order (their keys are consumed).
/// `typing`: a text field has focus, so only shortcuts with Ctrl count.
pub fn pressed(ctx: &egui::Context, area: Area, typing: bool) -> Vec<Action> {
    ctx.input_mut(|i| {
        SHORTCUTS
            .iter()
            .filter(|s| s.area == area)
            .filter(|s| {
                s.keys
                    .iter()
                    .filter(|(m, _)| !typing || m.command)
                    .any(|(m, k)| i.consume_key(*m, *k))
            })
            .map(|s| s.action)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_entry_and_keys_are_not_shared() {
        let mut seen = Vec::new();
        for s in SHORTCUTS {
            assert!(!seen.contains(&s.action), "{:?} twice", s.action);
            seen.push(s.action);
            assert!(!s.keys.is_empty() && !s.what.is_empty());
        }
        let keys: Vec<_> = SHORTCUTS.iter().flat_map(|s| s.keys).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} bound twice");
        }
        let ctrl_n = SHORTCUTS.iter().find(|s| s.action == Action::AddKey);
        assert_eq!(ctrl_n.map(Shortcut::keys_text).as_deref(), Some("Ctrl+N"));
    }
}
