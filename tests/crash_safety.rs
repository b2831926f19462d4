//! Killing a build (SIGKILL) at any moment leaves `output/` as a complete site: the previous
//! one, or the new one once the swap happened, never a mixture; and the next build cleans up
//! after the killed one.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// A fixture big enough that a build takes a noticeable time.
fn big_site() -> tempfile::TempDir {
    let site = fixture("basic");
    let dir = site.path().join("content/releases/2024-02");
    for i in 0..400 {
        let text = format!(
            "+++\ntitle = \"批量成果 {i}\"\nsummary = \"第 {i} 项。\"\ninstitutions = [\"单位{}\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n\n## 技术简介\n\n{}\n",
            i % 37,
            "正文内容。".repeat(200)
        );
        fs::write(dir.join(format!("bulk-{i}.md")), text).unwrap();
    }
    site
}

fn set_title(root: &Path, title: &str) {
    let p = root.join("site.toml");
    let text = fs::read_to_string(&p).unwrap();
    let start = text.find("title = \"").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    fs::write(
        &p,
        format!("{}title = \"{title}\"{}", &text[..start], &text[end..]),
    )
    .unwrap();
}

fn build_into(root: &Path, out: &Path) -> BTreeMap<String, Vec<u8>> {
    let status = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    files(out)
}

#[test]
fn sigkill_at_any_moment_leaves_a_complete_output() {
    let site = big_site();
    let root = site.path();
    let refs = tempfile::tempdir().unwrap();
    set_title(root, "版本甲");
    let a = build_into(root, &refs.path().join("a"));
    set_title(root, "版本乙");
    let t = Instant::now();
    let b = build_into(root, &refs.path().join("b"));
    let build_time = t.elapsed();
    assert_ne!(a, b);

    let out = root.join("output");
    set_title(root, "版本甲");
    assert_eq!(build_into(root, &out), a);
    let mut state_is_a = true;
    let mut saw_new = 0;
    for i in 0..12u32 {
        // Aim the next build at the other version, and kill it somewhere in its run.
        set_title(root, if state_is_a { "版本乙" } else { "版本甲" });
        let mut child = Command::new(env!("CARGO_BIN_EXE_gazette"))
            .args(["build", "--root"])
            .arg(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let fraction = f64::from((i * 7) % 12) / 10.0; // 0.0 … 1.1 of a build
        std::thread::sleep(build_time.mul_f64(fraction) + Duration::from_millis(5));
        let _ = child.kill();
        let _ = child.wait();
        let now = files(&out);
        let (old, new) = if state_is_a { (&a, &b) } else { (&b, &a) };
        if &now == new {
            state_is_a = !state_is_a;
            saw_new += 1;
        } else {
            assert!(
                &now == old,
                "kill {i} at {fraction:.1} of a build left a mixed output/"
            );
        }
    }
    // A build to completion cleans up whatever the killed ones left beside output/.
    set_title(root, "版本甲");
    assert_eq!(build_into(root, &out), a);
    // Beside it stays only the folder that keeps the previous output for the next build
    // (with the two folders' manifests and page records, a lock, and what was surveyed ahead).
    let leftovers: Vec<String> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".output.") && n != ".output.gazette")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let mut kept: Vec<String> = fs::read_dir(root.join(".output.gazette"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|n| {
            if n.starts_with("manifest-") {
                "manifest".into()
            } else if n.starts_with("pages-") {
                "pages".into()
            } else {
                n
            }
        })
        .collect();
    // The record of the survey of the staging folder that the completing build started
    // once done (see `sink::ahead`), or its temporary file, depending on how far it got.
    kept.retain(|n| !n.starts_with("ahead"));
    kept.sort();
    // Each folder's page records sit beside its manifest: one or two of them too.
    let pages = kept.iter().filter(|n| *n == "pages").count();
    assert!((1..=2).contains(&pages), "{kept:?}");
    kept.retain(|n| n != "pages");
    // Two manifests, one per folder — or one, when the last killed build had already swapped
    // in the same site and had begun bringing the kept folder up to date: the completing
    // build then finds nothing to write, does not swap, and leaves that folder without a
    // manifest (it is checked by content next time, which the next build below exercises).
    // Which happens depends on where the kills fell.
    assert!(
        kept == ["lock", "manifest", "manifest", "site"] || kept == ["lock", "manifest", "site"],
        "{kept:?}"
    );
    // The next build, with nothing changed, brings the kept folder up to date and swaps it
    // in: the site is still the same.
    assert_eq!(build_into(root, &out), a);
    eprintln!("{saw_new} of 12 killed builds had already swapped in the new site");
}
