//! Writing a build to disk atomically and in proportion to what changed. The output folder is
//! never written into: the build brings a staging folder beside it up to date and swaps it in
//! with one `renameat2(RENAME_EXCHANGE)` (two renames elsewhere), so at every instant the
//! output is the complete old site or the complete new one. The old output, swapped out, is
//! not deleted: it is kept in `.<name>.gazette/site/` as the next build's staging folder,
//! which that build brings up to date by writing only the files whose bytes differ from its
//! manifest (see `manifest`, `survey`, `update`), making only new folders and removing only
//! files that are gone. A build killed while updating it leaves a staging folder whose
//! changed files no longer match their records; the next build compares those by content.
//!
//! This module refuses dangerous output paths and never deletes anything but what is inside
//! its own staging folder and the leftovers of killed builds that carry its marker file.

use super::{Map, PathKey, Set};
use std::fs;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use super::pages::{PageRecord, PageRecords};
use super::slots::Slots;
use super::survey::{self, Recorded, Survey};
use super::update::{OpenDir, Streamed, Target};
use crate::diagnostics::{Diagnostic, Problem};
use crate::plan::Copy;
use crate::render::RenderedFile;

/// A file Gazette puts in every output folder, so it knows the folder is its own to replace.
pub const MARKER: &str = ".gazette-output";

/// Lexically normalise an absolute path (resolve `.` and `..` without touching the disk).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Canonicalise the longest existing ancestor so symlinked paths compare correctly.
    let abs = normalize(&abs);
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(n) => rest.push(n.to_os_string()),
            None => break,
        }
        if !existing.pop() {
            break;
        }
    }
    let mut base = fs::canonicalize(&existing).unwrap_or(existing);
    for n in rest.into_iter().rev() {
        base.push(n);
    }
    base
}

fn refuse(path: &Path, reason: &str) -> Diagnostic {
    Diagnostic::error(Problem::OutputRefused {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    })
}

