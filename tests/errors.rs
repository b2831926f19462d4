//! One test per class of bad input: each asserts the problem code, the file, the line and
//! column, and the field where there is one. Also: every problem is reported in one run, the
//! CLI exits 1 with file:line:col, and nothing is written.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use gazette::diagnostics::Diagnostic;

const ALPHA: &str = "content/releases/2024-01/alpha.md";

fn entry(extra: &str, body: &str) -> String {
    format!(
        "+++\ntitle = \"新成果\"\nsummary = \"摘要\"\ninstitutions = [\"浙江大学\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n{extra}\n[contact]\nname = \"张三\"\n+++\n{body}"
    )
}

/// Write `files` into a fresh copy of the basic fixture and run `check`.
fn problems(files: &[(&str, &[u8])]) -> Vec<Diagnostic> {
    let site = fixture("basic");
    for (path, bytes) in files {
        let p = site.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    match gazette::check(&opts(site.path())) {
        Ok(_) => panic!("check passed but should have failed"),
        Err(f) => f.diagnostics,
    }
}

#[track_caller]
fn one<'a>(diags: &'a [Diagnostic], code: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = diags.iter().filter(|d| d.problem.code() == code).collect();
    assert_eq!(found.len(), 1, "expected one {code}, got: {diags:#?}");
    found[0]
}

#[track_caller]
fn at(d: &Diagnostic, file: &str, line: usize, column: usize) {
    let loc = d.location.as_ref().expect("a location");
    assert_eq!(
        (loc.file.as_path(), loc.line, loc.column),
        (Path::new(file), line, column),
        "{d}"
    );
}

#[test]
fn malformed_toml() {
    let d = problems(&[(
        ALPHA,
        b"+++\ntitle = \"unterminated\nsummary = \"x\"\n+++\n",
    )]);
    let e = one(&d, "toml-syntax");
    assert_eq!(e.location.as_ref().unwrap().line, 2, "{e}");
    assert!(e.problem.message().starts_with("malformed TOML"));
}

#[test]
fn missing_front_matter_with_yaml_hint() {
    let d = problems(&[(ALPHA, b"---\ntitle: YAML\n---\nbody\n")]);
    let e = one(&d, "front-matter-missing");
    at(e, ALPHA, 1, 1);
    assert!(e.problem.expected().unwrap().contains("+++"));
}

#[test]
fn unclosed_front_matter() {
    let d = problems(&[(
        ALPHA,
        b"+++\ntitle = \"x\"\n\nbody without a closing fence\n",
    )]);
    at(one(&d, "front-matter-unclosed"), ALPHA, 1, 1);
}

#[test]
fn unknown_key_suggests_the_closest_field() {
    let text = entry("titel = \"typo\"\n", "");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "unknown-key");
    at(e, ALPHA, 7, 1);
    assert_eq!(e.field.as_deref(), Some("titel"));
    assert_eq!(e.problem.hint().unwrap(), "did you mean `title`?");
}

#[test]
fn wrong_type() {
    let text = entry("trl = \"six\"\n", "");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "wrong-type");
    at(e, ALPHA, 7, 7);
    assert_eq!(e.field.as_deref(), Some("trl"));
    assert_eq!(e.problem.expected().unwrap(), "an integer");
}

#[test]
fn value_outside_enum_lists_allowed_values_and_maps_labels() {
    let text = entry("", "").replace("stage = \"pilot\"", "stage = \"中试\"");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "not-in-enum");
    at(e, ALPHA, 6, 9);
    assert_eq!(e.field.as_deref(), Some("stage"));
    assert_eq!(e.problem.expected().unwrap(), "one of: research, pilot");
    assert_eq!(e.problem.hint().unwrap(), "did you mean `pilot`?");
    // Inside a list, the index is part of the field path.
    let text = entry("", "").replace("[\"new-materials\"]", "[\"new-materials\", \"nano\"]");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    assert_eq!(one(&d, "not-in-enum").field.as_deref(), Some("fields[1]"));
}

#[test]
fn value_outside_range() {
    let text = entry("trl = 12\n", "");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "out-of-range");
    at(e, ALPHA, 7, 7);
    assert_eq!(e.problem.expected().unwrap(), "an integer from 1 to 9");
}

#[test]
fn missing_required_field_including_nested() {
    let text = entry("", "")
        .replace("summary = \"摘要\"\n", "")
        .replace("name = \"张三\"", "email = \"a@example.org\"");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let fields: Vec<_> = d
        .iter()
        .filter(|d| d.problem.code() == "missing-required")
        .map(|d| d.field.clone().unwrap())
        .collect();
    assert_eq!(fields, ["summary", "contact.name"]);
}

#[test]
fn bad_email_in_a_nested_table() {
    let text = entry("", "").replace(
        "name = \"张三\"",
        "name = \"张三\"\nemail = \"not an email\"",
    );
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "bad-email");
    at(e, ALPHA, 10, 9);
    assert_eq!(e.field.as_deref(), Some("contact.email"));
}

