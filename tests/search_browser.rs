//! Search in a real browser: the `basic` fixture plus the entries of `tests/fixtures/search`
//! is built under a `/results/` base path, served by a small static server on the loopback
//! interface (as in tests/browser.rs), and driven with Debian's headless Chromium through the
//! DevTools protocol. It types Chinese and English queries into the search box, applies a
//! facet, opens shared URLs and the header's search box, and asserts the exact result sets;
//! it also checks that the client's tokenizer gives the same tokens as the Rust one, that
//! results are text (never HTML), and that every request stayed under `/results/`.
//!
//! Chromium is required: CI installs it (`.ci/run`), and the test fails without it.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use gazette::BuildOptions;
use gazette::search::tokenize::{index_tokens, token_hash};
use headless_chrome::Tab;

use common::browser::*;
use common::*;

fn open(tab: &Tab, url: &str) -> Result<()> {
    tab.navigate_to(url)?.wait_until_navigated()?;
    wait_until(tab, "document.readyState", "complete")
}

const STATE: &str = "(function () { var s = document.getElementById('search'); \
                     return s ? (s.dataset.state || '') + '|' + (s.dataset.query || '') : ''; })()";

/// Waits until the search page shows the results of `query`, with their documents loaded.
fn wait_for_results(tab: &Tab, query: &str) -> Result<()> {
    wait_until(tab, STATE, &format!("ready|{query}"))
}

/// The titles of the results shown, in order.
fn titles(tab: &Tab) -> Result<Vec<String>> {
    let js = "JSON.stringify(Array.from(document.querySelectorAll('.search-results .result-title'))\
              .map(function (e) { return e.textContent; }))";
    Ok(serde_json::from_str(&eval_string(tab, js)?)?)
}

