//! Rebuilds on disk write only what changed (issue 21), and what they leave in `output/` is
//! byte for byte what a cold build into an empty folder makes: after long random sequences of
//! edits (bodies, titles, deleted entries, new releases, templates, site.toml, static files,
//! `--drafts`, `--base-url`), after a staging folder was tampered with or left half-updated,
//! and with files the site does not have lying in it. A rebuild with no change writes nothing.
//! Pages whose signature did not change are not rendered again (kept as the output has them):
//! an edited body renders only its entry's pages, and the result stays a cold build's, on a
//! site with demands and bases (whose matches and back-links result pages show) too.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use gazette::BuildOptions;

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

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = fs::read_to_string(path).unwrap();
    fs::write(path, f(text)).unwrap();
}

fn entry(title: &str, body: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\nsummary = \"摘要。\"\ninstitutions = [\"单位甲\"]\nfields = [\"new-materials\"]\nstage = \"pilot\"\n\n[contact]\nname = \"n\"\n+++\n\n{body}\n"
    )
}

/// Remove what builds keep for the next build in `.gazette-cache/` (the image cache stays:
/// its entries are checked against their sources).
fn forget_build_caches(root: &Path) {
    let cache = root.join(".gazette-cache");
    match fs::remove_file(cache.join("matches.bin")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("matches.bin: {e}"),
        _ => {}
    }
    match fs::remove_dir_all(cache.join("bodies")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("bodies: {e}"),
        _ => {}
    }
}

/// Whether a generated file's site path is one of the marketplace's (the demands' and
/// bases' open data and feeds).
fn market_file(site_path: &str) -> bool {
    ["/demands", "/bases"].iter().any(|c| {
        site_path.contains(&format!("{c}/feed.xml")) || site_path.contains(&format!("/data{c}."))
    })
}

/// Build `opts` into its output (incrementally) and, with the same options, into a new empty
/// folder; both trees must be the same, file for file and byte for byte.
#[track_caller]
fn assert_like_cold(o: &BuildOptions, step: &str) -> gazette::Summary {
    let summary = build_ok(o);
    // Cold: nothing the last build kept for the next one (its matches, its bodies) is read.
    forget_build_caches(&o.root);
    let cold_dir = tempfile::tempdir().unwrap();
    let mut cold = o.clone();
    cold.output = Some(cold_dir.path().join("out"));
    let cold_summary = build_ok(&cold);
    let out = o.output.clone().unwrap_or_else(|| o.root.join("output"));
    assert_same_tree(&files(&out), &files(&cold_dir.path().join("out")), step);
    assert_eq!(summary.files, cold_summary.files, "{step}");
    // The cold build wrote every file (the summary counts the site's files, not the
    // folder's marker); the incremental one at most as many.
    assert_eq!(cold_summary.changes.written, cold_summary.files, "{step}");
    assert_eq!(
        files(&cold_dir.path().join("out")).len(),
        cold_summary.files + 1
    );
    assert!(summary.changes.written <= summary.files, "{step}");
    summary
}

#[track_caller]
fn assert_same_tree(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, step: &str) {
    let only_a: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_b: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "{step}: only in the incremental output {only_a:?}, only in the cold one {only_b:?}"
    );
    for (k, v) in a {
        assert!(*v == b[k], "{step}: {k} differs from a cold build");
    }
}

/// Every file under `dir` with its inode and modification time: what tells whether a file
/// was written.
fn stamps(dir: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let m = e.metadata().unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into();
            out.insert(rel, (m.ino(), m.modified().unwrap()));
        }
    }
    out
}