/// Check that `output` is a safe place to (re)write for the site at `root`; return it absolute.
pub fn check_output_path(root: &Path, output: &Path) -> Result<PathBuf, Diagnostic> {
    let root = absolute(root);
    let out = absolute(output);
    if out.parent().is_none() {
        return Err(refuse(&out, "it is the filesystem root"));
    }
    if out == root {
        return Err(refuse(&out, "it is the site folder itself"));
    }
    if root.starts_with(&out) {
        return Err(refuse(&out, "it contains the site folder"));
    }
    for protected in ["content", "themes", "static", "templates", "src", ".git"] {
        if out.starts_with(root.join(protected)) {
            return Err(refuse(
                &out,
                &format!("it is inside the site's {protected}/ folder"),
            ));
        }
    }
    if out.is_file() {
        return Err(refuse(&out, "it is a file"));
    }
    if out.is_dir() {
        let empty = fs::read_dir(&out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !out.join(MARKER).exists() {
            return Err(refuse(
                &out,
                "the folder is not empty and was not written by Gazette (no .gazette-output marker); \
                 empty it or choose another --output",
            ));
        }
    }
    Ok(out)
}

fn write_err(path: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error(Problem::OutputWrite {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.{tag}"))
}

/// Where Gazette keeps what belongs to the output folder `out` between builds but must never
/// be published: the hidden sibling `.<name>.gazette/`, holding the staging folder (`site/`,
/// the previous output), the manifests of both folders, and a lock.
pub fn home(out: &Path) -> PathBuf {
    sibling(out, "gazette")
}

const SPARE: &str = "site";
const LOCK: &str = "lock";

/// Whether an earlier build of `out` left a staging folder this build will bring up to date.
pub fn has_staging(out: &Path) -> bool {
    spare(&home(out)).is_dir()
}

/// The staging folder kept in `home`.
pub(super) fn spare(home: &Path) -> PathBuf {
    home.join(SPARE)
}

/// Take the lock of `home` (waiting for another build of the same output to finish), creating
/// the lock file if `create`.
pub(super) fn lock(home: &Path, create: bool) -> std::io::Result<fs::File> {
    let file = fs::File::options()
        .write(true)
        .create(create)
        .truncate(false)
        .open(home.join(LOCK))?;
    #[cfg(unix)]
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
    Ok(file)
}

/// The inode of the folder at `p`, if there is a folder.
pub(super) fn folder_ino(p: &Path) -> Option<u64> {
    let m = fs::symlink_metadata(p).ok().filter(|m| m.is_dir())?;
    Some(super::manifest::Fingerprint::of(&m).ino)
}

/// The staging folder surveyed: by a survey made ahead of this build when it left a record
/// for the folder as it is (see `ahead`), else by looking at it now.
fn take_survey(home: &Path) -> (Survey, Option<usize>) {
    let spare = spare(home);
    match folder_ino(&spare) {
        Some(ino) => {
            let ahead = super::ahead::take(home, ino);
            let deviations = ahead.as_ref().map(|a| a.deviations());
            (
                Survey::checked(&spare, home, ino, ahead.as_ref()),
                deviations,
            )
        }
        None => (Survey::default(), None),
    }
}

/// The staging folder and the output as a build finds them, surveyed (under the lock) while
/// the site loads; see [`Staging::begin`].
#[derive(Default)]
pub struct Found {
    lock: Option<fs::File>,
    /// The staging folder surveyed, with how many names a survey made ahead of this build
    /// found otherwise than recorded, if it was made ahead (see `take_survey`).
    survey: Option<(Survey, Option<usize>)>,
    output: Option<Recorded>,
    /// The output's page records (see `pages`).
    pages: Option<PageRecords>,
}

/// The page records of the output folder `out`, if it has any.
fn output_pages(out: &Path, home: &Path) -> PageRecords {
    folder_ino(out)
        .and_then(|ino| super::pages::read(&super::pages::path(home, ino)))
        .unwrap_or_default()
}

/// The output as its manifest records it: walking it too cost as much as walking the staging
/// folder, on every build, for a folder the build only reads a few files from (each checked
/// against its record before use) and walks only when it may already be the new site.
fn output_recorded(out: &Path, home: &Path) -> Recorded {
    match folder_ino(out) {
        Some(ino) => Recorded::read(home, ino),
        None => Recorded::default(),
    }
}

/// The output walked: what is really there, files compared with its manifest.
fn survey_output(out: &Path, home: &Path) -> Survey {
    match folder_ino(out) {
        Some(ino) => Survey::checked(out, home, ino, None),
        None => Survey::default(),
    }
}

impl Found {
    /// Survey the staging folder of `out` if an earlier build left one. Writes nothing.
    pub fn look(out: &Path) -> Found {
        let home = home(out);
        if !home.is_dir() {
            return Found::default();
        }
        match lock(&home, false) {
            Ok(lock) => {
                let (survey, (output, pages)) = rayon::join(
                    || take_survey(&home),
                    || rayon::join(|| output_recorded(out, &home), || output_pages(out, &home)),
                );
                Found {
                    survey: Some(survey),
                    output: Some(output),
                    pages: Some(pages),
                    lock: Some(lock),
                }
            }
            Err(_) => Found::default(),
        }
    }
}

/// Clean up after a build killed by an older Gazette (which wrote `.<name>.staging-<pid>`
/// folders) or while swapping by two renames (`.<name>.old-<pid>`): an interrupted swap is
/// undone, and a leftover folder becomes the staging folder if there is none (its content is
/// then checked file by file). Returns whether the staging folder was replaced.
fn recover(out: &Path, spare: &Path) -> bool {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
        return false;
    };
    let name = name.to_string_lossy();
    let Ok(dir) = fs::read_dir(parent) else {
        return false;
    };
    let mut changed = false;
    let (staging, old) = (format!(".{name}.staging-"), format!(".{name}.old-"));
    for e in dir.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if n.starts_with(&old) && path.join(MARKER).exists() && !out.exists() {
            let _ = fs::rename(&path, out);
        } else if n.starts_with(&staging) || (n.starts_with(&old) && path.join(MARKER).exists()) {
            if !spare.exists() && fs::rename(&path, spare).is_ok() {
                changed = true;
            } else {
                let _ = fs::remove_dir_all(&path);
            }
        }
    }
    changed
}

/// Atomically exchange two paths (both must exist).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// What a build did to the folder that became the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files written (new or with other bytes).
    pub written: usize,
    /// Files of the new site that already held the right bytes.
    pub unchanged: usize,
    /// Files removed because the new site does not have them.
    pub removed: usize,
    /// Whether the new site was swapped in; not when the output already was the new site.
    pub swapped: bool,
}

