//! When Markdown's HTML can skip the sanitiser. Without raw HTML, pulldown-cmark writes only
//! tags and attributes the sanitiser's allow-list keeps (see `SANITIZER` in the parent
//! module), except three things checked here: link and image URLs (a `javascript:` link is
//! plain Markdown), custom heading attributes (`# Title {onclick=x}`), and the `rel` the
//! sanitiser adds to links, which [`add_link_rel`] writes instead. Parsing and re-writing the
//! HTML costs more than making it, so most documents save that work.
//!
//! It must never be less strict than the sanitiser: anything it is unsure of (an unusual
//! URL, any raw HTML) sends the whole document to ammonia. The tests compare both paths.

use pulldown_cmark::{CowStr, Event, LinkType, Tag};
use pulldown_cmark_escape::{FmtWriter, escape_href, escape_html};

/// The `rel` the sanitiser gives every link.
pub const LINK_REL: &str = "noopener noreferrer";

/// Does the HTML of `events`, parsed from `source`, need the sanitiser? A NUL character
/// anywhere does: pulldown-cmark passes it through and the sanitiser's parser drops it.
pub fn needs_sanitizer(source: &str, events: &[Event<'_>]) -> bool {
    source.contains('\0')
        || events.iter().any(|e| match e {
            Event::Html(_) | Event::InlineHtml(_) => true,
            Event::Start(Tag::Heading { attrs, .. }) => !attrs.is_empty(),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => !plainly_safe(&href_of(*link_type, dest_url)),
            Event::Start(Tag::Image { dest_url, .. }) => !plainly_safe(&href(dest_url)),
            _ => false,
        })
}

/// `url` as pulldown-cmark writes it in an attribute.
fn href(url: &str) -> String {
    let mut s = String::with_capacity(url.len());
    // Writing to a String cannot fail.
    let _ = escape_href(FmtWriter(&mut s), url);
    s
}

/// The `href` pulldown-cmark writes for a link (an e-mail autolink gains `mailto:`).
fn href_of(link_type: LinkType, url: &str) -> String {
    match link_type {
        LinkType::Email => format!("mailto:{}", href(url)),
        _ => href(url),
    }
}

/// Would the sanitiser keep this attribute value as it is? True for relative URLs (no scheme
/// before the first `/`, `?` or `#`: kept as they are) and for well-formed `http`, `https`
/// and `mailto` URLs; false for every other scheme, even allowed ones, so that they go the
/// sanitiser's way.
fn plainly_safe(href: &str) -> bool {
    match href.find([':', '/', '?', '#']) {
        Some(i) if href.as_bytes()[i] == b':' => {
            ["http://", "https://", "mailto:"]
                .iter()
                .any(|p| href.starts_with(p))
                && url::Url::parse(href).is_ok()
        }
        _ => true,
    }
}

/// Give every link the sanitiser's `rel`, as the sanitiser would: each link start becomes
/// the HTML pulldown-cmark would write for it, with `rel` added. Footnote references are
/// same-page anchors that pulldown-cmark writes itself; they go without (a `rel` does
/// nothing on a link within the page).
pub fn add_link_rel(events: &mut [Event<'_>]) {
    for e in events.iter_mut() {
        if let Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            ..
        }) = e
        {
            let mut html = format!("<a href=\"{}", href_of(*link_type, dest_url));
            if !title.is_empty() {
                html.push_str("\" title=\"");
                let _ = escape_html(FmtWriter(&mut html), title);
            }
            html.push_str("\" rel=\"");
            html.push_str(LINK_REL);
            html.push_str("\">");
            *e = Event::InlineHtml(CowStr::from(html));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{options, sanitize, write_html};
    use super::*;
    use pulldown_cmark::{Parser, html};
    use scraper::{Html, Node};

    /// The parsed DOM of an HTML fragment, written out canonically: attributes sorted, text
    /// quoted. `rel` on same-page anchors is left out (see [`add_link_rel`]).
    fn canon(fragment: &str) -> String {
        fn walk(node: ego_tree::NodeRef<'_, Node>, out: &mut String) {
            match node.value() {
                Node::Text(t) => out.push_str(&format!("{:?}", &t[..])),
                Node::Element(e) => {
                    let same_page =
                        e.name() == "a" && e.attr("href").is_some_and(|h| h.starts_with('#'));
                    // CSS ignores spaces around `:`; the sanitiser drops them.
                    let mut attrs: Vec<(&str, String)> = e
                        .attrs()
                        .filter(|(k, _)| !(same_page && *k == "rel"))
                        .map(|(k, v)| match k {
                            "style" => (k, v.replace(": ", ":")),
                            _ => (k, v.to_string()),
                        })
                        .collect();
                    attrs.sort();
                    out.push_str(&format!("<{} {attrs:?}>", e.name()));
                    for c in node.children() {
                        walk(c, out);
                    }
                    out.push_str(&format!("</{}>", e.name()));
                }
                _ => {
                    for c in node.children() {
                        walk(c, out);
                    }
                }
            }
        }
        let doc = Html::parse_fragment(fragment);
        let mut out = String::new();
        walk(doc.tree.root(), &mut out);
        out
    }

    /// Markdown's HTML the new way (sanitised only where needed) and the old way (always).
    fn both_ways(md: &str) -> (String, String, bool) {
        let events: Vec<Event<'_>> = Parser::new_ext(md, options()).collect();
        let skipped = !needs_sanitizer(md, &events);
        let mut plain = String::new();
        html::push_html(&mut plain, events.clone().into_iter());
        (write_html(md, events, false), sanitize(&plain), skipped)
    }

    /// Every construct the sample schema's bodies use, and some they might.
    const PLAIN: &[&str] = &[
        "# 标题 Title\n\nPara with *em*, **strong**, ~~del~~, `code` & < > \" ' and\u{a0}nbsp.\n",
        "## Heading {#custom-id .a .b}\n\n### Heading again\n",
        "- item\n  - nested\n    1. ordered\n\n3. starts at three\n4. next\n",
        "- [ ] open task\n- [x] done task\n",
        "| Left | Centre | Right | None |\n|:-----|:------:|------:|------|\n| a | b | c | d |\n",
        "> quote\n> > nested quote\n\n---\n\nline  \nbreak\n",
        "```rust\nfn main() { println!(\"<b>\"); }\n```\n\n    indented code\n",
        "[rel](../other/page.html) [abs](/releases/2026-q1/) [frag](#top) [q](?x=1)\n",
        "[web](https://example.org/a?b=c&d=e#f \"The \\\"title\\\"\") <https://example.org/auto>\n",
        "<tto@example.edu.cn> [mail](mailto:tto@example.edu.cn) [cdn](//cdn.example.org/x)\n",
        "![alt *text*](images/p.png \"title\") ![](x.svg) [![in link](a.png)](b.html)\n",
        "Note[^1] and again[^n].\n\n[^1]: First.\n[^n]: Second with [a link](/x).\n",
        "[spaces](my%20file.pdf) [unicode](文件/说明.pdf) [odd](a\"b'c)\n",
        "control\u{1}characters\u{b}here\u{7f}\u{85} and \u{feff}\u{fffd}\n",
        "",
    ];

    #[test]
    fn documents_without_raw_html_skip_the_sanitiser_and_mean_the_same() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let mut docs: Vec<String> = PLAIN.iter().map(|s| s.to_string()).collect();
        for f in walkdir::WalkDir::new(root).sort_by_file_name() {
            let f = f.unwrap();
            if f.path().extension().is_some_and(|e| e == "md") {
                docs.push(std::fs::read_to_string(f.path()).unwrap());
            }
        }
        assert!(docs.len() > 40, "the sample site's entries were not found");
        for md in &docs {
            let (new, old, skipped) = both_ways(md);
            assert!(skipped, "expected no sanitising for:\n{md}");
            assert_eq!(
                canon(&new),
                canon(&old),
                "for:\n{md}\nnew: {new}\nold: {old}"
            );
        }
        // Links carry the sanitiser's rel on the fast path too.
        let (new, _, _) = both_ways("[a](https://example.org)");
        let doc = Html::parse_fragment(&new);
        let a = doc
            .select(&scraper::Selector::parse("a").unwrap())
            .next()
            .unwrap();
        assert_eq!(a.attr("rel"), Some(LINK_REL));
    }

    #[test]
    fn anything_doubtful_goes_to_the_sanitiser() {
        for md in [
            "<b>raw</b> inline",
            "<div>\nraw block\n</div>\n",
            "[x](javascript:alert(1))",
            "[x](JAVASCRIPT:alert(1))",
            "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
            "# Title {onclick=alert(1)}",
            "[x](vbscript:msgbox)",
            "[x](http://[::1)",
            "text\0with a NUL",
            "[x](a\0b)",
        ] {
            let (new, old, skipped) = both_ways(md);
            assert!(!skipped, "expected sanitising for {md}");
            assert_eq!(new, old, "for {md}");
            let lower = new.to_lowercase();
            assert!(
                !lower.contains("javascript")
                    && !lower.contains("onclick")
                    && !lower.contains("data:")
                    && !lower.contains("vbscript"),
                "{md} gave {new}"
            );
        }
        // A site that opts out gets the HTML exactly as written.
        let events: Vec<Event<'_>> = Parser::new_ext("<b onclick=x>raw</b>", options()).collect();
        assert!(write_html("", events, true).contains("onclick"));
    }

    #[test]
    fn only_relative_and_well_formed_web_urls_are_plainly_safe() {
        for ok in [
            "/releases/2026-q1/",
            "#section",
            "?q=1",
            "image.png",
            "files/a:b.pdf",
            "//cdn.example.org/x.png",
            "https://example.org/a?b=c#d",
            "http://example.org",
            "mailto:tto@example.edu.cn",
            "",
        ] {
            assert!(plainly_safe(&href(ok)), "{ok}");
        }
        for no in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java%0ascript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "tel:123",
            "http://[::1",
            "https://exa mple.org",
            "HTTPS://example.org",
        ] {
            assert!(!plainly_safe(&href(no)), "{no}");
        }
    }
}
