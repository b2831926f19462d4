//! `gazette import` and `gazette export`: spreadsheets in three CSV encodings and xlsx, exact
//! entries and exact errors, all-or-nothing writes, idempotence, `--update` keeping editors'
//! edits, and the export → import round trip.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use gazette::import::{Action, ImportOptions, import};

const RELEASE: &str = "2025-02";

fn fixture_file(name: &str) -> PathBuf {
    repo().join("tests/fixtures/import").join(name)
}

/// A copy of the sample site with an empty release 2025-02.
fn site_with_new_release() -> tempfile::TempDir {
    let site = sample_site();
    gazette::scaffold::new_release(site.path(), RELEASE).unwrap();
    site
}

fn options(root: &Path, file: &str, map: bool) -> ImportOptions {
    ImportOptions {
        root: root.to_path_buf(),
        file: fixture_file(file),
        into: gazette::import::Destination::Release(RELEASE.into()),
        map: map.then(|| fixture_file("MAP.toml")),
        dry_run: false,
        update: false,
        sheet: None,
    }
}

fn release_files(root: &Path, release: &str) -> BTreeMap<String, Vec<u8>> {
    files(&root.join("content/releases").join(release))
}

const FIRST_ENTRY: &str = r#"+++
title = "高强度海工钢焊接材料"
summary = "一种用于海洋工程的高强度焊接材料。"
institutions = ["浙江大学", "宁波大学"]
fields = ["new-materials"]
stage = "pilot"
modes = ["licence", "joint-development"]

[[ip]]
type = "invention"
number = "ZL 2021 1 0000001.1"

[[ip]]
type = "utility"
number = "ZL 2022 2 0000002.2"

[contact]
name = "王工"
phone = "0574-88880001"
email = "wang@example.org"
+++

## 技术简介

焊接材料正文。
"#;

#[test]
fn every_csv_encoding_gives_the_same_exact_entries() {
    let mut written = Vec::new();
    for file in ["results-utf8.csv", "results-bom.csv", "results-gb18030.csv"] {
        let site = site_with_new_release();
        let summary = import(&options(site.path(), file, true)).unwrap();
        assert_eq!(summary.rows, 3, "{file}");
        assert_eq!(summary.count(&Action::Create), 3, "{file}");
        let rows: Vec<usize> = summary.planned.iter().map(|p| p.row).collect();
        assert_eq!(
            rows,
            [4, 5, 7],
            "{file}: row numbers as the spreadsheet shows them"
        );
        let dir = site.path().join("content/releases").join(RELEASE);
        assert_eq!(
            fs::read_to_string(dir.join("gao-qiang-du-hai-gong-gang-han-jie-cai-liao.md")).unwrap(),
            FIRST_ENTRY,
            "{file}"
        );
        // The imported entries build, with labels mapped to keys.
        build_ok(&opts(site.path()));
        let page = html(
            &site
                .path()
                .join("output/releases/2025-02/di-wen-yu-re-fa-dian-ji-zu/index.html"),
        );
        assert_eq!(texts(&page, ".field-stage dd"), ["量产"]);
        assert_eq!(texts(&page, ".field-modes dd"), ["技术咨询/服务、委托开发"]);
        written.push(release_files(site.path(), RELEASE));
    }
    assert_eq!(written[0], written[1]);
    assert_eq!(written[0], written[2]);
}

#[test]
fn bad_rows_are_reported_with_row_column_and_field_and_nothing_is_written() {
    for file in ["bad.csv", "results.xlsx"] {
        let site = site_with_new_release();
        let before = release_files(site.path(), RELEASE);
        let err = import(&options(site.path(), file, true)).unwrap_err();
        let got: Vec<(usize, usize, &str, String)> = err
            .diagnostics
            .iter()
            .map(|d| {
                let l = d.location.as_ref().unwrap();
                assert!(l.file.ends_with(file));
                (l.line, l.column, d.problem.code(), d.field.clone().unwrap())
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    8,
                    9,
                    "bad-email",
                    "contact.email (column \"邮箱\")".to_string()
                ),
                (9, 5, "not-in-enum", "stage (column \"成熟度\")".to_string()),
                (
                    10,
                    2,
                    "missing-required",
                    "title (column \"成果名称\")".to_string()
                ),
            ],
            "{file}"
        );
        assert_eq!(
            err.diagnostics[1].problem.expected().unwrap(),
            "one of: research, sample, bench, pilot, production"
        );
        assert_eq!(
            release_files(site.path(), RELEASE),
            before,
            "{file} wrote something"
        );
    }
}

#[test]
fn xlsx_sheets_can_be_chosen() {
    let site = site_with_new_release();
    let mut o = options(site.path(), "results.xlsx", true);
    o.sheet = Some("说明".into());
    let err = import(&o).unwrap_err();
    assert!(
        err.diagnostics[0]
            .problem
            .message()
            .contains("no header row"),
        "{err:?}"
    );
    o.sheet = Some("nope".into());
    let err = import(&o).unwrap_err();
    assert!(
        err.diagnostics[0].problem.message().contains("第2批"),
        "{err:?}"
    );
}

