//! Work a build keeps for the next one, in `.gazette-cache/<name>/`: records of bytes under
//! 128-bit keys, which their owner derives from everything the record was made from (so a
//! key found means the work would come out the same). The rendered bodies
//! (`markdown::store`), the checked front matter (`validate::kept`) and the SVG files found
//! safe (`images`) use it.
//!
//! Layout: `<name>.log`, records appended one build after another, and `<name>.idx`,
//! rewritten whole by each build (through a temporary file and a rename): where the records
//! this build used are, with each record's checksum. A record is used only if its bytes
//! still have that checksum, so a log cut short by a killed build, or rewritten by another
//! build at the same time, costs doing the work again and never a wrong record. The log is
//! rewritten with only the live records when it grows past twice their size; a log made by
//! another Gazette or for another site.toml (the `salt`) is started afresh.
//!
//! It owns these files; it knows nothing of what the records mean or how keys are made.

/// Records by key. The keys are already hashes (XXH3 of what the record was made from), so
/// foldhash, not SipHash, which was most of looking a record up.
type Index = std::collections::HashMap<u128, Loc, foldhash::fast::FixedState>;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use xxhash_rust::xxh3::xxh3_64;

/// The first line of every index and log: the format's version.
const MAGIC: &[u8] = b"gazette kept 1\n";
/// Bytes of one index entry: key, offset, length, checksum.
const ENTRY: usize = 16 + 8 + 4 + 8;

/// Where a record is in the log, its checksum, and its place in the index as read (for
/// [`Log::used`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    offset: u64,
    len: u32,
    sum: u64,
    slot: u32,
}

/// The records kept by the last build under one name, and those this build adds.
pub struct Log {
    dir: PathBuf,
    name: &'static str,
    salt: u64,
    index: Index,
    /// The log as this build found it, mapped: a record read back is a slice of it, not a
    /// read into a buffer of its own (a system call and a copy per record were 4 % of an
    /// edit rebuild's CPU at 100,000 entries). Gazette only appends to a log or replaces it
    /// by a rename, never truncates or rewrites it in place, so the mapped bytes stay.
    log: Option<std::sync::Arc<memmap2::Mmap>>,
    /// Records to append (kept in the next index).
    added: Mutex<Vec<(u128, Vec<u8>)>>,
    /// Which records of the index were read back (kept in the next index), by their slot:
    /// a flag each rather than a list of keys under a lock, which both cores pushed to for
    /// each of 330,000 records read back at 100,000 entries.
    used: Vec<AtomicBool>,
    /// How many times a record was read back.
    reads: AtomicUsize,
}

impl Log {
    /// The records named `name` of the site at `root`; none when there are none, or they
    /// were kept with another `salt` (this Gazette and site.toml).
    pub fn open(root: &Path, name: &'static str, salt: u64) -> Log {
        let dir = root.join(".gazette-cache").join(name);
        let log = File::open(dir.join(format!("{name}.log"))).ok();
        // SAFETY: see the field: the file's bytes are never changed in place while mapped.
        let log = log.and_then(|f| unsafe { memmap2::Mmap::map(&f) }.ok());
        let log = log.map(std::sync::Arc::new);
        let log_len = log.as_ref().map(|m| m.len() as u64);
        let (index, slots) = fs::read(dir.join(format!("{name}.idx")))
            .ok()
            .and_then(|b| read_index(&b, salt, log_len?))
            .unwrap_or_default();
        // A slot for every entry the index file holds (a damaged one may name a key twice:
        // its last place is the one in the map).
        let used = (0..slots).map(|_| AtomicBool::new(false)).collect();
        Log {
            dir,
            name,
            salt,
            index,
            log,
            added: Mutex::default(),
            used,
            reads: AtomicUsize::new(0),
        }
    }

    /// The record kept under `key`, if it is whole; it is then kept for the next build.
    pub fn get(&self, key: u128) -> Option<&[u8]> {
        let loc = self.index.get(&key)?;
        let buf = self.record(loc)?;
        self.mark_used(loc);
        Some(buf)
    }

    /// [`Log::get`], as a part of the mapped log its holder keeps (no copy), on systems where
    /// a mapped file may be renamed over (`finish` replaces the log while it is held).
    pub fn get_shared(&self, key: u128) -> Option<Shared> {
        if !cfg!(unix) {
            return None;
        }
        let loc = self.index.get(&key)?;
        let record = self.record(loc)?;
        let start = record.as_ptr() as usize - self.log.as_ref()?.as_ptr() as usize;
        self.mark_used(loc);
        Some(Shared {
            map: self.log.clone()?,
            range: start..start + record.len(),
        })
    }

