//! Finding the site's content files and saying what each one is (release metadata, release
//! introduction, entry, standalone page, or an asset to copy). It reads directory listings
//! only, never file contents.
//!
//! A build keeps each folder's listing for the next one (see `kept`, under the name
//! `listings`), keyed by the folder's path and fingerprint: a folder's times change whenever
//! a name in it is added, removed or renamed, so a folder whose fingerprint is the one
//! recorded holds the names it held, and is looked at with one `stat` instead of being read
//! (reading 100,000 entries' folders was a tenth of an edit rebuild's CPU at 100,000
//! entries). A folder changed within the file system's clock tick is read and not recorded.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use super::held_folder::HeldFolder;
use crate::config::SiteConfig;
use crate::diagnostics::{Diagnostic, Problem};
use crate::kept::{Log, bytes::*};
use crate::model::ids::{Lang, ReleaseId, Slug};
use crate::sink::manifest::Fingerprint;

/// The two ways to write an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML front matter between `+++` lines, then Markdown.
    Markdown,
    /// Plain TOML, the body in a `body` string.
    Toml,
}

/// What a content file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentKind {
    ReleaseMeta {
        release: ReleaseId,
        lang: Lang,
    },
    ReleaseIntro {
        release: ReleaseId,
        lang: Lang,
    },
    Entry {
        release: ReleaseId,
        slug: Slug,
        lang: Lang,
        format: Format,
    },
    Page {
        slug: Slug,
        lang: Lang,
    },
    /// An item of `[collections.<name>]` (index `collection` in `SiteConfig::collections`):
    /// `content/<name>/<slug>.md`, `.toml`, or a translation `<slug>.<lang>.md`.
    Item {
        collection: usize,
        slug: Slug,
        lang: Lang,
        format: Format,
    },
    /// Any other file: copied to the same path under the output folder.
    Asset,
}

/// A file under `content/`.
#[derive(Debug, Clone)]
pub struct ContentFile {
    /// Path relative to the site root, e.g. `content/releases/2024-03/mma.md`.
    pub path: PathBuf,
    /// Path relative to `content/`, with `/` separators, e.g. `releases/2024-03/mma.md`.
    pub rel: String,
    pub kind: ContentKind,
}

/// Everything found under `content/`, sorted by path, plus what was wrong with the layout.
pub struct Discovered {
    pub files: Vec<ContentFile>,
    pub problems: Vec<Diagnostic>,
}

/// Files editors and tools leave behind that are never content.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name == "4913"
}

/// Split `name.en` into (`name`, Some(`en`)) when the suffix looks like a language code.
fn split_lang(stem: &str) -> (&str, Option<&str>) {
    match stem.rsplit_once('.') {
        Some((base, suffix)) if Lang::parse(suffix).is_some() && !base.is_empty() => {
            (base, Some(suffix))
        }
        _ => (stem, None),
    }
}

/// What a name in a folder is, as the folder lists it (a link is a link, not what it points
/// to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    File,
    Dir,
    Link,
    Other,
}

impl Node {
    fn of(t: std::fs::FileType) -> Node {
        match () {
            _ if t.is_symlink() => Node::Link,
            _ if t.is_dir() => Node::Dir,
            _ if t.is_file() => Node::File,
            _ => Node::Other,
        }
    }

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(c: u8) -> Option<Node> {
        [Node::File, Node::Dir, Node::Link, Node::Other]
            .get(usize::from(c))
            .copied()
    }
}

/// A file or folder under `content/`, or a folder that could not be read.
enum Found {
    Item {
        path: PathBuf,
        node: Node,
    },
    Unreadable {
        path: Option<PathBuf>,
        message: String,
    },
}

impl From<walkdir::Result<walkdir::DirEntry>> for Found {
    fn from(item: walkdir::Result<walkdir::DirEntry>) -> Self {
        match item {
            Ok(e) => Found::Item {
                node: Node::of(e.file_type()),
                path: e.into_path(),
            },
            Err(e) => Found::Unreadable {
                path: e.path().map(Path::to_path_buf),
                message: e.to_string(),
            },
        }
    }
}

