//! `gazette deploy` against a real S3 server (s3s on s3s-fs, started by the test on
//! 127.0.0.1, checking SigV4 signatures) and a local folder: remote bytes and headers,
//! incremental re-deploys, deletions and `--max-deletes`, dry runs, a server stopped midway
//! and a deploy killed midway then rerun, credentials from the environment and a profile
//! file, and no secret in any output.

mod common;
#[path = "common/s3.rs"]
mod s3;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use tempfile::TempDir;

const BUCKET: &str = "site";
const PREFIX: &str = "results";

/// The sample fixture, built, with an s3 target pointing at `endpoint` and an fs target.
fn site(endpoint: &str) -> TempDir {
    let dir = common::fixture("basic");
    let mut toml = fs::read_to_string(dir.path().join("site.toml")).unwrap();
    toml.push_str(&format!(
        "\n[[deploy.targets]]\nname = \"test\"\nkind = \"s3\"\nbucket = \"{BUCKET}\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\nprefix = \"{PREFIX}/\"\n\n[[deploy.targets]]\nname = \"folder\"\nkind = \"fs\"\npath = \"public\"\n\n[[deploy.rules]]\npattern = \"**/*.svg\"\ncache_control = \"public, max-age=86400\"\n"
    ));
    fs::write(dir.path().join("site.toml"), toml).unwrap();
    build(dir.path());
    dir
}

fn build(root: &Path) {
    common::build_ok(&common::opts(root));
}

/// A folder for the server, with the bucket created.
fn store() -> TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir_all(d.path().join(BUCKET)).unwrap();
    d
}

fn gazette_cmd(root: &Path, args: &[&str], home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gazette"));
    c.arg("--root").arg(root).arg("deploy").args(args);
    for v in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ] {
        c.env_remove(v);
    }
    c.env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

/// Run `gazette deploy ARGS`; the secret key must appear in no output.
fn deploy(root: &Path, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let out = gazette_cmd(root, args, home.path()).output().unwrap();
    no_secret(&out);
    out
}

fn no_secret(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(stream);
        assert!(!s.contains(SECRET_KEY), "the secret key was printed:\n{s}");
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The summary's counts: (uploaded, deleted, unchanged).
fn counts(summary: &str) -> (usize, usize, usize) {
    let line = summary
        .lines()
        .find(|l| l.starts_with("deployed to ") || l.starts_with("dry run, "))
        .unwrap_or_else(|| panic!("no summary line in {summary}"));
    let num = |word: &str| -> usize {
        let i = line
            .find(word)
            .unwrap_or_else(|| panic!("{word} in {line}"));
        let before = line[..i].trim_end();
        let start = before.rfind([' ', ',']).map_or(0, |i| i + 1);
        before[start..].parse().unwrap()
    };
    let up = if line.starts_with("dry") {
        num(" to upload")
    } else {
        num(" uploaded")
    };
    let del = if line.starts_with("dry") {
        num(" to delete")
    } else {
        num(" deleted")
    };
    (up, del, num(" unchanged"))
}

/// Every file under `dir`, relative path → bytes (Gazette's own bookkeeping left out).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    if !dir.exists() {
        return m;
    }
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // The build's marker and the deploy's bookkeeping are not part of the site.
        if rel == ".gazette-output"
            || rel == ".gazette-deploy.json"
            || rel.starts_with(".gazette-deploy-tmp")
        {
            continue;
        }
        m.insert(rel, fs::read(e.path()).unwrap());
    }
    m
}

fn remote_dir(store: &Path) -> PathBuf {
    store.join(BUCKET).join(PREFIX)
}

/// The remote equals `output/` byte for byte.
fn assert_mirrors(remote: &Path, output: &Path) {
    let (r, o) = (files(remote), files(output));
    let only_remote: Vec<_> = r.keys().filter(|k| !o.contains_key(*k)).collect();
    let only_output: Vec<_> = o.keys().filter(|k| !r.contains_key(*k)).collect();
    assert!(
        only_remote.is_empty() && only_output.is_empty(),
        "only on the remote: {only_remote:?}; missing from the remote: {only_output:?}"
    );
    for (k, v) in &o {
        assert!(r[k] == *v, "{k} differs on the remote");
    }
}

