//! Writing a file into the staging folder only when its bytes differ from what the folder
//! already holds there: by the hash in the folder's manifest when the file is as recorded,
//! by reading it back otherwise, and, for files written as they are made, by comparing each
//! piece as it comes and rewriting only from the first difference on. Every file of the new
//! site, written or not, gets a record for the next manifest.
//!
//! This module owns the content of files; folders and the swap belong to `disk`.

use std::fs;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::disk::MARKER;
use super::manifest::{self, Fingerprint, Record};
pub(crate) use super::open_dir::OpenDir;
use super::slots::Slots;
use super::survey::Known;

/// The staging folder being brought up to date, and the records of the new site's files.
///
/// What is known of each file of the plan is kept by its slot (see `slots`); a file outside
/// the plan (none is, once a build has prepared the folder) is written as new.
///
/// Each file is also compared with the current output (by its manifest, for files as
/// recorded): while the new site equals the output so far, a file the staging folder lacks is
/// not written yet but held back ([`Pending`]); if the whole site turns out equal to the
/// output, nothing is written and nothing swapped, so a rebuild with no change writes no file
/// even though the staging folder is one build behind.
pub(crate) struct Target {
    pub(crate) dir: OpenDir,
    /// The plan's files (none before the folder is prepared).
    slots: Slots,
    /// The staging folder's files, by slot.
    known: Vec<Option<Known>>,
    /// The output folder, and the hashes of its files that are as its manifest records.
    output: PathBuf,
    output_known: Vec<Option<Known>>,
    /// Whether the new site differs from the output (in a file, or by files it lacks).
    differs: AtomicBool,
    pending: Mutex<Vec<Pending>>,
    pending_bytes: AtomicUsize,
    /// The records of the plan's files, by slot, and of files outside it.
    records: Mutex<Vec<(u32, Record)>>,
    loose: Mutex<Vec<(String, Record)>>,
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
    slot: Option<usize>,
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
    pub(crate) fn new(dir: OpenDir) -> Target {
        Target {
            dir,
            slots: Slots::default(),
            known: Vec::new(),
            output: PathBuf::new(),
            output_known: Vec::new(),
            differs: AtomicBool::new(true),
            pending: Mutex::new(Vec::new()),
            pending_bytes: AtomicUsize::new(0),
            records: Mutex::new(Vec::new()),
            loose: Mutex::new(Vec::new()),
            touched: Mutex::new(Vec::new()),
            written: AtomicUsize::new(0),
            kept: AtomicUsize::new(0),
        }
    }

    /// The plan's files and what the folder holds of them, to compare with (set once,
    /// before anything is written).
    pub(crate) fn set_known(&mut self, slots: Slots, known: Vec<Option<Known>>) {
        debug_assert_eq!(slots.len(), known.len());
        self.slots = slots;
        self.known = known;
    }

    /// The output folder and its files of the plan as recorded, by slot; `differs` if it
    /// already has files or folders the new site does not.
    pub(crate) fn set_output(&mut self, output: &Path, known: Vec<Option<Known>>, differs: bool) {
        debug_assert_eq!(self.slots.len(), known.len());
        self.output = output.to_path_buf();
        self.output_known = known;
        self.differs = AtomicBool::new(differs);
    }

    /// The plan's files.
    pub(crate) fn slots(&self) -> &Slots {
        &self.slots
    }

    /// The slot of `path`, trying `hint` first (see `Slots::find_at`).
    fn slot(&self, path: &str, hint: Option<usize>) -> Option<usize> {
        self.slots.find_hinted(super::PathKey::of(path), hint)
    }

    fn staged(&self, slot: Option<usize>) -> Option<&Known> {
        self.known.get(slot?)?.as_ref()
    }

    fn in_output_at(&self, slot: Option<usize>) -> Option<&Known> {
        self.output_known.get(slot?)?.as_ref()
    }

    /// Note that the new site differs from the output after all.
    pub(crate) fn set_differs(&self) {
        self.differs.store(true, Ordering::Relaxed);
    }

    /// Whether `walked` (the output's files of the plan that are as its manifest records
    /// them, found by walking it, by slot) are exactly the files this build took the output
    /// to have.
    pub(crate) fn output_matches(&self, walked: &[Option<Known>]) -> bool {
        walked.len() == self.output_known.len()
            && (walked.iter().zip(&self.output_known)).all(|(w, o)| match (w, o) {
                (None, None) => true,
                (Some(w), Some(o)) => w.fp == o.fp && w.hash == o.hash,
                _ => false,
            })
    }