/// Every file and folder under `content/` (ignored names left out), in the order of one
/// walk sorted by name. The folders two levels down (a release's) are walked in parallel:
/// reading thousands of small folders one after the other was a serial 40 ms at 4,016
/// entries. They are listed here rather than by a walk two levels deep, because walkdir
/// reads a folder at its maximum depth before it knows it will not descend, which read
/// every release folder twice, once on a single core.
fn walk(content: &Path, kept: Option<&Log>) -> Vec<Found> {
    let held = kept.map(|_| HeldFolder::open(content));
    let kept = kept.zip(held.as_ref());
    // `content` itself may be a link, which is followed; links under it are reported, not
    // followed, as everywhere else.
    let walker = WalkDir::new(content)
        .follow_links(false)
        .follow_root_links(true)
        .sort_by_file_name()
        .max_depth(1)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored_name(&e.file_name().to_string_lossy()));
    let mut found = Vec::new();
    for item in walker {
        let folder = match &item {
            Ok(e) if e.depth() == 1 && e.file_type().is_dir() => Some(e.path().to_path_buf()),
            _ => None,
        };
        found.push(Found::from(item));
        if let Some(folder) = folder {
            let below: Vec<Vec<Found>> = listed(folder, &mut found, kept)
                .into_par_iter()
                .map(|(path, node)| {
                    let mut below = Vec::new();
                    below_one(path, node, &mut below, kept);
                    below
                })
                .collect();
            // Room made once, each list moved in whole (pushed one by one from a flattened
            // iterator, 230,000 names at 100,000 entries grew the list on one core).
            found.reserve(below.iter().map(Vec::len).sum());
            for b in below {
                found.extend(b);
            }
        }
    }
    found
}

/// What a build keeps of folders' listings, with the content folder held open (in which
/// each folder's fingerprint is taken).
type Kept<'a> = (&'a Log, &'a HeldFolder);

/// The names in `folder` that are not ignored, sorted, with what each is (as the folder
/// lists it); a folder that cannot be read is pushed to `found` as such and lists nothing.
/// With `kept` (a build), a folder as the last build found it is not read again (see the
/// module's header).
fn listed(folder: PathBuf, found: &mut Vec<Found>, kept: Option<Kept<'_>>) -> Vec<(PathBuf, Node)> {
    let fp = kept.and_then(|(_, held)| held.fingerprint(&folder).ok());
    let kept = kept.map(|(log, _)| log);
    let key = fp.map(|fp| listing_key(&folder, fp));
    if let (Some(kept), Some(key)) = (kept, key)
        && let Some(names) = kept.get(key).and_then(decode_listing)
    {
        return names
            .into_iter()
            .map(|(n, node)| (folder.join(n), node))
            .collect();
    }
    let listed = std::fs::read_dir(&folder).and_then(|list| {
        list.map(|e| e.and_then(|e| Ok((e.file_name(), Node::of(e.file_type()?)))))
            .collect::<std::io::Result<Vec<_>>>()
    });
    match listed {
        Ok(mut children) => {
            children.retain(|(name, _)| !is_ignored_name(&name.to_string_lossy()));
            children.sort_by(|a, b| a.0.cmp(&b.0));
            if let (Some(kept), Some(key), Some(fp)) = (kept, key, fp)
                && fp.settled()
                && let Some(record) = encode_listing(&children)
            {
                kept.put(key, record);
            }
            (children.into_iter())
                .map(|(n, node)| (folder.join(n), node))
                .collect()
        }
        Err(e) => {
            found.push(Found::Unreadable {
                message: format!("IO error for operation on {}: {e}", folder.display()),
                path: Some(folder),
            });
            Vec::new()
        }
    }
}

/// The key of the listing of `folder` with the fingerprint `fp`.
fn listing_key(folder: &Path, fp: Fingerprint) -> u128 {
    fp.key_of(folder.as_os_str().as_encoded_bytes())
}

/// A folder's listing as kept: each name (UTF-8 only: a folder with another name is read
/// every time) and what it is.
fn encode_listing(names: &[(std::ffi::OsString, Node)]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    put_n(&mut out, names.len());
    for (name, node) in names {
        put_str(&mut out, name.to_str()?);
        out.push(node.code());
    }
    Some(out)
}

