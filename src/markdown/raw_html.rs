//! The URLs in raw HTML written in a document body (`<a href>`, `<img src>`, `<img srcset>`,
//! `<source srcset>`, ...), each with its place in that HTML, so that they can be resolved,
//! reported and rewritten like Markdown's links. html5ever's tokenizer (the sanitiser's
//! parser) decides what is a tag and what its attributes are; this module only finds where
//! each attribute it reported was written. It resolves nothing itself.

use std::cell::RefCell;
use std::ops::Range;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// What a URL attribute points at: a page or file a reader follows, or a file the page
/// loads (an image, a video) which must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Link,
    Embedded,
}

/// One URL found in raw HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlAttr {
    /// The URL, with character references decoded.
    pub url: String,
    pub role: Role,
    /// Where the attribute (or, in a `srcset`, the candidate URL) was written in the HTML.
    pub span: Range<usize>,
    /// The text to replace to change this URL (a quoted value's inside, an unquoted value,
    /// or one URL of a `srcset`); `None` when it cannot be changed in place (a `srcset`
    /// written with character references).
    pub value: Option<Range<usize>>,
    /// Whether `value` is an unquoted attribute value (a replacement must add quotes).
    pub unquoted: bool,
}

/// How an attribute holds URLs.
#[derive(Clone, Copy)]
enum Holds {
    One(Role),
    /// A comma-separated list of image candidates (`srcset`).
    Candidates,
}

/// The attributes whose values are URLs, by element.
fn url_attribute(tag: &str, attr: &str) -> Option<Holds> {
    Some(match (tag, attr) {
        ("a" | "area", "href") => Holds::One(Role::Link),
        ("img" | "source" | "video" | "audio" | "track" | "iframe" | "embed", "src") => {
            Holds::One(Role::Embedded)
        }
        ("video", "poster") | ("object", "data") | ("script", "src") | ("link", "href") => {
            Holds::One(Role::Embedded)
        }
        ("img" | "source", "srcset") => Holds::Candidates,
        _ => return None,
    })
}

/// The tokens that end at a known place: tags (with their attributes), comments, doctypes.
#[derive(Default)]
struct Collect {
    tags: RefCell<Vec<Option<Tag>>>,
}

impl TokenSink for Collect {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => {
                let raw = match (&tag.kind, &*tag.name) {
                    (TagKind::StartTag, "script") => Some(RawKind::ScriptData),
                    (TagKind::StartTag, "style" | "xmp" | "iframe" | "noembed" | "noframes") => {
                        Some(RawKind::Rawtext)
                    }
                    (TagKind::StartTag, "textarea" | "title") => Some(RawKind::Rcdata),
                    _ => None,
                };
                self.tags.borrow_mut().push(Some(tag));
                if let Some(kind) = raw {
                    return TokenSinkResult::RawData(kind);
                }
            }
            Token::CommentToken(_) | Token::DoctypeToken(_) => self.tags.borrow_mut().push(None),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Every URL held by a URL attribute of `html`, in document order.
pub fn url_attributes(html: &str) -> Vec<UrlAttr> {
    let mut found = Vec::new();
    walk(html, |within, tag| {
        if tag.kind == TagKind::StartTag {
            find_urls(html, within, tag, &mut found);
        }
    });
    found
}

/// A tag of an HTML text, as the tokenizer read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagAt {
    /// The element's name, lower case.
    pub name: String,
    /// A start tag (`<img ...>`) rather than an end tag (`</picture>`).
    pub start: bool,
    /// Its attributes (names lower case, values with character references decoded), as
    /// written, the first of repeated ones only.
    pub attrs: Vec<(String, String)>,
    /// Where the tag was written, from its `<` to its `>`.
    pub span: Range<usize>,
}

