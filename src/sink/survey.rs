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
use super::manifest::{self, Fingerprint, Record};
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

/// The staging folder as found.
#[derive(Debug, Default)]
pub struct Survey {
    /// Everything under the folder, relative to it (paths that are not UTF-8 too: they are
    /// never part of a site).
    found: Vec<(PathBuf, Kind)>,
    /// The place in the manifest of each of the first names of `found` (those looked up by
    /// their record): a manifest written for the same plan has each file in its slot.
    places: Vec<u32>,
    /// The manifest's records not already looked up into `found`.
    manifest: Option<Map<String, Record>>,
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

/// What [`Survey::prune`] does with one name it found.
enum Fate {
    /// Nothing: it is inside a folder removed whole (`true`: a file, counted as removed).
    WithFolder(bool),
    /// Remove it (`true`: a folder, with everything in it).
    Remove(bool),
    /// A file of the new site, in this slot: keep its record.
    File(usize, Known),
    /// A folder of the new site, by the key of its path.
    Folder(PathKey, Fingerprint),
    /// Something kept that needs no record.
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
        if m.folders.is_empty() {
            return Survey::take(dir, home, ino);
        }
        let manifest::Manifest {
            files,
            folders: recorded_folders,
        } = m;
        let look = |p: &str, recorded: (Node, Fingerprint)| match ahead {
            Some(a) => a.look(p, recorded),
            None => open.stat(p),
        };
        // Each recorded folder: still a folder, and still as recorded?
        let looked_at: Vec<(&str, Option<(Fingerprint, bool)>)> = (recorded_folders.par_iter())
            .map(|(p, was)| match look(p, (Node::Dir, *was)) {
                Ok((Node::Dir, now)) => (p.as_str(), Some((now, now == *was))),
                _ => (p.as_str(), None),
            })
            .collect();
        let folders: Map<&str, (Fingerprint, bool)> = (looked_at.iter())
            .filter_map(|(p, f)| Some((*p, (*f)?)))
            .collect();
        // The recorded folders no longer as recorded: changed, or gone. A build leaves none;
        // a name added or removed by hand (or by a killed build) a few.
        let unsettled: Set<&str> = (looked_at.iter())
            .filter(|(_, f)| !f.is_some_and(|f| f.1))
            .map(|(p, _)| *p)
            .collect();
        drop(looked_at);
        // A file in a folder as recorded: its name is there, its content may have changed.
        // The files of the unsettled folders are found by reading those folders (their
        // records are kept for them). A file whose folder was not recorded is looked at too,
        // which finds it as it is. (Testing each file's folder against the few unsettled
        // ones, not looking it up among every folder found, which was half of this survey's
        // CPU at 100,000 entries whenever a single folder had changed.)
        let files = files.into_iter().enumerate();
        let (looked, rest): (Vec<_>, Vec<_>) = match unsettled.is_empty() {
            true => (files.collect(), Vec::new()),
            false => files.partition(|(_, (p, _))| !unsettled.contains(parent(p))),
        };
        let (mut found, places): (Vec<(PathBuf, Kind)>, Vec<u32>) = (looked.into_par_iter())
            .filter_map(|(place, (p, r)): (usize, (String, Record))| {
                let kind = match look(&p, (Node::File, r.fp)) {
                    Ok((Node::File, fp)) => Kind::File(fp, (fp == r.fp).then_some(r.hash)),
                    Ok(_) => Kind::Other,
                    Err(_) => return None,
                };
                Some(((PathBuf::from(p), kind), place as u32))
            })
            .unzip();
        found.extend(
            (folders.iter())
                .filter(|(p, _)| !p.is_empty())
                .map(|(p, (fp, _))| (PathBuf::from(*p), Kind::Dir(*fp))),
        );
        // A folder that changed (an unsettled one still there) is read: each name in it, and
        // everything under a folder that is not a recorded one.
        let changed: Vec<&str> = (unsettled.iter().copied())
            .filter(|p| folders.contains_key(p))
            .collect();
        let more = Mutex::new(Vec::new());
        let recorded = |r: &Path| r.to_str().is_some_and(|r| folders.contains_key(r));
        rayon::scope(|s| {
            for folder in &changed {
                let (abs, rel) = (dir.join(folder), PathBuf::from(*folder));
                let (more, recorded) = (&more, &recorded);
                s.spawn(move |s| read_folder(s, abs, rel, more, recorded));
            }
        });
        found.append(&mut more.into_inner().unwrap_or_else(|e| e.into_inner()));
        Survey {
            found,
            places,
            manifest: Some(rest.into_iter().map(|(_, file)| file).collect()),
        }
    }

    /// Walk `dir` (in parallel, one task per folder) and read its manifest from `home`.
    pub fn take(dir: &Path, home: &Path, ino: u64) -> Survey {
        let found = Mutex::new(Vec::new());
        rayon::scope(|s| read_folder(s, dir.to_path_buf(), PathBuf::new(), &found, &|_| false));
        Survey {
            found: found.into_inner().unwrap_or_else(|e| e.into_inner()),
            places: Vec::new(),
            manifest: manifest::read(&manifest::path(home, ino))
                .map(|m| m.files.into_iter().collect()),
        }
    }