fn decode_listing(mut b: &[u8]) -> Option<Vec<(&str, Node)>> {
    let n = take_n(&mut b)?;
    let mut names = Vec::with_capacity(n.min(b.len()));
    for _ in 0..n {
        let name = take_str(&mut b)?;
        let node = Node::from_code(*take(&mut b, 1)?.first()?)?;
        names.push((name, node));
    }
    b.is_empty().then_some(names)
}

/// `path` (a `node`, as its folder listed it), then, if it is a folder, everything under it,
/// sorted by name. Read with `read_dir` rather than walkdir, which first `stat`s each root
/// it is given: one per entry's folder, 100,000 at 100,000 entries.
fn below_one(path: PathBuf, node: Node, found: &mut Vec<Found>, kept: Option<Kept<'_>>) {
    let folder = (node == Node::Dir).then(|| path.clone());
    found.push(Found::Item { path, node });
    if let Some(folder) = folder {
        for (path, node) in listed(folder, found, kept) {
            below_one(path, node, found, kept);
        }
    }
}

/// What one found thing is: a content file, or problems, and the release it belongs to
/// (with whether it is that release's metadata).
#[derive(Default)]
struct Classified {
    file: Option<ContentFile>,
    problems: Vec<Diagnostic>,
    release: Option<(ReleaseId, bool)>,
}

/// The slug a file name gives, or a problem for `path` if the name makes none.
fn slug_of(base: &str, path: &Path, problems: &mut Vec<Diagnostic>) -> Option<Slug> {
    let slug = Slug::from_text(base);
    if slug.is_none() {
        problems.push(
            Diagnostic::error(Problem::BadSlug {
                name: base.to_string(),
            })
            .in_file(path),
        );
    }
    slug
}

/// Classify one found thing (relative to the site `root` and its `content` folder).
fn classify(root: &Path, content: &Path, config: &SiteConfig, found: Found) -> Classified {
    let mut out = Classified::default();
    let (full, node) = match found {
        Found::Item { path, node } => (path, node),
        Found::Unreadable { path, message } => {
            let mut d = Diagnostic::error(Problem::Io { message });
            if let Some(p) = path {
                d = d.in_file(p.strip_prefix(root).unwrap_or(&p));
            }
            out.problems.push(d);
            return out;
        }
    };
    if node == Node::Dir {
        return out;
    }
    let path = full.strip_prefix(root).unwrap_or(&full).to_path_buf();
    if node == Node::Link {
        out.problems.push(
            Diagnostic::warning(Problem::Io {
                message: "symbolic links in content/ are not followed; the file was skipped".into(),
            })
            .in_file(&path),
        );
        return out;
    }
    let Ok(rel_path) = full.strip_prefix(content) else {
        return out;
    };
    // The parts borrowed where they are UTF-8 (every name of a site): one string made per
    // file, its `rel` (230,000 files at 100,000 entries, each part and name was one more).
    let parts: Vec<std::borrow::Cow<'_, str>> = rel_path
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    let rel = parts.join("/");
    let name: &str = parts.last().map_or("", |n| n);
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let is_doc = ext == "md" || ext == "toml";
    let problems = &mut out.problems;
    let mut lang_of = |suffix: Option<&str>| -> Option<Lang> {
        match suffix {
            None => Some(config.default_language.clone()),
            Some(code) if config.is_language(code) => Lang::parse(code),
            Some(code) => {
                problems.push(
                    Diagnostic::error(Problem::UnknownLanguage {
                        lang: code.to_string(),
                        known: config.languages.iter().map(|l| l.to_string()).collect(),
                    })
                    .in_file(&path),
                );
                None
            }
        }
    };
    let top = parts.first().map(|p| &**p);
    let kind = match (top, parts.len(), is_doc) {
        (Some("releases"), 3, true) => {
            let Some(release) = ReleaseId::parse(&parts[1]) else {
                out.problems.push(
                    Diagnostic::error(Problem::BadReleaseId {
                        id: parts[1].to_string(),
                    })
                    .in_file(&path),
                );
                return out;
            };
            let (base, suffix) = split_lang(stem);
            let Some(lang) = lang_of(suffix) else {
                return out;
            };
            let is_meta = (base, ext, suffix) == ("_release", "toml", None);
            out.release = Some((release.clone(), is_meta));
            match (base, ext) {
                ("_release", "toml") => ContentKind::ReleaseMeta { release, lang },
                ("_release", _) => ContentKind::ReleaseIntro { release, lang },
                _ => {
                    let Some(slug) = slug_of(base, &path, &mut out.problems) else {
                        return out;
                    };
                    let format = if ext == "md" {
                        Format::Markdown
                    } else {
                        Format::Toml
                    };
                    ContentKind::Entry {
                        release,
                        slug,
                        lang,
                        format,
                    }
                }
            }
        }
        (Some("pages"), 2, true) if ext == "md" => {
            let (base, suffix) = split_lang(stem);
            let Some(lang) = lang_of(suffix) else {
                return out;
            };
            let Some(slug) = slug_of(base, &path, &mut out.problems) else {
                return out;
            };
            ContentKind::Page { slug, lang }
        }
        (Some(folder), 2, true)
            if let Some(collection) = config
                .collections
                .iter()
                .position(|c| c.name.as_str() == folder) =>
        {
            let (base, suffix) = split_lang(stem);
            let Some(lang) = lang_of(suffix) else {
                return out;
            };
            let Some(slug) = slug_of(base, &path, &mut out.problems) else {
                return out;
            };
            let format = if ext == "md" {
                Format::Markdown
            } else {
                Format::Toml
            };
            ContentKind::Item {
                collection,
                slug,
                lang,
                format,
            }
        }
        (_, _, true) if ext == "md" || top == Some("releases") => {
            out.problems
                .push(Diagnostic::error(Problem::EntryOutsideRelease).in_file(&path));
            return out;
        }
        _ => ContentKind::Asset,
    };
    out.file = Some(ContentFile { path, rel, kind });
    out
}

