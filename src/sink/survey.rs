//! What is already in the folder a build updates (the previous output, kept as the next
//! build's staging folder): every file with its fingerprint, and what the folder's manifest
//! says about each. Then bringing the folder's shape in line with a new plan: removing the
//! files and folders the new site does not have, and making only the folders it lacks.
//!
//! A folder with a manifest is not walked: each recorded folder and file is looked at (one
//! `stat`, relative to the folder held open), and only a folder whose fingerprint changed
//! since it was recorded (a name in it added, removed or renamed: by hand, or by a killed
//! build) is read to find what it now holds. Reading every folder of a 100,000-entry site
//! cost three times as much CPU as looking at each name, on every build.
//!
//! This module walks and prunes the staging folder; it never writes a file's content and
//! never touches the output folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use super::ahead::Ahead;
use super::manifest::{self, Fingerprint, Manifest, Record};
use super::open_dir::{Node, OpenDir};
use super::slots::Slots;
use super::{Map, PathKey, Set};

/// A file found in the staging folder.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub fp: Fingerprint,
    /// The hash of its bytes, when the manifest has it and the file is as recorded.
    pub hash: Option<u128>,
}

/// What one thing in the staging folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A file, and the hash of its bytes when its manifest record is known to hold (its
    /// fingerprint is the one recorded).
    File(Fingerprint, Option<u128>),
    Dir(Fingerprint),
    /// A symbolic link or anything else a build never makes.
    Other,
}

/// What a survey saw of a name its manifest records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// There, as recorded.
    AsRecorded,
    /// There, otherwise than recorded (what it is now is kept beside: a few names).
    Otherwise,
    /// Not there (or, for a folder, no longer a folder).
    Gone,
    /// In a folder that was read instead (what it is now is among the names found).
    Read,
}

/// The staging folder as found.
#[derive(Debug, Default)]
pub struct Survey {
    /// The manifest the folder was looked at by, name by name (see the module's header):
    /// none when it was walked.
    listing: Option<Manifest>,
    /// What was seen of each file and each folder the manifest records, by place (a manifest
    /// written for the same plan has each file in its slot), and of those seen otherwise than
    /// recorded, what they are now.
    files: Vec<Seen>,
    folders: Vec<Seen>,
    files_otherwise: Map<usize, Kind>,
    folders_otherwise: Map<usize, Fingerprint>,
    /// What reading folders found (everything when the folder was walked), relative to it
    /// (paths that are not UTF-8 too: they are never part of a site).
    found: Vec<(PathBuf, Kind)>,
    /// The records of the files found by reading folders, by path.
    manifest: Option<Map<String, Record>>,
}

/// One name a survey saw.
struct Name<'a> {
    /// Its path relative to the folder, as found.
    rel: &'a Path,
    /// The same, `/`-separated, if it is UTF-8.
    name: Option<std::borrow::Cow<'a, str>>,
    kind: Kind,
    /// Its place in the manifest, if it was looked at by its record.
    place: Option<usize>,
}

/// How the staging folder was brought in line with a plan.
#[derive(Debug, Default)]
pub struct Pruned {
    /// Files kept, by slot (see `slots`), to be compared with what is rendered.
    pub known: Vec<Option<Known>>,
    /// Files (and other non-folders) removed.
    pub removed: usize,
    /// Whether the folder had a whole manifest.
    pub had_manifest: bool,
    /// The folders kept, by the key of their path, with their fingerprints as found.
    pub folders: Map<PathKey, Fingerprint>,
    /// Folders in which something was removed (their fingerprints changed).
    pub touched: Vec<String>,
}

/// What [`Survey::prune`] does with one name it saw (small: one for each of 540,000 names
/// at 100,000 entries; what a kept name is, is looked up again when it is kept).
#[derive(Clone, Copy)]
enum Fate {
    /// Nothing: it is inside a folder removed whole (`true`: a file, counted as removed).
    WithFolder(bool),
    /// Remove it (`true`: a folder, with everything in it).
    Remove(bool),
    /// A file of the new site, in this slot: keep its record.
    File(u32),
    /// A folder of the new site.
    Folder,
    /// Nothing to do: not seen, or kept with no record.
    Nothing,
}

