//! The preview server in a real browser: `gazette serve` runs on a temporary copy of the
//! `basic` fixture, and Debian's headless Chromium (driven over the DevTools protocol with
//! `headless_chrome`) shows an entry page. Editing the entry's file must reload the page by
//! itself; breaking it must show the error overlay over the last good build; fixing it must
//! take the overlay away. Drafts are shown in the preview. A screenshot of the overlay is
//! saved as `target/screenshots/serve-overlay.png`.
//!
//! Chromium is required: CI installs it (`.ci/run`), and the test fails without it.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::Page;
use headless_chrome::{Browser, Tab};

use common::browser::{CHROMIUM, Result, eval_string, launch};
use common::fixture;

/// How long the server may take to start, and any single browser step (launch, navigation).
const STARTUP: Duration = Duration::from_secs(30);
/// How long a page may take to follow a change to the site (reload, overlay).
const FOLLOW: Duration = Duration::from_secs(15);
/// How often a condition is checked while waiting for it.
const POLL: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------------------------------
// The `gazette serve` child process.
// ---------------------------------------------------------------------------------------

/// Lines the server wrote to stderr so far, and whether it has closed stderr (exited).
#[derive(Default)]
struct Log {
    lines: Vec<String>,
    closed: bool,
}

/// A running `gazette serve`, killed (and waited for) when dropped, whatever happens.
struct ServeGuard {
    child: Child,
    log: Arc<(Mutex<Log>, Condvar)>,
    reader: Option<JoinHandle<()>>,
}

impl ServeGuard {
    fn start(root: &Path) -> Result<ServeGuard> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gazette"))
            .arg("serve")
            .arg("--root")
            .arg(root)
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new((Mutex::new(Log::default()), Condvar::new()));
        let reader = {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                let (lock, changed) = &*log;
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    lock.lock().unwrap().lines.push(line);
                    changed.notify_all();
                }
                lock.lock().unwrap().closed = true;
                changed.notify_all();
            })
        };
        Ok(ServeGuard {
            child,
            log,
            reader: Some(reader),
        })
    }

    /// Everything the server wrote to stderr so far.
    fn stderr(&self) -> String {
        self.log.0.lock().unwrap().lines.join("\n")
    }

    /// Waits until a stderr line (at index `from` or later) satisfies `pred`, and returns it.
    fn wait_for_line(
        &self,
        from: usize,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.log;
        let mut log = lock.lock().unwrap();
        loop {
            if let Some(line) = log.lines.iter().skip(from).find(|l| pred(l)) {
                return Ok(line.clone());
            }
            if log.closed {
                return Err(format!("gazette serve exited before printing {what}").into());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("timed out after {timeout:?} waiting for {what}").into());
            }
            log = changed.wait_timeout(log, deadline - now).unwrap().0;
        }
    }

    fn line_count(&self) -> usize {
        self.log.0.lock().unwrap().lines.len()
    }

    /// Waits for `serving <dir> at http://127.0.0.1:<port>/ (Ctrl-C to stop)`; the URL.
    fn wait_for_url(&self) -> Result<String> {
        let line = self.wait_for_line(0, STARTUP, "the `serving … at …` line", |l| {
            l.starts_with("serving ") && l.contains(" at http://")
        })?;
        let url = line
            .rsplit_once(" at ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .filter(|u| u.starts_with("http://127.0.0.1:") && u.ends_with('/'))
            .ok_or_else(|| format!("no loopback URL in {line:?}"))?;
        Ok(url.to_string())
    }

    /// Has the server exited (crashed) already?
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for ServeGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The server's stderr closes with it, which ends the reader.
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        if thread::panicking() {
            eprintln!("--- gazette serve stderr ---\n{}", self.stderr());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Chromium.
// ---------------------------------------------------------------------------------------

/// Runs before every document's own scripts: records, per document, the events its
/// EventSources receive (so the test knows when the page is listening to the server), and
/// counts the documents loaded in this tab (so a reload can be told from a DOM change).
const INSTRUMENT: &str = r#"(function () {
  var loads = Number(sessionStorage.getItem("gazetteTestLoads") || "0") + 1;
  sessionStorage.setItem("gazetteTestLoads", String(loads));
  var seen = { loads: loads, events: [] };
  window.__gazetteTest = seen;
  var Native = window.EventSource;
  if (!Native) return;
  window.EventSource = function (url, init) {
    var es = new Native(url, init);
    ["ok", "failed", "reload", "css"].forEach(function (t) {
      es.addEventListener(t, function () { seen.events.push(t); });
    });
    return es;
  };
  window.EventSource.prototype = Native.prototype;
})();"#;