#[test]
fn reimport_is_idempotent_and_dry_run_writes_nothing() {
    let site = site_with_new_release();
    let mut o = options(site.path(), "results-utf8.csv", true);
    o.dry_run = true;
    let s = import(&o).unwrap();
    assert_eq!(s.count(&Action::Create), 3);
    assert_eq!(
        release_files(site.path(), RELEASE).len(),
        1,
        "dry run wrote files"
    );
    o.dry_run = false;
    import(&o).unwrap();
    let first = release_files(site.path(), RELEASE);
    let again = import(&o).unwrap();
    assert_eq!(again.count(&Action::Unchanged), 3);
    assert_eq!(again.count(&Action::Create), 0);
    assert_eq!(release_files(site.path(), RELEASE), first);
}

#[test]
fn update_changes_only_spreadsheet_fields_and_keeps_editor_edits() {
    let site = site_with_new_release();
    import(&options(site.path(), "results-utf8.csv", true)).unwrap();
    let path = site
        .path()
        .join("content/releases")
        .join(RELEASE)
        .join("sheng-wu-ji-ju-zhi-zeng-su-ji.md");
    let edited = fs::read_to_string(&path)
        .unwrap()
        .replace("增塑剂正文。", "增塑剂正文，编辑补充了一段。")
        .replace("fields = [", "# 已与单位核对\nfields = [")
        .replace("modes = [\"transfer\"]", "modes = [\"transfer\"]\ntrl = 5");
    fs::write(&path, &edited).unwrap();
    let changed = tempfile::tempdir().unwrap();
    let csv = changed.path().join("changed.csv");
    fs::write(
        &csv,
        fs::read_to_string(fixture_file("results-utf8.csv"))
            .unwrap()
            .replace("小试", "中试"),
    )
    .unwrap();
    let mut o = options(site.path(), "results-utf8.csv", true);
    o.file = csv;
    let s = import(&o).unwrap();
    assert_eq!(
        s.count(&Action::Skip),
        1,
        "without --update an edited entry is skipped"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
    o.update = true;
    let s = import(&o).unwrap();
    assert_eq!(s.count(&Action::Update), 1);
    let after = fs::read_to_string(&path).unwrap();
    assert_eq!(
        after,
        edited.replace("stage = \"bench\"", "stage = \"pilot\"")
    );
    assert!(
        after.contains("编辑补充了一段")
            && after.contains("# 已与单位核对")
            && after.contains("trl = 5")
    );
}

#[test]
fn unmapped_columns_are_reported_and_duplicate_titles_refused() {
    let site = site_with_new_release();
    let s = import(&options(site.path(), "results-utf8.csv", false)).unwrap();
    let unmapped: Vec<&str> = s.unmapped.iter().map(|(_, h)| h.as_str()).collect();
    assert_eq!(unmapped, ["序号", "联系电话", "专利类型", "专利号"]);
    let dup = tempfile::tempdir().unwrap();
    let csv = dup.path().join("dup.csv");
    let text = fs::read_to_string(fixture_file("results-utf8.csv")).unwrap();
    fs::write(&csv, text.replace("低温余热发电机组", "生物基聚酯增塑剂")).unwrap();
    let mut o = options(site.path(), "x", true);
    o.file = csv;
    let err = import(&o).unwrap_err();
    let d = &err.diagnostics[0];
    assert_eq!(d.problem.code(), "duplicate-title");
    assert_eq!(d.location.as_ref().unwrap().line, 7);
}

#[test]
fn new_slugs_never_overwrite_a_different_entry() {
    let site = site_with_new_release();
    let dir = site.path().join("content/releases").join(RELEASE);
    let other = "+++\ntitle = \"另一个成果\"\nsummary = \"s\"\ninstitutions = [\"甲\"]\nfields = [\"marine\"]\nstage = \"pilot\"\nmodes = [\"licence\"]\n\n[contact]\nname = \"n\"\n+++\n";
    fs::write(
        dir.join("gao-qiang-du-hai-gong-gang-han-jie-cai-liao.md"),
        other,
    )
    .unwrap();
    import(&options(site.path(), "results-utf8.csv", true)).unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("gao-qiang-du-hai-gong-gang-han-jie-cai-liao.md")).unwrap(),
        other
    );
    assert_eq!(
        fs::read_to_string(dir.join("gao-qiang-du-hai-gong-gang-han-jie-cai-liao-2.md")).unwrap(),
        FIRST_ENTRY
    );
}