/// A folder as its manifest records it, without walking it: every recorded file, by the
/// key of its path, with its recorded fingerprint and hash; no folders, nothing unrecorded.
/// For the output folder, which a build only reads from: each file read from it is checked
/// against its record first ([`super::update::Target::output_hash`]), and the output is
/// walked after all before a build decides that it already is the new site (see
/// `disk::Staging::commit`).
#[derive(Debug, Default)]
pub struct Recorded {
    files: Vec<(PathKey, Record)>,
}

impl Recorded {
    /// The files the manifest in `home` of the folder with inode `ino` records (none without
    /// a whole manifest).
    pub fn read(home: &Path, ino: u64) -> Recorded {
        let files = manifest::read_keyed(&manifest::path(home, ino)).unwrap_or_default();
        Recorded { files }
    }

    /// Compare the folder with the new site's files (`slots`): those of them it holds as
    /// recorded, by slot, and whether it records any file the new site does not have. (A
    /// manifest written in the order of the same plan finds each file in its slot at once.)
    pub fn compare(self, slots: &Slots) -> (Vec<Option<Known>>, bool) {
        let mut known = vec![None; slots.len()];
        let mut extra = false;
        for (i, (key, r)) in self.files.iter().enumerate() {
            let Some(slot) = slots.find_at(*key, i) else {
                extra = true;
                continue;
            };
            let hash = Some(r.hash);
            known[slot] = Some(Known { fp: r.fp, hash });
        }
        drop_aside(self.files);
        (known, extra)
    }
}

impl Survey {
    /// The folder `dir` as it is, found through its manifest in `home` when it has one (see
    /// the module's header), else by walking it. With `ahead`, each recorded name is taken
    /// as a survey made ahead of this build found it instead of being looked at now (see
    /// `ahead`); folders it found changed are read now.
    pub fn checked(dir: &Path, home: &Path, ino: u64, ahead: Option<&Ahead>) -> Survey {
        let manifest = manifest::read(&manifest::path(home, ino));
        let (Some(m), Ok(open)) = (manifest, OpenDir::open(dir)) else {
            return Survey::take(dir, home, ino);
        };
        if m.folders_len() == 0 {
            return Survey::take(dir, home, ino);
        }
        let look = |p: &str, recorded: (Node, Fingerprint)| match ahead {
            Some(a) => a.look(p, recorded),
            None => open.stat(p),
        };
        // Each recorded folder: still a folder, and still as recorded?
        let (folders, folders_otherwise) = seen_all(m.folders_len(), |j| {
            let (p, was) = m.folder(j);
            match look(p, (Node::Dir, *was)) {
                Ok((Node::Dir, now)) if now == *was => Ok(None),
                Ok((Node::Dir, now)) => Ok(Some(now)),
                _ => Err(Seen::Gone),
            }
        });
        // The recorded folders no longer as recorded: changed, or gone. A build leaves none
        // but the top folder (the exchange changes its times); a name added or removed by
        // hand (or by a killed build) a few more.
        let unsettled: Set<&str> = (folders.iter().enumerate())
            .filter(|(_, seen)| **seen != Seen::AsRecorded)
            .map(|(j, _)| m.folder(j).0)
            .collect();
        // A file in a folder as recorded: its name is there, its content may have changed.
        // The files of the unsettled folders are found by reading those folders (their
        // records are kept for them). A file whose folder was not recorded is looked at too,
        // which finds it as it is. (Testing each file's folder against the few unsettled
        // ones, not looking it up among every folder found, which was half of this survey's
        // CPU at 100,000 entries whenever a single folder had changed.)
        let (files, files_otherwise) = seen_all(m.files_len(), |i| {
            let (p, r) = m.file(i);
            if !unsettled.is_empty() && unsettled.contains(parent(p)) {
                return Err(Seen::Read);
            }
            match look(p, (Node::File, r.fp)) {
                Ok((Node::File, fp)) if fp == r.fp => Ok(None),
                Ok((Node::File, fp)) => Ok(Some(Kind::File(fp, None))),
                Ok(_) => Ok(Some(Kind::Other)),
                Err(_) => Err(Seen::Gone),
            }
        });
        let rest: Map<String, Record> = (files.iter().enumerate())
            .filter(|(_, seen)| **seen == Seen::Read)
            .map(|(i, _)| {
                let (p, r) = m.file(i);
                (p.to_string(), *r)
            })
            .collect();
        // A folder that changed (an unsettled one still there) is read: each name in it, and
        // everything under a folder that is not a recorded one.
        let changed: Vec<&str> = (folders.iter().enumerate())
            .filter(|(_, seen)| **seen == Seen::Otherwise)
            .map(|(j, _)| m.folder(j).0)
            .collect();
        let more = Mutex::new(Vec::new());
        if !changed.is_empty() {
            let present: Set<&str> = (0..m.folders_len())
                .into_par_iter()
                .filter(|j| folders[*j] != Seen::Gone)
                .map(|j| m.folder(j).0)
                .collect();
            let recorded = |r: &Path| r.to_str().is_some_and(|r| present.contains(r));
            rayon::scope(|s| {
                for folder in &changed {
                    let (abs, rel) = (dir.join(folder), PathBuf::from(*folder));
                    let (more, recorded) = (&more, &recorded);
                    s.spawn(move |s| read_folder(s, abs, rel, more, recorded));
                }
            });
        }
        drop((unsettled, changed));
        Survey {
            listing: Some(m),
            files,
            folders,
            files_otherwise,
            folders_otherwise,
            found: more.into_inner().unwrap_or_else(|e| e.into_inner()),
            manifest: Some(rest),
        }
    }

