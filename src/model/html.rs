//! The rendered HTML of an entry version's body, which a build may let go of, through the
//! shared reference every renderer holds, once the entry's pages and search documents are
//! written: a large site's bodies together are hundreds of megabytes. It owns holding and
//! releasing the text; it renders nothing and does not decide when to let go.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// An entry version's body HTML (empty until Markdown is rendered).
#[derive(Default)]
pub struct BodyHtml {
    html: RwLock<Arc<str>>,
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
        self.html.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Store the rendered HTML (shared: the preview's cache of bodies holds it too).
    pub fn set(&mut self, html: Arc<str>) {
        *self.html.get_mut().unwrap_or_else(|e| e.into_inner()) = html;
        *self.released.get_mut() = false;
    }

    /// Let go of the HTML: nothing may ask for it again.
    pub fn release(&self) {
        self.released.store(true, Ordering::Relaxed);
        *self.html.write().unwrap_or_else(|e| e.into_inner()) = Arc::from("");
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
        write!(f, "BodyHtml({} bytes)", html.len())
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
        assert_eq!(h.html.read().unwrap().len(), 0, "released");
        assert_eq!(&*copy.get(), "<p>甲</p>", "the clone keeps its own");
        h.set(Arc::from("<p>乙</p>"));
        assert_eq!(&*h.get(), "<p>乙</p>", "set again after a release");
    }
}
