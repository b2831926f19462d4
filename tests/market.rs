//! The marketplace on the sample site: collections (enterprise demands, pilot bases) with
//! their own schemas and pages, typed references with back-links and their errors, closed
//! demands, open data, and matching — including how often the right result is in the top
//! three for a labelled set of demands written in other words than the results.

mod common;

use std::fs;
use std::path::Path;

use common::*;

/// The sample site built into its `output/`, and the folder.
fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let site = sample_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    (site, out)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Demand → the result that answers it. The demands are worded as a company would, not as
/// the result's title: `有机玻璃原料` for an MMA process, `风机传动链` for a gearbox twin.
const LABELLED: &[(&str, &str)] = &[
    ("pmma-monomer", "2024-03/mma-pilot"),
    ("wind-blade-reinforcement", "2024-03/carbon-fiber-precursor"),
    ("appliance-flame-retardant", "2024-03/flame-retardant"),
    ("offshore-green-hydrogen", "2024-03/seawater-hydrogen"),
    ("tea-garden-monitoring", "2024-03/tea-pest-monitor"),
    ("hull-welding-automation", "2024-03/weld-seam-vision"),
    ("wind-turbine-maintenance", "2024-04/gearbox-digital-twin"),
    ("ship-antifouling-paint", "2024-04/marine-antifouling"),
    ("nitration-safety", "2024-04/microreactor-nitration"),
    (
        "solid-battery-electrolyte",
        "2024-04/sulfide-solid-electrolyte",
    ),
    ("biobased-nylon", "2025-01/bio-pentanediamine"),
    (
        "textile-chemical-recycling",
        "2025-01/pet-glycolysis-recycling",
    ),
    ("ev-inverter-packaging", "2025-01/sic-power-module"),
    ("faucet-polishing", "2025-01/cobot-grinding"),
    ("battery-pack-insulation", "2024-04/aerogel-insulation"),
];