    /// Walk `dir` (in parallel, one task per folder) and read its manifest from `home`.
    pub fn take(dir: &Path, home: &Path, ino: u64) -> Survey {
        let found = Mutex::new(Vec::new());
        rayon::scope(|s| read_folder(s, dir.to_path_buf(), PathBuf::new(), &found, &|_| false));
        Survey {
            found: found.into_inner().unwrap_or_else(|e| e.into_inner()),
            manifest: manifest::read(&manifest::path(home, ino))
                .map(|m| m.files().map(|(p, r)| (p.to_string(), *r)).collect()),
            ..Survey::default()
        }
    }

    /// How many names [`Survey::seen`] goes through: the recorded files, the recorded
    /// folders, then the names found by reading folders.
    fn len(&self) -> usize {
        self.files.len() + self.folders.len() + self.found.len()
    }

    /// The `k`th name (see [`Survey::len`]), if it was seen (the top folder is not one).
    fn seen(&self, k: usize) -> Option<Name<'_>> {
        let (nf, nd) = (self.files.len(), self.folders.len());
        fn recorded(p: &str, kind: Kind, place: Option<usize>) -> Name<'_> {
            Name {
                rel: Path::new(p),
                name: Some(std::borrow::Cow::Borrowed(p)),
                kind,
                place,
            }
        }
        match (k < nf, k < nf + nd, self.listing.as_ref()) {
            (true, _, Some(m)) => {
                let (p, r) = m.file(k);
                let kind = match self.files[k] {
                    Seen::AsRecorded => Kind::File(r.fp, Some(r.hash)),
                    Seen::Otherwise => *self.files_otherwise.get(&k)?,
                    Seen::Gone | Seen::Read => return None,
                };
                Some(recorded(p, kind, Some(k)))
            }
            (false, true, Some(m)) => {
                let j = k - nf;
                let (p, fp) = m.folder(j);
                let fp = match self.folders[j] {
                    _ if p.is_empty() => return None,
                    Seen::AsRecorded => *fp,
                    Seen::Otherwise => *self.folders_otherwise.get(&j)?,
                    Seen::Gone | Seen::Read => return None,
                };
                Some(recorded(p, Kind::Dir(fp), None))
            }
            _ => {
                let (rel, kind) = self.found.get(k - nf - nd)?;
                Some(Name {
                    rel,
                    name: rel.to_str().map(slashed),
                    kind: *kind,
                    place: None,
                })
            }
        }
    }

    /// What is known of a file seen: its fingerprint, and the hash of its bytes when its
    /// record holds.
    fn known(&self, seen: &Name) -> Option<Known> {
        let Kind::File(fp, hash) = seen.kind else {
            return None;
        };
        let hash = hash.or_else(|| {
            let records = self.manifest.as_ref()?;
            let r = records.get(seen.name.as_deref()?)?;
            (r.fp == fp).then_some(r.hash)
        });
        Some(Known { fp, hash })
    }

    /// Every name seen, with what `f` makes of it (on every core).
    fn each_seen<T: Send>(&self, f: impl Fn(Option<Name>) -> T + Sync) -> Vec<T> {
        (0..self.len())
            .into_par_iter()
            .with_min_len(1024)
            .map(|k| f(self.seen(k)))
            .collect()
    }

    /// Remove from `dir` (the folder surveyed) every file and folder that is not one of
    /// the new site's files (`slots`) or an ancestor of one (`dirs`), then return what is
    /// left to compare.
    pub fn prune(self, dir: &Path, slots: &Slots, dirs: &Folders) -> std::io::Result<Pruned> {
        let in_site = |n: &Option<std::borrow::Cow<str>>| {
            n.as_ref()
                .is_some_and(|n| dirs.contains_key(&PathKey::of(n)))
        };
        // The folders to remove, found first: everything inside them goes with them. (Sorting
        // every path instead, so that a folder comes before what it holds, was most of this
        // function's time at 100,000 entries.)
        let gone: Set<PathBuf> = (self.each_seen(|seen| match seen {
            Some(s) if matches!(s.kind, Kind::Dir(_)) && !in_site(&s.name) => {
                Some(s.rel.to_path_buf())
            }
            _ => None,
        }))
        .into_iter()
        .flatten()
        .collect();
        let inside_gone = |rel: &Path| rel.ancestors().skip(1).any(|a| gone.contains(a));
        let mut pruned = Pruned {
            had_manifest: self.listing.is_some() || self.manifest.is_some(),
            ..Pruned::default()
        };
        // What is removed: its path made and its folder noted only then (allocating
        // both for each of 680,000 names kept was a tenth of this loop).
        let remove = |rel: &Path, dir_all: bool, touched: &mut Vec<String>| {
            let abs = dir.join(rel);
            let r = match dir_all {
                true => fs::remove_dir_all(abs),
                false => fs::remove_file(abs),
            };
            if let Err(e) = r
                && e.kind() != std::io::ErrorKind::NotFound
            {
                return Err(e);
            }
            let parent = rel.parent().and_then(Path::to_str).map(slashed);
            touched.push(parent.unwrap_or_default().into_owned());
            Ok(())
        };
        // What becomes of each name is decided on every core (keying and looking up 540,000
        // names on one was most of this function's time at 100,000 entries); removing, and
        // filling the maps, in the order seen. A recorded file names its place in the
        // manifest: when it was written for the same plan, that is its slot.
        let fates: Vec<Fate> = self.each_seen(|seen| {
            let Some(s) = seen else {
                return Fate::Nothing;
            };
            if !gone.is_empty() && inside_gone(s.rel) {
                return Fate::WithFolder(matches!(s.kind, Kind::File(..) | Kind::Other));
            }
            match s.kind {
                Kind::File(..) => {
                    let name = s.name.as_deref();
                    match name.and_then(|n| slots.find_hinted(PathKey::of(n), s.place)) {
                        Some(slot) => Fate::File(slot as u32),
                        None => Fate::Remove(false),
                    }
                }
                Kind::Dir(_) if in_site(&s.name) => Fate::Folder,
                Kind::Dir(_) => Fate::Remove(true),
                Kind::Other => Fate::Remove(false),
            }
        });
        for (k, fate) in fates.iter().enumerate() {
            match *fate {
                Fate::WithFolder(file) => pruned.removed += usize::from(file),
                Fate::Remove(dir_all) => {
                    if let Some(s) = self.seen(k) {
                        remove(s.rel, dir_all, &mut pruned.touched)?;
                    }
                    pruned.removed += usize::from(!dir_all);
                }
                _ => {}
            }
        }
        // What is kept, filled side by side (one after the other, they were a serial tenth of
        // a second at 100,000 entries).
        let this = &self;
        (pruned.known, pruned.folders) = rayon::join(
            || {
                let mut known = vec![None; slots.len()];
                for (k, fate) in fates.iter().enumerate() {
                    if let Fate::File(slot) = fate {
                        known[*slot as usize] = this.seen(k).and_then(|s| this.known(&s));
                    }
                }
                known
            },
            || {
                (fates.iter().enumerate())
                    .filter(|(_, fate)| matches!(fate, Fate::Folder))
                    .filter_map(|(k, _)| match this.seen(k)? {
                        Name {
                            name: Some(n),
                            kind: Kind::Dir(fp),
                            ..
                        } => Some((PathKey::of(&n), fp)),
                        _ => None,
                    })
                    .collect()
            },
        );
        drop(fates);
        drop_aside(self);
        Ok(pruned)
    }

    /// Compare a folder that must not change (the output) with the new site: the files of
    /// the site (`slots`) it holds as its manifest records them, by slot, and whether it has
    /// anything else.
    pub fn compare(self, slots: &Slots, dirs: &Folders) -> (Vec<Option<Known>>, bool) {
        let mut known = vec![None; slots.len()];
        let mut extra = false;
        for k in 0..self.len() {
            let Some(seen) = self.seen(k) else {
                continue;
            };
            let Some(n) = seen.name.as_deref() else {
                extra = true;
                continue;
            };
            match seen.kind {
                Kind::Dir(_) if dirs.contains_key(&PathKey::of(n)) => {}
                Kind::File(..) => {
                    let Some(slot) = slots.find_hinted(PathKey::of(n), seen.place) else {
                        extra = true;
                        continue;
                    };
                    if let Some(k) = self.known(&seen).filter(|k| k.hash.is_some()) {
                        known[slot] = Some(k);
                    }
                }
                _ => extra = true,
            }
        }
        drop_aside(self);
        (known, extra)
    }

    /// Every name seen (for tests).
    #[cfg(test)]
    fn names(&self) -> Vec<PathBuf> {
        (0..self.len())
            .filter_map(|k| Some(self.seen(k)?.rel.to_path_buf()))
            .collect()
    }
}