/// An S3 client for checking what the server holds.
fn client(server: &S3Server) -> (opendal::Operator, tokio::runtime::Runtime) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let op = opendal::Operator::new(
        opendal::services::S3::default()
            .bucket(BUCKET)
            .endpoint(&server.endpoint())
            .region("us-east-1")
            .root(&format!("/{PREFIX}"))
            .access_key_id(ACCESS_KEY)
            .secret_access_key(SECRET_KEY)
            .disable_config_load()
            .disable_ec2_metadata(),
    )
    .unwrap();
    let transport = opendal::HttpTransporter::new(
        opendal_http_transport_reqwest::ReqwestTransport::new(reqwest::Client::new()),
    );
    let ctx = op.base_context().with_http_transport(transport);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (op.with_context(ctx), rt)
}

/// Content-Type and Cache-Control of a remote object, asked over S3 (HEAD).
fn head(server: &S3Server, key: &str) -> (String, String) {
    let (op, rt) = client(server);
    let meta = rt.block_on(op.stat(key)).unwrap();
    (
        meta.content_type().unwrap_or_default().to_string(),
        meta.cache_control().unwrap_or_default().to_string(),
    )
}

fn assert_headers(server: &S3Server) {
    assert_eq!(
        head(server, "index.html"),
        (
            "text/html; charset=utf-8".into(),
            "public, max-age=300".into()
        )
    );
    assert_eq!(
        head(server, "style.css"),
        (
            "text/css; charset=utf-8".into(),
            "public, max-age=3600".into()
        )
    );
    assert_eq!(
        head(server, "feed.xml").0,
        "application/atom+xml; charset=utf-8"
    );
    // The site's own rule for SVG images.
    let svg = files(&remote_dir(&server.root))
        .into_keys()
        .find(|k| k.ends_with(".svg"))
        .expect("an svg on the remote");
    assert_eq!(
        head(server, &svg),
        (
            "image/svg+xml; charset=utf-8".into(),
            "public, max-age=86400".into()
        )
    );
}

#[test]
fn first_deploy_mirrors_output_with_headers_and_second_uploads_nothing() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    let output = dir.path().join("output");
    let n = files(&output).len();

    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (n, 0, 0), "{out}");
    assert!(out.contains(&format!("s3://{BUCKET}/{PREFIX}")), "{out}");
    assert_mirrors(&remote_dir(st.path()), &output);
    assert_headers(&server);
    let manifest: serde_json::Value = serde_json::from_slice(
        &fs::read(remote_dir(st.path()).join(".gazette-deploy.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["files"].as_object().unwrap().len(), n);
    assert_eq!(
        manifest["files"]["index.html"]["cache_control"],
        "public, max-age=300"
    );

    let before = fs::metadata(remote_dir(st.path()).join(".gazette-deploy.json"))
        .unwrap()
        .modified()
        .unwrap();
    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (0, 0, n), "{out}");
    let after = fs::metadata(remote_dir(st.path()).join(".gazette-deploy.json"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        before, after,
        "a deploy with nothing to do rewrote the manifest"
    );

    // --force uploads everything again.
    let out = ok(deploy(dir.path(), &["--force"]));
    assert_eq!(counts(&out).0, n, "{out}");
}

#[test]
fn edits_upload_only_what_changed_in_link_order_and_removed_pages_are_deleted_last() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    let output = dir.path().join("output");
    ok(deploy(dir.path(), &[]));
    let n = files(&output).len();

    // Edit one entry's body: its page changes, pages of other entries and assets do not.
    let gamma = dir.path().join("content/releases/2024-02/gamma.md");
    let src = fs::read_to_string(&gamma).unwrap();
    fs::write(
        &gamma,
        format!("{src}\n\nOne more sentence for the deploy test.\n"),
    )
    .unwrap();
    build(dir.path());
    let dry = ok(deploy(dir.path(), &["--dry-run"]));
    assert!(
        dry.contains("upload releases/2024-02/gamma/index.html (changed, "),
        "{dry}"
    );
    for same in [
        "style.css",
        "releases/2024-01/alpha/index.html",
        "about/index.html",
    ] {
        assert!(
            !dry.contains(&format!("upload {same} ")),
            "{same} uploaded:\n{dry}"
        );
    }
    let (up, del, unchanged) = counts(&dry);
    assert!(up > 0 && up < n && del == 0 && up + unchanged == n, "{dry}");
    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (up, 0, unchanged), "{out}");
    assert_mirrors(&remote_dir(st.path()), &output);

    // Remove another entry: pages follow what they link to, deletions come last.
    fs::remove_file(dir.path().join("content/releases/2024-02/delta.md")).unwrap();
    fs::write(&gamma, format!("{src}\n\nAnd another.\n")).unwrap();
    build(dir.path());
    let m = files(&output).len();
    let dry = ok(deploy(dir.path(), &["--dry-run"]));
    let lines: Vec<&str> = dry.lines().collect();
    let pos = |pred: &dyn Fn(&str) -> bool| {
        lines
            .iter()
            .position(|l| pred(l))
            .unwrap_or_else(|| panic!("no such line in:\n{dry}"))
    };
    let asset = pos(&|l| l.starts_with("upload data/entries.json "));
    let entry = pos(&|l| l.starts_with("upload releases/2024-02/gamma/index.html "));
    let release = pos(&|l| l.starts_with("upload releases/2024-02/index.html "));
    let home = pos(&|l| l.starts_with("upload index.html "));
    let feed = pos(&|l| l.starts_with("upload feed.xml "));
    let delete = pos(&|l| l.starts_with("delete releases/2024-02/delta/index.html"));
    assert!(
        asset < entry && entry < release && release < home && home < feed && feed < delete,
        "{dry}"
    );
    assert!(
        lines[delete..]
            .iter()
            .all(|l| l.starts_with("delete ") || l.starts_with("dry run")),
        "{dry}"
    );
    let (up, del, unchanged) = counts(&dry);
    assert_eq!(up + unchanged, m);
    // A dry run changes nothing.
    assert!(
        remote_dir(st.path())
            .join("releases/2024-02/delta/index.html")
            .exists()
    );
    assert_eq!(files(&remote_dir(st.path())).len(), n);

    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (up, del, unchanged), "{out}");
    assert_mirrors(&remote_dir(st.path()), &output);
    assert!(
        !remote_dir(st.path())
            .join("releases/2024-02/delta/index.html")
            .exists()
    );
    assert_headers(&server);
    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (0, 0, m), "{out}");
}

