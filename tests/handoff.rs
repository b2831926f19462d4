//! `gazette build` runs the build in a child process and returns as soon as the child says it
//! is done, before the kernel has freed the child's memory (`gazette::handoff`). The command
//! must still end as the build did: with its exit code and output, with the build's signal
//! when the build process is killed, and taking the build with it when it is killed itself;
//! and nothing the build held (the output's lock) may outlive the command.
#![cfg(target_os = "linux")]

mod common;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn gazette(root: &Path, fork: bool) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gazette"));
    c.args(["build", "--root"]).arg(root);
    c.env("GAZETTE_SURVEY_AHEAD", "0");
    if fork {
        c.env_remove("GAZETTE_FORK");
    } else {
        c.env("GAZETTE_FORK", "0");
    }
    c
}

/// The output's lock, held: a build waits for it (see `sink::disk::lock`).
fn hold_lock(root: &Path) -> fs::File {
    let file = fs::File::options()
        .write(true)
        .open(root.join(".output.gazette/lock"))
        .expect("an earlier build made the lock file");
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).unwrap();
    file
}

/// Whether the output's lock can be taken at once.
fn lock_is_free(root: &Path) -> bool {
    let file = fs::File::options()
        .write(true)
        .open(root.join(".output.gazette/lock"))
        .unwrap();
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
}

/// The pid's parent and state letter, from /proc (None once it is gone).
fn stat(pid: u32) -> Option<(u32, char)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid …": the command name may hold spaces, so read after its ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let mut parts = rest.split(' ');
    let state = parts.next()?.chars().next()?;
    let ppid = parts.next()?.parse().ok()?;
    Some((ppid, state))
}

/// The child process the command `parent` forked to build, once it exists.
fn build_process(parent: &Child) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let children: Vec<u32> = fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|&pid| stat(pid).is_some_and(|(ppid, _)| ppid == parent.id()))
            .collect();
        if let [one] = children[..] {
            return one;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the command forked no build process");
}

fn gone_or_dead(pid: u32) -> bool {
    stat(pid).is_none_or(|(_, state)| state == 'Z' || state == 'X')
}

/// Two runs on two copies of a site (`a` at `root_a`, `b` at `root_b`) ended alike: the
/// same code, the same report and summary (but for where the copies are and the time taken).
fn assert_same_run(a: &Output, root_a: &Path, b: &Output, root_b: &Path) {
    assert_eq!(a.status.code(), b.status.code());
    let text = |bytes: &[u8], root: &Path| {
        let s = String::from_utf8_lossy(bytes).replace(&*root.to_string_lossy(), "ROOT");
        // The summary ends with the time the build took.
        s.rsplit_once(';')
            .map(|(head, _)| head.to_string())
            .unwrap_or(s)
    };
    assert_eq!(text(&a.stderr, root_a), text(&b.stderr, root_b));
    assert_eq!(text(&a.stdout, root_a), text(&b.stdout, root_b));
}

#[test]
fn the_command_ends_with_the_builds_code_and_output() {
    let (site, alone_site) = (fixture("basic"), fixture("basic"));
    let (root, alone_root) = (site.path(), alone_site.path());
    let forked = gazette(root, true).output().unwrap();
    assert!(forked.status.success(), "{forked:?}");
    assert!(String::from_utf8_lossy(&forked.stdout).starts_with("built "));
    let alone = gazette(alone_root, false).output().unwrap();
    assert_same_run(&forked, root, &alone, alone_root);
    let built = files(&root.join("output"));
    assert_eq!(files(&alone_root.join("output")), built);

    // A site with an error: code 1 and the same report either way, output unchanged.
    for r in [root, alone_root] {
        let toml = r.join("site.toml");
        let text = fs::read_to_string(&toml).unwrap();
        fs::write(&toml, format!("{text}\nbroken = \n")).unwrap();
    }
    let forked = gazette(root, true).output().unwrap();
    assert_eq!(forked.status.code(), Some(1), "{forked:?}");
    assert!(String::from_utf8_lossy(&forked.stderr).contains("site.toml:"));
    let alone = gazette(alone_root, false).output().unwrap();
    assert_same_run(&forked, root, &alone, alone_root);
    assert_eq!(files(&root.join("output")), built);
}

#[test]
fn nothing_the_build_held_outlives_the_command() {
    // Not `output()`: that waits for the ends of stdout and stderr, which a build process
    // still tearing down could hold; the command's own end is what is checked here.
    let site = fixture("basic");
    let root = site.path();
    for round in 0..5 {
        let status = gazette(root, true)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{status:?}");
        assert!(
            lock_is_free(root),
            "round {round}: the output's lock was still held when the command returned"
        );
        // Something to write next round.
        fs::write(root.join("content/releases/2024-02/round.md"), entry(round)).unwrap();
    }
}

/// A valid entry of the `basic` fixture whose text changes with `n`.
fn entry(n: usize) -> String {
    format!(
        "+++\ntitle = \"新增成果 {n}\"\nsummary = \"一项。\"\ninstitutions = [\"单位\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n\n{}\n",
        "正文。".repeat(n + 1)
    )
}

/// A command building the site at `root` (built once, then given a new entry) while the
/// test holds the output's lock, so its build process waits: the command, that process,
/// the lock, and the output as it was.
fn waiting_build(root: &Path) -> (Child, u32, fs::File, Files) {
    assert!(gazette(root, true).output().unwrap().status.success());
    let before = files(&root.join("output"));
    fs::write(root.join("content/releases/2024-02/added.md"), entry(0)).unwrap();
    let lock = hold_lock(root);
    let command = gazette(root, true)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let build = build_process(&command);
    (command, build, lock, before)
}

type Files = std::collections::BTreeMap<String, Vec<u8>>;

#[test]
fn a_killed_build_process_ends_the_command_with_its_signal() {
    let site = fixture("basic");
    let root = site.path();
    let (mut command, build, lock, before) = waiting_build(root);
    // SAFETY: sends a signal to a process of this test's own.
    assert_eq!(unsafe { libc::kill(build as i32, libc::SIGKILL) }, 0);
    let status = command.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    drop(lock);
    assert_eq!(files(&root.join("output")), before);
}

#[test]
fn a_killed_command_takes_its_build_with_it() {
    let site = fixture("basic");
    let root = site.path();
    let (mut command, build, lock, before) = waiting_build(root);
    command.kill().unwrap();
    command.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !gone_or_dead(build) {
        assert!(
            Instant::now() < deadline,
            "the build process outlived its command"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(lock);
    // It was waiting for the lock: the output is as it was, and the next build is whole.
    assert_eq!(files(&root.join("output")), before);
    assert!(gazette(root, true).output().unwrap().status.success());
    assert_ne!(files(&root.join("output")), before);
}
