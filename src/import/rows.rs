//! Turning one spreadsheet row into entry fields: cell text is converted towards each field's
//! kind (numbers, yes/no, dates, enum labels or mapped values to keys, lists split on
//! separators, table columns nested), then checked by the same validator as entry files, and
//! every problem is located at the row and column it came from.

use std::path::Path;
use std::sync::Arc;

use crate::config::{FieldDef, FieldKind, Schema};
use crate::diagnostics::{Diagnostic, Location};
use crate::import::mapping::{Columns, MapFile, Target};
use crate::import::sheet::Row;
use crate::load::source::SourceFile;
use crate::validate::{self, Checked};

/// What one row holds once converted and checked.
#[derive(Debug, Clone)]
pub struct RowEntry {
    pub row: usize,
    /// The fields as TOML, in schema order.
    pub table: toml::Table,
    pub checked: Checked,
    pub body: Option<String>,
    pub slug: Option<String>,
}

/// A date written as year-month-day (`2025-01-31`, `2025/1/31`, `2025.1.31`, `2025年1月31日`).
/// `None` for anything else, including numbers out of range (no wrapping into another date):
/// the cell is then kept as text and reported as a bad date at its row and column.
fn parse_date(text: &str) -> Option<toml::value::Datetime> {
    let t = text
        .trim()
        .replace(['/', '.'], "-")
        .replace(['年', '月'], "-")
        .replace('日', "");
    let mut parts = t.split('-').map(|p| p.trim().parse::<i32>());
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let date = jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    date.to_string().parse().ok()
}

/// Convert cell text for a field of kind `def` at `path` (dotted, for the mapping file).
pub fn convert_value(def: &FieldDef, text: &str, path: &str, map: &MapFile) -> toml::Value {
    let text = text.trim();
    let string = || toml::Value::String(text.to_string());
    match &def.kind {
        FieldKind::Integer { .. } => {
            let cleaned = text.replace([',', '，', ' '], "");
            if let Ok(i) = cleaned.parse::<i64>() {
                return toml::Value::Integer(i);
            }
            match cleaned.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9e15 => toml::Value::Integer(f as i64),
                _ => string(),
            }
        }
        FieldKind::Enum { options } => {
            if let Some(v) = map.translate(path, text) {
                return toml::Value::String(v.to_string());
            }
            if options.iter().any(|o| o.key == text) {
                return string();
            }
            options
                .iter()
                .find(|o| o.labels.0.values().any(|l| l == text))
                .map(|o| toml::Value::String(o.key.clone()))
                .unwrap_or_else(string)
        }
        FieldKind::Bool => match text.to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "是" | "√" | "✓" => toml::Value::Boolean(true),
            "false" | "no" | "n" | "0" | "否" | "×" | "✗" => toml::Value::Boolean(false),
            _ => string(),
        },
        FieldKind::Date => parse_date(text)
            .map(toml::Value::Datetime)
            .unwrap_or_else(string),
        FieldKind::List { item } => {
            let seps = map.separators(path);
            let mut parts = vec![text.to_string()];
            for s in &seps {
                parts = parts
                    .iter()
                    .flat_map(|p| p.split(s.as_str()).map(str::to_string).collect::<Vec<_>>())
                    .collect();
            }
            toml::Value::Array(
                parts
                    .iter()
                    .map(|p| p.trim())
                    .filter(|p| !p.is_empty())
                    .map(|p| convert_value(item, p, path, map))
                    .collect(),
            )
        }
        _ => string(),
    }
}

/// How a column's path sits in the schema.
enum Slot<'a> {
    Top(&'a FieldDef),
    InTable(&'a FieldDef),
    InListOfTables(&'a FieldDef),
}

fn slot<'a>(schema: &'a Schema, path: &[String]) -> Option<Slot<'a>> {
    let top = schema.fields.get(&path[0])?;
    if path.len() == 1 {
        return Some(Slot::Top(top));
    }
    match &top.kind {
        FieldKind::Table { fields } => fields.get(&path[1]).map(Slot::InTable),
        FieldKind::List { item } => match &item.kind {
            FieldKind::Table { fields } => fields.get(&path[1]).map(Slot::InListOfTables),
            _ => None,
        },
        _ => None,
    }
}

