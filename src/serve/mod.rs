//! `keyward serve`: checks keys over HTTP against verifier files, for services in any language
//! and for proxies (nginx `auth_request`, Traefik `forwardAuth`, Envoy `ext_authz`).
//!
//! One file per concept: `routes` (the endpoints), `snapshot` (a loaded verifier file and its
//! hot reload), `usage` (per-key counts written back beside each file), `metrics`. No vault and
//! no passphrase: only verifier files and the public key they must be signed with.

mod connections;
mod high_water;
mod metrics;
mod routes;
mod snapshot;
mod usage;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::vault::{self, Outcome, Verification, now};

pub use connections::Limits;
pub use high_water::{HighWater, default_dir as default_state_dir};
pub use metrics::RESULTS;
pub use routes::{KEY_ID_HEADER, MAX_BODY, RESULT_HEADER, SCOPES_HEADER};
pub use snapshot::{Refusal, RefusalReason, Snapshot, Source, load_snapshot};

/// How often a verifier file is looked at even without a change notification.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// What `keyward serve` was asked to do.
#[derive(Clone, Debug)]
pub struct Config {
    /// Verifier files; a key is looked up in each, in order.
    pub verifiers: Vec<PathBuf>,
    /// The public key (`kwpk_…`) the files must be signed with; several, comma-separated,
    /// while services move to a rotated key.
    pub trust: String,
    /// `host:port` to listen on (port 0: any free port).
    pub listen: String,
    /// Worker threads (default: [`default_threads`]).
    pub threads: Option<usize>,
    /// How often usage is written back beside each verifier file.
    pub usage_every: Duration,
    /// Where the highest serial served per vault and node is kept (`None`: the OS default).
    pub state_dir: Option<PathBuf>,
    /// Serve a file older than one served before (after a restart), and remember it.
    pub accept_older_serial: bool,
    /// Connection cap and deadlines.
    pub limits: Limits,
    /// A second address that answers `/metrics` only (then the main one does not).
    pub metrics_listen: Option<String>,
}

impl Config {
    pub fn new(verifiers: Vec<PathBuf>, trust: impl Into<String>) -> Config {
        Config {
            verifiers,
            trust: trust.into(),
            listen: "127.0.0.1:8787".into(),
            threads: None,
            usage_every: Duration::from_secs(10),
            state_dir: None,
            accept_older_serial: false,
            limits: Limits::default(),
            metrics_listen: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("give at least one --verifier FILE")]
    NoVerifier,
    #[error(
        "--trust (or KEYWARD_TRUST) must be the vault's public key, kwpk_… (see `keyward verifier-key`)"
    )]
    NoTrust,
    #[error("cannot load {path}: {source}")]
    Load { path: PathBuf, source: vault::Error },
    #[error("cannot listen on {listen}: {source}")]
    Listen {
        listen: String,
        source: std::io::Error,
    },
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
    #[error("serve state: {0} (--state-dir names another folder)")]
    State(String),
    #[error(
        "refusing {path}: its serial {serial} is lower than the {highest} already served for {node} of vault {vault_id}: an older file was put back (start with --accept-older-serial to serve it anyway)"
    )]
    OlderSerial {
        path: PathBuf,
        serial: u64,
        highest: u64,
        node: String,
        vault_id: String,
    },
}

/// Shared by every request.
pub struct App {
    pub sources: Vec<Source>,
    pub metrics: metrics::Metrics,
    pub high_water: HighWater,
    /// `/metrics` is served on its own address, not with the checks.
    pub metrics_elsewhere: bool,
    trust: String,
}

