//! `gazette check --external` against real HTTP servers the test starts on 127.0.0.1: a
//! page that works, a redirect to it, a 404, a 500, a server that never answers, one that
//! refuses HEAD, and one behind `skip_prefixes` that must never be asked. Each server
//! counts the requests it gets, so the cache (a second run asks nothing it already knows)
//! and the skip list are checked on the server's side.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

/// What a test server answers to (method, path): status and extra headers, or `None` to
/// never answer.
type Answer = fn(&str, &str, u16) -> Option<(u16, Vec<String>)>;

/// A loopback HTTP/1.1 server that answers each request with `answer` and closes the
/// connection. Returns its port and the requests it got (method and path).
fn server(answer: Answer, ok_port: u16) -> (u16, Arc<Mutex<Vec<String>>>) {
    server_with(move |method, path| answer(method, path, ok_port))
}

/// [`server`] with any answering function.
fn server_with(
    answer: impl Fn(&str, &str) -> Option<(u16, Vec<String>)> + Send + Sync + 'static,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let answer = Arc::new(answer);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = log.clone();
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() || first.is_empty() {
                    return;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let mut parts = first.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                log.lock().unwrap().push(format!("{method} {path}"));
                match answer(&method, &path) {
                    Some((status, headers)) => {
                        let body = if method == "HEAD" { "" } else { "body" };
                        let mut head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Length: 4\r\nConnection: close\r\n"
                        );
                        for h in headers {
                            head.push_str(&h);
                            head.push_str("\r\n");
                        }
                        head.push_str("\r\n");
                        let _ = stream.write_all(head.as_bytes());
                        let _ = stream.write_all(body.as_bytes());
                    }
                    // Hold the connection open, saying nothing, past any timeout.
                    None => std::thread::sleep(Duration::from_secs(30)),
                }
            });
        }
    });
    (port, seen)
}

fn ok(_: &str, _: &str, _: u16) -> Option<(u16, Vec<String>)> {
    Some((200, vec![]))
}
fn moved(_: &str, _: &str, ok_port: u16) -> Option<(u16, Vec<String>)> {
    Some((
        301,
        vec![format!("Location: http://127.0.0.1:{ok_port}/final")],
    ))
}
fn missing(_: &str, _: &str, _: u16) -> Option<(u16, Vec<String>)> {
    Some((404, vec![]))
}
fn failing(_: &str, _: &str, _: u16) -> Option<(u16, Vec<String>)> {
    Some((500, vec![]))
}
fn hanging(_: &str, _: &str, _: u16) -> Option<(u16, Vec<String>)> {
    None
}
fn get_only(method: &str, _: &str, _: u16) -> Option<(u16, Vec<String>)> {
    Some((if method == "HEAD" { 405 } else { 200 }, vec![]))
}

fn count(seen: &Arc<Mutex<Vec<String>>>) -> usize {
    seen.lock().unwrap().len()
}

/// Line and column (1-based, characters) of the first `needle` in `text`.
fn line_col(text: &str, needle: &str) -> (u64, u64) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line as u64, col as u64)
}

