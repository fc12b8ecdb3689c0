//! The Create vault / Unlock screen. Key derivation runs on a worker thread with a spinner.
//! From here another vault can be opened: a recent file, the Open dialog (or a typed path where
//! no dialog answers), or a team vault's URL; an empty database is offered as a new team vault.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

use egui::{Key, RichText};
use zeroize::Zeroizing;

use super::modal::primary_button;
use super::open_path::{PathAction, PathField};
use super::theme;
use crate::vault::{DEFAULT_MEMBER, Error, KdfParams, PassphraseStrength, Timestamp, Vault};

pub struct UnlockForm {
    /// No vault file yet (or an empty database the user chose to use): this screen creates one.
    pub creating: bool,
    /// The location is a server URL (a team vault).
    server: bool,
    /// The server answered that its database holds no vault yet: offer to create one.
    empty_database: bool,
    /// Who is unlocking (empty: the only member, else owner), or the first member's name when
    /// creating a team vault (empty: owner).
    member: String,
    passphrase: Zeroizing<String>,
    confirm: Zeroizing<String>,
    show: bool,
    strength: Option<PassphraseStrength>,
    pub error: Option<String>,
    submit: Option<Zeroizing<String>>,
    pending: Option<Receiver<Result<Vault, Error>>>,
    /// The file exists but is not a vault (or cannot be read): said before any passphrase.
    pub not_vault: Option<String>,
    /// A weak passphrase was refused once; the next submit uses it anyway.
    weak_warned: bool,
    /// Another vault was asked for (a recent one, the Open dialog, a team vault's URL).
    open: Option<OpenRequest>,
    /// The team vault URL being typed, while that field is shown. It may hold the server's
    /// password, so it is wiped when dropped and never saved.
    team_url: Option<Zeroizing<String>>,
    /// The typed path field, shown where no Open dialog answers.
    path_field: Option<PathField>,
    /// The team vault field was just shown: focus it once.
    focus_team_url: bool,
    /// The card just turned into the create card, the passphrase kept: focus its confirmation.
    focus_confirm: bool,
    /// The last unlock was refused because this machine knew another vault, or a newer state
    /// of it, at this location: offer to take it as it is (the vault's location).
    changed_vault: Option<PathBuf>,
    /// The location the unlock under way opens.
    pending_location: PathBuf,
    /// Several members (or a server, which is asked only when unlocking): ask who unlocks.
    several_members: bool,
    /// Why the vault was locked, when the user did not lock it: "Locked after 5 minutes idle".
    pub note: Option<String>,
}

/// The team vault URL field, known by id so that Enter in it does not also unlock.
const TEAM_URL_ID: &str = "team_vault_url";

/// Another vault asked for on this screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenRequest {
    /// Show the Open dialog.
    Dialog,
    File(PathBuf),
}

/// How "Open another vault…" can answer now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// A file dialog can be asked.
    Dialog,
    /// None can (no display): the typed path field instead.
    Typed,
    /// A dialog is open already.
    Waiting,
}

/// A vault offered besides the one shown, with when it was last used.
pub struct RecentEntry {
    pub path: PathBuf,
    pub last_use: Option<Timestamp>,
}

impl UnlockForm {
    pub fn new(vault_path: &Path) -> UnlockForm {
        let creating = !Vault::exists(vault_path);
        // Reading the header needs no passphrase: a file that is not a vault is refused here
        // (a server is asked only when unlocking, off this thread).
        let not_vault = (!creating && !Vault::is_server_location(vault_path))
            .then(|| Vault::kdf_params(vault_path).err())
            .flatten()
            .map(|e| format!("This file is not a Keyward vault ({e})."));
        // A file with one member needs no name: the Member field would only puzzle.
        let several_members = Vault::is_server_location(vault_path)
            || (!creating && Vault::member_count(vault_path).map_or(true, |n| n > 1));
        UnlockForm {
            several_members,
            note: None,
            not_vault,
            weak_warned: false,
            open: None,
            team_url: None,
            path_field: None,
            focus_team_url: false,
            focus_confirm: false,
            changed_vault: None,
            pending_location: PathBuf::new(),
            server: Vault::is_server_location(vault_path),
            empty_database: false,
            creating,
            member: String::new(),
            passphrase: Zeroizing::new(String::new()),
            confirm: Zeroizing::new(String::new()),
            show: false,
            strength: None,
            error: None,
            submit: None,
            pending: None,
        }
    }

    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    pub fn take_submit(&mut self) -> Option<Zeroizing<String>> {
        self.submit.take()
    }

    pub fn take_open(&mut self) -> Option<OpenRequest> {
        self.open.take()
    }

    /// Shows the typed path field (no Open dialog answered), starting in `dir`.
    pub fn type_path(&mut self, dir: Option<&Path>) {
        self.path_field = Some(PathField::new(dir));
    }