#[test]
fn max_deletes_refuses_and_changes_nothing() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    add_static_files(dir.path(), 300);
    build(dir.path());
    let output = dir.path().join("output");
    ok(deploy(dir.path(), &[]));
    let n = files(&output).len();

    // A wrong folder: one file instead of the site.
    let wrong = tempfile::tempdir().unwrap();
    fs::write(wrong.path().join("index.html"), "<p>oops</p>").unwrap();
    let wrong_s = wrong.path().to_str().unwrap();
    let out = deploy(dir.path(), &["--output", wrong_s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "refusing to delete {} remote files (more than --max-deletes 256)",
            n - 1
        )),
        "{err}"
    );
    assert_mirrors(&remote_dir(st.path()), &output);

    // Deleting a few pages of the real site: refused below the limit given.
    let delta = dir.path().join("content/releases/2024-02/delta.md");
    let delta_src = fs::read_to_string(&delta).unwrap();
    fs::remove_file(&delta).unwrap();
    build(dir.path());
    let out = deploy(dir.path(), &["--max-deletes", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-deletes 0"));
    assert!(
        remote_dir(st.path())
            .join("releases/2024-02/delta/index.html")
            .exists()
    );
    ok(deploy(dir.path(), &[]));
    fs::write(&delta, delta_src).unwrap();
    build(dir.path());
    ok(deploy(dir.path(), &[]));

    let out = ok(deploy(
        dir.path(),
        &["--output", wrong_s, "--max-deletes", "-1"],
    ));
    assert_eq!(counts(&out), (1, n - 1, 0), "{out}");
    assert_mirrors(&remote_dir(st.path()), wrong.path());
}

#[test]
fn dry_run_lists_every_file_and_writes_nothing() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    let output = dir.path().join("output");
    let out = ok(deploy(dir.path(), &["--dry-run"]));
    for path in files(&output).keys() {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("upload {path} (new, "))),
            "{path} missing from the dry run:\n{out}"
        );
    }
    assert!(files(&st.path().join(BUCKET)).is_empty());
    assert!(!remote_dir(st.path()).join(".gazette-deploy.json").exists());
    drop(server);
}

/// Add `n` small static files so a deploy takes long enough to be interrupted.
fn add_static_files(root: &Path, n: usize) {
    let d = root.join("static/bulk");
    fs::create_dir_all(&d).unwrap();
    for i in 0..n {
        fs::write(
            d.join(format!("f{i:04}.txt")),
            format!("file {i}\n").repeat(200),
        )
        .unwrap();
    }
}