#[test]
fn random_edit_sequences_rebuild_like_a_cold_build() {
    let site = fixture("basic");
    let root = site.path();
    let releases = root.join("content/releases");
    let mut o = opts(root);
    assert_like_cold(&o, "first build");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut added: Vec<String> = Vec::new();
    let mut release_count = 0;
    let mut no_change_checked = 0;
    let mut few_rendered = 0;
    let mut patched = 0;
    for step in 0..40 {
        let what = rng.below(11);
        let label = format!("step {step} ({what})");
        let options_before = (o.drafts, o.base_url.clone());
        match what {
            // A body edit of an existing or added entry.
            0 | 1 => {
                let targets = ["2024-01/alpha.md", "2024-02/gamma.md", "2024-02/delta.md"];
                let rel = match added.is_empty() || rng.below(2) == 0 {
                    true => targets[rng.below(targets.len())].to_string(),
                    false => added[rng.below(added.len())].clone(),
                };
                edit(&releases.join(rel), |t| {
                    format!("{t}\n追加第 {step} 段正文。\n")
                });
            }
            // A title edit (moves the entry in its release, changes cards and feeds).
            2 => {
                let n = rng.below(1000);
                edit(&releases.join("2024-02/gamma.md"), |t| {
                    let start = t.find("title = \"").unwrap();
                    let end = start + t[start..].find('\n').unwrap();
                    format!("{}title = \"伽马 {n}\"{}", &t[..start], &t[end..])
                });
            }
            // A new entry in an existing or added release.
            3 | 4 => {
                let rel = if release_count > 0 && rng.below(2) == 0 {
                    format!("2030-{:02}/added-{step}.md", rng.below(release_count) + 1)
                } else {
                    format!("2024-02/added-{step}.md")
                };
                let body = "新增成果正文。".repeat(rng.below(20) + 1);
                fs::write(releases.join(&rel), entry(&format!("新增 {step}"), &body)).unwrap();
                added.push(rel);
            }
            // Delete an added entry (its pages, feed lines, data rows and search records go).
            5 => {
                if !added.is_empty() {
                    let rel = added.remove(rng.below(added.len()));
                    fs::remove_file(releases.join(rel)).unwrap();
                }
            }
            // A new release, with one entry.
            6 => {
                release_count += 1;
                let dir = releases.join(format!("2030-{release_count:02}"));
                fs::create_dir_all(&dir).unwrap();
                fs::write(
                    dir.join("_release.toml"),
                    format!(
                        "number = {}\ntitle = \"2030年第{release_count}批\"\ndate = 2030-0{}-01\n",
                        release_count + 10,
                        release_count.min(9)
                    ),
                )
                .unwrap();
                let rel = format!("2030-{release_count:02}/first.md");
                fs::write(releases.join(&rel), entry("新批首项", "正文。")).unwrap();
                added.push(rel);
            }
            // The theme: a template every page uses, or its stylesheet (a copied file).
            7 => {
                if rng.below(2) == 0 {
                    edit(&root.join("themes/default/templates/base.html"), |t| {
                        let footer = "<footer class=\"site-footer\">";
                        t.replace(footer, &format!("<!-- {step} -->{footer}"))
                    });
                } else {
                    edit(&root.join("themes/default/static/style.css"), |t| {
                        format!("{t}\n/* step {step} */\n")
                    });
                }
            }
            // site.toml.
            8 => edit(&root.join("site.toml"), |t| {
                let start = t.find("title = \"").unwrap();
                let end = start + t[start..].find('\n').unwrap();
                format!("{}title = \"测试站 {step}\"{}", &t[..start], &t[end..])
            }),
            // Build options: drafts and embargoed entries in or out, another base URL.
            9 => o.drafts = !o.drafts,
            _ => {
                o.base_url = match rng.below(3) {
                    0 => None,
                    1 => Some("http://127.0.0.1:8080/".into()),
                    _ => Some(format!("https://mirror.example.cn/s{step}/")),
                }
            }
        }
        let s = assert_like_cold(&o, &label);
        // A body edit renders its entry's pages (one per language) and nothing else.
        if what <= 1 && options_before == (o.drafts, o.base_url.clone()) {
            assert!(
                (1..=2).contains(&s.rendered),
                "{label}: {} of {} pages rendered after a body edit",
                s.rendered,
                s.pages
            );
            few_rendered += 1;
            // The output's search shards were patched for the edited entry.
            if s.search_patched.is_some() {
                patched += 1;
            }
        }
        // Now and then, the same build again: not one file written, and output/ is the
        // very same folder with the very same files.
        if rng.below(4) == 0 {
            let before = stamps(&root.join("output"));
            let s = build_ok(&o);
            assert_eq!(s.changes.written, 0, "{label}: a rebuild with no change");
            assert_eq!(
                s.rendered, 0,
                "{label}: a rebuild with no change renders nothing"
            );
            assert!(!s.changes.swapped, "{label}");
            assert_eq!(s.changes.unchanged, s.files);
            assert_eq!(stamps(&root.join("output")), before, "{label}");
            no_change_checked += 1;
        }
    }
    assert!(
        no_change_checked >= 3,
        "{no_change_checked} no-change rebuilds"
    );
    assert!(release_count >= 1 && !added.is_empty());
    assert!(few_rendered >= 3, "{few_rendered} body edits checked");
    assert!(
        patched >= 3,
        "{patched} of {few_rendered} body edits patched the search shards"
    );
}

