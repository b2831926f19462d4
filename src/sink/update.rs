//! Writing a file into the staging folder only when its bytes differ from what the folder
//! already holds there: by the hash in the folder's manifest when the file is as recorded,
//! by reading it back otherwise, and, for files written as they are made, by comparing each
//! piece as it comes and rewriting only from the first difference on. Every file of the new
//! site, written or not, gets a record for the next manifest.
//!
//! This module owns the content of files; folders and the swap belong to `disk`.

use super::{Map, PathKey};
use std::fs;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::disk::MARKER;
use super::manifest::{self, Fingerprint, Record};
pub(crate) use super::open_dir::OpenDir;
use super::survey::Known;

/// The staging folder being brought up to date, and the records of the new site's files.
///
/// Each file is also compared with the current output (by its manifest, for files as
/// recorded): while the new site equals the output so far, a file the staging folder lacks is
/// not written yet but held back ([`Pending`]); if the whole site turns out equal to the
/// output, nothing is written and nothing swapped, so a rebuild with no change writes no file
/// even though the staging folder is one build behind.
pub(crate) struct Target {
    pub(crate) dir: OpenDir,
    known: Map<PathKey, Known>,
    /// The output folder, and the hashes of its files that are as its manifest records.
    output: PathBuf,
    output_known: Map<PathKey, Known>,
    /// Whether the new site differs from the output (in a file, or by files it lacks).
    differs: AtomicBool,
    pending: Mutex<Vec<Pending>>,
    pending_bytes: AtomicUsize,
    records: Mutex<Vec<(String, Record)>>,
    /// The folders of the files written (a name in them may be new).
    touched: Mutex<Vec<String>>,
    written: AtomicUsize,
    kept: AtomicUsize,
}

/// Bytes held back at most, in files whose bytes the output has and the staging folder lacks
/// (past it they are written at once).
const PENDING_BYTES: usize = 64 << 20;

/// A file held back: written into the staging folder only if the site differs from the output.
struct Pending {
    path: String,
    hash: u128,
    from: Source,
}

enum Source {
    Bytes(Vec<u8>),
    /// A copy of this file (a static file of the site, or the output's own file).
    File(PathBuf),
}

/// How many files of the site (not counting the folder's marker) a build wrote and how many
/// it found already right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub written: usize,
    pub unchanged: usize,
}

impl Target {
    pub(crate) fn new(dir: OpenDir, known: Map<PathKey, Known>) -> Target {
        Target {
            dir,
            known,
            output: PathBuf::new(),
            output_known: Map::default(),
            differs: AtomicBool::new(true),
            pending: Mutex::new(Vec::new()),
            pending_bytes: AtomicUsize::new(0),
            records: Mutex::new(Vec::new()),
            touched: Mutex::new(Vec::new()),
            written: AtomicUsize::new(0),
            kept: AtomicUsize::new(0),
        }
    }

    /// The files the folder holds, to compare with (set once, before anything is written).
    pub(crate) fn set_known(&mut self, known: Map<PathKey, Known>) {
        self.known = known;
    }

    /// The output folder and its files as recorded; `differs` if it already has files or
    /// folders the new site does not.
    pub(crate) fn set_output(&mut self, output: &Path, known: Map<PathKey, Known>, differs: bool) {
        self.output = output.to_path_buf();
        self.output_known = known;
        self.differs = AtomicBool::new(differs);
    }

    /// Note that the new site differs from the output after all.
    pub(crate) fn set_differs(&self) {
        self.differs.store(true, Ordering::Relaxed);
    }

    /// Whether `walked` (the output's files that are as its manifest records them, found by
    /// walking it) are exactly the files this build took the output to have.
    pub(crate) fn output_matches(&self, walked: &Map<PathKey, Known>) -> bool {
        walked.len() == self.output_known.len()
            && (walked.iter()).all(|(p, k)| {
                (self.output_known.get(p)).is_some_and(|o| o.fp == k.fp && o.hash == k.hash)
            })
    }

    /// Whether the new site differs from the output, as far as it has been written.
    pub(crate) fn differs(&self) -> bool {
        self.differs.load(Ordering::Relaxed)
    }

