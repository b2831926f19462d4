//! Text that goes into XML files (feeds, sitemaps): escaping for element content and
//! attributes, and removal of characters XML 1.0 cannot carry at all. It builds no documents.

/// `s` without the characters XML 1.0 forbids (C0 controls other than tab, LF and CR, and
/// U+FFFE/U+FFFF). A TOML string may hold them (`"\u0001"`); an XML parser would reject the
/// whole file.
pub fn xml_chars(s: &str) -> String {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..);
    // Nearly every string is clean: copy it whole rather than char by char.
    if s.chars().all(allowed) {
        return s.to_string();
    }
    s.chars().filter(|&c| allowed(c)).collect()
}

/// Escape `s` for XML element content and attribute values (after [`xml_chars`]).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in xml_chars(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_dropped_and_markup_escaped() {
        assert_eq!(xml_chars("a\u{1}b\tc\u{FFFE}d"), "ab\tcd");
        assert_eq!(
            xml_escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(xml_escape("中文 ✓"), "中文 ✓");
    }
}
