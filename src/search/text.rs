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
        push_run(out, c.encode_utf8(&mut [0; 4]), space);
    }
}

/// Append `run`, text without whitespace, after the space a pending whitespace run left.
fn push_run(out: &mut String, run: &str, space: &mut bool) {
    if *space && !out.is_empty() {
        out.push(' ');
    }
    *space = false;
    out.push_str(run);
}

/// The length of the text at the start of `s` that goes to the output as it is: no
/// whitespace, no `<`, no `&`. Copying such runs whole (rather than character by character)
/// is most of what makes this fast. Non-ASCII characters are stepped over by their first
/// byte; only those whose first byte some whitespace character shares (U+0085, U+00A0,
/// U+1680, U+2000–U+205F, U+3000) are decoded and checked.
fn plain_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'<' | b'&' | b'\t'..=b'\r' | b' ' => break,
            0x00..=0x7F => i += 1,
            0xC2 | 0xE1 | 0xE2 | 0xE3 => {
                let c = s[i..].chars().next().unwrap_or(' ');
                if c.is_whitespace() {
                    break;
                }
                i += c.len_utf8();
            }
            0x80..=0xDF => i += 2,
            0xE0..=0xEF => i += 3,
            _ => i += 4,
        }
    }
    i
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
                let bare = tag.trim_start_matches('/');
                let name = &bare[..bare
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(bare.len())];
                let is = |list: &[&str]| list.iter().any(|b| b.eq_ignore_ascii_case(name));
                if is(BLOCKS) {
                    space = true;
                } else if is(SKIPPED) && !tag.starts_with('/') {
                    let close = format!("</{}", name.to_ascii_lowercase());
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
            c if c.is_whitespace() => {
                space = true;
                rest = &rest[c.len_utf8()..];
            }
            _ => {
                let n = plain_len(rest);
                push_run(&mut out, &rest[..n], &mut space);
                rest = &rest[n..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{html_to_text, plain_len};

    #[test]
    fn plain_runs_stop_at_every_whitespace_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = format!("{c}x");
            let stop = c.is_whitespace() || c == '<' || c == '&';
            let want = if stop { 0 } else { c.len_utf8() + 1 };
            assert_eq!(plain_len(&s), want, "{:X}", c as u32);
        }
    }

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
        assert_eq!(
            html_to_text("a\u{3000}b\u{a0} <P>c</P>\u{2028}d&amp;e\tf<EM>g</EM>h<BR/>i"),
            "a b c d&e fgh i"
        );
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text("<p>  </p>"), "");
    }
}
