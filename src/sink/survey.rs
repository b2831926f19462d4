//! What is already in the folder a build updates (the previous output, kept as the next
//! build's staging folder): every file with its fingerprint, and what the folder's manifest
//! says about each. Then bringing the folder's shape in line with a new plan: removing the
//! files and folders the new site does not have, and making only the folders it lacks.
//!
//! This module walks and prunes the staging folder; it never writes a file's content and
//! never touches the output folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use super::manifest::{self, Fingerprint, Record};
use super::{Map, Set};

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
    File(Fingerprint),
    Dir,
    /// A symbolic link or anything else a build never makes.
    Other,
}

/// The staging folder as found.
#[derive(Debug, Default)]
pub struct Survey {
    /// Everything under the folder, relative to it (paths that are not UTF-8 too: they are
    /// never part of a site).
    found: Vec<(PathBuf, Kind)>,
    manifest: Option<Map<String, Record>>,
}

/// How the staging folder was brought in line with a plan.
#[derive(Debug, Default)]
pub struct Pruned {
    /// Files kept, by path, to be compared with what is rendered.
    pub known: Map<String, Known>,
    /// Files (and other non-folders) removed.
    pub removed: usize,
    /// Whether the folder had a whole manifest.
    pub had_manifest: bool,
}

impl Survey {
    /// The folder as its manifest in `home` records it, without walking it: every recorded
    /// file with its recorded fingerprint, no folders, nothing unrecorded. For the output
    /// folder, which a build only reads from: each file read from it is checked against its
    /// record first ([`super::update::Target::output_hash`]), and the output is walked after
    /// all before a build decides that it already is the new site (see `disk::Staging::commit`).
    pub fn recorded(home: &Path, ino: u64) -> Survey {
        let manifest = manifest::read(&manifest::path(home, ino));
        let found = (manifest.iter().flatten())
            .map(|(p, r)| (PathBuf::from(p), Kind::File(r.fp)))
            .collect();
        Survey { found, manifest }
    }

    /// Walk `dir` (in parallel, one task per folder) and read its manifest from `home`.
    pub fn take(dir: &Path, home: &Path, ino: u64) -> Survey {
        let found = Mutex::new(Vec::new());
        rayon::scope(|s| visit(s, dir.to_path_buf(), PathBuf::new(), &found));
        Survey {
            found: found.into_inner().unwrap_or_else(|e| e.into_inner()),
            manifest: manifest::read(&manifest::path(home, ino)),
        }
    }

    /// Remove from `dir` (the folder surveyed) every file and folder that is not one of
    /// `files` or an ancestor of one (`dirs`), then return what is left to compare.
    pub fn prune(
        mut self,
        dir: &Path,
        files: &Set<&str>,
        dirs: &Set<&str>,
    ) -> std::io::Result<(Pruned, Set<String>)> {
        // By bytes, not by components (several times slower): a folder still comes before
        // everything in it, which is all the loop below needs (`gone` is checked by
        // components).
        self.found
            .sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        let mut pruned = Pruned {
            had_manifest: self.manifest.is_some(),
            known: Map::with_capacity_and_hasher(self.found.len(), Default::default()),
            ..Pruned::default()
        };
        let mut present = Set::default();
        let mut gone: Option<&Path> = None;
        let manifest = self.manifest.unwrap_or_default();
        for (rel, kind) in &self.found {
            if let Some(g) = gone
                && rel.starts_with(g)
            {
                if matches!(kind, Kind::File(_) | Kind::Other) {
                    pruned.removed += 1;
                }
                continue;
            }
            let name = rel.to_str().map(slashed);
            let abs = || dir.join(rel);
            let ok = |r: std::io::Result<()>| match r {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
            match (kind, name) {
                (Kind::Dir, Some(n)) if dirs.contains(n.as_str()) => {
                    present.insert(n);
                }
                (Kind::Dir, _) => {
                    ok(fs::remove_dir_all(abs()))?;
                    gone = Some(rel);
                }
                (Kind::File(fp), Some(n)) if files.contains(n.as_str()) => {
                    let hash = manifest.get(&n).filter(|r| r.fp == *fp).map(|r| r.hash);
                    pruned.known.insert(n, Known { fp: *fp, hash });
                }
                _ => {
                    ok(fs::remove_file(abs()))?;
                    pruned.removed += 1;
                }
            }
        }
        Ok((pruned, present))
    }
}

impl Survey {
    /// Compare a folder that must not change (the output) with the new site: the files of
    /// `files` it holds as its manifest records them, and whether it has anything else.
    pub fn compare(self, files: &Set<&str>, dirs: &Set<&str>) -> (Map<String, Known>, bool) {
        let manifest = self.manifest.unwrap_or_default();
        let mut known = Map::with_capacity_and_hasher(self.found.len(), Default::default());
        let mut extra = false;
        for (rel, kind) in self.found {
            let name = rel.to_str().map(slashed);
            match (kind, name) {
                (Kind::Dir, Some(n)) if dirs.contains(n.as_str()) => {}
                (Kind::File(fp), Some(n)) if files.contains(n.as_str()) => {
                    if let Some(r) = manifest.get(&n).filter(|r| r.fp == fp) {
                        known.insert(
                            n,
                            Known {
                                fp,
                                hash: Some(r.hash),
                            },
                        );
                    }
                }
                _ => extra = true,
            }
        }
        (known, extra)
    }
}

/// A relative path with `/` separators.
fn slashed(p: &str) -> String {
    if p.contains('\\') {
        p.replace('\\', "/")
    } else {
        p.to_string()
    }
}

fn visit<'s>(
    s: &rayon::Scope<'s>,
    abs: PathBuf,
    rel: PathBuf,
    found: &'s Mutex<Vec<(PathBuf, Kind)>>,
) {
    let Ok(entries) = fs::read_dir(&abs) else {
        return;
    };
    let mut here = Vec::new();
    for e in entries.flatten() {
        let r = rel.join(e.file_name());
        let kind = match e.file_type() {
            Ok(t) if t.is_dir() => Kind::Dir,
            Ok(t) if t.is_file() => match e.metadata() {
                Ok(m) => Kind::File(Fingerprint::of(&m)),
                Err(_) => Kind::Other,
            },
            _ => Kind::Other,
        };
        if kind == Kind::Dir {
            let (a, r2) = (e.path(), r.clone());
            s.spawn(move |s| visit(s, a, r2, found));
        }
        here.push((r, kind));
    }
    found
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .append(&mut here);
}

/// Every folder the files at `files` (relative, `/`-separated) need, ancestors included.
pub fn folders<'a>(files: impl Iterator<Item = &'a str>) -> Set<&'a str> {
    // A folder present means its ancestors are too, so the climb stops there.
    let mut dirs: Set<&str> = Set::default();
    for f in files {
        let mut path = f;
        while let Some((parent, _)) = path.rsplit_once('/') {
            if parent.is_empty() || !dirs.insert(parent) {
                break;
            }
            path = parent;
        }
    }
    dirs
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
