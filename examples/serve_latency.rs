//! Measures the preview server's edit-to-reload latency: starts `gazette serve` (the release
//! binary) on a site, listens to its event stream like a browser page does, then edits one
//! entry N times each way (its body; its title keeping its place; its title moving it to the
//! first or the last place of its release, in turn) and, on a site with demands
//! (`content/demands/`), the entry's summary (the results' index changes: matching is
//! computed again) and one demand N times each way (its body; its summary, which moves its
//! matches), and times each save until the `reload` event arrives. Prints medians and the
//! 90th percentile.
//!
//! cargo build --release && cargo run --release --example serve_latency -- SITE_DIR [N]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn pick_entry(root: &Path) -> PathBuf {
    let mut best = None;
    for r in std::fs::read_dir(root.join("content/releases")).expect("content/releases") {
        let dir = r.unwrap().path();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".md") && !name.starts_with('_') && name.matches('.').count() == 1 {
                let text = std::fs::read_to_string(&p).unwrap();
                if !text.contains("draft = true") && !text.contains("embargo") {
                    best = Some(p);
                    break;
                }
            }
        }
        if best.is_some() {
            break;
        }
    }
    best.expect("an entry to edit")
}

/// The first open demand (sorted by file name) of a site with demands.
fn pick_demand(root: &Path) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("content/demands"))
        .ok()?
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".md") && name.matches('.').count() == 1
        })
        .collect();
    files.sort();
    files.into_iter().find(|p| {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        !text.contains("draft = true")
            && !text.contains("embargo")
            && text.contains("\nsummary = \"")
    })
}

/// Words a demand's summary is rewritten with, in turn (each moves its matches).
const NEEDS: &[&str] = &[
    "海水电解制氢",
    "固态电池电解质",
    "有机玻璃单体",
    "风机齿轮箱监测",
    "阻燃尼龙",
];

/// The text of the entry file for the i-th edit of one kind.
type Edit<'a> = Box<dyn Fn(usize) -> String + 'a>;

fn median(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(args.get(1).expect("usage: serve_latency SITE_DIR [N]"));
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    // GAZETTE_BIN: the binary to measure (benches/run.sh passes its private copy).
    let bin = std::env::var_os("GAZETTE_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/gazette"),
        PathBuf::from,
    );
    let mut child = Command::new(&bin)
        .args(["serve", "--port", "0", "--root"])
        .arg(&root)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run target/release/gazette (cargo build --release first)");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let started = Instant::now();
    let addr = loop {
        let line = lines.next().expect("server exited").unwrap();
        eprintln!("{line}");
        if let Some(rest) = line.split(" at http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    eprintln!(
        "first build and start: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    // The server's own lines (with GAZETTE_TRACE=1, each rebuild's phase timings) go on to
    // stderr.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("{line}");
        }
    });
    let mut events = TcpStream::connect(&addr).unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        events,
        "GET /__gazette/events HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut pending = String::new();
    let mut wait_for = |what: &str, pending: &mut String| {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(i) = pending.find(what) {
                pending.drain(..i + what.len());
                return;
            }
            let k = events.read(&mut buf).expect("event stream");
            assert!(k > 0, "event stream closed");
            pending.push_str(&String::from_utf8_lossy(&buf[..k]));
        }
    };
    wait_for("event: ok", &mut pending);
    let entry = pick_entry(&root);
    let original = std::fs::read_to_string(&entry).unwrap();
    // Three kinds of edit, N of each: the body; the title, keeping the entry's place in its
    // release's order (a suffix); the title, moving the entry every time: to the first place
    // ("(" sorts before letters and Chinese) and the last ("～", U+FF5E, after them), in turn.
    let mut kinds: Vec<(&str, PathBuf, Edit)> = vec![
        (
            "body edit",
            entry.clone(),
            Box::new(|i| format!("{original}\nEdit {i}.\n")),
        ),
        (
            "title edit (same place)",
            entry.clone(),
            Box::new(|i| original.replacen("\"\n", &format!(" ({i})\"\n"), 1)),
        ),
        (
            "title edit (moves)",
            entry.clone(),
            Box::new(|i| {
                let prefix = if i % 2 == 0 {
                    format!("({i}) ")
                } else {
                    format!("～{i} ")
                };
                original.replacen("title = \"", &format!("title = \"{prefix}"), 1)
            }),
        ),
    ];
    // On a site with demands, a result's summary edit changes the results' index: matching
    // is computed again.
    if root.join("content/demands").is_dir() {
        kinds.push((
            "summary edit (matching recomputed)",
            entry.clone(),
            Box::new(|i| {
                let need = NEEDS[i % NEEDS.len()];
                original.replacen("summary = \"", &format!("summary = \"{need}（{i}）。"), 1)
            }),
        ));
    }
    let demand = pick_demand(&root);
    let demand_text = demand
        .as_ref()
        .map(|d| std::fs::read_to_string(d).unwrap())
        .unwrap_or_default();
    if let Some(d) = &demand {
        let text = demand_text.clone();
        kinds.push((
            "demand body edit",
            d.clone(),
            Box::new(move |i| format!("{text}\nEdit {i}.\n")),
        ));
        let text = demand_text.clone();
        kinds.push((
            "demand summary edit (matches move)",
            d.clone(),
            Box::new(move |i| {
                let need = NEEDS[i % NEEDS.len()];
                text.replacen(
                    "summary = \"",
                    &format!("summary = \"需要{need}（{i}）。"),
                    1,
                )
            }),
        ));
    }
    let mut results = Vec::new();
    for (kind, file, edit) in &kinds {
        // Each kind starts from the file as it was (untimed): the last kind's edit may have
        // moved the entry, and undoing that is not what this kind measures.
        let first = if *file == entry {
            &original
        } else {
            &demand_text
        };
        if std::fs::read_to_string(file).unwrap() != *first {
            std::thread::sleep(Duration::from_millis(150));
            std::fs::write(file, first).unwrap();
            wait_for("event: reload", &mut pending);
        }
        let mut ms = Vec::new();
        for i in 0..n {
            std::thread::sleep(Duration::from_millis(150));
            let t = Instant::now();
            std::fs::write(file, edit(i)).unwrap();
            wait_for("event: reload", &mut pending);
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        results.push((kind, ms));
    }
    std::fs::write(&entry, &original).unwrap();
    if let Some(d) = &demand {
        std::fs::write(d, &demand_text).unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
    println!("edited {}", entry.display());
    if let Some(d) = &demand {
        println!("edited {}", d.display());
    }
    for (kind, mut ms) in results {
        let (m, p90) = median(&mut ms);
        println!("save → reload event, {kind}: median {m:.1} ms, p90 {p90:.1} ms ({n} edits)");
    }
}
