//! The manifest of an output folder: for each file, its size, a 128-bit hash of its bytes
//! (XXH3) and the fingerprint the file system gave it when it was written (inode, size,
//! modification and change times); for each folder, its fingerprint once the build had made
//! its last change in it (a folder's times change whenever a name in it is added, removed or
//! renamed, so a folder still as recorded holds the names it held). A rebuild compares what
//! it renders with the manifest of the folder it updates, and writes only files whose bytes
//! differ.
//!
//! A manifest lives beside the output, in the hidden sibling folder `.<name>.gazette/`, never
//! inside the output (so uploading or serving `output/` never publishes it), one file per
//! output folder named after the folder's inode (which a rename keeps). A record is trusted
//! only while the file on disk still has the recorded fingerprint; a file changed since (by a
//! killed build, or by hand) is compared by content instead. A manifest that is missing,
//! truncated or of another format is no manifest at all.
//!
//! This module reads and writes manifests; it never touches the files they describe.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::PathKey;

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

    /// [`Fingerprint::of`] what a `stat` relative to a folder held open gave
    /// (`sink::open_dir`, `load::held_folder`).
    // The casts are needed where `stat`'s fields are narrower or unsigned.
    #[cfg(unix)]
    #[allow(clippy::unnecessary_cast)]
    pub fn of_stat(st: &rustix::fs::Stat) -> Fingerprint {
        Fingerprint {
            ino: st.st_ino as u64,
            size: st.st_size as u64,
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as i64),
            ctime: (st.st_ctime as i64, st.st_ctime_nsec as i64),
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

    /// How long after its last change a fingerprint is trusted to stand for what it was
    /// taken of: a file written again (or a folder changed again) within the same tick of the
    /// file system's clock, at the same size, keeps its fingerprint, so anything changed this
    /// recently is looked at again (as git treats "racy" entries).
    pub const SETTLED_SECS: i64 = 2;

    /// Whether the last change is at least [`Fingerprint::SETTLED_SECS`] old.
    pub fn settled(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        now - self.mtime.0.max(self.ctime.0) >= Self::SETTLED_SECS
    }

    /// The key of work kept for the file or folder named `name` as it is with this
    /// fingerprint (a folder's listing, an SVG file's verdict): the name, then every part.
    pub fn key_of(&self, name: &[u8]) -> u128 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(name);
        h.update(&[0]);
        for n in [self.ino, self.size] {
            h.update(&n.to_le_bytes());
        }
        for n in [self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1] {
            h.update(&n.to_le_bytes());
        }
        h.digest128()
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

const HEADER: &str = "gazette-manifest 4";

/// What a manifest records: every file, and every folder (the folder itself as `""`), in
/// the order written (a build writes each path once), every path in one buffer. Lists, not
/// maps: most of a survey only goes through them, and hashing 460,000 paths into a map was
/// half of reading a 100,000-entry site's manifest; one buffer, not a string per path: the
/// 540,000 strings of a 100,000-entry site, made, faulted in and freed on every build, were
/// a tenth of surveying its staging folder.
#[derive(Debug, Default)]
pub struct Manifest {
    /// The files' paths, then the folders', one after another.
    text: String,
    /// Where each file's path ends in `text`.
    file_ends: Vec<usize>,
    files: Vec<Record>,
    /// Where each folder's path ends in `text`.
    folder_ends: Vec<usize>,
    folders: Vec<Fingerprint>,
}

impl Manifest {
    /// How many files it records.
    pub fn files_len(&self) -> usize {
        self.files.len()
    }

    /// How many folders it records.
    pub fn folders_len(&self) -> usize {
        self.folders.len()
    }

    /// The path and record of the `i`th file.
    pub fn file(&self, i: usize) -> (&str, &Record) {
        let start = match i {
            0 => 0,
            _ => self.file_ends[i - 1],
        };
        (&self.text[start..self.file_ends[i]], &self.files[i])
    }

    /// The path and fingerprint of the `i`th folder.
    pub fn folder(&self, i: usize) -> (&str, &Fingerprint) {
        let start = match i {
            0 => self.file_ends.last().copied().unwrap_or(0),
            _ => self.folder_ends[i - 1],
        };
        (&self.text[start..self.folder_ends[i]], &self.folders[i])
    }

    /// Every file, in the order recorded.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Record)> {
        (0..self.files.len()).map(|i| self.file(i))
    }

    /// Every folder, in the order recorded.
    pub fn folders(&self) -> impl Iterator<Item = (&str, &Fingerprint)> {
        (0..self.folders.len()).map(|i| self.folder(i))
    }
}

