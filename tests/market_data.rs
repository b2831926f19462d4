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
    assert!(!header.iter().any(|h| h == "release"));
    let data = json(&out.join("data/demands.json"));
    assert_eq!(rows.len(), data["count"].as_u64().unwrap() as usize);
    assert_eq!(rows.len(), 15);
    let row = |slug: &str| rows.iter().find(|r| r["slug"] == slug).unwrap();
    let pmma = row("pmma-monomer");
    assert_eq!(pmma["fields"], "fine-chemicals");
    assert_eq!(pmma["closed"], "false");
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
