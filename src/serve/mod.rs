//! `gazette serve`: a preview server. The `engine` keeps the site built in memory and
//! rebuilds incrementally into a `snapshot`; `http` serves it on loopback with live reload
//! and an error overlay; `watch` turns file-system events into rebuilds. Nothing is written
//! to `output/`.

pub mod engine;
mod fast_path;
pub mod http;
mod image_path;
mod market_path;
pub mod packed;
pub mod patch;
pub mod patch_item;
pub mod signature;
mod snapshot;
pub mod watch;

use std::fmt;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use engine::Engine;
use http::{AppState, Notice};

/// What `gazette serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub open: bool,
}

/// Why the server could not run.
#[derive(Debug)]
pub enum ServeError {
    PortInUse(SocketAddr),
    Bind(SocketAddr, std::io::Error),
    Watch(String),
    Runtime(std::io::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::PortInUse(a) => write!(
                f,
                "{a} is already in use (is another `gazette serve` running?); try `--port {}` or `--port 0` for any free port",
                a.port().wrapping_add(1)
            ),
            ServeError::Bind(a, e) => write!(f, "cannot listen on {a}: {e}"),
            ServeError::Watch(e) => write!(f, "cannot watch the site's files: {e}"),
            ServeError::Runtime(e) => write!(f, "server error: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Rebuild (after changes to `changed`, or from scratch) and tell every open page.
fn publish(state: &AppState, engine: &mut Engine, changed: Option<&[PathBuf]>, quiet: bool) {
    let started = Instant::now();
    let result = match changed {
        Some(paths) => engine.rebuild_changed(paths),
        None => engine.rebuild(),
    };
    match result {
        Ok(report) => {
            if let Ok(mut s) = state.snapshot.write() {
                *s = engine.snapshot();
            }
            let had_error = state
                .error
                .write()
                .map(|mut e| e.take().is_some())
                .unwrap_or(false);
            let notice = if report.css_only && !had_error {
                Notice::Css
            } else {
                let n = state
                    .build
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                    + 1;
                Notice::Reload(n)
            };
            let _ = state.notices.send(notice);
            if !quiet {
                eprintln!(
                    "rebuilt in {:.1} ms: {} files checked, {} of {} pages rendered",
                    started.elapsed().as_secs_f64() * 1000.0,
                    report.files_checked,
                    report.rendered,
                    report.pages
                );
            }
        }
        Err(f) => {
            let text = f.report();
            eprint!("{text}");
            eprintln!(
                "build failed: {} error(s); still serving the last good build",
                f.errors()
            );
            if let Ok(mut e) = state.error.write() {
                *e = Some(text.clone());
            }
            let _ = state.notices.send(Notice::Failed(text));
        }
    }
}

/// Run the preview server until Ctrl-C.
pub fn serve(opts: &ServeOptions) -> Result<(), ServeError> {
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = TcpListener::bind(addr).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            ServeError::PortInUse(addr)
        } else {
            ServeError::Bind(addr, e)
        }
    })?;
    let local = listener.local_addr().map_err(ServeError::Runtime)?;
    listener
        .set_nonblocking(true)
        .map_err(ServeError::Runtime)?;
    let base = format!("http://{local}/");
    let root = std::fs::canonicalize(&opts.root).unwrap_or(opts.root.clone());
    let mut engine = Engine::new(&root, &base);
    let (notices, _) = tokio::sync::broadcast::channel(64);
    let state = Arc::new(AppState {
        snapshot: RwLock::new(None),
        error: RwLock::new(None),
        notices,
        build: std::sync::atomic::AtomicU64::new(0),
    });
    publish(&state, &mut engine, None, false);
    let (_watcher, changes) = watch::watch(&root).map_err(|e| ServeError::Watch(e.to_string()))?;
    let watcher_state = state.clone();
    std::thread::spawn(move || {
        while let Ok(mut paths) = changes.recv() {
            // Everything that arrived meanwhile goes into the same rebuild.
            while let Ok(more) = changes.try_recv() {
                paths.extend(more);
            }
            publish(&watcher_state, &mut engine, Some(&paths), false);
        }
    });
    eprintln!("serving {} at {base} (Ctrl-C to stop)", root.display());
    if opts.open {
        let _ = std::process::Command::new("xdg-open").arg(&base).spawn();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(ServeError::Runtime)?;
        let notices = state.notices.clone();
        // Listen for Ctrl-C before the first request is answered: `ctrl_c()` only starts
        // listening when first polled, which the server may do after serving a page, and
        // a SIGINT before that killed the process instead of stopping it cleanly.
        #[cfg(unix)]
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(ServeError::Runtime)?;
        let server =
            axum::serve(listener, http::router(state)).with_graceful_shutdown(async move {
                #[cfg(unix)]
                interrupt.recv().await;
                #[cfg(not(unix))]
                let _ = tokio::signal::ctrl_c().await;
                eprintln!("stopping");
                // End every page's event stream, so shutdown does not wait for open tabs.
                let _ = notices.send(Notice::Shutdown);
            });
        server.await.map_err(ServeError::Runtime)
    })
}
