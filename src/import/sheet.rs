//! Reading a spreadsheet into rows of text cells: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK as
//! saved by Chinese Excel; comma or tab) and xlsx/xls (any sheet). It finds the header row
//! below any title rows. It knows nothing of the schema beyond "does this look like a header".

use std::path::Path;

use calamine::{Data, Reader};

use crate::diagnostics::{Diagnostic, Problem};

/// One data row: its number as the spreadsheet shows it (1-based) and its cells as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

/// A table read from a file: the header row and the data rows below it.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub header_row: usize,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

fn io_error(file: &Path, message: String) -> Diagnostic {
    Diagnostic::error(Problem::Io { message }).in_file(file)
}

/// Decode CSV bytes: UTF-8 (with or without BOM), else GB18030 (a superset of GBK).
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn read_csv(path: &Path) -> Result<Vec<Vec<String>>, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e.to_string()))?;
    let text = decode(&bytes);
    // Title rows above the header may hold no delimiter at all: look at the first lines.
    let head: String = text.lines().take(20).collect();
    let delimiter = if head.matches('\t').count() > head.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    // The csv crate skips blank lines, but a spreadsheet counts them as rows: keep them as
    // empty rows so row numbers match what the editor sees. A quoted cell may span lines.
    // (The csv crate's own line numbers skip blank lines too, so count from byte offsets.)
    let bytes = text.as_bytes();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut next_line = 1u64;
    let (mut counted_to, mut line_at) = (0usize, 1u64);
    for rec in reader.records() {
        let rec = rec.map_err(|e| io_error(path, format!("row {}: {e}", rows.len() + 1)))?;
        // The reported offset may sit before the line breaks that end the previous record.
        let mut byte = rec
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .min(bytes.len());
        while byte < bytes.len() && (bytes[byte] == b'\r' || bytes[byte] == b'\n') {
            byte += 1;
        }
        if byte >= counted_to {
            line_at += bytes[counted_to..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            counted_to = byte;
        }
        let start = line_at;
        for _ in next_line..start {
            rows.push(Vec::new());
        }
        let inner_newlines = rec
            .iter()
            .map(|c| c.matches('\n').count() as u64)
            .sum::<u64>();
        next_line = start + inner_newlines + 1;
        rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
    }
    Ok(rows)
}

/// Excel's day 0 is 1899-12-30 (with its 1900 leap-year quirk folded in).
/// `None` for serials that are no date (NaN, infinite, out of jiff's range).
fn excel_date(serial: f64) -> Option<String> {
    if !serial.is_finite() {
        return None;
    }
    let base = jiff::civil::date(1899, 12, 30);
    let days = serial.floor() as i64;
    // `try_days`: a hostile workbook may hold any serial (`days` panics out of range).
    base.checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()
        .map(|d| d.to_string())
}

/// A number as a person would type it: digits while that is short, scientific notation for
/// huge or tiny magnitudes (`f64::MAX` is 309 digits).
fn number_text(f: f64) -> String {
    if f.abs() < 1e15 {
        f.to_string()
    } else {
        format!("{f:e}")
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // A date cell that is no date stays a number, so the row's check reports it at its
        // cell instead of the value silently vanishing.
        Data::DateTime(dt) => excel_date(dt.as_f64()).unwrap_or_else(|| number_text(dt.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The most cells (rows × columns from A1 to the last used cell) a sheet may span.
const MAX_CELLS: u64 = 5_000_000;

fn check_extent(path: &Path, name: &str, (row, col): (u32, u32)) -> Result<(), Diagnostic> {
    let (rows, cols) = (u64::from(row) + 1, u64::from(col) + 1);
    if rows * cols > MAX_CELLS {
        return Err(io_error(
            path,
            format!(
                "sheet `{name}` reaches row {rows} and column {cols}: more than {MAX_CELLS} cells, too large to import"
            ),
        ));
    }
    Ok(())
}

fn read_workbook(path: &Path, sheet: Option<&str>) -> Result<Vec<Vec<String>>, Diagnostic> {
    let mut book = calamine::open_workbook_auto(path).map_err(|e| io_error(path, e.to_string()))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(io_error(
                path,
                format!("no sheet named `{s}` (sheets: {})", names.join(", ")),
            ));
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| io_error(path, "the workbook has no sheets".into()))?,
    };
    // Ranges are dense: a hostile 5 KB xlsx naming only A1 and XFD1048576 would need 17
    // billion cells (an allocation abort). Measure an xlsx's used cells before building one.
    if let calamine::Sheets::Xlsx(x) = &mut book {
        let mut reader = x
            .worksheet_cells_reader(&name)
            .map_err(|e| io_error(path, e.to_string()))?;
        let mut end = (0, 0);
        while let Some(c) = reader
            .next_cell()
            .map_err(|e| io_error(path, e.to_string()))?
        {
            if !matches!(c.get_value(), calamine::DataRef::Empty) {
                let (r, col) = c.get_position();
                end = (end.0.max(r), end.1.max(col));
            }
        }
        check_extent(path, &name, end)?;
    }
    let range = book
        .worksheet_range(&name)
        .map_err(|e| io_error(path, e.to_string()))?;
    if let Some(end) = range.end() {
        check_extent(path, &name, end)?;
    }
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); row0 as usize];
    for r in range.rows() {
        let mut cells = vec![String::new(); col0 as usize];
        cells.extend(r.iter().map(cell_text));
        rows.push(cells);
    }
    Ok(rows)
}

/// Read `path` and find its header row: the first row among the first 20 with the most cells
/// for which `is_header` is true (at least two). Blank rows below it are dropped.
pub fn read(
    path: &Path,
    sheet: Option<&str>,
    is_header: impl Fn(&str) -> bool,
) -> Result<Sheet, Diagnostic> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let rows = match ext.as_str() {
        "csv" | "tsv" | "txt" => read_csv(path)?,
        "xlsx" | "xlsm" | "xls" | "ods" => read_workbook(path, sheet)?,
        other => {
            return Err(io_error(
                path,
                format!("cannot read `.{other}` files; use .csv, .xlsx or .xls"),
            ));
        }
    };
    let (header_idx, _) = rows
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, r)| (i, r.iter().filter(|c| is_header(c)).count()))
        .filter(|(_, n)| *n >= 2)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .ok_or_else(|| {
            io_error(
                path,
                "no header row found in the first 20 rows: no row has two or more column headers that match the schema's labels or the mapping file".into(),
            )
        })?;
    let headers = rows[header_idx].clone();
    let data = rows
        .into_iter()
        .enumerate()
        .skip(header_idx + 1)
        .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
        .map(|(i, mut cells)| {
            cells.resize(headers.len().max(cells.len()), String::new());
            Row {
                number: i + 1,
                cells,
            }
        })
        .collect();
    Ok(Sheet {
        header_row: header_idx + 1,
        headers,
        rows: data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_bom_and_gb18030() {
        assert_eq!(decode(b"\xEF\xBB\xBF\xE4\xB8\xAD"), "中");
        let (gbk, _, _) = encoding_rs::GB18030.encode("成果名称");
        assert_eq!(decode(&gbk), "成果名称");
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(45292.0).as_deref(), Some("2024-01-01"));
        assert_eq!(excel_date(f64::NAN), None);
        assert_eq!(excel_date(f64::INFINITY), None);
        assert_eq!(excel_date(1e12), None);
        assert_eq!(excel_date(-1e12), None);
    }
}