/// Convert and check `row`. Problems are located at `file`, the row and the cell's column.
pub fn convert_row(
    file: &Path,
    row: &Row,
    headers: &[String],
    columns: &Columns,
    schema: &Schema,
    map: &MapFile,
) -> (Option<RowEntry>, Vec<Diagnostic>) {
    let mut table = toml::Table::new();
    let mut body = None;
    let mut slug = None;
    for (i, target) in columns.targets.iter().enumerate() {
        let cell = row.cells.get(i).map(|c| c.trim()).unwrap_or("");
        let Some(target) = target else { continue };
        if cell.is_empty() {
            continue;
        }
        match target {
            Target::Body => body = Some(row.cells[i].clone()),
            Target::Slug => slug = Some(cell.to_string()),
            Target::Field(path) => {
                let dotted = path.join(".");
                match slot(schema, path) {
                    Some(Slot::Top(def)) => {
                        table.insert(path[0].clone(), convert_value(def, cell, &dotted, map));
                    }
                    Some(Slot::InTable(def)) => {
                        let t = table
                            .entry(path[0].clone())
                            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                        if let toml::Value::Table(t) = t {
                            t.insert(path[1].clone(), convert_value(def, cell, &dotted, map));
                        }
                    }
                    Some(Slot::InListOfTables(def)) => {
                        let toml::Value::Array(parts) = convert_value(
                            &FieldDef {
                                kind: FieldKind::List {
                                    item: Box::new(def.clone()),
                                },
                                ..def.clone()
                            },
                            cell,
                            &dotted,
                            map,
                        ) else {
                            continue;
                        };
                        let list = table
                            .entry(path[0].clone())
                            .or_insert_with(|| toml::Value::Array(Vec::new()));
                        if let toml::Value::Array(items) = list {
                            while items.len() < parts.len() {
                                items.push(toml::Value::Table(toml::Table::new()));
                            }
                            for (item, v) in items.iter_mut().zip(parts) {
                                if let toml::Value::Table(t) = item {
                                    t.insert(path[1].clone(), v);
                                }
                            }
                        }
                    }
                    None => {}
                }
            }
        }
    }
    // Schema order, so written files read like hand-written ones.
    let mut ordered = toml::Table::new();
    for name in schema.fields.keys() {
        if let Some(v) = table.remove(name) {
            ordered.insert(name.clone(), v);
        }
    }
    let text = toml::to_string(&ordered).unwrap_or_default();
    let source = SourceFile::new(file.to_path_buf(), Arc::from(text));
    let parsed = match crate::load::parse_toml_file(&source, false) {
        Ok(p) => p,
        Err(d) => return (None, d),
    };
    let (checked, diags) = validate::check(&parsed, &schema.fields, true);
    let located: Vec<Diagnostic> = diags
        .into_iter()
        .map(|d| locate(d, file, row, headers, columns))
        .collect();
    if !located.is_empty() {
        return (None, located);
    }
    (
        Some(RowEntry {
            row: row.number,
            table: ordered,
            checked,
            body,
            slug,
        }),
        Vec::new(),
    )
}

/// Point a validation problem at the spreadsheet cell it came from.
fn locate(
    mut d: Diagnostic,
    file: &Path,
    row: &Row,
    headers: &[String],
    columns: &Columns,
) -> Diagnostic {
    let field = d.field.clone().unwrap_or_default();
    // `ip[0].number` → `ip.number`; `fields[1]` → `fields`.
    let mut plain = String::new();
    let mut depth = 0;
    for c in field.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let matches = |t: &Option<Target>, want: &str, prefix: bool| match t {
        Some(Target::Field(p)) => {
            let j = p.join(".");
            if prefix {
                j.starts_with(&format!("{want}."))
            } else {
                j == want
            }
        }
        _ => false,
    };
    let col = columns
        .targets
        .iter()
        .position(|t| matches(t, &plain, false))
        .or_else(|| {
            columns
                .targets
                .iter()
                .position(|t| matches(t, &plain, true))
        });
    let header = col.and_then(|c| headers.get(c)).cloned();
    d.location = Some(Location {
        file: file.to_path_buf(),
        line: row.number,
        column: col.map_or(1, |c| c + 1),
    });
    d.span = None;
    d.field = Some(match header {
        Some(h) => format!("{field} (column \"{h}\")"),
        None => format!("{field} (no column in the sheet)"),
    });
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<String> {
        parse_date(text).map(|d| d.to_string())
    }

    #[test]
    fn parses_common_date_forms() {
        assert_eq!(date("2025-01-31").as_deref(), Some("2025-01-31"));
        assert_eq!(date(" 2025/1/31 ").as_deref(), Some("2025-01-31"));
        assert_eq!(date("2025.1.31").as_deref(), Some("2025-01-31"));
        assert_eq!(date("2025年1月31日").as_deref(), Some("2025-01-31"));
        assert_eq!(date("2025-02-30"), None);
        assert_eq!(date("2025-01"), None);
        assert_eq!(date("45292"), None);
    }

    #[test]
    fn out_of_range_numbers_do_not_wrap_into_other_dates() {
        // Each of these wrapped into a valid date through `as i16` / `as i8`.
        for text in [
            "67561-01-01",       // 67561 as i16 == 2025
            "70000-1-1",         // 70000 as i16 == 4464
            "2025-257-1",        // 257 as i8 == 1
            "2025-1-257",        // 257 as i8 == 1
            "2025-300-1",        // 300 as i8 == 44
            "2025-1-4294967297", // does not fit in i32 either
            "-2025-1-1",
            "2025--1-1",
            "2025-1--1",
            "2147483647-1-1",
            "10000-1-1",
            "2025-0-1",
            "2025-1-0",
        ] {
            assert_eq!(date(text), None, "{text}");
        }
    }

    #[test]
    fn out_of_range_dates_are_kept_as_text_for_the_validator() {
        let def = FieldDef {
            name: "date".into(),
            kind: FieldKind::Date,
            required: false,
            taxonomy: false,
            label: Default::default(),
        };
        let v = convert_value(&def, "67561-01-01", "date", &MapFile::default());
        assert_eq!(v, toml::Value::String("67561-01-01".into()));
    }
}