impl TagAt {
    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        (self.attrs.iter())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every start and end tag of `html` named one of `names`, in document order (text in
/// comments, scripts and the like is not looked into).
pub fn tags(html: &str, names: &[&str]) -> Vec<TagAt> {
    let mut found = Vec::new();
    walk(html, |within, tag| {
        if !names.contains(&&*tag.name) {
            return;
        }
        let start_tag = tag.kind == TagKind::StartTag;
        let b = html[within.clone()].as_bytes();
        let opens = |i: usize| match start_tag {
            true => b.get(i + 1).is_some_and(u8::is_ascii_alphabetic),
            false => {
                b.get(i + 1) == Some(&b'/') && b.get(i + 2).is_some_and(u8::is_ascii_alphabetic)
            }
        };
        let Some(start) = (0..b.len()).find(|&i| b[i] == b'<' && opens(i)) else {
            return;
        };
        found.push(TagAt {
            name: tag.name.to_string(),
            start: start_tag,
            attrs: (tag.attrs.iter())
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect(),
            span: within.start + start..within.end,
        });
    });
    found
}

/// Call `f` with each tag of `html` and the text it was written in: from the end of the
/// previous token to the tag's closing `>`.
fn walk(html: &str, mut f: impl FnMut(Range<usize>, &Tag)) {
    if !html.contains('<') {
        return;
    }
    let tokenizer = Tokenizer::new(Collect::default(), TokenizerOpts::default());
    let queue = BufferQueue::default();
    // Fed up to each `>` in turn: a tag, comment or doctype is emitted as soon as the `>`
    // that closes it is read, so each one is known to end where its piece ends.
    let mut prev_end = 0;
    let mut piece_start = 0;
    for (i, _) in html
        .match_indices('>')
        .map(|(i, s)| (i + 1, s))
        .chain([(html.len(), "")])
    {
        if i <= piece_start {
            continue;
        }
        queue.push_back(StrTendril::from_slice(&html[piece_start..i]));
        let _ = tokenizer.feed(&queue);
        piece_start = i;
        let tokens = std::mem::take(&mut *tokenizer.sink.tags.borrow_mut());
        for token in tokens {
            if let Some(tag) = token {
                f(prev_end..i, &tag);
            }
            prev_end = i;
        }
    }
    tokenizer.end();
}

/// The URLs of `tag`, written somewhere in `html[within]` (after the previous token).
fn find_urls(html: &str, within: Range<usize>, tag: &Tag, found: &mut Vec<UrlAttr>) {
    let wanted: Vec<_> = tag
        .attrs
        .iter()
        .filter_map(|a| Some((a, url_attribute(&tag.name, &a.name.local)?)))
        .collect();
    if wanted.is_empty() {
        return;
    }
    // The tag starts at the first `<` followed by a letter: before it there is only text.
    let text = &html[within.clone()];
    let Some(start) = text
        .as_bytes()
        .windows(2)
        .position(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
    else {
        return;
    };
    let base = within.start + start;
    let written = attributes_written(&html[base..within.end]);
    for (attr, holds) in wanted {
        // The tokenizer keeps the first of repeated attributes.
        let Some(w) = written
            .iter()
            .find(|w| html[base..][w.name.clone()].eq_ignore_ascii_case(&attr.name.local))
        else {
            continue;
        };
        let Some(value) = w.value.clone() else {
            continue;
        };
        let shift = |r: Range<usize>| (r.start + base)..(r.end + base);
        let raw = &html[shift(value.clone())];
        let attr_span = shift(w.name.start..value.end + usize::from(!w.unquoted));
        match holds {
            Holds::One(role) => found.push(UrlAttr {
                url: attr.value.trim().to_string(),
                role,
                span: attr_span,
                value: Some(shift(value)),
                unquoted: w.unquoted,
            }),
            // Candidates are found in the written text when it says what it means; with
            // character references, the decoded list is reported at the attribute.
            Holds::Candidates if raw == &*attr.value => {
                for c in candidates(raw) {
                    let at = shift((value.start + c.start)..(value.start + c.end));
                    found.push(UrlAttr {
                        url: raw[c].to_string(),
                        role: Role::Embedded,
                        span: at.clone(),
                        value: Some(at),
                        unquoted: w.unquoted,
                    });
                }
            }
            Holds::Candidates => {
                for c in candidates(&attr.value) {
                    found.push(UrlAttr {
                        url: attr.value[c].to_string(),
                        role: Role::Embedded,
                        span: attr_span.clone(),
                        value: None,
                        unquoted: false,
                    });
                }
            }
        }
    }
}

/// An attribute as written in a start tag: its name and value, relative to the tag.
struct Written {
    name: Range<usize>,
    value: Option<Range<usize>>,
    unquoted: bool,
}

/// The attributes of the start tag at the beginning of `tag`, following the HTML
/// tokenizer's attribute states (the tokenizer has already read this tag; this only
/// finds where each attribute was written).
fn attributes_written(tag: &str) -> Vec<Written> {
    let b = tag.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let mut i = 1;
    while i < b.len() && !ws(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let mut out = Vec::new();
    loop {
        while i < b.len() && (ws(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            return out;
        }
        let name_start = i;
        i += 1;
        while i < b.len() && !ws(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name = name_start..i;
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            out.push(Written {
                name,
                value: None,
                unquoted: false,
            });
            continue;
        }
        i += 1;
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
            let q = b[i];
            let start = i + 1;
            let end = b[start..]
                .iter()
                .position(|&c| c == q)
                .map_or(b.len(), |p| start + p);
            out.push(Written {
                name,
                value: Some(start..end),
                unquoted: false,
            });
            i = end + 1;
        } else {
            let start = i;
            while i < b.len() && !ws(b[i]) && b[i] != b'>' {
                i += 1;
            }
            out.push(Written {
                name,
                value: Some(start..i),
                unquoted: true,
            });
        }
    }
}

/// The URLs of a `srcset` value (image candidates separated by commas, each a URL and
/// optional descriptors such as `2x` or `480w`).
fn candidates(srcset: &str) -> Vec<Range<usize>> {
    let b = srcset.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut end = i;
        let ended_by_comma = end > start && b[end - 1] == b',';
        while end > start && b[end - 1] == b',' {
            end -= 1;
        }
        if end > start {
            out.push(start..end);
        }
        if !ended_by_comma {
            // Descriptors run to the next comma.
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
        }
    }
    out
}

/// `html` with the URL of each of `changes` replaced (in order, not overlapping; those
/// without a `value` are left as written), each new URL escaped for an attribute value.
pub fn rewrite(html: &str, changes: &[(&UrlAttr, String)]) -> String {
    let mut out = String::with_capacity(html.len() + 32);
    let mut at = 0;
    for (attr, url) in changes {
        let Some(value) = attr.value.clone() else {
            continue;
        };
        if value.start < at || value.end > html.len() {
            continue;
        }
        out.push_str(&html[at..value.start]);
        if attr.unquoted {
            out.push('"');
        }
        for c in url.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
        }
        if attr.unquoted {
            out.push('"');
        }
        at = value.end;
    }
    out.push_str(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(html: &str) -> Vec<(String, &str)> {
        url_attributes(html)
            .into_iter()
            .map(|u| (u.url, &html[u.span]))
            .collect()
    }

    #[test]
    fn finds_url_attributes_where_they_are_written() {
        let html = "<p title='a>b'>x <img alt=\"i\" src = \"fig 1.png\"></p>\n\
                    <!-- <img src=\"commented.png\"> -->\n\
                    <a HREF=doc.pdf class=x>d</a> a < b <source srcset=\"s.webp 1x, big.webp 2x,small.webp\">\
                    <img src=first.png src=second.png><script>var x = '<img src=no.png>';</script>";
        assert_eq!(
            urls(html),
            vec![
                ("fig 1.png".into(), "src = \"fig 1.png\""),
                ("doc.pdf".into(), "HREF=doc.pdf"),
                ("s.webp".into(), "s.webp"),
                ("big.webp".into(), "big.webp"),
                ("small.webp".into(), "small.webp"),
                ("first.png".into(), "src=first.png"),
            ]
        );
    }

    #[test]
    fn decodes_character_references_and_rewrites_in_place() {
        let html = "<a href=\"a&amp;b.pdf\">x</a><img src=c.png alt=y>";
        let found = url_attributes(html);
        assert_eq!(found[0].url, "a&b.pdf");
        // A srcset written with a character reference is read, but left as written.
        let odd = "<img srcset=\"a&amp;b.png 1x\">";
        let f = url_attributes(odd);
        assert_eq!(f[0].url, "a&b.png");
        assert_eq!(rewrite(odd, &[(&f[0], "/x.png".into())]), odd);
        let changes = vec![
            (&found[0], "/x/a&b.pdf".to_string()),
            (&found[1], "/x/c.png".to_string()),
        ];
        assert_eq!(
            rewrite(html, &changes),
            "<a href=\"/x/a&amp;b.pdf\">x</a><img src=\"/x/c.png\" alt=y>"
        );
    }

    #[test]
    fn lists_named_tags_where_they_are_written() {
        let html =
            "a < b <picture><IMG Alt=\"x&amp;y\" src=\"p.png\"/></picture><!-- <img> --><img>";
        let found = tags(html, &["img", "picture"]);
        let got: Vec<(&str, bool, &str)> = (found.iter())
            .map(|t| (t.name.as_str(), t.start, &html[t.span.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("picture", true, "<picture>"),
                ("img", true, "<IMG Alt=\"x&amp;y\" src=\"p.png\"/>"),
                ("picture", false, "</picture>"),
                ("img", true, "<img>"),
            ]
        );
        assert_eq!(found[1].attr("alt"), Some("x&y"));
        assert_eq!(found[1].attr("src"), Some("p.png"));
    }

    #[test]
    fn srcset_candidates() {
        let s = "a.png, b.png 2x,c.png,, d.png 100w";
        let got: Vec<&str> = candidates(s).into_iter().map(|r| &s[r]).collect();
        assert_eq!(got, ["a.png", "b.png", "c.png", "d.png"]);
    }
}
