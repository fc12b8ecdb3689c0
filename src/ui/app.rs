//! The app shell: screens, timers (auto-lock, clipboard, refresh), shortcuts and the commands
//! that change the vault.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use egui::{Key, KeyboardShortcut, Modifiers, RichText};
use zeroize::Zeroizing;

use super::clipboard::{Clipboard, ClipboardSecret, SystemClipboard};
use super::dialogs::Dialog;
use super::key_table::KeyTable;
use super::node_view::Tab;
use super::secret_dialog::{SecretDialog, Waiting};
use super::theme::{self, ThemeChoice};
use super::unlock::UnlockForm;
use super::{dialogs, download, node_view, sidebar};
use crate::vault::{
    ActivityEntry, Error, Grace, KdfParams, KeyInfo, MintedKey, NewKey, Node, NodeId, Preset,
    RekeyProgress, Scope, Vault,
};

const SETTINGS_KEY: &str = "keyward.settings";
/// How often the window looks for changes made by another process (the CLI).
const REFRESH_SECS: f64 = 1.0;
/// When another process only stamped last-used times (a service verifying keys), the table is
/// re-read at most this often.
const LAST_USED_REFRESH_SECS: f64 = 60.0;
const ACTIVITY_LIMIT: usize = 500;

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

/// Preferences kept across runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub auto_lock_minutes: u32,
    pub clipboard_seconds: u32,
    pub theme: ThemeChoice,
    /// Id of the node selected last, reopened after unlock. An id, not the node's path: the
    /// settings file is plaintext and names stay inside the vault.
    pub last_node_id: Option<NodeId>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            auto_lock_minutes: 5,
            clipboard_seconds: 30,
            theme: ThemeChoice::System,
            last_node_id: None,
        }
    }
}

/// Everything drawing can ask for; run after the frame is drawn.
pub enum Command {
    Select(NodeId),
    SetTab(Tab),
    Open(Dialog),
    CloseDialog,
    AddNode {
        parent: Option<NodeId>,
        name: String,
        preset: Preset,
        prefix: Option<String>,
    },
    RenameNode {
        id: NodeId,
        name: String,
    },
    DeleteNode {
        id: NodeId,
    },
    CreateKey {
        node: NodeId,
        new: NewKey,
    },
    SetScopes {
        key_id: String,
        scopes: Vec<String>,
        full_access: bool,
    },
    Roll {
        key_id: String,
        grace: Grace,
    },
    Revoke {
        key_id: String,
    },
    DeleteKey {
        key_id: String,
    },
    SaveScope {
        original: Option<String>,
        scope: Scope,
    },
    RemoveScope {
        id: String,
    },
    CopySecret,
    DownloadSecret,
    CloseSecret,
    /// Revoke the key of a secret that was never handed over, and drop the secret.
    DiscardSecret,
    /// Put the list of never-delivered secrets off until the next unlock.
    UndeliveredLater,
    ChangePassphrase {
        current: Zeroizing<String>,
        new: Zeroizing<String>,
    },
    ApplySettings(Settings),
    /// Rewrite every publish target now.
    PublishNow,
    Lock,
}

/// A message in the status bar.
struct Status {
    text: String,
    error: bool,
}

/// The unlocked state. Dropping it drops the vault handle and every decrypted value.
pub struct Session {
    pub vault: Vault,
    pub nodes: Vec<Node>,
    pub selected: Option<NodeId>,
    pub tab: Tab,
    pub keys: KeyTable,
    pub scopes: Vec<Scope>,
    pub activity: Vec<ActivityEntry>,
    pub dialog: Option<Dialog>,
    /// An error from the last command of the open dialog, shown inside it.
    pub dialog_error: Option<String>,
    pub secret: Option<SecretDialog>,
    /// Keys whose secret an earlier window showed and nobody copied or downloaded; `true` for
    /// a roll.
    pub undelivered: Vec<(KeyInfo, bool)>,
    pub undelivered_later: bool,
    pub focus_search: bool,
    /// A passphrase change (re-key) running on a worker thread.
    pub rekey: Option<RekeyJob>,
    data_version: i64,
    activity_mark: i64,
    next_refresh: f64,
    last_reload: f64,
    /// How many times the node was re-read (shown nowhere; tests watch it).
    pub reloads: u64,
}

