//! A loaded text file and the mapping from byte offsets to line and column. It owns turning
//! a span into a `Diagnostic` location, and a text that may still be on disk ([`Text`]): a
//! build that knows a file by its fingerprint (see `load::known`) reads it only if something
//! asks for its text. It reads nothing else from the disk.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crate::diagnostics::{Diagnostic, Location, Problem};

/// A text file of the site, its path relative to the site root.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    text: Text,
}

/// The hash that stands for a file's whole text ([`SourceFile::hash`]): XXH3-128 of its bytes.
pub fn hash_of(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

/// A file's text: read, or still on disk with what it was when last read.
#[derive(Debug, Clone)]
pub enum Text {
    Here(Arc<str>, u128),
    OnDisk(Arc<OnDisk>),
}

/// A file's text not read yet: where it is, its length and hash when a build last read it,
/// and the text once something asked for it.
#[derive(Debug)]
pub struct OnDisk {
    /// The file, as the build opens it (the site root joined with the file's path).
    pub at: PathBuf,
    pub len: usize,
    pub hash: u128,
    text: OnceLock<Arc<str>>,
    /// Where a file found changed since is noted, for the build to stop before it publishes.
    late: Arc<LateReads>,
}

/// The texts a build read after it had taken them as known: how many, and the files found
/// changed since (saved while the build ran). A build that read a changed file's text late
/// has parts made from two versions of it, and must not publish (see `load_site_traced`).
#[derive(Debug, Default)]
pub struct LateReads {
    read: std::sync::atomic::AtomicUsize,
    changed: Mutex<Vec<PathBuf>>,
}

impl LateReads {
    /// How many texts were read late.
    pub fn count(&self) -> usize {
        self.read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The files (as opened) found changed when read late, in order.
    pub fn changed(&self) -> Vec<PathBuf> {
        let mut v = self.changed.lock().map(|v| v.clone()).unwrap_or_default();
        v.sort();
        v
    }
}

impl OnDisk {
    pub fn new(at: PathBuf, len: usize, hash: u128, late: Arc<LateReads>) -> OnDisk {
        OnDisk {
            at,
            len,
            hash,
            text: OnceLock::new(),
            late,
        }
    }

    fn text(&self) -> &Arc<str> {
        self.text.get_or_init(|| {
            let late = &self.late;
            late.read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let text = std::fs::read(&self.at)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match text {
                Some(t) if hash_of(&t) == self.hash => Arc::from(t),
                other => {
                    if let Ok(mut c) = late.changed.lock() {
                        c.push(self.at.clone());
                    }
                    Arc::from(other.unwrap_or_default())
                }
            }
        })
    }
}

impl Text {
    /// The text, read now if it was still on disk.
    pub fn get(&self) -> &Arc<str> {
        match self {
            Text::Here(t, _) => t,
            Text::OnDisk(d) => d.text(),
        }
    }

    /// The hash of the whole text ([`hash_of`]), known without reading it.
    pub fn hash(&self) -> u128 {
        match self {
            Text::Here(_, h) => *h,
            Text::OnDisk(d) => d.hash,
        }
    }

    /// Its length in bytes, known without reading it.
    pub fn byte_len(&self) -> usize {
        match self {
            Text::Here(t, _) => t.len(),
            Text::OnDisk(d) => d.len,
        }
    }
}

impl SourceFile {
    pub fn new(path: PathBuf, text: Arc<str>) -> Self {
        let hash = hash_of(&text);
        SourceFile {
            path,
            text: Text::Here(text, hash),
        }
    }

    /// A file known by its fingerprint, its text read only when asked for.
    pub fn on_disk(path: PathBuf, text: OnDisk) -> Self {
        SourceFile {
            path,
            text: Text::OnDisk(Arc::new(text)),
        }
    }

    /// The file's text (read now if it was still on disk).
    pub fn text(&self) -> &Arc<str> {
        self.text.get()
    }

    /// The file's text as held (read or not).
    pub fn held(&self) -> &Text {
        &self.text
    }

    /// The hash of the file's text ([`hash_of`]), known without reading it.
    pub fn hash(&self) -> u128 {
        self.text.hash()
    }

    /// Let go of the text (once everything made from it is made).
    pub fn forget_text(&mut self, empty: &Arc<str>) {
        self.text = Text::Here(empty.clone(), hash_of(""));
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// An error located at `span` in this file.
    pub fn diagnostic(&self, problem: Problem, span: Range<usize>) -> Diagnostic {
        let (line, column) = self.position(span.start);
        let mut d = Diagnostic::error(problem);
        d.location = Some(Location {
            file: self.path.clone(),
            line,
            column,
        });
        d.span = Some(span);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let f = SourceFile::new("x".into(), Arc::from("ab\n中文x\n"));
        assert_eq!(f.position(0), (1, 1));
        assert_eq!(f.position(3), (2, 1));
        assert_eq!(f.position(9), (2, 3));
    }

    #[test]
    fn a_text_on_disk_is_read_once_when_asked_for_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.md"), dir.path().join("b.md"));
        std::fs::write(&a, "正文 a").unwrap();
        std::fs::write(&b, "正文 b").unwrap();
        let late = Arc::new(LateReads::default());
        let known = |at: &std::path::Path, was: &str| {
            let d = OnDisk::new(at.to_path_buf(), was.len(), hash_of(was), late.clone());
            SourceFile::on_disk("x.md".into(), d)
        };
        let same = known(&a, "正文 a");
        let changed = known(&b, "正文 B, as it was");
        // Known without reading.
        assert_eq!(same.hash(), hash_of("正文 a"));
        assert_eq!(same.held().byte_len(), "正文 a".len());
        assert_eq!(late.count(), 0);
        // Read when asked for, once for every copy.
        let copy = same.clone();
        assert_eq!(&**same.text(), "正文 a");
        assert_eq!(&**copy.text(), "正文 a");
        assert_eq!(late.count(), 1);
        assert!(late.changed().is_empty());
        // A file that is not what it was is noted.
        assert_eq!(&**changed.text(), "正文 b");
        assert_eq!(late.changed(), vec![b.clone()]);
        // So is one that is gone.
        let gone = known(&dir.path().join("gone.md"), "x");
        assert_eq!(&**gone.text(), "");
        assert_eq!(late.changed().len(), 2);
    }
}