/// The sample site has demands and pilot bases: result pages show the demands that match
/// them and the demands that refer to them, and collection pages show results. Random edits
/// of results, demands, bases and build options keep every incremental build a cold one,
/// and a body edit that changes no match still renders only its result's pages.
#[test]
fn random_edits_of_a_site_with_collections_rebuild_like_a_cold_build() {
    let site = sample_site();
    let root = site.path();
    let mut o = opts(root);
    assert_like_cold(&o, "first build");
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let results = [
        "content/releases/2024-03/seawater-hydrogen.md",
        "content/releases/2024-03/tea-pest-monitor.md",
    ];
    let demand = "content/demands/tea-garden-monitoring.md";
    let mut rendered_after_body_edit = Vec::new();
    let mut patched_after_body_edit = Vec::new();
    for step in 0..14 {
        let what = rng.below(7);
        let label = format!("step {step} ({what})");
        let mut body_edit = false;
        match what {
            // A result's body: an addition that matches nothing.
            0 | 1 => {
                edit(&root.join(results[rng.below(2)]), |t| {
                    format!("{t}\n追加第 {step} 段正文。\n")
                });
                body_edit = true;
            }
            // A result's title and keywords (what matching reads).
            2 => edit(&root.join(results[0]), |t| {
                t.replacen("海水", &format!("海水{step}"), 1)
            }),
            // A demand rewritten to match another result, or back.
            3 => edit(&root.join(demand), |t| {
                if t.contains("茶叶基地病虫害自动监测设备") {
                    t.replace("茶叶基地病虫害自动监测设备", "海水淡化电解制氢装置")
                        .replace("fields = [\"agriculture\"]", "fields = [\"marine\"]")
                } else {
                    t.replace("海水淡化电解制氢装置", "茶叶基地病虫害自动监测设备")
                        .replace("fields = [\"marine\"]", "fields = [\"agriculture\"]")
                }
            }),
            // A demand referring to a result (a back-link on the result's page), or not.
            4 => edit(&root.join(demand), |t| {
                if t.contains("answered_by") {
                    t.lines()
                        .filter(|l| !l.starts_with("answered_by"))
                        .map(|l| format!("{l}\n"))
                        .collect()
                } else {
                    t.replacen(
                        "\ndate = ",
                        "\nanswered_by = [\"2024-03/seawater-hydrogen\"]\ndate = ",
                        1,
                    )
                }
            }),
            // A pilot base's text.
            5 => {
                let bases: Vec<_> = fs::read_dir(root.join("content/bases"))
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                let base = &bases[rng.below(bases.len())];
                edit(base, |t| {
                    t.replacen("+++\n", &format!("+++\n# {step}\n"), 1)
                });
            }
            _ => o.drafts = !o.drafts,
        }
        let s = assert_like_cold(&o, &label);
        // Matching reads a result's title, summary and keywords, not its body: a body edit
        // takes the matches from the last build's; a title or demand edit computes them.
        match what {
            0 | 1 => {
                assert!(
                    s.matches_reused,
                    "{label}: a body edit computed the matches"
                );
                // Every other body is read back from the last build's (the cold build of the
                // last step, which started without any); the edited one is rendered.
                assert!(
                    s.bodies_reused > 10,
                    "{label}: {} bodies read back",
                    s.bodies_reused
                );
                // So are the other documents' checked fields.
                assert!(
                    s.fields_reused > 10,
                    "{label}: {} documents' fields read back",
                    s.fields_reused
                );
                // Nothing the marketplace's files show changed: they are kept, not made
                // again (at 100,000 results `data/matches.json` is 90 MB).
                let market: Vec<&String> = (s.files_rendered.iter())
                    .filter(|p| p.ends_with("/matches.json") || market_file(p))
                    .collect();
                assert!(market.is_empty(), "{label}: {market:?} rendered again");
            }
            2 | 3 => {
                assert!(!s.matches_reused, "{label}: stale matches reused");
                // The matches changed: every file that lists them is made again (and the
                // output is a cold build's, checked above).
                for file in ["/data/matches.json", "/data/demands.json"] {
                    assert!(
                        s.files_rendered.iter().any(|p| p.ends_with(file)),
                        "{label}: {file} kept with matches that changed"
                    );
                }
            }
            _ => {}
        }
        if body_edit {
            rendered_after_body_edit.push(s.rendered);
            patched_after_body_edit.push(s.search_patched);
        }
    }
    assert!(
        rendered_after_body_edit.iter().any(|&r| r <= 2),
        "a body edit rendered {rendered_after_body_edit:?} pages"
    );
    assert!(
        patched_after_body_edit.iter().any(Option::is_some),
        "no body edit patched the search shards: {patched_after_body_edit:?}"
    );
}

/// A card is signed by what it shows: a front-matter edit that no card shows (a contact's
/// phone number) renders the entry's own pages and no list page, and on a site with
/// collections (whose result pages' signatures cover every card) no other result's page; a
/// title edit renders the lists the card is on. Both come out as a cold build.
#[test]
fn a_front_matter_edit_no_card_shows_renders_only_the_entrys_pages() {
    let site = sample_site();
    let root = site.path();
    let o = opts(root);
    assert_like_cold(&o, "first build");
    let entry = root.join("content/releases/2024-03/tea-pest-monitor.md");
    for step in 0..2 {
        edit(&entry, |t| {
            let phone = t.find("phone = \"").unwrap();
            let end = phone + t[phone..].find('\n').unwrap();
            format!("{}phone = \"0571-8665210{step}\"{}", &t[..phone], &t[end..])
        });
        let s = assert_like_cold(&o, &format!("phone edit {step}"));
        assert!(
            (1..=2).contains(&s.rendered),
            "phone edit {step}: {} of {} pages rendered",
            s.rendered,
            s.pages
        );
    }
    edit(&entry, |t| t.replacen("茶园主要害虫", "茶园害虫", 1));
    let s = assert_like_cold(&o, "title edit");
    assert!(
        s.rendered > 4,
        "a title edit rendered {} pages: the lists of its card kept",
        s.rendered
    );
}