fn title_set(tab: &Tab) -> Result<BTreeSet<String>> {
    Ok(titles(tab)?.into_iter().collect())
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn text(tab: &Tab, css: &str) -> Result<String> {
    let css = serde_json::to_string(css)?;
    eval_string(
        tab,
        &format!("(document.querySelector({css}) || {{textContent: ''}}).textContent.trim()"),
    )
}

/// Focuses the input `css`, selects what it holds, types `query` and presses Enter.
fn type_query(tab: &Tab, css: &str, query: &str) -> Result<()> {
    tab.wait_for_element(css)?.click()?;
    tab.evaluate("document.activeElement.select()", false)?;
    tab.type_str(query)?;
    tab.press_key("Enter")?;
    Ok(())
}

const MMA: &str = "甲基丙烯酸甲酯催化剂中试装置";
const OXIDATION: &str = "催化氧化废水处理技术";
const AEROGEL: &str = "二氧化硅气凝胶新材料";
const ALPHA: &str = "阿尔法新材料";

#[test]
fn search_finds_chinese_and_english_results_with_facets_in_headless_chromium() -> Result<()> {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's chromium (as .ci/run does) to run this test"
    );
    let site = fixture("basic");
    copy_dir(&repo().join("tests/fixtures/search"), site.path());
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

    // 1. A shared URL with a Chinese query: exactly the entry containing 催化剂 (not the one
    //    with 催化 and 氧化剂), the match highlighted, the status counting it.
    open(
        &tab,
        &format!("{base}search/?q=%E5%82%AC%E5%8C%96%E5%89%82"),
    )?;
    wait_for_results(&tab, "催化剂")?;
    assert_eq!(titles(&tab)?, [MMA]);
    assert_eq!(text(&tab, ".search-status")?, "找到 1 项成果");
    assert_eq!(text(&tab, ".result-title mark")?, "催化剂");
    assert_eq!(
        text(&tab, ".result-meta")?,
        "中国科学院宁波材料技术与工程研究所中试"
    );
    assert_eq!(text(&tab, ".result-stage")?, "中试");
    assert!(text(&tab, ".result-snippet")?.contains("催化剂"));
    assert_eq!(
        eval_string(&tab, "document.getElementById('search-q').value")?,
        "催化剂"
    );

    // 2. The client's tokenizer and shard hash agree with the index's.
    for sample in [
        "甲基丙烯酸甲酯（MMA）新型催化剂完成千吨级中试。",
        "ＰＢＡＴ-based Catalyst, 2nd ed. Café ÉTÉ 膜",
        "Ⅻ 〇 ㈠ ｶﾀｶﾅ カタカナ 한국어 𠀀𠀁 x²",
    ] {
        let js = format!(
            "JSON.stringify(gazetteSearch.indexTokens({}))",
            serde_json::to_string(sample)?
        );
        let from_js: Vec<String> = serde_json::from_str(&eval_string(&tab, &js)?)?;
        assert_eq!(from_js, index_tokens(sample), "tokens of {sample}");
        for token in index_tokens(sample) {
            let js = format!(
                "String(gazetteSearch.tokenHash({}))",
                serde_json::to_string(&token)?
            );
            assert_eq!(
                eval_string(&tab, &js)?,
                token_hash(&token).to_string(),
                "hash of {token}"
            );
        }
    }

    // 3. Typing a two-character query into the search box.
    type_query(&tab, "#search-q", "中试")?;
    wait_for_results(&tab, "中试")?;
    assert_eq!(title_set(&tab)?, set(&[MMA, AEROGEL, ALPHA]));
    assert!(eval_string(&tab, "location.search")?.contains("q=%E4%B8%AD%E8%AF%95"));

    // 4. A facet narrows the results; its state goes into the URL.
    tab.wait_for_element("input[name=fields][value=new-materials]")?
        .click()?;
    wait_until(
        &tab,
        &format!("location.search + ' ' + {STATE}"),
        "?q=%E4%B8%AD%E8%AF%95&fields=new-materials ready|中试",
    )?;
    assert_eq!(title_set(&tab)?, set(&[AEROGEL, ALPHA]));
    // The other facets count within the filtered results: both are at the pilot stage.
    assert_eq!(
        text(
            &tab,
            "fieldset[data-facet=stage] input[value=pilot] ~ .count"
        )?,
        "2"
    );
    let shared = eval_string(&tab, "location.href")?;

    // 5. The shared URL shows the same results, the facet checked.
    open(&tab, &base)?;
    open(&tab, &shared)?;
    wait_for_results(&tab, "中试")?;
    assert_eq!(title_set(&tab)?, set(&[AEROGEL, ALPHA]));
    assert_eq!(
        eval_string(
            &tab,
            "String(document.querySelector('input[name=fields][value=new-materials]').checked)"
        )?,
        "true"
    );

    // 6. Filter-only browsing; a summary that looks like HTML is shown as text.
    open(&tab, &format!("{base}search/?stage=research"))?;
    wait_for_results(&tab, "")?;
    assert_eq!(
        title_set(&tab)?,
        set(&["德尔塔新材料", "贝塔精细化工", OXIDATION])
    );
    assert_eq!(
        eval_string(
            &tab,
            "String(document.querySelectorAll('.search-results img, .search-results script').length)"
        )?,
        "0"
    );
    let snippets = eval_string(
        &tab,
        "Array.from(document.querySelectorAll('.result-snippet')).map(function (e) { return e.textContent; }).join('\\n')",
    )?;
    assert!(
        snippets.contains("<img src=x onerror=alert(1)>"),
        "{snippets}"
    );

    // 7. English: a word finds its prefixes (catalyst, catalysts); the English page shows
    //    untranslated entries in Chinese, marked with their language.
    open(&tab, &format!("{base}en/search/"))?;
    wait_for_results(&tab, "")?;
    assert_eq!(
        text(&tab, ".search-status")?,
        "Type a query, or filter by category."
    );
    type_query(&tab, "#search-q", "catalyst")?;
    wait_for_results(&tab, "catalyst")?;
    assert_eq!(
        title_set(&tab)?,
        set(&[
            "Pilot plant for a methyl methacrylate catalyst",
            "Silica aerogel insulation material"
        ])
    );
    assert_eq!(text(&tab, ".search-status")?, "2 results");
    type_query(&tab, "#search-q", "催化氧化")?;
    wait_for_results(&tab, "催化氧化")?;
    assert_eq!(titles(&tab)?, [OXIDATION]);
    assert_eq!(
        eval_string(&tab, "document.querySelector('.result').lang")?,
        "zh"
    );
    assert_eq!(text(&tab, ".result-stage")?, "Research");
    // A facet with an English query: only one of the catalyst results is fine chemicals.
    type_query(&tab, "#search-q", "catalyst")?;
    wait_for_results(&tab, "catalyst")?;
    tab.wait_for_element("input[name=fields][value=fine-chemicals]")?
        .click()?;
    wait_until(
        &tab,
        &format!("location.search + ' ' + {STATE}"),
        "?q=catalyst&fields=fine-chemicals ready|catalyst",
    )?;
    assert_eq!(
        titles(&tab)?,
        ["Pilot plant for a methyl methacrylate catalyst"]
    );
    assert_eq!(
        text(&tab, ".result-title mark")?,
        "catalyst",
        "the query is highlighted in the title"
    );

    // 8. The search box in every page's header leads to the search page.
    open(&tab, &format!("{base}releases/"))?;
    type_query(&tab, "#site-search-q", "甲基丙烯酸甲酯")?;
    wait_until(&tab, "location.pathname", "/results/search/")?;
    wait_for_results(&tab, "甲基丙烯酸甲酯")?;
    assert_eq!(titles(&tab)?, [MMA]);

    // Every request stayed under the base path and found its file (Chromium's own
    // /favicon.ico aside); the index was read in pieces, never a document it did not show.
    let requests = server.requests();
    let failed: Vec<_> = requests
        .iter()
        .filter(|(status, path)| *status != 200 && path != "/favicon.ico")
        .collect();
    assert!(failed.is_empty(), "requests that failed: {failed:?}");
    assert!(
        requests
            .iter()
            .all(|(_, p)| p.starts_with("/results/") || p == "/favicon.ico"),
        "{requests:?}"
    );
    for file in [
        "search/meta.json",
        "en/search/meta.json",
        "search/search.js",
    ] {
        assert!(
            requests
                .iter()
                .any(|(_, p)| *p == format!("/results/{file}")),
            "{file} never loaded"
        );
    }
    Ok(())
}