    /// The bytes at `loc` in the log, if they have its checksum.
    fn record(&self, loc: &Loc) -> Option<&[u8]> {
        let start = usize::try_from(loc.offset).ok()?;
        let buf = self
            .log
            .as_ref()?
            .get(start..start.checked_add(loc.len as usize)?)?;
        (xxh3_64(buf) == loc.sum).then_some(buf)
    }

    fn mark_used(&self, loc: &Loc) {
        if let Some(flag) = self.used.get(loc.slot as usize) {
            flag.store(true, Ordering::Relaxed);
        }
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// How many records were read back so far (a record read twice counts twice).
    pub fn reused(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }

    /// Keep this record for the next build.
    pub fn put(&self, key: u128, record: Vec<u8>) {
        lock(&self.added).push((key, record));
    }

    /// Write what the next build may read: the records added, and an index of those and of
    /// the ones read back, on a thread of its own; dropping the [`Written`] returned waits
    /// for it (`log.finish();` writes before going on). A build holds it to its end, so
    /// that rewriting a large index (a few hundredths of a second at 100,000 entries, for
    /// each of three logs) is not on the way of the phases after loading. Best effort:
    /// records that cannot be written (or a thread that cannot be started) only mean doing
    /// the work again next time.
    pub fn finish(self) -> Written {
        let writing = std::thread::Builder::new()
            .name(format!("kept {}", self.name))
            .spawn(move || {
                let _ = self.write();
            });
        Written(writing.ok())
    }

    fn file(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", self.name))
    }

    fn write(mut self) -> std::io::Result<()> {
        let added = std::mem::take(&mut *lock(&self.added));
        // The keys read back, in the index's order (a map with a fixed hasher: the same
        // order for the same index).
        let used: Vec<u128> = (self.index.iter())
            .filter(|(_, loc)| {
                let flag = self.used.get(loc.slot as usize);
                flag.is_some_and(|f| f.load(Ordering::Relaxed))
            })
            .map(|(key, _)| *key)
            .collect();
        if added.is_empty() && used.len() == self.index.len() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let lock_file = File::create(self.file("lock"))?;
        rustix::fs::flock(&lock_file, rustix::fs::FlockOperation::LockExclusive)?;
        let log_path = self.file("log");
        let mut index: Vec<(u128, Loc)> = Vec::with_capacity(used.len() + added.len());
        let live: u64 = (used.iter().filter_map(|k| self.index.get(k)))
            .map(|l| l.len as u64)
            .chain(added.iter().map(|(_, r)| r.len() as u64))
            .sum();
        let log_len = fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
        // The log as this build found it is rewritten with only what is live when it has
        // grown past twice that (or holds another salt's records).
        let fresh = self.index.is_empty() || log_len > 2 * live + (1 << 20);
        let mut out: Vec<u8> = Vec::new();
        let base = if fresh {
            out.extend_from_slice(MAGIC);
            for key in &used {
                let Some(loc) = self.index.get(key) else {
                    continue;
                };
                if let Some(buf) = self.record(loc) {
                    let at = out.len() as u64;
                    out.extend_from_slice(buf);
                    index.push((*key, Loc { offset: at, ..*loc }));
                }
            }
            0
        } else {
            index.extend(used.iter().filter_map(|k| Some((*k, *self.index.get(k)?))));
            log_len
        };
        // Every record read back is copied by now: unmapped before the log is replaced
        // (where a mapped file cannot be renamed over) or appended to.
        drop(self.log.take());
        for (key, record) in &added {
            let loc = Loc {
                offset: base + out.len() as u64,
                len: record.len() as u32,
                sum: xxh3_64(record),
                slot: 0,
            };
            out.extend_from_slice(record);
            index.push((*key, loc));
        }
        let tmp =
            |ext: &str| (self.dir).join(format!(".{}.{ext}.{}.tmp", self.name, std::process::id()));
        if fresh {
            let tmp = tmp("log");
            fs::write(&tmp, &out)?;
            fs::rename(&tmp, &log_path)?;
        } else {
            let mut log = fs::OpenOptions::new().append(true).open(&log_path)?;
            log.write_all(&out)?;
        }
        index.sort_unstable_by_key(|(k, _)| *k);
        index.dedup_by_key(|(k, _)| *k);
        let new_len = base + out.len() as u64;
        let tmp = tmp("idx");
        fs::write(&tmp, write_index(&index, self.salt, new_len))?;
        fs::rename(&tmp, self.file("idx"))
    }
}

/// A log being written (see [`Log::finish`]): dropped, it waits for the writing to end.
#[derive(Debug)]
pub struct Written(Option<std::thread::JoinHandle<()>>);

impl Drop for Written {
    fn drop(&mut self) {
        if let Some(writing) = self.0.take() {
            let _ = writing.join();
        }
    }
}

/// A record (or part of one) read back and held as a slice of the mapped log it is in: the
/// mapping lives as long as some `Shared` does. The bytes were checked against the record's
/// checksum when it was read back.
#[derive(Clone)]
pub struct Shared {
    map: std::sync::Arc<memmap2::Mmap>,
    range: std::ops::Range<usize>,
}

impl Shared {
    pub fn bytes(&self) -> &[u8] {
        &self.map[self.range.clone()]
    }