    /// Remove from `dir` (the folder surveyed) every file and folder that is not one of
    /// the new site's files (`slots`) or an ancestor of one (`dirs`), then return what is
    /// left to compare.
    pub fn prune(self, dir: &Path, slots: &Slots, dirs: &Folders) -> std::io::Result<Pruned> {
        // The folders to remove, found first: everything inside them goes with them. (Sorting
        // every path instead, so that a folder comes before what it holds, was most of this
        // function's time at 100,000 entries.)
        let in_site = |rel: &Path| {
            rel.to_str()
                .is_some_and(|n| dirs.contains_key(&PathKey::of(&slashed(n))))
        };
        let gone: Set<PathBuf> = (self.found.par_iter())
            .filter(|(rel, kind)| matches!(kind, Kind::Dir(_)) && !in_site(rel))
            .map(|(rel, _)| rel.clone())
            .collect();
        let inside_gone = |rel: &Path| rel.ancestors().skip(1).any(|a| gone.contains(a));
        let mut pruned = Pruned {
            had_manifest: self.manifest.is_some(),
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
        let manifest = self.manifest.unwrap_or_default();
        // What becomes of each name is decided on every core (keying and looking up 540,000
        // names on one was most of this function's time at 100,000 entries); removing, and
        // filling the maps, in the order found.
        // The files come first, in the manifest's order: when it was written for the same
        // plan, each is in the slot of its place.
        let fates: Vec<Fate> = (self.found.par_iter().enumerate())
            .map(|(i, (rel, kind))| {
                let (rel, kind) = (rel.as_path(), *kind);
                if !gone.is_empty() && inside_gone(rel) {
                    return Fate::WithFolder(matches!(kind, Kind::File(..) | Kind::Other));
                }
                let name = rel.to_str().map(slashed);
                // A file's slot among the site's files.
                let slot = match (&kind, &name) {
                    (Kind::File(..), Some(n)) => {
                        slots.find_hinted(PathKey::of(n), place(&self.places, i))
                    }
                    _ => None,
                };
                let kept = match (&kind, &name) {
                    (Kind::Dir(_), Some(n)) => dirs.contains_key(&PathKey::of(n)),
                    (Kind::File(..), _) => slot.is_some(),
                    _ => false,
                };
                if !kept {
                    return Fate::Remove(matches!(kind, Kind::Dir(_)));
                }
                match (kind, slot, name) {
                    (Kind::File(fp, hash), Some(slot), name) => {
                        let hash = hash.or_else(|| {
                            let n = name.as_deref()?;
                            (manifest.get(n)).filter(|r| r.fp == fp).map(|r| r.hash)
                        });
                        Fate::File(slot, Known { fp, hash })
                    }
                    (Kind::Dir(fp), _, Some(n)) => Fate::Folder(PathKey::of(&n), fp),
                    _ => Fate::Nothing,
                }
            })
            .collect();
        for ((rel, _), fate) in self.found.iter().zip(&fates) {
            match *fate {
                Fate::WithFolder(file) => pruned.removed += usize::from(file),
                Fate::Remove(dir_all) => {
                    remove(rel, dir_all, &mut pruned.touched)?;
                    pruned.removed += usize::from(!dir_all);
                }
                _ => {}
            }
        }
        // What is kept, filled side by side (one after the other, they were a serial tenth of
        // a second at 100,000 entries).
        (pruned.known, pruned.folders) = rayon::join(
            || {
                let mut known = vec![None; slots.len()];
                for fate in &fates {
                    if let Fate::File(slot, k) = fate {
                        known[*slot] = Some(*k);
                    }
                }
                known
            },
            || {
                (fates.iter())
                    .filter_map(|fate| match fate {
                        Fate::Folder(key, fp) => Some((*key, *fp)),
                        _ => None,
                    })
                    .collect()
            },
        );
        drop(fates);
        drop_aside((self.found, self.places, manifest));
        Ok(pruned)
    }
}

impl Survey {
    /// Compare a folder that must not change (the output) with the new site: the files of
    /// the site (`slots`) it holds as its manifest records them, by slot, and whether it has
    /// anything else.
    pub fn compare(self, slots: &Slots, dirs: &Folders) -> (Vec<Option<Known>>, bool) {
        let manifest = self.manifest.unwrap_or_default();
        let mut known = vec![None; slots.len()];
        let mut extra = false;
        for (i, (rel, kind)) in self.found.iter().enumerate() {
            let kind = *kind;
            let Some(n) = rel.to_str().map(slashed) else {
                extra = true;
                continue;
            };
            match kind {
                Kind::Dir(_) if dirs.contains_key(&PathKey::of(&n)) => {}
                Kind::File(fp, hash) => {
                    let Some(slot) = slots.find_hinted(PathKey::of(&n), place(&self.places, i))
                    else {
                        extra = true;
                        continue;
                    };
                    let hash = hash.or_else(|| {
                        (manifest.get(n.as_ref()))
                            .filter(|r| r.fp == fp)
                            .map(|r| r.hash)
                    });
                    if hash.is_some() {
                        known[slot] = Some(Known { fp, hash });
                    }
                }
                _ => extra = true,
            }
        }
        drop_aside((self.found, self.places, manifest));
        (known, extra)
    }
}

/// Free `v` on a thread of its own. What a survey found was allocated by the thread that
/// made it, and freeing a block from another thread is an atomic operation on its page;
/// `prune` and `compare`, run side by side, freed 920,000 paths that way and waited on each
/// other's atomics (a sixth of their time at 100,000 entries).
fn drop_aside<T: Send + 'static>(v: T) {
    // If no thread can be started, the closure and `v` with it are dropped here.
    let _ = std::thread::Builder::new().spawn(move || drop(v));
}

/// The place in the manifest of the `i`th name a survey found, if it was looked up by its
/// record (see `Survey::places`).
fn place(places: &[u32], i: usize) -> Option<usize> {
    places.get(i).map(|p| *p as usize)
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
        let found: Set<&Path> = survey.found.iter().map(|(p, _)| p.as_path()).collect();
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