/// The folder a build brings up to date beside `out` and then swaps in: the output before
/// the last one, kept for this (or a new, empty folder). Files can be written into it from
/// many threads while pages are still being rendered; a file whose bytes are already there
/// is not written again. Nothing is visible at `out` until [`Staging::commit`] swaps it in;
/// dropped without a commit, it stays as it is for the next build.
pub struct Staging {
    out: PathBuf,
    home: PathBuf,
    target: Target,
    survey: Option<Survey>,
    /// How many names a survey made ahead of this build found otherwise than recorded, if
    /// it was made ahead.
    ahead: Option<usize>,
    output: Option<Recorded>,
    /// What the output's pages were rendered from (see `pages`).
    pages: PageRecords,
    removed: usize,
    /// The folders of the new site (set by [`Staging::prepare`]), with the fingerprints of
    /// those the staging folder had, as found, and the folders this build changed since
    /// (their fingerprints are taken again for the manifest).
    folders: Vec<String>,
    found_folders: Map<PathKey, super::manifest::Fingerprint>,
    touched: Vec<String>,
    /// Held until the build ends: one build at a time updates the staging folder.
    _lock: fs::File,
}

impl Staging {
    /// Start a new output for `out` (already checked by [`check_output_path`]) from what
    /// [`Found::look`] found, cleaning up after any killed build first.
    pub fn begin(out: &Path, found: Found) -> Result<Staging, Diagnostic> {
        let home = home(out);
        fs::create_dir_all(&home).map_err(|e| write_err(&home, e))?;
        let (lock, mut survey, mut output, mut pages) = match found.lock {
            Some(l) => (l, found.survey, found.output, found.pages),
            None => (
                lock(&home, true).map_err(|e| write_err(&home, e))?,
                None,
                None,
                None,
            ),
        };
        let spare = spare(&home);
        if recover(out, &spare) {
            (survey, output, pages) = (None, None, None);
        }
        if folder_ino(&spare).is_none() {
            let _ = fs::remove_file(&spare);
            fs::create_dir(&spare).map_err(|e| write_err(&spare, e))?;
            // A new folder may have the inode of one that is gone: forget its manifest.
            if let Some(ino) = folder_ino(&spare) {
                let _ = fs::remove_file(super::manifest::path(&home, ino));
            }
            survey = None;
        }
        let (survey, ahead) = survey.unwrap_or_else(|| take_survey(&home));
        let open = OpenDir::open(&spare).map_err(|e| write_err(&spare, e))?;
        let output = output.unwrap_or_else(|| output_recorded(out, &home));
        let pages = pages.unwrap_or_else(|| output_pages(out, &home));
        Ok(Staging {
            out: out.to_path_buf(),
            home,
            target: Target::new(open),
            survey: Some(survey),
            ahead,
            output: Some(output),
            pages,
            removed: 0,
            folders: Vec::new(),
            found_folders: Map::default(),
            touched: Vec::new(),
            _lock: lock,
        })
    }

    fn dir(&self) -> &Path {
        self.target.dir.path()
    }

    /// Whether the staging folder was surveyed ahead of this build (see `ahead`), and if so
    /// how many of its names were found otherwise than recorded.
    pub fn surveyed_ahead(&self) -> Option<usize> {
        self.ahead
    }

