//! The preview server's HTTP side (axum): serves the current snapshot from memory, only
//! GET and HEAD, only paths the build produced (so nothing outside the site, no dotfiles,
//! no symlinks out), the site's 404 page with status 404, and `/__gazette/events`, a
//! server-sent-events stream telling pages to reload or to show the build error.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;

use crate::serve::engine::{Served, Snapshot};

/// What pages are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A new build (its number) is ready.
    Reload(u64),
    Css,
    /// The build failed; the text is shown in the overlay.
    Failed(String),
    /// The server is stopping: event streams end so shutdown does not wait for open pages.
    Shutdown,
}

/// Shared between the watcher (writer) and the handlers (readers).
pub struct AppState {
    pub snapshot: RwLock<Option<Arc<Snapshot>>>,
    /// The current build error, shown to pages that connect while it lasts.
    pub error: RwLock<Option<String>>,
    pub notices: broadcast::Sender<Notice>,
    /// Number of the current good build; pages carry the number they were served with and
    /// reload when they connect to a newer one (so a rebuild between serving a page and its
    /// connecting is never missed).
    pub build: std::sync::atomic::AtomicU64,
}

pub const CLIENT_JS: &str = include_str!("client.js");
fn script_tag(build: u64) -> String {
    format!("<script src=\"/__gazette/client.js\" data-build=\"{build}\"></script>")
}

/// The router for the preview.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/__gazette/events", axum::routing::get(events))
        .route("/__gazette/client.js", axum::routing::get(client_js))
        .fallback(serve_path)
        .with_state(state)
}

async fn client_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        CLIENT_JS,
    )
}

fn notice_event(n: &Notice) -> Event {
    match n {
        Notice::Reload(build) => Event::default().event("reload").data(build.to_string()),
        Notice::Shutdown => Event::default().event("bye").data("bye"),
        Notice::Css => Event::default().event("css").data("css"),
        Notice::Failed(text) => Event::default()
            .event("failed")
            .data(serde_json::json!({ "text": text }).to_string()),
    }
}

async fn events(
    State(state): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe first, then read the state: a change in between is then seen twice at
    // worst, never missed.
    let rx = state.notices.subscribe();
    let build = state.build.load(std::sync::atomic::Ordering::SeqCst);
    let first = match state.error.read().ok().and_then(|e| e.clone()) {
        Some(text) => notice_event(&Notice::Failed(text)),
        None => Event::default().event("ok").data(build.to_string()),
    };
    let updates = stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(Notice::Shutdown) => return None,
                Ok(n) => return Some((Ok(notice_event(&n)), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream::once(async move { Ok(first) }).chain(updates)).keep_alive(KeepAlive::default())
}

/// Percent-decode a URL path; `None` for invalid UTF-8 or encoded NUL.
fn decode_path(p: &str) -> Option<String> {
    let bytes = p.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            let b = u8::from_str_radix(hex, 16).ok()?;
            if b == 0 {
                return None;
            }
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The output path for a request path, or `None` if it can never name a site file.
pub fn output_path(request: &str) -> Option<String> {
    let decoded = decode_path(request)?;
    let rel = decoded.trim_start_matches('/');
    for seg in rel.split('/') {
        if seg == ".." || seg == "." || seg.starts_with('.') || seg.contains('\\') {
            return None;
        }
    }
    Some(if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    })
}

fn mime_for(path: &str) -> String {
    let m = mime_guess::from_path(path).first_or_octet_stream();
    let s = m.essence_str().to_string();
    if s.starts_with("text/")
        || s == "application/javascript"
        || s == "application/json"
        || s == "image/svg+xml"
        || s.ends_with("+xml")
    {
        format!("{s}; charset=utf-8")
    } else {
        s
    }
}

fn with_script(html: &[u8], build: u64) -> Vec<u8> {
    let text = String::from_utf8_lossy(html);
    let tag = script_tag(build);
    match text.rfind("</body>") {
        Some(i) => format!("{}{tag}{}", &text[..i], &text[i..]).into_bytes(),
        None => format!("{text}{tag}").into_bytes(),
    }
}

async fn load(served: Served) -> Option<Vec<u8>> {
    match served {
        // Pages are unpacked for each request, so the bytes are usually this request's own.
        Served::Bytes(b) => Some(Arc::try_unwrap(b).unwrap_or_else(|b| b.as_ref().clone())),
        Served::File(path) => {
            // Never follow a link that replaced a planned file.
            let meta = tokio::fs::symlink_metadata(&path).await.ok()?;
            if !meta.is_file() {
                return None;
            }
            tokio::fs::read(&path).await.ok()
        }
    }
}

fn respond(status: StatusCode, path: &str, bytes: Vec<u8>, head: bool, build: u64) -> Response {
    let mime = mime_for(path);
    let body = if mime.starts_with("text/html") {
        with_script(&bytes, build)
    } else {
        bytes
    };
    let len = body.len();
    let mut r = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

async fn serve_path(State(state): State<Arc<AppState>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n").into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let head = method == Method::HEAD;
    let build = state.build.load(std::sync::atomic::Ordering::SeqCst);
    let snapshot = state.snapshot.read().ok().and_then(|s| s.clone());
    let Some(snapshot) = snapshot else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the site has not built yet; see the terminal\n",
        )
            .into_response();
    };
    if let Some(path) = output_path(uri.path()) {
        if let Some(served) = snapshot.get(&path)
            && let Some(bytes) = load(served).await
        {
            return respond(StatusCode::OK, &path, bytes, head, build);
        }
        // `/releases/x` → `/releases/x/` when that is a page.
        if !uri.path().ends_with('/') && snapshot.get(&format!("{path}/index.html")).is_some() {
            let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("{}/", uri.path())) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
    }
    match snapshot.get("404.html") {
        Some(served) => match load(served).await {
            Some(bytes) => respond(StatusCode::NOT_FOUND, "404.html", bytes, head, build),
            None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        },
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_never_leave_the_site() {
        assert_eq!(output_path("/").as_deref(), Some("index.html"));
        assert_eq!(
            output_path("/releases/a/").as_deref(),
            Some("releases/a/index.html")
        );
        assert_eq!(output_path("/style.css").as_deref(), Some("style.css"));
        assert_eq!(output_path("/%E4%B8%AD.pdf").as_deref(), Some("中.pdf"));
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/a/%2E%2E/b",
            "/.git/config",
            "/a%00b",
            "/a%5c..%5cb",
            "/.gazette-output",
        ] {
            assert_eq!(output_path(bad), None, "{bad}");
        }
    }
}
