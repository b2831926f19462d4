//! Statistics pages (`/stats/`, `/releases/<id>/stats/`): their SVG charts and data tables
//! read back with an HTML parser and checked against the exact counts of the `basic` fixture,
//! in both languages, per release, with drafts, with hostile labels and with a schema that
//! lacks a charted taxonomy.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use scraper::{ElementRef, Html};

/// A chart as the page shows it: the bars' (label, value) from their data attributes.
fn bars(doc: &Html, chart: &str) -> Vec<(String, usize)> {
    select(doc, &format!("#{chart} svg g.bar"))
        .iter()
        .map(|g| {
            let v = g.value();
            (
                v.attr("data-label").unwrap().to_string(),
                v.attr("data-value").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The chart's data table: (label, count) per row (the count is the last cell).
fn table(doc: &Html, chart: &str) -> Vec<(String, usize)> {
    select(doc, &format!("#{chart} details table tbody tr"))
        .iter()
        .map(|tr| {
            let text = |e: ElementRef| e.text().collect::<String>().trim().to_string();
            let th = tr.select(&scraper::Selector::parse("th").unwrap()).next();
            let tds: Vec<ElementRef> = tr
                .select(&scraper::Selector::parse("td").unwrap())
                .collect();
            (
                text(th.unwrap()),
                text(*tds.last().unwrap()).parse().unwrap(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, usize)]) -> Vec<(String, usize)> {
    list.iter().map(|(l, n)| (l.to_string(), *n)).collect()
}

/// Assert a chart shows exactly `expected`, in its bars and in its data table alike.
#[track_caller]
fn assert_chart(doc: &Html, chart: &str, expected: &[(&str, usize)]) {
    assert_eq!(bars(doc, chart), pairs(expected), "{chart}: bars");
    assert_eq!(table(doc, chart), pairs(expected), "{chart}: table");
}

/// The ids of the charts on a page, in order.
fn charts(doc: &Html) -> Vec<String> {
    attrs(doc, "section.chart", "id")
}

fn build(root: &Path, drafts: bool) -> std::path::PathBuf {
    let mut o = opts(root);
    o.drafts = drafts;
    build_ok(&o);
    root.join("output")
}

#[test]
fn site_stats_page_counts_every_public_entry() {
    let site = fixture("basic");
    let out = build(site.path(), false);
    let doc = html(&out.join("stats/index.html"));
    // No `modes` taxonomy in this schema: no transfer-mode chart, the others in order.
    assert_eq!(
        charts(&doc),
        [
            "chart-fields",
            "chart-stage",
            "chart-institutions",
            "chart-releases"
        ]
    );
    assert_chart(&doc, "chart-fields", &[("新材料", 3), ("精细化工", 1)]);
    // Stage is an ordinal scale: schema order, not by count.
    assert_chart(&doc, "chart-stage", &[("研发中", 2), ("中试", 2)]);
    assert_chart(
        &doc,
        "chart-institutions",
        &[("浙江大学", 3), ("宁波大学", 2)],
    );
    // Releases oldest first.
    assert_chart(
        &doc,
        "chart-releases",
        &[("2024年第1批", 2), ("2024年第2批", 2)],
    );
    assert_eq!(texts(&doc, ".stats .lead"), ["共 4 项成果。"]);
    assert!(select(&doc, ".stats .banner").is_empty());
    // The text description summarises the largest values.
    assert_eq!(
        texts(&doc, "#chart-fields .chart-description"),
        ["新材料 3 项，精细化工 1 项。"]
    );
    // Axis labels: the release number and month.
    assert_eq!(
        texts(&doc, "#chart-releases text.bar-axis"),
        ["第1批2024-03", "第2批2024-06"]
    );
    // Table rows link to the term and release pages under the base path.
    assert_eq!(
        attrs(&doc, "#chart-fields tbody a", "href"),
        [
            "/results/fields/new-materials/",
            "/results/fields/fine-chemicals/"
        ]
    );
    assert_eq!(
        attrs(&doc, "#chart-releases tbody a", "href"),
        ["/results/releases/2024-01/", "/results/releases/2024-02/"]
    );
    assert_eq!(
        texts(&doc, "#chart-releases tbody td:nth-of-type(1)"),
        ["2024-03-01", "2024-06-01"]
    );
    // Every page links the statistics; a release page links its own.
    let home = html(&out.join("index.html"));
    assert!(attrs(&home, ".main-nav a", "href").contains(&"/results/stats/".to_string()));
    let release = html(&out.join("releases/2024-01/index.html"));
    assert_eq!(
        attrs(&release, ".release-stats a", "href"),
        ["/results/releases/2024-01/stats/"]
    );
}

#[test]
fn every_chart_is_an_accessible_svg_with_title_desc_and_table() {
    let site = fixture("basic");
    let out = build(site.path(), false);
    for page in [
        "stats/index.html",
        "en/stats/index.html",
        "releases/2024-01/stats/index.html",
    ] {
        let doc = html(&out.join(page));
        let ids = charts(&doc);
        assert!(ids.len() >= 3, "{page}: {ids:?}");
        for id in ids {
            let svgs = select(&doc, &format!("#{id} svg"));
            assert_eq!(svgs.len(), 1, "{page} {id}");
            let svg = svgs[0].value();
            assert_eq!(svg.attr("role"), Some("img"), "{page} {id}");
            assert_eq!(
                svg.attr("aria-labelledby"),
                Some(format!("{id}-title {id}-desc").as_str())
            );
            let title = texts(&doc, &format!("#{id} svg > title#{id}-title"));
            let desc = texts(&doc, &format!("#{id} svg > desc#{id}-desc"));
            assert_eq!(title, texts(&doc, &format!("#{id} h2")), "{page} {id}");
            assert_eq!(
                desc,
                texts(&doc, &format!("#{id} .chart-description")),
                "{page} {id}"
            );
            assert!(!desc[0].is_empty());
            assert_eq!(
                texts(&doc, &format!("#{id} details table caption")),
                title,
                "{page} {id}"
            );
            assert_eq!(bars(&doc, &id), table(&doc, &id), "{page} {id}");
            // Drawn at build time: no scripts, no web fonts.
            assert!(select(&doc, &format!("#{id} script")).is_empty());
        }
    }
}

#[test]
fn release_stats_count_only_that_release() {
    let site = fixture("basic");
    let out = build(site.path(), false);
    let r1 = html(&out.join("releases/2024-01/stats/index.html"));
    assert_eq!(
        charts(&r1),
        ["chart-fields", "chart-stage", "chart-institutions"],
        "no chart over time on a release page"
    );
    assert_chart(&r1, "chart-fields", &[("新材料", 1), ("精细化工", 1)]);
    assert_chart(&r1, "chart-stage", &[("研发中", 1), ("中试", 1)]);
    assert_chart(
        &r1,
        "chart-institutions",
        &[("浙江大学", 2), ("宁波大学", 1)],
    );
    assert_eq!(texts(&r1, ".stats .lead"), ["共 2 项成果。"]);
    assert_eq!(texts(&r1, ".stats h1 .subtitle"), ["2024年第1批"]);

    let r2 = html(&out.join("releases/2024-02/stats/index.html"));
    assert_chart(&r2, "chart-fields", &[("新材料", 2)]);
    assert_chart(&r2, "chart-stage", &[("研发中", 1), ("中试", 1)]);
    assert_chart(
        &r2,
        "chart-institutions",
        &[("浙江大学", 1), ("宁波大学", 1)],
    );
    assert_eq!(
        attrs(&r2, ".stats-links a", "href"),
        ["/results/releases/2024-02/", "/results/stats/"]
    );
}

#[test]
fn english_pages_use_english_labels() {
    let site = fixture("basic");
    let out = build(site.path(), false);
    let doc = html(&out.join("en/stats/index.html"));
    assert_eq!(attrs(&doc, "html", "lang"), ["en"]);
    assert_eq!(texts(&doc, "h1"), ["Statistics"]);
    assert_chart(
        &doc,
        "chart-fields",
        &[("New materials", 3), ("Fine chemicals", 1)],
    );
    assert_chart(&doc, "chart-stage", &[("Research", 2), ("Pilot", 2)]);
    // Text taxonomies use the terms of the English versions (alpha is translated, the others
    // are shown in their original).
    assert_chart(
        &doc,
        "chart-institutions",
        &[
            ("浙江大学", 2),
            ("Ningbo University", 1),
            ("Zhejiang University", 1),
            ("宁波大学", 1),
        ],
    );
    assert_chart(
        &doc,
        "chart-releases",
        &[("Release 2024/1", 2), ("2024年第2批", 2)],
    );
    assert_eq!(texts(&doc, "#chart-fields h2"), ["Results by fields"]);
    assert_eq!(
        texts(&doc, "#chart-fields .chart-description"),
        ["New materials: 3; Fine chemicals: 1."]
    );
    assert_eq!(
        attrs(&doc, "#chart-stage tbody a", "href"),
        ["/results/en/stage/research/", "/results/en/stage/pilot/"]
    );
    assert!(attrs(&doc, ".main-nav a", "href").contains(&"/results/en/stats/".to_string()));
    let r = html(&out.join("en/releases/2024-01/stats/index.html"));
    assert_chart(&r, "chart-stage", &[("Research", 1), ("Pilot", 1)]);
}

#[test]
fn labels_are_escaped_everywhere() {
    let site = fixture("basic");
    fs::write(
        site.path().join("content/releases/2024-02/escape.md"),
        "+++\ntitle = \"转义测试\"\nsummary = \"标签转义。\"\ninstitutions = [\"<b>&研究所\\\"'\"]\n\
         fields = [\"fine-chemicals\"]\nstage = \"pilot\"\n\n[contact]\nname = \"某\"\n+++\n\n正文。\n",
    )
    .unwrap();
    let out = build(site.path(), false);
    let raw = fs::read_to_string(out.join("stats/index.html")).unwrap();
    assert!(!raw.contains("<b>"), "an unescaped label");
    let doc = Html::parse_document(&raw);
    let label = "<b>&研究所\"'";
    assert!(
        bars(&doc, "chart-institutions").contains(&(label.to_string(), 1)),
        "{:?}",
        bars(&doc, "chart-institutions")
    );
    assert!(table(&doc, "chart-institutions").contains(&(label.to_string(), 1)));
    assert!(texts(&doc, "#chart-institutions text.bar-label").contains(&label.to_string()));
    assert!(texts(&doc, "#chart-institutions svg > desc")[0].contains(label));
    assert!(select(&doc, "b").is_empty());
    assert_chart(&doc, "chart-fields", &[("新材料", 3), ("精细化工", 2)]);
}

#[test]
fn a_drafts_preview_counts_held_entries_like_other_list_pages_and_says_so() {
    let site = fixture("basic");
    let out = build(site.path(), true);
    let doc = html(&out.join("stats/index.html"));
    assert_chart(&doc, "chart-fields", &[("新材料", 4), ("精细化工", 2)]);
    assert_chart(
        &doc,
        "chart-institutions",
        &[("浙江大学", 5), ("宁波大学", 2)],
    );
    assert_chart(
        &doc,
        "chart-releases",
        &[("2024年第1批", 2), ("2024年第2批", 4)],
    );
    assert_eq!(texts(&doc, ".stats .lead"), ["共 6 项成果。"]);
    let banner = texts(&doc, ".stats .banner");
    assert_eq!(banner.len(), 1);
    assert!(banner[0].contains("2 项"), "{banner:?}");
    // The taxonomy index shows the same counts.
    let tax = html(&out.join("fields/index.html"));
    assert_eq!(texts(&tax, ".terms .count"), ["4", "2"]);
    // Release 1 has nothing held: no banner there.
    let r1 = html(&out.join("releases/2024-01/stats/index.html"));
    assert!(select(&r1, ".stats .banner").is_empty());
}

#[test]
fn a_missing_taxonomy_skips_its_chart_and_a_theme_without_the_template_gets_no_pages() {
    let site = fixture("basic");
    let toml = site.path().join("site.toml");
    let text = fs::read_to_string(&toml).unwrap();
    let text = text.replace(
        "[schema.stage]\nkind = \"enum\"\nrequired = true\ntaxonomy = true\n",
        "[schema.stage]\nkind = \"enum\"\nrequired = true\n",
    );
    fs::write(&toml, text).unwrap();
    let out = build(site.path(), false);
    let doc = html(&out.join("stats/index.html"));
    assert_eq!(
        charts(&doc),
        ["chart-fields", "chart-institutions", "chart-releases"]
    );
    assert_chart(&doc, "chart-fields", &[("新材料", 3), ("精细化工", 1)]);

    // An older theme without stats.html still builds, without statistics pages.
    fs::remove_file(site.path().join("themes/default/templates/stats.html")).unwrap();
    let out = build(site.path(), false);
    assert!(!out.join("stats").exists());
    assert!(!out.join("releases/2024-01/stats").exists());
    assert!(out.join("releases/2024-01/index.html").exists());
}

#[test]
fn stats_pages_are_deterministic() {
    let site = fixture("basic");
    let out = build(site.path(), false);
    let first = files(&out);
    let out = build(site.path(), false);
    let second = files(&out);
    let stats: Vec<&String> = first.keys().filter(|p| p.contains("stats/")).collect();
    assert_eq!(stats.len(), 6, "{stats:?}");
    for p in stats {
        assert!(first[p] == second[p], "{p} differs between builds");
    }
}

/// The preview serves a statistics page again only when what it shows changed: an edit to
/// an entry's body leaves it alone, a new stage or a renamed release re-renders it.
#[test]
fn the_preview_re_renders_stats_pages_exactly_when_their_figures_change() {
    use gazette::serve::engine::{Engine, Served};
    use std::sync::Arc;

    let site = fixture("basic");
    let root = site.path();
    let mut engine = Engine::new(root, "http://127.0.0.1:1111/");
    let get = |e: &Engine, path: &str| -> Arc<Vec<u8>> {
        match e.snapshot().unwrap().get(path) {
            Some(Served::Bytes(b)) => b,
            _ => panic!("{path} not served"),
        }
    };
    let doc = |b: &Arc<Vec<u8>>| Html::parse_document(std::str::from_utf8(b).unwrap());
    let edit = |rel: &str, from: &str, to: &str| {
        let p = root.join(rel);
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{rel}: {from}");
        fs::write(&p, text.replace(from, to)).unwrap();
        let t = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
        fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    const SITE: &str = "stats/index.html";
    const R1: &str = "releases/2024-01/stats/index.html";
    const R2: &str = "releases/2024-02/stats/index.html";
    engine.rebuild().unwrap();
    // The preview counts held entries (like `--drafts`).
    assert_chart(
        &doc(&get(&engine, SITE)),
        "chart-stage",
        &[("研发中", 4), ("中试", 2)],
    );
    let held = |e: &Engine, path: &str| e.snapshot().unwrap().held(path).unwrap();
    let before: Vec<_> = [SITE, R1, R2].iter().map(|p| held(&engine, p)).collect();

    edit(
        "content/releases/2024-01/beta.toml",
        "贝塔工艺。",
        "贝塔工艺（修订）。",
    );
    engine.rebuild().unwrap();
    for (p, old) in [SITE, R1, R2].iter().zip(&before) {
        assert!(
            old.same(&held(&engine, p)),
            "{p} re-rendered for a body edit"
        );
    }

    edit(
        "content/releases/2024-01/beta.toml",
        "stage = \"research\"",
        "stage = \"pilot\"",
    );
    engine.rebuild().unwrap();
    assert_chart(
        &doc(&get(&engine, SITE)),
        "chart-stage",
        &[("研发中", 3), ("中试", 3)],
    );
    assert_chart(&doc(&get(&engine, R1)), "chart-stage", &[("中试", 2)]);
    assert!(
        before[2].same(&held(&engine, R2)),
        "release 2 did not change"
    );

    edit(
        "content/releases/2024-02/_release.toml",
        "2024年第2批",
        "2024年第二批",
    );
    engine.rebuild().unwrap();
    assert_chart(
        &doc(&get(&engine, SITE)),
        "chart-releases",
        &[("2024年第1批", 2), ("2024年第二批", 4)],
    );
    assert_eq!(
        texts(&doc(&get(&engine, R2)), ".stats h1 .subtitle"),
        ["2024年第二批"]
    );
}
