//! The manifest of an output folder: for each file, its size, a 128-bit hash of its bytes
//! (XXH3) and the fingerprint the file system gave it when it was written (inode, size,
//! modification and change times). A rebuild compares what it renders with the manifest of
//! the folder it updates, and writes only files whose bytes differ.
//!
//! A manifest lives beside the output, in the hidden sibling folder `.<name>.gazette/`, never
//! inside the output (so uploading or serving `output/` never publishes it), one file per
//! output folder named after the folder's inode (which a rename keeps). A record is trusted
//! only while the file on disk still has the recorded fingerprint; a file changed since (by a
//! killed build, or by hand) is compared by content instead. A manifest that is missing,
//! truncated or of another format is no manifest at all.
//!
//! This module reads and writes manifests; it never touches the files they describe.

use super::Map;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What identifies one version of a file on disk: a file rewritten, replaced or touched
/// gets another (the change time cannot be set back by anyone but the kernel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Fingerprint {
    #[cfg(unix)]
    pub fn of(m: &fs::Metadata) -> Fingerprint {
        use std::os::unix::fs::MetadataExt;
        Fingerprint {
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    pub fn of(m: &fs::Metadata) -> Fingerprint {
        let nanos = |t: std::io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
                .unwrap_or((0, 0))
        };
        Fingerprint {
            ino: 0,
            size: m.len(),
            mtime: nanos(m.modified()),
            ctime: nanos(m.created()),
        }
    }
}

/// One file of an output folder as it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub hash: u128,
    pub fp: Fingerprint,
}

/// The hash a manifest keeps of a file's bytes.
pub fn hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

const HEADER: &str = "gazette-manifest 1";

/// Where the manifest of the output folder with inode `ino` is kept, in `home`.
pub fn path(home: &Path, ino: u64) -> PathBuf {
    home.join(format!("manifest-{ino}"))
}

pub(super) fn escape(p: &str) -> String {
    p.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

pub(super) fn unescape(p: &str) -> Option<String> {
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Write the manifest of `records` to `to`, atomically (a temporary file renamed over it).
pub fn write(to: &Path, records: &[(String, Record)]) -> std::io::Result<()> {
    let mut text = String::with_capacity(records.len() * 120 + 64);
    text.push_str(HEADER);
    text.push('\n');
    text.push_str(&records.len().to_string());
    text.push('\n');
    for (p, r) in records {
        let f = &r.fp;
        text.push_str(&format!(
            "{:032x} {} {} {} {} {} {} {}\n",
            r.hash,
            f.size,
            f.ino,
            f.mtime.0,
            f.mtime.1,
            f.ctime.0,
            f.ctime.1,
            escape(p)
        ));
    }
    text.push_str("end\n");
    let tmp = to.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    fs::rename(&tmp, to)
}

/// Read the manifest at `from`: `None` when there is none or it is not whole.
pub fn read(from: &Path) -> Option<Map<String, Record>> {
    let text = fs::read_to_string(from).ok()?;
    parse(&text)
}

fn parse(text: &str) -> Option<Map<String, Record>> {
    let mut lines = text.split('\n');
    if lines.next()? != HEADER {
        return None;
    }
    let count: usize = lines.next()?.parse().ok()?;
    let mut out = Map::with_capacity_and_hasher(count, Default::default());
    for _ in 0..count {
        let mut f = lines.next()?.splitn(8, ' ');
        let hash = u128::from_str_radix(f.next()?, 16).ok()?;
        let size = f.next()?.parse().ok()?;
        let ino = f.next()?.parse().ok()?;
        let mut times = [0i64; 4];
        for t in &mut times {
            *t = f.next()?.parse().ok()?;
        }
        let (mtime, ctime) = ((times[0], times[1]), (times[2], times[3]));
        let path = unescape(f.next()?)?;
        let fp = Fingerprint {
            ino,
            size,
            mtime,
            ctime,
        };
        out.insert(path, Record { hash, fp });
    }
    (lines.next()? == "end").then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u64) -> Record {
        Record {
            hash: u128::from(n) << 70 | 7,
            fp: Fingerprint {
                ino: n,
                size: n * 3,
                mtime: (1_700_000_000, 123),
                ctime: (-1, 999_999_999),
            },
        }
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let to = path(dir.path(), 42);
        let records = vec![
            ("index.html".to_string(), record(1)),
            ("a b/文件\n名\\x.html".to_string(), record(2)),
        ];
        write(&to, &records).unwrap();
        let back = read(&to).unwrap();
        assert_eq!(back.len(), 2);
        for (p, r) in &records {
            assert_eq!(back[p], *r);
        }
    }

    #[test]
    fn a_truncated_or_foreign_manifest_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let to = path(dir.path(), 1);
        write(&to, &[("x".to_string(), record(1))]).unwrap();
        let text = fs::read_to_string(&to).unwrap();
        for cut in [text.len() - 4, text.len() / 2, 5] {
            assert!(parse(&text[..cut]).is_none(), "cut at {cut}");
        }
        assert!(parse(&text.replace("manifest 1", "manifest 9")).is_none());
        assert!(read(&dir.path().join("none")).is_none());
    }
}