    /// Make the folder hold exactly the folders that `files` (paths relative to the output
    /// folder, `/`-separated) need: remove every file and folder the new site does not have,
    /// and make the folders it lacks, so that [`Staging::write`] never has to. The files'
    /// places in this list are their slots (see `slots`): a caller that names a file with
    /// its place (`keep_at`, `copy_at`, `output_hash`) spares looking it up.
    pub fn prepare<'a>(&mut self, files: impl Iterator<Item = &'a str>) -> Result<(), Diagnostic> {
        let files: Vec<&str> = files
            .map(|f| f.trim_start_matches('/'))
            .chain([MARKER])
            .collect();
        // The files' slots and the folders they need, made side by side (each was a serial
        // tenth of a second or less at 100,000 entries).
        let (slots, dirs) = rayon::join(|| Slots::new(&files), || survey::folders_par(&files));
        let dir = self.dir().to_path_buf();
        // The staging folder pruned and the output compared side by side: both go through
        // every file of the site.
        let (survey, output) = (self.survey.take(), self.output.take());
        let (pruned, (known, extra)) = rayon::join(
            || survey.unwrap_or_default().prune(&dir, &slots, &dirs),
            || output.unwrap_or_default().compare(&slots),
        );
        let mut pruned = pruned.map_err(|e| write_err(&dir, e))?;
        self.removed = pruned.removed;
        self.found_folders = std::mem::take(&mut pruned.folders);
        self.touched = std::mem::take(&mut pruned.touched);
        self.target
            .set_known(slots, std::mem::take(&mut pruned.known));
        self.target.set_output(&self.out, known, extra);
        // Level by level, each level in parallel (making folders is kernel time, thousands of
        // them on a new site): a folder's parent always exists when it is made.
        // The folders kept are those the staging folder already has (and the site needs).
        let present = &self.found_folders;
        let (folders, levels) = rayon::join(
            || dirs.values().map(|d| d.to_string()).collect(),
            || {
                let missing = dirs.iter().filter(|(k, _)| !present.contains_key(*k));
                survey::levels(missing.map(|(_, d)| *d))
            },
        );
        self.folders = folders;
        for d in levels.iter().flatten() {
            let parent = d.rsplit_once('/').map_or("", |(p, _)| p);
            self.touched.extend([d.to_string(), parent.to_string()]);
        }
        survey::each_level(&levels, |d| match self.target.dir.create_dir(d) {
            Err(e) if !(e.kind() == std::io::ErrorKind::AlreadyExists && dir.join(d).is_dir()) => {
                Err(write_err(&dir.join(d), e))
            }
            _ => Ok(()),
        })
    }

    /// Write one file (its folder must exist, see [`Staging::prepare`]), unless it already
    /// holds these bytes.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        (self.target.put(path, bytes)).map_err(|e| write_err(&self.dir().join(path), e))
    }

    /// A writer for one file (its folder must exist), for files written as they are made;
    /// finished by `flush`.
    pub fn create(&self, path: &str) -> Result<Streamed<'_>, Diagnostic> {
        (self.target.stream(path)).map_err(|e| write_err(&self.dir().join(path), e))
    }

    /// Copy a file of the site (its source relative to `root`).
    pub fn copy(&self, root: &Path, c: &Copy) -> Result<(), Diagnostic> {
        self.copy_at(root, c, None)
    }

    /// [`Staging::copy`] of a file that may be in slot `hint` (see [`Staging::prepare`]).
    pub fn copy_at(&self, root: &Path, c: &Copy, hint: Option<usize>) -> Result<(), Diagnostic> {
        let from = root.join(&c.from);
        match c.sum {
            Some(sum) => self
                .target
                .copy_known(&from, &c.to, sum.size, sum.hash, hint),
            None => self.target.copy(&from, &c.to),
        }
        .map_err(|e| write_err(&self.dir().join(&c.to), e))
    }

    /// Whether the output holds exactly the new site's files as its manifest records them,
    /// and nothing else.
    fn output_is_as_recorded(&self) -> bool {
        let home = &self.home;
        let dirs: survey::Folders = (self.folders.iter())
            .map(|d| (PathKey::of(d), d.as_str()))
            .collect();
        let (known, extra) = survey_output(&self.out, home).compare(self.target.slots(), &dirs);
        !extra && self.target.output_matches(&known)
    }

    /// The fingerprint of every folder of the new site, for the manifest: as found, unless
    /// this build changed something in it (then, and for the top folder, taken now). A
    /// folder that cannot be looked at is left out, so the next build reads it.
    fn folder_records(&self) -> Vec<(String, super::manifest::Fingerprint)> {
        let written_in = self.target.touched();
        let mut touched: Set<&str> = self.touched.iter().map(String::as_str).collect();
        touched.extend(written_in.iter().map(String::as_str));
        touched.insert("");
        let folders: Vec<(String, super::manifest::Fingerprint)> =
            (self.folders.par_iter().map(String::as_str))
                .chain([""].into_par_iter())
                .filter_map(|d| {
                    let fp = match self.found_folders.get(&PathKey::of(d)) {
                        Some(fp) if !touched.contains(d) => *fp,
                        _ => match self.target.dir.stat(d) {
                            Ok((super::open_dir::Node::Dir, fp)) => fp,
                            _ => return None,
                        },
                    };
                    Some((d.to_string(), fp))
                })
                .collect();
        folders
    }

    /// What the output's pages were rendered from, by path (see `pages`): empty when the
    /// output has no whole record file.
    pub fn previous_pages(&self) -> &PageRecords {
        &self.pages
    }

    /// The hash of the output's file at `path` (relative to it, maybe in slot `hint`, see
    /// [`Staging::prepare`]), when the file is as the output's manifest records it (after
    /// [`Staging::prepare`]).
    pub fn output_hash(&self, path: &str, hint: Option<usize>) -> Option<u128> {
        self.target.output_hash(path, hint)
    }

    /// The bytes of the output's file at `path`, when they are what its manifest records.
    pub fn read_output(&self, path: &str) -> Option<Vec<u8>> {
        let hash = self.output_hash(path, None)?;
        let bytes = fs::read(self.out.join(path)).ok()?;
        (super::manifest::hash(&bytes) == hash).then_some(bytes)
    }

    /// Make each file at `path` hold what the output's file there holds, which is `hash`
    /// (see [`Staging::output_hash`]): pages that are not rendered again. In parallel, in
    /// batches (each batch's records are added at once).
    pub fn keep<S: AsRef<str> + Sync>(&self, files: &[(S, u128)]) -> Result<(), Diagnostic> {
        self.keep_each(files, |(path, hash)| (None, path.as_ref(), *hash))
    }

    /// [`Staging::keep`] of files each given with the slot it may be in (see
    /// [`Staging::prepare`]).
    pub fn keep_at<S: AsRef<str> + Sync>(
        &self,
        files: &[(usize, S, u128)],
    ) -> Result<(), Diagnostic> {
        self.keep_each(files, |(slot, path, hash)| {
            (Some(*slot), path.as_ref(), *hash)
        })
    }

    /// Keep `files`, each given as `item` makes it (slot hint, path, hash): in parallel, in
    /// batches (each batch's records are added at once).
    fn keep_each<'f, T: Sync>(
        &self,
        files: &'f [T],
        item: impl Fn(&'f T) -> (Option<usize>, &'f str, u128) + Sync,
    ) -> Result<(), Diagnostic> {
        files.par_chunks(512).try_for_each(|batch| {
            (self.target.keep(batch.iter().map(&item)))
                .map_err(|(path, e)| write_err(&self.dir().join(path), e))
        })
    }

    /// Mark the folder as Gazette's, keep its manifest and the records of its `pages` (path,
    /// signature, images asked for), and swap it in for the old output, which becomes the
    /// next build's staging folder.
    pub fn commit(self, pages: Vec<(String, PageRecordParts)>) -> Result<Changes, Diagnostic> {
        self.write(
            MARKER,
            b"written by gazette; this folder is replaced on every build\n",
        )?;
        // The output was known by its manifest only: before deciding that it already is the
        // new site, walk it, so that a file changed or added there by hand is replaced.
        if !self.target.differs() && !self.output_is_as_recorded() {
            self.target.set_differs();
        }
        let counts = self.target.counts();
        if !self.target.differs() {
            // The output already is the new site, file for file: nothing to swap. The files
            // held back are not written; the staging folder's manifest still describes it.
            // The output's page records are renewed if they do not say what this build knows.
            if let Some(ino) = folder_ino(&self.out) {
                let hashes = |i: usize, p: &str| self.target.output_hash(p, Some(i));
                let records = page_records(pages, hashes);
                let same = records.len() == self.pages.len()
                    && (records.iter().enumerate())
                        .all(|(i, (p, r))| self.pages.get_at(i, &PathKey::of(p)) == Some(r));
                if !same {
                    let _ = super::pages::write(&super::pages::path(&self.home, ino), &records);
                }
            }
            return Ok(Changes {
                written: counts.written,
                unchanged: counts.unchanged,
                removed: self.removed,
                swapped: false,
            });
        }
        self.target
            .write_pending()
            .map_err(|e| write_err(self.dir(), e))?;
        let spare = self.dir().to_path_buf();
        // Without a manifest the next build compares by content: a failure here costs time,
        // not correctness.
        if let Ok(ino) = self.target.dir.ino() {
            let (by_slot, loose) = self.target.records();
            let folders = self.folder_records();
            let home = &self.home;
            let slots = self.target.slots();
            let _ = rayon::join(
                || {
                    // In the plan's order: the next build with the same plan finds each
                    // record in its slot.
                    let records: Vec<(&str, super::manifest::Record)> = (by_slot.iter())
                        .enumerate()
                        .filter_map(|(s, r)| Some((slots.path(s), (*r)?)))
                        .chain(loose.iter().map(|(p, r)| (p.as_str(), *r)))
                        .collect();
                    super::manifest::write(&super::manifest::path(home, ino), &records, &folders)
                },
                || {
                    // A page's hash, when the build does not know it already, from the
                    // records (the pages come in the plan's order, so mostly in their slot).
                    let hash_of = |i: usize, p: &str| {
                        let slot = slots.find_at(PathKey::of(p), i)?;
                        by_slot[slot].map(|r| r.hash)
                    };
                    let pages = page_records(pages, hash_of);
                    // Without records the next build renders every page: a failure costs
                    // time only.
                    super::pages::write(&super::pages::path(home, ino), &pages)
                },
            );
        }
        swap(&spare, &self.out)?;
        forget_other_manifests(&self.home, &[&self.out, &spare]);
        let counts = self.target.counts();
        let changes = Changes {
            written: counts.written,
            unchanged: counts.unchanged,
            removed: self.removed,
            swapped: true,
        };
        // Freeing the records of half a million files took a sixth of a second at the end
        // of every build: it is done beside the summary instead (the lock goes with them).
        let _ = std::thread::Builder::new().spawn(move || drop(self));
        Ok(changes)
    }
}

