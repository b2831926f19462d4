//! The preview server under a local load test (loopback only, bounded in count and time):
//! 1,000 concurrent requests, malformed HTTP, and memory that does not grow across rounds.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(root: &std::path::Path) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.split(" at http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (server, addr)
}

fn status(addr: &str, raw: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(raw).ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let head = String::from_utf8_lossy(&buf);
    head.split(' ').nth(1)?.parse().ok()
}

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn round(addr: &str) -> usize {
    let paths = [
        "/",
        "/releases/2024-01/alpha/",
        "/style.css",
        "/nope/",
        "/fields/new-materials/",
    ];
    let handles: Vec<_> = (0..50)
        .map(|t| {
            let addr = addr.to_string();
            std::thread::spawn(move || {
                let mut ok = 0;
                for i in 0..20 {
                    let path = paths[(t + i) % paths.len()];
                    let req =
                        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    match status(&addr, req.as_bytes()) {
                        Some(200) | Some(404) => ok += 1,
                        other => panic!("{path}: {other:?}"),
                    }
                }
                ok
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).sum()
}

#[test]
fn survives_concurrent_and_malformed_requests_without_growing() {
    let site = fixture("basic");
    let (server, addr) = start(site.path());
    assert_eq!(round(&addr), 1000);
    // Memory is measured once the allocator has given back what the last requests freed
    // (mimalloc waits a second before it does), so only memory still held counts.
    let settled = || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        rss_kb(server.0.id())
    };
    let before = settled();
    for bad in [
        b"\x00\x01\x02garbage\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"G\xffT / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000)).into_bytes(),
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX: {}\r\n\r\n",
            "b".repeat(1_000_000)
        )
        .into_bytes(),
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nshort".to_vec(),
        b"GET / HTTP/1.1\r\n".to_vec(),
    ] {
        let s = status(&addr, &bad);
        assert!(
            s.is_none() || s.is_some_and(|c| c >= 400 || c == 200),
            "{s:?}"
        );
    }
    for _ in 0..3 {
        assert_eq!(round(&addr), 1000);
    }
    let after = settled();
    assert!(
        after < before + 20_000,
        "RSS grew from {before} kB to {after} kB over 3,000 requests"
    );
    // Still serving.
    assert_eq!(
        status(
            &addr,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ),
        Some(200)
    );
}