#[test]
fn external_links_are_checked_politely_cached_and_reported() {
    let (ok_port, ok_seen) = server(ok, 0);
    let (moved_port, moved_seen) = server(moved, ok_port);
    let (missing_port, missing_seen) = server(missing, 0);
    let (failing_port, failing_seen) = server(failing, 0);
    let (hang_port, hang_seen) = server(hanging, 0);
    let (get_port, get_seen) = server(get_only, 0);
    let (skip_port, skip_seen) = server(ok, 0);

    let site = fixture("basic");
    let root = site.path();
    let u = |port: u16, path: &str| format!("http://127.0.0.1:{port}{path}");
    let (good, old, gone, boom, slow, head, private) = (
        u(ok_port, "/page"),
        u(moved_port, "/old"),
        u(missing_port, "/gone"),
        u(failing_port, "/boom"),
        u(hang_port, "/slow.png"),
        u(get_port, "/no-head"),
        u(skip_port, "/private"),
    );
    // Links in Markdown and in raw HTML of an entry; the 404 also in another entry.
    let delta_path = "content/releases/2024-02/delta.md";
    let delta = fs::read_to_string(root.join(delta_path)).unwrap()
        + &format!(
            "\n[好]({good}) [好的一节]({good}#part) [中文路径]({good}/成果) [搬走了]({old})\n\n[没了]({gone})\n\n<p>服务器 <a href=\"{boom}\">出错</a></p>\n\n![慢]({slow})\n[只认 GET]({head}) [内部]({private})\n"
        );
    fs::write(root.join(delta_path), &delta).unwrap();
    let gamma_path = "content/releases/2024-02/gamma.md";
    let gamma =
        fs::read_to_string(root.join(gamma_path)).unwrap() + &format!("\n又见 [没了]({gone})\n");
    fs::write(root.join(gamma_path), &gamma).unwrap();
    // A front-matter URL field reaches pages through the templates.
    let alpha_path = root.join("content/releases/2024-01/alpha.md");
    let alpha = fs::read_to_string(&alpha_path).unwrap();
    assert!(alpha.contains("https://example.org/alpha"));
    let field_url = u(missing_port, "/from-field");
    fs::write(
        &alpha_path,
        alpha.replace("https://example.org/alpha", &field_url),
    )
    .unwrap();
    let mut config = fs::read_to_string(root.join("site.toml")).unwrap();
    config.push_str(&format!(
        "\n[check]\nskip_prefixes = [\"http://127.0.0.1:{skip_port}/\", \"https://example.org/\"]\ntimeout_secs = 1\ncache_hours = 1\nper_host = 1\n"
    ));
    fs::write(root.join("site.toml"), config).unwrap();

    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
            .args(["check", "--external", "--format", "json", "--root"])
            .arg(root)
            // Loopback only: a proxy from the environment must not get these requests.
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "broken links fail the check: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report
    };
    let started = std::time::Instant::now();
    let report = run();
    let first_took = started.elapsed();
    let diags = report["diagnostics"].as_array().unwrap();
    let about = |url: &str| -> Vec<&serde_json::Value> {
        diags
            .iter()
            .filter(|d| d["message"].as_str().unwrap().contains(&format!("`{url}`")))
            .collect()
    };
    let place = |d: &serde_json::Value| {
        (
            d["file"].as_str().unwrap().to_string(),
            d["line"].as_u64().unwrap(),
            d["column"].as_u64().unwrap(),
        )
    };
    let in_delta = |needle: &str| {
        let (l, c) = line_col(&delta, needle);
        (delta_path.to_string(), l, c)
    };

    // Working links are not reported; a HEAD refused with 405 is asked again with GET.
    assert!(about(&good).is_empty(), "{diags:#?}");
    // A non-ASCII path is sent percent-encoded, as a browser does.
    assert!(about(&format!("{good}/成果")).is_empty(), "{diags:#?}");
    assert!(
        ok_seen
            .lock()
            .unwrap()
            .contains(&"HEAD /page/%E6%88%90%E6%9E%9C".to_string())
    );
    // A fragment is not sent: the page is asked once for both links.
    assert!(about(&format!("{good}#part")).is_empty(), "{diags:#?}");
    assert_eq!(
        ok_seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| *r == "HEAD /page")
            .count(),
        1
    );
    assert!(about(&head).is_empty(), "{diags:#?}");
    assert_eq!(*get_seen.lock().unwrap(), ["HEAD /no-head", "GET /no-head"]);
    // The skip list is honoured: that server never hears from us.
    assert!(about(&private).is_empty());
    assert_eq!(count(&skip_seen), 0);

    // The redirect is a warning naming the final URL.
    let r = about(&old);
    assert_eq!(r.len(), 1, "{diags:#?}");
    assert_eq!(r[0]["severity"], "warning");
    assert_eq!(r[0]["code"], "redirected-external-link");
    assert!(
        r[0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("`{}`", u(ok_port, "/final")))
    );
    assert_eq!(place(r[0]), in_delta(&format!("[搬走了]({old})")));
    assert!(ok_seen.lock().unwrap().contains(&"HEAD /final".to_string()));

    // The 404 at both places that use it, with file, line and column.
    let g = about(&gone);
    let mut places: Vec<_> = g.iter().map(|d| place(d)).collect();
    places.sort();
    let (gl, gc) = line_col(&gamma, &format!("[没了]({gone})"));
    let mut want = vec![
        (gamma_path.to_string(), gl, gc),
        in_delta(&format!("[没了]({gone})")),
    ];
    want.sort();
    assert_eq!(places, want);
    for d in &g {
        assert_eq!(d["severity"], "error");
        assert_eq!(d["code"], "broken-external-link");
        assert!(d["message"].as_str().unwrap().contains("404"), "{d}");
        assert!(d["hint"].as_str().unwrap().contains("skip_prefixes"));
    }
    // The 500, in raw HTML, at its attribute.
    let b = about(&boom);
    assert_eq!(b.len(), 1, "{diags:#?}");
    assert!(b[0]["message"].as_str().unwrap().contains("500"));
    assert_eq!(place(b[0]), in_delta(&format!("href=\"{boom}\"")));
    // The server that never answers times out (after one try: no GET after a timeout).
    let h = about(&slow);
    assert_eq!(h.len(), 1, "{diags:#?}");
    assert!(
        h[0]["message"]
            .as_str()
            .unwrap()
            .contains("no answer within 1 s"),
        "{}",
        h[0]
    );
    assert_eq!(count(&hang_seen), 1);
    // The field's URL reaches the pages through the templates, and is reported where it
    // was written.
    let alpha = fs::read_to_string(&alpha_path).unwrap();
    let f = about(&field_url);
    let (fl, fc) = line_col(&alpha, &field_url);
    assert_eq!(
        f.iter().map(|d| place(d)).collect::<Vec<_>>(),
        [("content/releases/2024-01/alpha.md".to_string(), fl, fc)],
        "{f:#?}"
    );
    let ext = &report["external"];
    // Ten URLs as written; the pages' percent-encoded 成果 is the same URL.
    assert_eq!(ext["urls"], 10, "{ext}");
    assert_eq!(ext["skipped"], 1, "{ext}");
    assert_eq!(ext["requested"], 8, "{ext}");
    assert_eq!(ext["cached"], 0, "{ext}");
    assert_eq!(ext["broken"], 4, "{ext}");
    assert_eq!(ext["redirected"], 1, "{ext}");
    assert!(root.join(".gazette-cache/links.json").is_file());
    assert!(!root.join("output/.gazette-cache").exists());

    // A second run asks nothing it has an answer for; only the unanswered URL again.
    let before: Vec<usize> = [
        &ok_seen,
        &moved_seen,
        &missing_seen,
        &failing_seen,
        &get_seen,
    ]
    .iter()
    .map(|s| count(s))
    .collect();
    let started = std::time::Instant::now();
    let again = run();
    let second_took = started.elapsed();
    let after: Vec<usize> = [
        &ok_seen,
        &moved_seen,
        &missing_seen,
        &failing_seen,
        &get_seen,
    ]
    .iter()
    .map(|s| count(s))
    .collect();
    assert_eq!(before, after, "the cache answered for these");
    assert_eq!(count(&hang_seen), 2, "a timeout is not remembered");
    assert_eq!(count(&skip_seen), 0);
    assert_eq!(again["external"]["requested"], 1);
    assert_eq!(again["external"]["cached"], 7);
    assert_eq!(again["diagnostics"], report["diagnostics"]);

    // Answers older than cache_hours are asked again.
    let cache_file = root.join(".gazette-cache/links.json");
    let mut cache: serde_json::Value =
        serde_json::from_slice(&fs::read(&cache_file).unwrap()).unwrap();
    for (_, entry) in cache["links"].as_object_mut().unwrap() {
        let checked = entry["checked"].as_i64().unwrap();
        entry["checked"] = (checked - 3601).into();
    }
    fs::write(&cache_file, serde_json::to_vec(&cache).unwrap()).unwrap();
    let third = run();
    assert_eq!(third["external"]["requested"], 8);
    assert_eq!(third["external"]["cached"], 0);
    assert_eq!(
        count(&missing_seen),
        after[2] * 2,
        "asked again, as the first time"
    );
    eprintln!("first run {first_took:?}, second run {second_took:?}");
}

