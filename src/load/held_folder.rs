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
        #[cfg(unix)]
        if let (Some(fd), Ok(below)) = (&self.fd, path.strip_prefix(&self.path)) {
            use rustix::fs::AtFlags;
            let below = match below.as_os_str().is_empty() {
                true => Path::new("."),
                false => below,
            };
            let st = rustix::fs::statat(fd, below, AtFlags::empty())?;
            return Ok(Fingerprint::of_stat(&st));
        }
        std::fs::metadata(path).map(|m| Fingerprint::of(&m))
    }
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
}
