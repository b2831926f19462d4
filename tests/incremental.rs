//! The preview engine's incremental rebuilds must equal a fresh full build after every edit:
//! adding, editing, retitling, re-tagging, renaming and deleting entries, translations,
//! templates, site.toml, and breaking and fixing a file; and so must the fast path's patches,
//! including title edits that move entries inside their release.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;
use gazette::serve::engine::{Engine, materialize};

const BASE: &str = "http://127.0.0.1:1111/";

fn fresh(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut o = opts(root);
    o.drafts = true;
    o.base_url = Some(BASE.into());
    let loaded = gazette::load_site(&o).unwrap_or_else(|f| panic!("{}", f.report()));
    let r = gazette::render_site(&loaded, root).unwrap_or_else(|d| panic!("{d:?}"));
    let mut out: BTreeMap<String, Vec<u8>> =
        r.files.into_iter().map(|f| (f.path, f.bytes)).collect();
    for c in r.plan.copies {
        out.insert(c.to, fs::read(root.join(c.from)).unwrap());
    }
    out
}

#[track_caller]
fn assert_same(engine: &mut Engine, root: &Path, step: &str) -> usize {
    let report = engine
        .rebuild()
        .unwrap_or_else(|f| panic!("{step}: {}", f.report()));
    assert_served_is_fresh(engine, root, step);
    report.rendered
}

/// Rebuild after the watcher reported `changed` (paths relative to `root`), then compare
/// with a fresh build; returns whether the fast path patched the site.
#[track_caller]
fn assert_same_after(engine: &mut Engine, root: &Path, changed: &[&str], step: &str) -> bool {
    let paths: Vec<_> = changed.iter().map(|p| root.join(p)).collect();
    let report = engine
        .rebuild_changed(&paths)
        .unwrap_or_else(|f| panic!("{step}: {}", f.report()));
    assert_served_is_fresh(engine, root, step);
    report.patched
}

#[track_caller]
fn assert_served_is_fresh(engine: &Engine, root: &Path, step: &str) {
    let served = materialize(&engine.snapshot().unwrap());
    let built = fresh(root);
    let a: Vec<&String> = served.keys().collect();
    let b: Vec<&String> = built.keys().collect();
    assert_eq!(a, b, "{step}: different sets of files");
    for (k, v) in &built {
        assert!(served[k] == *v, "{step}: {k} differs from a fresh build");
    }
}

fn edit(root: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let p = root.join(rel);
    let text = fs::read_to_string(&p).unwrap();
    fs::write(&p, f(text)).unwrap();
    // Make sure the modification time moves even on coarse file systems.
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
    let file = fs::File::options().write(true).open(&p).unwrap();
    file.set_modified(t).unwrap();
}

const ALPHA: &str = "content/releases/2024-01/alpha.md";

