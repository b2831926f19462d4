//! The page records of an output folder: for each HTML page a build rendered or kept, the
//! page's signature (a hash of everything it shows, see `serve::signature`), the hash of the
//! bytes that signature rendered to, and the images made on request the page asked for. The
//! next build renders a page again only when its signature changed (see `render::reuse`).
//!
//! Each record states a fact that stays true: "this signature renders to these bytes". A
//! page is kept only where the output's own manifest says its file holds exactly those
//! bytes, so a record file that is stale, from another folder or left by a killed build
//! never puts wrong bytes in a site; at worst a page is rendered again. A record file lives
//! beside its folder's manifest in `.<name>.gazette/`, named after the folder's inode.
//!
//! This module reads and writes record files; it decides nothing and touches no page.

use super::Map;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::images::Derived;

/// One page as a build left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRecord {
    pub signature: u64,
    /// The hash of the page's bytes (as in the manifest, see `manifest::hash`).
    pub hash: u128,
    /// Images made on request the page asked for, with their cache files.
    pub asked: Vec<(Derived, PathBuf)>,
}

/// Every page of a folder, by path relative to it.
pub type PageRecords = Map<String, PageRecord>;

const HEADER: &str = "gazette-pages 1";

/// Where the page records of the folder with inode `ino` are kept, in `home`.
pub fn path(home: &Path, ino: u64) -> PathBuf {
    home.join(format!("pages-{ino}"))
}

/// Write `records` (sorted by path) to `to`, atomically.
pub fn write(to: &Path, records: &[(String, PageRecord)]) -> std::io::Result<()> {
    let mut text = String::with_capacity(records.len() * 100 + 64);
    text.push_str(HEADER);
    text.push('\n');
    text.push_str(&records.len().to_string());
    text.push('\n');
    for (p, r) in records {
        text.push_str(&format!(
            "{:016x} {:032x} {} {}\n",
            r.signature,
            r.hash,
            r.asked.len(),
            super::manifest::escape(p)
        ));
        for (d, file) in &r.asked {
            let line = serde_json::to_string(&(d, file)).map_err(std::io::Error::other)?;
            text.push_str(&line);
            text.push('\n');
        }
    }
    text.push_str("end\n");
    let tmp = to.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    fs::rename(&tmp, to)
}

/// Read the records at `from`: `None` when there are none or the file is not whole.
pub fn read(from: &Path) -> Option<PageRecords> {
    parse(&fs::read_to_string(from).ok()?)
}

fn parse(text: &str) -> Option<PageRecords> {
    let mut lines = text.split('\n');
    if lines.next()? != HEADER {
        return None;
    }
    let count: usize = lines.next()?.parse().ok()?;
    let mut out = Map::with_capacity_and_hasher(count, Default::default());
    for _ in 0..count {
        let mut f = lines.next()?.splitn(4, ' ');
        let signature = u64::from_str_radix(f.next()?, 16).ok()?;
        let hash = u128::from_str_radix(f.next()?, 16).ok()?;
        let n: usize = f.next()?.parse().ok()?;
        let path = super::manifest::unescape(f.next()?)?;
        let mut asked = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            asked.push(serde_json::from_str(lines.next()?).ok()?);
        }
        out.insert(
            path,
            PageRecord {
                signature,
                hash,
                asked,
            },
        );
    }
    (lines.next()? == "end").then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_written_and_a_cut_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let to = path(dir.path(), 7);
        let asked = vec![(
            Derived {
                out: "releases/a/cover.1200x630.abc.jpg".into(),
                width: 1200,
                height: 630,
                rel: "releases/a/cover.jpg".into(),
                source_hash: "ff".into(),
            },
            PathBuf::from("/cache/abc.jpg"),
        )];
        let a = PageRecord {
            signature: u64::MAX,
            hash: 1 << 100,
            asked,
        };
        let b = PageRecord {
            signature: 3,
            hash: 4,
            asked: Vec::new(),
        };
        let records = [
            ("a b/页面\n.html".to_string(), a.clone()),
            ("index.html".to_string(), b.clone()),
        ];
        write(&to, &records).unwrap();
        let back = read(&to).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back["a b/页面\n.html"], a);
        assert_eq!(back["index.html"], b);
        let text = fs::read_to_string(&to).unwrap();
        for cut in [text.len() - 3, text.len() / 2, 3] {
            assert!(parse(&text[..cut]).is_none(), "cut at {cut}");
        }
        assert!(read(&dir.path().join("none")).is_none());
    }
}