/// What was seen of `n` recorded names, by place, and what those seen otherwise than
/// recorded are now: `look(i)` gives `Ok(None)` for the `i`th as recorded, `Ok(Some(x))`
/// for it seen as `x`, `Err(seen)` for it gone or read with its folder. On every core, in
/// parts sized in advance (one byte a name; collecting each name's finding as it came was
/// most of this survey's page faults).
fn seen_all<T: Send>(
    n: usize,
    look: impl Fn(usize) -> Result<Option<T>, Seen> + Sync,
) -> (Vec<Seen>, Map<usize, T>) {
    const PART: usize = 4096;
    type Part<T> = (Vec<Seen>, Vec<(usize, T)>);
    let parts: Vec<Part<T>> = (0..n.div_ceil(PART))
        .into_par_iter()
        .map(|part| {
            let places = part * PART..n.min((part + 1) * PART);
            let mut seen = Vec::with_capacity(places.len());
            let mut otherwise = Vec::new();
            for i in places {
                seen.push(match look(i) {
                    Ok(None) => Seen::AsRecorded,
                    Ok(Some(x)) => {
                        otherwise.push((i, x));
                        Seen::Otherwise
                    }
                    Err(s) => s,
                });
            }
            (seen, otherwise)
        })
        .collect();
    let mut seen = Vec::with_capacity(n);
    let mut otherwise = Map::default();
    for (s, o) in parts {
        seen.extend(s);
        otherwise.extend(o);
    }
    (seen, otherwise)
}