/// Walk `root/content` and classify every file (in parallel; the results keep the walk's
/// order).
pub fn discover(root: &Path, config: &SiteConfig) -> Discovered {
    discover_kept(root, config, None)
}

/// The folder listings a build keeps for the next one, for this Gazette (`gazette`, see
/// `render::reuse::this_gazette`), which decides what is ignored.
pub fn listings(root: &Path, gazette: &str) -> Log {
    Log::open(root, "listings", crate::kept::salt(&["listings", gazette]))
}

/// [`discover`] for a build: folders as the last build found them are not read again (see
/// the module's header); `kept` is finished by the caller.
pub fn discover_kept(root: &Path, config: &SiteConfig, kept: Option<&Log>) -> Discovered {
    let content = root.join("content");
    let classified: Vec<Classified> = walk(&content, kept)
        .into_par_iter()
        .map(|found| classify(root, &content, config, found))
        .collect();
    let mut files = Vec::with_capacity(classified.len());
    let mut problems = Vec::new();
    let mut releases_with_meta = BTreeSet::new();
    let mut releases_with_files = BTreeSet::new();
    // A release's files come one after another: its id is looked up in the set once per
    // run of them, not once per file (230,000 lookups on one thread at 100,000 entries).
    let mut last = None;
    for c in classified {
        files.extend(c.file);
        problems.extend(c.problems);
        if let Some((release, is_meta)) = c.release {
            if is_meta {
                releases_with_meta.insert(release.clone());
            }
            if last.as_ref() != Some(&release) {
                releases_with_files.insert(release.clone());
                last = Some(release);
            }
        }
    }
    for missing in releases_with_files.difference(&releases_with_meta) {
        let folder = PathBuf::from("content/releases").join(missing.as_str());
        problems.push(
            Diagnostic::error(Problem::ReleaseWithoutMeta {
                id: missing.to_string(),
            })
            .in_file(&folder),
        );
    }
    Discovered { files, problems }
}