/// How many demands of [`LABELLED`] have their result among their first three matches.
fn top3_hits(out: &Path) -> usize {
    let demands = json(&out.join("data/demands.json"));
    LABELLED
        .iter()
        .filter(|(demand, result)| {
            let item = demands["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == *demand)
                .unwrap_or_else(|| panic!("no demand {demand}"));
            let top: Vec<&str> = item["matches"]
                .as_array()
                .unwrap()
                .iter()
                .take(3)
                .map(|m| m["id"].as_str().unwrap())
                .collect();
            top.contains(result)
        })
        .count()
}

#[test]
fn collections_get_list_pages_item_pages_translations_navigation_and_open_data() {
    let (_site, out) = built();
    let list = html(&out.join("demands/index.html"));
    assert_eq!(select(&list, ".item-card").len(), 15, "15 demands listed");
    // 36 pilot bases, 20 to a page.
    let bases = html(&out.join("bases/index.html"));
    assert_eq!(select(&bases, ".item-card").len(), 20);
    let page2 = html(&out.join("bases/page/2/index.html"));
    assert_eq!(select(&page2, ".item-card").len(), 16);
    // Every item has its page; the translated demand also in English, the others not.
    for entry in fs::read_dir(_site.path().join("content/demands")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(slug) = name.strip_suffix(".md").filter(|s| !s.contains('.')) {
            assert!(
                out.join(format!("demands/{slug}/index.html")).is_file(),
                "{slug}"
            );
        }
    }
    let en = html(&out.join("en/demands/pmma-monomer/index.html"));
    assert_eq!(
        texts(&en, "h1"),
        ["Local production of optical-grade acrylic glass feedstock"]
    );
    assert!(!out.join("en/demands/nitration-safety/index.html").exists());
    // The schema's fields are shown with their labels; enum keys as labels.
    let page = html(&out.join("demands/nitration-safety/index.html"));
    let labels = texts(&page, ".facts dt");
    for l in ["需求单位", "技术领域", "需求类型", "预算", "截止日期"] {
        assert!(labels.iter().any(|x| x == l), "{l} in {labels:?}");
    }
    assert_eq!(texts(&page, ".field-demand_type dd"), ["技术攻关"]);
    // The main navigation links both collections in each language.
    let home = html(&out.join("en/index.html"));
    let nav = attrs(&home, ".main-nav a", "href");
    assert!(nav.contains(&"/results/en/demands/".to_string()), "{nav:?}");
    assert!(nav.contains(&"/results/en/bases/".to_string()), "{nav:?}");
    // Open data: every public item with typed values and URLs.
    let data = json(&out.join("data/bases.json"));
    assert_eq!(data["count"], 36);
    assert_eq!(data["schema"]["floor_space"]["kind"], "integer");
    let floor: i64 = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["values"]["floor_space"].as_i64().unwrap())
        .sum();
    assert_eq!(floor, 1_660_000, "the sample bases add up to 166万 m²");
    // Items are in the sitemap.
    let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    let doc = roxmltree::Document::parse(&sitemap).unwrap();
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.contains(&"https://example.org/results/demands/pmma-monomer/"));
    assert!(locs.contains(&"https://example.org/results/bases/page/2/"));
    // Each collection has an Atom feed per language, linked from its pages.
    assert_eq!(
        attrs(&list, "link[type=\"application/atom+xml\"]", "href")[0],
        "/results/demands/feed.xml"
    );
    let feed = fs::read_to_string(out.join("en/demands/feed.xml")).unwrap();
    let doc = roxmltree::Document::parse(&feed).unwrap();
    let entries: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .collect();
    assert_eq!(entries.len(), 15);
    let closed: Vec<&str> = entries
        .iter()
        .filter(|e| {
            e.children()
                .any(|c| c.has_tag_name("category") && c.attribute("term") == Some("closed"))
        })
        .filter_map(|e| {
            e.children()
                .find(|c| c.has_tag_name("link"))
                .and_then(|l| l.attribute("href"))
        })
        .collect();
    assert_eq!(
        closed,
        ["https://example.org/results/demands/battery-pack-insulation/"]
    );
}

#[test]
fn references_show_as_links_and_every_referenced_page_shows_its_back_links() {
    let (_site, out) = built();
    // A result's `pilot_base` links the base by its name.
    let entry = html(&out.join("releases/2024-03/mma-pilot/index.html"));
    assert_eq!(
        attrs(&entry, ".field-pilot_base dd a", "href"),
        ["/results/bases/ningbo-fine-chemicals/"]
    );
    // The base lists the result among those scaled up there.
    let base = html(&out.join("bases/ningbo-fine-chemicals/index.html"));
    assert_eq!(
        attrs(&base, ".backlinks a", "href"),
        ["/results/releases/2024-03/mma-pilot/"]
    );
    // A demand answered by a result: the result's page links back to the demand.
    let result = html(&out.join("releases/2024-03/flame-retardant/index.html"));
    assert!(
        attrs(&result, ".backlinks a", "href")
            .contains(&"/results/demands/appliance-flame-retardant/".to_string())
    );
    // References are open data, both ways.
    let bases = json(&out.join("data/bases.json"));
    let ningbo = bases["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "ningbo-fine-chemicals")
        .unwrap();
    assert_eq!(
        ningbo["referenced_by"]["results.pilot_base"][0]["id"],
        "2024-03/mma-pilot"
    );
    let entries = json(&out.join("data/entries.json"));
    let mma = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "2024-03/mma-pilot")
        .unwrap();
    assert_eq!(mma["values"]["pilot_base"], "ningbo-fine-chemicals");
    // And in the result's JSON-LD, by the base page's @id.
    let ld: serde_json::Value = serde_json::from_str(
        &select(&entry, "script[type=\"application/ld+json\"]")[0]
            .text()
            .collect::<String>(),
    )
    .unwrap();
    assert_eq!(
        ld["isRelatedTo"][0]["@id"],
        "https://example.org/results/bases/ningbo-fine-chemicals/"
    );
    assert_eq!(ld["isRelatedTo"][0]["name"], "宁波精细化工中试基地（示例）");
}

