//! A real-browser test: the `basic` fixture is built under a `/results/` base path, served
//! over HTTP on the loopback interface, and driven with Debian's headless Chromium through
//! the DevTools protocol (`headless_chrome`). It checks the page language, the language
//! switcher on the home page and on an entry page, and saves screenshots of the home page at
//! a phone and a desktop width under `target/screenshots/`.
//!
//! Chromium is required: CI installs it (`.ci/run`), and the test fails without it.

mod common;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gazette::BuildOptions;
use headless_chrome::protocol::cdp::{Emulation, Page};
use headless_chrome::{Browser, LaunchOptions, Tab};

use common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long any single wait (launch, navigation, element, script) may take.
const TIMEOUT: Duration = Duration::from_secs(30);

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------------------------------
// A small static file server for the built site.
// ---------------------------------------------------------------------------------------

/// Connections accepted before the server stops by itself.
const MAX_CONNECTIONS: usize = 1000;
/// Largest request head read.
const MAX_REQUEST: usize = 16 * 1024;

/// Serves `<root>/<path>` at `/results/<path>` on 127.0.0.1 with an ephemeral port, one
/// thread per connection, one request per connection. Stops when dropped.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// (status, path) of every request answered, in order.
    log: Arc<Mutex<Vec<(u16, String)>>>,
}

impl Server {
    fn start(root: PathBuf) -> Result<Server> {
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

    fn requests(&self) -> Vec<(u16, String)> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
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
            Ok(0) | Err(_) => return, // closed or idle (e.g. a preconnect): nothing to answer
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
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("js") => "text/javascript; charset=utf-8",
        Some("xml") => "application/xml",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------
// Driving Chromium.
// ---------------------------------------------------------------------------------------

fn launch(profile: &Path) -> Result<Browser> {
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        .headless(true)
        .sandbox(false)
        .enable_gpu(false)
        .user_data_dir(Some(profile.to_path_buf()))
        .window_size(Some((1280, 800)))
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

/// Evaluates `js` in the page; its value must be a string.
fn eval_string(tab: &Tab, js: &str) -> Result<String> {
    match tab.evaluate(js, false)?.value {
        Some(serde_json::Value::String(s)) => Ok(s),
        other => Err(format!("`{js}` gave {other:?}, not a string").into()),
    }
}

/// Waits until the tab shows `url` and its document has finished loading.
fn wait_for_page(tab: &Tab, url: &str) -> Result<()> {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < TIMEOUT {
        // Errors here are expected while a navigation replaces the document.
        if let Ok(state) = eval_string(tab, "location.href + ' ' + document.readyState") {
            if state == format!("{url} complete") {
                return Ok(());
            }
            last = state;
        }
        thread::sleep(Duration::from_millis(50));
    }
    Err(format!("timed out waiting for {url} to load; the tab shows: {last}").into())
}

fn open(tab: &Tab, url: &str) -> Result<()> {
    tab.navigate_to(url)?.wait_until_navigated()?;
    wait_for_page(tab, url)
}

/// Clicks the (first) element that matches `css` with the mouse, and waits for `url`.
fn click_to(tab: &Tab, css: &str, url: &str) -> Result<()> {
    tab.wait_for_element(css)?.click()?;
    wait_for_page(tab, url)
}

fn text(tab: &Tab, css: &str) -> Result<String> {
    tab.wait_for_element(css)?;
    let css = serde_json::to_string(css)?;
    eval_string(
        tab,
        &format!("document.querySelector({css}).textContent.trim()"),
    )
}

fn lang(tab: &Tab) -> Result<String> {
    eval_string(tab, "document.documentElement.lang")
}

fn set_viewport(tab: &Tab, width: u32, height: u32, mobile: bool) -> Result<()> {
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })?;
    Ok(())
}

fn number(tab: &Tab, js: &str) -> Result<u32> {
    Ok(eval_string(tab, &format!("String(Math.ceil({js}))"))?.parse()?)
}

/// Loads `url` in a viewport `width` CSS pixels wide and returns a PNG of the whole page
/// (the viewport is made as tall as the page, at least `height`).
fn screenshot(tab: &Tab, url: &str, width: u32, height: u32, mobile: bool) -> Result<Vec<u8>> {
    set_viewport(tab, width, height, mobile)?;
    open(tab, url)?;
    assert_eq!(number(tab, "window.innerWidth")?, width, "viewport width");
    let (scroll, client) = (
        number(tab, "document.documentElement.scrollWidth")?,
        number(tab, "document.documentElement.clientWidth")?,
    );
    assert!(
        scroll <= client,
        "{url} at {width}px: the page is {scroll}px wide, wider than the viewport's \
         {client}px (horizontal scrolling)"
    );
    let full = number(tab, "document.documentElement.scrollHeight")?;
    set_viewport(tab, width, full.clamp(height, 10_000), mobile)?;
    let png = tab.capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)?;
    set_viewport(tab, width, height, mobile)?;
    Ok(png)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    Some((be(&png[16..20]), be(&png[20..24])))
}