    /// Whether the new site differs from the output, as far as it has been written.
    pub(crate) fn differs(&self) -> bool {
        self.differs.load(Ordering::Relaxed)
    }

    /// Whether the output holds `hash` in `slot` (noting when it does not).
    fn in_output(&self, slot: Option<usize>, size: u64, hash: u128) -> bool {
        let k = self.in_output_at(slot);
        let same = k.is_some_and(|k| k.fp.size == size && k.hash == Some(hash));
        if !same {
            self.differs.store(true, Ordering::Relaxed);
        }
        same
    }

    /// Hold back a file the output already has, if the site has not differed yet and there is
    /// room.
    fn hold(
        &self,
        slot: Option<usize>,
        path: &str,
        hash: u128,
        from: Source,
    ) -> Result<(), Source> {
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
        (self.pending.lock().unwrap_or_else(|e| e.into_inner())).push(Pending {
            slot,
            path,
            hash,
            from,
        });
        Ok(())
    }

    /// Write the files held back (the site differs from the output after all).
    pub(crate) fn write_pending(&self) -> std::io::Result<()> {
        use rayon::prelude::*;
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        pending.into_par_iter().try_for_each(|p| match p.from {
            Source::Bytes(b) => self.write_new(p.slot, &p.path, &b, p.hash),
            Source::File(f) => self.copy_new(p.slot, &f, &p.path, p.hash),
        })
    }