#[test]
fn a_closed_demand_is_published_as_closed_and_offered_to_no_result() {
    let (_site, out) = built();
    let page = html(&out.join("demands/battery-pack-insulation/index.html"));
    assert_eq!(select(&page, ".banner-closed").len(), 1, "closed banner");
    let list = html(&out.join("demands/index.html"));
    assert_eq!(select(&list, ".item-card.is-closed").len(), 1);
    let data = json(&out.join("data/demands.json"));
    let closed: Vec<&str> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["closed"] == true)
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(closed, ["battery-pack-insulation"]);
    // Its best match is the aerogel result, yet the result's page does not offer it.
    let demand = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "battery-pack-insulation")
        .unwrap();
    assert_eq!(demand["matches"][0]["id"], "2024-04/aerogel-insulation");
    let result = html(&out.join("releases/2024-04/aerogel-insulation/index.html"));
    let offered = attrs(&result, "#matches-title + .match-list a", "href");
    assert!(!offered.is_empty(), "the aerogel result has open matches");
    assert!(
        !offered
            .iter()
            .any(|h| h.contains("battery-pack-insulation")),
        "{offered:?}"
    );
    // An open demand is offered on its result's page.
    let flame = html(&out.join("releases/2024-03/flame-retardant/index.html"));
    assert!(
        attrs(&flame, "#matches-title + .match-list a", "href")
            .contains(&"/results/demands/appliance-flame-retardant/".to_string())
    );
}

#[test]
fn matches_are_ranked_with_scores_and_checkable_reasons() {
    let (_site, out) = built();
    let page = html(&out.join("demands/pmma-monomer/index.html"));
    let matches = select(&page, ".match");
    assert!(!matches.is_empty());
    let scores: Vec<u32> = matches
        .iter()
        .map(|m| m.value().attr("data-score").unwrap().parse().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(
        attrs(&page, ".match > a", "href")[0],
        "/results/releases/2024-03/mma-pilot/"
    );
    let reasons = texts(&page, ".match:first-child .match-reasons li");
    assert!(
        reasons.contains(&"同属技术领域：精细化工".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"同一地区：宁波市".to_string()),
        "{reasons:?}"
    );
    // The synonym list taught the matcher that 有机玻璃 is PMMA is MMA.
    assert!(
        reasons.iter().any(|r| r.starts_with("同义词：有机玻璃")),
        "{reasons:?}"
    );
    // English pages word the same reasons in English.
    let en = html(&out.join("en/demands/pmma-monomer/index.html"));
    let reasons = texts(&en, ".match:first-child .match-reasons li");
    assert!(
        reasons.contains(&"Same Fields: Fine chemicals".to_string()),
        "{reasons:?}"
    );
    // Matches are open data with the same order and reasons.
    let all = json(&out.join("data/matches.json"));
    let pmma = all["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["collection"] == "demands" && m["id"] == "pmma-monomer")
        .unwrap();
    assert_eq!(pmma["matches"][0]["id"], "2024-03/mma-pilot");
    assert!(
        pmma["matches"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "region" && r["region"] == "宁波市")
    );
    // A result lists related results, not itself.
    let entry = html(&out.join("releases/2024-03/mma-pilot/index.html"));
    let related = attrs(&entry, "#related-title + .match-list a", "href");
    assert!(!related.is_empty());
    assert!(
        !related.iter().any(|h| h.contains("mma-pilot")),
        "{related:?}"
    );
}

#[test]
fn the_labelled_demands_find_their_result_in_the_top_three() {
    let (site, out) = built();
    let hits = top3_hits(&out);
    println!(
        "top-3 hits with the sample synonyms: {hits}/{}",
        LABELLED.len()
    );
    assert!(hits >= 13, "only {hits} of {} in the top 3", LABELLED.len());
    // Without the site's synonym list the matcher still finds most (README reports both).
    let p = site.path().join("site.toml");
    let text = fs::read_to_string(&p).unwrap();
    let start = text.find("synonyms = [").unwrap();
    let end = start + text[start..].find("\n]\n").unwrap() + 3;
    fs::write(&p, format!("{}{}", &text[..start], &text[end..])).unwrap();
    build_ok(&opts(site.path()));
    let without = top3_hits(&out);
    println!("top-3 hits without synonyms: {without}/{}", LABELLED.len());
    assert!(without >= 11, "only {without} without synonyms");
}

#[test]
fn matching_output_is_byte_identical_across_builds() {
    let site = sample_site();
    let mut a = opts(site.path());
    a.output = Some(site.path().join("out-a"));
    let mut b = opts(site.path());
    b.output = Some(site.path().join("out-b"));
    build_ok(&a);
    build_ok(&b);
    let (fa, fb) = (
        files(&site.path().join("out-a")),
        files(&site.path().join("out-b")),
    );
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(fb[k] == *v, "{k} differs between two builds");
    }
    assert!(fa.contains_key("data/matches.json"));
}

fn failing(edit: impl FnOnce(&Path)) -> gazette::Failure {
    let site = sample_site();
    edit(site.path());
    match gazette::build(&opts(site.path())) {
        Ok(_) => panic!("the build should fail"),
        Err(f) => {
            // A failed build writes nothing.
            assert!(!site.path().join("output").exists());
            f
        }
    }
}

fn replace_in(root: &Path, rel: &str, from: &str, to: &str) {
    let p = root.join(rel);
    let text = fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} has no {from}");
    fs::write(&p, text.replace(from, to)).unwrap();
}

