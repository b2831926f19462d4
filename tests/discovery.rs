//! Discovery outputs of `gazette build`, read back with real parsers: Atom feeds and sitemaps
//! (roxmltree), robots.txt, open data (serde_json, csv), JSON-LD and sharing tags in pages
//! (scraper + serde_json). Drafts and embargoed entries must appear in none of them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value as Json;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const SITEMAP: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const XHTML: &str = "http://www.w3.org/1999/xhtml";
const BASE: &str = "https://example.org/results/";

/// The `basic` fixture plus transfer modes, a fuller contact table and an entry whose values
/// try formula injection in CSV and a `</script>` breakout in JSON-LD.
fn discovery_site() -> tempfile::TempDir {
    let site = fixture("basic");
    let root = site.path();
    let mut toml = fs::read_to_string(root.join("site.toml")).unwrap();
    toml.push_str(
        r#"
[schema.modes]
kind = "list"
label = { zh = "合作方式", en = "Transfer modes" }
[schema.modes.item]
kind = "enum"
options = [
  { key = "transfer", zh = "转让", en = "Transfer" },
  { key = "licence", zh = "许可", en = "Licence" },
  { key = "consulting", zh = "技术咨询", en = "Consulting" },
]

[schema.contact.fields.org]
kind = "text"
[schema.contact.fields.phone]
kind = "text"
"#,
    );
    fs::write(root.join("site.toml"), toml).unwrap();
    fs::write(
        root.join("content/releases/2024-02/omega.md"),
        r#"+++
title = "欧米伽催化剂"
summary = "摘要 </script><script>alert(1)</script> & <!-- 结束"
institutions = ["宁波大学", "浙江大学"]
fields = ["fine-chemicals"]
stage = "pilot"
trl = 7
date = 2024-06-15
keywords = ["=HYPERLINK(\"http://evil.example\")", "催化剂"]
modes = ["transfer", "licence", "consulting"]

[contact]
name = "钱七"
org = "宁波大学技术转移中心"
phone = "+86 574 0000 0000"
email = "qian@example.org"
+++

欧米伽正文。
"#,
    )
    .unwrap();
    // The translation names its institutions in English, so the English 浙江大学 term has
    // fewer entries (and pages) than the Chinese one.
    fs::write(
        root.join("content/releases/2024-02/omega.en.md"),
        r#"+++
title = "Omega catalyst"
summary = "A catalyst."
institutions = ["Ningbo University", "Zhejiang University"]
+++

Omega.
"#,
    )
    .unwrap();
    site
}

/// Public entries of [`discovery_site`] as (release, slug).
const PUBLIC: [(&str, &str); 5] = [
    ("2024-02", "gamma"),
    ("2024-02", "delta"),
    ("2024-02", "omega"),
    ("2024-01", "alpha"),
    ("2024-01", "beta"),
];

/// Words that identify the held-back entries of the fixture.
const HELD: [&str; 4] = ["draft-one", "secret", "草稿成果", "保密成果"];

fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let site = discovery_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    (site, out)
}

/// The output file an absolute URL under [`BASE`] maps to.
fn file_of(url: &str) -> String {
    let rest = url
        .strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not under {BASE}"));
    if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    }
}

fn read(out: &Path, rel: &str) -> String {
    fs::read_to_string(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn child<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    ns: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name((ns, name)))
}

fn child_text(n: roxmltree::Node<'_, '_>, ns: &str, name: &str) -> String {
    child(n, ns, name)
        .and_then(|c| c.text())
        .unwrap_or_default()
        .to_string()
}

/// A parsed Atom feed: (feed id, self link, updated, entries as (title, link, updated, xml:lang)).
struct Atom {
    id: String,
    self_link: String,
    alternate: String,
    updated: String,
    lang: String,
    entries: Vec<(String, String, String, Option<String>, String)>,
}