/// A set of paths of a site's files (relative to `content/`), with a fixed hasher: SipHash
/// took twice as long to fill with a 100,000-entry site's 100,000 files, on one core.
pub type AssetSet<'a> = crate::sink::Set<&'a str>;

/// The paths (relative to `content/`) of `assets`.
pub fn asset_set(assets: &[ContentFile]) -> AssetSet<'_> {
    assets.iter().map(|a| a.rel.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// The walk finds what is inside entries' folders at any depth, in name order, leaves
    /// ignored names out and reports links instead of following them.
    #[test]
    fn entry_folders_are_walked_whole_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let release = root.join("content/releases/2024-01");
        for folder in ["b/deep/deeper", "a"] {
            fs::create_dir_all(release.join(folder)).unwrap();
        }
        for file in [
            "_release.toml",
            "b.md",
            "a.md",
            "b/z.svg",
            "b/c.svg",
            "b/deep/deeper/d.svg",
            "b/.DS_Store",
            "b/notes.md~",
            "a/x.png",
        ] {
            fs::write(release.join(file), "x").unwrap();
        }
        std::os::unix::fs::symlink("/etc/passwd", release.join("b/deep/link.svg")).unwrap();
        // The sample site's settings (any site's would do: the walk reads none of them).
        let (config, _) = crate::config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let found = discover(root, &config);
        let rels: Vec<&str> = found.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            rels,
            [
                "releases/2024-01/_release.toml",
                "releases/2024-01/a/x.png",
                "releases/2024-01/a.md",
                "releases/2024-01/b/c.svg",
                "releases/2024-01/b/deep/deeper/d.svg",
                "releases/2024-01/b/z.svg",
                "releases/2024-01/b.md",
            ]
        );
        let links: Vec<_> = (found.problems.iter())
            .filter(|d| d.problem.message().contains("symbolic links"))
            .collect();
        assert_eq!(links.len(), 1, "{:?}", found.problems);
    }

    /// A folder whose fingerprint is the one a listing was kept under is not read again; one
    /// changed since is, and a folder changed within the clock's tick is not recorded.
    #[test]
    fn kept_listings_stand_for_folders_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let release = root.join("content/releases/2024-01");
        fs::create_dir_all(release.join("a")).unwrap();
        for file in ["_release.toml", "a.md", "a/x.svg"] {
            fs::write(release.join(file), "x").unwrap();
        }
        let (config, _) = crate::config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let rels = |kept: Option<&Log>| -> Vec<String> {
            let found = discover_kept(root, &config, kept);
            found.files.into_iter().map(|f| f.rel).collect()
        };
        let fp_of = |p: &Path| Fingerprint::of(&fs::metadata(p).unwrap());
        let folder = release.join("a");

        // Just made: read, and not recorded (it may change again within the same tick).
        let kept = listings(root, "test");
        assert_eq!(rels(Some(&kept)), rels(None));
        kept.finish();
        let kept = listings(root, "test");
        assert!(kept.get(listing_key(&folder, fp_of(&folder))).is_none());

        // A listing kept under the folder's fingerprint stands for it: what it names is found
        // without the folder being read (here a name the folder does not hold).
        let record = encode_listing(&[("y.svg".into(), Node::File)]).unwrap();
        kept.put(listing_key(&folder, fp_of(&folder)), record);
        kept.finish();
        let kept = listings(root, "test");
        let found = rels(Some(&kept));
        assert!(
            found.contains(&"releases/2024-01/a/y.svg".to_string()),
            "{found:?}"
        );
        assert!(!found.contains(&"releases/2024-01/a/x.svg".to_string()));

        // A name added changes the folder's fingerprint: it is read again. (Past the clock's
        // tick first: within it, the folder keeps its times, which is why only settled
        // folders are recorded.)
        std::thread::sleep(std::time::Duration::from_millis(30));
        fs::write(folder.join("z.svg"), "z").unwrap();
        let found = rels(Some(&kept));
        assert_eq!(found, rels(None));
        assert!(
            found.contains(&"releases/2024-01/a/z.svg".to_string()),
            "{found:?}"
        );
        assert!(!found.contains(&"releases/2024-01/a/y.svg".to_string()));
    }
}
