//! Every keyboard shortcut in one table: the key handling reads it and the shortcut list
//! (F1 or ?) is drawn from it, so the two cannot drift apart.

use egui::{Key, KeyboardShortcut, ModifierNames, Modifiers};

/// What the user can ask for from the keyboard: each command knows its label, its tooltip,
/// its keys and where they work (as rerun's `UICommand` does); the table and the shortcut list
/// are built from these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiCommand {
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

const NONE: Modifiers = Modifiers::NONE;
const CTRL: Modifiers = Modifiers::COMMAND;

impl UiCommand {
    /// Every command, in the order the shortcut list shows them.
    pub const ALL: [UiCommand; 13] = [
        UiCommand::AddKey,
        UiCommand::Search,
        UiCommand::Lock,
        UiCommand::ShowShortcuts,
        UiCommand::RowDown,
        UiCommand::RowUp,
        UiCommand::FirstRow,
        UiCommand::LastRow,
        UiCommand::Tick,
        UiCommand::Details,
        UiCommand::Revoke,
        UiCommand::SelectAll,
        UiCommand::ClearSelection,
    ];

    /// Its label (on its button, where it has one) and what it does, in the shortcut list and
    /// in the button's tooltip.
    pub const fn text_and_tooltip(self) -> (&'static str, &'static str) {
        match self {
            UiCommand::AddKey => ("Add New Key", "Add a new key to the environment shown"),
            UiCommand::Search => ("Search keys", "Search keys (Esc in the field clears it)"),
            UiCommand::Lock => ("Lock", "Lock the vault"),
            UiCommand::ShowShortcuts => ("Keyboard shortcuts", "Show this list of shortcuts"),
            UiCommand::RowDown => ("Next key", "Next key in the list"),
            UiCommand::RowUp => ("Previous key", "Previous key in the list"),
            UiCommand::FirstRow => ("First key", "First key in the list"),
            UiCommand::LastRow => ("Last key", "Last key in the list"),
            UiCommand::Tick => ("Tick", "Tick or untick the current key"),
            UiCommand::Details => ("Details", "Open the current key's details"),
            UiCommand::Revoke => ("Revoke", "Revoke the current key (asks first)"),
            UiCommand::SelectAll => ("Tick all", "Tick every key the search and filter show"),
            UiCommand::ClearSelection => (
                "Untick all",
                "Close the details beside the list, else untick every key",
            ),
        }
    }

    /// Any of these keys; plain keys never fire while a text field has focus.
    pub const fn keys(self) -> &'static [(Modifiers, Key)] {
        match self {
            UiCommand::AddKey => &[(CTRL, Key::N)],
            UiCommand::Search => &[(CTRL, Key::F)],
            UiCommand::Lock => &[(CTRL, Key::L)],
            UiCommand::ShowShortcuts => &[(NONE, Key::F1), (NONE, Key::Questionmark)],
            UiCommand::RowDown => &[(NONE, Key::ArrowDown)],
            UiCommand::RowUp => &[(NONE, Key::ArrowUp)],
            UiCommand::FirstRow => &[(NONE, Key::Home)],
            UiCommand::LastRow => &[(NONE, Key::End)],
            UiCommand::Tick => &[(NONE, Key::Space)],
            UiCommand::Details => &[(NONE, Key::Enter)],
            UiCommand::Revoke => &[(NONE, Key::Delete)],
            UiCommand::SelectAll => &[(CTRL, Key::A)],
            UiCommand::ClearSelection => &[(NONE, Key::Escape)],
        }
    }

    pub const fn area(self) -> Area {
        match self {
            UiCommand::AddKey | UiCommand::Search | UiCommand::Lock | UiCommand::ShowShortcuts => {
                Area::Window
            }
            _ => Area::KeyList,
        }
    }

    /// The tooltip with the keys: "Lock the vault (Ctrl+L)".
    pub fn tooltip_with_keys(self) -> String {
        format!(
            "{} ({})",
            self.text_and_tooltip().1,
            self.shortcut().keys_text()
        )
    }

    /// The command's row of the table.
    pub const fn shortcut(self) -> Shortcut {
        Shortcut {
            action: self,
            area: self.area(),
            keys: self.keys(),
            what: self.text_and_tooltip().1,
        }
    }
}

/// One row of the shortcut table, built from its [`UiCommand`].
pub struct Shortcut {
    pub action: UiCommand,
    pub area: Area,
    pub keys: &'static [(Modifiers, Key)],
    pub what: &'static str,
}

const fn table() -> [Shortcut; UiCommand::ALL.len()] {
    let mut rows = [const { UiCommand::Lock.shortcut() }; UiCommand::ALL.len()];
    let mut i = 0;
    while i < rows.len() {
        rows[i] = UiCommand::ALL[i].shortcut();
        i += 1;
    }
    rows
}

const TABLE: [Shortcut; UiCommand::ALL.len()] = table();

/// The table, in the order the shortcut list shows it.
pub const SHORTCUTS: &[Shortcut] = &TABLE;

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
pub fn pressed(ctx: &egui::Context, area: Area, typing: bool) -> Vec<UiCommand> {
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
        let ctrl_n = SHORTCUTS.iter().find(|s| s.action == UiCommand::AddKey);
        assert_eq!(ctrl_n.map(Shortcut::keys_text).as_deref(), Some("Ctrl+N"));
        assert_eq!(
            UiCommand::Lock.tooltip_with_keys(),
            "Lock the vault (Ctrl+L)"
        );
        for c in UiCommand::ALL {
            assert_eq!(UiCommand::ALL.iter().filter(|d| **d == c).count(), 1);
            assert!(!c.text_and_tooltip().0.is_empty());
        }
    }
}