/// A page of the output changed by hand (or by another tool) is not kept: its record no
/// longer matches the file. The build never reads the output's copy then: a page the staging
/// folder holds as recorded (unchanged in the last two builds) is kept from there, and a page
/// changed by the last build (the staging folder has its older version) is rendered again.
#[test]
fn a_page_changed_in_the_output_is_rendered_again() {
    let site = fixture("basic");
    let root = site.path();
    let o = opts(root);
    build_ok(&o);
    edit(&root.join("content/releases/2024-02/gamma.md"), |t| {
        t.replace("伽马正文", "伽马正文 1")
    });
    build_ok(&o);
    let alpha = root.join("output/releases/2024-01/alpha/index.html");
    let gamma = root.join("output/releases/2024-02/gamma/index.html");
    for page in [&alpha, &gamma] {
        edit(page, |t| t.replace("</body>", "<!-- added --></body>"));
    }
    let s = assert_like_cold(&o, "pages edited in output/");
    assert!(s.changes.swapped);
    assert!(
        s.rendered >= 1 && s.rendered < s.pages / 2,
        "{}",
        s.rendered
    );
    for page in [&alpha, &gamma] {
        assert!(!fs::read_to_string(page).unwrap().contains("<!-- added -->"));
    }
}

#[test]
fn a_no_change_rebuild_writes_no_file_and_says_so() {
    let site = fixture("basic");
    let root = site.path();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
            .args(["build", "--root"])
            .arg(root)
            .env("GAZETTE_TRACE", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (first, _) = run();
    assert!(!first.contains("(0 written"), "{first}");
    // The second build has no staging folder to reuse yet (the first one's became output/),
    // but output/ already is the site: nothing is written, nothing swapped.
    for _ in 0..2 {
        let (again, trace) = run();
        assert!(again.contains("(0 written, 0 removed)"), "{again}");
        let line = trace.lines().find(|l| l.starts_with("files: ")).unwrap();
        assert!(line.starts_with("files: 0 written, "), "{line}");
        assert!(
            line.contains(" unchanged, 0 removed; not swapped"),
            "{line}"
        );
    }
    // One entry edited: the first time, the staging folder is new and gets the whole site;
    // after that, a handful of files, not the site.
    for k in 0..2 {
        edit(&root.join("content/releases/2024-02/gamma.md"), |t| {
            t.replace("伽马正文", &format!("伽马正文{k}"))
        });
        let (edited, _) = run();
        if k == 1 {
            assert_few_written(&edited);
        }
    }
}

#[track_caller]
fn assert_few_written(edited: &str) {
    let written: usize = edited
        .split("files in ")
        .nth(1)
        .and_then(|s| s.split(" (").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{edited}"));
    let files: usize = edited
        .split(" files in ")
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(written > 0 && written * 4 < files, "{edited}");
}

/// What the staging folder holds cannot be trusted blindly: a killed build leaves it half
/// updated, a person or another tool may change it, the manifest may be gone or cut short.
#[test]
fn a_tampered_or_half_updated_staging_folder_is_repaired() {
    let site = fixture("basic");
    let root = site.path();
    let o = opts(root);
    for k in 0..3 {
        edit(&root.join("content/releases/2024-02/gamma.md"), |t| {
            t.replace("伽马正文", &format!("伽马正文{k}"))
        });
        build_ok(&o);
    }
    let spare = root.join(".output.gazette/site");
    let home = root.join(".output.gazette");
    assert!(spare.join("index.html").is_file());
    // Not one manifest inside either folder: they sit beside them.
    let manifests: Vec<_> = fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("manifest-"))
        .collect();
    assert_eq!(manifests.len(), 2, "{manifests:?}");
    for dir in [&spare, &root.join("output")] {
        let hidden: Vec<String> = files(dir)
            .into_keys()
            .filter(|k| k.split('/').any(|c| c.starts_with('.')))
            .collect();
        assert_eq!(hidden, [".gazette-output"]);
    }

    // Same size, other bytes, modification time put back: as a killed build would leave a
    // file it had begun to rewrite (the change time still tells).
    let page = spare.join("releases/2024-02/gamma/index.html");
    let mtime = fs::metadata(&page).unwrap().modified().unwrap();
    let mut bytes = fs::read(&page).unwrap();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
    fs::write(&page, &bytes).unwrap();
    fs::File::options()
        .write(true)
        .open(&page)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    // A file cut short, a file gone, files and folders the site does not have, a folder
    // where a file belongs and a file where a folder belongs.
    let feed = spare.join("feed.xml");
    let len = fs::metadata(&feed).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&feed)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    fs::remove_file(spare.join("releases/2024-01/alpha/index.html")).unwrap();
    fs::write(spare.join("stray.html"), "not part of the site").unwrap();
    fs::create_dir_all(spare.join("stray/deep/er")).unwrap();
    fs::write(spare.join("stray/deep/er/x.txt"), "x").unwrap();
    fs::remove_file(spare.join("robots.txt")).unwrap();
    fs::create_dir_all(spare.join("robots.txt/inside")).unwrap();
    fs::remove_dir_all(spare.join("releases/2024-02/delta")).unwrap();
    fs::write(spare.join("releases/2024-02/delta"), "a file").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc", spare.join("link")).unwrap();
    let change = |k: &str| {
        edit(&root.join("content/releases/2024-02/gamma.md"), |t| {
            t.replace("伽马正文", &format!("伽马正文{k}"))
        })
    };
    change("a");
    let s = assert_like_cold(&o, "tampered staging folder");
    assert!(s.changes.swapped);
    assert!(s.changes.removed >= 4, "{:?}", s.changes);
    assert!(
        s.changes.written >= 5 && s.changes.written < s.files / 2,
        "{:?}",
        s.changes
    );

    // A post-processing step added files to output/ itself; when that folder comes round
    // as the staging folder, they go.
    fs::write(root.join("output/pagefind.js"), "added by another tool").unwrap();
    let s = assert_like_cold(&o, "after a stray file in output/");
    assert!(s.changes.swapped, "output/ had a file the site does not");
    change("b");
    let s = assert_like_cold(&o, "the folder with the stray file is the output again");
    assert!(s.changes.removed >= 1, "{:?}", s.changes);

    // No manifest, or a manifest cut short: everything is compared by content, and still
    // nothing that holds the right bytes is written.
    for cut in [false, true] {
        for m in fs::read_dir(&home).unwrap() {
            let p = m.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("manifest-")
            {
                if cut {
                    let text = fs::read(&p).unwrap();
                    fs::write(&p, &text[..text.len() / 3]).unwrap();
                } else {
                    fs::remove_file(&p).unwrap();
                }
            }
        }
        change(if cut { "c" } else { "d" });
        let s = assert_like_cold(&o, "without a whole manifest");
        assert!(
            s.changes.written * 4 < s.files,
            "cut {cut}: {:?}",
            s.changes
        );
    }

    // The staging folder deleted by hand: the next build starts a new one.
    fs::remove_dir_all(&spare).unwrap();
    change("e");
    assert_like_cold(&o, "staging folder deleted");
    change("f");
    assert_like_cold(&o, "and again");
    // And output/ deleted by hand.
    fs::remove_dir_all(root.join("output")).unwrap();
    assert_like_cold(&o, "output deleted");
}

