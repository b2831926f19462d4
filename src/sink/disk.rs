//! Writing a build to disk atomically: everything goes into a staging folder beside the
//! output folder, which is then swapped in by renames. This module refuses dangerous output
//! paths and never deletes anything but its own staging folders and previous outputs that
//! carry its marker file.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

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

/// Remove leftovers of a killed build; restore the old output if a swap was interrupted.
fn recover(out: &Path) {
    let Some(parent) = out.parent() else { return };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Ok(dir) = fs::read_dir(parent) else {
        return;
    };
    let mut olds = Vec::new();
    for e in dir.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&format!(".{name}.staging-")) {
            let _ = fs::remove_dir_all(e.path());
        } else if n.starts_with(&format!(".{name}.old-")) {
            olds.push(e.path());
        }
    }
    for old in olds {
        if !out.exists() && old.join(MARKER).exists() {
            let _ = fs::rename(&old, out);
        } else if old.join(MARKER).exists() {
            let _ = fs::remove_dir_all(&old);
        }
    }
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

/// A new output folder being written beside `out`. Files can be written into it from many
/// threads while pages are still being rendered; nothing is visible at `out` until
/// [`Staging::commit`] swaps it in. Dropped without a commit, it removes itself, so a failed
/// build leaves the previous output exactly as it was.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    /// `dir`, held open: what is written goes in relative to it.
    open: OpenDir,
    committed: bool,
}

/// A folder held open, in which files and folders are made relative to it (`openat`,
/// `mkdirat` on Unix), so that for each of a site's tens of thousands of files the kernel
/// walks only the path inside the output, not every folder above it. Elsewhere it joins
/// paths.
struct OpenDir {
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
    #[cfg(not(unix))]
    path: PathBuf,
}

impl OpenDir {
    fn open(path: &Path) -> std::io::Result<OpenDir> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(path, flags, Mode::empty())?;
            Ok(OpenDir { fd })
        }
        #[cfg(not(unix))]
        Ok(OpenDir {
            path: path.to_path_buf(),
        })
    }

    /// Create (or truncate) the file at `rel`, as `File::create` would.
    fn create_file(&self, rel: &str) -> std::io::Result<fs::File> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, rel, flags, Mode::from_raw_mode(0o666))?;
            Ok(fs::File::from(fd))
        }
        #[cfg(not(unix))]
        fs::File::create(self.path.join(rel))
    }

    /// Make the folder `rel`, whose parent exists, as `fs::create_dir` would.
    fn create_dir(&self, rel: &str) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            let mode = rustix::fs::Mode::from_raw_mode(0o777);
            rustix::fs::mkdirat(&self.fd, rel, mode).map_err(std::io::Error::from)
        }
        #[cfg(not(unix))]
        fs::create_dir(self.path.join(rel))
    }
}

