//! Open data as CSV (UTF-8 with a BOM so Excel reads Chinese; one row per entry or item; list
//! values joined with `|`; tables flattened into `table.field` columns; lists of tables as
//! JSON text; cells that a spreadsheet would run as a formula prefixed with `'`), and the W3C
//! CSVW metadata describing the CSV columns. One writer serves the results and every
//! collection ([`Table`]): the layout is derived from the table's schema alone, so every CSV
//! of a table has the same columns; rows are made on every core a batch at a time. The JSON
//! exports are `data_json.rs` and `data_market.rs`. It renders; it does not choose rows.

use std::io::Write;

use serde_json::{Map, Value as Json, json};

use crate::config::Schema;
use crate::config::{FieldDef, FieldKind};
use crate::diagnostics::{Diagnostic, Problem};
use crate::model::collections::Item;
use crate::model::ids::Lang;
use crate::model::{Entry, Site};
use crate::validate::{Fields, Value};

/// Whose rows a CSV holds: the results (release entries) or the items of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Results,
    /// An index into `Site::collections`.
    Collection(usize),
}

impl Table {
    fn schema(self, site: &Site) -> &Schema {
        match self {
            Table::Results => &site.config.schema,
            Table::Collection(c) => &site.config.collections[site.collections[c].def].schema,
        }
    }
}

/// One row: an entry or an item.
#[derive(Clone, Copy)]
enum Row<'s> {
    Entry(&'s Entry),
    Item(&'s crate::model::ids::Slug, &'s Item),
}

impl Row<'_> {
    fn values<'v>(&'v self, default: &Lang) -> &'v Fields {
        match self {
            Row::Entry(e) => &e.versions[default].values,
            Row::Item(_, it) => &it.versions[default].values,
        }
    }
}

/// The separator of multi-valued CSV cells.
pub const LIST_SEPARATOR: &str = "|";

/// How a CSV column turns a value into a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// One plain value.
    Scalar,
    /// A list of plain values joined with [`LIST_SEPARATOR`].
    Joined,
    /// JSON text (lists of tables, lists of lists).
    Json,
}

/// Where a CSV column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source<'a> {
    Release,
    Slug,
    /// An item past its `closes` date (`true`/`false`).
    Closed,
    /// A schema value: the field path (`["contact", "name"]`) and its definition.
    Field(Vec<&'a str>, &'a FieldDef),
    /// The entry's page URL in a language.
    Url(&'a Lang),
}

/// One CSV column.
#[derive(Debug, Clone)]
struct Column<'a> {
    header: String,
    source: Source<'a>,
    cell: Cell,
    required: bool,
}

fn is_plain(kind: &FieldKind) -> bool {
    !matches!(kind, FieldKind::List { .. } | FieldKind::Table { .. })
}

/// Columns for `def` at `path`; tables become one column per field, recursively.
fn field_columns<'a>(
    def: &'a FieldDef,
    path: Vec<&'a str>,
    required: bool,
    out: &mut Vec<Column<'a>>,
) {
    let header = path.join(".");
    let required = required && def.required;
    match &def.kind {
        FieldKind::Table { fields } => {
            for (name, sub) in fields {
                let mut p = path.clone();
                p.push(name);
                field_columns(sub, p, required, out);
            }
        }
        FieldKind::List { item } => out.push(Column {
            header,
            source: Source::Field(path, def),
            cell: if is_plain(&item.kind) {
                Cell::Joined
            } else {
                Cell::Json
            },
            required,
        }),
        _ => out.push(Column {
            header,
            source: Source::Field(path, def),
            cell: Cell::Scalar,
            required,
        }),
    }
}

