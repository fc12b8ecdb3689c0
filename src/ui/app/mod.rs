//! The app shell: screens, timers (auto-lock, clipboard, refresh), shortcuts and the commands
//! that change the vault.

mod bars;
mod bulk;
mod commands;
mod details;
mod scan;
mod timers;

use std::path::PathBuf;
use std::sync::Arc;

use egui::Key;

use super::clipboard::{Clipboard, ClipboardSecret, SystemClipboard};
use super::details_panel::{self, DetailsPanel};
use super::key_table::SortColumn;
use super::notify::{self, Notifier, Told};
use super::recent::{self, RecentVaults};
use super::save_dialog::{Answer, NativeOpenDialog, OpenDialog, OpenJob, SaveDialog, SaveJob};
use super::screen_lock::{ScreenEvent, ScreenWatch};
use super::state::{Page, Session, Settings, Status, Tab, Waiting};
use super::theme::{self, ThemeChoice};
use super::unlock::{OpenMode, OpenRequest, RecentEntry, UnlockForm};
use super::{
    activity_view, dialogs, download, health_view, live_banner, node_view, sidebar, usage_view,
};
use crate::vault::{KdfParams, Node, NodeId, Vault};

const SETTINGS_KEY: &str = "keyward.settings";
/// What the window is built with; tests inject a fake clipboard, a download folder and fast KDF.
pub struct AppOptions {
    pub vault_path: PathBuf,
    pub clipboard: Box<dyn Clipboard>,
    /// Skip the save dialog and write downloads here (`KEYWARD_DOWNLOAD_DIR`).
    pub download_dir: Option<PathBuf>,
    /// Argon2id settings for a vault created from the window.
    pub new_vault_kdf: KdfParams,
}

impl AppOptions {
    pub fn from_env(vault_path: PathBuf) -> AppOptions {
        AppOptions {
            vault_path,
            clipboard: Box::new(SystemClipboard::default()),
            download_dir: std::env::var_os("KEYWARD_DOWNLOAD_DIR").map(PathBuf::from),
            new_vault_kdf: KdfParams::default(),
        }
    }
}

pub enum Screen {
    Locked(Box<UnlockForm>),
    Unlocked(Box<Session>),
}

pub struct KeywardApp {
    options: AppOptions,
    pub settings: Settings,
    pub screen: Screen,
    status: Option<Status>,
    clip: Option<ClipboardSecret>,
    last_input: f64,
    theme_applied: Option<ThemeChoice>,
    /// Drop egui's copies of typed text (its undo history holds passphrases) at the next frame.
    forget_typed_text: bool,
    /// A save dialog open on a worker thread.
    save_job: Option<SaveJob>,
    /// Replaces the native save dialog (tests).
    save_dialog: Option<Arc<dyn SaveDialog>>,
    /// Screen lock and suspend, from logind.
    screen_watch: ScreenWatch,
    /// A screen lock that waits for the shown secret to be handed over.
    screen_lock_pending: Option<ScreenEvent>,
    /// The window title last sent.
    title: String,
    /// Vaults opened before (paths only), offered on the unlock screen.
    pub recent: RecentVaults,
    /// An Open dialog on a worker thread.
    open_job: Option<OpenJob>,
    /// Replaces the native Open dialog (tests).
    open_dialog: Option<Arc<dyn OpenDialog>>,
    /// Where the focus ring was drawn last frame (tests read it).
    focus_ring: Option<egui::Rect>,
    /// Desktop notifications (the freedesktop service on Linux).
    notifier: Box<dyn Notifier>,
    /// The events already told, kept across runs.
    pub told: Told,
    /// The session reload whose events were told last.
    told_at_reload: Option<u64>,
    /// A key's details beside the list.
    details: DetailsPanel,
    /// The key list's sort, kept across a lock.
    kept_sort: Option<(SortColumn, bool)>,
}