/// Free `v` on a thread of its own. What a survey found was allocated by the thread that
/// made it, and freeing a block from another thread is an atomic operation on its page;
/// `prune` and `compare`, run side by side, freed 920,000 paths that way and waited on each
/// other's atomics (a sixth of their time at 100,000 entries).
fn drop_aside<T: Send + 'static>(v: T) {
    // If no thread can be started, the closure and `v` with it are dropped here.
    let _ = std::thread::Builder::new().spawn(move || drop(v));
}

/// A relative path with `/` separators.
fn slashed(p: &str) -> std::borrow::Cow<'_, str> {
    match p.contains('\\') {
        true => std::borrow::Cow::Owned(p.replace('\\', "/")),
        false => std::borrow::Cow::Borrowed(p),
    }
}

/// The parent folder of the file at `path` (relative, `/`-separated; `""` at the top).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// Add what the folder `abs` (at `rel`) holds to `found`, and everything under each folder in
/// it, except the folders for which `skip` says they are looked at otherwise (in parallel,
/// one task per folder).
fn read_folder<'s>(
    s: &rayon::Scope<'s>,
    abs: PathBuf,
    rel: PathBuf,
    found: &'s Mutex<Vec<(PathBuf, Kind)>>,
    skip: &'s (dyn Fn(&Path) -> bool + Sync),
) {
    let Ok(entries) = fs::read_dir(&abs) else {
        return;
    };
    let mut here = Vec::new();
    for e in entries.flatten() {
        let r = rel.join(e.file_name());
        let kind = match (e.file_type(), e.metadata()) {
            (Ok(t), Ok(m)) if t.is_dir() => Kind::Dir(Fingerprint::of(&m)),
            (Ok(t), Ok(m)) if t.is_file() => Kind::File(Fingerprint::of(&m), None),
            _ => Kind::Other,
        };
        if matches!(kind, Kind::Dir(_)) {
            if skip(&r) {
                continue;
            }
            let (a, r2) = (e.path(), r.clone());
            s.spawn(move |s| read_folder(s, a, r2, found, skip));
        }
        here.push((r, kind));
    }
    found
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .append(&mut here);
}

