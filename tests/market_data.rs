//! The marketplace's collections through the machinery the results use: open data as CSV
//! with CSVW metadata, taxonomy pages, statistics, search with a facet for the kind of item,
//! and spreadsheets in and out (`gazette import`/`export --collection`), on the sample site.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// The sample site built into its `output/`, and the folder.
fn built() -> (tempfile::TempDir, PathBuf) {
    let site = sample_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    (site, out)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// A CSV file's header and rows, after checking and removing the UTF-8 BOM.
fn csv_rows(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let bytes = fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{path:?}: no UTF-8 BOM");
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
fn every_collection_has_csv_open_data_described_by_csvw() {
    let (_site, out) = built();
    let (header, rows) = csv_rows(&out.join("data/demands.csv"));
    // Items have no release: the key is the slug alone.
    assert_eq!(&header[..3], ["slug", "title", "summary"]);
    for col in [
        "company",
        "fields",
        "budget.amount",
        "contact.name",
        "closed",
        "urls.zh",
        "urls.en",
    ] {
        assert!(header.iter().any(|h| h == col), "no {col} in {header:?}");
    }
    // One `release` column: the demands' own field (the release a demand is published in),
    // not Gazette's column for entries.
    assert_eq!(header.iter().filter(|h| *h == "release").count(), 1);
    let data = json(&out.join("data/demands.json"));
    assert_eq!(rows.len(), data["count"].as_u64().unwrap() as usize);
    assert_eq!(rows.len(), 15);
    let row = |slug: &str| rows.iter().find(|r| r["slug"] == slug).unwrap();
    let pmma = row("pmma-monomer");
    assert_eq!(pmma["fields"], "fine-chemicals");
    assert_eq!(pmma["closed"], "false");
    assert_eq!(pmma["release"], "2025-01");
    assert_eq!(
        pmma["urls.en"],
        "https://example.org/results/en/demands/pmma-monomer/"
    );
    assert_eq!(row("nitration-safety")["urls.en"], "", "not translated");
    // The demand past its deadline says so.
    assert_eq!(row("battery-pack-insulation")["closed"], "true");
    // Every cell agrees with the JSON open data.
    for item in data["items"].as_array().unwrap() {
        let r = row(item["id"].as_str().unwrap());
        assert_eq!(r["title"], item["values"]["title"].as_str().unwrap());
        assert_eq!(r["company"], item["values"]["company"].as_str().unwrap());
        assert_eq!(r["closed"], item["closed"].to_string());
    }

    // Pilot bases: integers stay numbers and add up to the province's figures.
    let (bheader, bases) = csv_rows(&out.join("data/bases.csv"));
    assert!(
        !bheader.iter().any(|h| h == "closed"),
        "bases have no deadline"
    );
    assert_eq!(bases.len(), 36);
    let floor: i64 = bases
        .iter()
        .map(|r| r["floor_space"].parse::<i64>().unwrap())
        .sum();
    assert!(floor >= 1_600_000, "{floor}");

    // CSVW metadata describes exactly these columns.
    let meta = json(&out.join("data/demands.csv-metadata.json"));
    assert_eq!(meta["@context"][0], "http://www.w3.org/ns/csvw");
    assert_eq!(meta["tables"][0]["url"], "demands.csv");
    let columns = meta["tableSchema"]["columns"].as_array().unwrap();
    let titles: Vec<&str> = columns
        .iter()
        .map(|c| c["titles"].as_str().unwrap())
        .collect();
    assert_eq!(titles, header);
    let col = |name: &str| columns.iter().find(|c| c["titles"] == name).unwrap();
    assert_eq!(col("fields")["separator"], "|");
    assert_eq!(col("budget.amount")["datatype"]["base"], "integer");
    assert_eq!(col("closes")["datatype"], "date");
    assert_eq!(col("closed")["datatype"]["base"], "boolean");
    assert_eq!(col("company")["required"], true);
    assert_eq!(
        meta["tableSchema"]["primaryKey"],
        serde_json::json!(["slug"])
    );
    let bmeta = json(&out.join("data/bases.csv-metadata.json"));
    let bcols = bmeta["tableSchema"]["columns"].as_array().unwrap();
    let staff = bcols.iter().find(|c| c["titles"] == "staff").unwrap();
    assert_eq!(staff["datatype"]["minimum"], 0);
    // The collection's list page links its files.
    let list = html(&out.join("en/demands/index.html"));
    let links = attrs(&list, "a[type='text/csv']", "href");
    assert!(
        links.contains(&"/results/data/demands.csv".to_string()),
        "{links:?}"
    );
}

/// The bars of chart `id` on a statistics page: key → value.
fn bars(page: &scraper::Html, id: &str) -> BTreeMap<String, usize> {
    let sel = scraper::Selector::parse(&format!("#{id} g.bar")).unwrap();
    page.select(&sel)
        .map(|g| {
            let v = g.value();
            (
                v.attr("data-key").unwrap().to_string(),
                v.attr("data-value").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn collections_have_taxonomy_pages_and_their_values_link_there() {
    let (_site, out) = built();
    let data = json(&out.join("data/demands.json"));
    let items = data["items"].as_array().unwrap();
    // The index of a taxonomy lists its terms with counts that agree with the open data.
    let index = html(&out.join("demands/fields/index.html"));
    assert_eq!(texts(&index, "h1"), ["技术领域"]);
    let terms = attrs(&index, ".terms a", "href");
    assert!(
        terms.contains(&"/results/demands/fields/fine-chemicals/".to_string()),
        "{terms:?}"
    );
    let with = |field: &str, key: &str| {
        items
            .iter()
            .filter(|i| {
                i["values"][field]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v == key))
            })
            .count()
    };
    for href in &terms {
        let rel = href.trim_start_matches("/results/");
        let key = rel.trim_end_matches('/').rsplit('/').next().unwrap();
        let page = html(&out.join(rel).join("index.html"));
        // Every item under the term is listed (fewer than a page of them).
        assert_eq!(
            select(&page, ".item-card").len(),
            with("fields", key),
            "{rel}"
        );
    }
    let fine = html(&out.join("demands/fields/fine-chemicals/index.html"));
    assert!(texts(&fine, "title")[0].starts_with("精细化工 · 企业技术需求 · "));
    assert_eq!(
        texts(&fine, "h1")[0].split_whitespace().next(),
        Some("精细化工")
    );
    let listed = attrs(&fine, ".item-card h2 a", "href");
    assert!(
        listed.contains(&"/results/demands/pmma-monomer/".to_string()),
        "{listed:?}"
    );
    // Free-text taxonomies too (regions), in both languages.
    let regions = html(&out.join("bases/region/index.html"));
    let region_links = attrs(&regions, ".terms a", "href");
    assert!(!region_links.is_empty());
    let first = region_links[0].trim_start_matches("/results/");
    assert!(out.join(first).join("index.html").is_file(), "{first}");
    assert!(out.join("en/bases/region/index.html").is_file());
    assert!(
        out.join("en/demands/fields/fine-chemicals/index.html")
            .is_file()
    );
    // An item's taxonomy values link to its collection's term pages, not the results'.
    let pmma = html(&out.join("demands/pmma-monomer/index.html"));
    let links = attrs(&pmma, ".field-fields a", "href");
    assert_eq!(links, ["/results/demands/fields/fine-chemicals/"]);
    // The list page links the taxonomies and the statistics.
    let list = html(&out.join("demands/index.html"));
    let hrefs = attrs(&list, "a", "href");
    for want in [
        "/results/demands/fields/",
        "/results/demands/region/",
        "/results/demands/stats/",
    ] {
        assert!(hrefs.contains(&want.to_string()), "{want} in {hrefs:?}");
    }
    // They are in the sitemap.
    let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("https://example.org/results/demands/fields/fine-chemicals/"));
    assert!(sitemap.contains("https://example.org/results/bases/stats/"));
}

#[test]
fn collections_have_statistics_pages_with_counts_open_and_closed_and_totals() {
    let (_site, out) = built();
    let data = json(&out.join("data/demands.json"));
    let items = data["items"].as_array().unwrap();
    let page = html(&out.join("demands/stats/index.html"));
    assert_eq!(texts(&page, "h1"), ["企业技术需求统计"]);
    // Demands by field: each bar is the number of demands naming the field.
    let fields = bars(&page, "chart-fields");
    assert!(!fields.is_empty());
    for (key, n) in &fields {
        let want = items
            .iter()
            .filter(|i| {
                i["values"]["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|v| v == key)
            })
            .count();
        assert_eq!(*n, want, "{key}");
    }
    // Open against closed.
    let open = bars(&page, "chart-open");
    let closed = items.iter().filter(|i| i["closed"] == true).count();
    assert_eq!(open["closed"], closed);
    assert_eq!(open["open"], items.len() - closed);
    assert!(closed >= 1);
    // Its words are the collection's, not the results'.
    let en = html(&out.join("en/demands/stats/index.html"));
    let titles = texts(&en, ".chart h2");
    assert!(
        titles.contains(&"Technology demands by Fields".to_string())
            || titles
                .iter()
                .any(|t| t.starts_with("Technology demands by")),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Open and closed".to_string()),
        "{titles:?}"
    );

    // Pilot bases: their floor space, instruments and staff summed.
    let bases = json(&out.join("data/bases.json"));
    let sum = |f: &str| -> i64 {
        bases["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["values"][f].as_i64())
            .sum()
    };
    let page = html(&out.join("bases/stats/index.html"));
    let dts = texts(&page, ".stats-totals dt");
    let dds = texts(&page, ".stats-totals dd");
    assert_eq!(dts, ["场地面积（m²）", "仪器设备（台套）", "专职人员"]);
    let shown: Vec<i64> = dds
        .iter()
        .map(|d| d.replace(',', "").parse().unwrap())
        .collect();
    assert_eq!(
        shown,
        [sum("floor_space"), sum("instruments"), sum("staff")]
    );
    assert!(shown[0] >= 1_600_000 && shown[1] > 10_000, "{shown:?}");
    // No deadline, no open/closed chart; bases per region are there.
    assert!(bars(&page, "chart-open").is_empty());
    assert_eq!(bars(&page, "chart-region").values().sum::<usize>(), 36);
}

/// Every item of a collection: slug → (values as JSON, trimmed body).
fn items_of(root: &Path, collection: &str) -> BTreeMap<String, (String, String)> {
    let mut o = opts(root);
    o.drafts = true;
    let loaded = gazette::load_site(&o).unwrap();
    let site = &loaded.site;
    let zh = site.default_lang().clone();
    let c = site
        .collections
        .iter()
        .find(|c| c.name.as_str() == collection)
        .unwrap();
    c.items
        .iter()
        .map(|it| {
            let v = &it.versions[&zh];
            (
                it.slug.to_string(),
                (
                    serde_json::to_string(&v.values).unwrap(),
                    v.body.text().trim().to_string(),
                ),
            )
        })
        .collect()
}

fn gazette(root: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn a_collection_exports_to_a_spreadsheet_and_imports_back_to_identical_items() {
    for format in ["csv", "xlsx"] {
        let site = sample_site();
        let root = site.path();
        let original = items_of(root, "demands");
        assert_eq!(original.len(), 15);
        let file = root.join(format!("demands.{format}"));
        let out = gazette(
            root,
            &[
                "export",
                "--collection",
                "demands",
                "--format",
                format,
                "-o",
                file.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Re-importing over the originals changes nothing.
        let out = gazette(
            root,
            &["import", file.to_str().unwrap(), "--collection", "demands"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("0 created, 0 updated, 15 unchanged"),
            "{format}: {said}"
        );
        // Importing into an emptied folder recreates the same items (translations stay).
        let dir = root.join("content/demands");
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.matches('.').count() == 1 {
                fs::remove_file(p).unwrap();
            }
        }
        let out = gazette(
            root,
            &["import", file.to_str().unwrap(), "--collection", "demands"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(items_of(root, "demands"), original, "{format}");
    }
}

#[test]
fn importing_into_a_collection_checks_rows_against_its_schema_at_file_row_column() {
    let site = sample_site();
    let root = site.path();
    let before = files(&root.join("content/bases"));
    // A base with staff that is not a number, and one without its required operator.
    let sheet = root.join("bases.csv");
    fs::write(
        &sheet,
        "基地名称,基地简介,运营单位,地区,服务领域,专职人员,联系方式/联系人\n\
         新基地,中试服务,某公司,杭州市,新材料,很多,王五\n\
         另一基地,检测服务,,宁波市,精细化工,12,赵六\n",
    )
    .unwrap();
    let out = gazette(
        root,
        &["import", sheet.to_str().unwrap(), "--collection", "bases"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // Row 2, column 6 (专职人员): not an integer; row 3: the operator is missing.
    assert!(err.contains("bases.csv:2:6"), "{err}");
    assert!(err.contains("staff"), "{err}");
    assert!(err.contains("bases.csv:3"), "{err}");
    assert!(err.contains("operator"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(
        files(&root.join("content/bases")),
        before,
        "nothing written"
    );
    // An unknown collection is named, with the ones there are.
    let out = gazette(
        root,
        &["import", sheet.to_str().unwrap(), "--collection", "labs"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no collection `labs`") && err.contains("demands, bases"),
        "{err}"
    );
    // A good row is written as a new item that builds.
    fs::write(
        &sheet,
        "基地名称,基地简介,运营单位,地区,服务领域,专职人员,联系方式/联系人\n\
         绍兴新材料中试基地,中试服务,某公司,绍兴市,新材料|精细化工,12,王五\n",
    )
    .unwrap();
    let out = gazette(
        root,
        &["import", sheet.to_str().unwrap(), "--collection", "bases"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items = items_of(root, "bases");
    let (slug, (values, _)) = items
        .iter()
        .find(|(_, (v, _))| v.contains("绍兴新材料中试基地"))
        .unwrap();
    assert!(values.contains("\"staff\":12"), "{values}");
    assert!(
        values.contains("[\"new-materials\",\"fine-chemicals\"]"),
        "{values}"
    );
    build_ok(&opts(root));
    assert!(
        root.join(format!("output/bases/{slug}/index.html"))
            .is_file()
    );
}