    /// Whether the output holds `hash` at `path` (noting when it does not).
    fn in_output(&self, path: &str, size: u64, hash: u128) -> bool {
        let k = self.output_known.get(&PathKey::of(path));
        let same = k.is_some_and(|k| k.fp.size == size && k.hash == Some(hash));
        if !same {
            self.differs.store(true, Ordering::Relaxed);
        }
        same
    }

    /// Hold back a file the output already has, if the site has not differed yet and there is
    /// room.
    fn hold(&self, path: &str, hash: u128, from: Source) -> Result<(), Source> {
        let size = match &from {
            Source::Bytes(b) => b.len(),
            Source::File(_) => 0,
        };
        let before = self.pending_bytes.fetch_add(size, Ordering::Relaxed);
        if self.differs() || before + size > PENDING_BYTES {
            self.pending_bytes.fetch_sub(size, Ordering::Relaxed);
            return Err(from);
        }
        let path = path.to_owned();
        (self.pending.lock().unwrap_or_else(|e| e.into_inner())).push(Pending { path, hash, from });
        Ok(())
    }

    /// Write the files held back (the site differs from the output after all).
    pub(crate) fn write_pending(&self) -> std::io::Result<()> {
        use rayon::prelude::*;
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        pending.into_par_iter().try_for_each(|p| match p.from {
            Source::Bytes(b) => self.write_new(&p.path, &b, p.hash),
            Source::File(f) => self.copy_new(&f, &p.path, p.hash),
        })
    }