#[test]
fn incremental_rebuilds_equal_fresh_builds_through_a_long_edit_sequence() {
    let site = fixture("basic");
    let root = site.path();
    let mut engine = Engine::new(root, BASE);
    let all = assert_same(&mut engine, root, "first build");
    assert!(all > 30);

    // Nothing changed: nothing is rendered.
    assert_eq!(assert_same(&mut engine, root, "no change"), 0);

    // Body edit: only a few pages.
    edit(root, ALPHA, |t| t.replace("正文见", "正文（已修订）见"));
    let n = assert_same(&mut engine, root, "edit body");
    assert!(n > 0 && n < all / 3, "edit body re-rendered {n} of {all}");

    edit(root, ALPHA, |t| {
        t.replace("阿尔法新材料", "阿尔法新材料（改名）")
    });
    assert_same(&mut engine, root, "edit title");

    edit(root, ALPHA, |t| {
        t.replace("stage = \"pilot\"", "stage = \"research\"")
    });
    assert_same(&mut engine, root, "change taxonomy value");

    let new_entry = "+++\ntitle = \"新加成果\"\nsummary = \"s\"\ninstitutions = [\"新单位\"]\nfields = [\"fine-chemicals\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n\n正文。\n";
    fs::write(root.join("content/releases/2024-02/added.md"), new_entry).unwrap();
    assert_same(&mut engine, root, "add entry");

    fs::rename(
        root.join("content/releases/2024-02/added.md"),
        root.join("content/releases/2024-02/renamed.md"),
    )
    .unwrap();
    assert_same(&mut engine, root, "rename entry");

    fs::write(
        root.join("content/releases/2024-02/renamed.en.md"),
        "+++\ntitle = \"Added result\"\n+++\n\nEnglish body.\n",
    )
    .unwrap();
    assert_same(&mut engine, root, "add translation");

    fs::remove_file(root.join("content/releases/2024-02/delta.md")).unwrap();
    let served = materialize(&engine.snapshot().unwrap());
    assert!(served.contains_key("releases/2024-02/delta/index.html"));
    assert_same(&mut engine, root, "delete entry");
    let served = materialize(&engine.snapshot().unwrap());
    assert!(!served.contains_key("releases/2024-02/delta/index.html"));

    fs::create_dir_all(root.join("templates")).unwrap();
    let entry_tpl = fs::read_to_string(root.join("themes/default/templates/entry.html")).unwrap();
    fs::write(
        root.join("templates/entry.html"),
        entry_tpl.replace(
            "<article class=\"entry\">",
            "<article class=\"entry custom\">",
        ),
    )
    .unwrap();
    let n = assert_same(&mut engine, root, "change a template");
    assert!(
        n < all,
        "a page template change re-rendered everything ({n})"
    );

    edit(root, "site.toml", |t| {
        t.replace("title = \"测试站\"", "title = \"测试站二\"")
    });
    assert_same(&mut engine, root, "change site.toml");

    // Break a file: the rebuild fails and the last good snapshot stays.
    let before = materialize(&engine.snapshot().unwrap());
    edit(root, ALPHA, |t| t.replace("trl = 6", "trl = 99"));
    let err = engine.rebuild().unwrap_err();
    assert_eq!(err.diagnostics[0].problem.code(), "out-of-range");
    assert_eq!(materialize(&engine.snapshot().unwrap()), before);
    edit(root, ALPHA, |t| t.replace("trl = 99", "trl = 7"));
    assert_same(&mut engine, root, "fix the error");

    // A static file.
    edit(root, "themes/default/static/style.css", |t| {
        format!("{t}\n/* changed */\n")
    });
    let report = engine.rebuild().unwrap();
    assert!(report.css_only && report.rendered == 0, "{report:?}");
    assert_same(&mut engine, root, "css");
}

const ALPHA_EN: &str = "content/releases/2024-01/alpha.en.md";

