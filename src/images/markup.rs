//! The HTML of a processed image: `<picture>` with a `<source>` per modern format and an
//! `<img>` with the fallback's `srcset`, `sizes`, `width` and `height` (so the page does not
//! shift as it loads), `loading="lazy"` unless the image is the first thing a reader sees,
//! and the editor's alt text. Also the rewrite that turns the `<img>` Markdown writes for a
//! processed image into that markup. It must not process images.

use pulldown_cmark_escape::{FmtWriter, escape_html};

use super::ImageSet;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Writing to a String cannot fail.
    let _ = escape_html(FmtWriter(&mut out), s);
    out
}

/// `srcset` of the variants of `set` in `format`, with `href` making each URL.
pub fn srcset(set: &ImageSet, format: super::Format, href: &dyn Fn(&str) -> String) -> String {
    set.of(format)
        .map(|v| format!("{} {}w", href(&v.out), v.width))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `<source>` elements and the attributes the `<img>` gains (after its `src`).
fn parts(
    set: &ImageSet,
    sizes: &str,
    lazy: bool,
    href: &dyn Fn(&str) -> String,
) -> (String, String) {
    let sizes = esc(sizes);
    let mut sources = String::from("<picture>");
    for f in set.variants.iter().map(|v| v.format) {
        if f == set.fallback || sources.contains(f.mime()) {
            continue;
        }
        sources.push_str(&format!(
            "<source type=\"{}\" srcset=\"{}\" sizes=\"{sizes}\">",
            f.mime(),
            esc(&srcset(set, f, href))
        ));
    }
    let big = set.largest();
    let mut attrs = format!(
        " srcset=\"{}\" sizes=\"{sizes}\" width=\"{}\" height=\"{}\"",
        esc(&srcset(set, set.fallback, href)),
        big.width,
        big.height
    );
    attrs.push_str(if lazy {
        " loading=\"lazy\" decoding=\"async\""
    } else {
        " fetchpriority=\"high\""
    });
    (sources, attrs)
}

/// The whole `<picture>` of `set` with alt text `alt` (and a `class` on the `<img>`).
pub fn picture(
    set: &ImageSet,
    alt: &str,
    sizes: &str,
    lazy: bool,
    class: Option<&str>,
    href: &dyn Fn(&str) -> String,
) -> String {
    let (mut html, attrs) = parts(set, sizes, lazy, href);
    html.push_str(&format!(
        "<img src=\"{}\" alt=\"{}\"{attrs}",
        esc(&href(&set.largest().out)),
        esc(alt)
    ));
    if let Some(c) = class {
        html.push_str(&format!(" class=\"{}\"", esc(c)));
    }
    html.push_str("></picture>");
    html
}

/// In `html` (a rendered body), turn every `<img src="URL"` with `URL` one of `images`'
/// fallback URLs into the `<picture>` of its set. URLs are content-hashed and escaped the
/// same way here and in the body, so a match is the image and nothing else.
pub fn rewrite_imgs(
    html: &str,
    images: &[(String, &ImageSet)],
    sizes: &str,
    href: &dyn Fn(&str) -> String,
) -> String {
    let mut out = html.to_string();
    for (url, set) in images {
        let needle = format!("<img src=\"{}\"", esc(url));
        let mut from = 0;
        while let Some(i) = out[from..].find(&needle).map(|i| i + from) {
            let after = i + needle.len();
            let Some(end) = tag_end(&out, after) else {
                break;
            };
            let (sources, attrs) = parts(set, sizes, true, href);
            let closing = if out[..end].ends_with('/') {
                end - 1
            } else {
                end
            };
            let mut piece = String::with_capacity(end - i + sources.len() + attrs.len() + 20);
            piece.push_str(&sources);
            piece.push_str(out[i..closing].trim_end());
            piece.push_str(attrs.trim_end());
            piece.push_str("></picture>");
            out.replace_range(i..=end, &piece);
            from = i + piece.len();
        }
    }
    out
}

/// The index of the `>` that closes the tag whose attributes start at `from` (attribute
/// values are double-quoted and may hold `>`).
fn tag_end(s: &str, from: usize) -> Option<usize> {
    let mut quoted = false;
    for (i, b) in s.bytes().enumerate().skip(from) {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{Format, Variant};
    use super::*;

    fn set() -> ImageSet {
        let v = |format, width, height, out: &str| Variant {
            format,
            width,
            height,
            out: out.into(),
            file: Default::default(),
        };
        ImageSet {
            rel: "a/p.jpg".into(),
            hash: String::new(),
            width: 1000,
            height: 500,
            fallback: Format::Jpeg,
            variants: vec![
                v(Format::Webp, 480, 240, "a/p.480w.x.webp"),
                v(Format::Webp, 1000, 500, "a/p.1000w.x.webp"),
                v(Format::Jpeg, 480, 240, "a/p.480w.x.jpg"),
                v(Format::Jpeg, 1000, 500, "a/p.1000w.x.jpg"),
            ],
        }
    }

    #[test]
    fn picture_markup() {
        let href = |p: &str| format!("/s/{p}");
        let h = picture(&set(), "a \"b\"", "100vw", false, Some("c"), &href);
        assert_eq!(
            h,
            "<picture><source type=\"image/webp\" srcset=\"/s/a/p.480w.x.webp 480w, /s/a/p.1000w.x.webp 1000w\" sizes=\"100vw\"><img src=\"/s/a/p.1000w.x.jpg\" alt=\"a &quot;b&quot;\" srcset=\"/s/a/p.480w.x.jpg 480w, /s/a/p.1000w.x.jpg 1000w\" sizes=\"100vw\" width=\"1000\" height=\"500\" fetchpriority=\"high\" class=\"c\"></picture>"
        );
    }

    #[test]
    fn rewrites_bodies() {
        let href = |p: &str| format!("/s/{p}");
        let s = set();
        let body = "<p><img src=\"/s/a/p.1000w.x.jpg\" alt=\"x > y\" /> and <img src=\"/other.png\" alt=\"\"></p>";
        let out = rewrite_imgs(body, &[("/s/a/p.1000w.x.jpg".into(), &s)], "100vw", &href);
        assert!(
            out.starts_with("<p><picture><source type=\"image/webp\""),
            "{out}"
        );
        assert!(
            out.contains("alt=\"x > y\" srcset=\"/s/a/p.480w.x.jpg 480w"),
            "{out}"
        );
        assert!(
            out.contains(
                "loading=\"lazy\" decoding=\"async\"></picture> and <img src=\"/other.png\""
            ),
            "{out}"
        );
    }
}
