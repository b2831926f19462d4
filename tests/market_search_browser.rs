//! Search over results and the collections' items in a real browser: the sample site is
//! built under a `/results/` base path, served on the loopback interface and driven with
//! Debian's headless Chromium (as tests/search_browser.rs does). A query finds a demand
//! written in a company's words beside the results; the `kind` facet (科技成果 / 企业技术需求 /
//! 中试基地) narrows the results to one kind, goes into the URL and counts like every facet;
//! items show their kind; the English page names the facet and the results in English.
//!
//! Chromium is required: CI installs it (`.ci/run`), and the test fails without it.

mod common;

use std::path::Path;

use gazette::BuildOptions;
use headless_chrome::Tab;

use common::browser::*;
use common::*;

fn open(tab: &Tab, url: &str) -> Result<()> {
    tab.navigate_to(url)?.wait_until_navigated()?;
    wait_until(tab, "document.readyState", "complete")
}

const STATE: &str = "(function () { var s = document.getElementById('search'); \
                     return s ? (s.dataset.state || '') + '|' + (s.dataset.query || '') : ''; })()";

fn texts_of(tab: &Tab, css: &str) -> Result<Vec<String>> {
    let js = format!(
        "JSON.stringify(Array.from(document.querySelectorAll({})).map(function (e) {{ return e.textContent.trim(); }}))",
        serde_json::to_string(css)?
    );
    Ok(serde_json::from_str(&eval_string(tab, &js)?)?)
}

/// The count a facet value shows.
fn count(tab: &Tab, facet: &str, value: &str) -> Result<usize> {
    let css = format!("fieldset[data-facet={facet}] input[value={value}] ~ .count");
    Ok(texts_of(tab, &css)?
        .first()
        .map_or(0, |c| c.parse().unwrap()))
}

const PMMA: &str = "光学级有机玻璃原料本地化生产工艺";

#[test]
fn search_finds_items_beside_results_and_filters_by_kind_in_headless_chromium() -> Result<()> {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's chromium (as .ci/run does) to run this test"
    );
    let site = sample_site();
    let out = site.path().join("output");
    let server = Server::start(out.clone())?;
    let base = format!("http://127.0.0.1:{}/results/", server.addr.port());
    build_ok(&BuildOptions {
        base_url: Some(base.clone()),
        ..BuildOptions::new(site.path())
    });
    let profile = tempfile::tempdir()?;
    let browser = launch(profile.path())?;
    let tab = browser.new_tab()?;
    tab.set_default_timeout(TIMEOUT);

    // 1. Filter-only browsing by kind: every demand, each marked as one, nothing else.
    open(&tab, &format!("{base}search/?kind=demands"))?;
    wait_until(&tab, STATE, "ready|")?;
    assert_eq!(count(&tab, "kind", "demands")?, 15);
    // Counts are disjunctive: a facet's own values are counted without its own filter.
    assert_eq!(count(&tab, "kind", "bases")?, 36);
    let status = texts_of(&tab, ".search-status")?;
    // Demands are not results: the count says "items".
    assert_eq!(status, ["找到 15 项"]);
    // Filtered to results alone, it says results.
    open(&tab, &format!("{base}search/?kind=results"))?;
    wait_until(&tab, STATE, "ready|")?;
    let status = texts_of(&tab, ".search-status")?;
    assert!(
        status.len() == 1 && status[0].starts_with("找到 ") && status[0].ends_with(" 项成果"),
        "{status:?}"
    );
    open(&tab, &format!("{base}search/?kind=demands"))?;
    wait_until(&tab, STATE, "ready|")?;
    // The first page of ten, every one a demand.
    let kinds = texts_of(&tab, ".search-results .result-kind")?;
    assert_eq!(kinds.len(), 10);
    assert!(kinds.iter().all(|k| k == "企业技术需求"), "{kinds:?}");

    // 2. A query over every kind: the demand written in a company's words is found beside
    //    whatever else says 有机玻璃; the kind facet counts each kind.
    open(
        &tab,
        &format!("{base}search/?q=%E6%9C%89%E6%9C%BA%E7%8E%BB%E7%92%83"),
    )?;
    wait_until(&tab, STATE, "ready|有机玻璃")?;
    let all = texts_of(&tab, ".search-results .result-title")?;
    assert!(all.contains(&PMMA.to_string()), "{all:?}");
    let legend = texts_of(&tab, "fieldset[data-facet=kind] legend")?;
    assert_eq!(legend, ["类型"]);
    let labels = texts_of(&tab, "fieldset[data-facet=kind] .facet-label")?;
    assert!(labels.contains(&"企业技术需求".to_string()), "{labels:?}");
    let demands = count(&tab, "kind", "demands")?;
    assert!(demands >= 1);

    // 3. Ticking 企业技术需求 keeps only demands, and goes into the URL.
    tab.wait_for_element("input[name=kind][value=demands]")?
        .click()?;
    wait_until(
        &tab,
        &format!("location.search + ' ' + {STATE}"),
        "?q=%E6%9C%89%E6%9C%BA%E7%8E%BB%E7%92%83&kind=demands ready|有机玻璃",
    )?;
    let only = texts_of(&tab, ".search-results .result-title")?;
    assert_eq!(only.len(), demands);
    assert!(only.contains(&PMMA.to_string()), "{only:?}");
    let kinds = texts_of(&tab, ".search-results .result-kind")?;
    assert_eq!(
        kinds.len(),
        only.len(),
        "each result is marked with its kind"
    );
    assert!(kinds.iter().all(|k| k == "企业技术需求"), "{kinds:?}");
    let hrefs = eval_string(
        &tab,
        "Array.from(document.querySelectorAll('.result-title a')).map(function (a) { return a.getAttribute('href'); }).join(' ')",
    )?;
    assert!(
        hrefs.split(' ').all(|h| h.starts_with("/results/demands/")),
        "{hrefs}"
    );

    // 4. Results only: no item among them.
    open(
        &tab,
        &format!("{base}search/?kind=results&fields=fine-chemicals"),
    )?;
    wait_until(&tab, STATE, "ready|")?;
    assert!(!texts_of(&tab, ".search-results .result-title")?.is_empty());
    assert!(texts_of(&tab, ".search-results .result-kind")?.is_empty());
    // Items share the results' field facet: fine chemicals counts demands and bases too.
    open(&tab, &format!("{base}search/?fields=fine-chemicals"))?;
    wait_until(&tab, STATE, "ready|")?;
    assert!(count(&tab, "kind", "demands")? >= 1);
    assert!(count(&tab, "kind", "bases")? >= 1);
    assert!(count(&tab, "kind", "results")? >= 1);

    // 5. English: the facet and the results' value are named in English.
    open(&tab, &format!("{base}en/search/?kind=demands"))?;
    wait_until(&tab, STATE, "ready|")?;
    assert_eq!(
        texts_of(&tab, "fieldset[data-facet=kind] legend")?,
        ["Kind"]
    );
    let labels = texts_of(&tab, "fieldset[data-facet=kind] .facet-label")?;
    assert!(
        labels.contains(&"Technology demands".to_string()),
        "{labels:?}"
    );
    open(&tab, &format!("{base}en/search/"))?;
    wait_until(&tab, STATE, "ready|")?;
    let labels = texts_of(&tab, "fieldset[data-facet=kind] .facet-label")?;
    assert_eq!(labels, ["Results", "Technology demands", "Pilot bases"]);

    // Every request stayed under the base path and found its file.
    let failed: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|(status, path)| *status != 200 && path != "/favicon.ico")
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    Ok(())
}