/// The fast path (edits to existing entries reported by the watcher) must give exactly what
/// a fresh build gives, take over only the edits it can prove safe, and leave the engine in
/// a state where later full rebuilds are still right.
#[test]
fn fast_path_patches_equal_fresh_builds_and_fall_back_when_unsafe() {
    let site = fixture("basic");
    let root = site.path();
    // The engine watches the canonical root (as `serve` does).
    let root = &fs::canonicalize(root).unwrap();
    let mut engine = Engine::new(root, BASE);
    assert_same(&mut engine, root, "first build");

    edit(root, ALPHA, |t| t.replace("正文见", "正文（已修订）见"));
    assert!(assert_same_after(&mut engine, root, &[ALPHA], "body edit"));

    edit(root, ALPHA_EN, |t| {
        t.replace("## Overview", "## Overview, revised")
    });
    assert!(assert_same_after(
        &mut engine,
        root,
        &[ALPHA_EN],
        "translation body edit"
    ));

    // Card changes: the release page, term pages and home page show them.
    edit(root, ALPHA, |t| {
        t.replace("一种新材料。", "一种更新的材料。")
    });
    assert!(assert_same_after(
        &mut engine,
        root,
        &[ALPHA],
        "summary edit"
    ));
    edit(root, ALPHA, |t| {
        t.replace("阿尔法新材料\"", "阿尔法新材料（改）\"")
    });
    assert!(assert_same_after(
        &mut engine,
        root,
        &[ALPHA],
        "title edit, same place"
    ));

    // An original's edit reaches its translation through the merged values.
    edit(root, ALPHA, |t| t.replace("trl = 6", "trl = 7"));
    assert!(assert_same_after(
        &mut engine,
        root,
        &[ALPHA],
        "inherited value"
    ));

    // Editors' temporary files that are gone by the time of the rebuild are ignored.
    edit(root, ALPHA, |t| t.replace("脚注内容。", "脚注内容（改）。"));
    let tmp = "content/releases/2024-01/.alpha.md.swp";
    assert!(assert_same_after(
        &mut engine,
        root,
        &[tmp, ALPHA],
        "edit with a temp file"
    ));

    // A title that moves the entry before the other one of its release (which has no
    // English version, so the English search documents are renumbered).
    edit(root, ALPHA, |t| {
        t.replace("阿尔法新材料（改）\"", "一阿尔法\"")
    });
    assert!(assert_same_after(
        &mut engine,
        root,
        &[ALPHA],
        "title edit that moves it"
    ));

    // What the fast path must refuse, and the full rebuild handles.
    edit(root, ALPHA, |t| {
        t.replace("stage = \"pilot\"", "stage = \"research\"")
    });
    assert!(!assert_same_after(
        &mut engine,
        root,
        &[ALPHA],
        "taxonomy value"
    ));
    edit(root, ALPHA, |t| {
        t.replacen("trl = 7", "trl = 7\ndraft = true", 1)
    });
    assert!(!assert_same_after(
        &mut engine,
        root,
        &[ALPHA],
        "made a draft"
    ));
    fs::write(
        root.join("content/releases/2024-01/new.md"),
        "+++\ntitle = \"新\"\nsummary = \"s\"\ninstitutions = [\"新单位\"]\nfields = [\"fine-chemicals\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n\n正文。\n",
    )
    .unwrap();
    assert!(!assert_same_after(
        &mut engine,
        root,
        &["content/releases/2024-01/new.md"],
        "new entry"
    ));

    // A broken link: the rebuild fails, the last good site stays; fixing it patches again.
    let before = materialize(&engine.snapshot().unwrap());
    edit(root, ALPHA, |t| {
        t.replace("@/releases/2024-01/beta.md", "@/releases/2024-01/nope.md")
    });
    let err = engine.rebuild_changed(&[root.join(ALPHA)]).unwrap_err();
    assert!(err.report().contains("nope"), "{}", err.report());
    assert_eq!(materialize(&engine.snapshot().unwrap()), before);
    edit(root, ALPHA, |t| {
        t.replace("@/releases/2024-01/nope.md", "@/releases/2024-01/beta.md")
    });
    assert_same_after(&mut engine, root, &[ALPHA], "link fixed");

    // Pages the fast path rendered are rendered again by the next full rebuild, which is
    // still right.
    edit(root, ALPHA, |t| t.replace("脚注内容（改）。", "脚注。"));
    assert!(assert_same_after(
        &mut engine,
        root,
        &[ALPHA],
        "body edit again"
    ));
    assert_same(&mut engine, root, "full rebuild after patches");
    edit(root, "site.toml", |t| {
        t.replace("title = \"测试站\"", "title = \"测试站二\"")
    });
    assert!(!assert_same_after(
        &mut engine,
        root,
        &["site.toml"],
        "site.toml"
    ));
}

/// Adds `count` entries `gen-00`.. to release 2024-02, titled `成果00`.. (so they sort
/// between 德尔塔新材料 and 草稿成果), on the release's date like every entry of the fixture
/// (so the site's feed, cut at 50 entries, breaks ties by site order); every third has an
/// English version.
fn add_entries(root: &Path, count: usize) {
    let dir = root.join("content/releases/2024-02");
    for k in 0..count {
        let (inst, field, stage) = match k % 3 {
            0 => ("浙江大学", "new-materials", "pilot"),
            1 => ("宁波大学", "fine-chemicals", "research"),
            _ => ("浙江大学", "new-materials", "research"),
        };
        fs::write(
            dir.join(format!("gen-{k:02}.md")),
            format!(
                "+++\ntitle = \"成果{k:02}\"\nsummary = \"s{k}\"\ninstitutions = [\"{inst}\"]\nfields = [\"{field}\"]\nstage = \"{stage}\"\n\n[contact]\nname = \"n\"\n+++\n\n正文{k}。\n"
            ),
        )
        .unwrap();
        if k % 3 == 0 {
            fs::write(
                dir.join(format!("gen-{k:02}.en.md")),
                format!("+++\ntitle = \"Result {k}\"\n+++\n\nBody {k}.\n"),
            )
            .unwrap();
        }
    }
}

