//! A folder held open, so that the `stat` of a file under it walks only the path below it.
//! A rebuild of a 100,000-entry site takes the fingerprint of some 330,000 content files and
//! folders to find what changed; the kernel looked up every folder of each absolute path
//! (`/home/…/site/content/releases/2024-03/mma.md`: seven names) for each of them, and that
//! lookup was about half of the CPU time of those `stat`s (issue 21).
//!
//! It owns those system calls and nothing else: the fingerprints are the ones
//! `fs::metadata` gives (symbolic links followed), whatever the path.

use std::path::{Path, PathBuf};

use crate::sink::manifest::Fingerprint;

pub struct HeldFolder {
    /// The folder, as its paths are given (`None`: it could not be opened).
    #[cfg(unix)]
    fd: Option<std::os::fd::OwnedFd>,
    path: PathBuf,
}

impl HeldFolder {
    /// Hold the folder at `path` (if it cannot be opened, paths are looked up whole).
    pub fn open(path: &Path) -> HeldFolder {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            HeldFolder {
                fd: rustix::fs::open(path, flags, Mode::empty()).ok(),
                path: path.to_path_buf(),
            }
        }
        #[cfg(not(unix))]
        HeldFolder {
            path: path.to_path_buf(),
        }
    }

    /// The fingerprint of what is at `path` (given as the held folder's path joined with a
    /// path below it, or any other path), following symbolic links.
    pub fn fingerprint(&self, path: &Path) -> std::io::Result<Fingerprint> {
        match below(&self.path, path) {
            Some(rel) => self.fingerprint_below(rel),
            None => std::fs::metadata(path).map(|m| Fingerprint::of(&m)),
        }
    }

    /// The fingerprint of what is at `rel` below the held folder, following symbolic links.
    pub fn fingerprint_below(&self, rel: &Path) -> std::io::Result<Fingerprint> {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            use rustix::fs::AtFlags;
            let rel = match rel.as_os_str().is_empty() {
                true => Path::new("."),
                false => rel,
            };
            let st = rustix::fs::statat(fd, rel, AtFlags::empty())?;
            return Ok(Fingerprint::of_stat(&st));
        }
        std::fs::metadata(self.path.join(rel)).map(|m| Fingerprint::of(&m))
    }
}

/// `path` below `folder`, if it is: cut as bytes when `path` is `folder`, a `/` and the
/// rest (as `Path::join` makes them; parsing both into components was most of the time of
/// this outside the system call, 330,000 times a rebuild at 100,000 entries), else by
/// components.
fn below<'p>(folder: &Path, path: &'p Path) -> Option<&'p Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (f, p) = (folder.as_os_str().as_bytes(), path.as_os_str().as_bytes());
        if let Some(rest) = p.strip_prefix(f) {
            match rest {
                [] => return Some(Path::new("")),
                [b'/', rest @ ..]
                    if !f.is_empty() && !f.ends_with(b"/") && rest.first() != Some(&b'/') =>
                {
                    return Some(Path::new(std::ffi::OsStr::from_bytes(rest)));
                }
                _ => {}
            }
        }
    }
    path.strip_prefix(folder).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_those_of_the_whole_path_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("content/a")).unwrap();
        std::fs::write(root.join("content/a/f.md"), "x").unwrap();
        std::fs::write(dir.path().join("outside.md"), "elsewhere").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("content/a/f.md"), root.join("content/link.md"))
            .unwrap();
        let held = HeldFolder::open(&root);
        let mut paths = vec![
            root.clone(),
            root.join("content"),
            root.join("content/a"),
            root.join("content/a/f.md"),
            dir.path().join("outside.md"),
        ];
        if cfg!(unix) {
            paths.push(root.join("content/link.md"));
        }
        for p in paths {
            let whole = Fingerprint::of(&std::fs::metadata(&p).unwrap());
            assert_eq!(held.fingerprint(&p).unwrap(), whole, "{}", p.display());
        }
        assert!(held.fingerprint(&root.join("content/missing.md")).is_err());
        // A folder that cannot be held: every path is looked up whole.
        let none = HeldFolder::open(&dir.path().join("missing"));
        let f = root.join("content/a/f.md");
        assert_eq!(
            none.fingerprint(&f).unwrap(),
            Fingerprint::of(&std::fs::metadata(&f).unwrap())
        );
    }

    #[test]
    fn a_path_below_is_cut_as_components_would_cut_it() {
        let f = Path::new("/srv/site");
        for (path, want) in [
            ("/srv/site", Some("")),
            ("/srv/site/content/a.md", Some("content/a.md")),
            ("/srv/site/content/发布/a.md", Some("content/发布/a.md")),
            ("/srv/site2/a.md", None),
            ("/srv/sit", None),
            ("/srv/site//a.md", Some("a.md")),
            ("/other/a.md", None),
        ] {
            let by_components = Path::new(path).strip_prefix(f).ok();
            assert_eq!(by_components.map(Path::new), want.map(Path::new), "{path}");
            assert_eq!(below(f, Path::new(path)), want.map(Path::new), "{path}");
        }
        assert_eq!(
            below(Path::new("site"), Path::new("site/a")),
            Some(Path::new("a"))
        );
        // Cut as bytes, a `.` stays (the same file to the kernel; components drop it).
        let dot = below(f, Path::new("/srv/site/./a.md")).unwrap();
        assert_eq!(dot.as_os_str(), "./a.md");
    }
}