fn wait_for_objects(store: &Path, at_least: usize) {
    let t = Instant::now();
    while files(&remote_dir(store)).len() < at_least {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the deploy made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn server_stopped_midway_fails_with_code_3_and_a_rerun_converges() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let port = server.addr.port();
    let dir = site(&server.endpoint());
    add_static_files(dir.path(), 600);
    build(dir.path());
    let output = dir.path().join("output");

    let home = tempfile::tempdir().unwrap();
    let child = gazette_cmd(dir.path(), &["--workers", "2"], home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_objects(st.path(), 20);
    server.stop();
    let out = child.wait_with_output().unwrap();
    no_secret(&out);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rerun `gazette deploy` to finish"), "{err}");
    assert!(files(&remote_dir(st.path())).len() < files(&output).len());

    let server = S3Server::start(st.path(), port);
    let out = ok(deploy(dir.path(), &[]));
    assert!(counts(&out).0 > 0, "{out}");
    assert_mirrors(&remote_dir(st.path()), &output);
    assert_headers(&server);
    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out).0, 0, "{out}");
}

#[test]
fn deploy_killed_midway_then_rerun_converges_even_when_output_went_back() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    add_static_files(dir.path(), 600);
    build(dir.path());
    let output = dir.path().join("output");
    ok(deploy(dir.path(), &[]));
    let original = files(&output);

    // Change every bulk file, start deploying, kill the deploy partway.
    let bulk = dir.path().join("static/bulk");
    for e in fs::read_dir(&bulk).unwrap() {
        let p = e.unwrap().path();
        fs::write(&p, "changed\n".repeat(300)).unwrap();
    }
    build(dir.path());
    let home = tempfile::tempdir().unwrap();
    let mut child = gazette_cmd(dir.path(), &["--workers", "2"], home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    loop {
        let changed = files(&remote_dir(st.path()))
            .iter()
            .filter(|(k, v)| original.get(*k) != Some(*v))
            .count();
        if changed >= 10 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // The editor reverts the change: the remote now holds files the manifest never saw.
    let backup = dir.path().join("bulk-original");
    fs::create_dir_all(&backup).unwrap();
    for (k, v) in &original {
        if let Some(name) = k.strip_prefix("bulk/") {
            fs::write(bulk.join(name), v).unwrap();
        }
    }
    build(dir.path());
    assert_eq!(files(&output), original);
    ok(deploy(dir.path(), &[]));
    assert_mirrors(&remote_dir(st.path()), &output);
    assert_headers(&server);
}

#[test]
fn secrets_in_site_toml_are_refused_with_their_position_and_never_echoed() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    let path = dir.path().join("site.toml");
    let mut toml = fs::read_to_string(&path).unwrap();
    let line = toml.lines().count() + 3;
    toml.push_str(&format!(
        "\n[deploy.extra]\naws_secret_access_key = \"{SECRET_KEY}\"\n"
    ));
    fs::write(&path, &toml).unwrap();
    let out = deploy(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("site.toml:{line}:1")), "{err}");
    assert!(err.contains("deploy.extra.aws_secret_access_key"), "{err}");
    assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    assert!(files(&st.path().join(BUCKET)).is_empty());
}

#[test]
fn wrong_credentials_fail_cleanly_and_a_profile_file_works() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    let home = tempfile::tempdir().unwrap();

    // A wrong secret in the environment: refused by the server, not printed.
    let wrong = "WrongSecretValue-1234567890";
    let out = gazette_cmd(dir.path(), &[], home.path())
        .env("AWS_SECRET_ACCESS_KEY", wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains(wrong), "{}", text(&out));
    assert!(files(&st.path().join(BUCKET)).is_empty());

    // No environment, a profile in ~/.aws/credentials named in site.toml.
    fs::create_dir_all(home.path().join(".aws")).unwrap();
    fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[publisher]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        ),
    )
    .unwrap();
    let path = dir.path().join("site.toml");
    let toml = fs::read_to_string(&path).unwrap().replace(
        "region = \"us-east-1\"\n",
        "region = \"us-east-1\"\nprofile = \"publisher\"\n",
    );
    fs::write(&path, toml).unwrap();
    let out = gazette_cmd(dir.path(), &[], home.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    no_secret(&out);
    ok(out);
    assert_mirrors(&remote_dir(st.path()), &dir.path().join("output"));
}