#[test]
fn language_switcher_and_layout_in_headless_chromium() -> Result<()> {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's chromium (as .ci/run does) to run this test"
    );
    let site = fixture("basic");
    let out = site.path().join("output");
    let server = Server::start(out.clone())?;
    let base = format!("http://127.0.0.1:{}/results/", server.addr.port());
    build_ok(&BuildOptions {
        base_url: Some(base.clone()),
        ..BuildOptions::new(site.path())
    });
    assert!(out.join("index.html").is_file());

    let profile = tempfile::tempdir()?;
    let browser = launch(profile.path())?;
    let tab = browser.new_tab()?;
    tab.set_default_timeout(TIMEOUT);

    // 1. The home page is in the default language.
    open(&tab, &base)?;
    assert_eq!(lang(&tab)?, "zh", "lang of {base}");

    // 2. The switcher leads to the English home page.
    let en = format!("{base}en/");
    click_to(&tab, ".lang-switch a[hreflang=en]", &en)?;
    assert_eq!(lang(&tab)?, "en", "lang of {en}");
    assert_eq!(text(&tab, ".brand")?, "Test site");

    // 3. On an entry page the switcher goes to the same entry's translation and back.
    let alpha_zh = format!("{base}releases/2024-01/alpha/");
    let alpha_en = format!("{base}en/releases/2024-01/alpha/");
    open(&tab, &alpha_zh)?;
    assert_eq!(lang(&tab)?, "zh", "lang of {alpha_zh}");
    click_to(&tab, ".lang-switch a[hreflang=en]", &alpha_en)?;
    assert_eq!(lang(&tab)?, "en", "lang of {alpha_en}");
    assert_eq!(text(&tab, "h1")?, "Alpha new material");
    assert_eq!(text(&tab, ".lang-switch a[hreflang=zh]")?, "中文");
    click_to(&tab, ".lang-switch a[hreflang=zh]", &alpha_zh)?;
    assert_eq!(lang(&tab)?, "zh", "lang of {alpha_zh}");
    assert_eq!(text(&tab, "h1")?, "阿尔法新材料");

    // 4. Screenshots of the home page at a phone and a desktop width.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .join("screenshots");
    std::fs::create_dir_all(&dir)?;
    for (name, width, height, mobile) in [
        ("home-390.png", 390, 844, true),
        ("home-1280.png", 1280, 800, false),
    ] {
        let png = screenshot(&tab, &base, width, height, mobile)?;
        let path = dir.join(name);
        std::fs::write(&path, &png)?;
        let written = std::fs::read(&path)?;
        assert!(!written.is_empty(), "{} is empty", path.display());
        let (w, h) =
            png_size(&written).unwrap_or_else(|| panic!("{} is not a PNG", path.display()));
        assert_eq!(w, width, "{} width", path.display());
        assert!(
            h >= height.min(300),
            "{} is only {h}px high",
            path.display()
        );
    }

    // Every page and stylesheet the browser asked for was there (Chromium's own
    // /favicon.ico request is outside /results/ and expected to miss).
    let requests = server.requests();
    let missing: Vec<_> = requests
        .iter()
        .filter(|(status, path)| *status != 200 && path != "/favicon.ico")
        .collect();
    assert!(missing.is_empty(), "requests that failed: {missing:?}");
    assert!(
        requests
            .iter()
            .any(|(s, p)| *s == 200 && p == "/results/style.css"),
        "the stylesheet was never loaded: {requests:?}"
    );
    Ok(())
}