/// Where the manifest of the output folder with inode `ino` is kept, in `home`.
pub fn path(home: &Path, ino: u64) -> PathBuf {
    home.join(format!("manifest-{ino}"))
}

/// A manifest's bytes: the header line, the file count, each file (hash, fingerprint, path),
/// the folder count, each folder (fingerprint, path), then an XXH3 checksum of everything
/// before it. Binary and little-endian: reading and writing the text format it replaced
/// (twice and once per build) was 9 % of an edit rebuild's CPU samples at 100,000 entries.
/// Numbers are varints and each path is written as what it adds to the one before it
/// ([`put_path`]): a 100,000-entry site's manifest was 70 MB with fixed-size numbers and
/// whole paths, and copying it into the file system was a quarter of a second per build.
///
/// The files are encoded in parts on every core, each part's first path written whole (a
/// path that shares nothing with the one before it), then joined: encoding 440,000 records
/// on one core was most of the end of a 100,000-entry rebuild.
fn encode<S: AsRef<str> + Sync>(
    records: &[(S, Record)],
    folders: &[(String, Fingerprint)],
) -> Vec<u8> {
    use rayon::prelude::*;
    let parts: Vec<Vec<u8>> = (records.par_chunks(1 << 15))
        .map(|part| {
            let mut out = Vec::with_capacity(part.len() * 48);
            let mut prev = String::new();
            for (p, r) in part {
                out.extend_from_slice(&r.hash.to_le_bytes());
                put_fingerprint(&mut out, &r.fp);
                put_path(&mut out, &mut prev, p.as_ref());
            }
            out
        })
        .collect();
    // The folders apart too, so that the whole is sized once: a guess that fell short made
    // the finished manifest (38 MB at 100,000 entries) move to a larger buffer, on one core.
    let mut tail = Vec::with_capacity(folders.len() * 40);
    let mut prev = String::new();
    for (p, fp) in folders {
        put_fingerprint(&mut tail, fp);
        put_path(&mut tail, &mut prev, p);
    }
    let size = parts.iter().map(Vec::len).sum::<usize>();
    let mut out = Vec::with_capacity(HEADER.len() + 1 + 16 + size + tail.len());
    out.extend_from_slice(HEADER.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&(records.len() as u64).to_le_bytes());
    for part in parts {
        out.extend_from_slice(&part);
    }
    out.extend_from_slice(&(folders.len() as u64).to_le_bytes());
    out.extend_from_slice(&tail);
    out
}

/// A fingerprint as manifests (and the records beside them) hold it, in varints: inode,
/// size, the modification time, then the change time as its distance from the modification
/// time (mostly none: a file's bytes and its name are written together). [`Reader::fp`]
/// reads it back.
pub(super) fn put_fingerprint(out: &mut Vec<u8>, f: &Fingerprint) {
    put_varint(out, f.ino);
    put_varint(out, f.size);
    put_varint(out, zigzag(f.mtime.0));
    put_varint(out, zigzag(f.mtime.1));
    put_varint(out, zigzag(f.ctime.0.wrapping_sub(f.mtime.0)));
    put_varint(out, zigzag(f.ctime.1.wrapping_sub(f.mtime.1)));
}

