//! What the window shows: the node, page and tab, the search field, dialogs, the details
//! beside the list, the whole vault's Activity and the Usage view. Nothing here writes to the
//! vault.

use super::{Changed, UiError};
use crate::ui::activity_view::{self, VaultActivity};
use crate::ui::app::{KeywardApp, Screen};
use crate::ui::details_panel::DetailsPanel;
use crate::ui::state::{Page, Tab, ViewCommand};

impl KeywardApp {
    pub(super) fn view_command(
        &mut self,
        ctx: &egui::Context,
        command: ViewCommand,
    ) -> Result<(), UiError> {
        if let ViewCommand::ShowKey(_) | ViewCommand::CloseDetails = command {
            self.details_command(ctx, command);
            return Ok(());
        }
        let Screen::Unlocked(s) = &mut self.screen else {
            return Ok(());
        };
        match command {
            ViewCommand::Select(id) => {
                self.details = DetailsPanel::default();
                s.vault_activity = None;
                s.selected = Some(id);
                s.page = Page::Node;
                s.keys.search.clear();
                self.settings.last_node_id = Some(id);
                return self.show_change(Some(Changed::default()));
            }
            ViewCommand::SetTab(tab) => {
                s.tab = tab;
                return self.show_change(Some(Changed::default()));
            }
            ViewCommand::FocusSearch => {
                s.page = Page::Node;
                s.tab = Tab::Keys;
                s.focus_search = true;
                // The field takes the focus when next drawn.
                ctx.request_repaint();
            }
            ViewCommand::Open(dialog) => {
                s.dialog = Some(dialog);
                s.dialog_error = None;
            }
            ViewCommand::CloseDialog => {
                s.dialog = None;
                self.forget_typed_text = true;
            }
            ViewCommand::ReadKey(key_id) => {
                s.key_views.read(&s.vault, &key_id);
                // The details show it when next drawn.
                ctx.request_repaint();
            }
            ViewCommand::ShowVaultActivity => {
                s.vault_activity = Some(
                    VaultActivity::load(&s.vault, activity_view::PAGE).map_err(UiError::Reload)?,
                );
            }
            ViewCommand::ShowUsage => {
                s.page = Page::Usage;
                s.vault_activity = None;
                s.read_busiest().map_err(UiError::Reload)?;
            }
            ViewCommand::GoToKey { node, key_id } => {
                self.view_command(ctx, ViewCommand::Select(node))?;
                if let Some(s) = self.session_mut() {
                    s.tab = Tab::Keys;
                    s.keys.highlight(&key_id);
                }
                self.details_command(ctx, ViewCommand::ShowKey(key_id));
            }
            ViewCommand::MoreActivity => {
                if let Some(view) = &mut s.vault_activity {
                    view.limit += activity_view::PAGE;
                    view.reload(&s.vault).map_err(UiError::Reload)?;
                }
            }
            ViewCommand::ShowKey(_)
            | ViewCommand::CloseDetails
            | ViewCommand::ExportActivityCsv => {}
        }
        Ok(())
    }
}