/// Builds into the same output from two processes at once wait for each other: both end
/// with a whole site.
#[test]
fn concurrent_builds_of_one_output_take_turns() {
    let site = fixture("basic");
    let root = site.path();
    build_ok(&opts(root));
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_gazette"))
                .args(["build", "--root"])
                .arg(root)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_like_cold(&opts(root), "after concurrent builds");
}

/// A rebuild with no change finds the output to be the new site by its manifest, but walks it
/// before deciding so: a page changed by hand there and a file added there are replaced by
/// the site's own (the output is swapped for the staging folder brought up to date).
#[test]
fn a_no_change_rebuild_repairs_an_output_changed_by_hand() {
    let site = fixture("basic");
    let root = site.path();
    let o = opts(root);
    build_ok(&o);
    build_ok(&o);
    let page = root.join("output/releases/2024-01/alpha/index.html");
    edit(&page, |t| t.replace("</body>", "<!-- added --></body>"));
    let s = assert_like_cold(&o, "a page edited in output/, no change to the site");
    assert!(s.changes.swapped);
    assert!(
        !fs::read_to_string(&page)
            .unwrap()
            .contains("<!-- added -->")
    );
    let extra = root.join("output/releases/2024-01/extra.html");
    fs::write(&extra, "not the site's").unwrap();
    let s = assert_like_cold(&o, "a file added to output/, no change to the site");
    assert!(s.changes.swapped);
    assert!(!extra.exists());
    // Then it is the site again: nothing to write, nothing to swap.
    let s = build_ok(&o);
    assert!(!s.changes.swapped && s.changes.written == 0, "{s}");
}

/// Bodies read back from the last build's are only those that rendered without a problem:
/// a broken link in an unchanged body is reported by every build, and once it is fixed the
/// body is rendered and kept.
#[test]
fn a_body_with_a_problem_is_reported_by_every_build_never_read_back() {
    let site = sample_site();
    let root = site.path();
    let o = opts(root);
    let first = build_ok(&o);
    assert_eq!(
        first.bodies_reused, 0,
        "nothing kept before the first build"
    );
    let again = build_ok(&o);
    assert!(
        again.bodies_reused > 10,
        "{} bodies read back",
        again.bodies_reused
    );
    let path = root.join("content/releases/2024-03/seawater-hydrogen.md");
    edit(&path, |t| {
        format!("{t}\n见[别处](@/releases/2024-03/no-such-result.md)。\n")
    });
    for round in 0..2 {
        let failed = gazette::build(&o).expect_err("a broken link fails the build");
        let report = failed.report();
        assert!(
            report.contains("no-such-result") && report.contains("seawater-hydrogen.md"),
            "round {round}: {report}"
        );
    }
    edit(&path, |t| {
        t.replace(
            "见[别处](@/releases/2024-03/no-such-result.md)。",
            "见别处。",
        )
    });
    let fixed = build_ok(&o);
    assert!(fixed.bodies_reused > 10);
    assert_like_cold(&o, "fixed");
}

