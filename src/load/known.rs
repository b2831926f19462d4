//! Sources known by their fingerprint (kept under the name `sources`, see `kept`): for each
//! Markdown document a build read and checked without a problem, the file's fingerprint as
//! it was read (only once settled, see [`Fingerprint::settled`]) with what the build learnt
//! from its text: its length, its hash, where its body starts and the hash of its front
//! matter. A later build finds an unchanged file with one `stat` and leaves its text on disk
//! (a [`super::source::Text::OnDisk`]), read only if something asks for it (a body to render again);
//! its checked fields are those kept for the same text hash (`validate::kept`). At 100,000
//! entries, opening, reading and hashing every source was a sixth of an edit rebuild's CPU,
//! and their texts 300–400 MB of its memory.
//!
//! It owns the records and their keys; it parses and checks nothing.

use std::path::Path;
use std::sync::Arc;

use super::held_folder::HeldFolder;
use super::source::{LateReads, OnDisk, SourceFile};
use crate::kept::{Log, bytes::*};
use crate::sink::manifest::Fingerprint;

/// What a build learnt from a source's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learnt {
    pub len: usize,
    /// [`super::source::hash_of`] the whole text.
    pub hash: u128,
    /// Where the body starts.
    pub body_start: usize,
    /// `render::reuse::text_hash` of the front matter (the text before the body).
    pub front: u64,
}

/// The sources the last build knew, and those this build learns.
pub struct KnownSources {
    log: Log,
    late: Arc<LateReads>,
    /// The site's folder, in which each source's fingerprint is taken.
    folder: HeldFolder,
}

impl KnownSources {
    /// The records of the site at `root`, kept by this Gazette (`gazette`).
    pub fn open(root: &Path, gazette: &str) -> KnownSources {
        let salt = crate::kept::salt(&["sources", gazette]);
        KnownSources {
            log: Log::open(root, "sources", salt),
            late: Arc::default(),
            folder: HeldFolder::open(root),
        }
    }

    /// The file `rel` under `root` as the last build learnt it, if its fingerprint is still
    /// the one it had then: its text left on disk, and what was learnt.
    pub fn look(&self, root: &Path, rel: &Path) -> Option<(SourceFile, Learnt)> {
        let fp = self.folder.fingerprint_below(rel).ok()?;
        let learnt = decode(self.log.get(key(rel, &fp))?)?;
        (learnt.len as u64 == fp.size).then_some(())?;
        let text = OnDisk::new(root.join(rel), learnt.len, learnt.hash, self.late.clone());
        Some((SourceFile::on_disk(rel.to_path_buf(), text), learnt))
    }

    /// Keep what was learnt from `rel` as found with `fp`, if `fp` is settled.
    pub fn put(&self, rel: &Path, fp: &Fingerprint, learnt: &Learnt) {
        if fp.settled() && learnt.len as u64 == fp.size {
            self.log.put(key(rel, fp), encode(learnt));
        }
    }

    /// The texts read late through the sources this store found.
    pub fn late(&self) -> Arc<LateReads> {
        self.late.clone()
    }

    /// How many sources were found known so far.
    pub fn reused(&self) -> usize {
        self.log.reused()
    }

    /// Write what the next build may read, on a thread of its own: dropping what this
    /// returns waits for it (best effort, see [`Log::finish`]).
    pub fn finish(self) -> crate::kept::Written {
        self.log.finish()
    }
}

fn key(rel: &Path, fp: &Fingerprint) -> u128 {
    fp.key_of(rel.as_os_str().as_encoded_bytes())
}

fn encode(l: &Learnt) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    out.extend_from_slice(&(l.len as u64).to_le_bytes());
    out.extend_from_slice(&l.hash.to_le_bytes());
    out.extend_from_slice(&(l.body_start as u64).to_le_bytes());
    out.extend_from_slice(&l.front.to_le_bytes());
    out
}

fn decode(mut b: &[u8]) -> Option<Learnt> {
    let len = usize::try_from(take_u64(&mut b)?).ok()?;
    let hash = u128::from_le_bytes(take(&mut b, 16)?.try_into().ok()?);
    let body_start = usize::try_from(take_u64(&mut b)?).ok()?;
    let front = take_u64(&mut b)?;
    (b.is_empty() && body_start <= len).then_some(Learnt {
        len,
        hash,
        body_start,
        front,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::source;

    fn learnt(text: &str, body_start: usize) -> Learnt {
        Learnt {
            len: text.len(),
            hash: source::hash_of(text),
            body_start,
            front: 7,
        }
    }

    #[test]
    fn records_read_back_and_a_cut_one_is_not_read() {
        let l = learnt("+++\n+++\n正文", 8);
        let bytes = encode(&l);
        assert_eq!(decode(&bytes), Some(l));
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut past = l;
        past.body_start = l.len + 1;
        assert_eq!(decode(&encode(&past)), None, "a body past the end");
    }

    #[test]
    fn a_file_is_known_only_while_its_fingerprint_stands() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let rel = Path::new("a.md");
        let text = "+++\ntitle = \"a\"\n+++\n正文";
        std::fs::write(root.join(rel), text).unwrap();
        let fp = |p: &Path| Fingerprint::of(&std::fs::metadata(p).unwrap());
        let store = KnownSources::open(root, "test");
        assert!(store.look(root, rel).is_none(), "nothing kept yet");
        // Just written: not settled, so not kept.
        let now = fp(&root.join(rel));
        assert!(!now.settled());
        store.put(rel, &now, &learnt(text, 20));
        store.finish();
        let store = KnownSources::open(root, "test");
        assert!(
            store.look(root, rel).is_none(),
            "an unsettled file is not kept"
        );
        // What a build keeps for a settled file (put under its fingerprint as a build that
        // ran two seconds later would).
        store.log.put(key(rel, &now), encode(&learnt(text, 20)));
        store.finish();
        let store = KnownSources::open(root, "test");
        let (source, l) = store.look(root, rel).expect("known");
        assert_eq!(l, learnt(text, 20));
        assert_eq!(source.hash(), source::hash_of(text));
        assert_eq!(store.late().count(), 0, "not read");
        assert_eq!(&**source.text(), text);
        assert_eq!(store.late().count(), 1);
        assert!(store.late().changed().is_empty());
        // Another Gazette's records are not read.
        assert!(KnownSources::open(root, "other").look(root, rel).is_none());
        // Rewritten (same length): another fingerprint, not known.
        std::fs::write(root.join(rel), text.replace('a', "b")).unwrap();
        let store = KnownSources::open(root, "test");
        assert!(store.look(root, rel).is_none());
    }
}
