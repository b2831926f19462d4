//! Shared by the headless-Chromium tests: a small static file server for a built site (only
//! GET/HEAD, only files under the output folder, bounded in connections) and launching
//! Debian's Chromium with the flags this machine needs.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use headless_chrome::{Browser, LaunchOptions, Tab};

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long any single wait (launch, navigation, element, search) may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------------------------------
// A small static file server for the built site (as in tests/browser.rs).
// ---------------------------------------------------------------------------------------

const MAX_CONNECTIONS: usize = 2000;
const MAX_REQUEST: usize = 16 * 1024;

/// Serves `<root>/<path>` at `/results/<path>` on 127.0.0.1 with an ephemeral port, one
/// thread per connection, one request per connection. Stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// (status, path) of every request answered, in order.
    log: Arc<Mutex<Vec<(u16, String)>>>,
}

impl Server {
    pub fn start(root: PathBuf) -> Result<Server> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, log) = (Arc::clone(&stop), Arc::clone(&log));
            thread::spawn(move || {
                for conn in listener.incoming().take(MAX_CONNECTIONS) {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    if !stream.peer_addr().is_ok_and(|a| a.ip().is_loopback()) {
                        continue;
                    }
                    let (root, log) = (root.clone(), Arc::clone(&log));
                    thread::spawn(move || serve(stream, &root, &log));
                }
            })
        };
        Ok(Server {
            addr,
            stop,
            thread: Some(thread),
            log,
        })
    }

    pub fn requests(&self) -> Vec<(u16, String)> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, root: &Path, log: &Mutex<Vec<(u16, String)>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > MAX_REQUEST {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next().unwrap_or("").split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    let (status, content_type, body) = if method != "GET" && method != "HEAD" {
        (
            405,
            "text/plain; charset=utf-8",
            b"method not allowed".to_vec(),
        )
    } else {
        match resolve(root, path).and_then(|f| Some((std::fs::read(&f).ok()?, f))) {
            Some((body, file)) => (200, content_type(&file), body),
            None => (404, "text/plain; charset=utf-8", b"not found".to_vec()),
        }
    };
    log.lock().unwrap().push((status, path.to_string()));
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        response.extend_from_slice(&body);
    }
    let _ = stream.write_all(&response);
    let _ = stream.flush();
}

/// `/results/<path>` → `<root>/<path>`, `<dir>/` → `<dir>/index.html`; `None` for anything
/// outside `/results/`, any `..`, or a file that does not exist.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let rest = percent_decode(url_path.strip_prefix("/results/")?)?;
    let rel = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest
    };
    let rel = Path::new(&rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) || rel.has_root() {
        return None;
    }
    let file = root.join(rel);
    file.is_file().then_some(file)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).ok()?;
    (!s.contains(['\0', '\\'])).then_some(s)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(OsStr::to_str) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("xml") => "application/xml",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------
// Driving Chromium.
// ---------------------------------------------------------------------------------------

pub fn launch(profile: &Path) -> Result<Browser> {
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        .headless(true)
        .sandbox(false)
        .enable_gpu(false)
        .user_data_dir(Some(profile.to_path_buf()))
        .window_size(Some((1280, 900)))
        .idle_browser_timeout(Duration::from_secs(120))
        .args(
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ]
            .map(OsStr::new)
            .to_vec(),
        )
        .build()?;
    Ok(Browser::new(options)?)
}

/// Polls `js` (a string expression) until it equals `want`.
pub fn wait_until(tab: &Tab, js: &str, want: &str) -> Result<()> {
    let start = std::time::Instant::now();
    let mut last = String::new();
    while start.elapsed() < TIMEOUT {
        // Errors are expected while a navigation replaces the document.
        if let Ok(v) = eval_string(tab, js) {
            if v == want {
                return Ok(());
            }
            last = v;
        }
        thread::sleep(Duration::from_millis(50));
    }
    Err(format!("timed out waiting for `{js}` to be {want:?}; it is {last:?}").into())
}

pub fn eval_string(tab: &Tab, js: &str) -> Result<String> {
    match tab.evaluate(js, false)?.value {
        Some(serde_json::Value::String(s)) => Ok(s),
        other => Err(format!("`{js}` gave {other:?}, not a string").into()),
    }
}
