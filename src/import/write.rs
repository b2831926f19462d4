//! Entry files from imported rows: the text of a new entry, and updating an existing one in
//! place (only the fields the spreadsheet provides; the editor's other fields, comments and
//! body are kept, via toml_edit). Pure text in, text out: writing to disk is `import`'s job.

use toml_edit::DocumentMut;
use toml_edit::visit_mut::{self, VisitMut};

/// Whether `line` would end a Markdown entry's front matter (as `load::frontmatter` reads
/// fences, plus leading whitespace, to be safe).
fn is_fence_like(line: &str) -> bool {
    line.trim() == "+++"
}

/// Whether a string written as a multi-line TOML string could put a fence line in the front
/// matter.
fn has_fence_line(s: &str) -> bool {
    s.contains('\n') && s.split('\n').any(is_fence_like)
}

/// `s` as a one-line TOML basic string: every line break and control character escaped.
pub fn basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Rewrites string values that would be written as multi-line strings with a fence line in
/// them as one-line basic strings, so any cell text round-trips through a Markdown entry.
struct FenceSafe;

impl VisitMut for FenceSafe {
    fn visit_value_mut(&mut self, node: &mut toml_edit::Value) {
        if let toml_edit::Value::String(f) = node
            && has_fence_line(f.value())
            && let Ok(mut one_line) = basic_string(f.value()).parse::<toml_edit::Value>()
            && one_line.as_str() == Some(f.value())
        {
            *one_line.decor_mut() = f.decor().clone();
            *node = one_line;
            return;
        }
        visit_mut::visit_value_mut(self, node);
    }
}

