//! The rendered HTML of an entry version's body, which a build may let go of, through the
//! shared reference every renderer holds, once the entry's pages and search documents are
//! written: a large site's bodies together are hundreds of megabytes. A body a build read
//! back from the last build's (`markdown::store`) stays a part of the mapped log it is in
//! ([`Html::Kept`]), copied only when a page or a search document needs it as a string: a
//! rebuild after one edit renders a handful of pages, and copying the 450 MB of a
//! 100,000-entry site's bodies into memory of their own was a tenth of its CPU. It owns
//! holding and releasing the text; it renders nothing and does not decide when to let go.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// A body's HTML: its own text, or a part of the kept bodies' log with the [`Html::hash`]
/// kept beside it (the bodies of a 100,000-entry site are 450 MB: hashing them all again
/// for page signatures on every rebuild was a tenth of a second).
#[derive(Debug, Clone)]
pub enum Html {
    Own(Arc<str>),
    Kept(crate::kept::Shared, u64),
}

impl Default for Html {
    fn default() -> Self {
        Html::Own(Arc::from(""))
    }
}

impl From<Arc<str>> for Html {
    fn from(s: Arc<str>) -> Self {
        Html::Own(s)
    }
}

impl Html {
    /// The text (a kept body's bytes were checked as UTF-8 when read back; bytes that are
    /// not, which Gazette never leaves, read as nothing).
    pub fn as_str(&self) -> &str {
        match self {
            Html::Own(s) => s,
            Html::Kept(k, _) => simdutf8::basic::from_utf8(k.bytes()).unwrap_or(""),
        }
    }

    /// The XXH3 of the text: what a page signature takes of a body.
    pub fn hash(&self) -> u64 {
        match self {
            Html::Own(s) => Html::hash_of(s),
            Html::Kept(_, hash) => *hash,
        }
    }

    /// [`Html::hash`] of `text`.
    pub fn hash_of(text: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64(text.as_bytes())
    }

    /// The text as a string of its own (a copy for a kept body).
    pub fn to_shared(&self) -> Arc<str> {
        match self {
            Html::Own(s) => s.clone(),
            Html::Kept(..) => Arc::from(self.as_str()),
        }
    }
}

/// An entry version's body HTML (empty until Markdown is rendered).
#[derive(Default)]
pub struct BodyHtml {
    html: RwLock<Html>,
    released: AtomicBool,
}

impl BodyHtml {
    /// The HTML. Asking after [`BodyHtml::release`] is a bug in the build's order (caught
    /// in debug builds); it would render an empty body.
    pub fn get(&self) -> Arc<str> {
        debug_assert!(
            !self.released.load(Ordering::Relaxed),
            "a body's HTML was asked for after it was released"
        );
        self.html
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .to_shared()
    }

    /// [`Html::hash`] of the HTML, without reading a kept body's.
    pub fn hash(&self) -> u64 {
        debug_assert!(
            !self.released.load(Ordering::Relaxed),
            "a body's HTML was asked for after it was released"
        );
        self.html.read().unwrap_or_else(|e| e.into_inner()).hash()
    }

    /// Store the rendered HTML (shared: the preview's cache of bodies holds it too).
    pub fn set(&mut self, html: impl Into<Html>) {
        *self.html.get_mut().unwrap_or_else(|e| e.into_inner()) = html.into();
        *self.released.get_mut() = false;
    }

    /// Let go of the HTML: nothing may ask for it again.
    pub fn release(&self) {
        self.released.store(true, Ordering::Relaxed);
        *self.html.write().unwrap_or_else(|e| e.into_inner()) = Html::default();
    }
}

impl Clone for BodyHtml {
    fn clone(&self) -> Self {
        BodyHtml {
            html: RwLock::new(self.html.read().unwrap_or_else(|e| e.into_inner()).clone()),
            released: AtomicBool::new(self.released.load(Ordering::Relaxed)),
        }
    }
}

impl std::fmt::Debug for BodyHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let html = self.html.read().unwrap_or_else(|e| e.into_inner());
        write!(f, "BodyHtml({} bytes)", html.as_str().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_lets_go_of_the_text_and_clones_share_it() {
        let mut h = BodyHtml::default();
        assert_eq!(&*h.get(), "");
        h.set(Arc::from("<p>甲</p>"));
        let copy = h.clone();
        assert!(
            Arc::ptr_eq(&h.get(), &copy.get()),
            "a clone shares the text"
        );
        h.release();
        assert_eq!(h.html.read().unwrap().as_str().len(), 0, "released");
        assert_eq!(&*copy.get(), "<p>甲</p>", "the clone keeps its own");
        h.set(Arc::from("<p>乙</p>"));
        assert_eq!(&*h.get(), "<p>乙</p>", "set again after a release");
    }
}