fn atom(out: &Path, rel: &str) -> Atom {
    let text = read(out, rel);
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "{rel}: not an Atom feed");
    for required in ["id", "title", "updated", "author"] {
        assert!(
            child(feed, ATOM, required).is_some(),
            "{rel}: no <{required}>"
        );
    }
    let link = |n: roxmltree::Node<'_, '_>, rel_name: &str| {
        n.children()
            .filter(|c| c.has_tag_name((ATOM, "link")))
            .find(|c| c.attribute("rel").unwrap_or("alternate") == rel_name)
            .and_then(|c| c.attribute("href"))
            .unwrap_or_default()
            .to_string()
    };
    let xml_lang = |n: roxmltree::Node<'_, '_>| {
        n.attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
            .map(str::to_string)
    };
    let entries = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .map(|e| {
            for required in ["id", "title", "updated"] {
                assert!(
                    child(e, ATOM, required).is_some(),
                    "{rel}: entry without <{required}>"
                );
            }
            (
                child_text(e, ATOM, "title"),
                link(e, "alternate"),
                child_text(e, ATOM, "updated"),
                child(e, ATOM, "title").and_then(xml_lang),
                child_text(e, ATOM, "summary"),
            )
        })
        .collect();
    Atom {
        id: child_text(feed, ATOM, "id"),
        self_link: link(feed, "self"),
        alternate: link(feed, "alternate"),
        updated: child_text(feed, ATOM, "updated"),
        lang: xml_lang(feed).unwrap_or_default(),
        entries,
    }
}

#[test]
fn feeds_are_atom_with_absolute_urls_for_site_release_and_term() {
    let (_site, out) = built();
    let all = files(&out);

    let zh = atom(&out, "feed.xml");
    assert_eq!(zh.self_link, format!("{BASE}feed.xml"));
    assert_eq!(zh.id, zh.self_link);
    assert_eq!(zh.alternate, BASE);
    assert_eq!(zh.lang, "zh");
    assert_eq!(zh.entries.len(), PUBLIC.len());
    // Newest first; the feed is as new as its newest entry; timestamps come from dates.
    assert_eq!(zh.entries[0].0, "欧米伽催化剂");
    assert_eq!(zh.updated, "2024-06-15T00:00:00+00:00");
    let dates: Vec<&str> = zh.entries.iter().map(|e| e.2.as_str()).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    // Markup in a summary is text, not markup, once parsed.
    assert!(
        zh.entries[0]
            .4
            .contains("</script><script>alert(1)</script> & <!--")
    );

    let en = atom(&out, "en/feed.xml");
    assert_eq!(en.self_link, format!("{BASE}en/feed.xml"));
    assert_eq!(en.alternate, format!("{BASE}en/"));
    assert_eq!(en.lang, "en");
    let alpha = en
        .entries
        .iter()
        .find(|e| e.0 == "Alpha new material")
        .unwrap();
    assert_eq!(alpha.1, format!("{BASE}en/releases/2024-01/alpha/"));
    assert_eq!(
        alpha.3, None,
        "a translated entry is in the feed's language"
    );
    let beta = en.entries.iter().find(|e| e.0 == "贝塔精细化工").unwrap();
    assert_eq!(beta.1, format!("{BASE}releases/2024-01/beta/"));
    assert_eq!(
        beta.3.as_deref(),
        Some("zh"),
        "untranslated text is marked as Chinese"
    );

    let release = atom(&out, "releases/2024-01/feed.xml");
    assert_eq!(release.alternate, format!("{BASE}releases/2024-01/"));
    let titles: BTreeSet<&str> = release.entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(titles, BTreeSet::from(["阿尔法新材料", "贝塔精细化工"]));
    assert_eq!(release.updated, "2024-03-01T00:00:00+00:00");
    let release_en = atom(&out, "en/releases/2024-01/feed.xml");
    assert_eq!(release_en.entries.len(), 2);

    let term = atom(&out, "fields/fine-chemicals/feed.xml");
    assert_eq!(term.alternate, format!("{BASE}fields/fine-chemicals/"));
    let titles: BTreeSet<&str> = term.entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(titles, BTreeSet::from(["欧米伽催化剂", "贝塔精细化工"]));
    assert!(all.contains_key("en/fields/fine-chemicals/feed.xml"));

    // Every URL in every feed is absolute under the base URL and lands on a built file.
    for (path, bytes) in all.iter().filter(|(p, _)| p.ends_with("feed.xml")) {
        let text = String::from_utf8(bytes.clone()).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        for n in doc.descendants().filter(|n| n.has_tag_name((ATOM, "link"))) {
            let href = n.attribute("href").unwrap();
            assert!(all.contains_key(&file_of(href)), "{path}: {href} not built");
        }
        for n in doc.descendants().filter(|n| n.has_tag_name((ATOM, "id"))) {
            assert!(
                n.text().unwrap().starts_with(BASE),
                "{path}: id {:?}",
                n.text()
            );
        }
    }

    // Pages announce their feeds, most specific first; every announced feed exists.
    let page = html(&out.join("releases/2024-01/alpha/index.html"));
    assert_eq!(
        attrs(
            &page,
            "link[rel=alternate][type=\"application/atom+xml\"]",
            "href"
        ),
        ["/results/releases/2024-01/feed.xml", "/results/feed.xml"]
    );
    let term_page = html(&out.join("en/fields/new-materials/page/2/index.html"));
    assert_eq!(
        attrs(
            &term_page,
            "link[rel=alternate][type=\"application/atom+xml\"]",
            "href"
        )[0],
        "/results/en/fields/new-materials/feed.xml"
    );
    for (path, _) in all.iter().filter(|(p, _)| p.ends_with(".html")) {
        let doc = html(&out.join(path));
        let feeds = attrs(
            &doc,
            "link[rel=alternate][type=\"application/atom+xml\"]",
            "href",
        );
        assert!(!feeds.is_empty(), "{path} announces no feed");
        for f in feeds {
            let rel = f.strip_prefix("/results/").unwrap();
            atom(&out, rel);
        }
    }
}