/// The CSV columns of `table`: for results `release`, `slug`, the schema's fields,
/// `urls.<lang>` per language; for a collection `slug`, its schema's fields, `closed` when
/// it has a `closes` field, `urls.<lang>`. Fails when two columns would share a header (a
/// schema field named like one of Gazette's columns, or a field name with a dot clashing
/// with a flattened table).
fn columns(site: &Site, table: Table) -> Result<Vec<Column<'_>>, Diagnostic> {
    let own = |header: &str, source| Column {
        header: header.into(),
        source,
        cell: Cell::Scalar,
        required: true,
    };
    let mut cols = Vec::new();
    if table == Table::Results {
        cols.push(own("release", Source::Release));
    }
    cols.push(own("slug", Source::Slug));
    let schema = table.schema(site);
    for (name, def) in &schema.fields {
        field_columns(def, vec![name.as_str()], true, &mut cols);
    }
    if table != Table::Results && schema.fields.contains_key("closes") {
        cols.push(own("closed", Source::Closed));
    }
    for l in &site.config.languages {
        cols.push(Column {
            header: format!("urls.{l}"),
            source: Source::Url(l),
            cell: Cell::Scalar,
            required: true,
        });
    }
    let mut seen = std::collections::HashSet::new();
    for c in &cols {
        if !seen.insert(c.header.as_str()) {
            return Err(Diagnostic::error(Problem::Config {
                message: format!(
                    "the open-data CSV{} would have two `{}` columns: rename the schema field \
                     (`release`, `slug`, `closed` and `urls.<language>` are Gazette's own columns)",
                    match table {
                        Table::Results => String::new(),
                        Table::Collection(c) => format!(" of `{}`", site.collections[c].name),
                    },
                    c.header
                ),
            })
            .in_file(std::path::Path::new("site.toml")));
        }
    }
    Ok(cols)
}

/// Neutralise a cell that a spreadsheet would read as a formula (OWASP "CSV injection").
fn defuse(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn plain_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        Value::DateTime(t) => t.to_string(),
        Value::List(_) | Value::Table(_) => serde_json::to_string(v).unwrap_or_default(),
    }
}

fn lookup<'v>(values: &'v Fields, path: &[&str]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let mut v = values.get(first)?;
    for key in rest {
        match v {
            Value::Table(t) => v = t.get(key)?,
            _ => return None,
        }
    }
    Some(v)
}

fn cell(site: &Site, row: Row<'_>, c: &Column<'_>) -> String {
    let u = &site.urls;
    let values = row.values(site.default_lang());
    match (&c.source, row) {
        (Source::Release, Row::Entry(e)) => e.release.to_string(),
        (Source::Closed, Row::Entry(_)) => String::new(),
        (Source::Slug, Row::Entry(e)) => e.slug.to_string(),
        (Source::Slug, Row::Item(_, it)) => it.slug.to_string(),
        (Source::Closed, Row::Item(_, it)) => it.closed.to_string(),
        (Source::Release, Row::Item(..)) => String::new(),
        (Source::Url(l), Row::Entry(e)) => {
            if e.versions.contains_key(*l) {
                u.permalink(&u.entry(l, &e.release, &e.slug))
            } else {
                String::new()
            }
        }
        (Source::Url(l), Row::Item(name, it)) => {
            if it.versions.contains_key(*l) {
                u.permalink(&u.item(l, name, &it.slug))
            } else {
                String::new()
            }
        }
        (Source::Field(path, _), _) => match (lookup(values, path), c.cell) {
            (None, _) => String::new(),
            // Numbers stay numbers: `-3` is not a formula.
            (Some(Value::Integer(i)), _) => i.to_string(),
            (Some(Value::List(items)), Cell::Joined) => defuse(
                items
                    .iter()
                    .map(plain_text)
                    .collect::<Vec<_>>()
                    .join(LIST_SEPARATOR),
            ),
            (Some(v), Cell::Json) => serde_json::to_string(v).unwrap_or_default(),
            (Some(v), _) => defuse(plain_text(v)),
        },
    }
}

fn csv_error(path: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(Problem::OutputWrite {
        path: path.trim_start_matches('/').into(),
        message: format!("writing CSV: {e}"),
    })
}

/// Write the CSV of `rows` of `table` (indexes into `Site::entries`, or into the
/// collection's items), with a UTF-8 byte order mark, into `out` as it is made, the rows of
/// each batch on every core (see [`super::pieces`]).
pub fn write_csv(
    site: &Site,
    table: Table,
    rows: &[usize],
    site_path: &str,
    out: &mut dyn Write,
) -> Result<(), Diagnostic> {
    write_csv_in(site, table, rows, site_path, out, super::pieces::TASK)
}

fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

