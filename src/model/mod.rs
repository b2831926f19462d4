//! Model: the validated site as plain data. Releases, entries (with their translations
//! merged over the original), standalone pages, taxonomies and headline figures, sorted
//! once here. It checks what needs several documents at once (duplicate slugs and titles,
//! orphan translations); it does not read files or render anything.

pub mod assemble;
pub mod checks;
pub mod collections;
pub mod html;
pub mod ids;
pub mod match_cache;
pub mod matching;
pub mod refs;
pub mod rematch;
pub mod reorder;
pub mod taxonomy;
pub mod urls;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::SiteConfig;
use crate::load::Body;
use crate::load::discover::ContentFile;
use crate::load::source::SourceFile;
use crate::validate::Fields;
pub use html::BodyHtml;
use ids::{Lang, ReleaseId, Slug};
pub use taxonomy::{Taxonomy, Term};
use urls::Urls;

/// A release's text in one language.
#[derive(Debug, Clone)]
pub struct ReleaseText {
    pub title: String,
    pub summary: Option<String>,
    pub issuer: Option<String>,
    pub intro: Option<(SourceFile, Body)>,
    pub intro_html: String,
}

/// A numbered batch of results.
#[derive(Debug, Clone)]
pub struct Release {
    pub id: ReleaseId,
    pub source: PathBuf,
    pub number: i64,
    pub date: jiff::civil::Date,
    /// Site path of the cover image, if any.
    pub cover: Option<String>,
    /// Text per language; the default language is always present.
    pub text: BTreeMap<Lang, ReleaseText>,
    /// Indexes into `Site::entries`, in display order: one ascending run, as entries are in
    /// site order, release by release (statistics count a release's entries by that run).
    pub entries: Vec<usize>,
}

/// One language version of an entry: the original, or a translation merged over it.
#[derive(Debug, Clone)]
pub struct EntryVersion {
    pub source: SourceFile,
    /// All field values: the translation's own, then the original's for what it left out.
    pub values: Fields,
    pub title: String,
    pub summary: Option<String>,
    /// The file its `cover` names, relative to `content/`, resolved from its folder once
    /// (`None` without a cover, or one leading out of `content/`; whether the file is
    /// there is checked when the site is assembled).
    pub cover: Option<String>,
    pub body: Body,
    pub body_html: BodyHtml,
}

/// Why an entry may not be public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Draft,
    Embargoed(jiff::Timestamp),
}

/// One result.
#[derive(Debug, Clone)]
pub struct Entry {
    pub release: ReleaseId,
    /// Index of the release in `Site::releases`.
    pub release_index: usize,
    pub slug: Slug,
    pub date: jiff::civil::Date,
    /// Set when the entry is a draft or under embargo (only present with `--drafts`).
    pub hold: Option<Hold>,
    /// Versions per language; the default language is always present. Boxed: a map node
    /// holds room for eleven values, and most entries have one or two.
    pub versions: BTreeMap<Lang, Box<EntryVersion>>,
}

impl Entry {
    /// The version in `lang`, or the original when there is no translation.
    pub fn version(&self, lang: &Lang, default: &Lang) -> &EntryVersion {
        self.versions
            .get(lang)
            .or_else(|| self.versions.get(default))
            .expect("an entry always has its default-language version")
    }

    /// Path of `content/releases/<id>/<slug>.md`-style link targets.
    pub fn link_key(&self) -> String {
        format!("releases/{}/{}", self.release, self.slug)
    }
}

/// One language version of a standalone page.
#[derive(Debug, Clone)]
pub struct PageVersion {
    pub source: SourceFile,
    pub title: String,
    pub body: Body,
    pub body_html: String,
}

/// A standalone page (about, contact, ...).
#[derive(Debug, Clone)]
pub struct Page {
    pub slug: Slug,
    pub versions: BTreeMap<Lang, PageVersion>,
}

/// An entry left out of the build, for `gazette check` to list.
#[derive(Debug, Clone)]
pub struct HeldEntry {
    pub source: PathBuf,
    pub hold: Hold,
}

/// What was held back from the build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeldBack {
    pub drafts: usize,
    pub embargoed: usize,
}

/// The whole validated site.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: SiteConfig,
    pub urls: Urls,
    /// Newest first.
    pub releases: Vec<Release>,
    /// Shared, so that `serve` can patch one entry into a copy of the site cheaply.
    pub entries: Vec<Arc<Entry>>,
    pub pages: Vec<Page>,
    /// The items of `[collections.<name>]`, in `SiteConfig::collections` order.
    pub collections: Arc<Vec<collections::Collection>>,
    /// The resolved `ref` fields and their back-links.
    pub links: Arc<refs::Links>,
    /// Demands and results matched to each other, and related results.
    pub matches: Arc<matching::Matches>,
    /// Taxonomies in schema order, with terms per language (shared like `entries`).
    pub taxonomies: Arc<Vec<Taxonomy>>,
    /// Files under content/ that are copied as they are.
    pub assets: Arc<Vec<ContentFile>>,
    pub held_back: HeldBack,
    /// The entries counted in `held_back`, in path order.
    pub held: Vec<HeldEntry>,
    /// The thumbnails of the raster files among `assets` (see `crate::images`).
    pub images: Arc<crate::images::Images>,
}

impl Site {
    pub fn default_lang(&self) -> &Lang {
        &self.config.default_language
    }
}