impl Staging {
    /// Start a new output for `out` (already checked by [`check_output_path`]), cleaning up
    /// after any killed build first.
    pub fn begin(out: &Path) -> Result<Staging, Diagnostic> {
        recover(out);
        let dir = sibling(out, &format!("staging-{}", std::process::id()));
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent).map_err(|e| write_err(parent, e))?;
        }
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).map_err(|e| write_err(&dir, e))?;
        let open = OpenDir::open(&dir).map_err(|e| write_err(&dir, e))?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            open,
            committed: false,
        })
    }

    /// Create the folders that will hold these files (paths relative to the output folder,
    /// `/`-separated; a path ending in `/` is a folder's own, such as a page's site path),
    /// so that [`Staging::write`] never has to.
    pub fn create_dirs(
        &self,
        files: impl Iterator<Item = impl AsRef<str>>,
    ) -> Result<(), Diagnostic> {
        // Every folder with its ancestors, in a hash set: ordering a set of paths by their
        // components was a serial 60 ms at 10,000 entries. A folder present means its
        // ancestors are too, so the climb stops there.
        let mut dirs: HashSet<String> = HashSet::new();
        for f in files {
            let mut path = f.as_ref().trim_start_matches('/');
            while let Some((parent, _)) = path.rsplit_once('/') {
                if parent.is_empty() || dirs.contains(parent) {
                    break;
                }
                dirs.insert(parent.to_owned());
                path = parent;
            }
        }
        // Level by level, each level in parallel (creating folders is kernel time, thousands
        // of them on a big site): a folder's parent always exists when it is made, so each
        // costs one `mkdir`.
        let mut levels: Vec<Vec<String>> = Vec::new();
        for d in dirs {
            let depth = d.matches('/').count();
            if levels.len() <= depth {
                levels.resize_with(depth + 1, Vec::new);
            }
            levels[depth].push(d);
        }
        for level in &levels {
            level
                .par_iter()
                .try_for_each(|d| match self.open.create_dir(d) {
                    Err(e)
                        if !(e.kind() == std::io::ErrorKind::AlreadyExists
                            && self.dir.join(d).is_dir()) =>
                    {
                        Err(write_err(&self.dir.join(d), e))
                    }
                    _ => Ok(()),
                })?;
        }
        Ok(())
    }

    /// Write one file (its folder must exist, see [`Staging::create_dirs`]).
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        use std::io::Write;
        (self.open.create_file(path))
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| write_err(&self.dir.join(path), e))
    }

    /// A buffered writer for one file (its folder must exist), for files written as they
    /// are made.
    pub fn create(&self, path: &str) -> Result<std::io::BufWriter<fs::File>, Diagnostic> {
        (self.open.create_file(path))
            .map(|f| std::io::BufWriter::with_capacity(1 << 16, f))
            .map_err(|e| write_err(&self.dir.join(path), e))
    }

    /// Copy a file of the site (its source relative to `root`).
    pub fn copy(&self, root: &Path, c: &Copy) -> Result<(), Diagnostic> {
        let dest = self.dir.join(&c.to);
        fs::copy(root.join(&c.from), &dest)
            .map(|_| ())
            .map_err(|e| write_err(&dest, e))
    }

    /// Mark the folder as Gazette's and swap it in for the old output.
    pub fn commit(mut self) -> Result<(), Diagnostic> {
        fs::write(
            self.dir.join(MARKER),
            "written by gazette; this folder is replaced on every build\n",
        )
        .map_err(|e| write_err(&self.dir, e))?;
        self.committed = true;
        swap(&self.dir, &self.out)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Put the finished `staging` folder in place of `out`.
fn swap(staging: &Path, out: &Path) -> Result<(), Diagnostic> {
    // Where the kernel can exchange two paths atomically (Linux renameat2), the old
    // output and the staging folder trade places in one step: at every instant `out` is
    // either the complete old site or the complete new one.
    if out.exists() && exchange(staging, out).is_ok() {
        let _ = fs::remove_dir_all(staging);
        return Ok(());
    }
    // Elsewhere: old output aside, staging in, old output removed. A kill between the two
    // renames leaves `.name.old-*`, which the next build puts back (see `recover`).
    let old = sibling(out, &format!("old-{}", std::process::id()));
    let had_old = out.exists();
    if had_old {
        fs::rename(out, &old).map_err(|e| {
            let _ = fs::remove_dir_all(staging);
            write_err(out, e)
        })?;
    }
    if let Err(e) = fs::rename(staging, out) {
        if had_old {
            let _ = fs::rename(&old, out);
        }
        let _ = fs::remove_dir_all(staging);
        return Err(write_err(out, e));
    }
    if had_old {
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}

/// Write `pages` and `copies` (sources relative to `root`) as the new content of `out`.
/// Returns the number of files written.
pub fn write_site(
    root: &Path,
    out: &Path,
    pages: &[RenderedFile],
    copies: &[Copy],
) -> Result<usize, Diagnostic> {
    let staging = Staging::begin(out)?;
    staging.create_dirs(
        pages
            .iter()
            .map(|p| p.path.as_str())
            .chain(copies.iter().map(|c| c.to.as_str())),
    )?;
    pages
        .par_iter()
        .try_for_each(|p| staging.write(&p.path, &p.bytes))?;
    copies.par_iter().try_for_each(|c| staging.copy(root, c))?;
    staging.commit()?;
    Ok(pages.len() + copies.len())
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