fn write_csv_in(
    site: &Site,
    table: Table,
    entries: &[usize],
    site_path: &str,
    out: &mut dyn Write,
    task: usize,
) -> Result<(), Diagnostic> {
    let cols = columns(site, table)?;
    let err = |e: &dyn std::fmt::Display| csv_error(site_path, e);
    let mut head = csv_writer(Vec::from("\u{FEFF}".as_bytes()));
    head.write_record(cols.iter().map(|c| defuse(c.header.clone())))
        .map_err(|e| err(&e))?;
    let head = head.into_inner().map_err(|e| err(&e))?;
    out.write_all(&head).map_err(|e| err(&e))?;
    // Rows are independent: each task's rows go through a writer of their own.
    super::pieces::write(
        entries,
        task,
        out,
        |e| err(&e),
        |_, rows, buf| {
            let mut w = csv_writer(buf);
            for &i in rows {
                let row = match table {
                    Table::Results => Row::Entry(&site.entries[i]),
                    Table::Collection(c) => {
                        let col = &site.collections[c];
                        Row::Item(&col.name, &col.items[i])
                    }
                };
                w.write_record(cols.iter().map(|c| cell(site, row, c)))
                    .map_err(|e| err(&e))?;
            }
            w.flush().map_err(|e| err(&e))
        },
    )?;
    out.flush().map_err(|e| err(&e))
}

/// A CSVW column name: RFC 6570 variable characters, everything else percent-encoded.
fn csvw_name(header: &str) -> String {
    let mut out = String::new();
    let mut prev_dot = true;
    for (i, b) in header.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || (b == b'_' && i > 0)
            || (b == b'.' && !prev_dot && i + 1 < header.len());
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        prev_dot = b == b'.';
    }
    out
}

