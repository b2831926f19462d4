//! Entry files from imported rows: the text of a new entry, and updating an existing one in
//! place (only the fields the spreadsheet provides; the editor's other fields, comments and
//! body are kept, via toml_edit). Pure text in, text out: writing to disk is `import`'s job.

use toml_edit::DocumentMut;

/// The text of a new Markdown entry.
pub fn new_entry_text(fields: &toml::Table, body: Option<&str>) -> String {
    let fm = toml::to_string(fields).unwrap_or_default();
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
    let snippet = toml::to_string(&one).map_err(|e| e.to_string())?;
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
}
