//! Every dialog of the window, one file each, all drawn through the one modal wrapper
//! (`ui::modal`). Each is a struct implementing [`Dialog`]; the session holds the open one.

mod acknowledge;
mod add_key;
mod add_node;
mod bulk_edit;
mod confirm;
mod delete_node;
mod edit_key;
mod edit_prefix;
mod edit_scope;
mod edit_scopes;
mod grant_scope;
mod key_detail;
mod key_form;
mod rename_node;
mod roll;
pub(crate) mod secret;
mod settings;
mod shortcut_list;
mod undelivered;

pub use acknowledge::Acknowledge;
pub use add_key::AddKey;
pub use add_node::AddNode;
pub use bulk_edit::BulkEdit;
pub use confirm::{Confirm, named_count};
pub use delete_node::DeleteNode;
pub use edit_key::EditKey;
pub use edit_prefix::EditPrefix;
pub use edit_scope::EditScope;
pub use edit_scopes::EditScopes;
pub use grant_scope::GrantScope;
pub use key_detail::KeyDetail;
pub use rename_node::RenameNode;
pub use roll::Roll;
pub use settings::SettingsDialog;
pub use shortcut_list::ShortcutList;

use super::state::{Command, Session};

/// Draws what is open: the secret dialog first (nothing else while a secret is shown), then
/// the open dialog, else the list of secrets never handed over.
pub fn dialogs_ui(ctx: &egui::Context, s: &mut Session, commands: &mut Vec<Command>) {
    if let Some(shown) = &mut s.secret {
        secret::secret_ui(ctx, shown, commands);
        return;
    }
    let Some(mut dialog) = s.dialog.take() else {
        undelivered::undelivered_ui(ctx, s, commands);
        return;
    };
    let dismissed = dialog.ui(ctx, s, commands);
    s.dialog = Some(dialog);
    if dismissed {
        commands.push(Command::close_dialog());
    }
}
