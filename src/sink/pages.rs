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

use super::{Map, PathKey};
use std::fs;
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

/// Every page of a folder, by path relative to it (as a [`PathKey`]), in the order they were
/// written, which is the plan's: a build with the same plan finds each page's record at its
/// place ([`PageRecords::get_at`]), reading them in order. Looked up in a map of 220,000 of
/// them at 100,000 entries, each lookup was a cache miss; the map is made only if a record
/// is looked for elsewhere than at its place.
#[derive(Debug, Default)]
pub struct PageRecords {
    list: Vec<(PathKey, PageRecord)>,
    by_key: std::sync::OnceLock<Map<PathKey, u32>>,
}

impl PageRecords {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The record of the page whose path's key is `key`.
    pub fn get(&self, key: &PathKey) -> Option<&PageRecord> {
        let by_key = self.by_key.get_or_init(|| {
            // The last record of a path stands, as when the records were read into a map.
            (self.list.iter().enumerate())
                .map(|(i, (k, _))| (*k, i as u32))
                .collect()
        });
        by_key.get(key).map(|&i| &self.list[i as usize].1)
    }

    /// [`PageRecords::get`], looking at `place` first (where the page is in the plan, as the
    /// records are written).
    pub fn get_at(&self, place: usize, key: &PathKey) -> Option<&PageRecord> {
        match self.list.get(place) {
            Some((k, r)) if k == key => Some(r),
            _ => self.get(key),
        }
    }

    pub fn contains_key(&self, key: &PathKey) -> bool {
        self.get(key).is_some()
    }
}

const HEADER: &str = "gazette-pages 3";

/// Where the page records of the folder with inode `ino` are kept, in `home`.
pub fn path(home: &Path, ino: u64) -> PathBuf {
    home.join(format!("pages-{ino}"))
}

/// Write `records` to `to` (see [`super::manifest::write_sealed`]). The format: the header line, the record count, each
/// record (signature, hash, path as [`super::manifest::put_path`] writes it, the images
/// asked for, each as JSON), then an XXH3 checksum of everything before it
/// ([`super::manifest::write_sealed`]); binary and little-endian, as the manifest is.
pub fn write(to: &Path, records: &[(String, PageRecord)]) -> std::io::Result<()> {
    use super::manifest::{put_path, put_str, put_varint};
    let mut out = Vec::with_capacity(records.len() * 48 + 64);
    out.extend_from_slice(HEADER.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&(records.len() as u64).to_le_bytes());
    let mut prev = String::new();
    for (p, r) in records {
        out.extend_from_slice(&r.signature.to_le_bytes());
        out.extend_from_slice(&r.hash.to_le_bytes());
        put_path(&mut out, &mut prev, p);
        put_varint(&mut out, r.asked.len() as u64);
        for (d, file) in &r.asked {
            let json = serde_json::to_string(&(d, file)).map_err(std::io::Error::other)?;
            put_str(&mut out, &json);
        }
    }
    super::manifest::write_sealed(to, &out)
}

/// Read the records at `from`: `None` when there are none or the file is not whole.
pub fn read(from: &Path) -> Option<PageRecords> {
    parse(&fs::read(from).ok()?)
}

fn parse(bytes: &[u8]) -> Option<PageRecords> {
    let mut r = super::manifest::open_sealed(bytes, HEADER)?;
    let count = usize::try_from(r.u64()?).ok()?;
    let mut out = Vec::with_capacity(count.min(bytes.len() / 26));
    let mut prev = String::new();
    for _ in 0..count {
        let signature = r.u64()?;
        let hash = r.u128()?;
        let path = PathKey::of(r.path_next(&mut prev)?);
        let n = usize::try_from(r.varint()?).ok()?;
        let mut asked = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            asked.push(serde_json::from_slice(r.sized()?).ok()?);
        }
        out.push((
            path,
            PageRecord {
                signature,
                hash,
                asked,
            },
        ));
    }
    r.is_done().then_some(PageRecords {
        list: out,
        by_key: Default::default(),
    })
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
        let (ka, kb) = (PathKey::of("a b/页面\n.html"), PathKey::of("index.html"));
        assert_eq!(back.get_at(0, &ka), Some(&a));
        assert_eq!(back.get_at(1, &kb), Some(&b));
        // Looked for elsewhere than at its place, or not there.
        assert_eq!(back.get_at(1, &ka), Some(&a));
        assert_eq!(back.get_at(7, &kb), Some(&b));
        assert_eq!(back.get(&ka), Some(&a));
        assert!(!back.contains_key(&PathKey::of("other.html")));
        let bytes = fs::read(&to).unwrap();
        for cut in [bytes.len() - 3, bytes.len() / 2, 3, 0] {
            assert!(parse(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 4;
        assert!(parse(&flipped).is_none(), "a changed byte");
        assert!(read(&dir.path().join("none")).is_none());
    }
}
