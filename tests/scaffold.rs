//! `gazette init`, `gazette new release` and `gazette new entry`: the files they write are
//! complete, validate as they are, and nothing is overwritten.

mod common;

use std::fs;
use std::process::Command;

use common::*;

fn gazette(args: &[&str], root: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn init_makes_a_site_that_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("new-site");
    let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .arg("init")
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = build_ok(&opts(&site));
    assert_eq!((summary.entries, summary.releases), (1, 1));
    assert!(
        site.join("output/releases/first/example/index.html")
            .is_file()
    );
    // With a demand and a pilot base, their pages and the theme's icons.
    for p in [
        "output/demands/example-demand/index.html",
        "output/bases/example-base/index.html",
        "output/demands/index.html",
        "output/favicon.ico",
        "output/apple-touch-icon.png",
    ] {
        assert!(site.join(p).is_file(), "{p}");
    }
    // A second init refuses to overwrite.
    let again = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .arg("init")
        .arg(&site)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn new_release_and_entry_build_and_list_every_schema_field() {
    let site = sample_site();
    let root = site.path();
    let out = gazette(&["new", "release", "2025-02"], root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gazette(&["new", "entry", "2025-02", "海水淡化膜组件"], root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = root.join("content/releases/2025-02/hai-shui-dan-hua-mo-zu-jian.md");
    let text = fs::read_to_string(&path).unwrap();
    let (config, _) = gazette::config::load(root).unwrap();
    for (name, def) in &config.schema.fields {
        let written = text.lines().any(|l| {
            let l = l.trim_start_matches("# ");
            l.starts_with(&format!("{name} ="))
                || l == format!("[{name}]")
                || l == format!("[[{name}]]")
        });
        assert!(written, "field {name} missing from scaffold:\n{text}");
        if def.required {
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&format!("{name} =")) || l == format!("[{name}]")),
                "required field {name} is commented out"
            );
        }
    }
    assert!(text.contains("title = \"海水淡化膜组件\""));
    let summary = build_ok(&opts(root));
    assert_eq!(summary.releases, 4);
    assert!(
        root.join("output/releases/2025-02/hai-shui-dan-hua-mo-zu-jian/index.html")
            .is_file()
    );
}

#[test]
fn scaffolding_never_overwrites_and_checks_ids() {
    let site = sample_site();
    let root = site.path();
    let before = fs::read(root.join("content/releases/2024-03/_release.toml")).unwrap();
    assert_eq!(
        gazette(&["new", "release", "2024-03"], root).status.code(),
        Some(1)
    );
    assert_eq!(
        fs::read(root.join("content/releases/2024-03/_release.toml")).unwrap(),
        before
    );
    assert_eq!(
        gazette(&["new", "release", "../evil"], root).status.code(),
        Some(1)
    );
    assert!(!root.join("content/evil").exists());
    assert_eq!(
        gazette(&["new", "entry", "2099-09", "x"], root)
            .status
            .code(),
        Some(1)
    );
    let mma = fs::read(root.join("content/releases/2024-03/mma-pilot.md")).unwrap();
    assert_eq!(
        gazette(&["new", "entry", "2024-03", "mma pilot"], root)
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        fs::read(root.join("content/releases/2024-03/mma-pilot.md")).unwrap(),
        mma
    );
}