#[test]
fn bad_date() {
    let text = entry("date = \"2024-13-45\"\n", "");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "bad-date");
    at(e, ALPHA, 7, 8);
    assert_eq!(e.field.as_deref(), Some("date"));
}

#[test]
fn duplicate_slug_in_a_release() {
    let toml = "title = \"另一个\"\nsummary = \"s\"\ninstitutions = [\"甲\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n[contact]\nname = \"n\"\n";
    let d = problems(&[("content/releases/2024-01/alpha.toml", toml.as_bytes())]);
    let e = one(&d, "duplicate-slug");
    at(e, "content/releases/2024-01/alpha.toml", 1, 1);
    assert!(
        e.problem
            .message()
            .contains("content/releases/2024-01/alpha.md"),
        "{e}"
    );
}

#[test]
fn duplicate_title_in_a_release() {
    let text = entry("", "").replace("新成果", "阿尔法新材料");
    let d = problems(&[("content/releases/2024-01/zeta.md", text.as_bytes())]);
    let e = one(&d, "duplicate-title");
    at(e, "content/releases/2024-01/zeta.md", 1, 1);
    assert_eq!(e.field.as_deref(), Some("title"));
    // The same title in another release is fine.
    let site = fixture("basic");
    fs::write(site.path().join("content/releases/2024-02/zeta.md"), text).unwrap();
    assert!(gazette::check(&opts(site.path())).is_ok());
}

#[test]
fn entry_outside_a_release_folder() {
    let text = entry("", "");
    let d = problems(&[("content/stray.md", text.as_bytes())]);
    at(one(&d, "entry-outside-release"), "content/stray.md", 1, 1);
}

#[test]
fn release_without_release_toml() {
    let text = entry("", "");
    let d = problems(&[("content/releases/2030-01/x.md", text.as_bytes())]);
    let e = one(&d, "release-without-meta");
    assert_eq!(
        e.location.as_ref().unwrap().file,
        Path::new("content/releases/2030-01")
    );
}

#[test]
fn broken_internal_link_points_at_its_line() {
    let text = entry(
        "",
        "\nfirst line\n\nsee [nothing](@/releases/2024-01/nope.md)\n",
    );
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "broken-link");
    at(e, ALPHA, 14, 5);
    assert!(e.problem.message().contains("@/releases/2024-01/nope.md"));
}

/// A build keeps no file's text once it is loaded; its report reads the file again to
/// quote the offending line, for problems found while loading and after it alike.
#[test]
fn build_report_quotes_the_offending_lines() {
    let site = fixture("basic");
    let body = "\nfirst line\n\nsee [nothing](@/releases/2024-01/nope.md)\n";
    fs::write(site.path().join(ALPHA), entry("", body)).unwrap();
    let beta = "content/releases/2024-01/beta.md";
    fs::write(site.path().join(beta), entry("stage = \"moon\"", "")).unwrap();
    let f = gazette::build(&opts(site.path())).expect_err("the build should fail");
    let report = f.report();
    for (file, line, quoted) in [
        (ALPHA, 14, "see [nothing](@/releases/2024-01/nope.md)"),
        (beta, 7, "stage = \"moon\""),
    ] {
        assert!(report.contains(&format!("{file}:{line}:")), "{report}");
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&format!("{line} │")) && l.contains(quoted)),
            "line {line} of {file} quoted:\n{report}"
        );
    }
}

#[test]
fn link_to_a_draft_is_an_error() {
    let text = entry("", "\n[draft](@/releases/2024-02/draft-one.md)\n");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let e = one(&d, "broken-link");
    assert!(e.problem.message().contains("draft or embargoed"), "{e}");
}

#[test]
fn missing_referenced_image_and_cover() {
    let text = entry("cover = \"nope/cover.png\"\n", "\n![alt](missing.png)\n");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    let images: Vec<_> = d
        .iter()
        .filter(|d| d.problem.code() == "missing-image")
        .collect();
    assert_eq!(images.len(), 2, "{d:#?}");
    assert_eq!(images[0].field.as_deref(), Some("cover"));
    at(images[0], ALPHA, 7, 9);
    at(images[1], ALPHA, 13, 1);
    let text = entry("", "\n![alt](../../../../etc/passwd.png)\n");
    let d = problems(&[(ALPHA, text.as_bytes())]);
    one(&d, "path-escapes");
}

#[test]
fn invalid_utf8() {
    let mut bytes = entry("", "正文").into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe bad\n");
    let d = problems(&[(ALPHA, &bytes)]);
    let e = one(&d, "invalid-utf8");
    assert_eq!(e.location.as_ref().unwrap().line, 12, "{e}");
}