/// Checked fields and safe SVG verdicts kept from the last build are only those of files
/// that had no problem, keyed by their exact text: a front-matter error is reported by every
/// build, and an SVG that was safe and now holds a script is refused.
#[test]
fn kept_checks_never_hide_a_problem() {
    let site = sample_site();
    let root = site.path();
    let o = opts(root);
    let first = build_ok(&o);
    assert_eq!(
        first.fields_reused, 0,
        "nothing kept before the first build"
    );
    let again = build_ok(&o);
    assert!(
        again.fields_reused > 10,
        "{} read back",
        again.fields_reused
    );
    let entry = root.join("content/releases/2024-03/seawater-hydrogen.md");
    edit(&entry, |t| {
        t.replace("stage = \"bench\"", "stage = \"no-such-stage\"")
    });
    for round in 0..2 {
        let failed = gazette::build(&o).expect_err("a bad stage fails the build");
        let report = failed.report();
        assert!(
            report.contains("no-such-stage") && report.contains("seawater-hydrogen.md"),
            "round {round}: {report}"
        );
    }
    edit(&entry, |t| {
        t.replace("stage = \"no-such-stage\"", "stage = \"bench\"")
    });
    build_ok(&o);
    let svg = root.join("content/releases/2024-03/mma-pilot/flow.svg");
    edit(&svg, |t| {
        t.replacen("</svg>", "<script>alert(1)</script></svg>", 1)
    });
    let failed = gazette::build(&o).expect_err("an SVG with a script is refused");
    assert!(failed.report().contains("flow.svg"), "{}", failed.report());
    edit(&svg, |t| t.replace("<script>alert(1)</script>", ""));
    assert_like_cold(&o, "fixed");
}

/// A folder as a manifest records it: its path and size, inode, modification and change
/// times (seconds, nanoseconds).
#[cfg(unix)]
type FolderRecord = (String, [i64; 6]);

/// The folders each manifest records, with the fingerprint recorded, from the manifest
/// files beside the output (`.output.gazette/manifest-<inode>`), by the folder they describe.
#[cfg(unix)]
fn recorded_folders(root: &Path) -> Vec<(std::path::PathBuf, Vec<FolderRecord>)> {
    use std::os::unix::fs::MetadataExt;
    let home = root.join(".output.gazette");
    let mut out = Vec::new();
    for dir in [root.join("output"), home.join("site")] {
        let ino = fs::metadata(&dir).unwrap().ino();
        // The manifest's format (see `sink::manifest`): header line, file count, each file
        // (hash, fingerprint, path), folder count, each folder (fingerprint, path), checksum.
        // Counts are little-endian u64; a fingerprint is six LEB128 varints (ino, size,
        // modification seconds and nanoseconds zigzagged, change time as the zigzagged
        // distance from them); a path is a varint of the bytes it shares with the path
        // before it, a varint length and the rest.
        let bytes = fs::read(home.join(format!("manifest-{ino}"))).unwrap();
        let header = b"gazette-manifest 4\n";
        assert!(bytes.starts_with(header));
        fn n<'b>(b: &mut &'b [u8], len: usize) -> &'b [u8] {
            let (v, rest) = b.split_at(len);
            *b = rest;
            v
        }
        fn varint(b: &mut &[u8]) -> u64 {
            let (mut v, mut shift) = (0u64, 0);
            loop {
                let byte = n(b, 1)[0];
                v |= u64::from(byte & 0x7f) << shift;
                shift += 7;
                if byte < 0x80 {
                    return v;
                }
            }
        }
        fn signed(b: &mut &[u8]) -> i64 {
            let v = varint(b);
            ((v >> 1) as i64) ^ -((v & 1) as i64)
        }
        fn fingerprint(b: &mut &[u8]) -> [i64; 6] {
            let (ino, size) = (varint(b) as i64, varint(b) as i64);
            let (ms, mn) = (signed(b), signed(b));
            let (cs, cn) = (ms + signed(b), mn + signed(b));
            [size, ino, ms, mn, cs, cn]
        }
        fn path(b: &mut &[u8], prev: &mut Vec<u8>) -> String {
            let shared = varint(b) as usize;
            let len = varint(b) as usize;
            prev.truncate(shared);
            prev.extend_from_slice(n(b, len));
            String::from_utf8(prev.clone()).unwrap()
        }
        let u64_at = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap());
        let mut b = &bytes[header.len()..];
        let mut prev = Vec::new();
        let files = u64_at(n(&mut b, 8));
        for _ in 0..files {
            n(&mut b, 16);
            fingerprint(&mut b);
            path(&mut b, &mut prev);
        }
        let count = u64_at(n(&mut b, 8));
        let folders: Vec<FolderRecord> = (0..count)
            .map(|_| {
                let fp = fingerprint(&mut b);
                (path(&mut b, &mut prev), fp)
            })
            .collect();
        assert_eq!(b.len(), 8, "the checksum ends it");
        out.push((dir, folders));
    }
    out
}