impl Session {
    fn new(vault: Vault, last_node: Option<NodeId>) -> Session {
        let data_version = vault.data_version().unwrap_or_default();
        let mut s = Session {
            vault,
            nodes: Vec::new(),
            selected: None,
            tab: Tab::Keys,
            keys: KeyTable::default(),
            scopes: Vec::new(),
            activity: Vec::new(),
            dialog: None,
            dialog_error: None,
            secret: None,
            undelivered: Vec::new(),
            undelivered_later: false,
            focus_search: false,
            rekey: None,
            data_version,
            activity_mark: 0,
            next_refresh: 0.0,
            last_reload: 0.0,
            reloads: 0,
        };
        // `reload` falls back to the first node when this one is gone.
        s.selected = last_node;
        s.undelivered = s.vault.never_delivered().unwrap_or_default();
        s
    }

    pub fn selected_node(&self) -> Option<&Node> {
        self.selected
            .and_then(|id| self.nodes.iter().find(|n| n.id == id))
    }

    /// Re-reads the tree and the selected node's keys, scopes and activity.
    pub fn reload(&mut self) -> Result<(), String> {
        self.nodes = self.vault.nodes().map_err(|e| e.to_string())?;
        if self
            .selected
            .is_some_and(|id| !self.nodes.iter().any(|n| n.id == id))
        {
            self.selected = None;
        }
        if self.selected.is_none() {
            self.selected = self.nodes.first().map(|n| n.id);
        }
        match self.selected {
            Some(id) => {
                self.scopes = self.vault.scopes(id).unwrap_or_default();
                // Streamed into the compact table: every decoded key is never held at once.
                let table = &mut self.keys;
                table.begin(&self.scopes);
                let listed = self.vault.each_key(Some(id), |k| table.push(k));
                table.finish();
                listed.map_err(|e| e.to_string())?;
                self.activity = self
                    .vault
                    .activity(Some(id), ACTIVITY_LIMIT)
                    .unwrap_or_default();
            }
            None => {
                self.keys.set_rows(Vec::new(), &[]);
                self.scopes.clear();
                self.activity = self
                    .vault
                    .activity(None, ACTIVITY_LIMIT)
                    .unwrap_or_default();
            }
        }
        self.data_version = self.vault.data_version().unwrap_or(self.data_version);
        self.activity_mark = self.vault.activity_mark().unwrap_or(self.activity_mark);
        self.reloads += 1;
        Ok(())
    }
}

pub enum Screen {
    Locked(UnlockForm),
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
}