#[test]
fn unknown_language_suffix() {
    let d = problems(&[(
        "content/releases/2024-01/alpha.fr.md",
        entry("", "").as_bytes(),
    )]);
    one(&d, "unknown-language");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let d = problems(&[
        (
            ALPHA,
            entry("titel = \"x\"\ntrl = 99\n", "[x](@/pages/none.md)").as_bytes(),
        ),
        ("content/releases/2024-02/gamma.md", b"no front matter"),
        ("content/stray.md", b"x"),
    ]);
    let mut codes: Vec<&str> = d
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.problem.code())
        .collect();
    codes.sort();
    // Links from and translations of a file that failed validation are not reported again.
    assert_eq!(
        codes,
        [
            "entry-outside-release",
            "front-matter-missing",
            "out-of-range",
            "unknown-key"
        ]
    );
}

#[test]
fn cli_exits_1_lists_locations_and_writes_nothing() {
    let site = fixture("basic");
    let bad = entry("trl = 99\n", "");
    fs::write(site.path().join(ALPHA), bad).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--root"])
        .arg(site.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("content/releases/2024-01/alpha.md:7:7"),
        "{stderr}"
    );
    assert!(
        stderr.contains("out-of-range") && stderr.contains("expected an integer from 1 to 9"),
        "{stderr}"
    );
    assert!(!site.path().join("output").exists());
    let check = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["check", "--root"])
        .arg(site.path())
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
}

#[test]
fn bad_site_toml_is_reported_with_its_line() {
    let site = fixture("basic");
    let p = site.path().join("site.toml");
    let text = fs::read_to_string(&p)
        .unwrap()
        .replace("paginate_by = 2", "paginate_by = 2\ncolour = \"blue\"");
    fs::write(&p, text).unwrap();
    let f = gazette::check(&opts(site.path())).unwrap_err();
    let e = &f.diagnostics[0];
    assert_eq!(e.problem.code(), "config");
    at(e, "site.toml", 9, 1);
    assert!(e.problem.message().contains("colour"), "{e}");
}

#[test]
fn template_errors_are_reported() {
    let site = fixture("basic");
    fs::create_dir_all(site.path().join("templates")).unwrap();
    fs::write(
        site.path().join("templates/page.html"),
        "{{ standalone.title | no_such_filter }}",
    )
    .unwrap();
    let f = gazette::check(&opts(site.path())).unwrap_err();
    assert_eq!(f.diagnostics[0].problem.code(), "template", "{f:?}");
}

#[test]
fn card_template_errors_are_reported_once() {
    let site = fixture("basic");
    gazette::build(&opts(site.path())).unwrap();
    let home = site.path().join("output/index.html");
    let before = fs::read(&home).unwrap();
    fs::create_dir_all(site.path().join("templates")).unwrap();
    fs::write(
        site.path().join("templates/card.html"),
        "{{ e.title | no_such_filter }}",
    )
    .unwrap();
    let f = gazette::build(&opts(site.path())).unwrap_err();
    let cards: Vec<_> = f
        .diagnostics
        .iter()
        .filter(|d| d.problem.message().contains("card.html"))
        .collect();
    assert_eq!(cards.len(), 1, "{f:?}");
    assert_eq!(cards[0].problem.code(), "template");
    assert_eq!(fs::read(&home).unwrap(), before, "the last output stays");
    let f = gazette::check(&opts(site.path())).unwrap_err();
    assert_eq!(f.diagnostics[0].problem.code(), "template", "{f:?}");
}

#[test]
fn missing_labels_are_warnings_not_errors() {
    let site = fixture("basic");
    let loaded = gazette::check(&opts(site.path())).expect("warnings do not fail a check");
    let fields: Vec<String> = loaded
        .warnings
        .iter()
        .map(|w| w.problem.message())
        .filter(|m| m.contains("has no label"))
        .collect();
    assert!(fields.iter().any(|m| m.contains("`trl`")), "{fields:?}");
    assert!(
        fields.iter().any(|m| m.contains("`contact.email`")),
        "{fields:?}"
    );
    // `fields` has labels in both languages, so it is not mentioned.
    assert!(!fields.iter().any(|m| m.contains("`fields`")), "{fields:?}");
    // The sample site labels everything it shows.
    let sample = sample_site();
    let warnings = gazette::check(&opts(sample.path())).unwrap().warnings;
    assert!(
        !warnings
            .iter()
            .any(|w| w.problem.message().contains("has no label")),
        "{warnings:?}"
    );
}

#[test]
fn file_names_that_make_no_slug() {
    let page = "+++\ntitle = \"关于\"\n+++\n正文\n";
    let d = problems(&[
        ("content/releases/2024-01/---.md", entry("", "").as_bytes()),
        ("content/pages/!!!.md", page.as_bytes()),
    ]);
    let bad: Vec<&Diagnostic> = d
        .iter()
        .filter(|e| e.problem.code() == "bad-slug")
        .collect();
    assert_eq!(bad.len(), 2, "{d:#?}");
    let files: Vec<String> = bad
        .iter()
        .map(|e| e.location.as_ref().unwrap().file.display().to_string())
        .collect();
    assert!(
        files.contains(&"content/releases/2024-01/---.md".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"content/pages/!!!.md".to_string()),
        "{files:?}"
    );
    assert!(
        bad.iter()
            .all(|e| e.problem.message().contains("!!!") || e.problem.message().contains("---"))
    );
}