    /// The part `at` of these bytes (relative to them), if it is within them.
    pub fn part(&self, at: std::ops::Range<usize>) -> Option<Shared> {
        let start = self.range.start.checked_add(at.start)?;
        let end = self.range.start.checked_add(at.end)?;
        (start <= end && end <= self.range.end).then(|| Shared {
            map: self.map.clone(),
            range: start..end,
        })
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shared({} bytes)", self.range.len())
    }
}

/// A salt made of `parts` (what every record of a log was made with: this Gazette, the
/// site.toml text's hash, ...): another salt starts the log afresh.
pub fn salt(parts: &[&str]) -> u64 {
    xxh3_64(parts.join("\n").as_bytes())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Little-endian encoding helpers for the records' owners.
pub mod bytes {
    pub fn put_n(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }

    pub fn put_str(out: &mut Vec<u8>, s: &str) {
        put_n(out, s.len());
        out.extend_from_slice(s.as_bytes());
    }

    pub fn take<'b>(b: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
        let (head, rest) = (b.len() >= n).then(|| b.split_at(n))?;
        *b = rest;
        Some(head)
    }

    pub fn take_n(b: &mut &[u8]) -> Option<usize> {
        Some(u32::from_le_bytes(take(b, 4)?.try_into().ok()?) as usize)
    }

    pub fn take_u64(b: &mut &[u8]) -> Option<u64> {
        Some(u64::from_le_bytes(take(b, 8)?.try_into().ok()?))
    }

    pub fn take_str<'b>(b: &mut &'b [u8]) -> Option<&'b str> {
        let n = take_n(b)?;
        // simdutf8: std's check was a tenth of reading back a large site's records, most of
        // them Chinese text (std is fast on ASCII only).
        simdutf8::basic::from_utf8(take(b, n)?).ok()
    }
}