/// What a build knows of one of its pages for the page records.
#[derive(Debug)]
pub struct PageRecordParts {
    pub signature: u64,
    /// The images it asked for.
    pub asked: Vec<(crate::images::Derived, PathBuf)>,
    /// The hash of its bytes, when the build knows it without the files' records: a page
    /// kept as the output has it holds the bytes it was kept with. The others' come from
    /// the records.
    pub hash: Option<u128>,
}

/// The records of `pages` whose bytes' hash is known (in their order, which is the plan's:
/// sorting 220,000 paths cost a tenth of a second): their own, else what `hash_of` says of
/// the page at that place in the list and its path.
fn page_records(
    pages: Vec<(String, PageRecordParts)>,
    hash_of: impl Fn(usize, &str) -> Option<u128>,
) -> Vec<(String, PageRecord)> {
    (pages.into_iter().enumerate())
        .filter_map(|(i, (path, parts))| {
            let PageRecordParts {
                signature,
                asked,
                hash,
            } = parts;
            let hash = hash.or_else(|| hash_of(i, &path))?;
            Some((
                path,
                PageRecord {
                    signature,
                    hash,
                    asked,
                },
            ))
        })
        .collect()
}

/// Remove the manifests and page records (and unfinished ones) of folders that are neither
/// of `keep`.
fn forget_other_manifests(home: &Path, keep: &[&Path]) {
    let keep: Vec<PathBuf> = (keep.iter())
        .filter_map(|p| folder_ino(p))
        .flat_map(|ino| {
            [
                super::manifest::path(home, ino),
                super::pages::path(home, ino),
            ]
        })
        .collect();
    let Ok(dir) = fs::read_dir(home) else { return };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_manifest = name.starts_with("manifest-") || name.starts_with("pages-");
        if is_manifest && !keep.contains(&e.path()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Put the finished `staging` folder in place of `out`; the old output takes its place.
fn swap(staging: &Path, out: &Path) -> Result<(), Diagnostic> {
    // Where the kernel can exchange two paths atomically (Linux renameat2), the old
    // output and the staging folder trade places in one step: at every instant `out` is
    // either the complete old site or the complete new one.
    if out.exists() && exchange(staging, out).is_ok() {
        return Ok(());
    }
    // Elsewhere: old output aside, staging in, old output in the staging folder's place. A
    // kill between the first two renames leaves `.name.old-*`, which the next build puts
    // back (see `recover`).
    let old = sibling(out, &format!("old-{}", std::process::id()));
    let had_old = out.exists();
    if had_old {
        fs::rename(out, &old).map_err(|e| write_err(out, e))?;
    }
    if let Err(e) = fs::rename(staging, out) {
        if had_old {
            let _ = fs::rename(&old, out);
        }
        return Err(write_err(out, e));
    }
    if had_old && fs::rename(&old, staging).is_err() {
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}

/// Write `pages` and `copies` (sources relative to `root`) as the new content of `out`.
/// Returns what changed.
pub fn write_site(
    root: &Path,
    out: &Path,
    pages: &[RenderedFile],
    copies: &[Copy],
) -> Result<Changes, Diagnostic> {
    let mut staging = Staging::begin(out, Found::look(out))?;
    staging.prepare(
        pages
            .iter()
            .map(|p| p.path.as_str())
            .chain(copies.iter().map(|c| c.to.as_str())),
    )?;
    pages
        .par_iter()
        .try_for_each(|p| staging.write(&p.path, &p.bytes))?;
    copies.par_iter().try_for_each(|c| staging.copy(root, c))?;
    staging.commit(Vec::new())
}

/// A build renders straight into its staging folder.
impl crate::render::Sink for Staging {
    fn put(&self, file: RenderedFile) -> Result<(), Diagnostic> {
        self.write(&file.path, &file.bytes)
    }

    fn open(&self, path: &str) -> Result<Option<Box<dyn std::io::Write + '_>>, Diagnostic> {
        Ok(Some(Box::new(self.create(path)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_record_takes_a_known_hash_else_the_files_records() {
        let parts = |hash: Option<u128>| PageRecordParts {
            signature: 11,
            asked: Vec::new(),
            hash,
        };
        let pages = vec![
            ("kept.html".to_string(), parts(Some(5))),
            ("rendered.html".to_string(), parts(None)),
            ("unrecorded.html".to_string(), parts(None)),
        ];
        let records = page_records(pages, |_, p| (p != "unrecorded.html").then_some(9));
        let got: Vec<(&str, u128, u64)> = (records.iter())
            .map(|(p, r)| (p.as_str(), r.hash, r.signature))
            .collect();
        assert_eq!(got, [("kept.html", 5, 11), ("rendered.html", 9, 11)]);
    }
}
