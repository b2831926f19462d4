//! Markdown to HTML: pulldown-cmark with tables, footnotes, strikethrough and task lists;
//! heading ids (pinyin for Chinese headings); `@/` internal links and relative file paths
//! resolved through a `Resolver` (problems are returned with their spans); raw HTML
//! sanitised with ammonia unless the site opts out (a document without raw HTML or unusual
//! URLs needs no sanitising: see `safe`). It never reads files.

pub mod resolve;
pub mod safe;
pub mod site;

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
    let mut pictures: Vec<(String, std::sync::Arc<crate::images::ImageSet>)> = Vec::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut next_suffix: std::collections::HashMap<String, usize> = Default::default();
    let mut out: Vec<Event<'_>> = Vec::new();
    let mut heading: Option<Vec<(Event<'_>, Range<usize>)>> = None;
    let mut fix_url = |url: CowStr<'_>, range: &Range<usize>, image: bool| -> CowStr<'static> {
        if let Some(target) = url.strip_prefix("@/") {
            match resolver.link(target, lang) {
                Ok(href) => return href.into(),
                Err(reason) => {
                    problems.push((
                        range.clone(),
                        Problem::BrokenLink {
                            target: url.to_string(),
                            reason,
                        },
                    ));
                    return "#".into();
                }
            }
        }
        let has_ext = url
            .split(['?', '#'])
            .next()
            .and_then(|p| p.rsplit('/').next())
            .is_some_and(|name| name.contains('.') && !name.ends_with(".html"));
        if is_relative_file(&url) && (image || has_ext) {
            let path = url.split(['?', '#']).next().unwrap_or("");
            let path = percent_decode(path);
            match resolver.asset(from_dir, &path) {
                Ok(href) => {
                    if image && let Some(set) = resolver.image_set(from_dir, &path) {
                        pictures.push((href.clone(), set));
                    }
                    return href.into();
                }
                Err(p) => {
                    problems.push((range.clone(), p));
                    return url.to_string().into();
                }
            }
        }
        url.to_string().into()
    };
    // Images being read: (target, alt text so far, span); alt text is the image's inner text.
    let mut image: Option<(String, String, Range<usize>)> = None;
    let mut alt_problems = Vec::new();
    // Lists and quotes nested deeper than MAX_NESTING are flattened: nobody reads 10,000
    // levels, and HTML tree building (the sanitiser) is quadratic in nesting depth.
    let mut containers: Vec<bool> = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
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
    if !pictures.is_empty() {
        let sets: Vec<(String, &crate::images::ImageSet)> =
            pictures.iter().map(|(u, s)| (u.clone(), &**s)).collect();
        html = crate::images::markup::rewrite_imgs(&html, &sets, resolver.image_sizes(), &|out| {
            resolver.image_href(out)
        });
    }
    Rendered { html, problems }
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