/// Folders by the key of their path ([`PathKey`]): looking 100,000 folders up by their text,
/// several times a build, compared each probe's key with a path elsewhere in memory.
pub type Folders<'a> = Map<PathKey, &'a str>;

/// Every folder the files at `files` (relative, `/`-separated) need, ancestors included.
pub fn folders<'a>(files: impl Iterator<Item = &'a str>) -> Folders<'a> {
    use std::collections::hash_map::Entry;
    // A folder present means its ancestors are too, so the climb stops there.
    let mut dirs = Folders::default();
    for f in files {
        let mut path = f;
        while let Some((parent, _)) = path.rsplit_once('/') {
            if parent.is_empty() {
                break;
            }
            match dirs.entry(PathKey::of(parent)) {
                Entry::Occupied(_) => break,
                Entry::Vacant(v) => v.insert(parent),
            };
            path = parent;
        }
    }
    dirs
}

/// [`folders`] of `files`, its halves found on two threads and then merged (a folder needed
/// by both halves is found twice, which is cheap: most files share their folders with their
/// neighbours in the plan's order).
pub fn folders_par<'a>(files: &[&'a str]) -> Folders<'a> {
    if files.len() < 4096 {
        return folders(files.iter().copied());
    }
    let (a, b) = files.split_at(files.len() / 2);
    let (mut a, b) = rayon::join(|| folders(a.iter().copied()), || folders(b.iter().copied()));
    a.extend(b);
    a
}

/// Group `dirs` by depth, shallowest first, so each level can be made in parallel once the
/// one above exists.
pub fn levels<'a>(dirs: impl Iterator<Item = &'a str>) -> Vec<Vec<&'a str>> {
    let mut levels: Vec<Vec<&str>> = Vec::new();
    for d in dirs {
        let depth = d.matches('/').count();
        if levels.len() <= depth {
            levels.resize_with(depth + 1, Vec::new);
        }
        levels[depth].push(d);
    }
    levels
}