#[test]
fn feeds_honour_a_base_url_override() {
    let site = discovery_site();
    let mut o = opts(site.path());
    o.base_url = Some("https://mirror.example.net/deep/path/".into());
    build_ok(&o);
    let out = site.path().join("output");
    let feed = atom(&out, "en/releases/2024-02/feed.xml");
    assert_eq!(
        feed.self_link,
        "https://mirror.example.net/deep/path/en/releases/2024-02/feed.xml"
    );
    for e in &feed.entries {
        assert!(
            e.1.starts_with("https://mirror.example.net/deep/path/"),
            "{}",
            e.1
        );
    }
    let sitemap = read(&out, "sitemap.xml");
    assert!(sitemap.contains("<loc>https://mirror.example.net/deep/path/</loc>"));
    assert!(!sitemap.contains("example.org"));
}

/// Every `<url>` of a sitemap: loc → (lastmod, alternates as hreflang → href).
fn urlset(text: &str) -> BTreeMap<String, (Option<String>, BTreeMap<String, String>)> {
    let doc = roxmltree::Document::parse(text).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name((SITEMAP, "urlset")));
    let mut map = BTreeMap::new();
    for u in root.children().filter(|c| c.has_tag_name((SITEMAP, "url"))) {
        let loc = child_text(u, SITEMAP, "loc");
        let lastmod = child(u, SITEMAP, "lastmod")
            .and_then(|n| n.text())
            .map(str::to_string);
        let alternates = u
            .children()
            .filter(|c| c.has_tag_name((XHTML, "link")))
            .map(|l| {
                assert_eq!(l.attribute("rel"), Some("alternate"));
                (
                    l.attribute("hreflang").unwrap().to_string(),
                    l.attribute("href").unwrap().to_string(),
                )
            })
            .collect();
        assert!(
            map.insert(loc.clone(), (lastmod, alternates)).is_none(),
            "{loc} twice"
        );
    }
    map
}