#[test]
fn a_reference_to_a_missing_item_is_an_error_at_its_value_with_a_suggestion() {
    let f = failing(|root| {
        replace_in(
            root,
            "content/demands/appliance-flame-retardant.md",
            "\"2024-03/flame-retardant\"",
            "\"2024-03/flame-retardent\"",
        );
        replace_in(
            root,
            "content/releases/2024-03/mma-pilot.md",
            "pilot_base = \"ningbo-fine-chemicals\"",
            "pilot_base = \"ningbo-fine-chemical\"",
        );
    });
    let refs: Vec<_> = f
        .diagnostics
        .iter()
        .filter(|d| d.problem.code() == "broken-ref")
        .collect();
    assert_eq!(refs.len(), 2, "both reported in one run: {f:?}");
    let demand = refs
        .iter()
        .find(|d| d.field.as_deref() == Some("answered_by"))
        .unwrap();
    let loc = demand.location.as_ref().unwrap();
    assert_eq!(
        loc.file,
        Path::new("content/demands/appliance-flame-retardant.md")
    );
    let text =
        fs::read_to_string(repo().join("content/demands/appliance-flame-retardant.md")).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("answered_by"))
        .unwrap()
        + 1;
    assert_eq!((loc.line, loc.column), (line, 15), "{demand}");
    assert_eq!(
        demand.problem.hint().as_deref(),
        Some("did you mean `2024-03/flame-retardant`?")
    );
    let base = refs
        .iter()
        .find(|d| d.field.as_deref() == Some("pilot_base"))
        .unwrap();
    assert_eq!(
        base.problem.hint().as_deref(),
        Some("did you mean `ningbo-fine-chemicals`?")
    );
}

#[test]
fn a_reference_to_a_draft_is_an_error_and_a_bad_collection_name_stops_the_config() {
    let f = failing(|root| {
        replace_in(
            root,
            "content/demands/appliance-flame-retardant.md",
            "\"2024-03/flame-retardant\"",
            "\"2025-01/lnp-mrna-delivery\"",
        );
    });
    let d = f
        .diagnostics
        .iter()
        .find(|d| d.problem.code() == "broken-ref")
        .unwrap_or_else(|| panic!("{f:?}"));
    assert!(d.problem.message().contains("draft or embargoed"), "{d}");
    let f = failing(|root| {
        replace_in(
            root,
            "site.toml",
            "collection = \"bases\"",
            "collection = \"basis\"",
        );
    });
    assert!(
        f.diagnostics[0]
            .problem
            .message()
            .contains("refers to the collection `basis`"),
        "{f:?}"
    );
}