/// A headless Chromium that is closed when dropped, with every process it started.
struct ChromiumGuard {
    browser: Option<Browser>,
    /// `--user-data-dir=<profile>`, on the command line of (nearly) all its processes.
    profile_arg: String,
}

impl ChromiumGuard {
    fn launch(profile: &Path) -> Result<ChromiumGuard> {
        Ok(ChromiumGuard {
            browser: Some(launch(profile)?),
            profile_arg: format!("--user-data-dir={}", profile.display()),
        })
    }

    fn browser(&self) -> &Browser {
        self.browser.as_ref().expect("the browser is open")
    }

    /// Closes the browser and waits for all its processes to end; any still there after
    /// that are killed (by process id) and returned.
    fn close(&mut self) -> Vec<u32> {
        let Some(browser) = self.browser.take() else {
            return Vec::new();
        };
        let mut family: Vec<u32> = browser
            .get_process_id()
            .map(|pid| {
                let mut all = descendants(pid);
                all.push(pid);
                all
            })
            .unwrap_or_default();
        for pid in with_arg(&self.profile_arg) {
            if !family.contains(&pid) {
                family.push(pid);
            }
        }
        // Ask Chromium to quit, so that it ends (and reaps) its own child processes, and give
        // it a moment; dropping the browser then kills the main process and waits for it.
        // (Killed first, its children would be orphaned and could be left as zombies.)
        for tab in browser
            .get_tabs()
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
        {
            let _ = tab.call_method(headless_chrome::protocol::cdp::Browser::Close(None));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && family.iter().any(|&p| is_running(p)) {
            thread::sleep(POLL);
        }
        drop(browser);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut left: Vec<u32> = family.clone();
        while !left.is_empty() && Instant::now() < deadline {
            left.retain(|&p| is_running(p));
            if !left.is_empty() {
                thread::sleep(POLL);
            }
        }
        left.retain(|&p| is_running(p));
        for &pid in &left {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
        left
    }
}

impl Drop for ChromiumGuard {
    fn drop(&mut self) {
        let left = self.close();
        if !left.is_empty() {
            eprintln!("killed Chromium processes left running: {left:?}");
        }
    }
}

/// The parent process id and state from `/proc/<pid>/stat`.
fn stat(pid: u32) -> Option<(u32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`; comm may contain spaces and parentheses.
    let mut rest = text.get(text.rfind(')')? + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((ppid, state))
}

/// Is `pid` a live (not zombie) Chromium process?
fn is_running(pid: u32) -> bool {
    let is_chromium = std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| String::from_utf8_lossy(&c).contains("chromium"));
    is_chromium && stat(pid).is_some_and(|(_, state)| state != 'Z' && state != 'X')
}

/// Every process whose command line has the argument `arg`.
fn with_arg(arg: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == arg.as_bytes()))
        })
        .collect()
}

/// Every process below `root` in the process tree.
fn descendants(root: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parents: Vec<(u32, u32)> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?.0)))
        .collect();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    out.remove(0);
    out
}

/// Evaluates `js` (which must give a JSON string) until `check` accepts its value, and
/// returns that value. Errors from the page (e.g. while it reloads) count as "not yet".
fn wait_for<T>(
    tab: &Tab,
    timeout: Duration,
    what: &str,
    js: &str,
    check: impl Fn(&serde_json::Value) -> Option<T>,
) -> Result<T> {
    let start = Instant::now();
    let mut last;
    loop {
        match eval_string(tab, js) {
            Ok(json) => match serde_json::from_str::<serde_json::Value>(&json) {
                Ok(v) => {
                    if let Some(t) = check(&v) {
                        return Ok(t);
                    }
                    last = json;
                }
                Err(e) => last = format!("{json}: {e}"),
            },
            Err(e) => last = format!("error: {e}"),
        }
        if start.elapsed() >= timeout {
            return Err(format!(
                "timed out after {timeout:?} waiting for {what}; the page last gave: {last}"
            )
            .into());
        }
        thread::sleep(POLL);
    }
}

/// What the test looks at on an entry page, as JSON.
const STATE: &str = r#"JSON.stringify((function () {
  var h1 = document.querySelector("h1");
  var trl = document.querySelector(".field-trl dd");
  var overlay = document.getElementById("gazette-error-overlay");
  var pre = overlay && overlay.querySelector("pre");
  var t = window.__gazetteTest || { loads: 0, events: [] };
  return {
    href: location.href,
    ready: document.readyState,
    h1: h1 && h1.textContent.trim(),
    trl: trl && trl.textContent.trim(),
    overlay: overlay !== null,
    overlayText: pre && pre.textContent,
    loads: t.loads,
    events: t.events
  };
})())"#;

fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str()
}

/// Opens `url` and waits until the page is loaded and its live-reload connection has had
/// the server's first event (`ok`). The server only tells a page about rebuilds that happen
/// after its event stream connected (a change saved while the page loads is never reported
/// to it), so the test must not touch the site before then.
fn open_and_listen(tab: &Tab, url: &str) -> Result<serde_json::Value> {
    tab.navigate_to(url)?.wait_until_navigated()?;
    wait_for(
        tab,
        STARTUP,
        &format!("{url} to load and listen"),
        STATE,
        |v| {
            let listening = v["events"].as_array().is_some_and(|e| !e.is_empty());
            (str_of(v, "href") == Some(url) && str_of(v, "ready") == Some("complete") && listening)
                .then(|| v.clone())
        },
    )
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    Some((be(&png[16..20]), be(&png[20..24])))
}

/// Rewrites `path` whole (a new modification time) with `from` replaced by `to`.
fn edit(path: &Path, from: &str, to: &str) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    assert_eq!(
        text.matches(from).count(),
        1,
        "{} should contain {from:?} once",
        path.display()
    );
    std::fs::write(path, text.replace(from, to))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The test.
// ---------------------------------------------------------------------------------------

#[test]
fn preview_reloads_and_shows_build_errors_in_headless_chromium() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's chromium (as .ci/run does) to run this test"
    );
    let started = Instant::now();
    let site = fixture("basic");
    let mut server = ServeGuard::start(site.path()).expect("start gazette serve");
    let profile = tempfile::tempdir().expect("a Chromium profile directory");
    let mut chromium = ChromiumGuard::launch(profile.path()).expect("launch Chromium");

    if let Err(e) = run(&server, &chromium, site.path()) {
        panic!("{e}");
    }

    let left = chromium.close();
    assert!(left.is_empty(), "Chromium processes left running: {left:?}");
    assert_eq!(
        server.exited(),
        None,
        "gazette serve stopped during the test"
    );
    eprintln!("serve_browser: {:.1} s", started.elapsed().as_secs_f64());
}

fn run(server: &ServeGuard, chromium: &ChromiumGuard, root: &Path) -> Result<()> {
    let base = server.wait_for_url()?;
    let tab = chromium.browser().new_tab()?;
    tab.set_default_timeout(STARTUP);
    tab.call_method(Page::AddScriptToEvaluateOnNewDocument {
        source: INSTRUMENT.to_string(),
        world_name: None,
        include_command_line_api: None,
        run_immediately: None,
    })?;
    let entry = root.join("content/releases/2024-01/alpha.md");

    // 1. The entry page, as built at start-up; its event stream starts with `ok`.
    let alpha = format!("{base}releases/2024-01/alpha/");
    let state = open_and_listen(&tab, &alpha)?;
    assert_eq!(str_of(&state, "h1"), Some("阿尔法新材料"), "{state}");
    assert_eq!(str_of(&state, "trl"), Some("6"), "{state}");
    assert_eq!(state["events"], serde_json::json!(["ok"]), "{state}");
    assert_eq!(state["overlay"], false, "{state}");
    let loads = state["loads"].as_u64().unwrap_or(0);

    // 2. A new title: the page reloads by itself (a new document) and shows it.
    let from = server.line_count();
    edit(
        &entry,
        "title = \"阿尔法新材料\"",
        "title = \"阿尔法新材料（预览）\"",
    )?;
    let state = wait_for(
        &tab,
        FOLLOW,
        "the page to reload with the new title",
        STATE,
        |v| (str_of(v, "h1") == Some("阿尔法新材料（预览）")).then(|| v.clone()),
    )?;
    assert!(
        state["loads"].as_u64().unwrap_or(0) > loads,
        "the title changed without a reload: {state}"
    );
    assert_eq!(str_of(&state, "href"), Some(alpha.as_str()), "{state}");
    server.wait_for_line(from, FOLLOW, "a `rebuilt in` line", |l| {
        l.starts_with("rebuilt in ")
    })?;
    // The reloaded page listens again before the next change.
    wait_for(&tab, FOLLOW, "the reloaded page to listen", STATE, |v| {
        (v["events"].as_array().is_some_and(|e| !e.is_empty()) && v["ready"] == "complete")
            .then_some(())
    })?;

    // 3. An out-of-range value: the overlay shows the report over the last good page.
    let from = server.line_count();
    edit(&entry, "trl = 6", "trl = 99")?;
    let state = wait_for(&tab, FOLLOW, "the error overlay", STATE, |v| {
        let text = str_of(v, "overlayText")?;
        (text.contains("alpha.md") && text.contains("out-of-range")).then(|| v.clone())
    })?;
    assert_eq!(
        str_of(&state, "h1"),
        Some("阿尔法新材料（预览）"),
        "the last good build stays underneath the overlay: {state}"
    );
    assert_eq!(str_of(&state, "trl"), Some("6"), "{state}");
    let report = str_of(&state, "overlayText").unwrap_or_default();
    assert!(
        report.contains("content/releases/2024-01/alpha.md:7:7") && report.contains("trl = 99"),
        "the overlay should point at the line: {report}"
    );
    server.wait_for_line(from, FOLLOW, "a `build failed` line", |l| {
        l.starts_with("build failed: 1 error(s)")
    })?;
    let covered = eval_string(
        &tab,
        r#"(function () {
          var r = document.getElementById("gazette-error-overlay").getBoundingClientRect();
          var d = document.documentElement;
          return [r.left, r.top, r.width, r.height].join(" ") + " of " + d.clientWidth
            + "x" + d.clientHeight;
        })()"#,
    )?;
    let (rect, viewport) = covered.split_once(" of ").unwrap_or_default();
    let (w, h) = viewport.split_once('x').unwrap_or_default();
    assert_eq!(
        rect,
        format!("0 0 {w} {h}"),
        "the overlay covers the viewport ({covered})"
    );

    // 4. A screenshot of the overlay.
    let png = tab.capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)?;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .join("screenshots");
    std::fs::create_dir_all(&dir)?;
    let shot = dir.join("serve-overlay.png");
    std::fs::write(&shot, &png)?;
    let written = std::fs::read(&shot)?;
    assert!(!written.is_empty(), "{} is empty", shot.display());
    assert!(
        png_size(&written).is_some_and(|(w, h)| w > 0 && h > 0),
        "{} is not a PNG",
        shot.display()
    );

    // 5. Fixed: the page reloads without the overlay and shows the new value.
    let from = server.line_count();
    edit(&entry, "trl = 99", "trl = 7")?;
    let state = wait_for(
        &tab,
        FOLLOW,
        "the overlay to go and the fixed page to show",
        &format!(
            "document.getElementById('gazette-error-overlay') === null ? {STATE} : '\"overlay\"'"
        ),
        |v| (v.is_object() && str_of(v, "trl") == Some("7")).then(|| v.clone()),
    )?;
    assert_eq!(
        str_of(&state, "h1"),
        Some("阿尔法新材料（预览）"),
        "{state}"
    );
    assert_eq!(state["overlay"], false, "{state}");
    server.wait_for_line(from, FOLLOW, "a `rebuilt in` line after the fix", |l| {
        l.starts_with("rebuilt in ")
    })?;

    // 6. A draft is previewed, with its banner.
    let draft = format!("{base}releases/2024-02/draft-one/");
    let state = open_and_listen(&tab, &draft)?;
    assert_eq!(str_of(&state, "h1"), Some("草稿成果"), "{state}");
    assert_eq!(state["overlay"], false, "{state}");
    let banner = eval_string(
        &tab,
        r#"(function () {
          var b = document.querySelector(".banner-draft");
          if (!b) return "missing";
          var r = b.getBoundingClientRect(), s = getComputedStyle(b);
          var shown = r.width > 0 && r.height > 0 && s.display !== "none"
            && s.visibility !== "hidden" && Number(s.opacity) > 0;
          return shown ? "visible" : "hidden: " + r.width + "x" + r.height + " " + s.display;
        })()"#,
    )?;
    assert_eq!(banner, "visible", "the .banner-draft element on {draft}");
    Ok(())
}
