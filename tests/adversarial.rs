//! Hostile and broken input: each case either builds correctly or fails with the exact error,
//! and a failed build leaves the previous output untouched. Large inputs are generated here
//! rather than committed.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use gazette::diagnostics::Diagnostic;

const R2: &str = "content/releases/2024-02";

fn front(title: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\nsummary = \"s\"\ninstitutions = [\"甲\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n"
    )
}

/// Build the fixture, then write `files` and build again: that build must fail with
/// `code` in `file` at `line`, and the first build's output must be untouched.
#[track_caller]
fn fails_keeping_output(
    files: &[(&str, Vec<u8>)],
    code: &str,
    file: &str,
    line: usize,
) -> Vec<Diagnostic> {
    let site = fixture("basic");
    let root = site.path();
    build_ok(&opts(root));
    let before = files_of(root);
    for (path, bytes) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    let err = gazette::build(&opts(root)).expect_err("the build should fail");
    let d = err
        .diagnostics
        .iter()
        .find(|d| d.problem.code() == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", err.diagnostics));
    let loc = d.location.as_ref().unwrap();
    assert_eq!(
        (loc.file.to_string_lossy().as_ref(), loc.line),
        (file, line),
        "{d}"
    );
    assert_eq!(files_of(root), before, "the failed build changed output/");
    err.diagnostics
}

fn files_of(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    files(&root.join("output"))
}

/// Write `files` into the fixture and build; the build must succeed.
fn builds(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let site = fixture("basic");
    for (path, bytes) in files {
        let p = site.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    build_ok(&opts(site.path()));
    site
}

#[test]
fn empty_files() {
    fails_keeping_output(
        &[("content/releases/2024-02/empty.md", Vec::new())],
        "front-matter-missing",
        "content/releases/2024-02/empty.md",
        1,
    );
    let d = fails_keeping_output(
        &[("content/releases/2024-02/_release.toml", Vec::new())],
        "missing-required",
        "content/releases/2024-02/_release.toml",
        1,
    );
    let fields: Vec<_> = d.iter().filter_map(|d| d.field.clone()).collect();
    assert_eq!(fields, ["number", "title", "date"]);
}

#[test]
fn a_20_mb_entry_builds() {
    let para = "大规模正文段落，用于检验大文件的处理。".repeat(40);
    let mut text = front("二十兆");
    while text.len() < 20 * 1024 * 1024 {
        text.push_str(&para);
        text.push_str("\n\n");
    }
    text.push_str("最后一段 THE-END\n");
    let site = builds(&[("content/releases/2024-02/big.md", text.into_bytes())]);
    let page =
        fs::read_to_string(site.path().join("output/releases/2024-02/big/index.html")).unwrap();
    assert!(page.contains("最后一段 THE-END"));
}

#[test]
fn deeply_nested_lists_and_quotes_and_a_1_mb_line_build() {
    let list = format!("{}{}x-deep-list\n", front("深列表"), "- ".repeat(10_000));
    let quote = format!("{}{} x-deep-quote\n", front("深引用"), ">".repeat(10_000));
    let line = format!("{}{}\n", front("长行"), "长".repeat(350_000));
    let site = builds(&[
        ("content/releases/2024-02/deep-list.md", list.into_bytes()),
        ("content/releases/2024-02/deep-quote.md", quote.into_bytes()),
        ("content/releases/2024-02/long-line.md", line.into_bytes()),
    ]);
    let out = site.path().join("output/releases/2024-02");
    let list = html(&out.join("deep-list/index.html"));
    // Nesting is kept up to a limit, then flattened (the text stays).
    let depth = select(&list, ".prose ul").len();
    assert!(
        (40..=gazette::markdown::MAX_NESTING).contains(&depth),
        "{depth} nested lists"
    );
    assert!(
        fs::read_to_string(out.join("deep-list/index.html"))
            .unwrap()
            .contains("x-deep-list")
    );
    assert!(
        fs::read_to_string(out.join("deep-quote/index.html"))
            .unwrap()
            .contains("x-deep-quote")
    );
    assert!(
        fs::read_to_string(out.join("long-line/index.html"))
            .unwrap()
            .len()
            > 1_000_000
    );
}

#[test]
fn bom_crlf_and_nul_bytes() {
    let crlf = front("回车换行").replace('\n', "\r\n") + "\r\n## 小节\r\n\r\n正文\r\n";
    let bom = format!("\u{feff}{}正文\n", front("带BOM"));
    let nul_body = format!("{}正文\0中间\n", front("空字符"));
    let site = builds(&[
        ("content/releases/2024-02/crlf.md", crlf.into_bytes()),
        ("content/releases/2024-02/bom.md", bom.into_bytes()),
        ("content/releases/2024-02/nul.md", nul_body.into_bytes()),
    ]);
    let out = site.path().join("output/releases/2024-02");
    let crlf = html(&out.join("crlf/index.html"));
    assert_eq!(texts(&crlf, "h1"), ["回车换行"]);
    assert_eq!(attrs(&crlf, ".prose h2", "id"), ["xiao-jie"]);
    assert_eq!(texts(&html(&out.join("bom/index.html")), "h1"), ["带BOM"]);
    let nul = fs::read_to_string(out.join("nul/index.html")).unwrap();
    assert!(!nul.contains('\0'));
    // A NUL inside the front matter is a TOML error.
    let bad = front("坏\0标题");
    fails_keeping_output(
        &[("content/releases/2024-02/nul-fm.md", bad.into_bytes())],
        "toml-syntax",
        "content/releases/2024-02/nul-fm.md",
        2,
    );
}

#[test]
fn yaml_front_matter_and_duplicate_keys() {
    fails_keeping_output(
        &[(
            "content/releases/2024-02/yaml.md",
            b"---\ntitle: x\n---\n".to_vec(),
        )],
        "front-matter-missing",
        "content/releases/2024-02/yaml.md",
        1,
    );
    let dup = front("重复键").replace("summary = \"s\"\n", "summary = \"s\"\nsummary = \"t\"\n");
    fails_keeping_output(
        &[("content/releases/2024-02/dup.md", dup.into_bytes())],
        "toml-syntax",
        "content/releases/2024-02/dup.md",
        4,
    );
}

#[test]
fn symlinks_are_not_followed() {
    let site = fixture("basic");
    let root = site.path();
    let secret = tempfile::tempdir().unwrap();
    fs::write(secret.path().join("outside.md"), front("外部文件")).unwrap();
    std::os::unix::fs::symlink(
        secret.path().join("outside.md"),
        root.join(R2).join("outside.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root.join("content"), root.join(R2).join("loop")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join(R2).join("passwd.txt")).unwrap();
    // Links one level up, where release folders and pages are, too: a whole release folder
    // and a page.
    std::os::unix::fs::symlink(secret.path(), root.join("content/releases/2099-01")).unwrap();
    std::os::unix::fs::symlink(
        secret.path().join("outside.md"),
        root.join("content/pages/outside.md"),
    )
    .unwrap();
    let s = build_ok(&opts(root));
    let skipped = s
        .warnings
        .iter()
        .filter(|w| w.problem.message().contains("symbolic links"))
        .count();
    assert_eq!(skipped, 5, "{:?}", s.warnings);
    let out = files(&root.join("output"));
    assert!(!out.keys().any(|k| k.contains("2099-01")));
    assert!(
        !out.keys()
            .any(|k| k.contains("outside") || k.contains("passwd") || k.contains("loop"))
    );
    assert!(
        !out.values()
            .any(|v| String::from_utf8_lossy(v).contains("外部文件"))
    );
}

#[test]
fn file_names_with_spaces_chinese_and_emoji() {
    let site = builds(&[
        (
            "content/releases/2024-02/my result.md",
            front("空格文件名").into_bytes(),
        ),
        (
            "content/releases/2024-02/中试成果🚀.md",
            front("中文文件名").into_bytes(),
        ),
        (
            "content/releases/2024-02/gamma/图 1（流程）.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        ),
    ]);
    let root = site.path();
    let p = root.join(R2).join("gamma.md");
    let text = fs::read_to_string(&p).unwrap() + "\n![流程图](<gamma/图 1（流程）.svg>)\n";
    fs::write(&p, text).unwrap();
    build_ok(&opts(root));
    let out = root.join("output/releases/2024-02");
    assert!(out.join("my-result/index.html").is_file());
    let emoji = gazette::model::ids::Slug::from_text("中试成果🚀").unwrap();
    assert_eq!(emoji.as_str(), "zhong-shi-cheng-guo-rocket");
    assert!(out.join("zhong-shi-cheng-guo-rocket/index.html").is_file());
    assert!(out.join("gamma/图 1（流程）.svg").is_file());
    let g = html(&out.join("gamma/index.html"));
    let src = attrs(&g, ".prose img", "src");
    assert_eq!(
        src,
        ["/results/releases/2024-02/gamma/%E5%9B%BE%201%EF%BC%88%E6%B5%81%E7%A8%8B%EF%BC%89.svg"]
    );
}

#[test]
fn slugs_that_collide_after_transliteration() {
    fails_keeping_output(
        &[
            (
                "content/releases/2024-02/zhong-shi.md",
                front("甲").into_bytes(),
            ),
            ("content/releases/2024-02/中试.md", front("乙").into_bytes()),
        ],
        "duplicate-slug",
        "content/releases/2024-02/中试.md",
        1,
    );
}

#[test]
fn release_folders_that_are_not_ids() {
    for name in ["Release 1", "-x", "a+b"] {
        let path = format!("content/releases/{name}/e.md");
        fails_keeping_output(
            &[(path.as_str(), front("甲").into_bytes())],
            "bad-release-id",
            &path,
            1,
        );
    }
}

#[test]
fn a_cover_that_escapes_the_site() {
    let text = front("逃逸").replace(
        "stage = \"pilot\"",
        "stage = \"pilot\"\ncover = \"../../../../../etc/passwd\"\ncover_alt = \"x\"",
    );
    fails_keeping_output(
        &[("content/releases/2024-02/escape.md", text.into_bytes())],
        "path-escapes",
        "content/releases/2024-02/escape.md",
        7,
    );
}