/// A rebuild reads no folder it made: each manifest records every folder of its site with
/// the fingerprint it has on disk once the build is done (so the next build finds it
/// unchanged by one `stat`), after edits that add, remove and rewrite files and folders.
/// The top folder is the exception: swapping it in and out changes its times.
#[cfg(unix)]
#[test]
fn manifests_record_every_folder_as_it_is_left() {
    use std::os::unix::fs::MetadataExt;
    let site = fixture("basic");
    let root = site.path();
    let o = opts(root);
    build_ok(&o);
    let steps: [(&str, &dyn Fn()); 4] = [
        ("a body edited", &|| {
            edit(&root.join("content/releases/2024-02/gamma.md"), |t| {
                t.replace("伽马正文", "伽马正文，改")
            })
        }),
        ("an entry added", &|| {
            fs::write(
                root.join("content/releases/2024-02/epsilon.md"),
                entry("新条目", "新正文。"),
            )
            .unwrap()
        }),
        ("an entry removed", &|| {
            fs::remove_file(root.join("content/releases/2024-02/delta.md")).unwrap()
        }),
        ("another body edited", &|| {
            edit(&root.join("content/releases/2024-02/gamma.md"), |t| {
                t.replace("伽马正文", "伽马正文，再改")
            })
        }),
    ];
    for (step, change) in steps {
        change();
        let s = assert_like_cold(&o, step);
        assert!(s.changes.swapped, "{step}");
        for (dir, folders) in recorded_folders(root) {
            let on_disk =
                files(&dir)
                    .keys()
                    .fold(std::collections::BTreeSet::new(), |mut set, f| {
                        let mut p = f.as_str();
                        while let Some((parent, _)) = p.rsplit_once('/') {
                            set.insert(parent.to_string());
                            p = parent;
                        }
                        set
                    });
            let recorded: std::collections::BTreeSet<String> = (folders.iter())
                .map(|(p, _)| p.clone())
                .filter(|p| !p.is_empty())
                .collect();
            assert_eq!(recorded, on_disk, "{step}: {}", dir.display());
            for (p, fp) in folders.iter().filter(|(p, _)| !p.is_empty()) {
                let m = fs::metadata(dir.join(p)).unwrap();
                let now = [
                    m.size() as i64,
                    m.ino() as i64,
                    m.mtime(),
                    m.mtime_nsec(),
                    m.ctime(),
                    m.ctime_nsec(),
                ];
                assert_eq!(*fp, now, "{step}: {} {p}", dir.display());
            }
        }
    }
}

/// An SVG file a build read long enough after its last change is known to the next builds
/// by its path and fingerprint, without being read again; replaced by one of the same size
/// that holds a script, it has another fingerprint, is read, and is refused. A file changed
/// within the last two seconds is never known that way (its fingerprint may not tell).
#[test]
fn an_svg_known_by_its_fingerprint_is_read_again_once_changed() {
    let site = fixture("basic");
    let root = site.path();
    let o = opts(root);
    let svg = root.join("content/releases/2024-01/alpha/figure.svg");
    let index = root.join(".gazette-cache/svg-sums/svg-sums.idx");
    let records = || fs::metadata(&index).map_or(0, |m| m.len());
    build_ok(&o);
    let unsettled = records();
    // Settled: two seconds after the file's last change, the build keeps its record.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    build_ok(&o);
    assert!(
        records() > unsettled,
        "the settled SVG was recorded ({} → {} bytes of index)",
        unsettled,
        records()
    );
    let built = root.join("output/releases/2024-01/alpha/figure.svg");
    assert_eq!(fs::read(&built).unwrap(), fs::read(&svg).unwrap());
    // The same number of bytes, now with a script.
    let safe = fs::read_to_string(&svg).unwrap();
    let bad = safe.replacen(
        "<rect width=\"10\" height=\"10\"/>",
        "<script>alert(1)</script>",
        1,
    );
    let bad = format!("{bad:<width$}", width = safe.len());
    assert_eq!(bad.len(), safe.len());
    fs::write(&svg, &bad).unwrap();
    let failed = gazette::build(&o).expect_err("an SVG with a script is refused");
    assert!(
        failed.report().contains("figure.svg"),
        "{}",
        failed.report()
    );
    fs::write(&svg, safe.replace("10", "12")).unwrap();
    assert_like_cold(&o, "the SVG fixed");
    assert_eq!(fs::read(&built).unwrap(), fs::read(&svg).unwrap());
}

/// Content files a build finds as the last one read them (their fingerprints settled) are not
/// read: their checked fields are the kept ones and their texts stay on disk, read only when
/// a body must be rendered again. Whatever is read or not, the output is a cold build's.
#[test]
fn sources_known_by_their_fingerprint_are_read_only_when_needed() {
    let site = sample_site();
    let root = site.path();
    let mut o = opts(root);
    let first = build_ok(&o);
    assert_eq!(
        first.sources.known, 0,
        "nothing kept before the first build"
    );
    // Two seconds after the files' last change, a build keeps what it learnt from them.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let second = build_ok(&o);
    assert_eq!(
        second.sources.known, 0,
        "the first build's files were not settled"
    );
    let third = build_ok(&o);
    assert!(third.sources.known > 10, "{:?}", third.sources);
    assert_eq!(third.sources.read_late, 0, "no change: no text read");
    assert!(third.fields_reused >= third.sources.known);
    // A body edit: that file is read (it is not known any more), no other.
    let entry = root.join("content/releases/2024-03/seawater-hydrogen.md");
    edit(&entry, |t| format!("{t}\n补充一段正文。\n"));
    let edited = assert_like_cold(&o, "a body edited");
    assert_eq!(edited.sources.known, third.sources.known - 1);
    assert_eq!(edited.sources.read_late, 0);
    assert!(
        fs::read_to_string(root.join("output/releases/2024-03/seawater-hydrogen/index.html"))
            .unwrap()
            .contains("补充一段正文。")
    );
    // Another base URL renders every body again: the known texts are read then.
    o.base_url = Some("https://example.org/sub/".into());
    let moved = assert_like_cold(&o, "another base URL");
    assert!(
        moved.sources.read_late > 10 && moved.sources.read_late <= moved.sources.known,
        "{:?}",
        moved.sources
    );
    o.base_url = None;
    // A known file removed (with its translation), then one rewritten at the same length.
    fs::remove_file(&entry).unwrap();
    fs::remove_file(entry.with_extension("en.md")).unwrap();
    assert_like_cold(&o, "an entry removed");
    let other = root.join("content/releases/2024-03/mma-pilot.md");
    edit(&other, |t| {
        t.replacen("甲基丙烯酸甲酯", "甲基丙烯酸乙酯", 1)
    });
    let replaced = assert_like_cold(&o, "an entry rewritten at the same length");
    assert!(replaced.sources.known > 10);
}

