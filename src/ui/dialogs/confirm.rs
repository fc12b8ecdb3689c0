//! A yes/no question before something that cannot be undone: revoke or delete a key, remove a
//! scope; the same for many keys, named as far as they fit.

use crate::ui::modal::{Dismiss, button_row, danger_button, error_ui, modal_ui};
use crate::ui::state::{BulkChange, Command, Dialog, KeyCommand, NodeCommand, Session};
use crate::ui::theme;

pub struct Confirm {
    title: String,
    message: String,
    action: &'static str,
    confirmed: Box<dyn Fn() -> Command>,
}

impl Confirm {
    pub fn revoke(key_id: String, name: &str) -> Confirm {
        Confirm {
            title: format!("Revoke {name}?"),
            message: "The key stays listed, and every check of it answers revoked from now on. \
                      This cannot be undone."
                .into(),
            action: "Revoke key",
            confirmed: Box::new(move || {
                Command::Keys(KeyCommand::Revoke {
                    key_id: key_id.clone(),
                })
            }),
        }
    }

    /// Revoke the ticked `keys` (id, name), named in the question as far as they fit.
    pub fn revoke_many(keys: Vec<(String, String)>) -> Confirm {
        Confirm::many(
            "Revoke",
            keys,
            "They stay listed, and every check of them answers revoked from now on. This \
             cannot be undone.",
            "Revoke keys",
            BulkChange::Revoke,
        )
    }

    /// `change` to each of `keys` (id, name), after a question naming the count and the first
    /// keys: "`verb` 6 keys: svc-5, svc-4, svc-3 and 3 more?".
    pub fn many(
        verb: &str,
        keys: Vec<(String, String)>,
        message: &str,
        action: &'static str,
        change: BulkChange,
    ) -> Confirm {
        Confirm {
            title: bulk_question(verb, &keys),
            message: message.into(),
            action,
            confirmed: Box::new(move || {
                Command::Keys(KeyCommand::EditMany {
                    keys: keys.clone(),
                    change: change.clone(),
                })
            }),
        }
    }

    pub fn delete_key(key_id: String, name: &str) -> Confirm {
        Confirm {
            title: format!("Delete {name}?"),
            message: format!("{key_id} will be gone for good; checks of it answer not_found."),
            action: "Delete key",
            confirmed: Box::new(move || {
                Command::Keys(KeyCommand::Delete {
                    key_id: key_id.clone(),
                })
            }),
        }
    }

    pub fn remove_scope(id: String) -> Confirm {
        Confirm {
            title: format!("Remove scope {id}?"),
            message: "Every key that has it loses it now.".into(),
            action: "Remove scope",
            confirmed: Box::new(move || {
                Command::Nodes(NodeCommand::RemoveScope { id: id.clone() })
            }),
        }
    }
}

/// "`verb` 2,500 keys: reader, writer, ci-bot and 2,497 more?", of `keys` (id, name).
pub fn bulk_question(verb: &str, keys: &[(String, String)]) -> String {
    let names: Vec<&str> = keys.iter().map(|(_, name)| name.as_str()).collect();
    format!("{verb} {}?", named_count(&names, "key", "keys"))
}

/// "2,500 keys: reader, writer, ci-bot and 2,497 more": the count and the first three names.
pub fn named_count(names: &[&str], one: &str, many: &str) -> String {
    const SHOWN: usize = 3;
    let n = names.len();
    let first = names[..n.min(SHOWN)].join(", ");
    let counted = crate::numbers::count_of(n, one, many);
    match n {
        0 => counted,
        _ if n <= SHOWN => format!("{counted}: {first}"),
        _ => format!(
            "{counted}: {first} and {} more",
            crate::numbers::count(n - SHOWN)
        ),
    }
}

impl Dialog for Confirm {
    fn ui(&mut self, ctx: &egui::Context, s: &Session, commands: &mut Vec<Command>) -> bool {
        modal_ui(ctx, &self.title, Dismiss::Easy, theme::MODAL_WIDTH, |ui| {
            ui.label(&self.message);
            error_ui(ui, s.dialog_error.as_deref());
            button_row(ui, |ui| {
                if ui.button("Cancel").clicked() {
                    commands.push(Command::close_dialog());
                }

                if ui.add(danger_button(self.action)).clicked() {
                    commands.push((self.confirmed)());
                }
            });
        })
        .1
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bulk_question_names_the_count_and_the_first_keys() {
        let names: Vec<String> = ["reader", "writer", "ci-bot"]
            .into_iter()
            .map(str::to_owned)
            .chain((0..2_497).map(|i| format!("k{i}")))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(
            super::named_count(&names, "key", "keys"),
            "2,500 keys: reader, writer, ci-bot and 2,497 more"
        );
        assert_eq!(
            super::named_count(&names[..1], "key", "keys"),
            "1 key: reader"
        );
    }
}
