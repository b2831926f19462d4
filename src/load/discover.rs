//! Finding the site's content files and saying what each one is (release metadata, release
//! introduction, entry, standalone page, or an asset to copy). It reads directory listings
//! only, never file contents.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::SiteConfig;
use crate::diagnostics::{Diagnostic, Problem};
use crate::model::ids::{Lang, ReleaseId, Slug};

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

/// Every file and folder under `content/` (ignored names left out), in the order of one
/// walk sorted by name. Folders two levels down (a release's) are walked in parallel:
/// reading thousands of small folders one after the other was a serial 40 ms at 4,016
/// entries.
fn walk(content: &Path) -> Vec<walkdir::Result<walkdir::DirEntry>> {
    let walker = |dir: &Path, max_depth: usize| {
        WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
            .max_depth(max_depth)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_ignored_name(&e.file_name().to_string_lossy()))
    };
    let top: Vec<_> = walker(content, 2).collect();
    let below: Vec<Vec<_>> = top
        .par_iter()
        .map(|item| match item {
            Ok(e) if e.depth() == 2 && e.file_type().is_dir() => {
                walker(e.path(), usize::MAX).skip(1).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    top.into_iter()
        .zip(below)
        .flat_map(|(item, below)| std::iter::once(item).chain(below))
        .collect()
}

/// Walk `root/content` and classify every file.
pub fn discover(root: &Path, config: &SiteConfig) -> Discovered {
    let content = root.join("content");
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut releases_with_meta = BTreeSet::new();
    let mut releases_with_files = BTreeSet::new();
    for item in walk(&content) {
        let entry = match item {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf());
                let mut d = Diagnostic::error(Problem::Io {
                    message: e.to_string(),
                });
                if let Some(p) = path {
                    d = d.in_file(&p);
                }
                problems.push(d);
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        if entry.file_type().is_symlink() {
            problems.push(
                Diagnostic::warning(Problem::Io {
                    message: "symbolic links in content/ are not followed; the file was skipped"
                        .into(),
                })
                .in_file(&path),
            );
            continue;
        }
        let Ok(rel_path) = entry.path().strip_prefix(&content) else {
            continue;
        };
        let parts: Vec<String> = rel_path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = parts.join("/");
        let name = parts.last().cloned().unwrap_or_default();
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) => (s.to_string(), e.to_string()),
            None => (name.clone(), String::new()),
        };
        let is_doc = ext == "md" || ext == "toml";
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
        let kind = match (parts.first().map(String::as_str), parts.len(), is_doc) {
            (Some("releases"), 3, true) => {
                let Some(release) = ReleaseId::parse(&parts[1]) else {
                    problems.push(
                        Diagnostic::error(Problem::BadReleaseId {
                            id: parts[1].clone(),
                        })
                        .in_file(&path),
                    );
                    continue;
                };
                let (base, suffix) = split_lang(&stem);
                let Some(lang) = lang_of(suffix) else {
                    continue;
                };
                releases_with_files.insert(release.clone());
                match (base, ext.as_str()) {
                    ("_release", "toml") => {
                        if suffix.is_none() {
                            releases_with_meta.insert(release.clone());
                        }
                        ContentKind::ReleaseMeta { release, lang }
                    }
                    ("_release", _) => ContentKind::ReleaseIntro { release, lang },
                    _ => {
                        let Some(slug) = Slug::from_text(base) else {
                            problems.push(
                                Diagnostic::error(Problem::BadSlug {
                                    name: base.to_string(),
                                })
                                .in_file(&path),
                            );
                            continue;
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
                let (base, suffix) = split_lang(&stem);
                let Some(lang) = lang_of(suffix) else {
                    continue;
                };
                let Some(slug) = Slug::from_text(base) else {
                    problems.push(
                        Diagnostic::error(Problem::BadSlug {
                            name: base.to_string(),
                        })
                        .in_file(&path),
                    );
                    continue;
                };
                ContentKind::Page { slug, lang }
            }
            (_, _, true)
                if ext == "md" || parts.first().map(String::as_str) == Some("releases") =>
            {
                problems.push(Diagnostic::error(Problem::EntryOutsideRelease).in_file(&path));
                continue;
            }
            _ => ContentKind::Asset,
        };
        files.push(ContentFile { path, rel, kind });
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