/// TOML text for `fields`, as the toml crate writes it, with no line that is a fence.
fn front_matter_text(fields: &toml::Table) -> Result<String, String> {
    let text = toml::to_string(fields).map_err(|e| e.to_string())?;
    if !text.lines().any(is_fence_like) {
        return Ok(text);
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    FenceSafe.visit_document_mut(&mut doc);
    Ok(doc.to_string())
}

/// The text of a new Markdown entry.
pub fn new_entry_text(fields: &toml::Table, body: Option<&str>) -> String {
    let fm = front_matter_text(fields).unwrap_or_default();
    let body = body.map(str::trim).unwrap_or("");
    if body.is_empty() {
        format!("+++\n{fm}+++\n")
    } else {
        format!("+++\n{fm}+++\n\n{body}\n")
    }
}

/// Set `fields` in TOML text `toml_text`, changing only keys whose value differs.
/// Returns the new text (equal to the input when nothing changed).
pub fn update_toml(toml_text: &str, fields: &toml::Table) -> Result<String, String> {
    let current: toml::Table = toml::from_str(toml_text).map_err(|e| e.message().to_string())?;
    let mut doc: DocumentMut = toml_text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let mut changed = false;
    for (k, v) in fields {
        if current.get(k) == Some(v) {
            continue;
        }
        // A table the editor already has is updated key by key, so fields the spreadsheet
        // does not provide (e.g. a phone number added by hand) are kept.
        if let (toml::Value::Table(new), Some(toml::Value::Table(old))) = (v, current.get(k))
            && let Some(existing) = doc
                .as_table_mut()
                .get_mut(k)
                .and_then(|i| i.as_table_like_mut())
        {
            for (sk, sv) in new {
                if old.get(sk) != Some(sv) {
                    existing.insert(sk, item_for(sk, sv)?);
                    changed = true;
                }
            }
            continue;
        }
        doc.as_table_mut().insert(k, item_for(k, v)?);
        changed = true;
    }
    Ok(if changed {
        doc.to_string()
    } else {
        toml_text.to_string()
    })
}

/// The toml_edit item for `key = value`, formatted as the toml crate writes it.
fn item_for(key: &str, value: &toml::Value) -> Result<toml_edit::Item, String> {
    let mut one = toml::Table::new();
    one.insert(key.to_string(), value.clone());
    let snippet = front_matter_text(&one)?;
    let mut sdoc: DocumentMut = snippet
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let item = sdoc
        .as_table_mut()
        .remove(key)
        .ok_or("value lost in conversion")?;
    // Inside an existing table a sub-table would need its own header; keep values inline.
    Ok(match item {
        toml_edit::Item::Table(t) if t.is_implicit() || !t.is_empty() => {
            toml_edit::Item::Value(toml_edit::Value::InlineTable(t.into_inline_table()))
        }
        other => other,
    })
}

/// Update the front matter of a Markdown entry, keeping its body byte for byte.
pub fn update_markdown(text: &str, fields: &toml::Table) -> Result<String, String> {
    let split = crate::load::frontmatter::split(text).map_err(|(p, _)| p.message())?;
    let fm = &text[split.front_matter.clone()];
    let new_fm = update_toml(fm, fields)?;
    if new_fm == fm {
        return Ok(text.to_string());
    }
    Ok(format!(
        "{}{}{}",
        &text[..split.front_matter.start],
        new_fm,
        &text[split.front_matter.end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_keeps_comments_body_and_other_fields() {
        let text = "+++\n# reviewed by Li\ntitle = \"A\"\nstage = \"bench\"\nkeywords = [\"x\"]\n\n[contact]\nname = \"n\"\n+++\n\nEditor's body.\n";
        let mut f = toml::Table::new();
        f.insert("stage".into(), toml::Value::String("pilot".into()));
        f.insert("title".into(), toml::Value::String("A".into()));
        let out = update_markdown(text, &f).unwrap();
        assert!(out.contains("# reviewed by Li"));
        assert!(out.contains("stage = \"pilot\""));
        assert!(out.contains("keywords = [\"x\"]"));
        assert!(out.ends_with("+++\n\nEditor's body.\n"));
        assert_eq!(update_markdown(&out, &f).unwrap(), out);
    }

    /// The front matter of a written Markdown entry, parsed back.
    fn read_back(text: &str) -> toml::Table {
        let split = crate::load::frontmatter::split(text).unwrap();
        toml::from_str(&text[split.front_matter]).unwrap()
    }

    #[test]
    fn fence_lines_in_values_round_trip() {
        let nasty = [
            "+++",
            "a\n+++\nb",
            "+++\na",
            "a\n+++",
            "a\n+++ \nb",
            "a\n+++\t\nb",
            "a\r\n+++\r\nb",
            "a\n  +++\nb",
            "c\\d '''\n+++\n\"\"\" \u{7f}\u{1}",
        ];
        for s in nasty {
            let v = || toml::Value::String(s.to_string());
            let mut sub = toml::Table::new();
            sub.insert("name".into(), v());
            let mut f = toml::Table::new();
            f.insert("title".into(), v());
            f.insert("keywords".into(), toml::Value::Array(vec![v(), "x".into()]));
            f.insert("contact".into(), toml::Value::Table(sub.clone()));
            f.insert(
                "ip".into(),
                toml::Value::Array(vec![toml::Value::Table(sub)]),
            );
            let body = "text\n+++\ntitle = \"other\"\n+++\nend";
            let text = new_entry_text(&f, Some(body));
            assert_eq!(read_back(&text), f, "{s:?}\n{text}");
            let split = crate::load::frontmatter::split(&text).unwrap();
            assert_eq!(text[split.body].trim(), body, "{s:?}");
            // Updating an entry with the value, at the top level and inside a table.
            let old = "+++\ntitle = \"A\"\n\n[contact]\nname = \"n\"\n+++\n\nBody.\n";
            let out = update_markdown(old, &f).unwrap();
            assert_eq!(read_back(&out), f, "{s:?}\n{out}");
            assert!(out.ends_with("+++\n\nBody.\n"));
            assert_eq!(update_markdown(&out, &f).unwrap(), out);
        }
    }

    #[test]
    fn multi_line_values_without_fences_keep_their_form() {
        let mut f = toml::Table::new();
        f.insert("summary".into(), "line one\nline two +++\n++++".into());
        let text = new_entry_text(&f, None);
        assert!(text.contains("\"\"\"\nline one\n"), "{text}");
        assert_eq!(read_back(&text), f);
    }
}
