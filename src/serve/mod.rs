//! `keyward serve`: checks keys over HTTP against verifier files, for services in any language
//! and for proxies (nginx `auth_request`, Traefik `forwardAuth`, Envoy `ext_authz`).
//!
//! One file per concept: `routes` (the endpoints), `snapshot` (a loaded verifier file and its
//! hot reload), `usage` (per-key counts written back beside each file), `metrics`. No vault and
//! no passphrase: only verifier files and the public key they must be signed with.

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

pub use metrics::RESULTS;
pub use routes::{KEY_ID_HEADER, MAX_BODY, RESULT_HEADER, SCOPES_HEADER};
pub use snapshot::{Snapshot, Source, load_snapshot};

/// How often a verifier file is looked at even without a change notification.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// What `keyward serve` was asked to do.
#[derive(Clone, Debug)]
pub struct Config {
    /// Verifier files; a key is looked up in each, in order.
    pub verifiers: Vec<PathBuf>,
    /// The public key (`kwpk_…`) the files must be signed with.
    pub trust: String,
    /// `host:port` to listen on (port 0: any free port).
    pub listen: String,
    /// Worker threads (default: one per core).
    pub threads: Option<usize>,
    /// How often usage is written back beside each verifier file.
    pub usage_every: Duration,
}

impl Config {
    pub fn new(verifiers: Vec<PathBuf>, trust: impl Into<String>) -> Config {
        Config {
            verifiers,
            trust: trust.into(),
            listen: "127.0.0.1:8787".into(),
            threads: None,
            usage_every: Duration::from_secs(10),
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
}

/// Shared by every request.
pub struct App {
    pub sources: Vec<Source>,
    pub metrics: metrics::Metrics,
    trust: String,
}

impl App {
    /// Loads every verifier file; any that does not load stops the start.
    pub fn load(config: &Config) -> Result<App, ServeError> {
        if config.verifiers.is_empty() {
            return Err(ServeError::NoVerifier);
        }
        let trust = config.trust.trim();
        if !trust.starts_with("kwpk_") || trust.len() <= "kwpk_".len() {
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
        Ok(App {
            sources,
            metrics: metrics::Metrics::default(),
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
            s.reload_if_changed(&self.trust, &self.metrics);
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

/// Runs the server until Ctrl-C or SIGTERM, then writes the usage and returns. `listening` is
/// called once with the bound address, before any request is answered.
pub fn run(config: Config, listening: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let app = Arc::new(App::load(&config)?);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.threads.filter(|n| *n > 0) {
        runtime.worker_threads(n);
    }
    let runtime = runtime.enable_all().build().map_err(ServeError::Runtime)?;
    let stop = Arc::new(AtomicBool::new(false));
    let reloader = spawn_reloader(Arc::clone(&app), Arc::clone(&stop));
    let result = runtime.block_on(serve(Arc::clone(&app), &config, listening));
    stop.store(true, Ordering::Relaxed);
    app.flush_usage();
    if let Some(handle) = reloader {
        let _ = handle.join();
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn serve(
    app: Arc<App>,
    config: &Config,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listen_error = |source| ServeError::Listen {
        listen: config.listen.clone(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(config.listen.as_str())
        .await
        .map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    let files: Vec<String> = app
        .sources
        .iter()
        .map(|s| format!("{} ({} key hashes)", s.path.display(), s.snapshot().keys))
        .collect();
    log(&format!("serving {}", files.join(", ")));
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

    use axum::serve::ListenerExt as _;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, routes::router(app)).with_graceful_shutdown(async move {
        shutdown_signal().await;
        log("stopping");
        let _ = stopping_tx.send(true);
    });
    let server = std::future::IntoFuture::into_future(server);
    // Connections that stay open after the signal get a few seconds, then are dropped.
    let deadline = async move {
        let mut rx = stopping_rx;
        let _ = rx.wait_for(|s| *s).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    };
    tokio::select! {
        r = server => { r.map_err(ServeError::Runtime)?; }
        () = deadline => {}
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
fn spawn_reloader(app: Arc<App>, stop: Arc<AtomicBool>) -> Option<std::thread::JoinHandle<()>> {
    use notify::Watcher as _;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
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
                app.reload_changed();
            }
        })
        .ok()
}
