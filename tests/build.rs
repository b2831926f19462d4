//! Whole-tool tests of `gazette build` on fixture sites and on the sample site: pages at
//! their URLs, links under a base_url prefix, taxonomies, translations, drafts, atomic and
//! deterministic output.

mod common;

use std::fs;
use std::path::Path;

use common::*;

#[test]
fn sample_site_builds_and_every_internal_link_resolves() {
    let site = sample_site();
    let out = site.path().join("output");
    let summary = build_ok(&opts(site.path()));
    assert!(summary.entries >= 15, "{summary}");
    assert_eq!(summary.releases, 3);
    assert_eq!(summary.held_back.drafts, 1);
    assert_eq!(summary.held_back.embargoed, 1);
    let all = files(&out);
    let mut checked = 0;
    for (path, _) in all.iter().filter(|(p, _)| p.ends_with(".html")) {
        let doc = html(&out.join(path));
        for css in ["a[href]", "link[href]", "img[src]"] {
            let attr = if css.starts_with("img") {
                "src"
            } else {
                "href"
            };
            for url in attrs(&doc, css, attr) {
                let Some(rest) = url.strip_prefix("/results/") else {
                    assert!(
                        !url.starts_with('/'),
                        "{path}: root-relative link without the base path prefix: {url}"
                    );
                    continue;
                };
                let rest = rest.split('#').next().unwrap();
                let target = if rest.is_empty() || rest.ends_with('/') {
                    format!("{rest}index.html")
                } else {
                    rest.to_string()
                };
                assert!(all.contains_key(&target), "{path}: broken link {url}");
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} links checked");
}

#[test]
fn pages_exist_at_pretty_urls() {
    let site = fixture("basic");
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    for p in [
        "index.html",
        "en/index.html",
        "releases/index.html",
        "releases/2024-01/index.html",
        "releases/2024-01/alpha/index.html",
        "releases/2024-01/alpha/figure.svg",
        "en/releases/2024-01/alpha/index.html",
        "releases/2024-01/beta/index.html",
        "fields/index.html",
        "fields/new-materials/index.html",
        "stage/pilot/index.html",
        "institutions/zhe-jiang-da-xue/index.html",
        "en/institutions/zhejiang-university/index.html",
        "about/index.html",
        "en/about/index.html",
        "404.html",
        "en/404.html",
        "style.css",
    ] {
        assert!(out.join(p).is_file(), "missing {p}");
    }
    // Entries without a translation have no English page.
    assert!(!out.join("en/releases/2024-01/beta/index.html").exists());
    let home = html(&out.join("index.html"));
    assert_eq!(attrs(&home, "html", "lang"), ["zh"]);
    let en = html(&out.join("en/index.html"));
    assert_eq!(attrs(&en, "html", "lang"), ["en"]);
    assert_eq!(texts(&en, ".brand"), ["Test site"]);
}

#[test]
fn links_honour_the_base_url_prefix_and_override() {
    let site = fixture("basic");
    let mut o = opts(site.path());
    o.base_url = Some("https://cdn.example.com/deep/path/".into());
    build_ok(&o);
    let doc = html(&site.path().join("output/releases/2024-01/alpha/index.html"));
    let body_links = attrs(&doc, ".prose a", "href");
    assert!(
        body_links.contains(&"/deep/path/releases/2024-01/beta/".to_string()),
        "{body_links:?}"
    );
    assert_eq!(
        attrs(&doc, "link[rel=canonical]", "href"),
        ["https://cdn.example.com/deep/path/releases/2024-01/alpha/"]
    );
    assert_eq!(
        attrs(&doc, ".prose img", "src"),
        ["/deep/path/releases/2024-01/alpha/figure.svg"]
    );
    assert_eq!(
        attrs(&doc, ".cover img", "src"),
        ["/deep/path/releases/2024-01/alpha/figure.svg"]
    );
    assert_eq!(attrs(&doc, ".cover img", "alt"), ["工艺示意图"]);
}

#[test]
fn taxonomy_pages_list_the_right_entries_and_paginate() {
    let site = fixture("basic");
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    // new-materials: alpha, gamma, delta (draft-one held back) → 2 per page.
    let p1 = html(&out.join("fields/new-materials/index.html"));
    let p2 = html(&out.join("fields/new-materials/page/2/index.html"));
    let mut titles = texts(&p1, ".card-title");
    titles.extend(texts(&p2, ".card-title"));
    titles.sort();
    assert_eq!(titles, ["伽马新材料", "德尔塔新材料", "阿尔法新材料"]);
    assert_eq!(
        attrs(&p1, "a[rel=next]", "href"),
        ["/results/fields/new-materials/page/2/"]
    );
    assert!(!out.join("fields/new-materials/page/3/index.html").exists());
    let stage = html(&out.join("stage/research/index.html"));
    let mut t = texts(&stage, ".card-title");
    t.sort();
    assert_eq!(t, ["德尔塔新材料", "贝塔精细化工"]);
    let index = html(&out.join("fields/index.html"));
    assert_eq!(texts(&index, ".terms a"), ["新材料", "精细化工"]);
    assert_eq!(texts(&index, ".terms .count"), ["3", "1"]);
    let en_index = html(&out.join("en/fields/index.html"));
    assert_eq!(
        texts(&en_index, ".terms a"),
        ["New materials", "Fine chemicals"]
    );
}

#[test]
fn free_text_terms_that_make_one_slug_are_one_term_labelled_by_its_first_entry() {
    let site = fixture("basic");
    let release = site.path().join("content/releases/2024-02");
    let set = |file: &str, from: &str, to: &str| {
        let path = release.join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has {from}");
        fs::write(&path, text.replace(from, to)).unwrap();
    };
    // In site order gamma (伽马) comes before delta (德尔塔); delta names the same
    // institution twice more, spelled as the same slug.
    set(
        "gamma.md",
        r#"institutions = ["浙江大学"]"#,
        r#"institutions = ["Ningbo University", "浙江大学"]"#,
    );
    set(
        "delta.md",
        r#"institutions = ["宁波大学"]"#,
        r#"institutions = ["宁波大学", "ningbo university", "NINGBO UNIVERSITY"]"#,
    );
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    // By number of entries, then label: 浙江大学 (gamma, alpha, beta; the draft and the
    // embargoed entry held back), then the two with 2, "N" before "宁".
    let index = html(&out.join("institutions/index.html"));
    assert_eq!(
        texts(&index, ".terms a"),
        ["浙江大学", "Ningbo University", "宁波大学"]
    );
    assert_eq!(texts(&index, ".terms .count"), ["3", "2", "2"]);
    let term = html(&out.join("institutions/ningbo-university/index.html"));
    assert_eq!(
        texts(&term, ".card-title"),
        ["伽马新材料", "德尔塔新材料"],
        "each entry once, in site order"
    );
}

#[test]
fn release_page_groups_entries_by_field_with_counts() {
    let site = fixture("basic");
    build_ok(&opts(site.path()));
    let doc = html(&site.path().join("output/releases/2024-01/index.html"));
    let groups = texts(&doc, ".group > h3");
    assert_eq!(groups, ["新材料 1", "精细化工 1"]);
    assert_eq!(texts(&doc, ".prose.intro p"), ["第一批成果的介绍。"]);
}

#[test]
fn translations_link_each_other_with_hreflang() {
    let site = fixture("basic");
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let zh = html(&out.join("releases/2024-01/alpha/index.html"));
    let en = html(&out.join("en/releases/2024-01/alpha/index.html"));
    let alt = |d: &scraper::Html| {
        let mut v: Vec<(String, String)> = select(d, "link[rel=alternate][hreflang]")
            .iter()
            .map(|e| {
                (
                    e.value().attr("hreflang").unwrap().into(),
                    e.value().attr("href").unwrap().into(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let expected = vec![
        (
            "en".to_string(),
            "https://example.org/results/en/releases/2024-01/alpha/".to_string(),
        ),
        (
            "zh".to_string(),
            "https://example.org/results/releases/2024-01/alpha/".to_string(),
        ),
    ];
    assert_eq!(alt(&zh), expected);
    assert_eq!(alt(&en), expected);
    // The English version inherits untranslated fields and overrides translated ones.
    assert_eq!(texts(&en, "h1"), ["Alpha new material"]);
    let contact = texts(&en, ".field-contact dd");
    assert!(
        contact[0].contains("Zhang San") && contact[0].contains("zhang@example.org"),
        "{contact:?}"
    );
    assert_eq!(texts(&en, ".field-trl dd"), ["6"]);
    assert_eq!(texts(&en, ".field-stage dd"), ["Pilot"]);
    // English links point to English pages when they exist, else to the original.
    let en_links = attrs(&en, ".prose a", "href");
    assert!(
        en_links.contains(&"/results/releases/2024-01/beta/".to_string()),
        "{en_links:?}"
    );
    // Untranslated pages have only themselves as alternate.
    let beta = html(&out.join("releases/2024-01/beta/index.html"));
    assert_eq!(
        attrs(&beta, "link[rel=alternate][hreflang]", "hreflang"),
        ["zh"]
    );
    // The switcher on an untranslated page sends English readers to the English home page.
    assert!(attrs(&beta, ".lang-switch a", "href").contains(&"/results/en/".to_string()));
}

#[test]
fn drafts_and_embargoed_entries_are_held_back_unless_asked() {
    let site = fixture("basic");
    let s = build_ok(&opts(site.path()));
    assert_eq!((s.held_back.drafts, s.held_back.embargoed), (1, 1));
    let out = site.path().join("output");
    assert!(!out.join("releases/2024-02/draft-one/index.html").exists());
    assert!(!out.join("releases/2024-02/secret/index.html").exists());
    let all = files(&out);
    for (p, bytes) in &all {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("草稿成果") && !text.contains("保密成果"),
            "{p} mentions a held-back entry"
        );
    }
    let mut o = opts(site.path());
    o.drafts = true;
    let s = build_ok(&o);
    assert_eq!((s.held_back.drafts, s.held_back.embargoed), (0, 0));
    let d = html(&out.join("releases/2024-02/draft-one/index.html"));
    assert_eq!(attrs(&d, ".banner", "class"), ["banner banner-draft"]);
    let e = html(&out.join("releases/2024-02/secret/index.html"));
    assert!(texts(&e, ".banner-embargoed")[0].contains("2099-01-01T01:00:00Z"));
}

#[test]
fn markdown_features_and_sanitising() {
    let site = fixture("basic");
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let a = html(&out.join("releases/2024-01/alpha/index.html"));
    assert_eq!(attrs(&a, ".prose h2", "id"), ["ji-shu-jian-jie"]);
    assert_eq!(select(&a, ".prose table td").len(), 2);
    assert_eq!(select(&a, ".prose del").len(), 1);
    assert_eq!(select(&a, ".prose input[type=checkbox][checked]").len(), 1);
    assert_eq!(select(&a, ".prose .footnote-definition").len(), 1);
    let b = html(&out.join("releases/2024-01/beta/index.html"));
    // The only script a page may carry is its JSON-LD data block (not executable).
    assert!(
        select(&b, "script:not([type=\"application/ld+json\"])").is_empty(),
        "script survived sanitising"
    );
    assert!(select(&b, ".prose script").is_empty());
    for href in attrs(&b, ".prose a", "href") {
        assert!(!href.starts_with("javascript:"), "{href}");
    }
    assert_eq!(texts(&b, ".prose h2"), ["技术简介"]);
}

#[test]
fn toml_and_markdown_entries_render_the_same() {
    let site = fixture("basic");
    let dir = site.path().join("content/releases/2024-02");
    let md = "+++\ntitle = \"同题\"\nsummary = \"s\"\ninstitutions = [\"甲\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n## 标题\n\n正文 **粗体**。\n";
    let toml = "title = \"同题二\"\nsummary = \"s\"\ninstitutions = [\"甲\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\nbody = \"\"\"\n## 标题\n\n正文 **粗体**。\n\"\"\"\n\n[contact]\nname = \"n\"\n";
    fs::write(dir.join("same-md.md"), md).unwrap();
    fs::write(dir.join("same-toml.toml"), toml).unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output/releases/2024-02");
    let a = html(&out.join("same-md/index.html"));
    let b = html(&out.join("same-toml/index.html"));
    let inner = |d: &scraper::Html| select(d, ".prose")[0].inner_html();
    assert_eq!(inner(&a), inner(&b));
    assert_eq!(texts(&a, ".facts dd"), texts(&b, ".facts dd"));
}

#[test]
fn two_builds_are_byte_identical() {
    let site = fixture("basic");
    let o1 = site.path().join("out1");
    let o2 = site.path().join("out2");
    let mut o = opts(site.path());
    o.output = Some(o1.clone());
    build_ok(&o);
    o.output = Some(o2.clone());
    build_ok(&o);
    let (a, b) = (files(&o1), files(&o2));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between builds");
    }
}

#[test]
fn failed_build_leaves_previous_output_untouched() {
    let site = fixture("basic");
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let before = files(&out);
    fs::write(
        site.path().join("content/releases/2024-01/alpha.md"),
        "+++\ntitle = \n+++\n",
    )
    .unwrap();
    let err = gazette::build(&opts(site.path())).unwrap_err();
    assert!(err.errors() >= 1);
    assert_eq!(files(&out), before);
    let leftovers: Vec<_> = fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.contains(".old-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_rebuild_removes_pages_that_no_longer_exist() {
    let site = fixture("basic");
    build_ok(&opts(site.path()));
    fs::remove_file(site.path().join("content/releases/2024-02/delta.md")).unwrap();
    build_ok(&opts(site.path()));
    assert!(
        !site
            .path()
            .join("output/releases/2024-02/delta/index.html")
            .exists()
    );
}

#[test]
fn dangerous_output_paths_are_refused() {
    let site = fixture("basic");
    let root = site.path();
    for bad in [
        root.to_path_buf(),
        root.join("content"),
        root.join("content/releases"),
        root.parent().unwrap().to_path_buf(),
        Path::new("/").to_path_buf(),
    ] {
        let mut o = opts(root);
        o.output = Some(bad.clone());
        let err = gazette::build(&o).unwrap_err();
        assert_eq!(
            err.diagnostics[0].problem.code(),
            "output-refused",
            "{}",
            bad.display()
        );
    }
    // A non-empty folder Gazette did not write is not replaced.
    let foreign = root.join("mine");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("keep.txt"), "precious").unwrap();
    let mut o = opts(root);
    o.output = Some(foreign.clone());
    assert!(gazette::build(&o).is_err());
    assert_eq!(
        fs::read_to_string(foreign.join("keep.txt")).unwrap(),
        "precious"
    );
    assert!(root.join("content/releases/2024-01/alpha.md").exists());
}

#[test]
fn site_templates_override_theme_templates() {
    let site = fixture("basic");
    fs::create_dir_all(site.path().join("templates")).unwrap();
    fs::write(
        site.path().join("templates/404.html"),
        "<!DOCTYPE html><html lang=\"{{ lang }}\"><body><h1 id=\"custom\">{{ site.title }}</h1></body></html>",
    )
    .unwrap();
    build_ok(&opts(site.path()));
    let d = html(&site.path().join("output/404.html"));
    assert_eq!(texts(&d, "#custom"), ["测试站"]);
    // Other templates still come from the theme.
    let home = html(&site.path().join("output/index.html"));
    assert_eq!(select(&home, ".hero").len(), 1);
}

#[test]
fn a_site_card_template_is_what_every_list_shows() {
    let site = fixture("basic");
    fs::create_dir_all(site.path().join("templates")).unwrap();
    // A card that uses every variable its context promises: `e`, `t`, `lang`,
    // `default_lang` and `site`.
    fs::write(
        site.path().join("templates/card.html"),
        "<p class=\"mine\" data-lang=\"{{ lang }}/{{ default_lang }}\" data-site=\"{{ site.title }}\">\
         <a href=\"{{ e.url }}\">{{ e.title }}</a> <span>{{ t.releases }}</span></p>",
    )
    .unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let release = html(&out.join("releases/2024-01/index.html"));
    assert!(
        select(&release, ".card").is_empty(),
        "the theme's card is not used"
    );
    let mut titles = texts(&release, ".mine a");
    titles.sort();
    // Grouped by field, each entry once per group it is in.
    assert_eq!(titles, ["贝塔精细化工", "阿尔法新材料"]);
    assert_eq!(attrs(&release, ".mine", "data-lang")[0], "zh/zh");
    assert_eq!(attrs(&release, ".mine", "data-site")[0], "测试站");
    let term = html(&out.join("stage/research/index.html"));
    let mut t = texts(&term, ".mine a");
    t.sort();
    assert_eq!(t, ["德尔塔新材料", "贝塔精细化工"]);
    let en = html(&out.join("en/releases/2024-01/index.html"));
    let langs = attrs(&en, ".mine", "data-lang");
    assert!(
        !langs.is_empty() && langs.iter().all(|l| l == "en/zh"),
        "{langs:?}"
    );
    assert!(texts(&en, ".mine span").iter().all(|s| s == "Releases"));
    let home = html(&out.join("index.html"));
    assert!(!select(&home, ".mine").is_empty());
}

#[test]
fn values_are_escaped_in_pages() {
    let site = fixture("basic");
    let p = site.path().join("content/releases/2024-02/gamma.md");
    let text = fs::read_to_string(&p).unwrap().replace(
        "title = \"伽马新材料\"",
        "title = \"<img src=x onerror=alert(1)>伽马\"",
    );
    fs::write(&p, text).unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    for page in [
        "releases/2024-02/gamma/index.html",
        "releases/2024-02/index.html",
        "stage/pilot/index.html",
    ] {
        let d = html(&out.join(page));
        assert!(select(&d, "img[onerror]").is_empty(), "{page}");
        assert!(
            texts(&d, "body")[0].contains("<img src=x onerror=alert(1)>伽马"),
            "{page}"
        );
    }
}

#[test]
fn footer_notice_comes_from_site_toml_and_404_has_no_canonical() {
    let site = sample_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    let zh = html(&out.join("index.html"));
    assert!(texts(&zh, ".site-footer")[0].contains("本站内容均为示例数据。"));
    let en = html(&out.join("en/index.html"));
    assert!(texts(&en, ".site-footer")[0].contains("All content on this site is sample data."));
    let nf = html(&out.join("404.html"));
    assert!(select(&nf, "link[rel=canonical]").is_empty());
    // A site without a notice says nothing of the kind.
    let plain = fixture("basic");
    build_ok(&opts(plain.path()));
    let home = html(&plain.path().join("output/index.html"));
    assert!(!texts(&home, ".site-footer")[0].contains("示例"));
}

/// A build writes pages as they are rendered and streams the open data files into the
/// output; `serve` and the tests render in memory. Both give the same bytes, file for file.
#[test]
fn disk_build_writes_exactly_what_the_in_memory_render_gives() {
    let site = sample_site();
    let o = opts(site.path());
    build_ok(&o);
    let written = files(&site.path().join("output"));
    let loaded = gazette::load_site(&o).unwrap_or_else(|f| panic!("{}", f.report()));
    let rendered = gazette::render_site(&loaded, site.path()).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(
        rendered.files.iter().any(|f| f.path == "data/entries.json")
            && rendered.files.iter().any(|f| f.path == "data/entries.csv"),
        "the sample site has site-wide open data"
    );
    for f in &rendered.files {
        let on_disk = written
            .get(&f.path)
            .unwrap_or_else(|| panic!("{} not written", f.path));
        assert!(*on_disk == f.bytes, "{} differs on disk", f.path);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&written["data/entries.json"]).expect("entries.json parses");
    assert_eq!(json["count"], json["entries"].as_array().unwrap().len());
}

/// A build writes entry pages and search documents while the search index is built, 512
/// documents at a time, letting go of each body's HTML once written. With more documents
/// than that (some translated, some drafts, which are not indexed and wait for the other
/// pages), every file is still exactly what the in-memory render gives, and no more.
#[test]
fn entries_written_as_the_index_streams_match_the_in_memory_render() {
    let site = sample_site();
    let release = site.path().join("content/releases/2025-01");
    let original = fs::read_to_string(release.join("bio-pentanediamine.md")).unwrap();
    let translation = fs::read_to_string(release.join("bio-pentanediamine.en.md")).unwrap();
    let retitle = |text: &str, n: usize| -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let title = lines
            .iter_mut()
            .find(|l| l.starts_with("title = "))
            .expect("a title line");
        *title = title.replacen("title = \"", &format!("title = \"{n:04} "), 1);
        let mut out = lines.join("\n");
        if n % 50 == 7 {
            out = out.replacen("+++\n", "+++\ndraft = true\n", 1);
        }
        out + "\n"
    };
    for n in 0..1100 {
        fs::write(release.join(format!("bulk-{n}.md")), retitle(&original, n)).unwrap();
        if n % 3 == 0 {
            let en = translation.replacen("title = \"", &format!("title = \"{n:04} "), 1);
            fs::write(release.join(format!("bulk-{n}.en.md")), en).unwrap();
        }
    }
    let o = opts(site.path());
    let summary = build_ok(&o);
    assert!(summary.entries > 1050, "{} entries", summary.entries);
    let written = files(&site.path().join("output"));
    let loaded = gazette::load_site(&o).unwrap_or_else(|f| panic!("{}", f.report()));
    let rendered = gazette::render_site(&loaded, site.path()).unwrap_or_else(|d| panic!("{d:?}"));
    let docs = rendered
        .files
        .iter()
        .filter(|f| f.path.starts_with("search/doc/"))
        .count();
    assert!(docs > 1024, "{docs} documents: more than two chunks");
    for f in &rendered.files {
        let on_disk = written
            .get(&f.path)
            .unwrap_or_else(|| panic!("{} not written", f.path));
        assert!(*on_disk == f.bytes, "{} differs on disk", f.path);
    }
    // Nothing else is written but the copies and the output folder's marker.
    let mut expected: std::collections::BTreeSet<&str> =
        rendered.files.iter().map(|f| f.path.as_str()).collect();
    expected.extend(rendered.plan.copies.iter().map(|c| c.to.as_str()));
    expected.insert(".gazette-output");
    let on_disk: std::collections::BTreeSet<&str> = written.keys().map(String::as_str).collect();
    assert_eq!(on_disk, expected);
    // An entry page shows its body (its HTML was not let go of before the page was written).
    let page = html(
        &site
            .path()
            .join("output/releases/2025-01/bulk-1099/index.html"),
    );
    assert!(
        !select(&page, ".prose h2").is_empty(),
        "the last entry's page has its body"
    );
}
