//! Where a site links to other sites: every web URL with each place that uses it. Bodies
//! (Markdown and raw HTML) give file:line:column in their source; rendered pages give the
//! rest (links from templates and front-matter fields), at their line in the page, unless
//! the URL is found written in a content file (a front-matter field). It reads no files
//! and asks no server.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Location, Problem, Severity};
use crate::load::source::SourceFile;
use crate::markdown::{self, Resolver, raw_html};
use crate::model::Site;

/// Pages listed for a URL that only templates or front matter put there; the rest are
/// counted.
const PAGES_LISTED: usize = 5;

/// One place that uses a URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// Written in a file of the site (relative to its folder), at a byte span.
    Source {
        location: Location,
        /// Byte span in the file: start and end.
        span: (usize, usize),
    },
    /// In a rendered page (its path in the output), put there by a template or a field.
    Page {
        path: String,
        line: usize,
        column: usize,
    },
}

/// Web URLs and the places that use them, by URL as a browser sends it (so `成果` and
/// `%E6%88%90%E6%9E%9C` are one URL).
#[derive(Debug, Default)]
pub struct Uses(BTreeMap<String, Used>);

#[derive(Debug, Default)]
struct Used {
    /// The URL as written in a file (or, if in none, in a page), for reports.
    written: String,
    places: Vec<Place>,
}

/// `url` as a browser sends it: non-ASCII percent-encoded, host in punycode.
fn normal(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.to_string())
}

impl Uses {
    pub fn add(&mut self, url: String, place: Place) {
        let used = self.0.entry(normal(&url)).or_default();
        let in_file = |p: &Place| matches!(p, Place::Source { .. });
        if used.written.is_empty() || (in_file(&place) && !used.places.iter().any(in_file)) {
            used.written = url;
        }
        used.places.push(place);
    }

    pub fn extend(&mut self, found: impl IntoIterator<Item = (String, Place)>) {
        for (url, place) in found {
            self.add(url, place);
        }
    }

    /// Distinct URLs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The URLs, as a browser sends them.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `url` (one of [`Uses::urls`]) as the site writes it.
    pub fn written<'u>(&'u self, url: &'u str) -> &'u str {
        self.0.get(url).map_or(url, |u| u.written.as_str())
    }

    /// The places that use `url` (one of [`Uses::urls`]).
    pub fn places(&self, url: &str) -> &[Place] {
        self.0.get(url).map_or(&[], |u| u.places.as_slice())
    }

    /// Find where the URLs known only from pages were written in the site's files (a
    /// front-matter field, say): each place in an entry's, page's or introduction's file
    /// where the URL is written whole.
    pub fn find_in_sources(&mut self, site: &Site) {
        let wanted: HashSet<String> = self
            .0
            .iter()
            .filter(|(_, u)| !u.places.iter().any(|p| matches!(p, Place::Source { .. })))
            .map(|(_, u)| u.written.clone())
            .collect();
        if wanted.is_empty() {
            return;
        }
        let bodies = markdown::site::bodies(site);
        let found: Vec<Vec<(String, Place)>> = bodies
            .par_iter()
            .map(|(source, _, _)| written_in(source, &wanted))
            .collect();
        self.extend(found.into_iter().flatten());
    }

    /// Forget URLs of the site itself (under its `base_url`): those are its own pages,
    /// checked as internal links, and may not be published yet.
    pub fn forget_own(&mut self, base: &str) {
        let base = base.trim_end_matches('/');
        self.0.retain(|u, _| {
            !(u == base
                || u.strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with(['/', '?', '#'])))
        });
    }

    /// A diagnostic of `problem` at each place that uses `url`: every place in a file; when
    /// none, the first few pages (the last one counting the others).
    pub fn diagnostics(&self, url: &str, problem: &Problem, error: bool) -> Vec<Diagnostic> {
        let severity = if error {
            Severity::Error
        } else {
            Severity::Warning
        };
        let places = self.places(url);
        let mut sources: Vec<&Place> = places
            .iter()
            .filter(|p| matches!(p, Place::Source { .. }))
            .collect();
        let mut more = 0;
        if sources.is_empty() {
            let mut pages: Vec<&Place> = places.iter().collect();
            pages.sort();
            pages.dedup();
            more = pages.len().saturating_sub(PAGES_LISTED);
            pages.truncate(PAGES_LISTED);
            sources = pages;
        } else {
            sources.sort();
            sources.dedup();
        }
        let last = sources.len().saturating_sub(1);
        sources
            .into_iter()
            .enumerate()
            .map(|(i, place)| {
                let mut d = Diagnostic::error(if i == last && more > 0 {
                    with_more_pages(problem, more)
                } else {
                    problem.clone()
                });
                d.severity = severity;
                match place {
                    Place::Source { location, span } => {
                        d.location = Some(location.clone());
                        d.span = Some(span.0..span.1);
                    }
                    Place::Page { path, line, column } => {
                        d.location = Some(Location {
                            file: PathBuf::from("output").join(path),
                            line: *line,
                            column: *column,
                        });
                    }
                }
                d
            })
            .collect()
    }
}

