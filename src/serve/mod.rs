//! `keyward serve`: checks keys over HTTP against verifier files, for services in any language
//! and for proxies (nginx `auth_request`, Traefik `forwardAuth`, Envoy `ext_authz`).
//!
//! One file per concept: `config` and `error` (what was asked, why it could not start), `app`
//! (what every request shares: the files, checks, reloads), `routes` (the endpoints),
//! `connections` (accepting, caps and deadlines), `snapshot` (a loaded verifier file and its
//! hot reload), `refusal` (why a reload was refused), `high_water` (serials across restarts),
//! `usage` (per-key counts written back beside each file), `metrics`, `fleet` (rate limits and
//! credits shared through Redis, `--limits`), `access_log` (a JSON line per check,
//! `--access-log`); `lock` and `stderr` are the small helpers they share. This file only wires
//! them and runs the server: no module
//! here imports it. No vault and no passphrase: only verifier files and the public key they
//! must be signed with.

mod access_log;
mod app;
mod config;
mod connections;
mod credits;
mod error;
mod fleet;
mod high_water;
mod lock;
mod metrics;
mod refusal;
mod routes;
mod snapshot;
mod stderr;
mod usage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use access_log::{AccessLog, Check as AccessLogCheck};
pub use app::App;
pub use config::Config;
pub use connections::Limits;
pub use error::ServeError;
pub use fleet::{CreditAnswer, FailMode, FleetAnswer, FleetError, FleetLimits};
pub use high_water::{HighWater, default_dir as default_state_dir};
pub use metrics::{CheckResult, RESULTS};
pub use refusal::{Refusal, RefusalReason};
pub use routes::{KEY_ID_HEADER, MAX_BODY, RESULT_HEADER, SCOPES_HEADER};
pub use snapshot::{Snapshot, Source, load_snapshot};
use stderr::log;

/// How often a verifier file is looked at even without a change notification.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

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
    let mut app = App::load(&config)?;
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
    if let Some(url) = &config.fleet {
        let fleet = runtime
            .block_on(FleetLimits::connect(url, config.fleet_fail))
            .map_err(ServeError::Fleet)?;
        let fleet = Arc::new(fleet);
        app.metrics.limits_backend(Arc::clone(&fleet));
        app.fleet = Some(fleet);
    }
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let reloader = spawn_reloader(Arc::clone(&app), Arc::clone(&stop));
    let result = runtime.block_on(serve(Arc::clone(&app), &config, listening));
    stop.store(true, Ordering::Relaxed);
    if let Some((handle, wake)) = reloader {
        let _ = wake.send(());
        let _ = handle.join();
    }
    app.flush_usage();
    if let Some(access_log) = &app.access_log {
        access_log.close();
    }
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
        Arc::new(move |request, peer| routes::fast_path(&app, request, peer))
    };
    let main = tokio::spawn(connections::serve(
        listener,
        fleet::with_limits_health(routes::router(Arc::clone(&app)), Arc::clone(&app)),
        Some(fast),
        config.limits,
        Arc::clone(&stats),
        stopping_rx.clone(),
        SHUTDOWN_GRACE,
    ));
    let metrics_server = metrics_listener.map(|(listener, _)| {
        tokio::spawn(connections::serve(
            listener,
            fleet::with_limits_health(routes::metrics_router(Arc::clone(&app)), Arc::clone(&app)),
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