impl KeywardApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> KeywardApp {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY))
            .unwrap_or_default();
        let recent = cc
            .storage
            .and_then(|s| eframe::get_value::<RecentVaults>(s, recent::STORAGE_KEY))
            .unwrap_or_default();
        let told = cc
            .storage
            .and_then(|s| eframe::get_value::<Told>(s, notify::STORAGE_KEY))
            .unwrap_or_default();
        super::fonts::install(&cc.egui_ctx);
        let form = UnlockForm::new(&options.vault_path);
        KeywardApp {
            options,
            settings,
            screen: Screen::Locked(Box::new(form)),
            status: None,
            clip: None,
            last_input: 0.0,
            theme_applied: None,
            forget_typed_text: false,
            save_job: None,
            save_dialog: None,
            screen_watch: ScreenWatch::start(&cc.egui_ctx),
            screen_lock_pending: None,
            title: String::new(),
            recent,
            open_job: None,
            open_dialog: None,
            focus_ring: None,
            notifier: notify::desktop(),
            told,
            told_at_reload: None,
            details: DetailsPanel::default(),
            kept_sort: None,
        }
    }

    pub fn is_locked(&self) -> bool {
        matches!(self.screen, Screen::Locked(_))
    }

    /// Key derivation is running (unlock, create or a passphrase change).
    pub fn is_busy(&self) -> bool {
        match &self.screen {
            Screen::Locked(f) => f.is_pending(),
            Screen::Unlocked(s) => s.rekey.is_some(),
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match &self.screen {
            Screen::Unlocked(s) => Some(s),
            Screen::Locked(_) => None,
        }
    }

    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.screen {
            Screen::Unlocked(s) => Some(s),
            Screen::Locked(_) => None,
        }
    }

    /// The outline drawn around the focused widget in the last frame, if anything had focus.
    pub fn focus_ring(&self) -> Option<egui::Rect> {
        self.focus_ring
    }

    /// The status bar's message, if any.
    pub fn status_text(&self) -> Option<&str> {
        self.status.as_ref().map(|s| s.text.as_str())
    }

    /// The status bar's message is an error (it stays until dismissed).
    pub fn status_is_error(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.error)
    }

    fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
            since: std::time::Instant::now(),
        });
    }

    fn complain(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
            since: std::time::Instant::now(),
        });
    }

    fn unlocked(&mut self, vault: Vault) {
        // The window lists and edits; it does not need the verification-sized page cache.
        let _ = vault.set_page_cache_mib(2);
        self.recent
            .remember(&self.options.vault_path, crate::vault::now());
        let mut session = Session::new(vault, self.settings.last_node_id);
        if let Some((column, descending)) = self.kept_sort {
            session.keys.set_sort(column, descending);
        }
        let result = session.reload();
        self.screen = Screen::Unlocked(Box::new(session));
        self.forget_typed_text = true;
        match result {
            Ok(()) => self.status = None,
            Err(e) => self.complain(e),
        }
    }

    /// Lock, as asked with the button or Ctrl+L: a secret not handed over yet holds it back,
    /// and its dialog says why and offers to discard it.
    fn request_lock(&mut self) {
        if !self
            .session_mut()
            .is_some_and(|s| s.hold_back(Waiting::Lock))
        {
            self.lock();
        }
    }

    /// A request to close the window, while a secret that was not handed over is shown, is
    /// cancelled; the secret dialog says why. After Copy or Download the close goes through.
    fn guard_close(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested())
            && self
                .session_mut()
                .is_some_and(|s| s.hold_back(Waiting::Quit))
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
    }

    /// Does what the closed secret dialog held back.
    fn resume(&mut self, ctx: &egui::Context, waiting: Option<Waiting>) {
        match waiting {
            Some(Waiting::Lock) => self.lock(),
            Some(Waiting::Quit) => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            None => {}
        }
    }

    /// Drops every decrypted value and clears a secret from the clipboard.
    pub fn lock(&mut self) {
        self.screen_lock_pending = None;
        self.clear_clipboard_secret();
        if let Screen::Unlocked(session) = &self.screen {
            self.settings.last_node_id = session.selected_node().map(|n| n.id);
            self.kept_sort = Some(session.keys.sort());
        }
        self.screen = Screen::Locked(Box::new(UnlockForm::new(&self.options.vault_path)));
        self.details = DetailsPanel::default();
        self.forget_typed_text = true;
        self.say("Locked");
    }

    fn clear_clipboard_secret(&mut self) {
        if let Some(clip) = self.clip.take() {
            clip.clear_from(self.options.clipboard.as_mut());
            if let Some(d) = self.session_mut().and_then(|s| s.secret.as_mut()) {
                d.clipboard_cleared = true;
            }
        }
    }

    // ---- drawing ----

    /// Uses `dialog` for Download .json instead of the native one (tests).
    pub fn set_save_dialog(&mut self, dialog: Arc<dyn SaveDialog>) {
        self.save_dialog = Some(dialog);
    }

    /// Another vault, asked for on the unlock screen or in the Vault menu: a recent one, or
    /// through the Open dialog (the typed path field where none can open).
    fn open_other(
        &mut self,
        ctx: &egui::Context,
        frame: Option<&eframe::Frame>,
        open: OpenRequest,
    ) {
        match open {
            OpenRequest::File(path) => self.switch_vault(path),
            OpenRequest::Dialog if self.open_mode() == OpenMode::Typed => self.type_path(),
            OpenRequest::Dialog if self.open_job.is_none() => {
                let dialog = self
                    .open_dialog
                    .clone()
                    .unwrap_or_else(|| Arc::new(NativeOpenDialog));
                let mut native = rfd::FileDialog::new()
                    .set_title("Open a Keyward vault")
                    .add_filter("Keyward vault", &["keyward"])
                    .add_filter("All files", &["*"]);
                if let Some(frame) = frame {
                    native = native.set_parent(frame);
                }
                if let Some(dir) = self.options.vault_path.parent().filter(|d| d.is_dir()) {
                    native = native.set_directory(dir);
                }
                self.open_job = Some(OpenJob::start(dialog, native, ctx));
            }
            OpenRequest::Dialog => {}
        }
    }

    fn poll_open(&mut self) {
        if let Some(answer) = self.open_job.as_ref().and_then(OpenJob::poll) {
            self.open_job = None;
            match answer {
                Answer::File(path) => self.switch_vault(path),
                Answer::Unavailable => self.type_path(),
                Answer::Cancelled => {}
            }
        }
    }

    /// How Open can answer: a dialog, or (with no display) the typed path field.
    fn open_mode(&self) -> OpenMode {
        if self.open_job.is_some() {
            OpenMode::Waiting
        } else if self.open_dialog.is_some() || download::can_show_dialog() {
            OpenMode::Dialog
        } else {
            OpenMode::Typed
        }
    }

    /// Shows the typed path field on the unlock screen, starting in the vault's folder.
    fn type_path(&mut self) {
        let dir = self
            .options
            .vault_path
            .parent()
            .map(std::path::Path::to_owned);
        if let Screen::Locked(form) = &mut self.screen {
            form.type_path(dir.as_deref());
        }
    }

    /// Shows the unlock screen of the vault at `path` (only while locked). Both vaults go in
    /// the recent list: the one left, even if never unlocked here, is one click away.
    fn switch_vault(&mut self, path: PathBuf) {
        if !self.is_locked() || self.is_busy() {
            return;
        }
        let now = crate::vault::now();
        if self.options.vault_path.is_file() {
            self.recent.remember(&self.options.vault_path, now);
        }
        if path.is_file() {
            self.recent.remember(&path, now);
        }
        self.screen = Screen::Locked(Box::new(UnlockForm::new(&path)));
        self.details = DetailsPanel::default();
        self.options.vault_path = path;
        self.settings.last_node_id = None;
        self.status = None;
        self.forget_typed_text = true;
    }

    /// The vault file the window is on.
    pub fn vault_path(&self) -> &std::path::Path {
        &self.options.vault_path
    }

    /// Uses `dialog` for Open instead of the native one (tests).
    pub fn set_open_dialog(&mut self, dialog: Arc<dyn OpenDialog>) {
        self.open_dialog = Some(dialog);
    }

    /// Uses `notifier` for desktop notifications (tests).
    pub fn set_notifier(&mut self, notifier: Box<dyn Notifier>) {
        self.notifier = notifier;
    }

    /// Tells the desktop what the last reload found, once per event.
    fn tell_events(&mut self) {
        let Screen::Unlocked(s) = &self.screen else {
            self.told_at_reload = None;
            return;
        };
        if self.told_at_reload == Some(s.reloads) {
            return;
        }
        self.told_at_reload = Some(s.reloads);
        let vault = self.options.vault_path.display().to_string();
        self.told.tell(
            &vault,
            &s.events,
            self.settings.notify,
            s.vault.now(),
            self.notifier.as_ref(),
        );
    }

    /// Uses `watch` for screen lock and suspend events instead of logind (tests).
    pub fn set_screen_watch(&mut self, watch: ScreenWatch) {
        self.screen_watch = watch;
    }

    /// A save dialog is open.
    pub fn is_saving(&self) -> bool {
        self.save_job.is_some()
    }
}

