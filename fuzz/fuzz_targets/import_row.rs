//! Spreadsheet row import: any bytes as a CSV file (UTF-8, BOM or GB18030; comma or tab)
//! through `sheet::decode` and `sheet::read` (header detection, row numbering; bytes that
//! start like a zip or OLE file are read as xlsx/xls instead), then every row
//! through `rows::convert_row` against the sample site's schema, with the default mapping and
//! with a mapping file that translates values and sets separators. The same bytes are also
//! read below a fixed header naming every schema field, so arbitrary cells reach every field
//! kind. Invariants: row numbers increase and sit below the header; a row that converts
//! without errors, written as a new entry file, loads and validates without errors, and
//! importing it again over that file changes nothing.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use gazette::config::{FieldKind, SiteConfig};
use gazette::import::mapping::{self, MapFile, Target};
use gazette::import::rows::convert_row;
use gazette::import::sheet::{self, Sheet};
use gazette::import::write::{new_entry_text, update_markdown};
use gazette::load::parse_markdown;
use gazette::load::source::SourceFile;
use gazette::validate::check;
use libfuzzer_sys::fuzz_target;

static CONFIG: LazyLock<SiteConfig> = LazyLock::new(|| {
    let source = SourceFile::new(
        "site.toml".into(),
        Arc::from(include_str!("../../site.toml")),
    );
    gazette::config::parse(&source).expect("the sample site.toml parses")
});

const MAP: &str = r#"
ignore = ["序号"]
[columns]
"联系电话" = "contact.phone"
"专利类型" = "ip.type"
"专利号" = "ip.number"
"说明" = "body"
[values.stage]
"中试阶段" = "pilot"
[values."ip.type"]
"发明" = "invention"
[separators]
institutions = ["、", "；"]
default = [",", "|"]
"#;

struct Fixture {
    dir: PathBuf,
    maps: Vec<MapFile>,
    known: Vec<std::collections::HashMap<String, Target>>,
    /// A header line naming every leaf field of the schema by its path, then body and slug.
    header: String,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("gazette-fuzz-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let map_path = dir.join("MAP.toml");
    std::fs::write(&map_path, MAP).unwrap();
    let maps = vec![
        MapFile::default(),
        MapFile::load(&map_path).expect("the mapping file loads"),
    ];
    let schema = &CONFIG.schema;
    let known = maps
        .iter()
        .map(|_| mapping::default_headers(schema))
        .collect();
    let mut paths = Vec::new();
    for (name, def) in &schema.fields {
        let nested = match &def.kind {
            FieldKind::Table { fields } => Some(fields),
            FieldKind::List { item } => match &item.kind {
                FieldKind::Table { fields } => Some(fields),
                _ => None,
            },
            _ => None,
        };
        match nested {
            Some(fields) => paths.extend(fields.keys().map(|k| format!("{name}.{k}"))),
            None => paths.push(name.clone()),
        }
    }
    paths.push("正文".into());
    paths.push("slug".into());
    Fixture {
        dir,
        maps,
        known,
        header: paths.join(","),
    }
});

/// Check a sheet's rows and push each through conversion with mapping `m`.
fn convert_all(file: &Path, sheet: &Sheet, m: usize) {
    let fx = &*FIXTURE;
    let schema = &CONFIG.schema;
    let map = &fx.maps[m];
    let mut last = sheet.header_row;
    for row in &sheet.rows {
        assert!(row.number > last, "row {} after row {last}", row.number);
        assert!(row.cells.len() >= sheet.headers.len());
        last = row.number;
    }
    let columns = mapping::resolve(&sheet.headers, schema, map)
        .expect("the fixture mappings only name schema fields");
    assert_eq!(columns.targets.len(), sheet.headers.len());
    for row in sheet.rows.iter().take(32) {
        let (entry, diags) = convert_row(file, row, &sheet.headers, &columns, schema, map);
        for d in &diags {
            let _ = d.to_string();
            let _ = d.to_json();
        }
        let Some(entry) = entry else {
            assert!(!diags.is_empty(), "a row was dropped without a reason");
            continue;
        };
        // Written as a new entry, the row must load as it was checked...
        let text = new_entry_text(&entry.table, entry.body.as_deref());
        let source = SourceFile::new("content/releases/x/new.md".into(), Arc::from(&*text));
        let parsed = match parse_markdown(&source) {
            Ok(p) => p,
            Err(d) => panic!("imported row {} does not load: {d:?}\n{text}", row.number),
        };
        let (_, problems) = check(&parsed, &schema.fields, true);
        assert!(
            problems.is_empty(),
            "imported row {} fails validation once written: {problems:?}\n{text}",
            row.number
        );
        // ...and importing the same row again changes nothing.
        let again = update_markdown(&text, &entry.table)
            .unwrap_or_else(|e| panic!("re-import of row {} fails: {e}\n{text}", row.number));
        assert_eq!(
            again, text,
            "re-importing row {} changes the file",
            row.number
        );
    }
}

fn read_and_convert(file: &Path) {
    let fx = &*FIXTURE;
    for m in 0..fx.maps.len() {
        let map = &fx.maps[m];
        let known = &fx.known[m];
        if let Ok(sheet) = sheet::read(file, None, |h| mapping::is_known_header(h, known, map)) {
            assert!(sheet.header_row >= 1);
            convert_all(file, &sheet, m);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let fx = &*FIXTURE;
    let text = sheet::decode(data);
    if std::str::from_utf8(data).is_ok() && !data.starts_with(b"\xEF\xBB\xBF") {
        assert_eq!(text.as_bytes(), data);
    }

    // A workbook (zip for xlsx, OLE for xls) goes through calamine instead.
    let ext = if data.starts_with(b"PK\x03\x04") {
        "xlsx"
    } else if data.starts_with(b"\xD0\xCF\x11\xE0") {
        "xls"
    } else {
        "csv"
    };
    let file = fx.dir.join(format!("sheet.{ext}"));
    std::fs::write(&file, data).unwrap();
    read_and_convert(&file);
    if ext != "csv" {
        return;
    }

    // The same cells below a header that names every field.
    let with_header = fx.dir.join("fields.csv");
    std::fs::write(&with_header, format!("{}\n{text}", fx.header)).unwrap();
    read_and_convert(&with_header);
});
