//! API keys: minting, editing, rolling, revoking, deleting, and the bulk selection.

use super::{Changed, Outcome};
use crate::ui::app::bulk;
use crate::ui::dialogs::EditScopes;
use crate::ui::state::{KeyCommand, SecretDialog, Session};
use crate::vault::Grace;

pub(super) fn run(s: &mut Session, command: KeyCommand) -> Outcome {
    let changed = match command {
        KeyCommand::Create { node, new } => {
            let minted = s.vault.create_key_shown(node, new)?;
            let key_id = minted.info.key_id.clone();
            s.dialog = None;
            s.secret = Some(SecretDialog::new(minted, "Your new API key", None, false));
            Changed {
                new_key: Some(key_id),
                ..Changed::default()
            }
        }
        KeyCommand::SetScopes {
            key_id,
            scopes,
            full_access,
        } => {
            let info = s.vault.set_scopes(&key_id, &scopes, full_access)?;
            s.dialog = None;
            Changed::say(format!("Scopes of {} updated", info.name))
        }
        KeyCommand::EditScopes { key_id } => {
            // Read when asked, not while drawing: the key and its workspace's catalog.
            if let Ok(k) = s.vault.key(&key_id) {
                let catalog = s.vault.scopes(k.node_id).unwrap_or_default();
                s.dialog = Some(Box::new(EditScopes::new(
                    key_id,
                    k.name,
                    k.policy.scopes,
                    false,
                    &catalog,
                )));
                s.dialog_error = None;
            }
            return Ok(None);
        }
        KeyCommand::Roll { key_id, grace } => {
            let minted = s.vault.roll_key_shown(&key_id, grace)?;
            let note = match grace {
                Grace::None => "The previous secret stopped working.".to_owned(),
                g => format!("The previous secret keeps working for {}.", g.label()),
            };
            s.dialog = None;
            s.undelivered.retain(|(k, _)| k.key_id != key_id);
            s.secret = Some(SecretDialog::new(
                minted,
                "Key rolled: new secret",
                Some(note),
                true,
            ));
            Changed::default()
        }
        KeyCommand::Revoke { key_id } => {
            let info = s.vault.revoke_key(&key_id)?;
            s.undelivered.retain(|(k, _)| k.key_id != key_id);
            s.dialog = None;
            Changed::say(format!("Revoked {}", info.name))
        }
        KeyCommand::EditMany { keys, change } => {
            let outcome = bulk::apply(s, &keys, &change);
            let text = outcome.message(&change);
            s.dialog = None;
            if outcome.refused.is_empty() {
                Changed::say(text)
            } else {
                Changed {
                    complaint: Some(text),
                    ..Changed::default()
                }
            }
        }
        KeyCommand::Select {
            key_id,
            on,
            range_to,
        } => {
            match range_to {
                Some(to) => s.keys.select_range(to, on),
                None => s.keys.set_selected(&key_id, on),
            }
            return Ok(None);
        }
        KeyCommand::Delete { key_id } => {
            // Named as the other messages name keys; the id only if it cannot be read.
            let name = s.vault.key(&key_id).map_or(key_id.clone(), |k| k.name);
            s.vault.delete_key(&key_id)?;
            s.dialog = None;
            Changed::say(format!("Deleted {name}"))
        }
        KeyCommand::Edit { key_id, edit } => {
            let info = s.vault.edit_key_details(&key_id, edit)?;
            s.dialog = None;
            Changed::say(format!("Details of {} saved", info.name))
        }
        KeyCommand::Save {
            key_id,
            edit,
            scopes,
        } => {
            let mut info = s.vault.edit_key_details(&key_id, edit)?;
            if let Some((scopes, full_access)) = scopes {
                info = s.vault.set_scopes(&key_id, &scopes, full_access)?;
            }
            Changed::say(format!("Details of {} saved", info.name))
        }
    };
    Ok(Some(changed))
}