#[test]
fn folder_target_mirrors_output_incrementally() {
    let dir = site("http://127.0.0.1:9");
    let output = dir.path().join("output");
    let public = dir.path().join("public");
    let n = files(&output).len();
    let out = ok(deploy(dir.path(), &["--target", "folder"]));
    assert_eq!(counts(&out), (n, 0, 0), "{out}");
    assert_mirrors(&public, &output);
    let out = ok(deploy(dir.path(), &["--target", "folder"]));
    assert_eq!(counts(&out), (0, 0, n), "{out}");

    fs::remove_file(dir.path().join("content/releases/2024-02/delta.md")).unwrap();
    build(dir.path());
    let out = ok(deploy(dir.path(), &["--target", "folder"]));
    assert!(counts(&out).1 >= 1, "{out}");
    assert_mirrors(&public, &output);
}

#[test]
fn missing_or_stale_output_and_unknown_target_are_explained() {
    let dir = site("http://127.0.0.1:9");
    let out = deploy(dir.path(), &["--target", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no deploy target `nope`") && err.contains("`test`"),
        "{err}"
    );

    // Sources newer than the output: a warning, the deploy goes on.
    std::thread::sleep(Duration::from_millis(20));
    let about = dir.path().join("content/pages/about.md");
    let src = fs::read_to_string(&about).unwrap();
    fs::write(&about, src).unwrap();
    let out = deploy(dir.path(), &["--target", "folder", "--dry-run"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("older than the sources") && err.contains("about.md"),
        "{err}"
    );

    fs::remove_dir_all(dir.path().join("output")).unwrap();
    let out = deploy(dir.path(), &["--target", "folder"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run `gazette build` first"), "{err}");
}

#[test]
fn gzip_target_stores_text_compressed_and_redeploys_nothing() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    let path = dir.path().join("site.toml");
    let toml = fs::read_to_string(&path).unwrap().replace(
        "prefix = \"results/\"\n",
        "prefix = \"results/\"\ngzip = true\n",
    );
    fs::write(&path, toml).unwrap();
    build(dir.path());
    let output = dir.path().join("output");
    let n = files(&output).len();
    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (n, 0, 0), "{out}");

    let remote = files(&remote_dir(st.path()));
    let local = files(&output);
    assert_eq!(
        remote.keys().collect::<Vec<_>>(),
        local.keys().collect::<Vec<_>>()
    );
    let mut compressed = 0;
    for (k, v) in &local {
        let r = &remote[k];
        if r.starts_with(&[0x1f, 0x8b]) && !v.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&r[..]), &mut plain)
                .unwrap();
            assert!(plain == *v, "{k} does not decompress to the output's bytes");
            compressed += 1;
        } else {
            assert!(r == v, "{k} differs");
        }
    }
    assert!(
        compressed > n / 2,
        "only {compressed} of {n} files compressed"
    );
    // Small files are stored as they are.
    assert_eq!(remote["robots.txt"], local["robots.txt"]);

    let (op, rt) = client(&server);
    let meta = rt.block_on(op.stat("index.html")).unwrap();
    assert_eq!(meta.content_encoding(), Some("gzip"));
    assert_eq!(meta.content_type(), Some("text/html; charset=utf-8"));

    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (0, 0, n), "{out}");
}

#[test]
fn verify_lists_the_remote_and_repairs_what_changed_behind_gazettes_back() {
    let st = store();
    let server = S3Server::start(st.path(), 0);
    let dir = site(&server.endpoint());
    let output = dir.path().join("output");
    ok(deploy(dir.path(), &[]));
    let n = files(&output).len();

    // Someone deletes one object and truncates another in the bucket.
    let remote = remote_dir(st.path());
    fs::remove_file(remote.join("style.css")).unwrap();
    fs::write(remote.join("about/index.html"), "x").unwrap();
    // The manifest is the record: a plain deploy trusts it.
    let out = ok(deploy(dir.path(), &[]));
    assert_eq!(counts(&out), (0, 0, n), "{out}");
    // --verify lists the bucket and repairs both.
    let out = ok(deploy(dir.path(), &["--verify", "--dry-run"]));
    assert!(out.contains("upload style.css (new, "), "{out}");
    assert!(out.contains("upload about/index.html (changed, "), "{out}");
    let out = ok(deploy(dir.path(), &["--verify"]));
    assert_eq!(counts(&out), (2, 0, n - 2), "{out}");
    assert_mirrors(&remote, &output);
    assert_headers(&server);
}
