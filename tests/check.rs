//! `gazette check` before publishing: warnings for near-duplicate titles across the site,
//! images without alt text, drafts and embargoes in releases and passed embargoes; exit 0 with
//! warnings only and 1 with errors; `--format json` for CI.

mod common;

use std::fs;
use std::process::Command;

use common::*;

fn codes(w: &[gazette::diagnostics::Diagnostic]) -> Vec<(String, String)> {
    w.iter()
        .map(|d| {
            let file = d
                .location
                .as_ref()
                .map(|l| l.file.to_string_lossy().into_owned())
                .unwrap_or_default();
            (d.problem.code().to_string(), file)
        })
        .collect()
}

#[test]
fn publishing_warnings_are_listed_and_do_not_fail() {
    let site = fixture("basic");
    let root = site.path();
    // The same result submitted twice, by another institution, in another release.
    let gamma = fs::read_to_string(root.join("content/releases/2024-02/gamma.md")).unwrap();
    fs::write(
        root.join("content/releases/2024-01/alpha-again.md"),
        gamma
            .replace("伽马新材料", "伽马新材料。")
            .replace("浙江大学", "宁波大学"),
    )
    .unwrap();
    // An image without alt text, and an embargo that has passed.
    let delta = root.join("content/releases/2024-02/delta.md");
    let text = fs::read_to_string(&delta).unwrap().replace(
        "stage = \"research\"",
        "stage = \"research\"\nembargo = 2020-01-01T00:00:00+08:00",
    );
    fs::write(
        &delta,
        format!("{text}\n![](../2024-01/alpha/figure.svg)\n"),
    )
    .unwrap();
    let loaded = gazette::check(&opts(root)).expect("warnings only");
    let got = codes(&loaded.warnings);
    for expected in [
        ("similar-title", "content/releases/2024-01/alpha-again.md"),
        ("missing-alt", "content/releases/2024-02/delta.md"),
        ("embargo-passed", "content/releases/2024-02/delta.md"),
        ("held-back", "content/releases/2024-02/draft-one.md"),
        ("held-back", "content/releases/2024-02/secret.md"),
    ] {
        assert!(
            got.contains(&(expected.0.to_string(), expected.1.to_string())),
            "missing {expected:?} in {got:?}"
        );
    }
    // Different titles are not flagged.
    assert_eq!(
        got.iter().filter(|(c, _)| c == "similar-title").count(),
        1,
        "{got:?}"
    );
}

#[test]
fn cover_without_alt_is_a_warning() {
    let site = fixture("basic");
    let p = site.path().join("content/releases/2024-01/alpha.md");
    let text = fs::read_to_string(&p)
        .unwrap()
        .replace("cover_alt = \"工艺示意图\"\n", "");
    fs::write(&p, text).unwrap();
    let loaded = gazette::check(&opts(site.path())).unwrap();
    let alt: Vec<_> = loaded
        .warnings
        .iter()
        .filter(|w| w.problem.code() == "missing-alt")
        .collect();
    assert_eq!(alt.len(), 1);
    assert_eq!(alt[0].field.as_deref(), Some("cover_alt"));
}

#[test]
fn json_report_and_exit_codes() {
    let site = fixture("basic");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_gazette"))
            .args(["check", "--format", "json", "--root"])
            .arg(site.path())
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "warnings only must exit 0");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["errors"], 0);
    assert!(report["warnings"].as_u64().unwrap() >= 2);
    let held: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "held-back")
        .collect();
    assert_eq!(held.len(), 2);
    assert_eq!(held[0]["severity"], "warning");

    let p = site.path().join("content/releases/2024-01/alpha.md");
    let text = fs::read_to_string(&p)
        .unwrap()
        .replace("trl = 6", "trl = 60");
    fs::write(&p, text).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let err = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap();
    assert_eq!(err["code"], "out-of-range");
    assert_eq!(err["file"], "content/releases/2024-01/alpha.md");
    assert_eq!(err["line"], 7);
    assert_eq!(err["field"], "trl");
}

