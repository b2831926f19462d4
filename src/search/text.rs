//! Plain text from an entry's rendered (and sanitised) body HTML, for indexing and snippets:
//! tags dropped, block boundaries turned into spaces, entities decoded, whitespace collapsed.

/// Elements whose boundaries separate words.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Elements whose content is not text.
const SKIPPED: &[&str] = &["script", "style", "template"];

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(n);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => return None,
    })
}

/// Append `c`, turning any run of whitespace into one space (none at the start).
fn push(out: &mut String, c: char, space: &mut bool) {
    if c.is_whitespace() {
        *space = true;
    } else {
        if *space && !out.is_empty() {
            out.push(' ');
        }
        *space = false;
        out.push(c);
    }
}

/// The text of `html`: one space between words of different blocks, none added inside
/// inline markup (`催<em>化</em>剂` stays `催化剂`).
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut space = false;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                if let Some(after) = rest.strip_prefix("<!--") {
                    rest = after.find("-->").map_or("", |i| &after[i + 3..]);
                    continue;
                }
                let Some(end) = rest.find('>') else {
                    // A lone `<` is text.
                    push(&mut out, '<', &mut space);
                    rest = &rest[1..];
                    continue;
                };
                let tag = &rest[1..end];
                rest = &rest[end + 1..];
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                if BLOCKS.contains(&name.as_str()) {
                    space = true;
                } else if SKIPPED.contains(&name.as_str()) && !tag.starts_with('/') {
                    let close = format!("</{name}");
                    let lower = rest.to_ascii_lowercase();
                    rest = lower
                        .find(&close)
                        .and_then(|i| rest[i..].find('>').map(|j| &rest[i + j + 1..]))
                        .unwrap_or("");
                    space = true;
                }
            }
            '&' => {
                let entity = rest[1..]
                    .find(';')
                    .filter(|&i| i <= 10)
                    .and_then(|i| Some((decode_entity(&rest[1..1 + i])?, i)));
                match entity {
                    Some((d, i)) => {
                        push(&mut out, d, &mut space);
                        rest = &rest[i + 2..];
                    }
                    None => {
                        push(&mut out, '&', &mut space);
                        rest = &rest[1..];
                    }
                }
            }
            c => {
                push(&mut out, c, &mut space);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn tags_go_blocks_separate_inline_joins() {
        assert_eq!(
            html_to_text(
                "<h2>技术简介</h2>\n<p>采用<strong>新型</strong>催化剂。</p><p>Pilot&nbsp;plant &amp; more</p>"
            ),
            "技术简介 采用新型催化剂。 Pilot plant & more"
        );
        assert_eq!(
            html_to_text(
                "<ul><li>a</li><li>b</li></ul><table><tr><td>纯度</td><td>99.9%</td></tr></table>"
            ),
            "a b 纯度 99.9%"
        );
        assert_eq!(
            html_to_text(
                "x<!-- hidden -->y<script>var a = '<p>';</script>z &lt;b&gt; &#x4E2D;&#25991; 1 < 2 &bogus;"
            ),
            "xy z <b> 中文 1 < 2 &bogus;"
        );
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text("<p>  </p>"), "");
    }
}