/// Every entry of a release: slug → (values as JSON, trimmed body).
fn entries_of(root: &Path, release: &str) -> BTreeMap<String, (String, String)> {
    let mut o = opts(root);
    o.drafts = true;
    let loaded = gazette::load_site(&o).unwrap();
    let site = &loaded.site;
    let zh = site.default_lang().clone();
    site.entries
        .iter()
        .filter(|e| e.release.as_str() == release)
        .map(|e| {
            let v = &e.versions[&zh];
            (
                e.slug.to_string(),
                (
                    serde_json::to_string(&v.values).unwrap(),
                    v.body.text().trim().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn export_then_import_round_trips_to_identical_entries() {
    for format in ["csv", "xlsx"] {
        let site = sample_site();
        let root = site.path();
        let original = entries_of(root, "2024-03");
        assert_eq!(original.len(), 7);
        let out = root.join(format!("2024-03.{format}"));
        let status = Command::new(env!("CARGO_BIN_EXE_gazette"))
            .args(["export", "--release", "2024-03", "--format", format, "-o"])
            .arg(&out)
            .arg("--root")
            .arg(root)
            .status()
            .unwrap();
        assert!(status.success());
        // Re-importing over the originals changes nothing.
        let mut o = options(root, "x", false);
        o.into = gazette::import::Destination::Release("2024-03".into());
        o.file = out.clone();
        let s = import(&o).unwrap();
        assert_eq!(s.count(&Action::Unchanged), 7, "{format}: {:?}", s.planned);
        // Importing into an emptied release recreates the same entries.
        let dir = root.join("content/releases/2024-03");
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_file() && !name.starts_with("_release") {
                fs::remove_file(p).unwrap();
            }
        }
        let s = import(&o).unwrap();
        assert_eq!(s.count(&Action::Create), 7, "{format}");
        assert_eq!(entries_of(root, "2024-03"), original, "{format}");
    }
}

/// Cell text with lines that read as front-matter fences (`+++`, with or without trailing
/// whitespace) round-trips through the written entry file, both for new entries and for
/// `--update`; a fence in the body cell stays in the body.
#[test]
fn cells_with_fence_lines_round_trip_through_entry_files() {
    let site = site_with_new_release();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fences.csv");
    let sheet = |summary: &str, org: &str| {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        format!(
            "成果名称,完成单位,技术领域,成熟度,合作方式,联系人,单位,邮箱,成果简介,详细介绍\n\
             围栏测试成果,浙江大学,新材料,中试,许可,王工,{},wang@example.org,{},{}\n",
            q(org),
            q(summary),
            q("正文第一段\n+++\ntitle = \"x\"\n+++\n正文末段"),
        )
    };
    let mut o = options(site.path(), "x", false);
    o.file = csv.clone();
    let value = |root: &Path, key: &str| -> serde_json::Value {
        let (values, body) = entries_of(root, RELEASE)
            .remove("wei-lan-ce-shi-cheng-guo")
            .expect("the imported entry loads");
        let v: serde_json::Value = serde_json::from_str(&values).unwrap();
        assert_eq!(body, "正文第一段\n+++\ntitle = \"x\"\n+++\n正文末段");
        assert_eq!(v["title"], "围栏测试成果");
        key.split('.').fold(v, |v, k| v[k].clone())
    };

    let (summary, org) = ("a\n+++\nb", "甲\n+++ \n+++\t\n乙");
    fs::write(&csv, sheet(summary, org)).unwrap();
    let s = import(&o).unwrap();
    assert_eq!(s.count(&Action::Create), 1);
    assert_eq!(value(site.path(), "summary"), summary);
    assert_eq!(value(site.path(), "contact.org"), org);

    let (summary, org) = ("+++\nc\\d '''\n+++  \n\"\"\"", "丙\n+++");
    fs::write(&csv, sheet(summary, org)).unwrap();
    o.update = true;
    let s = import(&o).unwrap();
    assert_eq!(s.count(&Action::Update), 1);
    assert_eq!(value(site.path(), "summary"), summary);
    assert_eq!(value(site.path(), "contact.org"), org);
    assert_eq!(import(&o).unwrap().count(&Action::Unchanged), 1);
}

/// Dates whose year, month or day does not fit (which used to wrap into another, valid date)
/// are refused at their cell, like any other bad date.
#[test]
fn out_of_range_dates_are_bad_dates_at_their_cell() {
    let site = site_with_new_release();
    let before = release_files(site.path(), RELEASE);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("dates.csv");
    let mut text =
        String::from("成果名称,完成单位,技术领域,成熟度,合作方式,联系人,邮箱,成果简介,发布日期\n");
    let dates = [
        "67561-01-01",
        "2025-257-01",
        "2025/1/257",
        "70000年1月1日",
        "2025-02-30",
    ];
    for (i, d) in dates.iter().enumerate() {
        text.push_str(&format!(
            "成果{i},浙江大学,新材料,中试,许可,王工,wang@example.org,简介,{d}\n"
        ));
    }
    fs::write(&csv, text).unwrap();
    let mut o = options(site.path(), "x", false);
    o.file = csv;
    let err = import(&o).unwrap_err();
    let got: Vec<(usize, usize, &str, String, String)> = err
        .diagnostics
        .iter()
        .map(|d| {
            let l = d.location.as_ref().unwrap();
            (
                l.line,
                l.column,
                d.problem.code(),
                d.field.clone().unwrap(),
                d.problem.message(),
            )
        })
        .collect();
    let want: Vec<_> = dates
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                i + 2,
                9,
                "bad-date",
                "date (column \"发布日期\")".to_string(),
                format!("`{d}` is not a valid date"),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(release_files(site.path(), RELEASE), before);
}
