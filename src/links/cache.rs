//! The answers of earlier external link checks, kept in `.gazette-cache/links.json` under
//! the site's folder (never in the output): URL → when it was checked and what it gave.
//! It only reads and writes that file; how long an answer counts is the caller's business.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Outcome;

/// One remembered answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cached {
    /// When it was asked, in seconds since the Unix epoch.
    pub checked: i64,
    pub outcome: Outcome,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    links: BTreeMap<String, Cached>,
}

const VERSION: u32 = 1;

/// The cache file of the site at `root`.
pub fn path(root: &Path) -> PathBuf {
    root.join(".gazette-cache").join("links.json")
}

/// The remembered answers; none when the file is missing, unreadable or of another version.
pub fn load(root: &Path) -> BTreeMap<String, Cached> {
    std::fs::read(path(root))
        .ok()
        .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
        .filter(|f| f.version == VERSION)
        .map(|f| f.links)
        .unwrap_or_default()
}

/// Write `links` as the cache, whole (a temporary file renamed over the old one).
pub fn save(root: &Path, links: &BTreeMap<String, Cached>) -> std::io::Result<()> {
    let file = path(root);
    let dir = file.parent().unwrap_or(root);
    std::fs::create_dir_all(dir)?;
    let body = serde_json::to_vec_pretty(&CacheFile {
        version: VERSION,
        links: links.clone(),
    })?;
    let tmp = dir.join(format!(".links.json.{}", std::process::id()));
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, &file)
}
