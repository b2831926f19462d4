//! `cargo xtask test [ARGS…]`: the README's test command. It makes a fresh Debian machine
//! with only the Rust toolchain ready for the whole test suite, then runs `cargo test ARGS…`.
//!
//! What it installs, each only when missing:
//! - Debian packages: Chromium (the browser tests and Lighthouse drive it), the Noto CJK
//!   fonts (screenshots of Chinese pages), Node.js and npm (the validators);
//! - npm packages pinned in `tests/tools/package-lock.json` (html-validate, Lighthouse),
//!   into `tests/tools/node_modules/` with `npm ci`.
//!
//! It never skips a test and never downloads anything but packages by name from Debian's
//! and npm's registries. `cargo xtask setup` does the set-up alone. It must not know what the
//! tests check: the tests find these tools at the fixed paths below and fail, saying to run
//! this command, when one is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// A Debian package, and the file whose presence says it is installed.
struct AptPackage {
    name: &'static str,
    provides: &'static str,
}

const APT: &[AptPackage] = &[
    AptPackage {
        name: "chromium",
        provides: "/usr/bin/chromium",
    },
    AptPackage {
        name: "fonts-noto-cjk",
        provides: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    },
];

/// Node.js and npm: Debian's packages, unless the machine already has both on its PATH.
const NODE: &[&str] = &["nodejs", "npm"];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "setup" => setup(),
        "test" => setup().and_then(|()| run_tests(&rest)),
        _ => {
            eprintln!(
                "usage: cargo xtask test [CARGO TEST ARGS…]   install what the tests need, then run them\n       cargo xtask setup                        only install"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (this crate lives in `<root>/xtask`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the repository")
        .to_path_buf()
}

fn setup() -> Result<(), String> {
    let mut missing: Vec<&str> = APT
        .iter()
        .filter(|p| !Path::new(p.provides).exists())
        .map(|p| p.name)
        .collect();
    if !on_path("node") || !on_path("npm") {
        missing.extend(NODE);
    }
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    npm_tools()
}

fn on_path(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `apt-get install` as root, or through sudo; anything else is told what to install.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    eprintln!("xtask: installing {}", packages.join(" "));
    let sudo: &[&str] = if is_root() {
        &[]
    } else if on_path("sudo") {
        &["sudo"]
    } else {
        return Err(format!(
            "the tests need these Debian packages: {}. Install them as root \
             (apt-get install {}) and run this again.",
            packages.join(", "),
            packages.join(" ")
        ));
    };
    run(sudo_cmd(sudo, &["apt-get", "update", "-qq"]))?;
    let mut install = vec!["apt-get", "install", "-y", "-qq"];
    install.extend_from_slice(packages);
    let mut cmd = sudo_cmd(sudo, &install);
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    run(cmd)
}

fn sudo_cmd(sudo: &[&str], args: &[&str]) -> Command {
    let all: Vec<&str> = sudo.iter().chain(args).copied().collect();
    let mut cmd = Command::new(all[0]);
    cmd.args(&all[1..]);
    cmd
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `npm ci` in `tests/tools` unless its `node_modules` is as new as its lock file.
fn npm_tools() -> Result<(), String> {
    let dir = root().join("tests/tools");
    let lock = dir.join("package-lock.json");
    let stamp = dir.join("node_modules/.package-lock.json");
    let fresh = match (modified(&lock), modified(&stamp)) {
        (Some(lock), Some(stamp)) => stamp >= lock,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    eprintln!("xtask: installing the test tools in {}", dir.display());
    let mut cmd = Command::new("npm");
    cmd.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        // Lighthouse drives the system Chromium; nothing may download a browser of its own.
        .env("PUPPETEER_SKIP_DOWNLOAD", "1");
    run(cmd)
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn run_tests(args: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("test").args(args).current_dir(root());
    run(cmd)
}

fn run(mut cmd: Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}