fn write_index(index: &[(u128, Loc)], salt: u64, log_len: u64) -> Vec<u8> {
    use bytes::put_n;
    let mut out = Vec::with_capacity(MAGIC.len() + 20 + index.len() * ENTRY);
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
/// (a shorter log than the index describes was cut or replaced: nothing in it is used),
/// with the number of entries the file holds (each entry's `slot` is below it).
fn read_index(b: &[u8], salt: u64, log_len: u64) -> Option<(Index, usize)> {
    use bytes::{take, take_n, take_u64};
    let mut b = b.strip_prefix(MAGIC)?;
    if take_u64(&mut b)? != salt || take_u64(&mut b)? > log_len {
        return None;
    }
    let n = take_n(&mut b)?;
    if b.len() != n.checked_mul(ENTRY)? {
        return None;
    }
    let mut index = Index::with_capacity_and_hasher(n, Default::default());
    for slot in 0..n {
        let key = u128::from_le_bytes(take(&mut b, 16)?.try_into().ok()?);
        let offset = take_u64(&mut b)?;
        let len = take_n(&mut b)? as u32;
        let sum = take_u64(&mut b)?;
        let slot = u32::try_from(slot).ok()?;
        index.insert(
            key,
            Loc {
                offset,
                len,
                sum,
                slot,
            },
        );
    }
    Some((index, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: u128 = 1 << 100;

    #[test]
    fn records_put_are_read_back_by_the_next_build_and_only_with_its_salt() {
        let root = tempfile::tempdir().unwrap();
        let s = Log::open(root.path(), "t", 1);
        assert_eq!(s.get(10), None);
        s.put(10, b"ten".to_vec());
        s.put(BIG, b"big".to_vec());
        s.finish();
        let s = Log::open(root.path(), "t", 1);
        assert_eq!(s.get(11), None);
        assert_eq!(s.get(10), Some(&b"ten"[..]));
        assert_eq!(s.get(BIG), Some(&b"big"[..]));
        assert_eq!(s.get(10), Some(&b"ten"[..]));
        assert_eq!(
            s.reused(),
            3,
            "every read back counts, a record read twice twice"
        );
        assert_eq!(Log::open(root.path(), "t", 2).get(10), None, "another salt");
        assert_eq!(Log::open(root.path(), "u", 1).get(10), None, "another name");
        // Only what a build used or added is kept: BIG is not asked for this time.
        let s = Log::open(root.path(), "t", 1);
        assert!(s.get(10).is_some());
        s.put(12, Vec::new());
        s.finish();
        let s = Log::open(root.path(), "t", 1);
        assert!(s.get(10).is_some());
        assert_eq!(s.get(12), Some(&b""[..]), "an empty record");
        assert_eq!(s.get(BIG), None, "not used by the last build");
    }

    /// A site folder whose log `t` holds the records `1`: "one" and `2`: "two" (salt 1).
    fn one_and_two() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let s = Log::open(root.path(), "t", 1);
        s.put(1, b"one".to_vec());
        s.put(2, b"two".to_vec());
        s.finish();
        root
    }

    #[test]
    fn an_index_naming_a_key_twice_is_read_and_rewritten_without_panic() {
        let root = one_and_two();
        // The same key at two places (no build writes this; a damaged index may say it):
        // the later one is taken, and its slot is past the number of distinct keys.
        let dir = root.path().join(".gazette-cache/t");
        let log_len = fs::metadata(dir.join("t.log")).unwrap().len();
        let at = |offset: u64, bytes: &[u8]| Loc {
            offset,
            len: bytes.len() as u32,
            sum: xxh3_64(bytes),
            slot: 0,
        };
        let first = MAGIC.len() as u64;
        let index = [
            (1, at(first + 3, b"two")),
            (2, at(first, b"one")),
            (2, at(first + 3, b"two")),
        ];
        fs::write(dir.join("t.idx"), write_index(&index, 1, log_len)).unwrap();
        let s = Log::open(root.path(), "t", 1);
        assert_eq!(s.get(2), Some(&b"two"[..]));
        s.finish();
        let s = Log::open(root.path(), "t", 1);
        assert_eq!(s.get(2), Some(&b"two"[..]), "kept for the next build");
        assert_eq!(s.get(1), None, "not used by the last build");
    }

    #[test]
    fn a_damaged_or_cut_log_is_not_read() {
        let root = one_and_two();
        let log = root.path().join(".gazette-cache/t/t.log");
        let mut bytes = fs::read(&log).unwrap();
        let at = bytes.len() - 1;
        bytes[at] ^= 0xff;
        fs::write(&log, &bytes).unwrap();
        let s = Log::open(root.path(), "t", 1);
        assert!(s.get(1).is_some(), "an intact record");
        assert_eq!(s.get(2), None, "a changed record");
        fs::write(&log, &bytes[..bytes.len() / 2]).unwrap();
        let s = Log::open(root.path(), "t", 1);
        assert_eq!(s.get(1), None, "a log shorter than its index is not read");
    }

    #[test]
    fn the_log_is_rewritten_when_it_holds_mostly_dead_records() {
        let root = tempfile::tempdir().unwrap();
        let big = vec![b'x'; 300_000];
        for round in 0..12u128 {
            let s = Log::open(root.path(), "t", 1);
            if round > 0 {
                assert!(s.get(round - 1).is_some(), "round {round}");
            }
            s.put(round, big.clone());
            s.finish();
        }
        let len = fs::metadata(root.path().join(".gazette-cache/t/t.log"))
            .unwrap()
            .len();
        assert!(len < 2 * 600_000 + (1 << 20) + 1000, "log of {len} bytes");
        let s = Log::open(root.path(), "t", 1);
        assert_eq!(s.get(11).map(|b| b.len()), Some(300_000));
    }
}
