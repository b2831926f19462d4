//! The search index of a built site, read back file by file: the records and postings of a
//! tiny site, queried in Rust exactly as the client queries them (tokenize, fetch the shards
//! of the query's tokens, intersect, filter by facets), with exact result sets. Also: held
//! entries are never indexed, the header search box, a theme without search, URL collisions,
//! and watch mode re-tokenizing only the edited entry.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use common::*;
use gazette::search::encode::decode;
use gazette::search::tokenize::{Term, query_terms, shard_of};
use serde_json::Value as Json;

/// The `basic` fixture with the entries of `tests/fixtures/search` added.
pub fn search_site() -> tempfile::TempDir {
    let site = fixture("basic");
    copy_dir(&repo().join("tests/fixtures/search"), site.path());
    site
}

fn json(path: &Path) -> Json {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One language's index in a build's output, queried like `client.js` does.
struct Index {
    out: std::path::PathBuf,
    /// `""` or `"en/"`.
    prefix: String,
    meta: Json,
}

impl Index {
    fn open(out: &Path, prefix: &str) -> Index {
        Index {
            out: out.to_path_buf(),
            prefix: prefix.to_string(),
            meta: json(&out.join(format!("{prefix}search/meta.json"))),
        }
    }

    fn docs(&self) -> u32 {
        self.meta["docs"].as_u64().unwrap() as u32
    }

    fn shard(&self, token: &str) -> serde_json::Map<String, Json> {
        let n = shard_of(token, self.meta["shards"].as_u64().unwrap() as usize);
        let path = self
            .out
            .join(format!("{}search/index/{n}.json", self.prefix));
        json(&path).as_object().unwrap().clone()
    }

    fn list(v: Option<&Json>, i: usize) -> BTreeSet<u32> {
        v.and_then(|e| e.get(i))
            .and_then(Json::as_str)
            .map(|s| decode(s).expect("a valid list").into_iter().collect())
            .unwrap_or_default()
    }

    /// The documents matching every term of `q`.
    fn matches(&self, q: &str) -> BTreeSet<u32> {
        let mut result: BTreeSet<u32> = (0..self.docs()).collect();
        for term in query_terms(q) {
            let docs: BTreeSet<u32> = match term {
                Term::Cjk { tokens, .. } => {
                    let mut docs: Option<BTreeSet<u32>> = None;
                    for t in tokens {
                        let list = Self::list(self.shard(&t).get(&t), 0);
                        docs = Some(match docs {
                            Some(d) => d.intersection(&list).copied().collect(),
                            None => list,
                        });
                    }
                    docs.unwrap_or_default()
                }
                Term::Word { text, prefix } => self
                    .shard(&text)
                    .iter()
                    .filter(|(k, _)| **k == text || (prefix && k.starts_with(&text)))
                    .flat_map(|(_, v)| Self::list(Some(v), 0))
                    .collect(),
            };
            result = result.intersection(&docs).copied().collect();
        }
        result
    }

    /// The documents of facet `name`'s value `slug`.
    fn facet(&self, name: &str, slug: &str) -> BTreeSet<u32> {
        let facet = self.meta["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no facet {name}"));
        let value = facet["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["slug"] == slug)
            .unwrap_or_else(|| panic!("no value {slug} in {name}"));
        decode(value["docs"].as_str().unwrap())
            .unwrap()
            .into_iter()
            .collect()
    }

    /// Document `n` as the client reads it (this language's file, else the default's).
    fn doc(&self, n: u32) -> Json {
        let own = self.out.join(format!("{}search/doc/{n}.json", self.prefix));
        if own.is_file() {
            json(&own)
        } else {
            json(&self.out.join(format!("search/doc/{n}.json")))
        }
    }

    fn titles(&self, docs: &BTreeSet<u32>) -> BTreeSet<String> {
        docs.iter()
            .map(|&d| self.doc(d)["t"].as_str().unwrap().to_string())
            .collect()
    }

    fn search(&self, q: &str) -> BTreeSet<String> {
        self.titles(&self.matches(q))
    }
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let site = search_site();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    (site, out)
}

const MMA: &str = "甲基丙烯酸甲酯催化剂中试装置";
const OXIDATION: &str = "催化氧化废水处理技术";
const AEROGEL: &str = "二氧化硅气凝胶新材料";

#[test]
fn chinese_queries_find_exactly_the_entries_containing_them() {
    let (_site, out) = built();
    let zh = Index::open(&out, "");
    assert_eq!(zh.docs(), 7, "seven public entries");
    // 催化氧化废水处理技术 has 催化 and 氧化剂 but not 催化剂: no match.
    assert_eq!(zh.search("催化剂"), set(&[MMA]));
    assert_eq!(zh.search("催化"), set(&[MMA, OXIDATION]));
    assert_eq!(zh.search("中试"), set(&[MMA, AEROGEL, "阿尔法新材料"]));
    assert_eq!(
        zh.search("新材料"),
        set(&[AEROGEL, "阿尔法新材料", "伽马新材料", "德尔塔新材料"])
    );
    assert_eq!(zh.search("甲基丙烯酸甲酯"), set(&[MMA]));
    // Inline markup in the body does not split words: 新型<strong>催化</strong>剂.
    assert_eq!(zh.search("新型催化剂"), set(&[MMA]));
    // Several terms must all match; a word and Han text typed without a space split.
    assert_eq!(zh.search("MMA催化剂"), set(&[MMA]));
    assert_eq!(zh.search("中试 气凝胶"), set(&[AEROGEL]));
    // Institutions and keywords are indexed; one character finds its entries.
    assert_eq!(zh.search("宁波材料"), set(&[MMA]));
    assert_eq!(zh.search("毡"), set(&[AEROGEL]));
    assert_eq!(zh.search("聚乳酸"), set(&[]));
    // Full-width letters are ASCII, case does not matter.
    assert_eq!(zh.search("ｍｍａ"), set(&[MMA]));
}

#[test]
fn english_queries_match_words_and_prefixes() {
    let (_site, out) = built();
    let en = Index::open(&out, "en/");
    let mma = "Pilot plant for a methyl methacrylate catalyst";
    let aerogel = "Silica aerogel insulation material";
    assert_eq!(
        en.search("catalyst"),
        set(&[mma, aerogel]),
        "catalyst, catalysts"
    );
    assert_eq!(en.search("Pilot plant"), set(&[mma]));
    assert_eq!(en.search("pilot"), set(&[mma, aerogel]));
    assert_eq!(en.search("insul"), set(&[aerogel]));
    // Two letters are a whole word, not a prefix.
    assert_eq!(en.search("ca"), set(&[]));
    // An untranslated entry is in the English index in Chinese.
    assert_eq!(en.search("催化剂"), set(&[mma]));
    assert_eq!(en.search("催化氧化"), set(&[OXIDATION]));
    // The English record of a translated entry is its translation.
    assert_eq!(en.search("甲基丙烯酸甲酯"), set(&[]));
    // Each document's file is in the language of its page: the translation's under en/.
    let d = en.matches("catalyst").into_iter().next().unwrap();
    assert!(en.doc(d)["u"].as_str().unwrap().starts_with("/results/en/"));
    let d = en.matches("催化氧化").into_iter().next().unwrap();
    assert_eq!(en.doc(d)["l"], "zh");
    assert!(
        en.doc(d)["u"]
            .as_str()
            .unwrap()
            .starts_with("/results/releases/")
    );
}

#[test]
fn facets_count_public_entries_and_filter_with_or_without_a_query() {
    let (_site, out) = built();
    let zh = Index::open(&out, "");
    let facets: Vec<&str> = zh.meta["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(facets, ["institutions", "fields", "stage", "release"]);
    let counts = |name: &str| -> BTreeMap<String, u64> {
        zh.meta["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["label"].as_str().unwrap().into(),
                    v["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        counts("stage"),
        BTreeMap::from([("中试".into(), 4), ("研发中".into(), 3)])
    );
    assert_eq!(
        counts("release"),
        BTreeMap::from([("2024年第1批".into(), 3), ("2024年第2批".into(), 4)])
    );
    assert_eq!(counts("institutions")["浙江大学"], 5);
    // Filter-only browsing, and a query narrowed by a facet.
    assert_eq!(
        zh.titles(&zh.facet("stage", "research")),
        set(&["德尔塔新材料", "贝塔精细化工", OXIDATION])
    );
    let both: BTreeSet<u32> = zh
        .matches("中试")
        .intersection(&zh.facet("fields", "new-materials"))
        .copied()
        .collect();
    assert_eq!(zh.titles(&both), set(&[AEROGEL, "阿尔法新材料"]));
    // The English index labels the same values in English.
    let en = Index::open(&out, "en/");
    let stage = &en.meta["facets"][2];
    assert_eq!(stage["label"], "stage");
    assert_eq!(stage["values"][0]["label"], "Research");
}

#[test]
fn shard_entries_hold_exact_postings_for_a_tiny_site() {
    let (_site, out) = built();
    let zh = Index::open(&out, "");
    // Documents are the public entries in site order.
    let titles: Vec<String> = (0..zh.docs())
        .map(|d| zh.doc(d)["t"].as_str().unwrap().to_string())
        .collect();
    let pos = |t: &str| titles.iter().position(|x| x == t).unwrap() as u32;
    let entry = |t: &str| zh.shard(t).get(t).cloned();
    // 催化剂: in the MMA entry, in its title (and keywords) too.
    let mma = pos(MMA);
    assert_eq!(
        Index::list(entry("催化剂").as_ref(), 0),
        BTreeSet::from([mma])
    );
    assert_eq!(
        Index::list(entry("催化剂").as_ref(), 1),
        BTreeSet::from([mma])
    );
    // 化剂 is also in 氧化剂, in the summary only.
    let ox = pos(OXIDATION);
    assert_eq!(
        Index::list(entry("化剂").as_ref(), 0),
        BTreeSet::from([mma, ox])
    );
    assert_eq!(
        Index::list(entry("化剂").as_ref(), 1),
        BTreeSet::from([mma])
    );
    // The body's Latin words are tokens; a long list is delta-encoded.
    assert_eq!(
        Index::list(entry("2000").as_ref(), 0),
        BTreeSet::from([mma])
    );
    assert_eq!(
        Index::list(entry("浙").as_ref(), 0).len(),
        5,
        "浙江大学 is an institution of five entries"
    );
    // A document file: what a result shows, the body as plain text.
    let doc = zh.doc(mma);
    assert_eq!(doc["t"], MMA);
    assert_eq!(doc["u"], "/results/releases/2024-02/mma-pilot/");
    assert_eq!(doc["s"], "pilot");
    assert_eq!(doc["r"], "2024-02");
    assert_eq!(
        doc["i"],
        serde_json::json!(["中国科学院宁波材料技术与工程研究所", "浙江大学"])
    );
    assert_eq!(
        doc["b"],
        "技术简介 本成果开发了用于甲基丙烯酸甲酯生产的新型催化剂，在千吨级中试装置上连续运行超过 2000 小时。"
    );
    // A summary that looks like HTML is text, kept as it is (the client shows it as text).
    assert!(
        zh.doc(ox)["m"]
            .as_str()
            .unwrap()
            .ends_with("<img src=x onerror=alert(1)>")
    );
}

#[test]
fn drafts_and_embargoed_entries_are_never_indexed() {
    let site = search_site();
    let out = site.path().join("output");
    for drafts in [false, true] {
        let mut o = opts(site.path());
        o.drafts = drafts;
        build_ok(&o);
        let mut checked = 0;
        for (path, bytes) in files(&out) {
            if !path.starts_with("search/") && !path.starts_with("en/search/") {
                continue;
            }
            let text = String::from_utf8(bytes).unwrap();
            for word in ["草稿", "保密"] {
                assert!(!text.contains(word), "drafts={drafts}: {path} has {word}");
            }
            checked += 1;
        }
        assert!(checked > 10, "{checked} files");
        assert_eq!(Index::open(&out, "").docs(), 7);
        assert!(Index::open(&out, "").search("正文").len() == 3);
    }
}

#[test]
fn every_page_has_a_search_box_and_the_search_page_its_data_urls() {
    let (_site, out) = built();
    let mut checked = 0;
    for (path, _) in files(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        let doc = html(&out.join(&path));
        let en = path.starts_with("en/");
        let action = if en {
            "/results/en/search/"
        } else {
            "/results/search/"
        };
        if path == "search/index.html" || path == "en/search/index.html" {
            assert_eq!(attrs(&doc, "form.search-form", "action"), [action]);
            assert!(select(&doc, "form.site-search").is_empty(), "{path}");
            assert_eq!(attrs(&doc, "#search", "data-root"), [action], "{path}");
            assert_eq!(
                attrs(&doc, "#search", "data-default-root"),
                ["/results/search/"]
            );
            assert_eq!(
                attrs(&doc, "script[src]", "src"),
                ["/results/search/search.js"]
            );
        } else {
            assert_eq!(
                attrs(&doc, "header form.site-search[method=get]", "action"),
                [action],
                "{path}"
            );
            assert_eq!(attrs(&doc, "header form.site-search input", "name"), ["q"]);
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked} pages");
    assert_eq!(
        fs::read_to_string(out.join("search/search.js")).unwrap(),
        gazette::search::CLIENT_JS
    );
}

#[test]
fn a_theme_without_a_search_template_gets_no_search() {
    let site = search_site();
    fs::remove_file(site.path().join("themes/default/templates/search.html")).unwrap();
    build_ok(&opts(site.path()));
    let out = site.path().join("output");
    assert!(!out.join("search").exists());
    assert!(!out.join("en/search").exists());
    let home = html(&out.join("index.html"));
    assert!(select(&home, "form.site-search").is_empty());
}

#[test]
fn a_page_on_the_search_path_is_a_url_collision() {
    let site = search_site();
    fs::write(
        site.path().join("content/pages/search.md"),
        "+++\ntitle = \"搜索\"\n+++\n\n正文。\n",
    )
    .unwrap();
    let f = gazette::build(&opts(site.path())).expect_err("a collision");
    let report = f.report();
    assert!(report.contains("/search/index.html"), "{report}");
}

#[test]
fn watch_mode_tokenizes_only_the_entries_that_changed() {
    use gazette::serve::engine::{Engine, materialize};
    let site = search_site();
    let root = site.path();
    let mut engine = Engine::new(root, "http://127.0.0.1:1111/");
    let tokenized = |engine: &Engine| {
        let s = engine.snapshot().unwrap();
        // Asking for a shard builds the index.
        assert!(s.get("search/index/0.json").is_some());
        s.plan().search.built(s.site()).tokenized
    };
    engine.rebuild().unwrap();
    // Seven Chinese records and three English translations.
    assert_eq!(tokenized(&engine), 10);
    engine.rebuild().unwrap();
    assert_eq!(tokenized(&engine), 0, "nothing changed");

    let alpha = root.join("content/releases/2024-01/alpha.md");
    let text = fs::read_to_string(&alpha).unwrap();
    fs::write(&alpha, text.replace("正文见", "正文（新增催化剂）见")).unwrap();
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    fs::File::options()
        .write(true)
        .open(&alpha)
        .unwrap()
        .set_modified(t)
        .unwrap();
    engine.rebuild().unwrap();
    assert_eq!(tokenized(&engine), 1, "only the edited record");
    // And the index served equals a fresh build's.
    let served = materialize(&engine.snapshot().unwrap());
    let shard = String::from_utf8(served["search/index/0.json"].clone()).unwrap();
    assert!(shard.contains("\"催化剂\""));
    let mut o = opts(root);
    o.base_url = Some("http://127.0.0.1:1111/".into());
    o.output = Some(root.join("fresh"));
    build_ok(&o);
    for (path, bytes) in files(&root.join("fresh")) {
        if path.contains("search/") && !path.ends_with(".html") {
            assert!(served[&path] == bytes, "{path} differs from a fresh build");
        }
    }
}
