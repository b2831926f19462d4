//! Rendered bodies a build keeps for the next build, in `.gazette-cache/bodies/`: a body
//! whose key (its text, place, language and link targets, see `markdown::site`) is in the
//! store, and whose images are as they were, is read back instead of rendered. Only bodies
//! that rendered without a problem are kept, so every warning is reported on every build.
//!
//! Layout: `bodies.log`, records appended one build after another (a body's HTML and the
//! images it names with their fingerprints), and `bodies.idx`, rewritten whole by each build
//! (through a temporary file and a rename): where the records this build used are, with
//! each record's checksum. A record is used only if its bytes still have that checksum, so a
//! log cut short by a killed build, or rewritten by another build at the same time, costs
//! rendering again and never a wrong body. The log is rewritten with only the live records
//! when it grows past twice their size; a store made by another Gazette or for another
//! site.toml (the `salt`) is started afresh.
//!
//! It owns these files; it renders nothing and decides nothing about keys.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use xxhash_rust::xxh3::xxh3_64;

const MAGIC: &[u8] = b"gazette bodies 1\n";

/// Where a record is in the log, and its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    offset: u64,
    len: u32,
    sum: u64,
}

/// A body read back: its HTML and the images it names with their fingerprints.
pub type StoredBody = (Arc<str>, Vec<(String, u64)>);

/// The bodies kept by the last build, and those this build adds.
pub struct BodyStore {
    dir: PathBuf,
    salt: u64,
    index: HashMap<u64, Loc>,
    log: Option<File>,
    /// Records to append, and the keys read back (both kept in the next index).
    added: Mutex<Vec<(u64, Vec<u8>)>>,
    used: Mutex<Vec<u64>>,
}

