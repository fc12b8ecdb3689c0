//! Per-frame work that is not drawing: auto-lock, the clipboard timeout, screen-lock events,
//! finished background work, changes made by another process, and the keyboard shortcuts.

use super::{KeywardApp, Screen};
use crate::ui::dialogs::{AddKey, ShortcutList};
use crate::ui::shortcuts::{self, Area, UiCommand};
use crate::ui::state::{Command, LiveTick, Session, VaultCommand, ViewCommand};

/// How often the window looks for changes made by another process (the CLI).
const REFRESH_SECS: f64 = 1.0;
/// When another process only stamped last-used times (a service verifying keys), the table is
/// re-read at most this often.
const LAST_USED_REFRESH_SECS: f64 = 60.0;

impl KeywardApp {
    /// Auto-lock, the clipboard timeout, screen-lock events, finished key derivation and
    /// scans, and changes made by another process.
    pub(super) fn tick(&mut self, ctx: &egui::Context) {
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
        while let Some(event) = self.screen_watch.poll() {
            if !self.is_locked() {
                self.screen_lock_pending = Some(event);
            }
        }
        if let Screen::Locked(form) = &mut self.screen {
            if let Some(result) = form.poll() {
                match result {
                    Ok(vault) => self.unlocked(vault),
                    Err(e) => {
                        form.error = Some(e);
                        // The cleared passphrase must not come back with Undo.
                        self.forget_typed_text = true;
                    }
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
            let note = format!(
                "Locked after {} idle",
                crate::numbers::count_of(
                    usize::try_from(self.settings.auto_lock_minutes).unwrap_or(usize::MAX),
                    "minute",
                    "minutes"
                )
            );
            if let Screen::Locked(form) = &mut self.screen {
                form.note = Some(note.clone());
            }
            self.say(note);
            return;
        }
        // The same wait as auto-lock: a secret on screen is handed over first.
        if let Some(event) = self.screen_lock_pending
            && !holding
        {
            self.lock();
            self.say(format!("Locked: {}", event.reason()));
            return;
        }
        if let Screen::Unlocked(s) = &mut self.screen
            && let Some(job) = &mut s.rekey
            && let Some(result) = job.poll()
        {
            let done_message = std::mem::take(&mut job.done_message);
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
                        Ok(()) => self.say(done_message),
                        Err(e) => self.complain(e),
                    }
                }
                Err(e) => s.dialog_error = Some(e),
            }
        }
        self.poll_scan(ctx);
        // An old secret's grace ends: look again then, to tell it.
        if let Screen::Unlocked(s) = &mut self.screen {
            let at = s.vault.now();
            if s.graces.due(at) {
                if let Err(e) = s.reload() {
                    self.complain(e);
                }
            } else if let Some(t) = s.graces.next_end(at) {
                let wait = u64::try_from(t - at).unwrap_or(0).min(3600);
                ctx.request_repaint_after(std::time::Duration::from_secs(wait));
            }
        }
        if let Screen::Unlocked(s) = &mut self.screen
            && s.vault.is_shared()
        {
            // A shared vault says when it changed. Last-used stamps alone are not announced
            // (every verification would wake every window): they are looked for as often as a
            // file's are re-read, with one small query.
            let mut reload = s.live.tick(&s.vault, ctx) == LiveTick::Reload;
            if !reload && now >= s.next_refresh {
                s.next_refresh = now + LAST_USED_REFRESH_SECS;
                reload = s.live.offline.is_none()
                    && s.vault.latest_use().is_ok_and(|t| t > s.latest_use);
            }
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(LAST_USED_REFRESH_SECS));
            if reload {
                s.last_reload = now;
                if !s.vault.data_key_current().unwrap_or(true) {
                    self.lock();
                    self.complain(
                        "Another member re-keyed the vault (a member was removed or a passphrase \
                         changed): unlock again.",
                    );
                } else if let Err(e) = s.reload() {
                    self.complain(e);
                }
            }
        } else if let Screen::Unlocked(s) = &mut self.screen {
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

    /// The window's shortcuts (the table in `ui::shortcuts`); the key list's own are read
    /// where the list is drawn.
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Screen::Unlocked(s) = &mut self.screen else {
            return;
        };
        let typing = ctx.text_edit_focused();
        let dialog = s.secret.is_some() || s.dialog.is_some();
        for action in shortcuts::pressed(ctx, Area::Window, typing) {
            match action {
                UiCommand::Lock => commands.push(Command::Vault(VaultCommand::Lock)),
                _ if dialog => {}
                UiCommand::AddKey => {
                    if let Some(node) = s.selected_node() {
                        commands.push(Command::open(AddKey::new(node.id, &s.scopes)));
                    }
                }
                UiCommand::Search => commands.push(Command::View(ViewCommand::FocusSearch)),
                UiCommand::ShowShortcuts => commands.push(Command::open(ShortcutList)),
                _ => {}
            }
        }
    }
}
