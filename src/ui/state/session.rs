//! The unlocked state: the vault handle and what the window shows of it.

use super::{Dialog, KeyViews, Live, RekeyJob, ScanState, SecretDialog, Waiting};
use crate::ui::key_table::KeyTable;
use crate::vault::{
    ActivityEntry, Finding, FindingKind, KeyInfo, Member, Node, NodeId, PublishTarget, Scope, Vault,
};

/// `kind`'s place in [`FindingKind::ALL`].
fn kind_index(kind: FindingKind) -> usize {
    FindingKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default()
}

const ACTIVITY_LIMIT: usize = 500;
/// Health findings kept for the Health view of each kind, most urgent first (the view lists
/// them virtualised; the kept strings stay a few MiB however large the vault).
pub const KEPT_FINDINGS: usize = 2_000;
/// The Usage view ranks keys by their checks over this many days…
pub const BUSIEST_DAYS: u32 = 30;
/// …and lists this many.
pub const BUSIEST_SHOWN: usize = 50;

/// The tabs of the node view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Keys,
    Scopes,
    Activity,
}

/// What the central panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Node,
    Health,
    /// The busiest keys of the vault (`ui::usage_view`).
    Usage,
}

/// The unlocked state. Dropping it drops the vault handle and every decrypted value.
pub struct Session {
    pub vault: Vault,
    pub nodes: Vec<Node>,
    pub selected: Option<NodeId>,
    pub tab: Tab,
    pub page: Page,
    pub keys: KeyTable,
    pub scopes: Vec<Scope>,
    pub activity: Vec<ActivityEntry>,
    /// The whole vault's most urgent health findings (at most [`KEPT_FINDINGS`] of a kind).
    pub health: Vec<Finding>,
    /// How many findings of each kind there are (index: [`FindingKind::ALL`]), kept or not.
    pub health_counts: [usize; FindingKind::ALL.len()],
    /// The Health view shows findings of this kind only.
    pub health_filter: Option<FindingKind>,
    /// The one-line findings banner shown after unlock, until dismissed.
    pub banner: bool,
    pub scan: ScanState,
    pub dialog: Option<Box<dyn Dialog>>,
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
    pub(crate) data_version: i64,
    pub(crate) activity_mark: i64,
    /// The newest last-used stamp as of the last reload (a shared vault's window looks for a
    /// newer one now and then: stamps are not announced).
    pub(crate) latest_use: Option<crate::vault::Timestamp>,
    pub(crate) next_refresh: f64,
    pub(crate) last_reload: f64,
    /// How many times the node was re-read (dialogs showing vault data watch it; so do tests).
    pub reloads: u64,
    /// Days a new key expires after (the setting, kept here for Add New Key).
    pub default_expiry_days: u32,
    /// The whole vault's Activity, shown instead of a node while open.
    pub vault_activity: Option<crate::ui::activity_view::VaultActivity>,
    /// The busiest keys over the last days, read when the Usage view is shown and at every
    /// reload while it is.
    pub busiest: Vec<crate::vault::BusyKey>,
    /// The keys that ran into their rate limits lately or are out of credits (the Usage view),
    /// read with [`Session::busiest`].
    pub at_limits: Vec<crate::vault::BusyKey>,
    /// What the last Doctor run found, shown until closed.
    pub doctor: Option<crate::vault::DoctorReport>,
    /// Other members' changes to a shared vault, and whether its server is reachable.
    pub live: Live,
    /// What the last reload found worth a desktop notification (told once, by the shell).
    pub events: Vec<crate::ui::notify::Event>,
    /// Old secrets seen in their grace, to tell when it ends.
    pub graces: crate::ui::notify::Graces,
    /// The keys whose details are shown, as of the last reload.
    pub key_views: KeyViews,
    /// The vault's members, and its publish targets (each with the node path it publishes),
    /// as of the last reload: Settings shows them.
    pub members: Vec<Member>,
    pub publish_targets: Vec<(PublishTarget, String)>,
    /// Findings not acknowledged, and all findings, of the whole report.
    health_open: usize,
    pub health_total: usize,
}

