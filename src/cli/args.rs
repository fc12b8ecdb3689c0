//! The command line grammar (clap). The exact shape is a promise: other tools script against it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::limits::LimitArgs;

#[derive(Parser, Debug)]
#[command(
    name = "keyward",
    version,
    about = "Mint, scope, expire, rotate, revoke and verify API keys in one encrypted vault.",
    long_about = "Mint, scope, expire, rotate, revoke and verify API keys in one encrypted vault.\n\n\
                  With no command, opens the window. The passphrase comes from --passphrase-file, \
                  else KEYWARD_PASSPHRASE, else a no-echo prompt on a terminal.\n\n\
                  Exit status: 0 done or valid; 1 verified but not valid, or doctor found a problem; 2 error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct Global {
    /// Vault file, or postgres://user@host/db for a team vault [default: the OS data dir]
    #[arg(
        long,
        global = true,
        env = "KEYWARD_VAULT",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from the first line of FILE (else KEYWARD_PASSPHRASE, else a prompt)
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Print JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// Who you are in a vault with several members [default: the only member, else owner;
    /// `init`: the first member's name, owner]
    #[arg(long, global = true, env = "KEYWARD_MEMBER", value_name = "NAME")]
    pub member: Option<String>,
    /// Take the vault as it is although this machine knew another vault or a newer state at
    /// this location (a backup restored on purpose); remembered from then on
    #[arg(long, global = true)]
    pub accept_vault_change: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new vault
    Init {
        /// Argon2id memory in MiB (8 to 1024)
        #[arg(long, default_value_t = 64, value_name = "M")]
        kdf_memory_mib: u32,
        /// Argon2id passes (1 to 10)
        #[arg(long, default_value_t = 3, value_name = "T")]
        kdf_passes: u32,
    },
    /// Add, list, rename or remove workspaces
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Add, list, rename or remove projects (WS/P)
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Add, list, rename or remove environments (WS/P/E)
    #[command(subcommand)]
    Env(EnvCmd),
    /// Manage a workspace's scope catalog
    #[command(subcommand)]
    Scope(ScopeCmd),
    /// Create, list, inspect, roll, revoke and delete API keys
    #[command(subcommand)]
    Key(KeyCmd),
    /// Add, list or remove the members of the vault (each with an own passphrase)
    #[command(subcommand)]
    Member(MemberCmd),
    /// Keep verifier files up to date: rewritten after every change to the keys under a node
    #[command(subcommand)]
    Publish(PublishCmd),
    /// Keys that need attention (exposed, never expiring, expired, unused, old full access, old
    /// secrets in grace, failing publish targets), each with the fix; exit 1 when any
    Health {
        /// Only keys at this node and below
        node: Option<String>,
        /// Acknowledge a finding about this key id (or publish target file) until --until
        #[arg(long, value_name = "SUBJECT", requires_all = ["kind", "until", "reason"])]
        ack: Option<String>,
        /// The finding to acknowledge (e.g. never_expires, unused)
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Until when (YYYY-MM-DD, or Nd); the finding comes back after
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Why it is accepted (logged)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Find this vault's keys in files, folders or standard input (`-`); exit 1 when a key
    /// that still works is found (a pre-commit hook)
    Scan(ScanArgs),
    /// Check a key: valid, malformed, not_found, revoked, expired, insufficient_scope, tampered,
    /// forbidden, rate_limited or usage_exceeded
    Verify {
        /// A header line, e.g. 'Authorization: Api-Key kw_…'
        #[arg(long, value_name = "H", conflicts_with = "key")]
        header: Option<String>,
        /// The bare key (else it is read from stdin)
        #[arg(long, value_name = "K")]
        key: Option<String>,
        /// A scope the key must have (repeatable)
        #[arg(long = "require-scope", value_name = "S")]
        require_scope: Vec<String>,
        /// The client address the call comes from, for a key limited to some networks
        /// (without it such a key is forbidden)
        #[arg(long, value_name = "ADDR")]
        from: Option<std::net::IpAddr>,
        /// What the call costs against the key's rate limits and credits (counted in this
        /// process only: `keyward serve` keeps the counts services share)
        #[arg(long, value_name = "N", default_value_t = 1)]
        cost: u64,
        /// Check against an exported verifier file instead of the vault (no passphrase)
        #[arg(long, value_name = "FILE")]
        verifier: Option<PathBuf>,
        /// The public key the verifier file must be signed with (`keyward verifier-key`);
        /// several, comma-separated, while services move to a rotated key
        #[arg(long, env = "KEYWARD_TRUST", value_name = "KWPK")]
        trust: Option<String>,
    },
    /// Write a signed verifier file (key ids, hashes, scopes, expiry, revocation; no secrets)
    ExportVerifier {
        /// Only keys at this node and below
        node: Option<String>,
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
        /// Loaders refuse the file after this long: 30m, 12h, 7d (default: no limit)
        #[arg(long, value_name = "DURATION")]
        valid_for: Option<String>,
    },
    /// Print the public key verifier files are signed with (kwpk_…), for `verify --trust`
    VerifierKey {
        /// Also the retired keys, with their dates
        #[arg(long)]
        all: bool,
        #[command(subcommand)]
        action: Option<VerifierKeyCmd>,
    },
    /// Check keys over HTTP against verifier files (for services and proxies); no vault needed
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
    /// Show the activity log, newest first (with --follow: oldest first, then each entry as it
    /// is committed)
    Log(LogArgs),
    /// Change your passphrase and re-key the vault; other members keep theirs (new passphrase
    /// from KEYWARD_NEW_PASSPHRASE, --new-passphrase-file or a prompt)
    Passwd {
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Raise (or lower) the Argon2id memory, in MiB (8 to 1024; default: keep)
        #[arg(long, value_name = "M")]
        kdf_memory_mib: Option<u32>,
        /// Argon2id passes (1 to 10; default: keep)
        #[arg(long, value_name = "T")]
        kdf_passes: Option<u32>,
    },
    /// Write an encrypted copy of the vault to FILE
    Backup { file: PathBuf },
    /// Copy the whole vault (sealed records, members, log) to DEST, a new file or the
    /// postgres:// URL of an empty database, and check the copy
    Migrate {
        #[arg(value_name = "DEST")]
        dest: PathBuf,
    },
    /// Check the vault (file or database), its schema, the state commitment, every sealed
    /// record and the activity chain
    Doctor,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or with --dir write one page per command into DIR
    Man {
        /// The command whose page to print, e.g. `key create` (default: keyward's own)
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
        /// Write keyward.1, keyward-key.1, keyward-key-create.1, … into DIR
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCmd {
    /// Add a workspace with a scope preset
    Add {
        name: String,
        #[arg(long, default_value = "read-write", value_name = "PRESET",
              value_parser = ["read-write", "project-inference", "labels-datasets", "custom"])]
        preset: String,
    },
    /// List the workspaces
    List,
    /// Rename a workspace (its keys, projects and environments move with it)
    Rename { name: String, new: String },
    /// Remove a workspace (--force when it or anything below it has keys)
    Rm {
        name: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProjectCmd {
    /// Add a project: WS/P
    Add { path: String },
    /// List the projects of a workspace
    List { workspace: String },
    /// Rename a project: WS/P NEW
    Rename { path: String, new: String },
    /// Remove a project (--force when anything below it has keys)
    Rm {
        path: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum EnvCmd {
    /// Add an environment: WS/P/E
    Add {
        path: String,
        /// Secret prefix for keys minted here (2-16 of a-z, 0-9, _)
        #[arg(long)]
        prefix: Option<String>,
    },
    /// List the environments of a project
    List { project: String },
    /// Rename an environment: WS/P/E NEW
    Rename { path: String, new: String },
    /// Remove an environment (--force when it has keys)
    Rm {
        path: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ScopeCmd {
    /// Add a scope to a workspace's catalog
    Add {
        workspace: String,
        id: String,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Always on: every key gets it
        #[arg(long)]
        required: bool,
        /// Pre-checked in the window's Add New Key form
        #[arg(long)]
        default: bool,
    },
    /// List the scopes that apply at a node
    List { workspace: String },
    /// Remove a scope (it is also taken off every key that had it)
    Rm { workspace: String, id: String },
}

#[derive(Subcommand, Debug)]
pub enum MemberCmd {
    /// Add a member with their own passphrase (from KEYWARD_NEW_PASSPHRASE,
    /// --new-passphrase-file or a prompt)
    Add {
        name: String,
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Argon2id memory of their passphrase, in MiB (8 to 1024; default: as yours)
        #[arg(long, value_name = "M")]
        kdf_memory_mib: Option<u32>,
        /// Argon2id passes (1 to 10; default: as yours)
        #[arg(long, value_name = "T")]
        kdf_passes: Option<u32>,
    },
    /// List the members
    List,
    /// Remove a member and re-key the vault (new data key, every record re-sealed), so their
    /// passphrase opens nothing any more
    Rm { name: String },
}

#[derive(Subcommand, Debug)]
pub enum PublishCmd {
    /// Publish the keys at NODE and below (`/` for the whole vault) to FILE, now and after
    /// every change
    Add {
        node: String,
        file: PathBuf,
        /// File permissions, octal (a service user must read the file; it holds no secrets)
        #[arg(long, default_value = "644", value_name = "MODE")]
        mode: String,
    },
    /// List the targets, when each was last written and any error
    List,
    /// Stop keeping FILE up to date (the file is left where it is)
    Rm { file: PathBuf },
    /// Rewrite every target now
    Now,
    /// Keep rewriting this machine's targets after every change any member makes, until
    /// stopped (on a team vault, run it on the machine the files are for)
    Follow {
        /// How often to look for changes
        #[arg(long, default_value_t = 1, value_name = "SECONDS")]
        every: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Mint a key at a workspace, project or environment; prints the secret once
    Create {
        node: String,
        #[arg(long)]
        name: String,
        /// A scope to grant (repeatable; required scopes are always added)
        #[arg(long = "scope", value_name = "S")]
        scopes: Vec<String>,
        /// Every scope of the catalog, now and later
        #[arg(long)]
        full_access: bool,
        /// never, Nd, Nh or YYYY-MM-DD
        #[arg(long, default_value = "never")]
        expires: String,
        #[command(flatten)]
        limits: LimitArgs,
        /// Write the key file to a new file (created 0600, never overwritten) instead of
        /// printing the secret; `-` prints the key file as JSON
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List keys at a node and below (all keys when no node is given); filters combine
    List {
        node: Option<String>,
        /// Only keys held by this owner (case does not matter)
        #[arg(long, value_name = "O")]
        owner: Option<String>,
        /// Only keys carrying this tag (repeatable: all of them)
        #[arg(long = "tag", value_name = "T")]
        tags: Vec<String>,
        /// Only keys in this status (repeatable: any of them)
        #[arg(long = "status", value_name = "S", value_parser = [
            "active", "expiring", "expired", "revoked", "exposed", "tampered"
        ])]
        statuses: Vec<String>,
        /// Only keys whose name, id, node, description, owner or tags contain TEXT
        #[arg(long = "match", value_name = "TEXT")]
        text: Option<String>,
    },
    /// Show one key: node, scopes, times, roll state, usage (never its secret)
    Show { key_id: String },
    /// A key's checks through keyward serve per day (UTC): allowed, refused by reason, total
    Usage {
        /// The key's id, or its name when one key has it
        key: String,
        /// How many days back, today included (at most 90)
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=90), value_name = "N")]
        days: u32,
    },
    /// Mint many keys at NODE from JSON Lines: every line is checked first, then all are minted
    /// in one transaction, their key files written as JSON Lines to --output before it commits
    Import {
        node: String,
        /// One key a line: {"name": …, "scopes": […], "expires": "90d", "description": …,
        /// "owner": …, "tags": […], "full_access": false, "rate_limits": ["100/min"],
        /// "credits": 10000, "refill": "10000/month", "allow_ips": ["10.0.0.0/8"]}; `-` for
        /// standard input
        file: PathBuf,
        /// Where the secrets go: a new file (created 0600, never overwritten), or `-`
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
    /// Change a key's name, description, owner, tags, expiry or limits (each change is logged)
    Edit {
        key_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Who holds the key: a person or a team
        #[arg(long)]
        owner: Option<String>,
        /// Add a tag (repeatable)
        #[arg(long = "tag", value_name = "T")]
        tags: Vec<String>,
        /// Remove a tag (repeatable)
        #[arg(long = "untag", value_name = "T")]
        untags: Vec<String>,
        /// New expiry, to extend or shorten it: never, Nd, Nh or YYYY-MM-DD
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Get the node's full-access key, or create one named master (secret printed once)
    Master { node: String },
    /// Replace a key's scopes
    Scopes {
        key_id: String,
        #[arg(long, value_delimiter = ',', num_args = 0.., required = true, value_name = "S[,S...]")]
        set: Vec<String>,
    },
    /// Give a key a new secret; the old one works until the grace ends
    Roll {
        key_id: String,
        #[arg(long, default_value = "0", value_parser = ["0", "none", "1h", "24h", "7d"])]
        grace: String,
    },
    /// Revoke a key: it stays listed and verification answers revoked
    Revoke { key_id: String },
    /// Delete a key for good
    Rm { key_id: String },
}

#[derive(Subcommand, Debug)]
pub enum VerifierKeyCmd {
    /// Replace the signing key: files are signed by a new key from now on (every publish
    /// target is rewritten); services must then trust the new key
    Rotate,
}

#[cfg(feature = "serve")]
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A verifier file to answer from, reloaded when it changes (repeatable)
    #[arg(long = "verifier", value_name = "FILE", required = true)]
    pub verifiers: Vec<PathBuf>,
    /// The vault's public key, kwpk_… (`keyward verifier-key`); the files must be signed with
    /// it. Several (repeated or comma-separated) while moving to a rotated key
    #[arg(
        long,
        env = "KEYWARD_TRUST",
        value_name = "KWPK",
        value_delimiter = ',',
        required = true
    )]
    pub trust: Vec<String>,
    /// Address to listen on (port 0: any free port; the bound address is printed)
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "HOST:PORT")]
    pub listen: String,
    /// Worker threads [default: one per core but one, at least one]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Write per-key usage beside each verifier file every N seconds (and at exit)
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub usage_every: u64,
    /// Where the highest serial served per vault and node is kept, so a restart refuses an
    /// older file put back [default: the OS state folder for Keyward]
    #[arg(long, env = "KEYWARD_SERVE_STATE", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Serve a verifier file older than one served before (going back on purpose)
    #[arg(long)]
    pub accept_older_serial: bool,
    /// Open connections at most; more are closed at once (and counted in /metrics)
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_connections: usize,
    /// Seconds a client has to send a whole request once it starts (or once it connects)
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub header_timeout: u64,
    /// Seconds a kept-alive connection may sit idle between requests
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// Answer /metrics on this address only, away from the clients (HOST:PORT)
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_listen: Option<String>,
    /// A proxy in front (nginx, a load balancer) whose X-Forwarded-For / X-Real-IP name the
    /// client, for keys limited to some networks: 127.0.0.1/32 (repeatable). From any other
    /// peer those headers are ignored
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<String>,
    /// Share rate limits and credits with the other instances given the same Redis
    /// (redis://[:PASSWORD@]HOST[:PORT]/[DB]; a password is better in KEYWARD_LIMITS than in
    /// the command line)
    #[arg(
        long,
        env = "KEYWARD_LIMITS",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub limits: Option<String>,
    /// When Redis cannot answer: allow checks (open) or refuse keys with limits (closed);
    /// /healthz and /metrics say so
    #[arg(long, default_value = "closed", value_name = "open|closed")]
    pub limits_fail: crate::serve::FailMode,
    /// Append a JSON line per key check to FILE (`-`: standard output): time, route, HTTP
    /// status, result, key id, client address; never the key
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<PathBuf>,
}

