//! `gazette serve` over HTTP: it binds to loopback, serves pages from memory with the live
//! reload script, picks up edits, answers 404 with the site's page after a delete, refuses
//! traversal in every encoding, dotfiles and methods other than GET/HEAD, keeps serving the
//! last good build while the site is broken, never writes output/, and stops on Ctrl-C.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use std::{fs, thread};

use common::*;

struct Server {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The guard owns the child from here on, so it is killed and waited for on any failure.
    let mut server = Server {
        child,
        addr: String::new(),
        lines: rx,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = server
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server did not start");
        if let Some(rest) = line.split(" at http://").nth(1) {
            server.addr = rest.split('/').next().unwrap().to_string();
            return server;
        }
    }
}

struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn request(addr: &str, method: &str, path: &str) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Reply {
        status,
        headers: head.to_lowercase(),
        body: raw[split + 4..].to_vec(),
    }
}

fn get(addr: &str, path: &str) -> Reply {
    request(addr, "GET", path)
}

fn touch_write(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
}

#[track_caller]
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

#[test]
fn serves_edits_deletes_and_refuses_what_it_should() {
    let site = fixture("basic");
    let root = site.path();
    let server = start(root, &[]);
    let a = server.addr.clone();
    assert!(
        a.starts_with("127.0.0.1:"),
        "binds to loopback by default: {a}"
    );

    let home = get(&a, "/");
    assert_eq!(home.status, 200);
    assert!(
        home.headers
            .contains("content-type: text/html; charset=utf-8")
    );
    assert!(
        home.text()
            .contains("<script src=\"/__gazette/client.js\" data-build=\"1\"></script></body>")
    );
    assert_eq!(get(&a, "/__gazette/client.js").status, 200);

    // Pretty URLs, a redirect for a missing slash, MIME types, a CJK file name, HEAD.
    let alpha = get(&a, "/releases/2024-01/alpha/");
    assert!(alpha.text().contains("阿尔法新材料"));
    let redirect = get(&a, "/releases/2024-01/alpha");
    assert_eq!(redirect.status, 301);
    assert!(
        redirect
            .headers
            .contains("location: /releases/2024-01/alpha/")
    );
    assert!(
        get(&a, "/style.css")
            .headers
            .contains("content-type: text/css")
    );
    assert!(
        get(&a, "/releases/2024-01/alpha/figure.svg")
            .headers
            .contains("image/svg+xml")
    );
    fs::write(
        root.join("content/releases/2024-01/alpha/说明 书.pdf"),
        b"%PDF-1.4 test",
    )
    .unwrap();
    eventually("the new PDF is served", || {
        let r = get(
            &a,
            "/releases/2024-01/alpha/%E8%AF%B4%E6%98%8E%20%E4%B9%A6.pdf",
        );
        r.status == 200 && r.headers.contains("application/pdf") && r.body == b"%PDF-1.4 test"
    });
    let head = request(&a, "HEAD", "/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty() && head.headers.contains("content-length:"));

    // Drafts are shown in preview, with their banner.
    assert!(
        get(&a, "/releases/2024-02/draft-one/")
            .text()
            .contains("banner-draft")
    );

    // Edits show up; deleting gives the site's 404 page with status 404.
    let p = root.join("content/releases/2024-02/gamma.md");
    let text = fs::read_to_string(&p).unwrap();
    touch_write(&p, &text.replace("伽马正文。", "伽马正文（已修改）。"));
    eventually("the edit is served", || {
        get(&a, "/releases/2024-02/gamma/")
            .text()
            .contains("已修改")
    });
    fs::remove_file(&p).unwrap();
    eventually("the deleted page is gone", || {
        get(&a, "/releases/2024-02/gamma/").status == 404
    });
    let missing = get(&a, "/releases/2024-02/gamma/");
    assert!(
        missing.text().contains("页面不存在"),
        "the site's own 404 page"
    );

    // A broken file: the last good build is still served.
    let alpha_path = root.join("content/releases/2024-01/alpha.md");
    let good = fs::read_to_string(&alpha_path).unwrap();
    touch_write(&alpha_path, &good.replace("trl = 6", "trl = 99"));
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut saw_error = false;
    while Instant::now() < deadline && !saw_error {
        if let Ok(line) = server.lines.recv_timeout(Duration::from_millis(200)) {
            saw_error |= line.contains("build failed");
        }
    }
    assert!(saw_error, "the terminal reports the failure");
    assert!(
        get(&a, "/releases/2024-01/alpha/")
            .text()
            .contains("阿尔法新材料")
    );
    touch_write(&alpha_path, &good);

    // Nothing outside the site, no dotfiles, only GET and HEAD.
    fs::write(
        root.join("content/secret.txt"),
        "inside content, served as an asset",
    )
    .unwrap();
    for bad in [
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/%2E%2E%2Fsite.toml",
        "/releases/..%2f..%2fsite.toml",
        "/..%5csite.toml",
        "//etc/passwd",
        "/etc/passwd",
        "/site.toml",
        "/content/releases/2024-01/alpha.md",
        "/.gazette-output",
        "/a%00b",
    ] {
        let r = get(&a, bad);
        assert!(r.status == 404 || r.status == 400, "{bad}: {}", r.status);
        assert!(!r.text().contains("base_url"), "{bad} leaked site.toml");
    }
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = request(&a, method, "/");
        assert_eq!(r.status, 405, "{method}");
        assert!(r.headers.contains("allow: get, head"));
    }
    assert!(
        !root.join("output").exists(),
        "serve must not write output/"
    );
}

#[test]
fn port_in_use_gets_a_clear_message() {
    let site = fixture("basic");
    let first = start(site.path(), &[]);
    let port = first.addr.rsplit(':').next().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["serve", "--port", &port, "--root"])
        .arg(site.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use") && err.contains("--port"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// The first event a page's stream receives names the current build, so a page served
/// before a rebuild but connecting after it still learns it is out of date.
fn first_event(addr: &str) -> (TcpStream, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /__gazette/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    let mut buf = [0u8; 1024];
    // (The body is chunked; stop once the first `data:` line is complete.)
    while !text
        .find("data: ")
        .is_some_and(|i| text[i..].contains('\n'))
    {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "stream closed: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    (s, text)
}

#[test]
fn a_page_connecting_after_a_rebuild_learns_of_it() {
    let site = fixture("basic");
    let server = start(site.path(), &[]);
    let a = server.addr.clone();
    let page = get(&a, "/releases/2024-02/gamma/").text();
    assert!(page.contains("data-build=\"1\""));
    assert!(first_event(&a).1.contains("event: ok\ndata: 1\n"));
    let p = site.path().join("content/releases/2024-02/gamma.md");
    let text = fs::read_to_string(&p).unwrap();
    fs::write(&p, text.replace("伽马正文。", "伽马正文（改）。")).unwrap();
    eventually("the rebuild", || {
        get(&a, "/releases/2024-02/gamma/")
            .text()
            .contains("（改）")
    });
    // The old page says build 1; the stream now says build 2, so the client reloads.
    assert!(first_event(&a).1.contains("event: ok\ndata: 2\n"));
}

#[test]
fn ctrl_c_stops_cleanly_even_with_pages_open() {
    let site = fixture("basic");
    let mut server = start(site.path(), &[]);
    assert_eq!(get(&server.addr, "/").status, 200);
    // An open page keeps its event stream open; shutdown must not wait for it.
    let _open_page = first_event(&server.addr);
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGINT");
        thread::sleep(Duration::from_millis(50));
    }
}