impl Session {
    pub fn new(vault: Vault, last_node: Option<NodeId>) -> Session {
        let data_version = vault.data_version().unwrap_or_default();
        let mut s = Session {
            vault,
            nodes: Vec::new(),
            selected: None,
            tab: Tab::Keys,
            page: Page::Node,
            keys: KeyTable::default(),
            scopes: Vec::new(),
            activity: Vec::new(),
            health: Vec::new(),
            health_counts: [0; FindingKind::ALL.len()],
            health_filter: None,
            events: Vec::new(),
            graces: crate::ui::notify::Graces::default(),
            banner: true,
            scan: ScanState::default(),
            dialog: None,
            dialog_error: None,
            secret: None,
            undelivered: Vec::new(),
            undelivered_later: false,
            focus_search: false,
            rekey: None,
            data_version,
            activity_mark: 0,
            latest_use: None,
            next_refresh: 0.0,
            last_reload: 0.0,
            reloads: 0,
            default_expiry_days: 90,
            vault_activity: None,
            busiest: Vec::new(),
            at_limits: Vec::new(),
            doctor: None,
            live: Live::default(),
            key_views: KeyViews::default(),
            members: Vec::new(),
            publish_targets: Vec::new(),
            health_open: 0,
            health_total: 0,
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
        self.events.clear();
        // Read before the keys: a stamp written meanwhile is newer and picked up next time.
        if self.vault.is_shared() {
            self.latest_use = self.vault.latest_use().unwrap_or(self.latest_use);
        }
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
                // One walk of the whole vault gives the health report and, streamed into the
                // compact table, the selected node's keys (never every decoded key at once).
                let path = self
                    .nodes
                    .iter()
                    .find(|n| n.id == id)
                    .map(|n| n.path.clone())
                    .unwrap_or_default();
                let below = format!("{path}/");
                let table = &mut self.keys;
                table.begin(&self.scopes);
                let events = &mut self.events;
                let graces = &mut self.graces;
                let now = self.vault.now();
                let walked = self.vault.health_and_keys(None, |k| {
                    crate::ui::notify::key_events(&k, now, events);
                    graces.watch(&k);
                    if k.node == path || k.node.starts_with(&below) {
                        table.push(k);
                    }
                });
                table.finish();
                // The walk checked every row against the commitment: its buckets (4 MB at
                // 100,000 keys) are not needed until the next change.
                self.vault.release_memory();
                self.set_health(walked.map_err(|e| e.to_string())?);
                self.activity = self
                    .vault
                    .activity(Some(id), ACTIVITY_LIMIT)
                    .unwrap_or_default();
            }
            None => {
                self.set_health(self.vault.health(None).unwrap_or_default());
                self.keys.set_rows(Vec::new(), &[]);
                self.scopes.clear();
                self.activity = self
                    .vault
                    .activity(None, ACTIVITY_LIMIT)
                    .unwrap_or_default();
            }
        }
        self.graces.ended(self.vault.now(), &mut self.events);
        self.publish_targets = self.vault.publish_targets().unwrap_or_default();
        crate::ui::notify::publish_events(&self.publish_targets, &mut self.events);
        self.members = self.vault.members().unwrap_or_default();
        self.key_views.reread(&self.vault);
        if self.page == Page::Usage {
            self.read_busiest()?;
        }
        if let Some(view) = &mut self.vault_activity {
            view.reload(&self.vault)?;
        }
        self.data_version = self.vault.data_version().unwrap_or(self.data_version);
        self.activity_mark = self.vault.activity_mark().unwrap_or(self.activity_mark);
        self.reloads += 1;
        Ok(())
    }

    /// Reads the busiest keys, and those at their limits, for the Usage view.
    pub fn read_busiest(&mut self) -> Result<(), String> {
        (self.busiest, self.at_limits) = self
            .vault
            .busiest_and_at_limits(BUSIEST_DAYS, BUSIEST_SHOWN)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Findings not acknowledged.
    pub fn open_findings(&self) -> usize {
        self.health_open
    }

    /// Keeps the counts of a health report and the most urgent findings of each kind only:
    /// 100,000 findings with their strings are tens of MiB.
    fn set_health(&mut self, mut all: Vec<Finding>) {
        self.health_open = all.iter().filter(|f| f.acknowledged.is_none()).count();
        self.health_total = all.len();
        let mut counts = [0; FindingKind::ALL.len()];
        all.retain(|f| {
            let n = &mut counts[kind_index(f.kind)];
            *n += 1;
            *n <= KEPT_FINDINGS
        });
        all.shrink_to_fit();
        self.health = all;
        self.health_counts = counts;
    }

    /// How many findings of `kind` there are.
    pub fn health_count(&self, kind: FindingKind) -> usize {
        self.health_counts[kind_index(kind)]
    }

    /// A secret is on screen that was neither copied nor downloaded.
    pub fn holds_undelivered_secret(&self) -> bool {
        self.secret.as_ref().is_some_and(|d| !d.is_delivered())
    }

    /// Holds `what` back when a secret that was not handed over is shown (its dialog then says
    /// why); returns whether it did.
    pub fn hold_back(&mut self, what: Waiting) -> bool {
        match self.secret.as_mut() {
            Some(d) if !d.is_delivered() => {
                d.waiting = Some(what);
                true
            }
            _ => false,
        }
    }

    /// "Discard and revoke": the secret was never handed over, so its key is revoked (nobody
    /// can ever present the secret) and the dialog closes. Returns the key's name and what the
    /// dialog held back; `None` when there was no dialog or revoking failed (the dialog then
    /// shows the error and stays).
    ///
    /// For a roll this revokes the whole key, although its previous secret may still be in
    /// its grace period and in use: keeping the key would leave a current secret that nobody
    /// has, and clients would break silently when the grace ends. Revoking says so now, in the
    /// log and in every check; the dialog warns first ("Revoking also stops the key's previous
    /// secret at once"), with Copy right beside it for whoever wants to keep the key.
    pub fn discard_secret(&mut self) -> Option<(String, Option<Waiting>)> {
        let d = self.secret.as_mut()?;
        match self.vault.revoke_key(&d.minted.info.key_id) {
            Ok(info) => {
                let waiting = self.secret.take().and_then(|d| d.waiting);
                Some((info.name, waiting))
            }
            Err(e) => {
                d.error = Some(format!("Could not revoke the key: {e}"));
                None
            }
        }
    }
}
