//! What the preview serves after a rebuild: a [`Snapshot`] of every output, pages held
//! packed in memory, generated files rendered when first asked for, copies read from disk.
//! It answers requests for paths; making snapshots is [`crate::serve::engine`]'s job.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::model::Site;
use crate::plan::{FileKind, Plan};
use crate::search::SearchPlan;
use crate::serve::packed::Packed;

/// Rendered pages by output path, with the signature they were rendered for.
pub(super) type SignedPages = HashMap<String, (u64, Packed)>;

/// What the server sends for a path.
#[derive(Debug, Clone)]
pub enum Served {
    Bytes(Arc<Vec<u8>>),
    /// A file copied as it is (static/, content assets), read when asked for.
    File(PathBuf),
}

/// One successful rebuild's output, shared with the HTTP side.
pub struct Snapshot {
    pub(super) site: Site,
    pub(super) plan: Arc<Plan>,
    /// The search index of this snapshot (the plan's, or renewed by the fast path).
    pub(super) search: SearchPlan,
    /// Pages of the last full rebuild by output path, with their signature.
    pub(super) pages: Arc<SignedPages>,
    /// Pages the fast path rendered since, which take precedence over `pages`.
    pub(super) patched: HashMap<String, Packed>,
    pub(super) files: Arc<HashMap<String, usize>>,
    pub(super) copies: Arc<HashMap<String, PathBuf>>,
    pub(super) rendered_files: Mutex<HashMap<usize, Arc<Vec<u8>>>>,
}

impl Snapshot {
    /// The output at `path` (relative to the site root, e.g. `releases/x/index.html`).
    pub fn get(&self, path: &str) -> Option<Served> {
        if let Some(page) = self.page(path) {
            return Some(Served::Bytes(Arc::new(page.unpack())));
        }
        if let Some(from) = self.copies.get(path) {
            return Some(Served::File(from.clone()));
        }
        let &i = self.files.get(path)?;
        let mut cache = self.rendered_files.lock().ok()?;
        if let Some(b) = cache.get(&i) {
            return Some(Served::Bytes(b.clone()));
        }
        let file = &self.plan.files[i];
        let bytes = match &file.kind {
            FileKind::Search(f) => crate::search::render(&self.site, &self.search, f),
            _ => crate::render::render_file(&self.site, &self.plan, file).ok()?,
        };
        let bytes = Arc::new(bytes);
        cache.insert(i, bytes.clone());
        Some(Served::Bytes(bytes))
    }

    /// A rendered page as held in memory: the same [`Packed`] for as long as the page is
    /// not rendered again.
    pub fn held(&self, path: &str) -> Option<Packed> {
        self.page(path).cloned()
    }

    /// The page at `path`: the fast path's rendering if it made one since the last full
    /// rebuild, else that rebuild's.
    fn page(&self, path: &str) -> Option<&Packed> {
        (self.patched.get(path)).or_else(|| self.pages.get(path).map(|(_, b)| b))
    }

    /// Every output path, sorted.
    pub fn paths(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .pages
            .keys()
            .chain(self.files.keys())
            .chain(self.copies.keys())
            .cloned()
            .collect();
        v.sort();
        v
    }

    pub fn site(&self) -> &Site {
        &self.site
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// Every output of a snapshot as bytes (copies read from disk), for comparing with a build.
pub fn materialize(s: &Snapshot) -> BTreeMap<String, Vec<u8>> {
    s.paths()
        .into_iter()
        .filter_map(|p| {
            let bytes = match s.get(&p)? {
                Served::Bytes(b) => b.as_ref().clone(),
                Served::File(f) => std::fs::read(f).ok()?,
            };
            Some((p, bytes))
        })
        .collect()
}
