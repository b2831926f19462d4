//! Mapping spreadsheet columns to schema fields: by a mapping file (MAP.toml: column header →
//! field path, value translations, list separators, ignored columns) or, without one, by the
//! schema's own field names and labels in every language. It decides *where* a cell goes, not
//! whether its value is valid.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::config::{FieldDef, FieldKind, Schema};
use crate::diagnostics::{Diagnostic, Problem};

/// The contents of a mapping file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapFile {
    /// Column header → field path (`title`, `contact.phone`, `ip.number`, `body`, `slug`).
    #[serde(default)]
    pub columns: IndexMap<String, String>,
    /// Field path → (cell text → stored value), e.g. `[values.stage] "中试" = "pilot"`.
    #[serde(default)]
    pub values: IndexMap<String, IndexMap<String, String>>,
    /// Field path (or `default`) → separators splitting a cell into list items.
    #[serde(default)]
    pub separators: IndexMap<String, Vec<String>>,
    /// Columns to leave out without reporting them.
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// Where a column's cells go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A schema field, as a path: `["contact", "email"]`.
    Field(Vec<String>),
    /// The entry's Markdown body.
    Body,
    /// The entry's file name (export writes it so import can round-trip).
    Slug,
}

/// Separators used when neither the mapping file nor the field says otherwise.
pub const DEFAULT_SEPARATORS: &[&str] = &["|", "、", ";", "；", "\n"];

/// Header text as compared: trimmed, without required-markers (`*`) and inner line breaks.
pub fn normalize(header: &str) -> String {
    header
        .replace(['\n', '\r', '*', '＊'], "")
        .replace('\u{3000}', " ")
        .trim()
        .to_string()
}

impl MapFile {
    pub fn load(path: &Path) -> Result<MapFile, Diagnostic> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::error(Problem::Io {
                message: e.to_string(),
            })
            .in_file(path)
        })?;
        toml::from_str(&text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    (line, col)
                })
                .unwrap_or((1, 1));
            let mut d = Diagnostic::error(Problem::Config {
                message: format!("mapping file: {}", e.message().trim()),
            });
            d.location = Some(crate::diagnostics::Location {
                file: path.to_path_buf(),
                line,
                column,
            });
            d
        })
    }

    /// Separators for the field at `path`.
    pub fn separators(&self, path: &str) -> Vec<String> {
        self.separators
            .get(path)
            .or_else(|| self.separators.get("default"))
            .cloned()
            .unwrap_or_else(|| DEFAULT_SEPARATORS.iter().map(|s| s.to_string()).collect())
    }

    /// The stored value for cell text `text` of field `path`, if the mapping translates it.
    pub fn translate(&self, path: &str, text: &str) -> Option<&str> {
        self.values.get(path)?.get(text).map(String::as_str)
    }
}

fn leaf_names(
    def: &FieldDef,
    path: &[String],
    parent_labels: &[String],
    out: &mut Vec<(String, Vec<String>)>,
) {
    let dotted = path.join(".");
    let mut labels: Vec<String> = def.label.0.values().cloned().collect();
    labels.push(def.name.to_string());
    match &def.kind {
        FieldKind::Table { fields } => {
            for (k, f) in fields {
                let mut p = path.to_vec();
                p.push(k.clone());
                leaf_names(f, &p, &labels, out);
            }
        }
        FieldKind::List { item } if matches!(item.kind, FieldKind::Table { .. }) => {
            if let FieldKind::Table { fields } = &item.kind {
                for (k, f) in fields {
                    let mut p = path.to_vec();
                    p.push(k.clone());
                    leaf_names(f, &p, &labels, out);
                }
            }
        }
        _ => {
            let mut names = vec![dotted.clone()];
            for l in &labels {
                if parent_labels.is_empty() {
                    names.push(l.clone());
                } else {
                    for pl in parent_labels {
                        names.push(format!("{pl}/{l}"));
                        names.push(format!("{pl}.{l}"));
                        names.push(format!("{pl}{l}"));
                    }
                }
            }
            out.push((dotted, names));
            // A nested field's own label alone also works when no other field uses it.
            if !parent_labels.is_empty() {
                out.push((
                    path.join("."),
                    labels.iter().map(|l| format!("\u{0}{l}")).collect(),
                ));
            }
        }
    }
}

