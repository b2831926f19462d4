//! Helpers shared by the integration tests: temporary copies of fixture sites, builds, and
//! reading output back.
#![allow(dead_code)]

pub mod browser;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use gazette::BuildOptions;
use scraper::{Html, Selector};
use tempfile::TempDir;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A temporary copy of `tests/fixtures/<name>` with the repository's default theme.
pub fn fixture(name: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures").join(name), dir.path());
    copy_dir(&repo().join("themes"), &dir.path().join("themes"));
    dir
}

/// A temporary copy of the repository's sample site. Its thumbnails are cached in one
/// folder under `target/` shared by every copy, so that each test does not make them again.
pub fn sample_site() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fs::read_to_string(repo().join("site.toml")).unwrap();
    let cache = repo().join("target/test-image-cache");
    config.push_str(&format!(
        "\n[images]\ncache = {:?}\n",
        cache.to_string_lossy()
    ));
    fs::write(dir.path().join("site.toml"), config).unwrap();
    copy_dir(&repo().join("content"), &dir.path().join("content"));
    copy_dir(&repo().join("themes"), &dir.path().join("themes"));
    dir
}

pub fn opts(root: &Path) -> BuildOptions {
    BuildOptions::new(root)
}

pub fn build_ok(opts: &BuildOptions) -> gazette::Summary {
    match gazette::build(opts) {
        Ok(s) => s,
        Err(f) => panic!("build failed:\n{}", f.report()),
    }
}

/// Every file under `dir`, path → bytes.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, fs::read(e.path()).unwrap());
        }
    }
    out
}

pub fn html(path: &Path) -> Html {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Html::parse_document(&text)
}

pub fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel).collect()
}

pub fn texts(doc: &Html, css: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

pub fn attrs(doc: &Html, css: &str, attr: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .filter_map(|e| e.value().attr(attr).map(str::to_string))
        .collect()
}