#[test]
fn sitemap_lists_every_page_with_lastmod_and_reciprocal_hreflang() {
    let (_site, out) = built();
    let all = files(&out);
    let urls = urlset(&read(&out, "sitemap.xml"));

    // Exactly the HTML pages, without the 404 pages.
    let listed: BTreeSet<String> = urls.keys().map(|u| file_of(u)).collect();
    let pages: BTreeSet<String> = all
        .keys()
        .filter(|p| p.ends_with(".html") && !p.ends_with("404.html"))
        .cloned()
        .collect();
    assert_eq!(listed, pages);

    let at = |path: &str| &urls[&format!("{BASE}{path}")];
    assert_eq!(
        at("releases/2024-01/alpha/").0.as_deref(),
        Some("2024-03-01")
    );
    assert_eq!(
        at("releases/2024-02/omega/").0.as_deref(),
        Some("2024-06-15")
    );
    assert_eq!(at("releases/2024-01/").0.as_deref(), Some("2024-03-01"));
    assert_eq!(at("releases/2024-02/").0.as_deref(), Some("2024-06-15"));
    assert_eq!(at("").0.as_deref(), Some("2024-06-15"));
    assert_eq!(at("about/").0, None, "standalone pages have no date");

    // A translated entry lists both versions, itself included; an untranslated one none.
    let alpha = &at("releases/2024-01/alpha/").1;
    assert_eq!(alpha["zh"], format!("{BASE}releases/2024-01/alpha/"));
    assert_eq!(alpha["en"], format!("{BASE}en/releases/2024-01/alpha/"));
    assert!(at("releases/2024-01/beta/").1.is_empty());

    // Reciprocity: every alternate is itself listed, with the same set of alternates.
    let mut checked = 0;
    for (loc, (_, alternates)) in &urls {
        if alternates.is_empty() {
            continue;
        }
        assert!(
            alternates.values().any(|h| h == loc),
            "{loc} does not list itself"
        );
        for href in alternates.values() {
            let other = &urls
                .get(href)
                .unwrap_or_else(|| panic!("{href} not in the sitemap"))
                .1;
            assert_eq!(other, alternates, "{loc} ↔ {href} not reciprocal");
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} alternates checked");
    // The zh term 浙江大学 has two pages, its English namesake one: page 2 has no alternate,
    // and page 1 pairs with page 1.
    assert!(at("institutions/zhe-jiang-da-xue/page/2/").1.is_empty());
    assert_eq!(
        at("institutions/zhe-jiang-da-xue/").1["en"],
        format!("{BASE}en/institutions/zhe-jiang-da-xue/")
    );
}

#[test]
fn page_hreflang_links_are_reciprocal_like_the_sitemap() {
    let (_site, out) = built();
    let urls = urlset(&read(&out, "sitemap.xml"));
    for (loc, (_, alternates)) in &urls {
        let doc = html(&out.join(file_of(loc)));
        let links: BTreeMap<String, String> = select(&doc, "link[rel=alternate][hreflang]")
            .iter()
            .map(|e| {
                (
                    e.value().attr("hreflang").unwrap().to_string(),
                    e.value().attr("href").unwrap().to_string(),
                )
            })
            .collect();
        if alternates.is_empty() {
            assert_eq!(links.len(), 1, "{loc}: {links:?}");
        } else {
            assert_eq!(&links, alternates, "{loc}");
        }
    }
}

#[test]
fn robots_txt_points_to_the_absolute_sitemap() {
    let (_site, out) = built();
    let robots = read(&out, "robots.txt");
    assert!(robots.lines().any(|l| l == "User-agent: *"), "{robots}");
    assert!(
        robots
            .lines()
            .any(|l| l == format!("Sitemap: {BASE}sitemap.xml")),
        "{robots}"
    );
}

#[test]
fn a_robots_txt_of_the_site_replaces_the_generated_one() {
    let site = discovery_site();
    fs::create_dir_all(site.path().join("static")).unwrap();
    let own = "User-agent: *\nDisallow: /private/\n";
    fs::write(site.path().join("static/robots.txt"), own).unwrap();
    build_ok(&opts(site.path()));
    assert_eq!(read(&site.path().join("output"), "robots.txt"), own);
}

#[test]
fn generated_files_take_part_in_the_collision_check() {
    let site = discovery_site();
    fs::create_dir_all(site.path().join("static/releases/2024-01")).unwrap();
    fs::write(site.path().join("static/releases/2024-01/feed.xml"), "<x/>").unwrap();
    // A copied file over an entry's page, too: each report names both owners.
    fs::create_dir_all(site.path().join("static/releases/2024-02/omega")).unwrap();
    fs::write(
        site.path().join("static/releases/2024-02/omega/index.html"),
        "<p>x</p>",
    )
    .unwrap();
    let f = gazette::check(&opts(site.path())).unwrap_err();
    let collisions: Vec<String> = f
        .diagnostics
        .iter()
        .filter(|d| d.problem.code() == "url-collision")
        .map(|d| d.to_string())
        .collect();
    assert_eq!(collisions.len(), 2, "{f:?}");
    let about = |url: &str| {
        collisions
            .iter()
            .find(|c| c.contains(url))
            .unwrap_or_else(|| panic!("no collision for {url}: {collisions:?}"))
    };
    let feed = about("`/releases/2024-01/feed.xml`");
    assert!(feed.contains("the first is the Atom feed"), "{feed}");
    assert!(feed.contains("static/releases/2024-01/feed.xml"), "{feed}");
    let page = about("`/releases/2024-02/omega/index.html`");
    assert!(
        page.contains("the first is content/releases/2024-02/omega.md"),
        "{page}"
    );
    assert!(
        page.contains("static/releases/2024-02/omega/index.html"),
        "{page}"
    );
}

#[test]
fn a_schema_field_named_like_an_open_data_column_is_reported() {
    let site = discovery_site();
    let mut toml = fs::read_to_string(site.path().join("site.toml")).unwrap();
    toml.push_str("\n[schema.slug]\nkind = \"text\"\nlabel = { zh = \"别名\", en = \"Alias\" }\n");
    fs::write(site.path().join("site.toml"), toml).unwrap();
    let f = gazette::check(&opts(site.path())).unwrap_err();
    assert!(f.report().contains("two `slug` columns"), "{}", f.report());
}

#[test]
fn a_site_past_the_url_limit_gets_a_sitemap_index() {
    let site = discovery_site();
    let root = site.path();
    let loaded = gazette::load_site(&opts(root)).unwrap();
    let limits = gazette::plan::Limits {
        sitemap_urls: 7,
        ..Default::default()
    };
    let (plan, diags) = gazette::plan::plan_with(&loaded.site, root, limits);
    assert!(diags.is_empty(), "{diags:?}");
    let renderer = gazette::render::Renderer::new(&loaded.site, root).unwrap();
    let rendered = gazette::render::render_pages(&plan, &renderer).unwrap();
    let text = |path: &str| {
        let f = rendered
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} not rendered"));
        String::from_utf8(f.bytes.clone()).unwrap()
    };
    let index = text("sitemap.xml");
    let doc = roxmltree::Document::parse(&index).unwrap();
    assert!(doc.root_element().has_tag_name((SITEMAP, "sitemapindex")));
    let parts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name((SITEMAP, "loc")))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    let pages = plan
        .pages
        .iter()
        .filter(|p| !p.site_path.ends_with("404.html"))
        .count();
    assert_eq!(parts.len(), pages.div_ceil(7));
    let mut listed = BTreeSet::new();
    for p in &parts {
        // Parts sit at the site root so they may list every URL of the site.
        let rel = p.strip_prefix(BASE).unwrap();
        assert!(!rel.contains('/'), "{p}");
        let urls = urlset(&text(rel));
        assert!(
            !urls.is_empty() && urls.len() <= 7,
            "{p}: {} URLs",
            urls.len()
        );
        listed.extend(urls.into_keys());
    }
    assert_eq!(listed.len(), pages);
    // robots.txt names the index, which is what crawlers start from.
    assert!(text("robots.txt").contains(&format!("Sitemap: {BASE}sitemap.xml")));
}

