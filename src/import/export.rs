//! Export: a release's entries or a collection's items back out as a spreadsheet (CSV with
//! BOM, or xlsx), with the column headers that `import` recognises without a mapping file,
//! so export → import round-trips to the same entries. Enum values are written as their
//! labels, lists joined with `|`, and each entry's file name goes in a `slug` column.

use std::path::{Path, PathBuf};

use crate::config::{FieldDef, FieldKind, Schema, SiteConfig};
use crate::diagnostics::{Diagnostic, Problem, SourceMap};
use crate::model::EntryVersion;
use crate::validate::Value;
use crate::{BuildOptions, Failure};

use super::Destination;

/// Spreadsheet formats `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// One exported column: its header and how to get its text from an entry.
struct Column {
    header: String,
    path: Vec<String>,
}

fn label(def: &FieldDef, config: &SiteConfig) -> String {
    def.label
        .get(
            config.default_language.as_str(),
            config.default_language.as_str(),
            &def.name,
        )
        .to_string()
}

fn columns(config: &SiteConfig, schema: &Schema) -> Vec<Column> {
    let mut out = Vec::new();
    for (name, def) in &schema.fields {
        let sub = match &def.kind {
            FieldKind::Table { fields } => Some(fields),
            FieldKind::List { item } => match &item.kind {
                FieldKind::Table { fields } => Some(fields),
                _ => None,
            },
            _ => None,
        };
        match sub {
            Some(fields) => {
                for (k, f) in fields {
                    out.push(Column {
                        header: format!("{}/{}", label(def, config), label(f, config)),
                        path: vec![name.clone(), k.clone()],
                    });
                }
            }
            None => out.push(Column {
                header: label(def, config),
                path: vec![name.clone()],
            }),
        }
    }
    out
}

fn field_def<'a>(schema: &'a Schema, path: &[String]) -> Option<&'a FieldDef> {
    let top = schema.fields.get(&path[0])?;
    if path.len() == 1 {
        return Some(top);
    }
    match &top.kind {
        FieldKind::Table { fields } => fields.get(&path[1]),
        FieldKind::List { item } => match &item.kind {
            FieldKind::Table { fields } => fields.get(&path[1]),
            _ => None,
        },
        _ => None,
    }
}

fn text(def: &FieldDef, v: &Value, config: &SiteConfig) -> String {
    match (&def.kind, v) {
        (FieldKind::Enum { options }, Value::Text(k)) => options
            .iter()
            .find(|o| *o.key == **k)
            .map(|o| {
                o.labels
                    .get(
                        config.default_language.as_str(),
                        config.default_language.as_str(),
                        k,
                    )
                    .to_string()
            })
            .unwrap_or_else(|| k.to_string()),
        (FieldKind::List { item }, Value::List(items)) => items
            .iter()
            .map(|i| text(item, i, config))
            .collect::<Vec<_>>()
            .join("|"),
        (_, Value::Bool(b)) => if *b { "是" } else { "否" }.to_string(),
        (_, Value::Text(s)) => s.to_string(),
        (_, Value::Integer(i)) => i.to_string(),
        (_, Value::Date(d)) => d.to_string(),
        (_, Value::DateTime(t)) => t.to_string(),
        (_, other) => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn cell(v: &EntryVersion, col: &Column, config: &SiteConfig, schema: &Schema) -> String {
    let Some(top) = v.values.get(&col.path[0]) else {
        return String::new();
    };
    let Some(def) = field_def(schema, &col.path) else {
        return String::new();
    };
    match (col.path.len(), top) {
        (1, value) => text(def, value, config),
        (_, Value::Table(t)) => t
            .get(&col.path[1])
            .map(|x| text(def, x, config))
            .unwrap_or_default(),
        (_, Value::List(items)) => items
            .iter()
            .map(|i| match i {
                Value::Table(t) => t
                    .get(&col.path[1])
                    .map(|x| text(def, x, config))
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join("|"),
        _ => String::new(),
    }
}

fn write_err(path: &Path, e: impl ToString) -> Failure {
    Failure::from_diagnostics(
        vec![Diagnostic::error(Problem::OutputWrite {
            path: path.to_path_buf(),
            message: e.to_string(),
        })],
        SourceMap::default(),
    )
}

/// Export a release's entries or a collection's items of the site at `root` to `out`.
/// Drafts and embargoed ones are included: the spreadsheet is for the institutions and
/// companies that submitted them.
pub fn export(
    root: &Path,
    what: &Destination,
    format: Format,
    out: &Path,
) -> Result<PathBuf, Failure> {
    let mut opts = BuildOptions::new(root);
    opts.drafts = true;
    let loaded = crate::load_site(&opts)?;
    let site = &loaded.site;
    let config = &site.config;
    let default = &config.default_language;
    let not_found =
        |p: Problem| Failure::from_diagnostics(vec![Diagnostic::error(p)], SourceMap::default());
    // Each document's default-language version and file name, in site order.
    let (schema, docs, sheet_name): (&Schema, Vec<(&EntryVersion, &str)>, &str) = match what {
        Destination::Release(release) => {
            let Some(r) = site.releases.iter().find(|r| r.id.as_str() == release) else {
                return Err(not_found(Problem::ReleaseWithoutMeta {
                    id: release.to_string(),
                }));
            };
            let docs = (r.entries.iter())
                .map(|&i| {
                    let e = &site.entries[i];
                    (&*e.versions[default], e.slug.as_str())
                })
                .collect();
            (&config.schema, docs, release)
        }
        Destination::Collection(name) => {
            let Some(c) = site.collections.iter().find(|c| c.name.as_str() == name) else {
                return Err(not_found(super::unknown_collection(config, name)));
            };
            let docs = (c.items.iter())
                .map(|it| (&*it.versions[default], it.slug.as_str()))
                .collect();
            (&config.collections[c.def].schema, docs, name)
        }
    };
    let cols = columns(config, schema);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header: Vec<String> = cols.iter().map(|c| c.header.clone()).collect();
    header.push("正文".into());
    header.push("slug".into());
    rows.push(header);
    for (v, slug) in docs {
        let mut row: Vec<String> = cols.iter().map(|c| cell(v, c, config, schema)).collect();
        row.push(v.body.text().trim().to_string());
        row.push(slug.to_string());
        rows.push(row);
    }
    match format {
        Format::Csv => {
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut bytes);
                for row in &rows {
                    w.write_record(row).map_err(|e| write_err(out, e))?;
                }
                w.flush().map_err(|e| write_err(out, e))?;
            }
            std::fs::write(out, bytes).map_err(|e| write_err(out, e))?;
        }
        Format::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            sheet.set_name(sheet_name).map_err(|e| write_err(out, e))?;
            for (ri, row) in rows.iter().enumerate() {
                for (ci, v) in row.iter().enumerate() {
                    sheet
                        .write_string(ri as u32, ci as u16, v)
                        .map_err(|e| write_err(out, e))?;
                }
            }
            book.save(out).map_err(|e| write_err(out, e))?;
        }
    }
    Ok(out.to_path_buf())
}
