//! Markdown to HTML: pulldown-cmark with tables, footnotes, strikethrough and task lists;
//! heading ids (pinyin for Chinese headings); `@/` internal links and relative file paths
//! resolved through a `Resolver` (problems are returned with their spans); raw HTML
//! sanitised with ammonia unless the site opts out (a document without raw HTML or unusual
//! URLs needs no sanitising: see `safe`). It never reads files.

pub mod raw_html;
pub mod resolve;
pub mod safe;
pub mod site;
pub mod store;

use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use crate::diagnostics::Problem;
use crate::model::ids::{Lang, Slug};
pub use resolve::Resolver;

/// The HTML of a document and the problems found in its links, with body-relative spans.
#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub problems: Vec<(Range<usize>, Problem)>,
    /// The web (`http:`, `https:`) URLs of links and images, Markdown's and raw HTML's, at
    /// their body-relative spans (for `gazette check --external`).
    pub external: Vec<(Range<usize>, String)>,
    /// The raster files (paths relative to `content/`) the document's links and images
    /// name, in order of first use: its HTML depends on their thumbnails.
    pub images: Vec<String>,
}

/// How deep lists, list items and block quotes may nest before they are flattened.
pub const MAX_NESTING: usize = 100;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(["input", "section", "figure", "figcaption"])
        .add_generic_attributes(["id", "class"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("td", ["style"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("ol", ["start"])
        .add_tag_attributes("img", ["loading"])
        .link_rel(Some("noopener noreferrer"))
        .filter_style_properties(std::collections::HashSet::from(["text-align"]));
    b
});

/// Sanitise HTML that came from editors (used for Markdown output and nothing else).
pub fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Does a URL name a file next to the document (as opposed to a page, anchor or other site)?
fn is_relative_file(url: &str) -> bool {
    !url.is_empty()
        && !url.starts_with('#')
        && !url.starts_with('/')
        && !url.starts_with("@/")
        && !url.contains("://")
        && !url.contains(':')
}

/// What a URL written in a document becomes: `@/` links resolved to their page, relative
/// file paths (always for images, for links when they name a file) to the file's URL.
/// `None` keeps the URL as written; a problem says why it could not be resolved.
fn resolve_url(
    url: &str,
    image: bool,
    from_dir: &str,
    lang: &Lang,
    resolver: &Resolver,
) -> (Option<String>, Option<Problem>) {
    if let Some(target) = url.strip_prefix("@/") {
        return match resolver.link(target, lang) {
            Ok(href) => (Some(href), None),
            Err(reason) => (
                Some("#".into()),
                Some(Problem::BrokenLink {
                    target: url.to_string(),
                    reason,
                }),
            ),
        };
    }
    let has_ext = url
        .split(['?', '#'])
        .next()
        .and_then(|p| p.rsplit('/').next())
        .is_some_and(|name| name.contains('.') && !name.ends_with(".html"));
    if is_relative_file(url) && (image || has_ext) {
        let path = url.split(['?', '#']).next().unwrap_or("");
        let path = percent_decode(path);
        return match resolver.asset(from_dir, &path) {
            Ok(href) => (Some(href), None),
            Err(p) => (None, Some(p)),
        };
    }
    (None, None)
}

/// Resolve the URLs in the raw HTML of `events` (parsed from `source`) as Markdown's own
/// links are: each block of raw HTML becomes one event with its URLs rewritten, and the
/// problems (and the web URLs) are returned at the place of their attribute in `source`.
#[allow(clippy::type_complexity)]
fn fix_raw_html<'s>(
    source: &'s str,
    events: Vec<(Event<'s>, Range<usize>)>,
    resolve: &dyn Fn(&str, bool) -> (Option<String>, Option<Problem>),
) -> (
    Vec<(Event<'s>, Range<usize>)>,
    Vec<(Range<usize>, Problem)>,
    Vec<(Range<usize>, String)>,
) {
    let mut out = Vec::with_capacity(events.len());
    let mut problems = Vec::new();
    let mut external = Vec::new();
    // A run of raw HTML: its text and, per piece, (offset in text, offset in source,
    // whether the piece is the source's text as written).
    let mut html = String::new();
    let mut pieces: Vec<(usize, usize, bool)> = Vec::new();
    let mut run: Option<Range<usize>> = None;
    let mut flush = |html: &mut String,
                     pieces: &mut Vec<(usize, usize, bool)>,
                     run: Range<usize>,
                     out: &mut Vec<(Event<'s>, Range<usize>)>,
                     inline: bool| {
        let at = |o: usize| -> usize {
            let i = pieces.partition_point(|p| p.0 <= o).saturating_sub(1);
            match pieces.get(i) {
                Some(&(text, src, true)) => src + (o - text),
                Some(&(_, src, false)) => src,
                None => run.start,
            }
        };
        let found = raw_html::url_attributes(html);
        let mut changes = Vec::new();
        for attr in &found {
            if is_web_url(&attr.url) {
                external.push((at(attr.span.start)..at(attr.span.end), attr.url.clone()));
            }
            let (fixed, problem) = resolve(&attr.url, attr.role == raw_html::Role::Embedded);
            if let Some(p) = problem {
                problems.push((at(attr.span.start)..at(attr.span.end), p));
            }
            if let Some(f) = fixed.filter(|f| *f != attr.url) {
                changes.push((attr, f));
            }
        }
        let text = if changes.is_empty() {
            std::mem::take(html)
        } else {
            raw_html::rewrite(html, &changes)
        };
        html.clear();
        pieces.clear();
        let text = CowStr::from(text);
        out.push((
            if inline {
                Event::InlineHtml(text)
            } else {
                Event::Html(text)
            },
            run,
        ));
    };
    for (event, range) in events {
        match event {
            Event::Html(t) => {
                let written = source.get(range.clone());
                let (src, exact) = match written.and_then(|w| w.find(&*t)) {
                    Some(i) => (range.start + i, true),
                    None => (range.start, false),
                };
                pieces.push((html.len(), src, exact));
                html.push_str(&t);
                run = Some(match run {
                    Some(r) => r.start..range.end,
                    None => range,
                });
            }
            Event::InlineHtml(t) => {
                if let Some(r) = run.take() {
                    flush(&mut html, &mut pieces, r, &mut out, false);
                }
                let exact = source.get(range.clone()).and_then(|w| w.find(&*t));
                pieces.push((0, range.start + exact.unwrap_or(0), exact.is_some()));
                html.push_str(&t);
                flush(&mut html, &mut pieces, range, &mut out, true);
            }
            other => {
                if let Some(r) = run.take() {
                    flush(&mut html, &mut pieces, r, &mut out, false);
                }
                out.push((other, range));
            }
        }
    }
    if let Some(r) = run.take() {
        flush(&mut html, &mut pieces, r, &mut out, false);
    }
    (out, problems, external)
}

/// Is `url` an `http:` or `https:` URL (any case)?
pub fn is_web_url(url: &str) -> bool {
    let lower = |n: usize| url.get(..n).map(|p| p.to_ascii_lowercase());
    lower(7).as_deref() == Some("http://") || lower(8).as_deref() == Some("https://")
}

fn heading_text(events: &[(Event<'_>, Range<usize>)]) -> String {
    let mut s = String::new();
    for (e, _) in events {
        if let Event::Text(t) | Event::Code(t) = e {
            s.push_str(t);
        }
    }
    s
}

/// Render `text` (a document body) for language `lang`. `from_dir` is the document's folder
/// relative to `content/`, for resolving relative paths.
pub fn render(
    text: &str,
    from_dir: &str,
    lang: &Lang,
    resolver: &Resolver,
    unsafe_html: bool,
) -> Rendered {
    let mut problems = Vec::new();
    // Processed images met so far (their `<img>` becomes a `<picture>` once written).
    let pictures: RefCell<Vec<(String, std::sync::Arc<crate::images::ImageSet>)>> =
        RefCell::default();
    // A relative image path that resolved to `fixed` and names a processed image.
    let note_picture = |url: &str, fixed: &Option<String>| {
        if is_relative_file(url)
            && let Some(href) = fixed
        {
            let path = percent_decode(url.split(['?', '#']).next().unwrap_or(""));
            if let Some(set) = resolver.image_set(from_dir, &path) {
                pictures.borrow_mut().push((href.clone(), set));
            }
        }
    };
    // Raster files named by a relative path (an image, or a link to the widest thumbnail).
    let images: RefCell<Vec<String>> = RefCell::default();
    let note_file = |url: &str| {
        if is_relative_file(url)
            && let Some(rel) = crate::model::urls::resolve_content_path(
                from_dir,
                &percent_decode(url.split(['?', '#']).next().unwrap_or("")),
            )
            && crate::images::is_raster(&rel)
            && !images.borrow().contains(&rel)
        {
            images.borrow_mut().push(rel);
        }
    };
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut next_suffix: std::collections::HashMap<String, usize> = Default::default();
    let mut out: Vec<Event<'_>> = Vec::new();
    let mut heading: Option<Vec<(Event<'_>, Range<usize>)>> = None;
    let mut external = Vec::new();
    let parsed = Parser::new_ext(text, options()).into_offset_iter();
    // Raw HTML needs a '<'; documents without one skip looking for it.
    let events: Box<dyn Iterator<Item = (Event<'_>, Range<usize>)>> = if text.contains('<') {
        let (events, raw_problems, raw_external) =
            fix_raw_html(text, parsed.collect(), &|url: &str, image: bool| {
                let (fixed, problem) = resolve_url(url, image, from_dir, lang, resolver);
                if image {
                    note_picture(url, &fixed);
                }
                note_file(url);
                (fixed, problem)
            });
        problems.extend(raw_problems);
        external.extend(raw_external);
        Box::new(events.into_iter())
    } else {
        Box::new(parsed)
    };
    let mut fix_url = |url: CowStr<'_>, range: &Range<usize>, image: bool| -> CowStr<'static> {
        if is_web_url(&url) {
            external.push((range.clone(), url.to_string()));
        }
        let (fixed, problem) = resolve_url(&url, image, from_dir, lang, resolver);
        if let Some(p) = problem {
            problems.push((range.clone(), p));
        }
        if image {
            note_picture(&url, &fixed);
        }
        note_file(&url);
        match fixed {
            Some(f) => f.into(),
            None => url.to_string().into(),
        }
    };
    // Images being read: (target, alt text so far, span); alt text is the image's inner text.
    let mut image: Option<(String, String, Range<usize>)> = None;
    let mut alt_problems = Vec::new();
    // Lists and quotes nested deeper than MAX_NESTING are flattened: nobody reads 10,000
    // levels, and HTML tree building (the sanitiser) is quadratic in nesting depth.
    let mut containers: Vec<bool> = Vec::new();
    let mut depth = 0usize;
    for (event, range) in events {
        let event = match event {
            Event::Start(t @ (Tag::List(_) | Tag::Item | Tag::BlockQuote(_))) => {
                let keep = depth < MAX_NESTING;
                containers.push(keep);
                if keep {
                    depth += 1;
                    Event::Start(t)
                } else {
                    continue;
                }
            }
            Event::End(t @ (TagEnd::List(_) | TagEnd::Item | TagEnd::BlockQuote(_))) => {
                if containers.pop().unwrap_or(true) {
                    depth = depth.saturating_sub(1);
                    Event::End(t)
                } else {
                    continue;
                }
            }
            other => other,
        };
        match (&mut image, &event) {
            (None, Event::Start(Tag::Image { dest_url, .. })) => {
                image = Some((dest_url.to_string(), String::new(), range.clone()));
            }
            (Some((_, alt, _)), Event::Text(t) | Event::Code(t)) => alt.push_str(t),
            (Some(_), Event::End(TagEnd::Image)) => {
                if let Some((target, alt, span)) = image.take()
                    && alt.trim().is_empty()
                {
                    alt_problems.push((span, Problem::MissingAlt { target }));
                }
            }
            _ => {}
        }
        let event = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: fix_url(dest_url, &range, false),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: fix_url(dest_url, &range, true),
                title,
                id,
            }),
            other => other,
        };
        match (&mut heading, event) {
            (None, e @ Event::Start(Tag::Heading { .. })) => heading = Some(vec![(e, range)]),
            (Some(buf), e @ Event::End(TagEnd::Heading(_))) => {
                buf.push((e, range));
                let mut events = std::mem::take(buf);
                heading = None;
                let text_of = heading_text(&events[1..]);
                if let (
                    Event::Start(Tag::Heading {
                        level,
                        id,
                        classes,
                        attrs,
                    }),
                    _,
                ) = events.remove(0)
                {
                    let base = id
                        .map(|i| i.to_string())
                        .or_else(|| Slug::from_text(&text_of).map(|s| s.to_string()))
                        .unwrap_or_else(|| "section".to_string());
                    let mut unique = base.clone();
                    // Resume at the last suffix tried for this base: n identical headings
                    // would otherwise cost n² attempts.
                    let mut n = next_suffix.get(&base).copied().unwrap_or(1);
                    while !used_ids.insert(unique.clone()) {
                        unique = format!("{base}-{n}");
                        n += 1;
                    }
                    next_suffix.insert(base, n);
                    out.push(Event::Start(Tag::Heading {
                        level,
                        id: Some(unique.into()),
                        classes,
                        attrs,
                    }));
                    out.extend(events.into_iter().map(|(e, _)| e));
                }
            }
            (Some(buf), e) => buf.push((e, range)),
            (None, e) => out.push(e),
        }
    }
    problems.extend(alt_problems);
    let mut html = write_html(text, out, unsafe_html);
    let pictures = pictures.into_inner();
    if !pictures.is_empty() {
        let sets: Vec<(String, &crate::images::ImageSet)> =
            pictures.iter().map(|(u, s)| (u.clone(), &**s)).collect();
        html = crate::images::markup::rewrite_imgs(&html, &sets, resolver.image_sizes(), &|out| {
            resolver.image_href(out)
        });
    }
    Rendered {
        html,
        problems,
        external,
        images: images.into_inner(),
    }
}

/// The HTML of `events` (parsed from `source`), sanitised unless `unsafe_html` or unless
/// nothing in them needs it (see [`safe`]).
fn write_html(source: &str, mut events: Vec<Event<'_>>, unsafe_html: bool) -> String {
    let sanitize_after = !unsafe_html && safe::needs_sanitizer(source, &events);
    if !unsafe_html && !sanitize_after {
        safe::add_link_rel(&mut events);
    }
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    if sanitize_after {
        out = sanitize(&out);
    }
    out
}

/// Decode `%XX` escapes in a relative path (editors may write `my%20file.pdf`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}
