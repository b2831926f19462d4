//! Rendered bodies a build keeps for the next build (see `kept`, under the name `bodies`): a
//! body whose key (its text, place, language and link targets, see `markdown::site`) is kept,
//! and whose images are as they were, is read back instead of rendered. Only bodies that
//! rendered without a problem are kept, so every warning is reported on every build.
//!
//! It owns the bodies' encoding; it renders nothing and decides nothing about keys.

use std::path::Path;
use std::sync::Arc;

use crate::kept::{Log, bytes::*};
use crate::model::html::Html;

/// A body read back: its HTML (a part of the mapped log, not copied) and the images it names
/// with their fingerprints.
pub type StoredBody = (Html, Vec<(String, u64)>);

/// The bodies kept by the last build, and those this build adds.
pub struct BodyStore(Log);

impl BodyStore {
    /// The store of the site at `root`; empty when there is none, or it was made with
    /// another `salt` (this Gazette and site.toml).
    pub fn open(root: &Path, salt: u64) -> BodyStore {
        BodyStore(Log::open(root, "bodies", salt))
    }

    /// The body stored under `key`, if its record is whole.
    pub fn get(&self, key: u64) -> Option<StoredBody> {
        let key = u128::from(key);
        match self.0.get_shared(key) {
            Some(shared) => {
                let (hash, html, images) = decode(shared.bytes())?;
                // Where the HTML is in the record: after its hash, its length and its bytes.
                let html = shared.part(12..12 + html.len())?;
                Some((Html::Kept(html, hash), images))
            }
            None => {
                let (_, html, images) = decode(self.0.get(key)?)?;
                Some((Html::Own(Arc::from(html)), images))
            }
        }
    }

    /// How many bodies were read back so far.
    pub fn reused(&self) -> usize {
        self.0.reused()
    }

    /// Keep this body for the next build.
    pub fn put(&self, key: u64, html: &str, images: &[(String, u64)]) {
        self.0.put(u128::from(key), encode(html, images));
    }

    /// Write what the next build may read, on a thread of its own: dropping what this
    /// returns waits for it (best effort, see [`Log::finish`]).
    pub fn finish(self) -> crate::kept::Written {
        self.0.finish()
    }
}

/// A record: the HTML's [`Html::hash`], the HTML, then each image named with its
/// fingerprint.
fn encode(html: &str, images: &[(String, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(html.len() + 16);
    out.extend_from_slice(&Html::hash_of(html).to_le_bytes());
    put_str(&mut out, html);
    put_n(&mut out, images.len());
    for (rel, f) in images {
        put_str(&mut out, rel);
        out.extend_from_slice(&f.to_le_bytes());
    }
    out
}

/// A record as read back: the HTML's hash, the HTML and the images it names.
type Decoded<'b> = (u64, &'b str, Vec<(String, u64)>);

/// A record's HTML's hash, HTML and images.
fn decode(mut b: &[u8]) -> Option<Decoded<'_>> {
    let hash = take_u64(&mut b)?;
    let html = take_str(&mut b)?;
    let count = take_n(&mut b)?;
    let mut images = Vec::with_capacity(count.min(b.len() / 12));
    for _ in 0..count {
        let rel = take_str(&mut b)?.to_string();
        images.push((rel, take_u64(&mut b)?));
    }
    b.is_empty().then_some((hash, html, images))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images() -> Vec<(String, u64)> {
        vec![("a/cover.jpg".into(), 7), ("图.png".into(), u64::MAX)]
    }

    #[test]
    fn bodies_put_are_read_back_by_the_next_store_and_only_with_its_salt() {
        let root = tempfile::tempdir().unwrap();
        let s = BodyStore::open(root.path(), 1);
        assert!(s.get(10).is_none());
        s.put(10, "<p>甲</p>", &images());
        s.put(11, "<p>乙</p>", &[]);
        s.finish();
        let s = BodyStore::open(root.path(), 1);
        assert_eq!(text(s.get(10)), Some(("<p>甲</p>".into(), images())));
        assert_eq!(text(s.get(11)), Some(("<p>乙</p>".into(), vec![])));
        assert!(
            BodyStore::open(root.path(), 2).get(10).is_none(),
            "another salt"
        );
        // Only what a build used or added is kept: 11 is not asked for this time.
        let s = BodyStore::open(root.path(), 1);
        assert!(s.get(10).is_some());
        s.put(12, "<p>丙</p>", &[]);
        s.finish();
        let s = BodyStore::open(root.path(), 1);
        assert!(s.get(10).is_some() && s.get(12).is_some());
        assert!(s.get(11).is_none(), "not used by the last build");
    }

    fn text(b: Option<StoredBody>) -> Option<(String, Vec<(String, u64)>)> {
        b.map(|(h, i)| (h.as_str().to_string(), i))
    }

    /// A body read back is a part of the mapped log, and stays readable after its store
    /// wrote the next build's log (appended to, or rewritten whole and renamed over it).
    #[test]
    fn a_body_read_back_outlives_its_store_and_the_logs_rewrite() {
        let root = tempfile::tempdir().unwrap();
        let s = BodyStore::open(root.path(), 1);
        for k in 0..50 {
            s.put(k, &format!("<p>{k} {}</p>", "正文".repeat(2000)), &[]);
        }
        s.finish();
        let s = BodyStore::open(root.path(), 1);
        let (html, _) = s.get(7).expect("kept");
        assert!(
            cfg!(not(unix)) || matches!(html, Html::Kept(..)),
            "{html:?}"
        );
        // Only 7 used: the next log is rewritten with it alone.
        s.finish();
        let s = BodyStore::open(root.path(), 1);
        assert!(s.get(7).is_some());
        s.put(99, "<p>新</p>", &[]);
        s.finish();
        assert!(html.as_str() == format!("<p>7 {}</p>", "正文".repeat(2000)));
        assert_eq!(&*html.to_shared(), html.as_str());
        let s = BodyStore::open(root.path(), 1);
        assert!(text(s.get(7)).map(|t| t.0).as_deref() == Some(html.as_str()));
    }
}