fn json(out: &Path, rel: &str) -> Json {
    serde_json::from_str(&read(out, rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn open_data_json_has_every_public_entry_with_typed_values() {
    let (_site, out) = built();
    let data = json(&out, "data/entries.json");
    assert_eq!(data["default_language"], "zh");
    assert_eq!(data["languages"], serde_json::json!(["zh", "en"]));
    assert_eq!(data["schema"]["trl"]["kind"], "integer");
    assert_eq!(
        data["schema"]["fields"]["item"]["options"][0]["key"],
        "new-materials"
    );
    assert_eq!(
        data["schema"]["fields"]["item"]["options"][0]["label"]["en"],
        "New materials"
    );
    let entries = data["entries"].as_array().unwrap();
    assert_eq!(data["count"], PUBLIC.len());
    let ids: BTreeSet<String> = entries
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = PUBLIC.iter().map(|(r, s)| format!("{r}/{s}")).collect();
    assert_eq!(ids, expected);

    let alpha = entries.iter().find(|e| e["slug"] == "alpha").unwrap();
    assert_eq!(alpha["release"], "2024-01");
    assert_eq!(alpha["date"], "2024-03-01");
    let v = &alpha["values"];
    assert_eq!(v["title"], "阿尔法新材料");
    assert_eq!(v["trl"], 6, "integers are JSON numbers");
    assert_eq!(v["price"]["amount"], 100);
    assert_eq!(v["price"]["negotiable"], false);
    assert_eq!(
        v["institutions"],
        serde_json::json!(["浙江大学", "宁波大学"])
    );
    assert_eq!(v["ip"][0]["type"], "invention");
    assert_eq!(v["contact"]["email"], "zhang@example.org");
    assert_eq!(alpha["translations"]["en"]["title"], "Alpha new material");
    assert_eq!(alpha["translations"]["en"]["summary"], "A new material.");
    assert_eq!(
        alpha["urls"]["zh"],
        format!("{BASE}releases/2024-01/alpha/")
    );
    assert_eq!(
        alpha["urls"]["en"],
        format!("{BASE}en/releases/2024-01/alpha/")
    );
    let beta = entries.iter().find(|e| e["slug"] == "beta").unwrap();
    assert_eq!(beta["translations"], serde_json::json!({}));
    assert!(beta["urls"].get("en").is_none());

    let release = json(&out, "data/releases/2024-01.json");
    let rs = release["entries"].as_array().unwrap();
    assert_eq!(rs.len(), 2);
    assert!(rs.iter().all(|e| e["release"] == "2024-01"));
    assert_eq!(release["releases"].as_array().unwrap().len(), 1);
    assert_eq!(release["releases"][0]["title"]["en"], "Release 2024/1");
    assert_eq!(json(&out, "data/releases/2024-02.json")["count"], 3);
}

/// A CSV file's header and rows, after checking and removing the UTF-8 BOM.
fn csv_rows(out: &Path, rel: &str) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let bytes = fs::read(out.join(rel)).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{rel}: no UTF-8 BOM");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn open_data_csv_opens_in_excel_and_neutralises_formulas() {
    let (_site, out) = built();
    let (header, rows) = csv_rows(&out, "data/entries.csv");
    assert_eq!(&header[..4], ["release", "slug", "title", "summary"]);
    for col in [
        "contact.name",
        "contact.org",
        "price.amount",
        "ip",
        "modes",
        "urls.zh",
        "urls.en",
    ] {
        assert!(
            header.iter().any(|h| h == col),
            "no {col} column in {header:?}"
        );
    }
    assert_eq!(rows.len(), PUBLIC.len());
    let row = |slug: &str| rows.iter().find(|r| r["slug"] == slug).unwrap();

    let alpha = row("alpha");
    assert_eq!(alpha["title"], "阿尔法新材料", "Chinese text intact");
    assert_eq!(alpha["institutions"], "浙江大学|宁波大学");
    assert_eq!(alpha["contact.name"], "张三");
    assert_eq!(alpha["trl"], "6");
    assert_eq!(alpha["price.negotiable"], "false");
    let ip: Json = serde_json::from_str(&alpha["ip"]).unwrap();
    assert_eq!(ip[0]["number"], "ZL 2020 1 0000001.1");
    assert_eq!(
        alpha["urls.en"],
        format!("{BASE}en/releases/2024-01/alpha/")
    );
    assert_eq!(row("beta")["urls.en"], "");

    let omega = row("omega");
    assert_eq!(
        omega["keywords"], "'=HYPERLINK(\"http://evil.example\")|催化剂",
        "a formula must not run in a spreadsheet"
    );
    assert_eq!(omega["contact.phone"], "'+86 574 0000 0000");
    assert_eq!(omega["modes"], "transfer|licence|consulting");
    for r in &rows {
        for (col, cell) in r {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "{col} = {cell:?} could run as a formula"
            );
        }
    }

    let (release_header, release_rows) = csv_rows(&out, "data/releases/2024-02.csv");
    assert_eq!(
        release_header, header,
        "every CSV of a site has the same columns"
    );
    assert_eq!(release_rows.len(), 3);

    // CSVW metadata describes exactly these columns, for every CSV file.
    let meta = json(&out, "data/entries.csv-metadata.json");
    assert_eq!(meta["@context"][0], "http://www.w3.org/ns/csvw");
    let tables: Vec<&str> = meta["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        tables,
        [
            "entries.csv",
            "releases/2024-02.csv",
            "releases/2024-01.csv"
        ]
    );
    for t in &tables {
        assert!(out.join("data").join(t).is_file(), "{t}");
    }
    let columns = meta["tableSchema"]["columns"].as_array().unwrap();
    let titles: Vec<&str> = columns
        .iter()
        .map(|c| c["titles"].as_str().unwrap())
        .collect();
    assert_eq!(titles, header);
    let col = |name: &str| columns.iter().find(|c| c["titles"] == name).unwrap();
    assert_eq!(col("institutions")["separator"], "|");
    assert_eq!(col("trl")["datatype"]["base"], "integer");
    assert_eq!(col("trl")["datatype"]["minimum"], 1);
    assert_eq!(col("ip")["datatype"], "json");
    assert_eq!(col("title")["required"], true);
    assert_eq!(col("contact.name")["name"], "contact.name");
    assert_eq!(
        meta["tableSchema"]["primaryKey"],
        serde_json::json!(["release", "slug"])
    );
}

/// The JSON-LD of a page, parsed.
fn json_ld(out: &Path, rel: &str) -> Json {
    let doc = html(&out.join(rel));
    let scripts = select(&doc, "script[type=\"application/ld+json\"]");
    assert_eq!(scripts.len(), 1, "{rel}");
    let text: String = scripts[0].text().collect();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}\n{text}"))
}

