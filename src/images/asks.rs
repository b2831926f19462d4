//! Which page asked for which image made on request (`resize_image`, Open Graph crops), so
//! that a build which does not render a page again (its signature is unchanged, see
//! `plan::skip`) still publishes the images that page links to: the build records each
//! page's asks with the page, and hands them back here when it keeps the page.
//!
//! This module only keeps track of asks; it never makes, reads or copies an image.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use super::{Derived, Images};

thread_local! {
    /// The output path of the page being rendered on this thread, if any.
    static PAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The images a page asked for, sorted, by its output path (see [`Images::asks_of`]).
pub type AskedBy<'a> = dyn Fn(&str) -> Vec<(Derived, PathBuf)> + Sync + 'a;

/// The images each page asked for, by the page's output path.
#[derive(Debug, Default)]
pub(super) struct Asks(Mutex<HashMap<String, Vec<(Derived, PathBuf)>>>);

impl Asks {
    /// Note that the page being rendered on this thread (if any) asked for `d`, kept in the
    /// cache file `file`.
    pub(super) fn note(&self, d: &Derived, file: &std::path::Path) {
        let Some(page) = PAGE.with(|p| p.borrow().clone()) else {
            return;
        };
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let list = map.entry(page).or_default();
        if !list.iter().any(|(x, _)| x == d) {
            list.push((d.clone(), file.to_path_buf()));
        }
    }
}

impl Images {
    /// Run `render` (which renders the page at output path `page`) noting the images it asks
    /// for as that page's.
    pub fn for_page<T>(&self, page: &str, render: impl FnOnce() -> T) -> T {
        let before = PAGE.with(|p| p.replace(Some(page.to_string())));
        let out = render();
        PAGE.with(|p| *p.borrow_mut() = before);
        out
    }

    /// The images the page at `page` asked for while it was rendered by this run, sorted.
    pub fn asked_by(&self, page: &str) -> Vec<(Derived, PathBuf)> {
        self.asks_of(|asked_by| asked_by(page))
    }

    /// Run `f` with [`Images::asked_by`] for any number of pages, on any number of threads,
    /// taking the lock once (rather than once for each of 220,000 pages).
    pub fn asks_of<T>(&self, f: impl FnOnce(&AskedBy<'_>) -> T) -> T {
        let map = self.asks.0.lock().unwrap_or_else(|e| e.into_inner());
        let map = &*map;
        f(&|page: &str| {
            let mut list = map.get(page).cloned().unwrap_or_default();
            list.sort_by(|a, b| a.0.out.cmp(&b.0.out));
            list
        })
    }

    /// Take back the images a page that is not rendered again asked for when it last was:
    /// they become outputs of this run as if made now, and their cache files are kept. False
    /// (and nothing taken) if one of them no longer holds: its source changed or is gone, or
    /// its cache file is gone; the page must then be rendered again.
    pub fn take_back(&self, page: &str, asked: &[(Derived, PathBuf)]) -> bool {
        if asked.is_empty() {
            return true;
        }
        // Per ask: the cache key (the file's name without its extension) and the encoded
        // file's sum, as `derive` records it beside the file.
        let mut found = Vec::with_capacity(asked.len());
        for (d, file) in asked {
            let usable = self.is_current(d)
                && file.parent() == Some(self.cache.dir())
                && file
                    .file_name()
                    .is_some_and(|n| self.cache.has(&n.to_string_lossy()));
            let Some(key) = file.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                return false;
            };
            let sum = (self.cache.read(&format!("{key}.sum")))
                .and_then(|t| super::Sum::parse(&String::from_utf8_lossy(&t)))
                .or_else(|| std::fs::read(file).ok().map(|b| super::Sum::of(&b)));
            match sum {
                Some(sum) if usable => found.push((key, d, file, sum)),
                _ => return false,
            }
        }
        let mut derived = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        for (key, d, file, sum) in found {
            let cell = derived
                .entry(key)
                .or_insert_with(|| Arc::new(OnceLock::new()));
            let _ = cell.set(Ok((d.clone(), file.clone(), sum)));
        }
        drop(derived);
        let mut map = self.asks.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(page.to_string(), asked.to_vec());
        true
    }
}