/// A string as manifests hold a path: its length (`u32`), then its bytes ([`Reader::str`]).
pub(super) fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A path written after `prev` (the path written before it in the same file, `""` for the
/// first): how many leading bytes it shares with `prev`, then the rest of it; `prev` becomes
/// `path`. Paths written one after another mostly share their folders. [`Reader::path_next`]
/// reads it back.
pub(super) fn put_path(out: &mut Vec<u8>, prev: &mut String, path: &str) {
    let mut shared = (prev.bytes().zip(path.bytes()))
        .take_while(|(a, b)| a == b)
        .count();
    while !path.is_char_boundary(shared) {
        shared -= 1;
    }
    put_varint(out, shared as u64);
    put_varint(out, (path.len() - shared) as u64);
    out.extend_from_slice(&path.as_bytes()[shared..]);
    prev.truncate(shared);
    prev.push_str(&path[shared..]);
}

/// An unsigned number in LEB128: seven bits a byte, the low ones first.
pub(super) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A signed number as an unsigned one whose size follows its magnitude.
fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Write `bytes` to `to`, then their XXH3 checksum. The format of manifests and
/// page records alike (see [`open_sealed`]).
///
/// Written over the file in place, not through a new file renamed over it: a build rewrites
/// the manifest of the folder it just read it for, whose pages are still cached, and a new
/// 40 MB file (and the old one freed on disk) cost 40-300 ms on every build against 10 ms.
/// A file left half rewritten (a killed build) fails its checksum, which covers every byte
/// before it, and is no manifest: the next build compares that folder's files by content.
/// Only a build holding the output's lock writes or reads these files.
pub(super) fn write_sealed(to: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let sum = xxhash_rust::xxh3::xxh3_64(bytes);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(to)?;
    // The checksum written after the bytes, not appended to them: a buffer sized to its
    // contents would move whole to make room for it.
    file.write_all(bytes)?;
    file.write_all(&sum.to_le_bytes())?;
    file.set_len(bytes.len() as u64 + 8)
}

/// The bytes written by [`write_sealed`] after the `header` line, if their checksum holds and
/// they start with that line: `None` for a file cut short, changed or of another format.
pub(super) fn open_sealed<'a>(bytes: &'a [u8], header: &str) -> Option<Reader<'a>> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if xxhash_rust::xxh3::xxh3_64(body) != u64::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut r = Reader(body);
    let line = r.take(header.len() + 1)?;
    (line.strip_suffix(b"\n")? == header.as_bytes()).then_some(r)
}

/// Write the manifest of `records` (files) and `folders` to `to` (see [`write_sealed`]).
pub fn write<S: AsRef<str> + Sync>(
    to: &Path,
    records: &[(S, Record)],
    folders: &[(String, Fingerprint)],
) -> std::io::Result<()> {
    write_sealed(to, &encode(records, folders))
}

/// Read the manifest at `from`: `None` when there is none or it is not whole.
pub fn read(from: &Path) -> Option<Manifest> {
    parse(&fs::read(from).ok()?)
}