impl BodyStore {
    /// The store of the site at `root`; empty when there is none, or it was made with
    /// another `salt` (this Gazette and site.toml).
    pub fn open(root: &Path, salt: u64) -> BodyStore {
        let dir = root.join(".gazette-cache").join("bodies");
        let log = File::open(dir.join("bodies.log")).ok();
        let log_len = log
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.len());
        let index = fs::read(dir.join("bodies.idx"))
            .ok()
            .and_then(|b| read_index(&b, salt, log_len?))
            .unwrap_or_default();
        BodyStore {
            dir,
            salt,
            index,
            log,
            added: Mutex::default(),
            used: Mutex::default(),
        }
    }

    /// The body stored under `key`, if its record is whole.
    pub fn get(&self, key: u64) -> Option<StoredBody> {
        let loc = self.index.get(&key)?;
        let mut buf = vec![0; loc.len as usize];
        self.log
            .as_ref()?
            .read_exact_at(&mut buf, loc.offset)
            .ok()?;
        if xxh3_64(&buf) != loc.sum {
            return None;
        }
        let body = decode(&buf)?;
        lock(&self.used).push(key);
        Some(body)
    }

    /// How many bodies were read back so far.
    pub fn reused(&self) -> usize {
        lock(&self.used).len()
    }

    /// Keep this body for the next build.
    pub fn put(&self, key: u64, html: &str, images: &[(String, u64)]) {
        lock(&self.added).push((key, encode(html, images)));
    }

    /// Write what the next build may read: the records added, and an index of those and of
    /// the ones read back. Best effort: a store that cannot be written only means rendering
    /// again next time.
    pub fn finish(self) {
        let _ = self.write();
    }

    fn write(self) -> std::io::Result<()> {
        let added = self.added.into_inner().unwrap_or_else(|e| e.into_inner());
        let used = self.used.into_inner().unwrap_or_else(|e| e.into_inner());
        if added.is_empty() && used.len() == self.index.len() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let lock_file = File::create(self.dir.join("bodies.lock"))?;
        rustix::fs::flock(&lock_file, rustix::fs::FlockOperation::LockExclusive)?;
        let log_path = self.dir.join("bodies.log");
        let mut index: Vec<(u64, Loc)> = Vec::with_capacity(used.len() + added.len());
        let live: u64 = (used.iter().filter_map(|k| self.index.get(k)))
            .map(|l| l.len as u64)
            .chain(added.iter().map(|(_, r)| r.len() as u64))
            .sum();
        let log_len = fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
        // The log as this build found it is rewritten with only what is live when it has
        // grown past twice that (or holds another store's records).
        let fresh = self.index.is_empty() || log_len > 2 * live + (1 << 20);
        let mut out: Vec<u8> = Vec::new();
        let base = if fresh {
            out.extend_from_slice(MAGIC);
            for key in &used {
                let Some(loc) = self.index.get(key) else {
                    continue;
                };
                let mut buf = vec![0; loc.len as usize];
                let log = self.log.as_ref().ok_or(std::io::ErrorKind::NotFound)?;
                log.read_exact_at(&mut buf, loc.offset)?;
                if xxh3_64(&buf) == loc.sum {
                    let at = out.len() as u64;
                    out.extend_from_slice(&buf);
                    index.push((*key, Loc { offset: at, ..*loc }));
                }
            }
            0
        } else {
            index.extend(used.iter().filter_map(|k| Some((*k, *self.index.get(k)?))));
            log_len
        };
        for (key, record) in &added {
            let loc = Loc {
                offset: base + out.len() as u64,
                len: record.len() as u32,
                sum: xxh3_64(record),
            };
            out.extend_from_slice(record);
            index.push((*key, loc));
        }
        if fresh {
            let tmp = self
                .dir
                .join(format!(".bodies.log.{}.tmp", std::process::id()));
            fs::write(&tmp, &out)?;
            fs::rename(&tmp, &log_path)?;
        } else {
            let mut log = fs::OpenOptions::new().append(true).open(&log_path)?;
            log.write_all(&out)?;
        }
        index.sort_unstable_by_key(|(k, _)| *k);
        index.dedup_by_key(|(k, _)| *k);
        let new_len = base + out.len() as u64;
        let tmp = self
            .dir
            .join(format!(".bodies.idx.{}.tmp", std::process::id()));
        fs::write(&tmp, write_index(&index, self.salt, new_len))?;
        fs::rename(&tmp, self.dir.join("bodies.idx"))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn put_n(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn encode(html: &str, images: &[(String, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(html.len() + 8);
    put_n(&mut out, html.len());
    out.extend_from_slice(html.as_bytes());
    put_n(&mut out, images.len());
    for (rel, f) in images {
        put_n(&mut out, rel.len());
        out.extend_from_slice(rel.as_bytes());
        out.extend_from_slice(&f.to_le_bytes());
    }
    out
}

fn take<'b>(b: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
    let (head, rest) = (b.len() >= n).then(|| b.split_at(n))?;
    *b = rest;
    Some(head)
}

fn take_n(b: &mut &[u8]) -> Option<usize> {
    Some(u32::from_le_bytes(take(b, 4)?.try_into().ok()?) as usize)
}

fn take_u64(b: &mut &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(take(b, 8)?.try_into().ok()?))
}

fn decode(mut b: &[u8]) -> Option<StoredBody> {
    let n = take_n(&mut b)?;
    let html = std::str::from_utf8(take(&mut b, n)?).ok()?;
    let count = take_n(&mut b)?;
    let mut images = Vec::with_capacity(count.min(b.len() / 12));
    for _ in 0..count {
        let n = take_n(&mut b)?;
        let rel = std::str::from_utf8(take(&mut b, n)?).ok()?.to_string();
        images.push((rel, take_u64(&mut b)?));
    }
    b.is_empty().then(|| (Arc::from(html), images))
}

fn write_index(index: &[(u64, Loc)], salt: u64, log_len: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + 20 + index.len() * 28);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&salt.to_le_bytes());
    out.extend_from_slice(&log_len.to_le_bytes());
    put_n(&mut out, index.len());
    for (key, loc) in index {
        out.extend_from_slice(&key.to_le_bytes());
        out.extend_from_slice(&loc.offset.to_le_bytes());
        out.extend_from_slice(&loc.len.to_le_bytes());
        out.extend_from_slice(&loc.sum.to_le_bytes());
    }
    out
}