/// Every header text the schema recognises without a mapping file, and where it goes.
pub fn default_headers(schema: &Schema) -> HashMap<String, Target> {
    let mut leaves = Vec::new();
    for (name, def) in &schema.fields {
        leaf_names(def, std::slice::from_ref(name), &[], &mut leaves);
    }
    let mut out: HashMap<String, Target> = HashMap::new();
    let mut bare: HashMap<String, Vec<String>> = HashMap::new();
    for (path, names) in leaves {
        let target = Target::Field(path.split('.').map(str::to_string).collect());
        for n in names {
            if let Some(label) = n.strip_prefix('\u{0}') {
                bare.entry(normalize(label)).or_default().push(path.clone());
            } else {
                out.entry(normalize(&n)).or_insert_with(|| target.clone());
            }
        }
    }
    for (label, mut paths) in bare {
        paths.dedup();
        if paths.len() == 1 && !out.contains_key(&label) {
            out.insert(
                label,
                Target::Field(paths[0].split('.').map(str::to_string).collect()),
            );
        }
    }
    for b in ["body", "正文", "详细介绍", "成果介绍"] {
        out.entry(b.to_string()).or_insert(Target::Body);
    }
    for s in ["slug", "文件名"] {
        out.entry(s.to_string()).or_insert(Target::Slug);
    }
    out
}

/// Does `path` name a leaf field of the schema (a value, or a field of a table)?
fn schema_has(schema: &Schema, path: &[&str]) -> bool {
    let mut fields = &schema.fields;
    for (i, seg) in path.iter().enumerate() {
        let Some(def) = fields.get(*seg) else {
            return false;
        };
        let last = i + 1 == path.len();
        let kind = match &def.kind {
            FieldKind::List { item } if matches!(item.kind, FieldKind::Table { .. }) => &item.kind,
            k => k,
        };
        match kind {
            FieldKind::Table { fields: f } if !last => fields = f,
            FieldKind::Table { .. } => return false,
            _ if last => return true,
            _ => return false,
        }
    }
    false
}

/// The resolved mapping of one sheet's columns.
#[derive(Debug, Clone)]
pub struct Columns {
    /// One per header, `None` for columns that are ignored or unmapped.
    pub targets: Vec<Option<Target>>,
    /// Columns nothing maps (1-based column number, header).
    pub unmapped: Vec<(usize, String)>,
}

/// Decide where each header's column goes. Errors are problems in the mapping file.
pub fn resolve(headers: &[String], schema: &Schema, map: &MapFile) -> Result<Columns, Vec<String>> {
    let defaults = default_headers(schema);
    let mut errors = Vec::new();
    let mut from_map: HashMap<String, Target> = HashMap::new();
    for (header, path) in &map.columns {
        let target = match path.as_str() {
            "body" => Target::Body,
            "slug" => Target::Slug,
            p => {
                let segs: Vec<&str> = p.split('.').collect();
                if !schema_has(schema, &segs) {
                    errors.push(format!(
                        "column `{header}` is mapped to `{p}`, which is not a field of the schema"
                    ));
                    continue;
                }
                Target::Field(segs.iter().map(|s| s.to_string()).collect())
            }
        };
        from_map.insert(normalize(header), target);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let ignored: Vec<String> = map.ignore.iter().map(|h| normalize(h)).collect();
    let mut targets = Vec::new();
    let mut unmapped = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let n = normalize(h);
        if n.is_empty() || ignored.contains(&n) {
            targets.push(None);
            continue;
        }
        let t = from_map.get(&n).or_else(|| defaults.get(&n)).cloned();
        if t.is_none() {
            unmapped.push((i + 1, h.clone()));
        }
        targets.push(t);
    }
    Ok(Columns { targets, unmapped })
}

/// Could `header` be a column header (for finding the header row)?
pub fn is_known_header(
    header: &str,
    schema_headers: &HashMap<String, Target>,
    map: &MapFile,
) -> bool {
    let n = normalize(header);
    schema_headers.contains_key(&n) || map.columns.keys().any(|k| normalize(k) == n)
}
