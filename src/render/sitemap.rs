//! `sitemap.xml` (sitemaps.org 0.9), the sitemap index a large site gets instead, and
//! `robots.txt`. Each URL carries `lastmod` from the dates in the content (an entry's date, a
//! release's newest date; nothing for standalone pages, which have none) and, when the page
//! exists in several languages, `xhtml:link rel="alternate" hreflang` links to every version
//! including itself; only exact counterparts are linked, so alternates are reciprocal. It
//! writes the pages the plan listed; it does not choose them.

use std::collections::HashMap;
use std::fmt::Write;

use jiff::civil::Date;

use crate::model::Site;
use crate::model::ids::Lang;
use crate::plan::{PageKind, Plan};
use crate::render::head::{Match, page_in};
use crate::render::xml::xml_escape;

const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// The newest date among public entries of `entries`.
fn newest_entry(site: &Site, entries: &[usize]) -> Option<Date> {
    entries
        .iter()
        .map(|&i| &site.entries[i])
        .filter(|e| e.hold.is_none())
        .map(|e| e.date)
        .max()
}

/// The newest date of each term met so far, by taxonomy, term and language: a term has a page
/// per `paginate_by` entries, and finding its date once per page made a sitemap quadratic in
/// the size of the largest terms (6 s of a 100,000-entry build).
type TermDates<'s> = HashMap<(usize, usize, &'s Lang), Option<Date>>;

/// The date a page last changed, as far as the content tells; `site_date` is the newest date
/// of the whole site (home, archive and taxonomy indexes change with it).
fn lastmod<'s>(
    site: &Site,
    kind: &PageKind,
    lang: &'s Lang,
    site_date: Option<Date>,
    term_dates: &mut TermDates<'s>,
) -> Option<Date> {
    match kind {
        PageKind::Entry(i) => Some(site.entries[*i].date),
        PageKind::Release(i) | PageKind::ReleaseStats(i) => {
            let r = &site.releases[*i];
            newest_entry(site, &r.entries).max(Some(r.date))
        }
        PageKind::Term { taxonomy, term, .. } => *term_dates
            .entry((*taxonomy, *term, lang))
            .or_insert_with(|| {
                site.taxonomies[*taxonomy]
                    .terms
                    .get(lang)
                    .and_then(|t| t.get(*term))
                    .and_then(|t| newest_entry(site, &t.entries))
            }),
        PageKind::Home | PageKind::ReleaseIndex | PageKind::TaxonomyIndex(_) | PageKind::Stats => {
            site_date
        }
        PageKind::Item { collection, item } => site.collections[*collection].items[*item].date,
        PageKind::Collection { collection, .. }
        | PageKind::CollectionTaxonomy { collection, .. }
        | PageKind::CollectionStats(collection) => site.collections[*collection]
            .items
            .iter()
            .filter_map(|i| i.date)
            .max(),
        PageKind::CollectionTerm {
            collection,
            taxonomy,
            term,
            ..
        } => {
            let c = &site.collections[*collection];
            let t = c.taxonomies[*taxonomy].terms.get(lang)?.get(*term)?;
            t.entries.iter().filter_map(|&i| c.items[i].date).max()
        }
        PageKind::Page(_) | PageKind::NotFound | PageKind::Search => None,
    }
}

/// A `<urlset>` of the planned pages at `pages` (indexes into `plan.pages`).
pub fn sitemap(site: &Site, plan: &Plan, pages: &[usize]) -> Vec<u8> {
    let u = &site.urls;
    let all: Vec<usize> = (0..site.entries.len()).collect();
    let site_date = newest_entry(site, &all).max(site.releases.iter().map(|r| r.date).max());
    let mut out = String::with_capacity(pages.len() * 200 + 200);
    out.push_str(HEADER);
    out.push_str(
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    let mut term_dates = TermDates::new();
    for &i in pages {
        let p = &plan.pages[i];
        let _ = write!(
            out,
            "<url><loc>{}</loc>",
            xml_escape(&u.permalink(&p.site_path))
        );
        if let Some(d) = lastmod(site, &p.kind, &p.lang, site_date, &mut term_dates) {
            let _ = write!(out, "<lastmod>{d}</lastmod>");
        }
        let versions: Vec<(String, String)> = site
            .config
            .languages
            .iter()
            .filter_map(|l| {
                let path = page_in(site, &p.kind, &p.lang, l, Match::Exact)?;
                Some((l.to_string(), u.permalink(&path)))
            })
            .collect();
        if versions.len() > 1 {
            for (l, href) in &versions {
                let _ = write!(
                    out,
                    "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                    xml_escape(l),
                    xml_escape(href)
                );
            }
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

/// A `<sitemapindex>` of the sitemaps at the site paths `parts`.
pub fn index(site: &Site, parts: &[String]) -> Vec<u8> {
    let mut out = String::from(HEADER);
    out.push_str("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for p in parts {
        let _ = writeln!(
            out,
            "<sitemap><loc>{}</loc></sitemap>",
            xml_escape(&site.urls.permalink(p))
        );
    }
    out.push_str("</sitemapindex>\n");
    out.into_bytes()
}

/// `robots.txt` allowing everything and naming the sitemap at the site path `sitemap`.
/// Crawlers read it only at the root of a host: under a `base_url` path it is there for the
/// host's owner to merge into theirs.
pub fn robots(site: &Site, sitemap: &str) -> Vec<u8> {
    format!(
        "User-agent: *\nDisallow:\n\nSitemap: {}\n",
        site.urls.permalink(sitemap)
    )
    .into_bytes()
}