    fn record(&self, path: &str, record: Record, written: bool) {
        // The marker is the folder's, not a file of the site: the counts are the site's.
        if path != MARKER {
            let counter = if written { &self.written } else { &self.kept };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if written {
            let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
            (self.touched.lock().unwrap_or_else(|e| e.into_inner())).push(folder.to_owned());
        }
        (self.records.lock().unwrap_or_else(|e| e.into_inner())).push((path.to_owned(), record));
    }

    pub(crate) fn counts(&self) -> Counts {
        Counts {
            written: self.written.load(Ordering::Relaxed),
            unchanged: self.kept.load(Ordering::Relaxed)
                + (self
                    .pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter())
                .filter(|p| p.path != MARKER)
                .count(),
        }
    }

    /// The folders of the files written so far.
    pub(crate) fn touched(&self) -> Vec<String> {
        (self.touched.lock().unwrap_or_else(|e| e.into_inner())).clone()
    }

    /// Every file's record, in no particular order (the manifest is read back into a map).
    pub(crate) fn records(&self) -> Vec<(String, Record)> {
        std::mem::take(&mut *self.records.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether the file at `path` already holds exactly `bytes` (hashed `hash`); its
    /// fingerprint if so.
    fn holds(&self, path: &str, bytes: &[u8], hash: u128) -> Option<Fingerprint> {
        let k = self.known.get(&PathKey::of(path))?;
        if k.fp.size != bytes.len() as u64 {
            return None;
        }
        let same = match k.hash {
            Some(h) => h == hash,
            None => {
                let mut old = Vec::with_capacity(bytes.len() + 1);
                let f = self.dir.open_read(path).ok()?;
                f.take(bytes.len() as u64 + 1).read_to_end(&mut old).ok()?;
                old == bytes
            }
        };
        same.then_some(k.fp)
    }

    /// Make the file at `path` hold `bytes` (its folder exists).
    pub(crate) fn put(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let hash = manifest::hash(bytes);
        let in_output = self.in_output(path, bytes.len() as u64, hash);
        if let Some(fp) = self.holds(path, bytes, hash) {
            self.record(path, Record { hash, fp }, false);
            return Ok(());
        }
        if in_output && self.hold(path, hash, Source::Bytes(bytes.to_vec())).is_ok() {
            return Ok(());
        }
        self.write_new(path, bytes, hash)
    }

    fn write_new(&self, path: &str, bytes: &[u8], hash: u128) -> std::io::Result<()> {
        let mut f = self.dir.open_write(path, true)?;
        f.write_all(bytes)?;
        let fp = Fingerprint::of(&f.metadata()?);
        self.record(path, Record { hash, fp }, true);
        Ok(())
    }

    /// Make the file at `to` a copy of the file at `from`.
    pub(crate) fn copy(&self, from: &Path, to: &str) -> std::io::Result<()> {
        let bytes = fs::read(from)?;
        let hash = manifest::hash(&bytes);
        let in_output = self.in_output(to, bytes.len() as u64, hash);
        if let Some(fp) = self.holds(to, &bytes, hash) {
            self.record(to, Record { hash, fp }, false);
            return Ok(());
        }
        self.keep_or_copy(from, to, hash, in_output)
    }

    /// Make the file at `to` a copy of the file at `from`, whose size and hash are known
    /// (a file that never changes, such as an image cache entry): it is read only if it
    /// must be written.
    pub(crate) fn copy_known(
        &self,
        from: &Path,
        to: &str,
        size: u64,
        hash: u128,
    ) -> std::io::Result<()> {
        let in_output = self.in_output(to, size, hash);
        if let Some(k) = self.known.get(&PathKey::of(to))
            && k.fp.size == size
            && k.hash == Some(hash)
        {
            self.record(to, Record { hash, fp: k.fp }, false);
            return Ok(());
        }
        self.keep_or_copy(from, to, hash, in_output)
    }

    /// The end of [`Target::copy`] and [`Target::copy_known`] once the staging folder is
    /// known not to hold the file: keep the output's copy when it holds these bytes, else copy.
    fn keep_or_copy(
        &self,
        from: &Path,
        to: &str,
        hash: u128,
        in_output: bool,
    ) -> std::io::Result<()> {
        if in_output
            && self
                .hold(to, hash, Source::File(from.to_path_buf()))
                .is_ok()
        {
            return Ok(());
        }
        self.copy_new(from, to, hash)
    }

    fn copy_new(&self, from: &Path, to: &str, hash: u128) -> std::io::Result<()> {
        // `fs::copy` as a cold build does (it also copies the permissions).
        let dest = self.dir.path().join(to);
        fs::copy(from, &dest)?;
        let fp = Fingerprint::of(&fs::metadata(&dest)?);
        self.record(to, Record { hash, fp }, true);
        Ok(())
    }

    /// The hash of the output's file at `path`, when it is as the output's manifest records.
    /// The output is known by its manifest only, so the file is looked at (one `stat`) unless
    /// the staging folder already holds these bytes as recorded (then the output's file is
    /// never read).
    pub(crate) fn output_hash(&self, path: &str) -> Option<u128> {
        let key = PathKey::of(path);
        let k = self.output_known.get(&key)?;
        let hash = k.hash?;
        let staged =
            (self.known.get(&key)).is_some_and(|s| s.hash == Some(hash) && s.fp.size == k.fp.size);
        if staged {
            return Some(hash);
        }
        let m = fs::symlink_metadata(self.output.join(path)).ok()?;
        (Fingerprint::of(&m) == k.fp).then_some(hash)
    }

    /// Make each file at `path` hold the bytes the output's file there holds, hashed `hash`
    /// (see [`Target::output_hash`]), without having them: for pages not rendered again.
    /// Compared with the staging folder's file by its record, or by reading it back; copied
    /// from the output (or held back, see [`Target`]) when it differs. The records of the
    /// files already right are gathered and added at once (a lock taken per file was
    /// contended by every thread keeping pages, 220,000 at 100,000 entries).
    pub(crate) fn keep<'p>(
        &self,
        files: impl IntoIterator<Item = (&'p str, u128)>,
    ) -> Result<(), (&'p str, std::io::Error)> {
        let mut same = Vec::new();
        let result = files.into_iter().try_for_each(|(path, hash)| {
            (self.keep_one(path, hash, &mut same)).map_err(|e| (path, e))
        });
        let (count, marker) = (same.len(), same.iter().any(|(p, _)| p == MARKER));
        self.kept
            .fetch_add(count - usize::from(marker), Ordering::Relaxed);
        (self.records.lock().unwrap_or_else(|e| e.into_inner())).append(&mut same);
        result
    }

    /// [`Target::keep`] for one file; its record goes to `same` if it already is right.
    fn keep_one(
        &self,
        path: &str,
        hash: u128,
        same: &mut Vec<(String, Record)>,
    ) -> std::io::Result<()> {
        // The output's record, looked up once for its size and for whether it holds `hash`.
        let key = PathKey::of(path);
        let output = self.output_known.get(&key);
        let size = output.map_or(0, |k| k.fp.size);
        let in_output = output.is_some_and(|k| k.hash == Some(hash));
        if !in_output {
            self.differs.store(true, Ordering::Relaxed);
        }
        if let Some(k) = self.known.get(&key).filter(|k| k.fp.size == size) {
            let holds = match k.hash {
                Some(h) => h == hash,
                None => {
                    let mut old = Vec::with_capacity(size as usize + 1);
                    let f = self.dir.open_read(path)?;
                    f.take(size + 1).read_to_end(&mut old)?;
                    manifest::hash(&old) == hash
                }
            };
            if holds {
                same.push((path.to_owned(), Record { hash, fp: k.fp }));
                return Ok(());
            }
        }
        let from = self.output.join(path);
        if in_output && self.hold(path, hash, Source::File(from.clone())).is_ok() {
            return Ok(());
        }
        self.copy_new(&from, path, hash)
    }

    /// A writer for the file at `path`, for files written as they are made: see [`Streamed`].
    pub(crate) fn stream(&self, path: &str) -> std::io::Result<Streamed<'_>> {
        // Compared with the output's file while the site has not differed from it, else with
        // the staging folder's.
        let key = PathKey::of(path);
        let in_output = !self.differs()
            && self
                .output_known
                .get(&key)
                .is_some_and(|k| k.hash.is_some());
        let (base, old) = if in_output {
            let f = fs::File::open(self.output.join(path))?;
            (Base::Output, Some(f))
        } else if self.known.contains_key(&key) {
            (Base::Staging, Some(self.dir.open_read(path)?))
        } else {
            (Base::Staging, None)
        };
        let new = match old {
            Some(_) => None,
            None => Some(BufWriter::with_capacity(
                1 << 16,
                self.dir.open_write(path, true)?,
            )),
        };
        Ok(Streamed {
            target: self,
            path: path.to_owned(),
            base,
            old: old.map(|f| BufReader::with_capacity(1 << 16, f)),
            new,
            pos: 0,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            scratch: Vec::new(),
            done: false,
        })
    }
}

/// What a streamed file is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Staging,
    Output,
}

/// A file written as it is made, compared piece by piece with the file at its path in the
/// staging folder (or in the output, see [`Target`]): while the bytes agree nothing is
/// written; from the first difference on, the rest is written (in place in the staging
/// folder, after the agreeing start copied from the output's file), and the file is cut to
/// its new length. It is finished by `flush` (which the open data writers call last); a
/// writer dropped before that left the file as it was or partly rewritten, which the next
/// build sees by its fingerprint.
pub struct Streamed<'a> {
    target: &'a Target,
    path: String,
    base: Base,
    /// The old file, read as far as the new bytes agree with it.
    old: Option<BufReader<fs::File>>,
    /// The file being rewritten, from the first difference on.
    new: Option<BufWriter<fs::File>>,
    pos: u64,
    hasher: xxhash_rust::xxh3::Xxh3,
    scratch: Vec<u8>,
    done: bool,
}