fn generated(k: usize) -> String {
    format!("content/releases/2024-02/gen-{k:02}.md")
}

/// Give `gen-<k>` the title `title`.
fn retitle(root: &Path, k: usize, title: &str) {
    edit(root, &generated(k), |t| {
        let start = t.find("title = \"").unwrap() + "title = \"".len();
        let end = start + t[start..].find('"').unwrap();
        format!("{}{title}{}", &t[..start], &t[end..])
    });
}

/// Title edits that move entries inside their release take the fast path, which must give
/// exactly what a fresh build gives: entry pages in the new order, release, home and term
/// pages (paginated, two entries a page) across page boundaries, feeds cut to their newest
/// entries, sitemaps, open data and renumbered search documents. What it cannot do safely
/// (two equal titles, a term whose label would change) falls back to the full rebuild.
#[test]
fn fast_path_moves_retitled_entries_like_a_fresh_build() {
    let site = fixture("basic");
    let root = &fs::canonicalize(site.path()).unwrap();
    add_entries(root, 60);
    let mut engine = Engine::new(root, BASE);
    assert_same(&mut engine, root, "first build");
    let term_page_2 = "fields/new-materials/page/2/index.html";
    let moves: [(usize, &str, &str); 6] = [
        (39, "一成果39", "to first place"),
        (39, "龟成果39", "to last place"),
        (39, "成果20二", "back to the middle"),
        (39, "成果39", "to where it was"),
        (2, "成果57二", "later, across many term pages"),
        (58, "成果01二", "earlier"),
    ];
    for (k, title, step) in moves {
        let before = materialize(&engine.snapshot().unwrap());
        retitle(root, k, title);
        assert!(
            assert_same_after(&mut engine, root, &[&generated(k)], step),
            "{step}: not patched"
        );
        let after = materialize(&engine.snapshot().unwrap());
        assert!(
            before
                .keys()
                .any(|p| p.starts_with("fields/") && before.get(p) != after.get(p)),
            "{step}: no term page changed"
        );
        assert!(
            after.contains_key(term_page_2),
            "{step}: {term_page_2} is missing"
        );
    }

    // Two entries moving past each other in one batch, and a draft moving.
    retitle(root, 0, "龟龟");
    retitle(root, 59, "一一");
    assert!(assert_same_after(
        &mut engine,
        root,
        &[&generated(0), &generated(59)],
        "two moves at once"
    ));
    edit(root, "content/releases/2024-02/draft-one.md", |t| {
        t.replace("草稿成果", "一草稿")
    });
    assert!(assert_same_after(
        &mut engine,
        root,
        &["content/releases/2024-02/draft-one.md"],
        "a draft moves"
    ));

    // Two equal titles in a release: an error, and the last good site stays.
    let before = materialize(&engine.snapshot().unwrap());
    retitle(root, 10, "成果11");
    let err = engine
        .rebuild_changed(&[root.join(generated(10))])
        .unwrap_err();
    assert!(err.report().contains("成果11"), "{}", err.report());
    assert_eq!(materialize(&engine.snapshot().unwrap()), before);
    retitle(root, 10, "一成果10");
    assert!(assert_same_after(
        &mut engine,
        root,
        &[&generated(10)],
        "fixed"
    ));

    // A free-text term is labelled as its first entry spells it: a move that changes its
    // first entry to one spelling it otherwise is left to the full rebuild.
    for (k, spelling) in [(5, "Lab X"), (50, "lab x")] {
        edit(root, &generated(k), |t| {
            t.replacen(
                "institutions = [\"",
                &format!("institutions = [\"{spelling}\", \""),
                1,
            )
        });
    }
    assert_same(&mut engine, root, "two spellings of one term");
    retitle(root, 50, "一成果50");
    assert!(!assert_same_after(
        &mut engine,
        root,
        &[&generated(50)],
        "a move that relabels a term"
    ));
    assert_same(&mut engine, root, "full rebuild after moves");
}

