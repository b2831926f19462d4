//! Is an SVG safe to publish? An SVG opened at its own URL runs in the site's origin, so
//! one with a script, an event-handler attribute, a `foreignObject`, a DTD or any
//! reference outside itself (`href`, `url(...)`, `@import`, a stylesheet instruction) is
//! refused, with the byte span of the first offending node. Drawings made of shapes, text,
//! gradients and in-file references (`#id`, `url(#id)`) and embedded raster images
//! (`data:image/png;base64,...`) pass. It parses with roxmltree and must not rewrite the
//! file: what passes is copied as it is.

use std::ops::Range;

use crate::diagnostics::SvgRisk;

/// Embedded rasters an `href` may hold.
const DATA_IMAGES: [&str; 4] = [
    "data:image/png",
    "data:image/jpeg",
    "data:image/gif",
    "data:image/webp",
];

fn href_ok(v: &str) -> bool {
    let v = v.trim();
    v.starts_with('#')
        || DATA_IMAGES
            .iter()
            .any(|p| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p))
}

/// The first outside reference in CSS or a presentation attribute (`url(x)` with `x` not
/// `#id`, or `@import`), if any.
fn css_reference(v: &str) -> Option<String> {
    let lower = v.to_ascii_lowercase();
    if lower.contains("@import") {
        return Some("@import".into());
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        let inner = rest[i + 4..].trim_start_matches([' ', '"', '\'']);
        if !href_ok(inner) {
            let end = inner.find(')').unwrap_or(inner.len());
            return Some(format!("url({})", &inner[..end]));
        }
        rest = &rest[i + 4..];
    }
    None
}

/// Check `text` (an SVG file); the first risk found and its byte span.
pub fn check(text: &str) -> Result<(), (SvgRisk, Range<usize>)> {
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..Default::default()
        },
    )
    .map_err(|e| {
        let pos = e.pos();
        let offset = offset_of(text, pos.row as usize, pos.col as usize);
        (SvgRisk::Malformed(e.to_string()), offset..offset)
    })?;
    for node in doc.descendants() {
        if node.is_pi() {
            return Err((
                SvgRisk::ExternalReference("<?xml-stylesheet?> or another instruction".into()),
                node.range(),
            ));
        }
        if node.is_text()
            && node
                .parent()
                .is_some_and(|p| p.tag_name().name() == "style")
            && let Some(r) = css_reference(node.text().unwrap_or(""))
        {
            return Err((SvgRisk::ExternalReference(r), node.range()));
        }
        if !node.is_element() {
            continue;
        }
        let name = node.tag_name().name();
        if name.eq_ignore_ascii_case("script") {
            return Err((SvgRisk::Script, node.range()));
        }
        if name.eq_ignore_ascii_case("foreignObject") {
            return Err((SvgRisk::ForeignObject, node.range()));
        }
        let animates = matches!(name, "set" | "animate");
        for a in node.attributes() {
            let an = a.name();
            if an.len() > 2 && an[..2].eq_ignore_ascii_case("on") {
                return Err((SvgRisk::EventAttribute(an.to_string()), a.range()));
            }
            if an == "href" && !href_ok(a.value()) {
                return Err((SvgRisk::ExternalReference(a.value().into()), a.range()));
            }
            if animates && an == "attributeName" && a.value().ends_with("href") {
                return Err((
                    SvgRisk::ExternalReference(format!("<{name}> changing a link")),
                    a.range(),
                ));
            }
            if let Some(r) = css_reference(a.value()) {
                return Err((SvgRisk::ExternalReference(r), a.range()));
            }
        }
    }
    Ok(())
}

/// The byte offset of 1-based `row` and `col` (in characters) in `text`.
fn offset_of(text: &str, row: usize, col: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(row.saturating_sub(1))
        .map(str::len)
        .sum();
    let line = &text[line_start.min(text.len())..];
    line_start
        + line
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<defs><linearGradient id="g"/></defs><rect fill="url(#g)" style="fill: url('#g')"/>
<use xlink:href="#g"/><image href="data:image/png;base64,AAAA"/></svg>"##;

    fn risk(body: &str) -> SvgRisk {
        let text = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n{body}</svg>"
        );
        check(&text).unwrap_err().0
    }

    #[test]
    fn drawings_pass_and_the_sample_figure_too() {
        check(OK).unwrap();
        let sample = include_str!("../../content/releases/2024-03/mma-pilot/flow.svg");
        check(sample).unwrap();
    }

    #[test]
    fn risks_are_refused() {
        assert_eq!(risk("<script>alert(1)</script>"), SvgRisk::Script);
        assert_eq!(
            risk("<rect onload=\"x()\"/>"),
            SvgRisk::EventAttribute("onload".into())
        );
        assert_eq!(
            risk("<foreignObject><div/></foreignObject>"),
            SvgRisk::ForeignObject
        );
        assert!(matches!(
            risk("<image xlink:href=\"https://evil.example/x.png\"/>"),
            SvgRisk::ExternalReference(_)
        ));
        assert!(matches!(
            risk("<a href=\"javascript:alert(1)\"><text>x</text></a>"),
            SvgRisk::ExternalReference(_)
        ));
        assert!(matches!(
            risk("<style>@import url(x.css);</style>"),
            SvgRisk::ExternalReference(_)
        ));
        assert!(matches!(
            risk("<rect style=\"fill:url(https://x/y)\"/>"),
            SvgRisk::ExternalReference(_)
        ));
        assert!(matches!(
            risk("<set attributeName=\"href\" to=\"javascript:x\"/>"),
            SvgRisk::ExternalReference(_)
        ));
        let dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg [<!ENTITY x \"y\">]>\n<svg/>";
        assert!(matches!(check(dtd), Err((SvgRisk::Malformed(_), _))));
    }

    #[test]
    fn spans_point_at_the_node() {
        let text = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<g>\n<script/></g></svg>";
        let (_, span) = check(text).unwrap_err();
        assert_eq!(&text[span], "<script/>");
    }
}