/// The CSVW datatype of a plain field kind.
fn datatype(kind: &FieldKind) -> Json {
    match kind {
        FieldKind::Integer { min, max } => {
            let mut m = Map::new();
            m.insert("base".into(), "integer".into());
            if let Some(v) = min {
                m.insert("minimum".into(), (*v).into());
            }
            if let Some(v) = max {
                m.insert("maximum".into(), (*v).into());
            }
            Json::Object(m)
        }
        FieldKind::Bool => json!({ "base": "boolean", "format": "true|false" }),
        FieldKind::Date => "date".into(),
        FieldKind::DateTime => "dateTime".into(),
        FieldKind::Url => "anyURI".into(),
        FieldKind::Enum { options } => {
            let alternatives: Vec<String> = options.iter().map(|o| regex_escape(&o.key)).collect();
            json!({ "base": "string", "format": format!("^(?:{})$", alternatives.join("|")) })
        }
        _ => "string".into(),
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The CSVW metadata (at `site_path`) of the CSV files of `table` at the site paths
/// `tables`, which share one table schema.
pub fn csv_metadata(
    site: &Site,
    table: Table,
    site_path: &str,
    tables: &[String],
) -> Result<Vec<u8>, Diagnostic> {
    let cols = columns(site, table)?;
    let (what, key) = match table {
        Table::Results => ("entry", vec!["release", "slug"]),
        Table::Collection(_) => ("item", vec!["slug"]),
    };
    let default = site.default_lang();
    let dir = &site_path[..site_path.rfind('/').map_or(0, |i| i + 1)];
    let columns: Vec<Json> = cols
        .iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("name".into(), csvw_name(&c.header).into());
            m.insert("titles".into(), defuse(c.header.clone()).into());
            match &c.source {
                Source::Release => {
                    m.insert("dc:description".into(), "Release id".into());
                    m.insert("datatype".into(), "string".into());
                }
                Source::Slug => {
                    let text = match table {
                        Table::Results => "Entry slug, unique in its release",
                        Table::Collection(_) => "Item slug, unique in its collection",
                    };
                    m.insert("dc:description".into(), text.into());
                    m.insert("datatype".into(), "string".into());
                }
                Source::Closed => {
                    m.insert(
                        "dc:description".into(),
                        "Past its closing date when the site was built".into(),
                    );
                    m.insert(
                        "datatype".into(),
                        json!({ "base": "boolean", "format": "true|false" }),
                    );
                }
                Source::Url(l) => {
                    m.insert(
                        "dc:description".into(),
                        format!("The {what}'s page in `{l}`, empty if not translated").into(),
                    );
                    m.insert("datatype".into(), "anyURI".into());
                }
                Source::Field(_, def) => {
                    let labels: Vec<Json> = site
                        .config
                        .languages
                        .iter()
                        .filter_map(|l| {
                            let s = def.label.0.get(l.as_str())?;
                            Some(json!({ "@value": s, "@language": l }))
                        })
                        .collect();
                    if !labels.is_empty() {
                        m.insert("dc:description".into(), labels.into());
                    }
                    let dt = match (&def.kind, c.cell) {
                        (_, Cell::Json) => "json".into(),
                        (FieldKind::List { item }, Cell::Joined) => {
                            m.insert("separator".into(), LIST_SEPARATOR.into());
                            datatype(&item.kind)
                        }
                        (kind, _) => datatype(kind),
                    };
                    m.insert("datatype".into(), dt);
                }
            }
            m.insert("required".into(), c.required.into());
            Json::Object(m)
        })
        .collect();
    let tables: Vec<Json> = tables
        .iter()
        .map(|t| {
            let url = t
                .strip_prefix(dir)
                .map(str::to_string)
                .unwrap_or_else(|| site.urls.permalink(t));
            json!({ "url": url })
        })
        .collect();
    let (title, rows) = match table {
        Table::Results => (
            site.config.title.clone(),
            "Public entries of the site".to_string(),
        ),
        Table::Collection(c) => {
            let col = &site.collections[c];
            let def = &site.config.collections[col.def];
            let label = def.label_in(default.as_str(), default.as_str());
            (
                format!("{} · {label}", site.config.title),
                format!("Public items of the collection `{}`", col.name),
            )
        }
    };
    let doc = json!({
        "@context": ["http://www.w3.org/ns/csvw", { "@language": default }],
        "dc:title": title,
        "dc:description": format!("{rows}, one row each. Cells that begin with =, +, -, @, \
            a tab or a carriage return are written with a leading ' so spreadsheets do not run \
            them as formulas. The JSON files beside the CSV files hold the same data with types \
            and translations."),
        "dialect": { "encoding": "utf-8", "header": true, "lineTerminators": ["\r\n"] },
        "tables": tables,
        "tableSchema": {
            "columns": columns,
            "primaryKey": key,
        },
    });
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CSV rows are the same however they are cut into pieces.
    #[test]
    fn csv_written_in_pieces_is_the_same() {
        let loaded = crate::sample_site();
        let site = &loaded.site;
        let all: Vec<usize> = (0..site.entries.len()).collect();
        let mut whole = Vec::new();
        write_csv_in(
            site,
            Table::Results,
            &all,
            "/data/entries.csv",
            &mut whole,
            usize::MAX,
        )
        .unwrap();
        let text = String::from_utf8(whole.clone()).unwrap();
        assert!(text.starts_with('\u{FEFF}'));
        // A header and a row per entry (CRLF-terminated; no value of the sample site
        // holds a line break).
        assert_eq!(text.matches("\r\n").count(), all.len() + 1);
        for task in [1, 3] {
            let mut out = Vec::new();
            write_csv_in(
                site,
                Table::Results,
                &all,
                "/data/entries.csv",
                &mut out,
                task,
            )
            .unwrap();
            assert_eq!(out, whole, "{task} per task");
        }
    }

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_not() {
        assert_eq!(defuse("=1+1".into()), "'=1+1");
        assert_eq!(defuse("+86 571".into()), "'+86 571");
        assert_eq!(defuse("-x".into()), "'-x");
        assert_eq!(defuse("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(defuse("\tx".into()), "'\tx");
        assert_eq!(defuse("浙江大学".into()), "浙江大学");
        assert_eq!(defuse("a=b".into()), "a=b");
    }

    #[test]
    fn csvw_names_are_uri_template_variables() {
        assert_eq!(csvw_name("contact.name"), "contact.name");
        assert_eq!(csvw_name("cover_alt"), "cover_alt");
        assert_eq!(csvw_name("_x"), "%5Fx");
        assert_eq!(csvw_name("a-b"), "a%2Db");
        assert_eq!(csvw_name("urls.zh"), "urls.zh");
    }

    #[test]
    fn enum_formats_escape_regex_characters() {
        assert_eq!(regex_escape("a.b|c"), "a\\.b\\|c");
    }
}