fn meta(doc: &scraper::Html, attr: &str, key: &str) -> Vec<String> {
    attrs(doc, &format!("meta[{attr}=\"{key}\"]"), "content")
}

#[test]
fn entry_pages_describe_the_result_in_json_ld() {
    let (_site, out) = built();
    let ld = json_ld(&out, "releases/2024-02/omega/index.html");
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], serde_json::json!(["Product", "CreativeWork"]));
    assert_eq!(ld["name"], "欧米伽催化剂");
    // Data cannot end the script element, and still reads back exactly.
    assert_eq!(
        ld["abstract"],
        "摘要 </script><script>alert(1)</script> & <!-- 结束"
    );
    let raw = read(&out, "releases/2024-02/omega/index.html");
    assert!(
        !raw.contains("<script>alert(1)"),
        "JSON-LD broke out of its script element"
    );
    assert_eq!(ld["url"], format!("{BASE}releases/2024-02/omega/"));
    assert_eq!(ld["datePublished"], "2024-06-15");
    assert_eq!(ld["creator"][0]["@type"], "Organization");
    assert_eq!(ld["creator"][1]["name"], "浙江大学");
    assert_eq!(ld["sourceOrganization"]["name"], "宁波大学");
    assert_eq!(
        ld["keywords"],
        serde_json::json!(["=HYPERLINK(\"http://evil.example\")", "催化剂"])
    );
    let issue = &ld["isPartOf"];
    assert_eq!(issue["@type"], "PublicationIssue");
    assert_eq!(issue["issueNumber"], "2");
    assert_eq!(issue["url"], format!("{BASE}releases/2024-02/"));
    assert_eq!(issue["isPartOf"]["@type"], "CreativeWorkSeries");
    assert_eq!(issue["isPartOf"]["name"], "测试站");
    let trl = ld["additionalProperty"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["propertyID"] == "TRL")
        .unwrap();
    assert_eq!(trl["@type"], "PropertyValue");
    assert_eq!(trl["value"], 7);
    let offers = ld["offers"].as_array().unwrap();
    let functions: Vec<&str> = offers
        .iter()
        .map(|o| o["businessFunction"].as_str().unwrap())
        .collect();
    assert_eq!(
        functions,
        [
            "http://purl.org/goodrelations/v1#Sell",
            "http://purl.org/goodrelations/v1#LeaseOut",
            "http://purl.org/goodrelations/v1#ProvideService"
        ]
    );
    assert_eq!(offers[0]["name"], "转让");
    let by = &offers[0]["offeredBy"];
    assert_eq!(by["@type"], "Organization");
    assert_eq!(by["name"], "宁波大学技术转移中心");
    assert_eq!(by["contactPoint"]["@type"], "ContactPoint");
    assert_eq!(by["contactPoint"]["telephone"], "+86 574 0000 0000");
    assert_eq!(by["contactPoint"]["email"], "qian@example.org");

    // The English page describes the same node in English.
    let zh = json_ld(&out, "releases/2024-01/alpha/index.html");
    let en = json_ld(&out, "en/releases/2024-01/alpha/index.html");
    assert_eq!(zh["@id"], en["@id"]);
    assert_eq!(en["name"], "Alpha new material");
    assert_eq!(en["inLanguage"], "en");
    assert_eq!(
        en["image"],
        format!("{BASE}releases/2024-01/alpha/figure.svg")
    );
    assert_eq!(en["isPartOf"]["name"], "Release 2024/1");
}