    pub fn is_typing_path(&self) -> bool {
        self.path_field.is_some()
    }

    /// The new passphrase is weak and was not confirmed yet.
    fn weak_unconfirmed(&self) -> bool {
        self.creating
            && !self.weak_warned
            && self
                .strength
                .as_ref()
                .is_some_and(|s| s.score < PassphraseStrength::ACCEPTABLE)
    }

    /// Starts the key derivation on a worker thread.
    pub fn start(
        &mut self,
        path: &Path,
        passphrase: Zeroizing<String>,
        kdf: KdfParams,
        ctx: &egui::Context,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        let path = path.to_owned();
        let creating = self.creating;
        let server = self.server;
        let member = self.member.trim().to_owned();
        let ctx = ctx.clone();
        self.error = None;
        self.empty_database = false;
        self.changed_vault = None;
        self.pending = Some(rx);
        self.pending_location = path.clone();
        std::thread::spawn(move || {
            let member = Some(member.as_str()).filter(|m| !m.is_empty());
            let result = if creating {
                if !server && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    let _ = std::fs::create_dir_all(dir);
                }
                Vault::create_as(&path, member.unwrap_or(DEFAULT_MEMBER), &passphrase, kdf)
            } else {
                Vault::open_as(&path, member, &passphrase)
            };
            let _ = tx.send(result);
            ctx.request_repaint();
        });
    }

    /// The worker's answer, once it has one.
    pub fn poll(&mut self) -> Option<Result<Vault, String>> {
        let rx = self.pending.as_ref()?;
        let location = self.pending_location.clone();
        match rx.try_recv() {
            Ok(result) => {
                self.pending = None;
                // A wrong passphrase goes too: retyping replaces it, not extends it.
                if result.is_ok() || matches!(result, Err(Error::WrongPassphrase)) {
                    self.passphrase = Zeroizing::new(String::new());
                    self.confirm = Zeroizing::new(String::new());
                }
                Some(result.map_err(|e| self.failure(e, &location)))
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.pending = None;
                Some(Err("the key derivation stopped unexpectedly".into()))
            }
        }
    }

    /// What to say about a failed unlock or create.
    fn failure(&mut self, e: Error, location: &Path) -> String {
        match e {
            Error::WrongPassphrase => "Wrong passphrase. Try again.".to_owned(),
            Error::VaultChanged(why) => {
                self.changed_vault = Some(location.to_owned());
                // The CLI's wording names the flag; here the same in a few plain sentences.
                if why.contains("went back") {
                    "Refusing this vault: it went back in time. This computer has opened a newer \
                     state of it, so an older copy was put back, which can undo revocations. If \
                     you restored a backup on purpose, use Accept this vault below."
                        .to_owned()
                } else if why.contains("not the vault") {
                    "Refusing this vault: it is not the vault this computer opened at this \
                     location before (another vault was put in its place). If you replaced it on \
                     purpose, use Accept this vault below."
                        .to_owned()
                } else {
                    format!("Refusing this vault: {why}")
                }
            }
            Error::NoVault(_) if self.server && !self.creating => {
                self.empty_database = true;
                "There is no Keyward vault in this database yet.".to_owned()
            }
            e => e.to_string(),
        }
    }

    /// Forgets this machine's pin of the vault and unlocks again with the passphrase typed.
    fn accept_changed_vault(&mut self, location: &Path) {
        self.changed_vault = None;
        match Vault::accept_vault_change(location) {
            Ok(_) => {
                self.error = None;
                self.submit = Some(self.passphrase.clone());
            }
            Err(e) => self.error = Some(format!("Could not accept the vault: {e}")),
        }
    }

    /// Turns the unlock card into the create card for the empty database it is on.
    fn create_here(&mut self) {
        self.creating = true;
        self.empty_database = false;
        self.error = None;
        self.weak_warned = false;
        self.strength = super::passphrase::measure(&self.passphrase);
        self.focus_confirm = true;
    }

    fn problem(&self) -> Option<&'static str> {
        if self.not_vault.is_some() {
            Some("This file is not a vault: open another one")
        } else if self.passphrase.is_empty() {
            Some("Enter a passphrase")
        } else if self.creating && *self.confirm != *self.passphrase {
            Some("The passphrases do not match")
        } else {
            None
        }
    }

    /// The unlock or create card; it scrolls when the window is too short for it (many recent
    /// vaults at the smallest window size).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        vault_path: &Path,
        recent: &[RecentEntry],
        open: OpenMode,
    ) {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| self.card_ui(ui, vault_path, recent, open));
    }

    fn card_ui(
        &mut self,
        ui: &mut egui::Ui,
        vault_path: &Path,
        recent: &[RecentEntry],
        open: OpenMode,
    ) {
        let busy = self.is_pending();
        // Some air above the card, none to spare in a short window (it would push the card's
        // last buttons below the fold at the minimum size).
        let height = ui.available_height();
        ui.add_space(if height < 600.0 {
            theme::SPACE_LARGE
        } else {
            height * 0.18
        });
        ui.vertical_centered(|ui| {
            ui.set_max_width(theme::CARD_WIDTH + 40.0);
            theme::card_frame(ui.visuals()).show(ui, |ui| {
                ui.set_width(theme::CARD_WIDTH);
                ui.vertical(|ui| {
                    let (title, hint) = match (self.creating, self.server) {
                        (true, false) => (
                            "Create a new vault",
                            "Choose a passphrase. It encrypts every key record; it cannot be recovered.",
                        ),
                        (true, true) => (
                            "Create a team vault",
                            "Choose your passphrase; members added later get their own. The \
                             server stores only sealed records. It cannot be recovered.",
                        ),
                        (false, _) => ("Unlock your vault", "Enter the passphrase of this vault."),
                    };
                    ui.heading(RichText::new(title).strong());
                    if let Some(note) = &self.note {
                        ui.label(RichText::new(note).color(theme::WARNING));
                    }
                    ui.label(RichText::new(hint).color(theme::MUTED));
                    ui.add_space(theme::SPACE);
                    if let Some(e) = &self.not_vault {
                        ui.label(RichText::new(e).color(theme::DANGER).strong());
                        ui.label(
                            RichText::new(crate::vault::display_location(vault_path))
                                .small()
                                .color(theme::MUTED),
                        );
                    } else {
                        ui.add_enabled_ui(!busy, |ui| self.fields_ui(ui));
                    }
                    if self.weak_warned && self.creating {
                        ui.label(
                            RichText::new(
                                "This passphrase is weak: whoever gets the file can guess it. \
                                 Choose a longer one, or create the vault with it anyway.",
                            )
                            .color(theme::WARNING),
                        );
                    }
                    ui.add_space(theme::SPACE);
                    ui.horizontal(|ui| {
                        let label = match (self.creating, self.weak_warned) {
                            (true, true) => "Create anyway",
                            (true, false) => "Create vault",
                            (false, _) => "Unlock",
                        };
                        let problem = self.problem();
                        let clicked = ui
                            .add_enabled(!busy && problem.is_none(), primary_button(label))
                            .on_disabled_hover_text(problem.unwrap_or("Working…"))
                            .clicked();
                        // Enter in the team vault field connects there instead.
                        let enter = ui.input(|i| i.key_pressed(Key::Enter))
                            && !ui.memory(|m| m.has_focus(egui::Id::unique(TEAM_URL_ID)));
                        if (clicked || enter) && !busy && problem.is_none() {
                            if self.weak_unconfirmed() {
                                self.weak_warned = true;
                            } else {
                                self.submit = Some(self.passphrase.clone());
                            }
                        }
                        if busy {
                            ui.add(egui::Spinner::new());
                            ui.label(RichText::new("Deriving the key…").color(theme::MUTED));
                        }
                    });
                    if let Some(e) = &self.error {
                        ui.add_space(theme::SPACE);
                        ui.label(RichText::new(e).color(theme::DANGER).strong());
                    }
                    if self.empty_database
                        && !busy
                        && ui.button("Create a team vault here").clicked()
                    {
                        self.create_here();
                    }
                    if let Some(location) = self.changed_vault.clone()
                        && !busy
                        && ui
                            .button("Accept this vault")
                            .on_hover_text(
                                "Take the vault as it is now (a backup restored on purpose): \
                                 this machine remembers it from then on",
                            )
                            .clicked()
                    {
                        self.accept_changed_vault(&location);
                    }
                    ui.add_space(theme::SPACE);
                    ui.separator();
                    let open = if busy { OpenMode::Waiting } else { open };
                    self.other_vaults_ui(ui, vault_path, recent, open, !busy);
                });
            });
        });
    }

    /// Recent vaults, Open and a team vault: another vault than this one.
    fn other_vaults_ui(
        &mut self,
        ui: &mut egui::Ui,
        vault_path: &Path,
        recent: &[RecentEntry],
        open: OpenMode,
        idle: bool,
    ) {
        if !recent.is_empty() {
            ui.label(RichText::new("Recent vaults").strong());
            let now = crate::vault::now();
            for entry in recent {
                if let Some(path) = recent_ui(ui, entry, now) {
                    self.open = Some(OpenRequest::File(path));
                }
            }
        }
        let response = ui
            .add_enabled(
                open != OpenMode::Waiting,
                egui::Button::new("Open another vault…"),
            )
            .on_disabled_hover_text("Working…");
        if response.clicked() {
            match open {
                OpenMode::Dialog => self.open = Some(OpenRequest::Dialog),
                OpenMode::Typed => self.type_path(vault_path.parent()),
                OpenMode::Waiting => {}
            }
        }
        if let Some(field) = &mut self.path_field {
            match field.ui(ui, idle) {
                Some(PathAction::Open(path)) => self.open = Some(OpenRequest::File(path)),
                Some(PathAction::Cancel) => self.path_field = None,
                None => {}
            }
        }
        self.team_url_ui(ui, idle);
    }

    /// "Connect to a team vault…": a field for a `postgres://` URL and Connect.
    fn team_url_ui(&mut self, ui: &mut egui::Ui, enabled: bool) {
        let Some(url) = &mut self.team_url else {
            let response = ui.add_enabled(enabled, egui::Button::new("Connect to a team vault…"));
            if response.clicked() {
                self.team_url = Some(Zeroizing::new(String::new()));
                self.focus_team_url = true;
            }
            return;
        };
        ui.add_space(theme::SPACE);
        let label = ui.label("Team vault URL");
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut **url)
                    .id(egui::Id::unique(TEAM_URL_ID))
                    .hint_text("postgres://user@host/database")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if std::mem::take(&mut self.focus_team_url) {
            field.request_focus();
        }
        ui.label(
            RichText::new(
                "The server's password comes from PGPASSWORD or the URL. \
                 A team vault's URL is never saved.",
            )
            .small()
            .color(theme::MUTED),
        );
        let valid = Vault::is_server_location(Path::new(url.trim()));
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let mut cancel = false;
        ui.horizontal(|ui| {
            let connect = ui
                .add_enabled(enabled && valid, egui::Button::new("Connect"))
                .on_disabled_hover_text(if valid {
                    "Working…"
                } else {
                    "Enter a postgres:// or postgresql:// URL"
                });
            if (connect.clicked() || entered) && enabled && valid {
                self.open = Some(OpenRequest::File(PathBuf::from(url.trim())));
            }
            cancel = ui.button("Cancel").clicked();
        });
        if cancel {
            self.team_url = None;
        }
    }

    fn fields_ui(&mut self, ui: &mut egui::Ui) {
        let typing_elsewhere = self.path_field.is_some() || self.team_url.is_some();
        // A team vault's first member names themself; a file's is "owner", as `init` does.
        let member = match (self.creating, self.server) {
            (false, _) if self.several_members => {
                Some(("Member", "only in a vault with several members"))
            }
            (false, _) => None,
            (true, true) => Some(("Your member name", DEFAULT_MEMBER)),
            (true, false) => None,
        };
        if let Some((label, hint)) = member {
            let label = ui.label(label);
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.member)
                        .hint_text(hint)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if field.changed() {
                self.error = None;
            }
        }
        let label = ui.label("Passphrase");
        let field = ui.add(
            egui::TextEdit::singleline(&mut *self.passphrase)
                .password(!self.show)
                .desired_width(f32::INFINITY),
        );
        let field = field.labelled_by(label.id);
        // Focus comes back here unless another field of the card is in use.
        if ui.memory(|m| m.focused().is_none()) && !typing_elsewhere {
            field.request_focus();
        }
        if field.changed() {
            self.error = None;
            self.weak_warned = false;
            self.strength = self
                .creating
                .then(|| super::passphrase::measure(&self.passphrase))
                .flatten();
        }
        ui.checkbox(&mut self.show, "Show passphrase");
        super::passphrase::strength_ui(ui, self.strength.as_ref());
        if self.creating {
            let label = ui.label("Confirm passphrase");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut *self.confirm)
                        .password(!self.show)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.focus_confirm) {
                field.request_focus();
            }
            if !self.confirm.is_empty() && *self.confirm != *self.passphrase {
                ui.label(RichText::new("The passphrases do not match").color(theme::DANGER));
            }
        }
    }
}

/// One recent vault: its file name (the whole path on hover) and when it was last used.
/// Returns the path when clicked.
fn recent_ui(ui: &mut egui::Ui, entry: &RecentEntry, now: Timestamp) -> Option<PathBuf> {
    let name = entry
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let full = entry.path.display().to_string();
    let used = entry.last_use.map(|t| super::time::ago(now, t));
    let mut clicked = false;
    egui::Sides::new().shrink_left().truncate().show(
        ui,
        |ui| {
            clicked = ui
                .add(egui::Button::new(&name).frame(false).truncate())
                .on_hover_text(&full)
                .accessible_name(format!("Open recent vault {full}"))
                .clicked();
        },
        |ui| {
            if let Some(used) = &used {
                ui.label(RichText::new(used).small().color(theme::MUTED))
                    .on_hover_text("Last used");
            }
        },
    );
    clicked.then(|| entry.path.clone())
}