/// The staging folder surveyed ahead of a build (as `gazette build` starts it in a process of
/// its own once it is done): a page changed by hand in `output/`, a file added there and one
/// removed, all found by the survey after the output was swapped out, are put right by the
/// next build, which takes the record once; a build with no record surveys for itself.
#[test]
fn a_survey_made_ahead_is_taken_once_and_finds_what_changed_by_hand() {
    use gazette::sink::ahead::{Outcome, survey};
    let site = fixture("basic");
    let root = site.path();
    let o = opts(root);
    let out = root.join("output");
    let gamma = root.join("content/releases/2024-02/gamma.md");
    // No staging folder yet after a first build.
    build_ok(&o);
    assert_eq!(survey(&out).unwrap(), Outcome::Nothing);
    // The first output, swapped out by a second build: nothing changed in it by hand.
    edit(&gamma, |t| t.replace("伽马正文", "伽马正文 0"));
    build_ok(&o);
    // Only the folder itself differs from its record: moved by the swap.
    let found = survey(&out).unwrap();
    assert!(
        matches!(found, Outcome::Recorded { deviations: 1, looked } if looked > 10),
        "{found:?}"
    );
    edit(&gamma, |t| t.replace("伽马正文 0", "伽马正文 1"));
    let s = assert_like_cold(&o, "an edit, surveyed ahead");
    assert_eq!(s.surveyed_ahead, Some(1), "{s}");
    // Taken once: the next build surveys for itself.
    edit(&gamma, |t| t.replace("伽马正文 1", "伽马正文 2"));
    let s = assert_like_cold(&o, "an edit, no record");
    assert_eq!(s.surveyed_ahead, None, "{s}");
    // By hand in output/: a page changed, a file added, a page removed.
    let alpha = out.join("releases/2024-01/alpha/index.html");
    edit(&alpha, |t| t.replace("</body>", "<!-- added --></body>"));
    let extra = out.join("releases/2024-01/extra.html");
    fs::write(&extra, "not the site's").unwrap();
    let removed = out.join("releases/2024-02/gamma/index.html");
    fs::remove_file(&removed).unwrap();
    // That output is swapped out by the next build, then surveyed ahead of the one after.
    edit(&gamma, |t| t.replace("伽马正文 2", "伽马正文 3"));
    build_ok(&o);
    let Outcome::Recorded { deviations, .. } = survey(&out).unwrap() else {
        panic!("a staging folder with a manifest is surveyed");
    };
    // The folder itself, the page's fingerprint, the removed page, and the two folders
    // whose names changed.
    assert!(deviations >= 5, "{deviations}");
    edit(&gamma, |t| t.replace("伽马正文 3", "伽马正文 4"));
    let s = assert_like_cold(&o, "changes by hand found ahead");
    assert_eq!(s.surveyed_ahead, Some(deviations), "{s}");
    assert!(!extra.exists());
    assert!(
        !fs::read_to_string(&alpha)
            .unwrap()
            .contains("<!-- added -->")
    );
    assert!(removed.exists());
}

/// `gazette build` starts the survey of the staging folder for the next build in a process of
/// its own, and the next build takes its record.
#[test]
fn gazette_build_surveys_the_staging_folder_ahead_of_the_next_build() {
    let site = fixture("basic");
    let root = site.path();
    let o = opts(root);
    build_ok(&o);
    let gamma = root.join("content/releases/2024-02/gamma.md");
    edit(&gamma, |t| t.replace("伽马正文", "伽马正文 0"));
    let built = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--root"])
        .arg(root)
        .env_remove("GAZETTE_SURVEY_AHEAD")
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
    let record = gazette::sink::disk::home(&root.join("output")).join("ahead");
    let t0 = std::time::Instant::now();
    while !record.exists() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(60),
            "no survey made ahead after a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    edit(&gamma, |t| t.replace("伽马正文 0", "伽马正文 1"));
    let s = assert_like_cold(&o, "after gazette build");
    assert_eq!(s.surveyed_ahead, Some(1), "{s}");
    assert!(!record.exists());
}