#[test]
fn release_pages_list_their_entries_in_json_ld_and_link_downloads() {
    let (_site, out) = built();
    let ld = json_ld(&out, "releases/2024-02/index.html");
    assert_eq!(ld["@type"], "CollectionPage");
    assert_eq!(ld["url"], format!("{BASE}releases/2024-02/"));
    assert_eq!(ld["about"]["@type"], "PublicationIssue");
    assert_eq!(ld["about"]["isPartOf"]["@type"], "CreativeWorkSeries");
    let list = &ld["mainEntity"];
    assert_eq!(list["@type"], "ItemList");
    assert_eq!(list["numberOfItems"], 3);
    let items = list["itemListElement"].as_array().unwrap();
    let positions: Vec<i64> = items
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3]);
    for i in items {
        assert_eq!(i["@type"], "ListItem");
        assert!(out.join(file_of(i["url"].as_str().unwrap())).is_file());
    }
    // On the English page an untranslated entry links to its original.
    let en = json_ld(&out, "en/releases/2024-01/index.html");
    let urls: BTreeSet<&str> = en["mainEntity"]["itemListElement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["url"].as_str().unwrap())
        .collect();
    let expected_alpha = format!("{BASE}en/releases/2024-01/alpha/");
    let expected_beta = format!("{BASE}releases/2024-01/beta/");
    assert_eq!(
        urls,
        BTreeSet::from([expected_alpha.as_str(), expected_beta.as_str()])
    );

    let page = html(&out.join("en/releases/2024-02/index.html"));
    let links = attrs(&page, ".downloads a", "href");
    assert_eq!(
        links,
        [
            "/results/data/releases/2024-02.csv",
            "/results/data/releases/2024-02.json",
            "/results/en/releases/2024-02/feed.xml"
        ]
    );
    for l in links {
        assert!(
            out.join(l.strip_prefix("/results/").unwrap()).is_file(),
            "{l}"
        );
    }
}