/// The bytes of a manifest or page records being read, taken from the front.
pub(super) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    pub(super) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub(super) fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }

    /// A length (`u32`) then that many bytes.
    pub(super) fn sized(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        self.take(len)
    }

    /// A length then that many bytes of UTF-8.
    pub(super) fn str(&mut self) -> Option<&'a str> {
        simdutf8::basic::from_utf8(self.sized()?).ok()
    }

    /// Whether every byte was taken.
    pub(super) fn is_done(&self) -> bool {
        self.0.is_empty()
    }

    /// A number written by [`put_varint`].
    pub(super) fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.take(1)?.first()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    fn signed(&mut self) -> Option<i64> {
        Some(unzigzag(self.varint()?))
    }

    /// A fingerprint written by [`put_fingerprint`].
    pub(super) fn fp(&mut self) -> Option<Fingerprint> {
        let (ino, size) = (self.varint()?, self.varint()?);
        let mtime = (self.signed()?, self.signed()?);
        let ctime = (
            mtime.0.wrapping_add(self.signed()?),
            mtime.1.wrapping_add(self.signed()?),
        );
        Some(Fingerprint {
            ino,
            size,
            mtime,
            ctime,
        })
    }

    /// A path written by [`put_path`] after `prev`, which becomes it; `None` if it does not
    /// follow from `prev` (a damaged file).
    pub(super) fn path_next<'p>(&mut self, prev: &'p mut String) -> Option<&'p str> {
        let shared = usize::try_from(self.varint()?).ok()?;
        let len = usize::try_from(self.varint()?).ok()?;
        let rest = simdutf8::basic::from_utf8(self.take(len)?).ok()?;
        if !prev.is_char_boundary(shared) {
            return None;
        }
        prev.truncate(shared);
        prev.push_str(rest);
        Some(prev)
    }

    /// A path written by [`put_path`] after the one that starts at `prev` in `text` (its
    /// last), appended to `text`; returns where it starts. `None` if it does not follow from
    /// the one before (a damaged file).
    fn path_into(&mut self, text: &mut String, prev: usize) -> Option<usize> {
        let shared = usize::try_from(self.varint()?).ok()?;
        let len = usize::try_from(self.varint()?).ok()?;
        let rest = simdutf8::basic::from_utf8(self.take(len)?).ok()?;
        let before = text.get(prev..)?;
        if !before.is_char_boundary(shared) {
            return None;
        }
        let start = text.len();
        text.extend_from_within(prev..prev + shared);
        text.push_str(rest);
        Some(start)
    }
}

/// The files of the manifest at `from`, each by the [`PathKey`] of its path (no path kept):
/// for a folder the build only compares with the new site by key (see
/// [`super::survey::Recorded`]). `None` when there is none or it is not whole.
pub fn read_keyed(from: &Path) -> Option<Vec<(PathKey, Record)>> {
    parse_keyed(&fs::read(from).ok()?)
}

/// [`parse`], keeping each file's [`PathKey`] instead of its path (a string of its own for
/// each of 440,000 files, made and freed on every build, for a key taken of it once). The
/// folders are read through too: a damaged file is no manifest, as for [`parse`].
fn parse_keyed(bytes: &[u8]) -> Option<Vec<(PathKey, Record)>> {
    let mut prev = String::new();
    let (mut r, files) = parse_files(bytes, &mut prev, PathKey::of)?;
    let count = r.u64()?;
    for _ in 0..count {
        r.fp()?;
        r.path_next(&mut prev)?;
    }
    r.is_done().then_some(files)
}

/// The files of the manifest in `bytes`, each with what `name` makes of its path, and the
/// reader at the folders (the last path read in `prev`, which the next one follows).
fn parse_files<'a, T>(
    bytes: &'a [u8],
    prev: &mut String,
    name: impl Fn(&str) -> T,
) -> Option<(Reader<'a>, Vec<(T, Record)>)> {
    let mut r = open_sealed(bytes, HEADER)?;
    let count = usize::try_from(r.u64()?).ok()?;
    let mut files = Vec::with_capacity(count.min(bytes.len() / 24));
    for _ in 0..count {
        let hash = r.u128()?;
        let fp = r.fp()?;
        files.push((name(r.path_next(prev)?), Record { hash, fp }));
    }
    Some((r, files))
}