/// Run `f` over each level of `levels` in parallel, level after level.
pub fn each_level<E: Send>(
    levels: &[Vec<&str>],
    f: impl Fn(&str) -> Result<(), E> + Sync,
) -> Result<(), E> {
    for level in levels {
        level.par_iter().try_for_each(|d| f(d))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp_of(p: &Path) -> Fingerprint {
        Fingerprint::of(&fs::symlink_metadata(p).unwrap())
    }

    #[test]
    fn a_folder_as_recorded_is_looked_at_by_its_records_and_pruned_to_the_site() {
        let dir = tempfile::tempdir().unwrap();
        let (site, home) = (dir.path().join("site"), dir.path().join("home"));
        let names = [
            "top.html",
            "a/x.html",
            "a/b/y.html",
            "old/z.html",
            "c/w.html",
        ];
        for n in names {
            let p = site.join(n);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, n).unwrap();
        }
        fs::create_dir(&home).unwrap();
        let records: Vec<(String, Record)> = (names.iter().enumerate())
            .map(|(i, n)| {
                let r = Record {
                    hash: i as u128 + 100,
                    fp: fp_of(&site.join(n)),
                };
                (n.to_string(), r)
            })
            .collect();
        // Every folder recorded as it is, but `c`: its file is recorded, the folder not.
        let folders: Vec<(String, Fingerprint)> = ["", "a", "a/b", "old"]
            .iter()
            .map(|f| (f.to_string(), fp_of(&site.join(f))))
            .collect();
        let ino = fp_of(&site).ino;
        manifest::write(&manifest::path(&home, ino), &records, &folders).unwrap();
        let survey = Survey::checked(&site, &home, ino, None);
        let found: Set<PathBuf> = survey.names().into_iter().collect();
        for n in names {
            assert!(found.contains(Path::new(n)), "{n} found");
        }
        // The site keeps three of the files; `old` goes whole, `top.html` alone.
        let keep = ["a/x.html", "a/b/y.html", "c/w.html"];
        let slots = Slots::new(&keep);
        let dirs = folders_par(&keep);
        let pruned = survey.prune(&site, &slots, &dirs).unwrap();
        assert_eq!(pruned.removed, 2);
        assert!(!site.join("old").exists() && !site.join("top.html").exists());
        for (slot, n) in keep.iter().enumerate() {
            assert!(site.join(n).is_file(), "{n} kept");
            let i = names.iter().position(|m| m == n).unwrap();
            let known = pruned.known[slot].expect("known");
            assert_eq!(known.hash, Some(i as u128 + 100), "{n}'s recorded hash");
        }
        assert_eq!(pruned.known.len(), 3);
        assert_eq!(pruned.folders.len(), 2);
        for kept in ["a", "a/b"] {
            let fp = pruned.folders.get(&PathKey::of(kept)).expect("kept");
            assert_eq!(*fp, fp_of(&site.join(kept)), "{kept}");
        }
    }

    #[test]
    fn a_folder_known_by_its_records_is_compared_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let record = |n: u64| Record {
            hash: u128::from(n) * 3,
            fp: Fingerprint {
                ino: n,
                size: n,
                mtime: (n as i64, 0),
                ctime: (n as i64, 0),
            },
        };
        let records: Vec<(String, Record)> = (1..=3u64)
            .map(|n| (format!("p/{n}.html"), record(n)))
            .collect();
        manifest::write(&manifest::path(dir.path(), 9), &records, &[]).unwrap();
        let slots = |ns: &[u64]| -> Slots {
            let paths: Vec<String> = ns.iter().map(|n| format!("p/{n}.html")).collect();
            Slots::new(&paths.iter().map(String::as_str).collect::<Vec<_>>())
        };
        // In the manifest's order, and in another: each file in its slot.
        for order in [[1, 2], [2, 1]] {
            let (known, extra) = Recorded::read(dir.path(), 9).compare(&slots(&order));
            assert!(extra, "p/3.html is not in the site");
            assert_eq!(known.iter().flatten().count(), 2);
            let two = known[order.iter().position(|n| *n == 2).unwrap()].unwrap();
            assert_eq!((two.fp, two.hash), (record(2).fp, Some(record(2).hash)));
        }
        let (known, extra) = Recorded::read(dir.path(), 9).compare(&slots(&[4, 3, 1, 2]));
        assert!(!extra);
        let hashes: Vec<Option<u128>> = known.iter().map(|k| k.and_then(|k| k.hash)).collect();
        assert_eq!(hashes, [None, Some(9), Some(3), Some(6)]);
        let (known, extra) = Recorded::read(dir.path(), 10).compare(&slots(&[1]));
        assert!(
            known.iter().all(Option::is_none) && !extra,
            "no manifest: nothing recorded"
        );
    }

    #[test]
    fn folders_found_in_halves_are_the_folders_of_the_whole() {
        // Enough files to be split, with folders shared across the halves' boundary.
        let files: Vec<String> = (0..10_000)
            .map(|i| format!("releases/r{}/e{}/index.html", i % 7, i / 3))
            .chain(["index.html".to_string(), "a/b/c/d.json".to_string()])
            .collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let whole = folders(files.iter().copied());
        let halves = folders_par(&files);
        assert_eq!(halves, whole);
        let mut expected: std::collections::BTreeSet<String> = ["releases", "a", "a/b", "a/b/c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for i in 0..10_000 {
            expected.insert(format!("releases/r{}", i % 7));
            expected.insert(format!("releases/r{}/e{}", i % 7, i / 3));
        }
        for (key, name) in &halves {
            assert_eq!(*key, PathKey::of(name));
        }
        let mut found: Vec<&str> = halves.into_values().collect();
        found.sort_unstable();
        assert_eq!(
            found,
            expected.iter().map(String::as_str).collect::<Vec<_>>()
        );
    }
}