#[test]
fn every_page_has_open_graph_and_twitter_tags() {
    let (_site, out) = built();
    let all = files(&out);
    for (path, _) in all.iter().filter(|(p, _)| p.ends_with(".html")) {
        let doc = html(&out.join(path));
        for key in [
            "og:title",
            "og:description",
            "og:type",
            "og:locale",
            "og:site_name",
        ] {
            assert_eq!(meta(&doc, "property", key).len(), 1, "{path}: {key}");
        }
        for key in ["twitter:card", "twitter:title", "twitter:description"] {
            assert_eq!(meta(&doc, "name", key).len(), 1, "{path}: {key}");
        }
        let og_url = meta(&doc, "property", "og:url");
        if path.ends_with("404.html") {
            assert!(
                og_url.is_empty(),
                "{path}: a 404 page has no URL of its own"
            );
        } else {
            assert_eq!(
                og_url,
                [format!("{BASE}{}", path.trim_end_matches("index.html"))]
            );
        }
    }
    let alpha = html(&out.join("en/releases/2024-01/alpha/index.html"));
    assert_eq!(meta(&alpha, "property", "og:title"), ["Alpha new material"]);
    assert_eq!(
        meta(&alpha, "property", "og:description"),
        ["A new material."]
    );
    assert_eq!(meta(&alpha, "property", "og:type"), ["article"]);
    assert_eq!(meta(&alpha, "property", "og:locale"), ["en_US"]);
    assert_eq!(meta(&alpha, "property", "og:locale:alternate"), ["zh_CN"]);
    assert_eq!(
        meta(&alpha, "property", "og:image"),
        [format!("{BASE}releases/2024-01/alpha/figure.svg")]
    );
    assert_eq!(
        meta(&alpha, "name", "twitter:card"),
        ["summary_large_image"]
    );
    let home = html(&out.join("index.html"));
    assert_eq!(meta(&home, "property", "og:type"), ["website"]);
    assert_eq!(meta(&home, "property", "og:locale"), ["zh_CN"]);
    assert_eq!(meta(&home, "name", "twitter:card"), ["summary"]);
}

/// Every discovery output (feeds, sitemaps, robots.txt, open data) and every JSON-LD block.
fn discovery_texts(out: &Path) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    for (path, bytes) in files(out) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        // A `--drafts` preview renders the held entries' own pages; nothing else may name them.
        if HELD.iter().any(|w| path.contains(w)) {
            continue;
        }
        if path.ends_with(".html") {
            let doc = scraper::Html::parse_document(&text);
            for s in select(&doc, "script[type=\"application/ld+json\"]") {
                texts.push((format!("{path} (JSON-LD)"), s.text().collect()));
            }
        } else if path.ends_with(".xml") || path.ends_with(".txt") || path.starts_with("data/") {
            texts.push((path, text));
        }
    }
    texts
}

#[test]
fn held_back_entries_appear_in_no_feed_sitemap_data_or_json_ld() {
    let site = discovery_site();
    let out = site.path().join("output");
    // A normal build and a preview with drafts: in neither may held entries be announced.
    for drafts in [false, true] {
        let mut o = opts(site.path());
        o.drafts = drafts;
        build_ok(&o);
        assert_eq!(
            out.join("releases/2024-02/draft-one/index.html").exists(),
            drafts
        );
        let texts = discovery_texts(&out);
        assert!(texts.len() > 30, "only {} files checked", texts.len());
        for (path, text) in &texts {
            for word in HELD {
                assert!(
                    !text.contains(word),
                    "drafts={drafts}: {path} mentions {word}"
                );
            }
        }
        assert_eq!(json(&out, "data/entries.json")["count"], PUBLIC.len());
        assert_eq!(
            json_ld(&out, "releases/2024-02/index.html")["mainEntity"]["numberOfItems"],
            3
        );
    }
}