/// The index in `b` if it was written with `salt` for a log of at most `log_len` bytes
/// (a shorter log than the index describes was cut or replaced: nothing in it is used).
fn read_index(b: &[u8], salt: u64, log_len: u64) -> Option<HashMap<u64, Loc>> {
    let mut b = b.strip_prefix(MAGIC)?;
    if take_u64(&mut b)? != salt || take_u64(&mut b)? > log_len {
        return None;
    }
    let n = take_n(&mut b)?;
    if b.len() != n.checked_mul(28)? {
        return None;
    }
    let mut index = HashMap::with_capacity(n);
    for _ in 0..n {
        let key = take_u64(&mut b)?;
        let offset = take_u64(&mut b)?;
        let len = take_n(&mut b)? as u32;
        let sum = take_u64(&mut b)?;
        index.insert(key, Loc { offset, len, sum });
    }
    Some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images() -> Vec<(String, u64)> {
        vec![("a/cover.jpg".into(), 7), ("图.png".into(), u64::MAX)]
    }

    #[test]
    fn bodies_put_are_read_back_by_the_next_store_and_only_with_its_salt() {
        let root = tempfile::tempdir().unwrap();
        let s = BodyStore::open(root.path(), 1);
        assert_eq!(s.get(10), None);
        s.put(10, "<p>甲</p>", &images());
        s.put(11, "<p>乙</p>", &[]);
        s.finish();
        let s = BodyStore::open(root.path(), 1);
        assert_eq!(s.get(10), Some((Arc::from("<p>甲</p>"), images())));
        assert_eq!(s.get(11), Some((Arc::from("<p>乙</p>"), vec![])));
        assert_eq!(
            BodyStore::open(root.path(), 2).get(10),
            None,
            "another salt"
        );
        // Only what a build used or added is kept: 11 is not asked for this time.
        let s = BodyStore::open(root.path(), 1);
        assert!(s.get(10).is_some());
        s.put(12, "<p>丙</p>", &[]);
        s.finish();
        let s = BodyStore::open(root.path(), 1);
        assert!(s.get(10).is_some() && s.get(12).is_some());
        assert_eq!(s.get(11), None, "not used by the last build");
    }

    #[test]
    fn a_damaged_or_cut_log_is_rendered_again_not_read() {
        let root = tempfile::tempdir().unwrap();
        let s = BodyStore::open(root.path(), 1);
        s.put(1, "<p>一</p>", &[]);
        s.put(2, "<p>二</p>", &[]);
        s.finish();
        let log = root.path().join(".gazette-cache/bodies/bodies.log");
        let mut bytes = fs::read(&log).unwrap();
        let at = bytes.len() - 3;
        bytes[at] ^= 0xff;
        fs::write(&log, &bytes).unwrap();
        let s = BodyStore::open(root.path(), 1);
        assert!(s.get(1).is_some(), "an intact record");
        assert_eq!(s.get(2), None, "a changed record");
        fs::write(&log, &bytes[..bytes.len() / 2]).unwrap();
        let s = BodyStore::open(root.path(), 1);
        assert_eq!(s.get(1), None, "a log shorter than its index is not read");
    }

    #[test]
    fn the_log_is_rewritten_when_it_holds_mostly_dead_records() {
        let root = tempfile::tempdir().unwrap();
        let big = "x".repeat(300_000);
        for round in 0..12u64 {
            let s = BodyStore::open(root.path(), 1);
            if round > 0 {
                assert!(s.get(round - 1).is_some(), "round {round}");
            }
            s.put(round, &big, &[]);
            s.finish();
        }
        let log = root.path().join(".gazette-cache/bodies/bodies.log");
        let len = fs::metadata(log).unwrap().len();
        assert!(len < 2 * 600_000 + (1 << 20) + 1000, "log of {len} bytes");
        let s = BodyStore::open(root.path(), 1);
        assert_eq!(s.get(11).map(|b| b.0.len()), Some(300_000));
    }
}