/// Per-host politeness: with `per_host = 2`, a host never has more than two requests at
/// once (though eight workers are free), and with `host_delay_ms`, requests to one host
/// start that far apart. Measured on the server.
#[test]
fn one_host_gets_a_bounded_number_of_requests_spaced_out() {
    let busy = Arc::new(Mutex::new((0usize, 0usize)));
    let starts = Arc::new(Mutex::new(Vec::new()));
    let (b, st) = (busy.clone(), starts.clone());
    let (port, seen) = server_with(move |_, _| {
        st.lock().unwrap().push(std::time::Instant::now());
        {
            let mut b = b.lock().unwrap();
            b.0 += 1;
            b.1 = b.1.max(b.0);
        }
        std::thread::sleep(Duration::from_millis(150));
        b.lock().unwrap().0 -= 1;
        Some((200, vec![]))
    });
    let site = fixture("basic");
    let root = site.path();
    let delta_path = root.join("content/releases/2024-02/delta.md");
    let mut delta = fs::read_to_string(&delta_path).unwrap();
    for i in 0..8 {
        delta.push_str(&format!("\n[第{i}](http://127.0.0.1:{port}/p{i})\n"));
    }
    fs::write(&delta_path, delta).unwrap();
    let config = fs::read_to_string(root.join("site.toml")).unwrap();
    let check = |settings: &str| {
        fs::write(
            root.join("site.toml"),
            format!("{config}\n[check]\nskip_prefixes = [\"https://example.org/\"]\ncache_hours = 0\nconcurrency = 8\n{settings}\n"),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
            .args(["check", "--external", "--root"])
            .arg(root)
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    check("per_host = 2");
    assert_eq!(count(&seen), 8, "one HEAD each");
    assert_eq!(
        busy.lock().unwrap().1,
        2,
        "at most two at once, and two used"
    );

    seen.lock().unwrap().clear();
    starts.lock().unwrap().clear();
    *busy.lock().unwrap() = (0, 0);
    check("per_host = 8\nhost_delay_ms = 300");
    assert_eq!(count(&seen), 8, "cache_hours = 0 keeps nothing");
    // The client starts them 300 ms apart; the server sees them arrive with some jitter
    // (threads on a busy machine), so each gap is allowed to shrink, the whole run not.
    let starts = starts.lock().unwrap();
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(150), "requests {gap:?} apart");
    }
    let span = starts[7] - starts[0];
    assert!(
        span >= Duration::from_millis(2000),
        "8 requests over {span:?}"
    );
}