/// The marketplace in the preview: editing a demand's text changes its matches and the
/// result pages that offer it; closing it, referring it to a result, adding and deleting
/// demands, and breaking and fixing a reference all serve what a fresh build gives.
#[test]
fn demand_edits_update_matches_and_result_pages_like_a_fresh_build() {
    let site = sample_site();
    let root = site.path();
    let mut engine = Engine::new(root, BASE);
    assert_same(&mut engine, root, "initial");
    let demand = "content/demands/tea-garden-monitoring.md";
    // The demand page's best match, as served.
    let best = |engine: &Engine| {
        let served = materialize(&engine.snapshot().unwrap());
        let page = "demands/tea-garden-monitoring/index.html";
        let doc = scraper::Html::parse_document(&String::from_utf8_lossy(&served[page]));
        let first = scraper::Selector::parse(".match > a").unwrap();
        doc.select(&first)
            .next()
            .and_then(|a| a.value().attr("href"))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(best(&engine), "/releases/2024-03/tea-pest-monitor/");
    // Rewrite the demand about something else: its matches move (its field changes and the
    // term it leaves has no other demand, so this takes the full rebuild; text edits take
    // the fast path, see tests/market_fast_path.rs).
    edit(root, demand, |t| {
        t.replace("茶叶基地病虫害自动监测设备", "海水淡化反渗透膜组件国产化")
            .replace(
                "千亩茶园需要替代人工巡田，自动拍照识别茶小绿叶蝉等害虫并远程报警，减少农药使用。",
                "沿海海岛需要耐腐蚀的电解制氢与海水处理装置。",
            )
            .replace(
                "\"病虫害\", \"自动监测\", \"茶叶\", \"远程报警\"",
                "\"海水\", \"电解\"",
            )
            .replace("fields = [\"agriculture\"]", "fields = [\"marine\"]")
    });
    assert!(!assert_same_after(
        &mut engine,
        root,
        &[demand],
        "rewrite demand"
    ));
    assert_eq!(best(&engine), "/releases/2024-03/seawater-hydrogen/");
    // Close it (a deadline in the past).
    edit(root, demand, |t| {
        t.replace("closes = 2027-05-31", "closes = 2024-05-31")
    });
    assert_same_after(&mut engine, root, &[demand], "close demand");
    // Refer it to a result: a back-link appears there.
    edit(root, demand, |t| {
        t.replace(
            "closes = 2024-05-31",
            "closes = 2024-05-31\nanswered_by = [\"2024-03/seawater-hydrogen\"]",
        )
    });
    assert_same_after(&mut engine, root, &[demand], "answered_by");
    // A broken reference is an error; fixing it serves the fresh build again.
    edit(root, demand, |t| {
        t.replace("2024-03/seawater-hydrogen", "2024-03/no-such-result")
    });
    assert!(engine.rebuild_changed(&[root.join(demand)]).is_err());
    edit(root, demand, |t| {
        t.replace("2024-03/no-such-result", "2024-03/seawater-hydrogen")
    });
    assert_same_after(&mut engine, root, &[demand], "fixed reference");
    // A new demand, and a deleted one.
    let added = "content/demands/new-demand.md";
    fs::write(
        root.join(added),
        "+++\ntitle = \"茶园虫情远程监测\"\nsummary = \"需要茶园害虫识别与虫情监测。\"\ncompany = \"示例公司\"\nfields = [\"agriculture\"]\ndemand_type = \"introduce\"\ndate = 2025-06-01\n\n[contact]\nname = \"示例\"\n+++\n",
    )
    .unwrap();
    assert_same_after(&mut engine, root, &[added], "new demand");
    let removed = "content/demands/faucet-polishing.md";
    fs::remove_file(root.join(removed)).unwrap();
    assert_same_after(&mut engine, root, &[removed], "deleted demand");
    // Editing a result's text re-scores the demands that match it.
    let result = "content/releases/2024-03/seawater-hydrogen.md";
    edit(root, result, |t| {
        t.replace(
            "海水直接电解制氢抗氯腐蚀阳极",
            "海水直接电解制氢抗氯腐蚀阳极及反渗透膜",
        )
    });
    assert_same_after(&mut engine, root, &[result], "result edit");
}