#[test]
fn a_collection_item_is_checked_against_its_own_schema() {
    let f = failing(|root| {
        replace_in(
            root,
            "content/bases/ningbo-fine-chemicals.md",
            "staff = ",
            "staf = ",
        );
        replace_in(
            root,
            "content/demands/nitration-safety.md",
            "demand_type = \"tackle\"",
            "demand_type = \"tackel\"",
        );
    });
    let codes: Vec<(&str, Option<&str>)> = f
        .diagnostics
        .iter()
        .map(|d| (d.problem.code(), d.field.as_deref()))
        .collect();
    assert!(codes.contains(&("unknown-key", Some("staf"))), "{codes:?}");
    let e = f
        .diagnostics
        .iter()
        .find(|d| d.field.as_deref() == Some("demand_type"))
        .unwrap();
    assert_eq!(e.problem.hint().as_deref(), Some("did you mean `tackle`?"));
}

#[test]
fn a_release_lists_the_demands_published_in_it_and_a_wrong_release_is_an_error() {
    let (_site, out) = built();
    // The demands whose `release` names 2025-01, read from the content itself.
    let mut expected: Vec<String> = fs::read_dir(repo().join("content/demands"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".en.md"))
        .filter(|p| {
            fs::read_to_string(p)
                .unwrap()
                .contains("release = \"2025-01\"")
        })
        .map(|p| {
            let slug = p.file_stem().unwrap().to_string_lossy().to_string();
            format!("/results/demands/{slug}/")
        })
        .collect();
    expected.sort();
    assert!(
        expected.len() >= 3,
        "the sample publishes demands in 2025-01"
    );
    let release = html(&out.join("releases/2025-01/index.html"));
    let mut listed = attrs(&release, ".release-items .item-card h3 a", "href");
    listed.sort();
    assert_eq!(listed, expected);
    assert_eq!(
        texts(&release, ".release-items h2"),
        [format!("本期企业技术需求 {}", expected.len())]
    );
    // In English, the translated demand links its English page, the others their original.
    let en = html(&out.join("en/releases/2025-01/index.html"));
    let en_links = attrs(&en, ".release-items .item-card h3 a", "href");
    assert_eq!(en_links.len(), expected.len());
    assert!(en_links.contains(&"/results/en/demands/pmma-monomer/".to_string()));
    assert!(texts(&en, ".release-items h2")[0].starts_with("Technology demands in this release"));
    let other = html(&out.join("releases/2024-03/index.html"));
    assert!(select(&other, ".release-items").is_empty());
    // The demand's page links its release.
    let demand = html(&out.join("demands/pmma-monomer/index.html"));
    assert_eq!(
        attrs(&demand, ".field-release dd a", "href"),
        ["/results/releases/2025-01/"]
    );

    // A release that does not exist is an error at the value, with a suggestion.
    let f = failing(|root| {
        replace_in(
            root,
            "content/demands/pmma-monomer.md",
            "release = \"2025-01\"",
            "release = \"2025-1\"",
        );
    });
    let d = f
        .diagnostics
        .iter()
        .find(|d| d.problem.code() == "broken-ref")
        .unwrap_or_else(|| panic!("{f:?}"));
    assert_eq!(d.field.as_deref(), Some("release"));
    let loc = d.location.as_ref().unwrap();
    assert_eq!(loc.file, Path::new("content/demands/pmma-monomer.md"));
    assert_eq!(loc.column, 11, "{d}");
    assert_eq!(d.problem.hint().as_deref(), Some("did you mean `2025-01`?"));
}
