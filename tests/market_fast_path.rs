//! The preview's fast path on a site with collections (`serve/market_path.rs`): edits of
//! demands, pilot bases and results are patched into the last site with their matches
//! brought up to date, and the served site must equal a fresh build byte for byte after
//! every one — through a scripted sequence (asserting which edits take the fast path and
//! which fall back) and long random sequences.

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

/// Rebuild after the watcher reported `changed`, compare with a fresh build; returns
/// whether the fast path patched the site, and how many pages it rendered.
#[track_caller]
fn after(engine: &mut Engine, root: &Path, changed: &[&str], step: &str) -> (bool, usize) {
    let paths: Vec<_> = changed.iter().map(|p| root.join(p)).collect();
    let report = engine
        .rebuild_changed(&paths)
        .unwrap_or_else(|f| panic!("{step}: {}", f.report()));
    assert_served_is_fresh(engine, root, step);
    (report.patched, report.rendered)
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

/// Replace the line starting with `key = ` by `key = value`.
fn set_line(text: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key} = ");
    let mut done = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.starts_with(&prefix) {
                done = true;
                format!("{prefix}{value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(done, "no `{key}` line");
    out.join("\n") + "\n"
}

/// The `href` of the first match listed on the page at `path`.
fn best(engine: &Engine, path: &str) -> String {
    let served = materialize(&engine.snapshot().unwrap());
    let doc = scraper::Html::parse_document(&String::from_utf8_lossy(&served[path]));
    let first = scraper::Selector::parse(".match > a").unwrap();
    doc.select(&first)
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_default()
        .to_string()
}

/// The `href`s of the matches listed on the page at `path`.
fn listed(engine: &Engine, path: &str) -> Vec<String> {
    let served = materialize(&engine.snapshot().unwrap());
    let doc = scraper::Html::parse_document(&String::from_utf8_lossy(&served[path]));
    let sel = scraper::Selector::parse(".match > a").unwrap();
    doc.select(&sel)
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

const TEA: &str = "content/demands/tea-garden-monitoring.md";
const TEA_PAGE: &str = "demands/tea-garden-monitoring/index.html";
const SEAWATER: &str = "content/releases/2024-03/seawater-hydrogen.md";
const SEAWATER_PAGE: &str = "releases/2024-03/seawater-hydrogen/index.html";

#[test]
fn demand_base_and_result_edits_take_the_fast_path_and_equal_fresh_builds() {
    let site = sample_site();
    // The engine watches the canonical root (as `serve` does).
    let root = &fs::canonicalize(site.path()).unwrap();
    let mut engine = Engine::new(root, BASE);
    engine
        .rebuild()
        .unwrap_or_else(|f| panic!("{}", f.report()));
    let pages = materialize(&engine.snapshot().unwrap()).len();
    assert_eq!(
        best(&engine, TEA_PAGE),
        "/releases/2024-03/tea-pest-monitor/"
    );
    assert!(!listed(&engine, SEAWATER_PAGE).contains(&"/demands/tea-garden-monitoring/".into()));

    // A demand's body: its own pages only.
    edit(root, TEA, |t| t.replace("4G回传", "4G或北斗回传"));
    let (patched, rendered) = after(&mut engine, root, &[TEA], "demand body");
    assert!(patched, "a demand's body edit takes the fast path");
    assert!(
        rendered < pages / 10,
        "{rendered} pages rendered of {pages}"
    );

    // Rewritten about seawater hydrogen (same field and order): its matches move, and the
    // seawater result now offers it.
    edit(root, TEA, |t| {
        let t = set_line(
            &t,
            "summary",
            "\"海岛需要海水直接电解制氢装置，阳极要抗氯腐蚀，用于海上风电就地制氢。\"",
        );
        set_line(
            &t,
            "keywords",
            "[\"海水电解\", \"制氢\", \"抗氯腐蚀\", \"海上风电\"]",
        )
    });
    let (patched, _) = after(&mut engine, root, &[TEA], "demand rewritten");
    assert!(patched, "a demand's text edit takes the fast path");
    assert_eq!(
        best(&engine, TEA_PAGE),
        "/releases/2024-03/seawater-hydrogen/"
    );
    assert!(listed(&engine, SEAWATER_PAGE).contains(&"/demands/tea-garden-monitoring/".into()));

    // Closed: still published, offered to no result; every page of demands counts it.
    edit(root, TEA, |t| {
        t.replace("closes = 2027-05-31", "closes = 2024-05-31")
    });
    assert!(after(&mut engine, root, &[TEA], "demand closed").0);
    assert!(!listed(&engine, SEAWATER_PAGE).contains(&"/demands/tea-garden-monitoring/".into()));
    // Reopened.
    edit(root, TEA, |t| {
        t.replace("closes = 2024-05-31", "closes = 2027-06-30")
    });
    assert!(after(&mut engine, root, &[TEA], "demand reopened").0);
    assert!(listed(&engine, SEAWATER_PAGE).contains(&"/demands/tea-garden-monitoring/".into()));

    // A new title keeping its place (pages naming it show the new one).
    edit(root, TEA, |t| {
        t.replace(
            "茶叶基地病虫害自动监测设备",
            "茶叶基地病虫害自动监测设备（修订）",
        )
    });
    assert!(after(&mut engine, root, &[TEA], "demand retitled").0);

    // A pilot base and an English translation of a demand.
    edit(root, "content/bases/ningbo-fine-chemicals.md", |t| {
        let t = t.replace("floor_space = 20700", "floor_space = 20800");
        set_line(
            &t,
            "keywords",
            "[\"精细化工\", \"催化\", \"有机玻璃\", \"工艺放大\"]",
        )
    });
    assert!(
        after(
            &mut engine,
            root,
            &["content/bases/ningbo-fine-chemicals.md"],
            "base"
        )
        .0
    );
    edit(root, "content/demands/pmma-monomer.en.md", |t| {
        format!("{t}\nRevised.\n")
    });
    assert!(
        after(
            &mut engine,
            root,
            &["content/demands/pmma-monomer.en.md"],
            "translation"
        )
        .0
    );

    // Results: a body edit leaves the index as it was (related results re-queried); a new
    // summary and keywords change it (matching computed again, only changed pages rendered).
    edit(root, SEAWATER, |t| {
        t.replace("## 技术简介", "## 技术简介（修订）")
    });
    let (patched, rendered) = after(&mut engine, root, &[SEAWATER], "result body");
    assert!(patched, "a result's body edit takes the fast path");
    assert!(
        rendered < pages / 10,
        "{rendered} pages rendered of {pages}"
    );
    edit(root, SEAWATER, |t| {
        let t = set_line(
            &t,
            "keywords",
            "[\"海水电解\", \"制氢\", \"茶叶\", \"病虫害\"]",
        );
        t.replace(
            "海水直接电解制氢抗氯腐蚀阳极\"",
            "海水直接电解制氢抗氯腐蚀阳极（改进型）\"",
        )
    });
    assert!(after(&mut engine, root, &[SEAWATER], "result keywords and title").0);

    // What falls back to the full rebuild: a field whose term then has no demand, a new
    // reference, a new and a deleted demand.
    edit(root, TEA, |t| {
        t.replace("fields = [\"agriculture\"]", "fields = [\"marine\"]")
    });
    assert!(!after(&mut engine, root, &[TEA], "term vanishes").0);
    edit(root, TEA, |t| {
        t.replace(
            "closes = 2027-06-30",
            "closes = 2027-06-30\nanswered_by = [\"2024-03/seawater-hydrogen\"]",
        )
    });
    assert!(!after(&mut engine, root, &[TEA], "answered_by").0);
    // Then text edits take the fast path again.
    edit(root, TEA, |t| t.replace("4G或北斗回传", "北斗回传"));
    assert!(after(&mut engine, root, &[TEA], "after fallbacks").0);
    let added = "content/demands/new-demand.md";
    fs::write(
        root.join(added),
        "+++\ntitle = \"茶园虫情远程监测\"\nsummary = \"需要茶园害虫识别与虫情监测。\"\ncompany = \"示例公司\"\nfields = [\"agriculture\"]\ndemand_type = \"introduce\"\ndate = 2025-06-01\n\n[contact]\nname = \"示例\"\n+++\n",
    )
    .unwrap();
    assert!(!after(&mut engine, root, &[added], "new demand").0);
    fs::remove_file(root.join(added)).unwrap();
    assert!(!after(&mut engine, root, &[added], "deleted demand").0);
    // A broken link in a demand's body is an error; the last good site stays.
    let before = materialize(&engine.snapshot().unwrap());
    edit(root, TEA, |t| {
        format!("{t}\n[x](@/releases/2024-03/nope.md)\n")
    });
    assert!(engine.rebuild_changed(&[root.join(TEA)]).is_err());
    assert_eq!(materialize(&engine.snapshot().unwrap()), before);
}

/// A small deterministic random generator (xorshift64*), so a failing sequence replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "海水电解",
    "制氢",
    "催化剂",
    "有机玻璃",
    "甲基丙烯酸甲酯",
    "固态电池",
    "电解质",
    "反渗透膜",
    "病虫害",
    "茶叶",
    "焊接",
    "防污涂料",
    "风机",
    "齿轮箱",
    "阻燃",
    "尼龙",
    "碳纤维",
    "传感器",
];
const FIELDS: &[&str] = &["fine-chemicals", "new-materials", "new-energy", "marine"];

fn words(rng: &mut Rng, n: usize) -> Vec<&'static str> {
    (0..n).map(|_| WORDS[rng.below(WORDS.len())]).collect()
}

/// One random edit of the demand, base or result file `rel`; returns what it did.
fn random_edit(root: &Path, rel: &str, rng: &mut Rng, step: usize) -> &'static str {
    let kind = rng.below(7);
    let demand = rel.contains("/demands/");
    let w = words(rng, 3);
    let list = |w: &[&str]| {
        format!(
            "[{}]",
            w.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let field = FIELDS[rng.below(FIELDS.len())];
    edit(root, rel, |t| match kind {
        0 => format!("{t}\n第{step}次修订：{}。\n", w.join("、")),
        1 => set_line(
            &t,
            "summary",
            &format!("\"需要{}与{}（{step}）。\"", w[0], w[1]),
        ),
        2 if t.contains("\nkeywords = ") => set_line(&t, "keywords", &list(&w)),
        3 if demand && t.contains("\ncloses = ") => {
            let year = if rng.below(2) == 0 { 2020 } else { 2030 };
            set_line(&t, "closes", &format!("{year}-01-{:02}", step % 28 + 1))
        }
        4 => t.replacen("\"\n", &format!("（{step}）\"\n"), 1),
        5 if t.contains("\nfields = ") => set_line(&t, "fields", &list(&[field])),
        6 if t.contains("\nregion = ") => set_line(
            &t,
            "region",
            &format!("\"{}\"", ["宁波市", "舟山市", "杭州市"][step % 3]),
        ),
        _ => format!("{t}\n（{step}）\n"),
    });
    [
        "body", "summary", "keywords", "closes", "title", "fields", "region",
    ][kind]
}

#[test]
fn random_market_edits_serve_what_a_fresh_build_gives() {
    let site = sample_site();
    let root = &fs::canonicalize(site.path()).unwrap();
    let mut files: Vec<String> = Vec::new();
    for dir in [
        "content/demands",
        "content/bases",
        "content/releases/2024-03",
    ] {
        let mut names: Vec<String> = fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md") && !n.starts_with('_'))
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
    }
    let mut engine = Engine::new(root, BASE);
    engine
        .rebuild()
        .unwrap_or_else(|f| panic!("{}", f.report()));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut fast, mut steps) = (0, 0);
    for step in 0..40 {
        // One file most of the time, two at once sometimes (one save of several files).
        let count = 1 + usize::from(rng.below(5) == 0);
        let mut changed = Vec::new();
        let mut what = Vec::new();
        for _ in 0..count {
            let rel = files[rng.below(files.len())].clone();
            what.push(format!("{} {rel}", random_edit(root, &rel, &mut rng, step)));
            changed.push(rel);
        }
        let changed: Vec<&str> = changed.iter().map(String::as_str).collect();
        let (patched, _) = after(
            &mut engine,
            root,
            &changed,
            &format!("step {step}: {what:?}"),
        );
        fast += usize::from(patched);
        steps += 1;
    }
    eprintln!("{fast} of {steps} edits took the fast path");
    // Most edits are of text, which the fast path takes.
    assert!(
        fast * 2 > steps,
        "only {fast} of {steps} edits took the fast path"
    );
}