impl KeywardApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> KeywardApp {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY))
            .unwrap_or_default();
        let form = UnlockForm::new(&options.vault_path);
        KeywardApp {
            options,
            settings,
            screen: Screen::Locked(form),
            status: None,
            clip: None,
            last_input: 0.0,
            theme_applied: None,
            forget_typed_text: false,
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

    /// The status bar's message, if any.
    pub fn status_text(&self) -> Option<&str> {
        self.status.as_ref().map(|s| s.text.as_str())
    }

    fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    fn complain(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    fn unlocked(&mut self, vault: Vault) {
        // The window lists and edits; it does not need the verification-sized page cache.
        let _ = vault.set_page_cache_mib(2);
        let mut session = Session::new(vault, self.settings.last_node_id);
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
        self.clear_clipboard_secret();
        if let Screen::Unlocked(session) = &self.screen {
            self.settings.last_node_id = session.selected_node().map(|n| n.id);
        }
        self.screen = Screen::Locked(UnlockForm::new(&self.options.vault_path));
        self.forget_typed_text = true;
        self.say("Locked");
    }

    fn clear_clipboard_secret(&mut self) {
        if let Some(clip) = self.clip.take() {
            clip.clear_from(self.options.clipboard.as_mut());
        }
    }

    // ---- per-frame work that is not drawing ----

    fn tick(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        let active = ctx.input(|i| !i.events.is_empty() || i.pointer.is_moving());
        if active || self.last_input == 0.0 {
            self.last_input = now;
        }
        if let Some(clip) = &self.clip {
            if now >= clip.clear_at {
                self.clear_clipboard_secret();
                self.say("Clipboard cleared");
            } else {
                ctx.request_repaint_after(std::time::Duration::from_millis(500));
            }
        }
        if let Screen::Locked(form) = &mut self.screen {
            if let Some(result) = form.poll() {
                match result {
                    Ok(vault) => self.unlocked(vault),
                    Err(e) => form.error = Some(e),
                }
            }
            return;
        }
        let idle_limit = f64::from(self.settings.auto_lock_minutes) * 60.0;
        // Auto-lock waits while a secret that was not handed over is on screen: locking would
        // lose it. Once copied or downloaded, locking closes its dialog and loses nothing.
        let holding = self
            .session()
            .is_some_and(Session::holds_undelivered_secret);
        if self.settings.auto_lock_minutes > 0 && now - self.last_input >= idle_limit && !holding {
            self.lock();
            self.say("Locked after idle time");
            return;
        }
        if let Screen::Unlocked(s) = &mut self.screen
            && let Some(job) = &mut s.rekey
            && let Some(result) = job.poll()
        {
            s.rekey = None;
            match result {
                Ok(vault) => {
                    // The worker's vault holds the new data key; this one's is gone.
                    let _ = vault.set_page_cache_mib(2);
                    s.vault = vault;
                    s.dialog = None;
                    let reload = s.reload();
                    self.forget_typed_text = true;
                    match reload {
                        Ok(()) => self.say("Passphrase changed; the vault was re-keyed"),
                        Err(e) => self.complain(e),
                    }
                }
                Err(e) => s.dialog_error = Some(e),
            }
        }
        if let Screen::Unlocked(s) = &mut self.screen {
            if now >= s.next_refresh {
                s.next_refresh = now + REFRESH_SECS;
                let committed = s.vault.data_version().is_ok_and(|v| v != s.data_version);
                let logged = s.vault.activity_mark().is_ok_and(|m| m != s.activity_mark);
                let stamps_due = now - s.last_reload >= LAST_USED_REFRESH_SECS;
                if committed && (logged || stamps_due) {
                    s.last_reload = now;
                    if let Err(e) = s.reload() {
                        self.complain(e);
                    }
                }
            }
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(REFRESH_SECS));
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Screen::Unlocked(s) = &mut self.screen else {
            return;
        };
        let pressed = |key| {
            ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key)))
        };
        if pressed(Key::L) {
            commands.push(Command::Lock);
        }
        if s.secret.is_some() || s.dialog.is_some() {
            return;
        }
        if pressed(Key::N)
            && let Some(node) = s.selected_node()
        {
            commands.push(Command::Open(Dialog::add_key(node.id, &s.scopes)));
        }
        if pressed(Key::F) {
            s.tab = Tab::Keys;
            s.focus_search = true;
        }
    }

    // ---- commands ----

    fn run_commands(&mut self, ctx: &egui::Context, commands: Vec<Command>) {
        for command in commands {
            if let Err(e) = self.run_command(ctx, command) {
                match self.session_mut() {
                    Some(s) if s.dialog.is_some() => s.dialog_error = Some(e),
                    _ => self.complain(e),
                }
            }
        }
    }

    fn run_command(&mut self, ctx: &egui::Context, command: Command) -> Result<(), String> {
        match command {
            Command::Lock => {
                self.request_lock();
                return Ok(());
            }
            Command::CloseSecret => {
                // Dropping the dialog drops the only copy of the secret (zeroized).
                let waiting = self
                    .session_mut()
                    .and_then(|s| s.secret.take())
                    .and_then(|d| d.waiting);
                self.resume(ctx, waiting);
                return Ok(());
            }
            Command::DiscardSecret => return self.discard_secret(ctx),
            Command::ApplySettings(settings) => {
                let last = self.settings.last_node_id;
                self.settings = Settings {
                    last_node_id: last,
                    ..settings
                };
                if let Some(s) = self.session_mut() {
                    s.dialog = None;
                }
                self.say("Settings saved");
                return Ok(());
            }
            Command::CopySecret => return self.copy_secret(ctx),
            Command::DownloadSecret => return self.download_secret(),
            _ => {}
        }
        let Screen::Unlocked(s) = &mut self.screen else {
            return Ok(());
        };
        let err = |e: crate::vault::Error| e.to_string();
        let mut message = None;
        match command {
            Command::Select(id) => {
                s.selected = Some(id);
                s.keys.search.clear();
                self.settings.last_node_id = Some(id);
            }
            Command::SetTab(tab) => s.tab = tab,
            Command::Open(dialog) => {
                s.dialog = Some(dialog);
                s.dialog_error = None;
                return Ok(());
            }
            Command::CloseDialog => {
                s.dialog = None;
                self.forget_typed_text = true;
                return Ok(());
            }
            Command::AddNode {
                parent,
                name,
                preset,
                prefix,
            } => {
                let node = match parent {
                    None => s.vault.add_workspace(&name, preset),
                    Some(p) => match s.nodes.iter().find(|n| n.id == p).map(|n| n.kind) {
                        Some(crate::vault::NodeKind::Workspace) => s.vault.add_project(p, &name),
                        _ => s.vault.add_environment(p, &name, prefix.as_deref()),
                    },
                }
                .map_err(err)?;
                message = Some(format!("Added {} {}", node.kind.noun(), node.path));
                s.selected = Some(node.id);
                s.dialog = None;
            }
            Command::RenameNode { id, name } => {
                let node = s.vault.rename_node(id, &name).map_err(err)?;
                message = Some(format!("Renamed to {}", node.path));
                s.dialog = None;
            }
            Command::DeleteNode { id } => {
                let keys = s.vault.delete_node(id, true).map_err(err)?;
                message = Some(format!("Deleted, with {keys} key(s)"));
                s.selected = None;
                s.dialog = None;
            }
            Command::CreateKey { node, new } => {
                let minted = s.vault.create_key_shown(node, new).map_err(err)?;
                s.dialog = None;
                s.secret = Some(SecretDialog::new(minted, "Your new API key", None, false));
            }
            Command::SetScopes {
                key_id,
                scopes,
                full_access,
            } => {
                let info = s
                    .vault
                    .set_scopes(&key_id, &scopes, full_access)
                    .map_err(err)?;
                message = Some(format!("Scopes of {} updated", info.name));
                s.dialog = None;
            }
            Command::Roll { key_id, grace } => {
                let minted: MintedKey = s.vault.roll_key_shown(&key_id, grace).map_err(err)?;
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
            }
            Command::Revoke { key_id } => {
                let info = s.vault.revoke_key(&key_id).map_err(err)?;
                s.undelivered.retain(|(k, _)| k.key_id != key_id);
                message = Some(format!("Revoked {}", info.name));
                s.dialog = None;
            }
            Command::DeleteKey { key_id } => {
                s.vault.delete_key(&key_id).map_err(err)?;
                message = Some(format!("Deleted key {key_id}"));
                s.dialog = None;
            }
            Command::SaveScope { original, scope } => {
                let node = s
                    .selected_node()
                    .map(|n| n.id)
                    .ok_or("select a node first")?;
                let ws = workspace_of(&s.nodes, node).ok_or("the workspace is missing")?;
                match original {
                    None => s.vault.add_scope(ws, scope).map_err(err)?,
                    Some(_) => s.vault.update_scope(ws, scope).map_err(err)?,
                };
                s.dialog = None;
                message = Some("Scopes saved".to_owned());
            }
            Command::RemoveScope { id } => {
                let node = s
                    .selected_node()
                    .map(|n| n.id)
                    .ok_or("select a node first")?;
                let ws = workspace_of(&s.nodes, node).ok_or("the workspace is missing")?;
                let touched = s.vault.remove_scope(ws, &id).map_err(err)?;
                s.dialog = None;
                message = Some(format!("Removed scope {id} ({touched} key(s) lost it)"));
            }
            Command::UndeliveredLater => {
                s.undelivered_later = true;
                return Ok(());
            }
            Command::ChangePassphrase { current, new } => {
                s.rekey = Some(RekeyJob::start(
                    ctx,
                    s.vault.path().to_owned(),
                    current,
                    new,
                ));
                return Ok(());
            }
            Command::PublishNow => {
                let targets = s.vault.publish_now().map_err(err)?;
                let failed = targets.iter().filter(|t| t.last_error.is_some()).count();
                let listed = s.vault.publish_targets().map_err(err)?;
                if let Some(Dialog::Settings(form)) = &mut s.dialog {
                    form.publish = dialogs::PublishRow::rows(&listed);
                }
                s.vault.take_publish_errors();
                message = Some(if failed == 0 {
                    format!("Published {} verifier file(s)", targets.len())
                } else {
                    format!(
                        "{failed} of {} verifier file(s) could not be written",
                        targets.len()
                    )
                });
            }
            Command::Lock
            | Command::ApplySettings(_)
            | Command::CopySecret
            | Command::DownloadSecret
            | Command::CloseSecret
            | Command::DiscardSecret => {}
        }
        let reload = s.reload();
        let publish_errors = s.vault.take_publish_errors();
        if let Some(m) = message {
            self.say(m);
        }
        if let Some(first) = publish_errors.first() {
            // The change is committed; the verifier file could not follow.
            self.complain(format!("Saved, but {first}"));
        }
        reload
    }

    fn copy_secret(&mut self, ctx: &egui::Context) -> Result<(), String> {
        let seconds = self.settings.clipboard_seconds;
        let Screen::Unlocked(s) = &mut self.screen else {
            return Ok(());
        };
        let Some(dialog) = &mut s.secret else {
            return Ok(());
        };
        let secret = dialog.minted.secret.expose();
        if let Err(e) = self.options.clipboard.set_text(secret) {
            dialog.error = Some(format!(
                "No clipboard is available ({e}). Use Download .json instead."
            ));
            return Ok(());
        }
        dialog.copied = true;
        dialog.error = None;
        let now = ctx.input(|i| i.time);
        self.clip = Some(ClipboardSecret::new(
            secret,
            now + f64::from(seconds.max(1)),
        ));
        let key_id = dialog.minted.info.key_id.clone();
        let _ = s.vault.record_handover(
            &key_id,
            crate::vault::Action::KeyCopied,
            "copied to the clipboard",
        );
        self.say(format!(
            "Secret copied; the clipboard clears in {seconds} s"
        ));
        Ok(())
    }

    /// "Discard and revoke" (see [`Session::discard_secret`]); a held-back quit or lock goes on.
    fn discard_secret(&mut self, ctx: &egui::Context) -> Result<(), String> {
        let Some(s) = self.session_mut() else {
            return Ok(());
        };
        let Some((name, waiting)) = s.discard_secret() else {
            return Ok(());
        };
        let reload = s.reload();
        self.say(format!(
            "Revoked {name}: its secret was discarded without being handed over"
        ));
        self.resume(ctx, waiting);
        reload
    }

    fn download_secret(&mut self) -> Result<(), String> {
        let fixed = self.options.download_dir.clone();
        let Screen::Unlocked(s) = &mut self.screen else {
            return Ok(());
        };
        let Some(dialog) = &mut s.secret else {
            return Ok(());
        };
        let file = dialog.minted.key_file();
        match download::choose(fixed.as_deref(), &file.default_file_name()) {
            download::Target::Cancelled => Ok(()),
            download::Target::File(path) => match download::write(&path, &file) {
                Ok(()) => {
                    dialog.downloaded = Some(path.clone());
                    dialog.error = None;
                    let key_id = dialog.minted.info.key_id.clone();
                    let _ = s.vault.record_handover(
                        &key_id,
                        crate::vault::Action::KeyDownloaded,
                        "saved as a key file",
                    );
                    self.say(format!("Saved {}", path.display()));
                    Ok(())
                }
                Err(e) => {
                    dialog.error = Some(format!("Could not save the key file: {e}"));
                    Ok(())
                }
            },
        }
    }

    // ---- drawing ----

    fn top_bar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("🔑 Keyward").strong().size(16.0));
            ui.add_space(theme::SPACE);
            ui.label(
                RichText::new(self.options.vault_path.display().to_string())
                    .small()
                    .color(theme::MUTED),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if !self.is_locked() {
                    if ui
                        .button("🔒 Lock")
                        .on_hover_text("Lock the vault (Ctrl+L)")
                        .clicked()
                    {
                        commands.push(Command::Lock);
                    }
                    if ui.button("⚙ Settings").clicked() {
                        let targets = self
                            .session()
                            .and_then(|s| s.vault.publish_targets().ok())
                            .unwrap_or_default();
                        commands.push(Command::Open(Dialog::settings(
                            &self.settings,
                            dialogs::PublishRow::rows(&targets),
                        )));
                    }
                }
            });
        });
    }

    fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        let now = ui.input(|i| i.time);
        ui.horizontal(|ui| {
            if let Some(status) = &self.status {
                let color = if status.error {
                    theme::DANGER
                } else {
                    ui.visuals().text_color()
                };
                ui.label(RichText::new(&status.text).color(color));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(clip) = &self.clip {
                    let left = (clip.clear_at - now).max(0.0).ceil();
                    ui.label(
                        RichText::new(format!("📋 Clipboard clears in {left:.0} s"))
                            .color(theme::WARNING),
                    );
                }
                if let Some(s) = self.session()
                    && let Some(node) = s.selected_node()
                {
                    let text = format!("{} key(s) in {}", s.keys.len(), node.path);
                    ui.label(RichText::new(text).color(theme::MUTED));
                }
            });
        });
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
        if std::mem::take(&mut self.forget_typed_text) {
            ctx.data_mut(|d| d.remove_by_type::<egui::text_edit::TextEditState>());
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let mut commands = Vec::new();
        self.shortcuts(&ctx, &mut commands);

        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            self.top_bar_ui(ui, &mut commands);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));

        match &mut self.screen {
            Screen::Locked(form) => {
                egui::CentralPanel::default().show(ui, |ui| form.ui(ui));
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
                egui::Panel::left("sidebar")
                    .resizable(true)
                    .default_size(theme::SIDEBAR_WIDTH)
                    .show(ui, |ui| sidebar::sidebar_ui(ui, session, &mut commands));
                egui::CentralPanel::default()
                    .show(ui, |ui| node_view::node_view_ui(ui, session, &mut commands));
                dialogs::dialogs_ui(&ctx, session, &self.settings, &mut commands);
            }
        }
        self.run_commands(&ctx, commands);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Some(s) = self.session() {
            self.settings.last_node_id = s.selected_node().map(|n| n.id);
        }
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.clear_clipboard_secret();
    }
}