/// On a large site most of a title's character pairs are common to hundreds of titles; an
/// exact duplicate (in another release) and a near duplicate are still flagged, and nothing
/// else is.
#[test]
fn duplicate_titles_are_flagged_on_a_large_site_with_common_title_words() {
    let site = fixture("basic");
    let root = site.path();
    let entry = |title: &str| {
        format!(
            "+++\ntitle = \"{title}\"\nsummary = \"s\"\ninstitutions = [\"浙江大学\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n"
        )
    };
    let stem = "新型高效节能环保材料制备";
    let mut state: u64 = 7;
    let mut tail = || -> String {
        (0..4)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from_u32(0x5000 + ((state >> 33) % 0x4000) as u32).unwrap()
            })
            .collect()
    };
    let dir = root.join("content/releases/2024-02");
    for i in 0..1_200 {
        let title = match i {
            300 => format!("{stem}甲乙丙丁戊"),
            400 => format!("{stem}甲乙丙丁己"),
            _ => format!("{stem}{}", tail()),
        };
        if i == 100 {
            fs::write(
                root.join("content/releases/2024-01/same-again.md"),
                entry(&title),
            )
            .unwrap();
        }
        fs::write(dir.join(format!("many-{i:04}.md")), entry(&title)).unwrap();
    }
    let loaded = gazette::check(&opts(root)).expect("warnings only");
    let mut similar: Vec<String> = codes(&loaded.warnings)
        .into_iter()
        .filter(|(c, _)| c == "similar-title")
        .map(|(_, f)| f)
        .collect();
    similar.sort();
    assert_eq!(
        similar,
        [
            "content/releases/2024-01/same-again.md",
            // Within a release entries go by title, and 己 sorts before 戊: 0300 comes second.
            "content/releases/2024-02/many-0300.md",
        ]
    );
}

/// Line and column (1-based, in characters) of the first `needle` in `text`.
fn line_col(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Raw HTML in a body is checked like Markdown: a missing file or a broken `@/` link in
/// `<img src>`, `<a href>` or `<source srcset>` is an error at the attribute's line and
/// column; files that exist are not reported, and the built page links to them.
#[test]
fn local_paths_in_raw_html_are_resolved_and_reported() {
    let site = fixture("basic");
    let root = site.path();
    let delta = root.join("content/releases/2024-02/delta.md");
    let good = "\n<figure>\n<img alt=\"图\" src=\"../2024-01/alpha/figure.svg\">\n<img alt=\"缺\"\n     src=\"missing.png\">\n</figure>\n\n\
        正文 <a href=\"nope.pdf\">pdf</a>、<a href=\"@/releases/2024-01/alpha.md\">alpha</a>、<a href=\"@/releases/2024-01/ghost.md\">ghost</a>。\n\n\
        <picture><source srcset=\"../2024-01/alpha/figure.svg 1x, gone.webp 2x\"><img alt=\"p\" src=\"../2024-01/alpha/figure.svg\"></picture>\n\n\
        - 列表\n\n  > <img alt=\"引\" src=\"quoted.png\">\n";
    let text = fs::read_to_string(&delta).unwrap() + good;
    fs::write(&delta, &text).unwrap();
    let failure = gazette::check(&opts(root)).expect_err("missing files are errors");
    let mut got: Vec<(String, usize, usize)> = failure
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let l = d.location.as_ref().expect("a location");
            assert_eq!(
                l.file,
                std::path::Path::new("content/releases/2024-02/delta.md")
            );
            assert!(d.problem.hint().is_some(), "{d}");
            (d.problem.code().to_string(), l.line, l.column)
        })
        .collect();
    got.sort();
    let at = |code: &str, needle: &str| {
        let (l, c) = line_col(&text, needle);
        (code.to_string(), l, c)
    };
    let mut want = vec![
        at("missing-image", "src=\"missing.png\""),
        at("missing-image", "href=\"nope.pdf\""),
        at("broken-link", "href=\"@/releases/2024-01/ghost.md\""),
        at("missing-image", "gone.webp"),
        at("missing-image", "src=\"quoted.png\""),
    ];
    want.sort();
    assert_eq!(got, want, "{}", failure.report());
    // The report quotes the line of the attribute.
    assert!(failure.report().contains("src=\"missing.png\""));

    // With the broken references gone, the page links to the files and pages that exist.
    let fixed = text
        .replace("<img alt=\"缺\"\n     src=\"missing.png\">", "")
        .replace("nope.pdf", "../2024-01/alpha/figure.svg")
        .replace("<a href=\"@/releases/2024-01/ghost.md\">ghost</a>", "")
        .replace(", gone.webp 2x", "")
        .replace("quoted.png", "../2024-01/alpha/figure.svg");
    fs::write(&delta, fixed).unwrap();
    gazette::check(&opts(root)).expect("nothing missing now");
    build_ok(&opts(root));
    let out = root.join("output");
    let page = html(&out.join("releases/2024-02/delta/index.html"));
    let body = page
        .select(&scraper::Selector::parse("img[alt=图]").unwrap())
        .next()
        .expect("the raw <img> is kept");
    assert_eq!(
        body.attr("src"),
        Some("/results/releases/2024-01/alpha/figure.svg")
    );
    assert!(out.join("releases/2024-01/alpha/figure.svg").is_file());
    let hrefs: Vec<&str> = page
        .select(&scraper::Selector::parse("a").unwrap())
        .filter_map(|a| a.attr("href"))
        .collect();
    assert!(
        hrefs.contains(&"/results/releases/2024-01/alpha/figure.svg"),
        "{hrefs:?}"
    );
    assert!(
        hrefs.contains(&"/results/releases/2024-01/alpha/"),
        "{hrefs:?}"
    );
}
