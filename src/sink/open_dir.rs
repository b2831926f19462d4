//! A folder held open, in which files and folders are made and read relative to it. It owns
//! only the system calls; what to write and when belongs to `update`.

use std::fs;
use std::path::{Path, PathBuf};

use super::manifest::Fingerprint;

/// What a name in a folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node {
    File,
    Dir,
    /// A symbolic link or anything else a build never makes.
    Other,
}

/// A folder held open, in which files and folders are made relative to it (`openat`,
/// `mkdirat` on Unix), so that for each of a site's tens of thousands of files the kernel
/// walks only the path inside the output, not every folder above it. Elsewhere it joins
/// paths.
pub(crate) struct OpenDir {
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
    path: PathBuf,
}

impl OpenDir {
    pub(crate) fn open(path: &Path) -> std::io::Result<OpenDir> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(path, flags, Mode::empty())?;
            Ok(OpenDir {
                fd,
                path: path.to_path_buf(),
            })
        }
        #[cfg(not(unix))]
        Ok(OpenDir {
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The folder's own fingerprint's inode (0 where there are none).
    pub(crate) fn ino(&self) -> std::io::Result<u64> {
        fs::metadata(&self.path).map(|m| Fingerprint::of(&m).ino)
    }

    /// Open the file at `rel` for writing: created if missing, emptied with `truncate`.
    pub(crate) fn open_write(&self, rel: &str, truncate: bool) -> std::io::Result<fs::File> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let mut flags = OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC;
            if truncate {
                flags |= OFlags::TRUNC;
            }
            let fd = rustix::fs::openat(&self.fd, rel, flags, Mode::from_raw_mode(0o666))?;
            Ok(fs::File::from(fd))
        }
        #[cfg(not(unix))]
        fs::File::options()
            .write(true)
            .create(true)
            .truncate(truncate)
            .open(self.path.join(rel))
    }

    pub(crate) fn open_read(&self, rel: &str) -> std::io::Result<fs::File> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, rel, flags, Mode::empty())?;
            Ok(fs::File::from(fd))
        }
        #[cfg(not(unix))]
        fs::File::open(self.path.join(rel))
    }

    /// What is at `rel` (`""`: the folder itself), without following a symbolic link, and
    /// its fingerprint (the same as [`Fingerprint::of`] its metadata gives).
    pub(crate) fn stat(&self, rel: &str) -> std::io::Result<(Node, Fingerprint)> {
        let rel = if rel.is_empty() { "." } else { rel };
        #[cfg(unix)]
        {
            use rustix::fs::{AtFlags, FileType};
            let st = rustix::fs::statat(&self.fd, rel, AtFlags::SYMLINK_NOFOLLOW)?;
            let node = match FileType::from_raw_mode(st.st_mode as _) {
                FileType::RegularFile => Node::File,
                FileType::Directory => Node::Dir,
                _ => Node::Other,
            };
            Ok((node, Fingerprint::of_stat(&st)))
        }
        #[cfg(not(unix))]
        {
            let m = fs::symlink_metadata(self.path.join(rel))?;
            let node = match m.file_type() {
                t if t.is_file() => Node::File,
                t if t.is_dir() => Node::Dir,
                _ => Node::Other,
            };
            Ok((node, Fingerprint::of(&m)))
        }
    }

    /// Make the folder `rel`, whose parent exists, as `fs::create_dir` would.
    pub(crate) fn create_dir(&self, rel: &str) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            let mode = rustix::fs::Mode::from_raw_mode(0o777);
            rustix::fs::mkdirat(&self.fd, rel, mode).map_err(std::io::Error::from)
        }
        #[cfg(not(unix))]
        fs::create_dir(self.path.join(rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_gives_the_fingerprint_metadata_gives() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/f.html"), b"<p>x</p>").unwrap();
        let open = OpenDir::open(dir.path()).unwrap();
        for (rel, node) in [
            ("", Node::Dir),
            ("sub", Node::Dir),
            ("sub/f.html", Node::File),
        ] {
            let (n, fp) = open.stat(rel).unwrap();
            assert_eq!(n, node, "{rel}");
            let m = fs::symlink_metadata(dir.path().join(rel)).unwrap();
            assert_eq!(fp, Fingerprint::of(&m), "{rel}");
        }
        assert!(open.stat("missing").is_err());
    }
}