/// The workspace a node belongs to.
pub fn workspace_of(nodes: &[Node], mut id: NodeId) -> Option<NodeId> {
    loop {
        let node = nodes.iter().find(|n| n.id == id)?;
        if node.parent == 0 {
            return Some(node.id);
        }
        id = node.parent;
    }
}

impl eframe::App for KeywardApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.guard_close(ctx);
        if self.theme_applied != Some(self.settings.theme) {
            theme::apply(ctx, self.settings.theme);
            self.theme_applied = Some(self.settings.theme);
        }
        self.tick(ctx);
        self.tell_events();
        self.poll_save();
        if std::mem::take(&mut self.forget_typed_text) {
            ctx.data_mut(|d| d.remove_by_type::<egui::text_edit::TextEditState>());
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let mut commands = Vec::new();
        let mut open = None;
        self.shortcuts(&ctx, &mut commands);
        // Behind an open dialog the window is disabled, not only out of reach: egui keeps a
        // tooltip open while the pointer rests on its widget, so one shown when a dialog opened
        // by a shortcut stayed over the dialog's buttons. (Known from the last frame; the
        // frame a dialog opens in is followed by another.)
        let behind_dialog = ctx.memory(|m| m.top_modal_layer().is_some());
        self.details_escape(&ctx, &mut commands);
        let background = |ui: &mut egui::Ui| {
            if behind_dialog {
                ui.disable();
            }
        };

        egui::Panel::top("top_bar").show(ui, |ui| {
            background(ui);
            ui.add_space(4.0);
            self.top_bar_ui(ui, &mut commands);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            background(ui);
            self.status_bar_ui(ui);
        });

        let open_mode = self.open_mode();
        match &mut self.screen {
            Screen::Locked(form) => {
                let others: Vec<RecentEntry> = self
                    .recent
                    .others(&self.options.vault_path)
                    .map(|p| RecentEntry {
                        path: p.clone(),
                        last_use: self.recent.last_use(p),
                    })
                    .collect();
                let path = &self.options.vault_path;
                egui::CentralPanel::default().show(ui, |ui| {
                    background(ui);
                    form.ui(ui, path, &others, open_mode);
                });
                open = form.take_open();
                if let Some(submit) = form.take_submit() {
                    form.start(
                        &self.options.vault_path,
                        submit,
                        self.options.new_vault_kdf,
                        &ctx,
                    );
                }
            }
            Screen::Unlocked(session) => {
                // One width per vault (egui keeps it by the panel's id), within bounds.
                let sidebar = egui::Panel::left(("sidebar", &self.options.vault_path))
                    .resizable(true)
                    .default_size(theme::SIDEBAR_WIDTH)
                    .size_range(theme::SIDEBAR_MIN..=theme::SIDEBAR_MAX)
                    .show(ui, |ui| {
                        background(ui);
                        sidebar::sidebar_ui(ui, session, &mut commands);
                    });
                sidebar::drag_handle_ui(&ctx, sidebar.response.rect);
                if session.page == Page::Node
                    && session.tab == Tab::Keys
                    && session.vault_activity.is_none()
                {
                    details_panel::details_panel_ui(
                        ui,
                        &mut self.details,
                        session,
                        &mut self.settings,
                        behind_dialog,
                        &mut commands,
                    );
                }
                // The findings banner sits at the bottom, above the status bar: coming after
                // unlock and going after Health or Dismiss, it moves nothing under the cursor.
                if health_view::banner_shown(session) {
                    egui::Panel::bottom("findings_banner").show(ui, |ui| {
                        background(ui);
                        health_view::banner_ui(ui, session, &mut commands);
                    });
                }
                egui::CentralPanel::default().show(ui, |ui| {
                    background(ui);
                    live_banner::live_banner_ui(ui, session);
                    if session.vault_activity.is_some() {
                        activity_view::vault_activity_ui(ui, session, &mut commands);
                    } else {
                        match session.page {
                            Page::Node => node_view::node_view_ui(ui, session, &mut commands),
                            Page::Health => health_view::health_view_ui(ui, session, &mut commands),
                            Page::Usage => usage_view::usage_view_ui(ui, session, &mut commands),
                        }
                    }
                });
                super::vault_tools::doctor_ui(&ctx, session);
                // An error in a dialog is about what was typed: typing again makes it stale.
                let typed = ctx.input(|i| {
                    i.events.iter().any(|e| {
                        matches!(
                            e,
                            egui::Event::Text(_)
                                | egui::Event::Paste(_)
                                | egui::Event::Key {
                                    key: Key::Backspace | Key::Delete,
                                    pressed: true,
                                    ..
                                }
                        )
                    })
                });
                if typed {
                    session.dialog_error = None;
                }
                session.default_expiry_days = self.settings.default_expiry_days;
                dialogs::dialogs_ui(&ctx, session, &mut commands);
            }
        }
        self.run_commands(&ctx, Some(frame), commands);
        if let Some(open) = open {
            self.open_other(&ctx, Some(frame), open);
        }
        self.poll_open();
        self.update_title(&ctx);
        self.focus_ring = super::focus::focus_ring_ui(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Some(s) = self.session() {
            self.settings.last_node_id = s.selected_node().map(|n| n.id);
        }
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        eframe::set_value(storage, recent::STORAGE_KEY, &self.recent);
        eframe::set_value(storage, notify::STORAGE_KEY, &self.told);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.clear_clipboard_secret();
    }
}
