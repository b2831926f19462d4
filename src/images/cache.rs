//! The image cache: a folder outside `output/` holding processed images and their small
//! manifests, each named by the SHA-256 of everything that made it (source bytes,
//! operation, encoder settings, Gazette's version). Writes are atomic (a temporary file in
//! the same folder, then a rename), so a killed build or two builds at once never leave a
//! half-written entry under a real name. It remembers what a run used, so that the rest
//! can be pruned. It must not decode, resize or encode.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// Changes whenever what the processing writes changes for the same inputs (a new encoder,
/// other resampling), so old entries are not reused.
const PROCESSING: &str = "gazette-images 2";

/// The key of a cache entry: SHA-256 over Gazette's version and `parts` (each
/// length-prefixed), in hex.
pub fn key(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in [env!("CARGO_PKG_VERSION").as_bytes(), PROCESSING.as_bytes()]
        .into_iter()
        .chain(parts.iter().copied())
    {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex(&h.finalize())
}

/// The SHA-256 of a file's bytes, in hex.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A cache folder and what this run used of it.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    used: Mutex<HashSet<String>>,
    /// How many images were encoded (not found in the cache) by this run.
    encodes: AtomicUsize,
    temp: AtomicUsize,
}

/// Temporary files older than this are left over from a killed run and pruned.
const STALE_TEMP: Duration = Duration::from_secs(3600);

impl Cache {
    pub fn new(dir: PathBuf) -> Cache {
        Cache {
            dir,
            used: Mutex::default(),
            encodes: AtomicUsize::new(0),
            temp: AtomicUsize::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry `name` lives (it may not exist).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn mark(&self, name: &str) {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
    }

    /// Is the entry there? Marks it used.
    pub fn has(&self, name: &str) -> bool {
        self.mark(name);
        self.path(name).is_file()
    }

    /// The bytes of entry `name`, if there. Marks it used.
    pub fn read(&self, name: &str) -> Option<Vec<u8>> {
        self.mark(name);
        fs::read(self.path(name)).ok()
    }

    /// Store `bytes` as entry `name`, atomically. Marks it used.
    pub fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        self.mark(name);
        fs::create_dir_all(&self.dir)?;
        let n = self.temp.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!(".tmp-{}-{n}-{name}", std::process::id()));
        let result = (|| {
            // No fsync: the rename is what keeps a killed run from leaving a partial
            // entry under a real name, and syncing every thumbnail cost seconds per build.
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            drop(f);
            fs::rename(&tmp, self.path(name))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| self.path(name))
    }

    /// Count one image encoded by this run.
    pub fn encoded(&self) {
        self.encodes.fetch_add(1, Ordering::Relaxed);
    }

    /// How many images this run encoded.
    pub fn encodes(&self) -> usize {
        self.encodes.load(Ordering::Relaxed)
    }

    /// Delete every entry this run did not use (and temporary files a killed run left);
    /// returns how many files were deleted. Run it only after a complete build: a preview
    /// or a failed build has not asked for everything the site uses.
    pub fn prune(&self) -> std::io::Result<usize> {
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Ok(0);
        };
        let mut removed = 0;
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let stale = if name.starts_with(".tmp-") {
                meta.modified()
                    .ok()
                    .and_then(|m| SystemTime::now().duration_since(m).ok())
                    .is_some_and(|age| age > STALE_TEMP)
            } else {
                is_entry_name(&name) && !used.contains(&name)
            };
            if stale && fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Is `name` one of the cache's own entries (64 hex digits and an extension)?
fn is_entry_name(name: &str) -> bool {
    name.split_once('.')
        .is_some_and(|(k, _)| k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_prunes_the_unused() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::new(dir.path().join("c"));
        let a = format!("{}.webp", key(&[b"a"]));
        let b = format!("{}.webp", key(&[b"b"]));
        c.write(&a, b"A").unwrap();
        c.write(&b, b"B").unwrap();
        fs::write(dir.path().join("c/notes.txt"), "mine").unwrap();
        assert_eq!(c.read(&a).as_deref(), Some(&b"A"[..]));
        let next = Cache::new(dir.path().join("c"));
        assert!(next.has(&a));
        assert_eq!(next.prune().unwrap(), 1);
        assert!(!next.path(&b).exists());
        assert!(next.path(&a).exists());
        // Not an entry of the cache's own: left alone.
        assert!(dir.path().join("c/notes.txt").exists());
        assert_ne!(key(&[b"ab"]), key(&[b"a", b"b"]));
    }
}
