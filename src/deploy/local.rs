//! What is to be published: every file under the output folder with its size and MD5 (the
//! hash S3 reports as a simple upload's ETag), and whether the output is older than the
//! site's sources. It reads the local disk only; it must not decide what to upload.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use md5::{Digest, Md5};
use rayon::prelude::*;

/// One file of the built site.
#[derive(Debug, Clone)]
pub struct LocalFile {
    /// Path relative to the output folder, `/`-separated: the object's key under the prefix.
    pub path: String,
    pub abs: PathBuf,
    pub size: u64,
    /// Lowercase hex MD5 of the bytes.
    pub md5: String,
    pub modified: Option<SystemTime>,
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// MD5 of bytes, lowercase hex.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

/// Every file under `output` but the build's marker, sorted by path, hashed in parallel.
pub fn inventory(output: &Path) -> std::io::Result<Vec<LocalFile>> {
    let mut found = Vec::new();
    for e in walkdir::WalkDir::new(output).follow_links(true) {
        let e = e.map_err(std::io::Error::other)?;
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(output)
            .map_err(std::io::Error::other)?;
        let Some(path) = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
        else {
            return Err(std::io::Error::other(format!(
                "{} has a name that is not UTF-8",
                e.path().display()
            )));
        };
        let path = path.join("/");
        // The build's marker that the folder is its own: not part of the site.
        if path == crate::sink::disk::MARKER {
            continue;
        }
        found.push((path, e.path().to_path_buf()));
    }
    found.sort();
    found
        .into_par_iter()
        .map(|(path, abs)| {
            let bytes = std::fs::read(&abs)?;
            let modified = std::fs::metadata(&abs).and_then(|m| m.modified()).ok();
            Ok(LocalFile {
                path,
                size: bytes.len() as u64,
                md5: md5_hex(&bytes),
                abs,
                modified,
            })
        })
        .collect()
}

/// The newest modification time of the site's sources (site.toml, content/, themes/,
/// static/), and the file that has it.
pub fn newest_source(root: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    let mut see = |p: &Path| {
        if let Ok(t) = std::fs::metadata(p).and_then(|m| m.modified())
            && newest.as_ref().is_none_or(|(n, _)| t > *n)
        {
            newest = Some((t, p.to_path_buf()));
        }
    };
    see(&root.join("site.toml"));
    for dir in ["content", "themes", "static"] {
        for e in walkdir::WalkDir::new(root.join(dir))
            .into_iter()
            .filter_map(Result::ok)
        {
            if e.file_type().is_file() {
                see(e.path());
            }
        }
    }
    newest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_is_the_etag_form() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn inventory_lists_nested_files_sorted() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("b/c")).unwrap();
        std::fs::write(d.path().join("b/c/x.html"), "x").unwrap();
        std::fs::write(d.path().join("a.css"), "").unwrap();
        let inv = inventory(d.path()).unwrap();
        let paths: Vec<_> = inv.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.css", "b/c/x.html"]);
        assert_eq!(inv[1].size, 1);
    }
}