/// `keyward log`'s options.
#[derive(Args, Debug, Clone)]
pub struct LogArgs {
    /// Only entries about this node and below
    pub node: Option<String>,
    /// The newest N entries at most [default: 50; all of them with --since]
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only entries from then on: an RFC 3339 time (2026-12-01T09:00:00Z), a date (2026-12-01,
    /// from its start in UTC) or a span back from now (30m, 24h, 7d)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Keep printing entries as they are committed, by this machine or any member, until
    /// Ctrl-C, SIGTERM or the reader closes the pipe
    #[arg(long)]
    pub follow: bool,
    /// Output: text, json (as --json) or jsonl (one JSON object a line, for journald, Vector
    /// or a SIEM) [default: text, json with --json; jsonl with --follow --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<LogFormat>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
    Jsonl,
}

/// `keyward scan`'s options.
#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Files or folders (`.gitignore` is honoured), or `-` for standard input
    #[arg(required_unless_present = "print_rule")]
    pub paths: Vec<PathBuf>,
    /// Also hidden files and folders
    #[arg(long)]
    pub hidden: bool,
    /// Ignore .gitignore, .ignore and git's exclude files
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip files larger than this (counted as skipped), e.g. 64M or 2G
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Print a rule that finds this vault's keys for gitleaks or trufflehog, and exit
    #[arg(long, value_name = "TOOL", value_parser = ["gitleaks", "trufflehog"])]
    pub print_rule: Option<String>,
    /// Write the fingerprints of what is found now to FILE (JSON, no secrets) and exit 0
    #[arg(long, value_name = "FILE", conflicts_with = "print_rule")]
    pub write_baseline: Option<PathBuf>,
    /// Leave out findings whose fingerprint is in FILE (written by --write-baseline)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Output: human, json (as --json) or sarif (SARIF 2.1.0, for code scanning in CI)
    #[arg(long, value_enum, default_value = "human")]
    pub format: ScanFormat,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFormat {
    Human,
    Json,
    Sarif,
}

/// `--max-file-size`: `64M`, `2G`, a number of bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    crate::numbers::parse_bytes(text)
        .ok_or_else(|| format!("'{text}' is not a size (e.g. 64M, 2G or a number of bytes)"))
}