fn with_more_pages(problem: &Problem, n: usize) -> Problem {
    match problem.clone() {
        Problem::ExternalBroken { url, why, .. } => Problem::ExternalBroken {
            url,
            why,
            more_pages: n,
        },
        Problem::ExternalRedirect { url, to, .. } => Problem::ExternalRedirect {
            url,
            to,
            more_pages: n,
        },
        other => other,
    }
}

/// Each place in `source` where one of `wanted` is written whole (ended by a quote,
/// space, bracket or the end of the text).
fn written_in(source: &SourceFile, wanted: &HashSet<String>) -> Vec<(String, Place)> {
    let text = &**source.text();
    let mut out = Vec::new();
    for (i, _) in text.match_indices("http") {
        let rest = &text[i..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | ']'))
            .unwrap_or(rest.len());
        let url = &rest[..end];
        if wanted.contains(url) {
            let (line, column) = source.position(i);
            let location = Location {
                file: source.path.clone(),
                line,
                column,
            };
            let span = (i, i + end);
            out.push((url.to_string(), Place::Source { location, span }));
        }
    }
    out
}

/// The web URLs of every body of `site` (entries, release introductions, pages, in every
/// language), at their place in the body's file.
pub fn from_bodies(site: &Site) -> Uses {
    let none = HashSet::new();
    let resolver = Resolver::new(site, &none, &none);
    let bodies = markdown::site::bodies(site);
    let found: Vec<Vec<(String, Place)>> = bodies
        .par_iter()
        .map(|(source, body, lang)| {
            let folder = markdown::site::folder_in_content(source);
            let r = markdown::render(
                body.text(),
                &folder,
                lang,
                &resolver,
                site.config.unsafe_html,
            );
            r.external
                .into_iter()
                .map(|(span, url)| {
                    let span = (span.start + body.offset)..(span.end + body.offset);
                    let (line, column) = source.position(span.start);
                    let location = Location {
                        file: source.path.clone(),
                        line,
                        column,
                    };
                    let span = (span.start, span.end);
                    (url, Place::Source { location, span })
                })
                .collect()
        })
        .collect();
    let mut uses = Uses::default();
    uses.extend(found.into_iter().flatten());
    uses
}

/// The web URLs linked or loaded by a rendered page (`path` in the output).
pub fn from_page(path: &str, html: &str) -> Vec<(String, Place)> {
    raw_html::url_attributes(html)
        .into_iter()
        .filter(|a| markdown::is_web_url(&a.url))
        .map(|a| {
            let before = &html[..a.span.start];
            let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
            let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
                .chars()
                .count()
                + 1;
            (
                a.url,
                Place::Page {
                    path: path.to_string(),
                    line,
                    column,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_give_their_line_and_the_rest_are_counted() {
        let mut uses = Uses::default();
        let html = "<!doctype html>\n<p>\n  <a href=\"https://a.example/x\">a</a> <a href=\"/local\">l</a>\n";
        for i in 0..7 {
            uses.extend(from_page(&format!("p{i}/index.html"), html));
        }
        assert_eq!(uses.urls().collect::<Vec<_>>(), ["https://a.example/x"]);
        let problem = Problem::ExternalBroken {
            url: "https://a.example/x".into(),
            why: "HTTP status 404 Not Found".into(),
            more_pages: 0,
        };
        let d = uses.diagnostics("https://a.example/x", &problem, true);
        assert_eq!(d.len(), PAGES_LISTED);
        let loc = d[0].location.as_ref().unwrap();
        assert_eq!(loc.file, PathBuf::from("output/p0/index.html"));
        assert_eq!((loc.line, loc.column), (3, 6));
        assert!(d[4].problem.message().ends_with("(and on 2 more pages)"));
        assert!(!d[0].problem.message().contains("more page"));
    }

    #[test]
    fn the_sites_own_urls_are_not_asked() {
        let mut uses = Uses::default();
        let page = Place::Page {
            path: "index.html".into(),
            line: 1,
            column: 1,
        };
        for u in [
            "https://example.org/results",
            "https://example.org/results/en/",
            "https://example.org/results-other/",
            "https://example.org/",
        ] {
            uses.add(u.into(), page.clone());
        }
        uses.forget_own("https://example.org/results");
        assert_eq!(
            uses.urls().collect::<Vec<_>>(),
            ["https://example.org/", "https://example.org/results-other/"]
        );
    }
}