/// A re-key on a worker thread: it opens its own connection with the current passphrase,
/// re-seals every record under a new data key and hands the re-keyed vault back.
pub struct RekeyJob {
    rx: Receiver<RekeyMessage>,
    pub progress: f32,
}

enum RekeyMessage {
    Progress(RekeyProgress),
    Done(Box<Result<Vault, String>>),
}

impl RekeyJob {
    fn start(
        ctx: &egui::Context,
        path: std::path::PathBuf,
        current: zeroize::Zeroizing<String>,
        new: zeroize::Zeroizing<String>,
    ) -> RekeyJob {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let progress_tx = tx.clone();
            let progress_ctx = ctx.clone();
            let result = Vault::open(&path, &current)
                .and_then(|mut vault| {
                    vault.rekey(&current, &new, None, &mut |p| {
                        let _ = progress_tx.send(RekeyMessage::Progress(p));
                        progress_ctx.request_repaint();
                    })?;
                    Ok(vault)
                })
                .map_err(|e| match e {
                    Error::WrongPassphrase => "The current passphrase is wrong.".to_owned(),
                    e => e.to_string(),
                });
            let _ = tx.send(RekeyMessage::Done(Box::new(result)));
            ctx.request_repaint();
        });
        RekeyJob { rx, progress: 0.0 }
    }

    /// The result once the worker is done; progress is taken in on the way.
    fn poll(&mut self) -> Option<Result<Vault, String>> {
        while let Ok(message) = self.rx.try_recv() {
            match message {
                RekeyMessage::Progress(p) if p.total > 0 => {
                    self.progress = p.done as f32 / p.total as f32;
                }
                RekeyMessage::Progress(_) => {}
                RekeyMessage::Done(result) => return Some(*result),
            }
        }
        None
    }
}
