//! Reproducers found while fuzzing (`fuzz/`, see fuzz/README.md), kept as byte strings so
//! they run with `cargo test` on the stable toolchain. Each one crashed or hung Gazette before
//! its fix.

use std::path::Path;
use std::time::{Duration, Instant};

use gazette::BuildOptions;

const FRONT_MATTER: &[u8] = b"+++\ntitle = \"Fuzz\"\nsummary = \"s\"\ninstitutions = [\"u\"]\nstage = \"research\"\n\n[contact]\nname = \"n\"\n+++\n\n";

/// A `gazette init` site with one more entry whose body is `body`.
fn site_with_body(body: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    gazette::scaffold::init(dir.path()).unwrap();
    let mut text = FRONT_MATTER.to_vec();
    text.extend_from_slice(body);
    std::fs::write(dir.path().join("content/releases/first/fuzz.md"), text).unwrap();
    dir
}

fn fuzz_entry_html(root: &Path) -> String {
    let loaded = match gazette::load_site(&BuildOptions::new(root)) {
        Ok(l) => l,
        Err(f) => panic!("the site should load:\n{}", f.report()),
    };
    let entry = loaded
        .site
        .entries
        .iter()
        .find(|e| e.slug.as_str() == "fuzz")
        .expect("the fuzz entry is loaded");
    entry
        .versions
        .values()
        .next()
        .unwrap()
        .body_html
        .get()
        .to_string()
}

/// `markdown` target: a `%` escape followed by a multi-byte character in a relative file link
/// sliced the path inside the character (`percent_decode` panicked). It is now an ordinary
/// "file not found" error at the link.
#[test]
fn percent_sign_before_a_multibyte_character_in_a_file_link() {
    for body in [&b"![x](%a\xc3\xa9.png)\n"[..], b"[f](%\xe6\x95\xb0.pdf)\n"] {
        let site = site_with_body(body);
        let failure = gazette::load_site(&BuildOptions::new(site.path()))
            .expect_err("the linked file does not exist");
        let report = failure.report();
        assert!(
            report.contains("fuzz.md:11:1"),
            "the error points at the link: {report}"
        );
        assert_eq!(failure.errors(), 1, "{report}");
    }
    // A real escape still finds the file.
    let site = site_with_body(b"[f](my%20%E6%95%B0.pdf)\n");
    std::fs::write(
        site.path().join("content/releases/first/my \u{6570}.pdf"),
        b"%PDF-1.4\n",
    )
    .unwrap();
    let html = fuzz_entry_html(site.path());
    assert!(html.contains(".pdf\""), "{html}");
}

/// Many headings with the same text: finding a free id tried every earlier suffix again, so
/// n equal headings cost n² attempts (16,000 took 43 s in the fuzz build; a 20 MB entry of
/// `# a` lines never finished). Ids are unchanged: `a`, `a-1`, `a-2`, …, skipping ids taken
/// by explicit `{#…}` attributes.
#[test]
fn many_equal_headings_render_in_linear_time() {
    let mut body = b"# a {#a-2}\n".to_vec();
    for _ in 0..20_000 {
        body.extend_from_slice(b"# a\n");
    }
    let site = site_with_body(&body);
    let start = Instant::now();
    let html = fuzz_entry_html(site.path());
    let elapsed = start.elapsed();
    for id in ["a-2", "a", "a-1", "a-3", "a-20000"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "missing id {id}");
    }
    assert!(!html.contains("id=\"a-20001\""));
    assert!(
        elapsed < Duration::from_secs(30),
        "20,000 equal headings took {elapsed:?}"
    );
}

/// `import_row` target, xlsx path: a date-formatted cell far outside Excel's range (a hostile
/// or generated workbook) made `excel_date` build an out-of-range `jiff::Span` and panic. The
/// cell is now read as the number it holds, so the row check reports it at its cell as a bad
/// date (it used to be read as empty, and the value vanished without a word).
#[test]
fn xlsx_date_cells_out_of_range_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dates.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    sheet.write_string(0, 0, "成果名称").unwrap();
    sheet.write_string(0, 1, "date").unwrap();
    for (row, serial) in [1e10, -1e10, 45292.0, f64::MAX].into_iter().enumerate() {
        let row = row as u32 + 1;
        sheet.write_string(row, 0, format!("row {row}")).unwrap();
        sheet
            .write_number_with_format(row, 1, serial, &date)
            .unwrap();
    }
    book.save(&path).unwrap();
    let known = ["成果名称", "date"];
    let read = gazette::import::sheet::read(&path, None, |h| known.contains(&h)).unwrap();
    let dates: Vec<&str> = read.rows.iter().map(|r| r.cells[1].as_str()).collect();
    assert_eq!(
        dates,
        [
            "10000000000",
            "-10000000000",
            "2024-01-01",
            "1.7976931348623157e308"
        ]
    );
}

/// `import_row` target, xlsx path: a 5 KB workbook naming only a few cells near A1 and one at
/// XFD1048576 made calamine allocate its dense range (512 GiB) and the process abort. Such
/// a sheet is now refused with an error before the range is built.
#[test]
fn xlsx_with_a_far_away_cell_is_refused_not_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("far.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "成果名称").unwrap();
    sheet.write_string(0, 1, "成果简介").unwrap();
    sheet.write_string(1, 0, "t").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.save(&path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 20_000);
    let known = ["成果名称", "成果简介"];
    let err = gazette::import::sheet::read(&path, None, |h| known.contains(&h))
        .expect_err("the sheet is refused");
    let message = err.to_string();
    assert!(message.contains("too large to import"), "{message}");
}