impl App {
    /// Loads every verifier file; any that does not load stops the start.
    pub fn load(config: &Config) -> Result<App, ServeError> {
        if config.verifiers.is_empty() {
            return Err(ServeError::NoVerifier);
        }
        let trust = config.trust.trim();
        // Each key's form is checked when the files load (with the file's name).
        let mut keys = trust.split(|c: char| c == ',' || c.is_whitespace());
        if keys.clone().all(str::is_empty)
            || !keys.all(|k| k.is_empty() || k.starts_with("kwpk_") && k.len() > "kwpk_".len())
        {
            return Err(ServeError::NoTrust);
        }
        let sources = config
            .verifiers
            .iter()
            .map(|path| {
                Source::open(path, trust).map_err(|source| ServeError::Load {
                    path: path.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let high_water = match config.state_dir.clone().or_else(high_water::default_dir) {
            Some(dir) => HighWater::open(&dir).map_err(ServeError::State)?,
            None => HighWater::in_memory(),
        };
        for source in &sources {
            let (vault_id, node) = source.identity();
            let serial = source.snapshot().serial;
            if let Some(highest) = high_water.highest(vault_id, node)
                && serial < highest
            {
                if !config.accept_older_serial {
                    return Err(ServeError::OlderSerial {
                        path: source.path.clone(),
                        serial,
                        highest,
                        node: snapshot::node_label(node),
                        vault_id: vault_id.to_owned(),
                    });
                }
                log(&format!(
                    "serving {} at serial {serial}, older than the {highest} served before, as asked (--accept-older-serial)",
                    source.path.display()
                ));
            }
            high_water
                .record(vault_id, node, serial, config.accept_older_serial)
                .map_err(ServeError::State)?;
        }
        Ok(App {
            sources,
            metrics: metrics::Metrics::default(),
            high_water,
            metrics_elsewhere: config.metrics_listen.is_some(),
            trust: trust.to_owned(),
        })
    }

    /// Checks a presented key (header value or bare key) against the files in order: the first
    /// that knows the key answers, and its use is counted for that file.
    pub fn check(&self, presented: &str, required: &[&str]) -> Verification {
        let at = now();
        let mut answer = None;
        for source in &self.sources {
            let v = source.verify(at, presented, required);
            if v.result != Outcome::NotFound {
                if let Some(id) = &v.key_id {
                    source.usage.record(id, at);
                }
                return v;
            }
            answer = Some(v);
        }
        answer.unwrap_or(Verification {
            result: Outcome::NotFound,
            key_id: None,
            scopes: Vec::new(),
            reason: None,
        })
    }

    /// Looks at every file and reloads those that changed.
    pub fn reload_changed(&self) {
        for s in &self.sources {
            s.reload_if_changed(&self.trust, &self.metrics, &self.high_water);
        }
    }

    /// Writes the pending usage beside every file.
    pub fn flush_usage(&self) {
        let at = now();
        for s in &self.sources {
            if let Err(e) = s.usage.flush(&s.path, at) {
                log(&format!(
                    "cannot write the usage of {}: {e}",
                    s.path.display()
                ));
            }
        }
    }
}

/// One line on stderr, with the time.
pub(crate) fn log(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} keyward serve: {text}", vault::format_time(now()));
}

/// Worker threads when none are asked for: one per core but one, at least one. `serve` sits
/// beside the proxy in front of it (and often the service): on 2 cores, one worker answered
/// more checks than two, with a p99 a third as long (`cargo bench --bench serve`).
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .saturating_sub(1)
        .max(1)
}

/// How long answers under way get once Ctrl-C or SIGTERM arrives.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Runs the server until Ctrl-C or SIGTERM, then writes the usage and returns (within a
/// second). `listening` is called once with the bound address, before any request is answered.
pub fn run(config: Config, listening: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    connections::raise_file_limit();
    let app = Arc::new(App::load(&config)?);
    let threads = config
        .threads
        .filter(|n| *n > 0)
        .unwrap_or_else(default_threads);
    // One thread: tokio's current-thread scheduler, which runs the accept loop and every
    // connection on this thread, with none of the work-stealing scheduler's hand-offs between
    // the thread that accepts and the one that answers (a shorter tail, `cargo bench --bench
    // serve`). Blocking work (usage writes) still goes to tokio's blocking pool either way.
    let mut runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    };
    let runtime = runtime.enable_all().build().map_err(ServeError::Runtime)?;
    let stop = Arc::new(AtomicBool::new(false));
    let reloader = spawn_reloader(Arc::clone(&app), Arc::clone(&stop));
    let result = runtime.block_on(serve(Arc::clone(&app), &config, listening));
    stop.store(true, Ordering::Relaxed);
    if let Some((handle, wake)) = reloader {
        let _ = wake.send(());
        let _ = handle.join();
    }
    app.flush_usage();
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// Pending connections the kernel may queue before `accept` (clamped by `somaxconn`): a burst
/// of clients is queued rather than dropped and retried seconds later.
const LISTEN_BACKLOG: u32 = 4096;

async fn bind(listen: &str) -> Result<(tokio::net::TcpListener, SocketAddr), ServeError> {
    let listen_error = |source| ServeError::Listen {
        listen: listen.to_owned(),
        source,
    };
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address to listen on");
    for addr in tokio::net::lookup_host(listen)
        .await
        .map_err(listen_error)?
    {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        };
        let bound = socket.and_then(|socket| {
            #[cfg(unix)]
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(LISTEN_BACKLOG)
        });
        match bound {
            Ok(listener) => {
                let addr = listener.local_addr().map_err(listen_error)?;
                return Ok((listener, addr));
            }
            Err(e) => last = e,
        }
    }
    Err(listen_error(last))
}

async fn serve(
    app: Arc<App>,
    config: &Config,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let (listener, addr) = bind(&config.listen).await?;
    let metrics_listener = match &config.metrics_listen {
        Some(listen) => Some(bind(listen).await?),
        None => None,
    };
    let files: Vec<String> = app
        .sources
        .iter()
        .map(|s| {
            format!(
                "{} ({})",
                s.path.display(),
                crate::numbers::count_of(s.snapshot().keys, "key hash", "key hashes")
            )
        })
        .collect();
    log(&format!("serving {}", files.join(", ")));
    if let Some((_, addr)) = &metrics_listener {
        log(&format!("metrics on http://{addr}/metrics"));
    }
    listening(addr);

    let flusher = {
        let app = Arc::clone(&app);
        let every = config.usage_every.max(Duration::from_millis(100));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let app = Arc::clone(&app);
                let _ = tokio::task::spawn_blocking(move || app.flush_usage()).await;
            }
        })
    };

    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let stats = Arc::clone(&app.metrics.connections);
    let fast: connections::FastPath = {
        let app = Arc::clone(&app);
        Arc::new(move |request| routes::fast_path(&app, request))
    };
    let main = tokio::spawn(connections::serve(
        listener,
        routes::router(Arc::clone(&app)),
        Some(fast),
        config.limits,
        Arc::clone(&stats),
        stopping_rx.clone(),
        SHUTDOWN_GRACE,
    ));
    let metrics_server = metrics_listener.map(|(listener, _)| {
        tokio::spawn(connections::serve(
            listener,
            routes::metrics_router(Arc::clone(&app)),
            None,
            config.limits,
            Arc::new(connections::ConnectionStats::default()),
            stopping_rx,
            SHUTDOWN_GRACE,
        ))
    });
    shutdown_signal().await;
    log("stopping");
    let _ = stopping_tx.send(true);
    let _ = main.await;
    if let Some(m) = metrics_server {
        let _ = m.await;
    }
    flusher.abort();
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Watches the folders of the verifier files (a publish writes a temporary file and renames it
/// over the old one) and also looks every [`POLL_INTERVAL`]: a changed file is reloaded within
/// about a second either way.
/// Returns the thread and a sender that wakes it (to see `stop` at once).
fn spawn_reloader(
    app: Arc<App>,
    stop: Arc<AtomicBool>,
) -> Option<(std::thread::JoinHandle<()>, std::sync::mpsc::Sender<()>)> {
    use notify::Watcher as _;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let wake = tx.clone();
    let watcher = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
        let _ = tx.send(());
    });
    let watcher = match watcher {
        Ok(mut w) => {
            let mut folders: Vec<PathBuf> = app
                .sources
                .iter()
                .filter_map(|s| s.path.parent().map(PathBuf::from))
                .collect();
            folders.sort();
            folders.dedup();
            for folder in folders {
                if let Err(e) = w.watch(&folder, notify::RecursiveMode::NonRecursive) {
                    log(&format!(
                        "cannot watch {} ({e}); looking every second instead",
                        folder.display()
                    ));
                }
            }
            Some(w)
        }
        Err(e) => {
            log(&format!(
                "no file watcher ({e}); looking every second instead"
            ));
            None
        }
    };
    std::thread::Builder::new()
        .name("keyward-reload".into())
        .spawn(move || {
            let _watcher = watcher;
            while !stop.load(Ordering::Relaxed) {
                match rx.recv_timeout(POLL_INTERVAL) {
                    Ok(()) => while rx.try_recv().is_ok() {},
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        std::thread::sleep(POLL_INTERVAL)
                    }
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                app.reload_changed();
            }
        })
        .ok()
        .map(|handle| (handle, wake))
}