    fn record(&self, slot: Option<usize>, path: &str, record: Record, written: bool) {
        // The marker is the folder's, not a file of the site: the counts are the site's.
        if path != MARKER {
            let counter = if written { &self.written } else { &self.kept };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if written {
            let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
            (self.touched.lock().unwrap_or_else(|e| e.into_inner())).push(folder.to_owned());
        }
        match slot {
            Some(s) => {
                (self.records.lock().unwrap_or_else(|e| e.into_inner())).push((s as u32, record))
            }
            None => (self.loose.lock().unwrap_or_else(|e| e.into_inner()))
                .push((path.to_owned(), record)),
        }
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

    /// Every record of the plan's files, by slot, and those of files outside it.
    pub(crate) fn records(&self) -> (Vec<Option<Record>>, Vec<(String, Record)>) {
        let placed = std::mem::take(&mut *self.records.lock().unwrap_or_else(|e| e.into_inner()));
        let mut by_slot = vec![None; self.slots.len()];
        for (s, r) in placed {
            by_slot[s as usize] = Some(r);
        }
        let loose = std::mem::take(&mut *self.loose.lock().unwrap_or_else(|e| e.into_inner()));
        (by_slot, loose)
    }

    /// Whether the file in `slot` (at `path`) already holds exactly `bytes` (hashed `hash`);
    /// its fingerprint if so.
    fn holds(
        &self,
        slot: Option<usize>,
        path: &str,
        bytes: &[u8],
        hash: u128,
    ) -> Option<Fingerprint> {
        let k = self.staged(slot)?;
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
        let slot = self.slot(path, None);
        let in_output = self.in_output(slot, bytes.len() as u64, hash);
        if let Some(fp) = self.holds(slot, path, bytes, hash) {
            self.record(slot, path, Record { hash, fp }, false);
            return Ok(());
        }
        if in_output
            && self
                .hold(slot, path, hash, Source::Bytes(bytes.to_vec()))
                .is_ok()
        {
            return Ok(());
        }
        self.write_new(slot, path, bytes, hash)
    }

    fn write_new(
        &self,
        slot: Option<usize>,
        path: &str,
        bytes: &[u8],
        hash: u128,
    ) -> std::io::Result<()> {
        let mut f = self.dir.open_write(path, true)?;
        f.write_all(bytes)?;
        let fp = Fingerprint::of(&f.metadata()?);
        self.record(slot, path, Record { hash, fp }, true);
        Ok(())
    }

    /// Make the file at `to` a copy of the file at `from`.
    pub(crate) fn copy(&self, from: &Path, to: &str) -> std::io::Result<()> {
        let bytes = fs::read(from)?;
        let hash = manifest::hash(&bytes);
        let slot = self.slot(to, None);
        let in_output = self.in_output(slot, bytes.len() as u64, hash);
        if let Some(fp) = self.holds(slot, to, &bytes, hash) {
            self.record(slot, to, Record { hash, fp }, false);
            return Ok(());
        }
        self.keep_or_copy(slot, from, to, hash, in_output)
    }

    /// Make the file at `to` a copy of the file at `from`, whose size and hash are known
    /// (a file that never changes, such as an image cache entry): it is read only if it
    /// must be written.
    /// `hint`: where the file may be in the plan (see `Slots::find_at`).
    pub(crate) fn copy_known(
        &self,
        from: &Path,
        to: &str,
        size: u64,
        hash: u128,
        hint: Option<usize>,
    ) -> std::io::Result<()> {
        let slot = self.slot(to, hint);
        let in_output = self.in_output(slot, size, hash);
        if let Some(k) = self.staged(slot)
            && k.fp.size == size
            && k.hash == Some(hash)
        {
            self.record(slot, to, Record { hash, fp: k.fp }, false);
            return Ok(());
        }
        self.keep_or_copy(slot, from, to, hash, in_output)
    }

    /// The end of [`Target::copy`] and [`Target::copy_known`] once the staging folder is
    /// known not to hold the file: keep the output's copy when it holds these bytes, else copy.
    fn keep_or_copy(
        &self,
        slot: Option<usize>,
        from: &Path,
        to: &str,
        hash: u128,
        in_output: bool,
    ) -> std::io::Result<()> {
        if in_output
            && self
                .hold(slot, to, hash, Source::File(from.to_path_buf()))
                .is_ok()
        {
            return Ok(());
        }
        self.copy_new(slot, from, to, hash)
    }

    fn copy_new(
        &self,
        slot: Option<usize>,
        from: &Path,
        to: &str,
        hash: u128,
    ) -> std::io::Result<()> {
        // `fs::copy` as a cold build does (it also copies the permissions).
        let dest = self.dir.path().join(to);
        fs::copy(from, &dest)?;
        let fp = Fingerprint::of(&fs::metadata(&dest)?);
        self.record(slot, to, Record { hash, fp }, true);
        Ok(())
    }

    /// The hash of the output's file at `path`, when it is as the output's manifest records.
    /// The output is known by its manifest only, so the file is looked at (one `stat`) unless
    /// the staging folder already holds these bytes as recorded (then the output's file is
    /// never read).
    /// `hint`: where the file may be in the plan (see `Slots::find_at`).
    pub(crate) fn output_hash(&self, path: &str, hint: Option<usize>) -> Option<u128> {
        let slot = self.slot(path, hint);
        let k = self.in_output_at(slot)?;
        let hash = k.hash?;
        let staged =
            (self.staged(slot)).is_some_and(|s| s.hash == Some(hash) && s.fp.size == k.fp.size);
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
    /// Each file comes with where it may be in the plan (see `Slots::find_at`).
    pub(crate) fn keep<'p>(
        &self,
        files: impl IntoIterator<Item = (Option<usize>, &'p str, u128)>,
    ) -> Result<(), (&'p str, std::io::Error)> {
        let mut same = Vec::new();
        let mut loose = Vec::new();
        let result = files.into_iter().try_for_each(|(hint, path, hash)| {
            (self.keep_one(hint, path, hash, &mut same, &mut loose)).map_err(|e| (path, e))
        });
        let marker = (same
            .iter()
            .any(|(s, _)| self.slots.path(*s as usize) == MARKER))
            || loose.iter().any(|(p, _)| p == MARKER);
        let count = same.len() + loose.len();
        self.kept
            .fetch_add(count - usize::from(marker), Ordering::Relaxed);
        (self.records.lock().unwrap_or_else(|e| e.into_inner())).append(&mut same);
        if !loose.is_empty() {
            (self.loose.lock().unwrap_or_else(|e| e.into_inner())).append(&mut loose);
        }
        result
    }

    /// [`Target::keep`] for one file; its record goes to `same` (or `loose`, outside the
    /// plan) if it already is right.
    fn keep_one(
        &self,
        hint: Option<usize>,
        path: &str,
        hash: u128,
        same: &mut Vec<(u32, Record)>,
        loose: &mut Vec<(String, Record)>,
    ) -> std::io::Result<()> {
        // The output's record, looked up once for its size and for whether it holds `hash`.
        let slot = self.slot(path, hint);
        let output = self.in_output_at(slot);
        let size = output.map_or(0, |k| k.fp.size);
        let in_output = output.is_some_and(|k| k.hash == Some(hash));
        if !in_output {
            self.differs.store(true, Ordering::Relaxed);
        }
        if let Some(k) = self.staged(slot).filter(|k| k.fp.size == size) {
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
                let record = Record { hash, fp: k.fp };
                match slot {
                    Some(s) => same.push((s as u32, record)),
                    None => loose.push((path.to_owned(), record)),
                }
                return Ok(());
            }
        }
        let from = self.output.join(path);
        if in_output
            && self
                .hold(slot, path, hash, Source::File(from.clone()))
                .is_ok()
        {
            return Ok(());
        }
        self.copy_new(slot, &from, path, hash)
    }

    /// A writer for the file at `path`, for files written as they are made: see [`Streamed`].
    pub(crate) fn stream(&self, path: &str) -> std::io::Result<Streamed<'_>> {
        // Compared with the output's file while the site has not differed from it, else with
        // the staging folder's.
        let slot = self.slot(path, None);
        let in_output =
            !self.differs() && (self.in_output_at(slot)).is_some_and(|k| k.hash.is_some());
        let (base, old) = if in_output {
            let f = fs::File::open(self.output.join(path))?;
            (Base::Output, Some(f))
        } else if self.staged(slot).is_some() {
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
            slot,
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
    slot: Option<usize>,
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
                return match self.target.hold(self.slot, &self.path, hash, from) {
                    Ok(()) => Ok(()),
                    Err(Source::File(f)) => self.target.copy_new(self.slot, &f, &self.path, hash),
                    Err(Source::Bytes(_)) => Ok(()),
                };
            }
            None => {
                self.target.in_output(self.slot, self.pos, hash);
                let f = self.target.dir.open_read(&self.path)?;
                let fp = Fingerprint::of(&f.metadata()?);
                self.target
                    .record(self.slot, &self.path, Record { hash, fp }, false);
                return Ok(());
            }
        };
        if self.base == Base::Staging {
            self.target.in_output(self.slot, self.pos, hash);
        }
        let fp = Fingerprint::of(&file.metadata()?);
        self.target
            .record(self.slot, &self.path, Record { hash, fp }, true);
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

    /// A folder holding `files`, to be brought up to date to a plan of `plan` (which may
    /// leave some of the files written out of it).
    fn target(dir: &Path, files: &[(&str, &[u8])], plan: &[&str]) -> Target {
        let slots = Slots::new(plan);
        let mut known = vec![None; slots.len()];
        for (p, b) in files {
            fs::write(dir.join(p), b).unwrap();
            let fp = Fingerprint::of(&fs::metadata(dir.join(p)).unwrap());
            known[slots.of(p).unwrap()] = Some(Known { fp, hash: None });
        }
        let mut t = Target::new(OpenDir::open(dir).unwrap());
        t.set_known(slots, known);
        t
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
        let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
        let t = target(dir.path(), &files, &names);
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
        let (placed, loose) = t.records();
        assert!(loose.is_empty());
        assert_eq!(placed.iter().flatten().count(), 6);
        for (slot, r) in placed.into_iter().enumerate() {
            let (p, r) = (names[slot], r.unwrap());
            assert_eq!(
                r.hash,
                manifest::hash(&fs::read(dir.path().join(p)).unwrap())
            );
        }
    }

    #[test]
    fn whole_files_are_written_only_when_their_bytes_differ() {
        let dir = tempfile::tempdir().unwrap();
        // `d` is not in the plan: written all the same, and recorded by its path.
        let files: [(&str, &[u8]); 3] = [("a", b"same"), ("b", b"old!"), ("c", b"old")];
        let t = target(dir.path(), &files, &["a", "b", "c"]);
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
        let (placed, loose) = t.records();
        let hashes: Vec<u128> = placed.iter().map(|r| r.unwrap().hash).collect();
        assert_eq!(
            hashes,
            [b"same" as &[u8], b"new!", b"longer"].map(manifest::hash)
        );
        assert_eq!(loose.len(), 1);
        assert_eq!(
            (loose[0].0.as_str(), loose[0].1.hash),
            ("d", manifest::hash(b"new file"))
        );
    }
}