impl Streamed<'_> {
    /// Start rewriting the file at byte `at`.
    fn diverge(&mut self, at: u64) -> std::io::Result<()> {
        self.old = None;
        let f = match self.base {
            Base::Staging => {
                let mut f = self.target.dir.open_write(&self.path, false)?;
                f.seek(SeekFrom::Start(at))?;
                f
            }
            Base::Output => {
                self.target.differs.store(true, Ordering::Relaxed);
                let mut f = self.target.dir.open_write(&self.path, true)?;
                let from = fs::File::open(self.target.output.join(&self.path))?;
                std::io::copy(&mut from.take(at), &mut f)?;
                f
            }
        };
        self.new = Some(BufWriter::with_capacity(1 << 16, f));
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if let Some(old) = &mut self.old {
            // The old file agrees so far; a longer one must be cut.
            let mut more = [0u8; 1];
            if old.read(&mut more)? > 0 {
                self.diverge(self.pos)?;
            }
        }
        self.done = true;
        let hash = self.hasher.digest128();
        let file = match self.new.take() {
            Some(w) => {
                let f = w.into_inner().map_err(|e| e.into_error())?;
                f.set_len(self.pos)?;
                f
            }
            None if self.base == Base::Output => {
                // Just as in the output: written into the staging folder only if needed.
                let from = Source::File(self.target.output.join(&self.path));
                return match self.target.hold(&self.path, hash, from) {
                    Ok(()) => Ok(()),
                    Err(Source::File(f)) => self.target.copy_new(&f, &self.path, hash),
                    Err(Source::Bytes(_)) => Ok(()),
                };
            }
            None => {
                self.target.in_output(&self.path, self.pos, hash);
                let f = self.target.dir.open_read(&self.path)?;
                let fp = Fingerprint::of(&f.metadata()?);
                self.target.record(&self.path, Record { hash, fp }, false);
                return Ok(());
            }
        };
        if self.base == Base::Staging {
            self.target.in_output(&self.path, self.pos, hash);
        }
        let fp = Fingerprint::of(&file.metadata()?);
        self.target.record(&self.path, Record { hash, fp }, true);
        Ok(())
    }
}

