//! Escaping and sanitising: script payloads in every kind of field, in Markdown (raw HTML,
//! `javascript:` links, event attributes, SVG) and in file names end up inert in every page,
//! feed, JSON-LD block and CSV file. Output is parsed, not grepped.

mod common;

use std::fs;

use common::*;

const P: &str = "<img src=x/p.svg onerror=alert(1)>\"'<script>alert(2)</script>";

fn hostile_site() -> tempfile::TempDir {
    let site = fixture("basic");
    let root = site.path();
    let t = |s: &str| toml::Value::String(s.to_string()).to_string();
    let entry = format!(
        "+++\ntitle = {title}\nsummary = {summary}\ninstitutions = [{inst}, \"浙江大学\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\nkeywords = [{kw}, \"=cmd|' /C calc'!A0\"]\nwebsite = \"https://example.org/?q=%22%3E%3Cscript%3E\"\ncover = \"x/p.svg\"\ncover_alt = {alt}\n\n[contact]\nname = {name}\nemail = \"a@example.org\"\n+++\n\n## {heading}\n\n<script>alert(3)</script>\n<img src=x/p.svg onerror=alert(4)>\n<svg onload=alert(5)><circle r=1 /></svg>\n<a href=\"javascript:alert(6)\">a</a> [b](javascript:alert(7)) <iframe src=\"https://evil.example\"></iframe>\n<p onclick=\"alert(8)\" style=\"background:url(javascript:alert(9))\">p</p>\n\n![x](x/p.svg \"{heading}\")\n",
        title = t(&format!("标题{P}")),
        summary = t(&format!("=SUM(A1) {P}")),
        inst = t(&format!("单位{P}")),
        kw = t(P),
        alt = t(P),
        name = t(P),
        heading = P.replace('"', "&quot;"),
    );
    fs::write(root.join("content/releases/2024-02/hostile.md"), entry).unwrap();
    fs::create_dir_all(root.join("content/releases/2024-02/x")).unwrap();
    // The image is a plain drawing: an SVG with a script is refused by the build itself
    // (tests/images.rs); what is tested here is the hostile alt text and title around it.
    fs::write(
        root.join("content/releases/2024-02/x/p.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"1\"/></svg>",
    )
    .unwrap();
    // Hostile plain Markdown, without raw HTML: the build writes it without the sanitiser,
    // so it must catch these itself.
    let plain = "+++\ntitle = \"纯文本\"\nsummary = \"摘要\"\ninstitutions = [\"浙江大学\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n\n[contact]\nname = \"王\"\nemail = \"a@example.org\"\n+++\n\n## 小节 {onclick=alert(11) onmouseover=alert(12)}\n\n[a](javascript:alert(13)) [b](JaVaScRiPt:alert(14)) [c](vbscript:x) <javascript:alert(15)>\n\n![d](data:image/svg+xml;base64,PHN2Zz4=) [e](data:text/html;base64,PHNjcmlwdD4=)\n\n[ok](https://example.org/ok)\n";
    fs::write(
        root.join("content/releases/2024-02/plain-hostile.md"),
        plain,
    )
    .unwrap();
    // A file name with markup in it, linked from the body.
    fs::write(root.join("content/releases/2024-02/x/\"><b>.pdf"), "pdf").unwrap();
    let p = root.join("content/releases/2024-02/hostile.md");
    let text = fs::read_to_string(&p).unwrap() + "\n[file](x/%22%3E%3Cb%3E.pdf)\n";
    fs::write(&p, text).unwrap();
    site
}

#[test]
fn every_html_page_is_inert() {
    let site = hostile_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let mut pages = 0;
    for (path, bytes) in files(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        pages += 1;
        let doc = scraper::Html::parse_document(&String::from_utf8_lossy(&bytes));
        for el in select(&doc, "*") {
            let v = el.value();
            for (name, value) in v.attrs() {
                assert!(!name.starts_with("on"), "{path}: <{}> has {name}", v.name());
                let lower = value.trim().to_lowercase();
                assert!(
                    !lower.starts_with("javascript:") && !lower.contains("url(javascript"),
                    "{path}: <{}> {name}={value}",
                    v.name()
                );
            }
            match v.name() {
                "script" => {
                    // Only JSON-LD data blocks and the theme's own scripts from the site.
                    let ld = v.attr("type") == Some("application/ld+json");
                    let own = v.attr("src").is_some_and(|s| s.starts_with("/results/"));
                    assert!(ld || own, "{path}: a script element: {}", el.html());
                    if ld {
                        let json = el.text().collect::<String>();
                        assert!(!json.contains("</"), "{path}: JSON-LD can close its script");
                        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
                        assert!(v.is_object() || v.is_array());
                    }
                }
                "iframe" | "object" | "embed" | "svg" => {
                    assert!(
                        !el.ancestors().any(|a| a.value().as_element().is_some_and(
                            |e| e.has_class("prose", scraper::CaseSensitivity::CaseSensitive)
                        )),
                        "{path}: <{}> from an entry body survived",
                        v.name()
                    );
                }
                _ => {}
            }
        }
    }
    assert!(pages > 20);
    // The payload is shown as text where it was typed.
    let entry = html(&out.join("releases/2024-02/hostile/index.html"));
    assert_eq!(texts(&entry, "h1"), [format!("标题{P}")]);
    assert_eq!(attrs(&entry, ".cover img", "alt"), [P]);
    assert!(texts(&entry, ".field-contact dd")[0].contains(P));
    assert!(texts(&entry, ".field-institutions dd")[0].contains(&format!("单位{P}")));
    // Plain Markdown's links keep only web and relative URLs, and get the sanitiser's rel.
    let plain = html(&out.join("releases/2024-02/plain-hostile/index.html"));
    let mut urls = attrs(&plain, ".prose a", "href");
    urls.extend(attrs(&plain, ".prose img", "src"));
    assert!(
        urls.contains(&"https://example.org/ok".to_string()),
        "{urls:?}"
    );
    for u in &urls {
        let lower = u.to_lowercase();
        assert!(
            !["javascript:", "vbscript:", "data:"]
                .iter()
                .any(|s| lower.contains(s)),
            "{u}"
        );
    }
    assert!(
        attrs(&plain, ".prose a", "rel")
            .iter()
            .all(|r| r == "noopener noreferrer")
    );
    // The file with markup in its name is linked, percent-encoded.
    let links = attrs(&entry, ".prose a", "href");
    assert!(
        links.iter().any(|h| h.ends_with("/x/%22%3E%3Cb%3E.pdf")),
        "{links:?}"
    );
}

/// Would a spreadsheet run this cell as a formula? (A negative number is just a number.)
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '@']) || (cell.starts_with('-') && cell.parse::<f64>().is_err())
}

#[test]
fn feeds_and_csv_are_inert() {
    let site = hostile_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let feed = fs::read_to_string(out.join("feed.xml")).unwrap();
    let doc = roxmltree::Document::parse(&feed).expect("the feed is well-formed XML");
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    assert!(titles.contains(&format!("标题{P}").as_str()), "{titles:?}");
    let bytes = fs::read(out.join("data/entries.csv")).unwrap();
    let mut rdr = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    let headers = rdr.headers().unwrap().clone();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (h, cell) in headers.iter().zip(rec.iter()) {
            assert!(!formula(cell), "column {h}: formula cell {cell:?}");
        }
    }
}
