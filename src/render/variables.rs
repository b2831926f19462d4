//! What templates see under each name (`page`, `entry`, `term`, `paginator`, …): plain
//! structs that [`super::context`] fills and serialises straight into template values, one
//! copy of each text and no JSON in between. The theme's templates and the README's
//! "Template context" section name these fields; it computes nothing.

use serde::Serialize;

/// `page`: every page's own URLs and `<head>` metadata.
#[derive(Serialize)]
pub(super) struct PageContext {
    pub(super) kind: &'static str,
    pub(super) url: String,
    pub(super) permalink: String,
    pub(super) translations: Vec<Link>,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) og_type: &'static str,
    pub(super) locale: String,
    pub(super) locale_alternates: Vec<String>,
    pub(super) image: Option<String>,
    pub(super) jsonld: Option<String>,
    pub(super) feed_url: Option<String>,
    pub(super) feeds: Vec<crate::render::head::FeedLink>,
}

/// `entry`: an entry page's version of the entry.
#[derive(Serialize)]
pub(super) struct EntryContext<'a> {
    pub(super) slug: &'a str,
    pub(super) title: &'a str,
    pub(super) summary: Option<&'a str>,
    pub(super) url: String,
    pub(super) date: String,
    pub(super) date_display: String,
    pub(super) body_html: &'a str,
    pub(super) fields: Vec<crate::render::display::DisplayField>,
    pub(super) values: &'a crate::validate::Fields,
    pub(super) cover: Option<String>,
    pub(super) cover_alt: Option<&'a str>,
    /// The cover's `<picture>` (a processed image), for `| safe`.
    pub(super) cover_html: Option<String>,
    pub(super) hold: Option<crate::render::shared::HoldInfo>,
    pub(super) source: std::borrow::Cow<'a, str>,
}

/// `downloads`: a release's open data and feed.
#[derive(Serialize)]
pub(super) struct Downloads {
    pub(super) json: String,
    pub(super) csv: String,
    pub(super) feed: String,
}

/// `term`: the taxonomy term a term page lists.
#[derive(Serialize)]
pub(super) struct TermContext<'a> {
    pub(super) label: &'a str,
    pub(super) slug: &'a str,
    pub(super) count: usize,
    pub(super) url: String,
}

/// `paginator`: where a term or collection page is among that list's pages.
#[derive(Serialize)]
pub(super) struct Paginator {
    pub(super) page: usize,
    pub(super) pages: usize,
    pub(super) prev: Option<String>,
    pub(super) next: Option<String>,
}

impl Paginator {
    /// Page `page` of `pages`, whose URLs `url_of` gives by number.
    pub(super) fn new(page: usize, pages: usize, url_of: impl Fn(usize) -> String) -> Self {
        Paginator {
            page,
            pages,
            prev: (page > 1).then(|| url_of(page - 1)),
            next: (page < pages).then(|| url_of(page + 1)),
        }
    }
}

/// `standalone`: a page from `content/pages/`.
#[derive(Serialize)]
pub(super) struct Standalone<'a> {
    pub(super) title: &'a str,
    pub(super) body_html: &'a str,
}

/// `search`: where the search page finds its index and script.
#[derive(Serialize)]
pub(super) struct SearchContext {
    pub(super) url: String,
    pub(super) root: String,
    pub(super) default_root: String,
    pub(super) script: String,
}

#[derive(Serialize, Clone)]
pub(super) struct Link {
    pub(super) lang: String,
    pub(super) label: String,
    pub(super) url: String,
    pub(super) permalink: String,
    pub(super) current: bool,
}