impl Write for Streamed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.done {
            return Err(std::io::Error::other("written after it was finished"));
        }
        self.hasher.update(buf);
        if let Some(old) = &mut self.old {
            self.scratch.resize(buf.len(), 0);
            let mut got = 0;
            while got < buf.len() {
                match old.read(&mut self.scratch[got..])? {
                    0 => break,
                    n => got += n,
                }
            }
            let same = (buf.iter().zip(&self.scratch[..got])).take_while(|(a, b)| a == b);
            let agree = same.count();
            if agree < buf.len() {
                self.diverge(self.pos + agree as u64)?;
                if let Some(w) = &mut self.new {
                    w.write_all(&buf[agree..])?;
                }
            }
        } else if let Some(w) = &mut self.new {
            w.write_all(buf)?;
        }
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.done {
            return Ok(());
        }
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(dir: &Path, files: &[(&str, &[u8])]) -> Target {
        let mut known = Map::default();
        for (p, b) in files {
            fs::write(dir.join(p), b).unwrap();
            let fp = Fingerprint::of(&fs::metadata(dir.join(p)).unwrap());
            known.insert(PathKey::of(p), Known { fp, hash: None });
        }
        Target::new(OpenDir::open(dir).unwrap(), known)
    }

    #[test]
    fn a_streamed_file_is_rewritten_only_from_its_first_difference() {
        let dir = tempfile::tempdir().unwrap();
        let old: &[u8] = b"0123456789abcdef";
        let cases: [(&str, &[&[u8]], bool); 6] = [
            ("same", &[b"0123", b"456789abcdef"], false),
            ("middle", &[b"0123", b"45X789abcdef"], true),
            ("shorter", &[b"0123456789"], true),
            ("longer", &[b"0123456789abcdef", b"ghij"], true),
            ("empty", &[], true),
            ("new", &[b"fresh"], true),
        ];
        let files: Vec<(&str, &[u8])> = (cases.iter())
            .filter(|c| c.0 != "new")
            .map(|c| (c.0, old))
            .collect();
        let t = target(dir.path(), &files);
        for (name, pieces, changes) in cases {
            let before = fs::metadata(dir.path().join(name))
                .ok()
                .map(|m| Fingerprint::of(&m));
            let mut w = t.stream(name).unwrap();
            for p in pieces {
                w.write_all(p).unwrap();
            }
            w.flush().unwrap();
            let want: Vec<u8> = pieces.concat();
            assert_eq!(fs::read(dir.path().join(name)).unwrap(), want, "{name}");
            let after = Fingerprint::of(&fs::metadata(dir.path().join(name)).unwrap());
            if !changes {
                assert_eq!(before, Some(after), "{name} was not touched");
            }
        }
        assert_eq!(
            t.counts(),
            Counts {
                written: 5,
                unchanged: 1
            }
        );
        let records = t.records();
        assert_eq!(records.len(), 6);
        for (p, r) in records {
            assert_eq!(
                r.hash,
                manifest::hash(&fs::read(dir.path().join(&p)).unwrap())
            );
        }
    }

    #[test]
    fn whole_files_are_written_only_when_their_bytes_differ() {
        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path(), &[("a", b"same"), ("b", b"old!"), ("c", b"old")]);
        t.put("a", b"same").unwrap();
        t.put("b", b"new!").unwrap();
        t.put("c", b"longer").unwrap();
        t.put("d", b"new file").unwrap();
        assert_eq!(
            t.counts(),
            Counts {
                written: 3,
                unchanged: 1
            }
        );
        assert_eq!(fs::read(dir.path().join("b")).unwrap(), b"new!");
        assert_eq!(fs::read(dir.path().join("c")).unwrap(), b"longer");
    }
}