pub(super) fn parse(bytes: &[u8]) -> Option<Manifest> {
    let mut r = open_sealed(bytes, HEADER)?;
    let mut m = Manifest::default();
    // About 30 bytes of path for each 60 bytes of record.
    m.text.reserve(bytes.len() / 2);
    let count = usize::try_from(r.u64()?).ok()?;
    m.file_ends.reserve(count.min(bytes.len() / 24));
    m.files.reserve(count.min(bytes.len() / 24));
    let mut prev = 0;
    for _ in 0..count {
        let hash = r.u128()?;
        let fp = r.fp()?;
        prev = r.path_into(&mut m.text, prev)?;
        m.file_ends.push(m.text.len());
        m.files.push(Record { hash, fp });
    }
    let count = usize::try_from(r.u64()?).ok()?;
    m.folder_ends.reserve(count.min(bytes.len() / 8));
    m.folders.reserve(count.min(bytes.len() / 8));
    for _ in 0..count {
        let fp = r.fp()?;
        prev = r.path_into(&mut m.text, prev)?;
        m.folder_ends.push(m.text.len());
        m.folders.push(fp);
    }
    r.is_done().then_some(m)
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

    fn owned<'a, T: Copy + 'a>(list: impl Iterator<Item = (&'a str, &'a T)>) -> Vec<(String, T)> {
        list.map(|(p, x)| (p.to_string(), *x)).collect()
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let to = path(dir.path(), 42);
        // Paths that share leading bytes but not a whole character (文 and 新 share two of
        // their three), shorter than the one before, equal to it, and times far apart
        // and before 1970.
        let mut far = record(5);
        far.fp.mtime = (-86_400, 999_999_999);
        far.fp.ctime = (i64::MAX, 0);
        far.fp.ino = u64::MAX;
        let records = vec![
            ("index.html".to_string(), record(1)),
            ("a b/文件\n名\\x.html".to_string(), record(2)),
            ("a b/新件.html".to_string(), record(6)),
            ("a".to_string(), far),
            ("a".to_string(), record(7)),
            ("".to_string(), record(8)),
        ];
        let folders = vec![
            (String::new(), record(3).fp),
            ("a b".to_string(), record(4).fp),
        ];
        write(&to, &records, &folders).unwrap();
        let back = read(&to).unwrap();
        assert_eq!(owned(back.files()), records);
        assert_eq!(owned(back.folders()), folders);
    }

    #[test]
    fn a_truncated_or_foreign_manifest_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let to = path(dir.path(), 1);
        let folders = [(String::new(), record(2).fp)];
        write(&to, &[("x".to_string(), record(1))], &folders).unwrap();
        let bytes = fs::read(&to).unwrap();
        assert!(parse(&bytes).is_some());
        for cut in [bytes.len() - 4, bytes.len() / 2, 5, 0] {
            assert!(parse(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 1;
        assert!(parse(&flipped).is_none(), "a changed byte");
        let mut other = bytes.clone();
        other[HEADER.len() - 1] = b'9';
        assert!(parse(&other).is_none(), "another format");
        assert!(read(&dir.path().join("none")).is_none());
        assert!(parse_keyed(&bytes).is_some());
        for cut in [bytes.len() - 4, bytes.len() / 2, 5, 0] {
            assert!(parse_keyed(&bytes[..cut]).is_none(), "keyed, cut at {cut}");
        }
        assert!(parse_keyed(&flipped).is_none(), "keyed, a changed byte");
        assert!(parse_keyed(&other).is_none(), "keyed, another format");
        assert!(read_keyed(&dir.path().join("none")).is_none());
    }

    #[test]
    fn a_manifest_encoded_in_parts_reads_back_whole_and_by_key() {
        // More records than one part holds, with paths that share their folders across the
        // parts' boundaries (each part starts its first path afresh).
        let records: Vec<(String, Record)> = (0..70_000u64)
            .map(|i| (format!("releases/r{}/e{i}/index.html", i / 1000), record(i)))
            .collect();
        let folders: Vec<(String, Fingerprint)> = (0..70u64)
            .map(|r| (format!("releases/r{r}"), record(r + 1).fp))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let to = path(dir.path(), 7);
        write(&to, &records, &folders).unwrap();
        let back = read(&to).unwrap();
        assert_eq!(owned(back.files()), records);
        assert_eq!(owned(back.folders()), folders);
        let keyed = read_keyed(&to).unwrap();
        let expected: Vec<(PathKey, Record)> = (records.iter())
            .map(|(p, r)| (PathKey::of(p), *r))
            .collect();
        assert_eq!(keyed, expected);
    }
}
