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

/// The `<source>` elements of the modern formats of `set`.
fn sources(set: &ImageSet, sizes: &str, href: &dyn Fn(&str) -> String) -> String {
    let mut html = String::new();
    let mut done = Vec::new();
    for f in set.variants.iter().map(|v| v.format) {
        if f == set.fallback || done.contains(&f) {
            continue;
        }
        done.push(f);
        html.push_str(&format!(
            "<source type=\"{}\" srcset=\"{}\" sizes=\"{}\">",
            f.mime(),
            esc(&srcset(set, f, href)),
            esc(sizes)
        ));
    }
    html
}

/// `<picture>` with its `<source>` elements, and the attributes the `<img>` gains (after
/// its `src`).
fn parts(
    set: &ImageSet,
    sizes: &str,
    lazy: bool,
    href: &dyn Fn(&str) -> String,
) -> (String, String) {
    let big = set.largest();
    let mut attrs = format!(
        " srcset=\"{}\" sizes=\"{}\" width=\"{}\" height=\"{}\"",
        esc(&srcset(set, set.fallback, href)),
        esc(sizes),
        big.width,
        big.height
    );
    attrs.push_str(if lazy {
        " loading=\"lazy\" decoding=\"async\""
    } else {
        " fetchpriority=\"high\""
    });
    (format!("<picture>{}", sources(set, sizes, href)), attrs)
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

/// In `html` (a rendered body), turn every `<img>` whose `src` is one of `images`' URLs
/// (the widest fallback) into the `<picture>` of its set, wherever the `<img>` came from
/// (Markdown's `![alt](photo.jpg)` or raw HTML). The editor's attributes are kept (alt
/// text, class, title, `loading`, `sizes`); a `width` or `height` in pixels the editor
/// wrote is kept too, the other one follows the image's proportions, and `sizes` becomes
/// that width. An `<img>` with its own `srcset` is left as written (the editor chose), and
/// one inside an editor's own `<picture>` gains the attributes but no second `<picture>`.
/// URLs are content-hashed, so a match is the image and nothing else.
pub fn rewrite_imgs(
    html: &str,
    images: &[(String, &ImageSet)],
    sizes: &str,
    href: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::with_capacity(html.len() + images.len() * 600);
    let mut at = 0;
    let mut pictures = 0usize;
    for tag in crate::markdown::raw_html::tags(html, &["img", "picture"]) {
        if tag.name == "picture" {
            pictures = match tag.start {
                true => pictures + 1,
                false => pictures.saturating_sub(1),
            };
            continue;
        }
        let Some(src) = tag.attr("src").map(str::trim) else {
            continue;
        };
        let Some((_, set)) = images.iter().find(|(url, _)| url == src) else {
            continue;
        };
        if !tag.start || tag.attr("srcset").is_some() || tag.span.start < at {
            continue;
        }
        out.push_str(&html[at..tag.span.start]);
        out.push_str(&img_of(set, &tag, sizes, pictures == 0, href));
        at = tag.span.end;
    }
    out.push_str(&html[at..]);
    out
}

/// The `<img>` (in a new `<picture>` if `wrap`) of `set` for the editor's `tag`.
fn img_of(
    set: &ImageSet,
    tag: &crate::markdown::raw_html::TagAt,
    sizes: &str,
    wrap: bool,
    href: &dyn Fn(&str) -> String,
) -> String {
    let big = set.largest();
    let px = |name: &str| {
        (tag.attr(name))
            .and_then(|v| {
                v.trim()
                    .strip_suffix("px")
                    .unwrap_or(v.trim())
                    .parse::<u32>()
                    .ok()
            })
            .filter(|&v| v > 0)
    };
    let scale = |a: u32, b: u32, c: u32| {
        ((u64::from(a) * u64::from(b) + u64::from(c) / 2) / u64::from(c.max(1))).max(1) as u32
    };
    let (width, height) = match (px("width"), px("height")) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, scale(w, big.height, big.width)),
        (None, Some(h)) => (scale(h, big.width, big.height), h),
        (None, None) => (big.width, big.height),
    };
    let sizes = match tag.attr("sizes") {
        Some(s) => s.to_string(),
        None if px("width").is_some() || px("height").is_some() => format!("{width}px"),
        None => sizes.to_string(),
    };
    let mut html = String::new();
    if wrap {
        html.push_str("<picture>");
        html.push_str(&sources(set, &sizes, href));
    }
    html.push_str(&format!("<img src=\"{}\"", esc(&href(&big.out))));
    for (name, value) in &tag.attrs {
        let plain = (name.bytes()).all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
        if plain
            && !matches!(
                name.as_str(),
                "src" | "width" | "height" | "sizes" | "srcset"
            )
        {
            html.push_str(&format!(" {name}=\"{}\"", esc(value)));
        }
    }
    html.push_str(&format!(
        " srcset=\"{}\" sizes=\"{}\" width=\"{width}\" height=\"{height}\"",
        esc(&srcset(set, set.fallback, href)),
        esc(&sizes),
    ));
    if tag.attr("loading").is_none() {
        html.push_str(" loading=\"lazy\"");
    }
    if tag.attr("decoding").is_none() {
        html.push_str(" decoding=\"async\"");
    }
    html.push('>');
    if wrap {
        html.push_str("</picture>");
    }
    html
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
            sum: super::super::Sum { size: 0, hash: 0 },
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
        assert_eq!(
            out,
            "<p><picture><source type=\"image/webp\" srcset=\"/s/a/p.480w.x.webp 480w, /s/a/p.1000w.x.webp 1000w\" sizes=\"100vw\">\
             <img src=\"/s/a/p.1000w.x.jpg\" alt=\"x &gt; y\" srcset=\"/s/a/p.480w.x.jpg 480w, /s/a/p.1000w.x.jpg 1000w\" sizes=\"100vw\" width=\"1000\" height=\"500\" loading=\"lazy\" decoding=\"async\"></picture> \
             and <img src=\"/other.png\" alt=\"\"></p>"
        );
    }

    #[test]
    fn raw_html_images_keep_what_the_editor_wrote() {
        let href = |p: &str| format!("/s/{p}");
        let s = set();
        let images = [("/s/a/p.1000w.x.jpg".to_string(), &s)];
        let rw = |body: &str| rewrite_imgs(body, &images, "100vw", &href);
        // Any attribute order; alt, class and loading kept; a width in pixels kept, the
        // height follows and `sizes` is that width.
        let out = rw(
            "<div class=\"f\"><img class=\"wide\" alt='plant &amp; pond' loading=\"eager\" width=\"300\" src=\"/s/a/p.1000w.x.jpg\"></div>",
        );
        assert_eq!(
            out,
            "<div class=\"f\"><picture><source type=\"image/webp\" srcset=\"/s/a/p.480w.x.webp 480w, /s/a/p.1000w.x.webp 1000w\" sizes=\"300px\">\
             <img src=\"/s/a/p.1000w.x.jpg\" class=\"wide\" alt=\"plant &amp; pond\" loading=\"eager\" srcset=\"/s/a/p.480w.x.jpg 480w, /s/a/p.1000w.x.jpg 1000w\" sizes=\"300px\" width=\"300\" height=\"150\" decoding=\"async\"></picture></div>"
        );
        // Inside the editor's own <picture>: no second <picture>.
        let out = rw("<picture><img src=\"/s/a/p.1000w.x.jpg\" alt=\"a\"></picture>");
        assert_eq!(out.matches("<picture>").count(), 1, "{out}");
        assert!(
            out.contains("alt=\"a\" srcset=\"/s/a/p.480w.x.jpg 480w"),
            "{out}"
        );
        // The editor's own srcset, an image in a comment and other images stay as written.
        for kept in [
            "<img src=\"/s/a/p.1000w.x.jpg\" srcset=\"/s/a/p.1000w.x.jpg 2x\">",
            "<!-- <img src=\"/s/a/p.1000w.x.jpg\"> -->",
            "<img src=\"/s/other.jpg\">",
        ] {
            assert_eq!(rw(kept), kept);
        }
    }
}
